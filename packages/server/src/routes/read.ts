/**
 * Read routes (open by default; scope `read` when the server requires read keys): search,
 * recommendations, similar items, items, profiles.
 * @packageDocumentation
 */
import { EngineError, type RecommendOptions, type SearchOptions, type SearchResponse } from '@souk/engine';
import type { RouteContext, SoukApp } from '../context.js';
import { defined, facetsFromQuery, filtersFromQuery, parseCategoryPath } from '../query.js';
import {
  IdParams, ItemView, ProfileResult, RecommendBody, RecommendQuery, RecommendResult, SearchBody, SearchQuery, SearchResult,
  SimilarQuery, SimilarResult, errorResponses,
} from '../schemas.js';

/** Search answers with the open last price band's upper edge as `null` (JSON has no Infinity). */
function searchReply(response: SearchResponse) {
  const bands = response.facets.priceBands;
  if (!bands) return response;
  return { ...response, facets: { ...response.facets, priceBands: bands.map((b) => ({ ...b, max: Number.isFinite(b.max) ? b.max : null })) } };
}

/** Registers the read routes. */
export function registerReadRoutes(app: SoukApp, { engine }: RouteContext): void {
  app.get('/v1/search', {
    schema: {
      tags: ['read'],
      summary: 'Product search (flat filters in the query string)',
      description: 'Full-text search in any language (jieba segmentation for Chinese), personalised for `user` when given. `category` is a path `A>B>C`; `brand` repeats or takes a comma list; `facets` asks for counts. Use POST /v1/search for attribute filters, diversity and rules.',
      querystring: SearchQuery,
      response: { 200: SearchResult, ...errorResponses },
    },
  }, async (request) => {
    const { q, user, k, offset, sort, facets, priceEdges, mode, temperature, seed, explain, personalize } = request.query;
    const options: SearchOptions = {
      ...defined({ user, k, offset, sort, mode, temperature, seed, explain, personalize }),
      ...defined({ filters: filtersFromQuery(request.query), facets: facetsFromQuery(facets, priceEdges) }),
    };
    return searchReply(await engine.search(q, options));
  });

  app.post('/v1/search', {
    schema: {
      tags: ['read'],
      summary: 'Product search (JSON body: attribute filters, diversity, merchandising rules)',
      body: SearchBody,
      response: { 200: SearchResult, ...errorResponses },
    },
  }, async (request) => {
    const { q, ...rest } = request.body;
    return searchReply(await engine.search(q, defined(rest) as SearchOptions));
  });

  app.get('/v1/recommend', {
    schema: {
      tags: ['read'],
      summary: 'Recommendations for a user',
      description: 'From the trained model, the fold-in vector of a user seen since training, or (cold start) popular items in the profile\'s or context\'s categories. Seen items are left out unless `excludeSeen=false`.',
      querystring: RecommendQuery,
      response: { 200: RecommendResult, ...errorResponses },
    },
  }, async (request) => {
    const { user, k, contextItem, contextCategory, contextQuery, excludeSeen, mode, temperature, seed, explain } = request.query;
    const context = defined({ item: contextItem, category: contextCategory === undefined ? undefined : parseCategoryPath(contextCategory, 'contextCategory'), query: contextQuery });
    const options: RecommendOptions = {
      ...defined({ k, excludeSeen, mode, temperature, seed, explain }),
      ...defined({ filters: filtersFromQuery(request.query), context: Object.keys(context).length > 0 ? context : undefined }),
    };
    return engine.recommend(user, options);
  });

  app.post('/v1/recommend', {
    schema: {
      tags: ['read'],
      summary: 'Recommendations for a user (JSON body: context, filters, diversity, rules)',
      body: RecommendBody,
      response: { 200: RecommendResult, ...errorResponses },
    },
  }, async (request) => {
    const { user, ...rest } = request.body;
    return engine.recommend(user, defined(rest) as RecommendOptions);
  });

  app.get('/v1/similar', {
    schema: {
      tags: ['read'],
      summary: 'Items similar to an item',
      description: '404 ERR_UNKNOWN_ITEM for an item not in the catalog.',
      querystring: SimilarQuery,
      response: { 200: SimilarResult, ...errorResponses },
    },
  }, async (request) => {
    const { item, k } = request.query;
    return engine.similar(item, { ...defined({ k }), ...defined({ filters: filtersFromQuery(request.query) }) });
  });

  app.get('/v1/items/:id', {
    schema: {
      tags: ['read'],
      summary: 'One catalog item',
      params: IdParams,
      response: { 200: ItemView, ...errorResponses },
    },
  }, async (request) => {
    const item = engine.item(request.params.id);
    if (!item) throw new EngineError('ERR_UNKNOWN_ITEM', `Expected a known item for id but received ${JSON.stringify(request.params.id)}`);
    return item;
  });

  app.get('/v1/users/:id/profile', {
    schema: {
      tags: ['read'],
      summary: "A user's profile: affinities, segments, whether a latent vector exists",
      description: '404 ERR_UNKNOWN_USER for a user never seen.',
      params: IdParams,
      response: { 200: ProfileResult, ...errorResponses },
    },
  }, async (request) => {
    const profile = engine.profile(request.params.id);
    if (!profile) throw new EngineError('ERR_UNKNOWN_USER', `Expected a known user for id but received ${JSON.stringify(request.params.id)}`);
    return profile;
  });
}
