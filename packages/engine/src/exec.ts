/**
 * The compute of a search and a recommendation once the engine has checked the request and
 * looked the user up: retrieval (text index or model vectors), candidates, ranking. It needs only
 * the catalog state and plain data about the user (a {@link ProfileDigest}, the latent vector,
 * the seen items), so the same functions run on the event loop and in the read workers
 * (read-worker.ts), which hold a replica of the catalog, and give the same answers in both.
 * @packageDocumentation
 */
import { DigestSignals, type ProfileDigest } from '@souk/profiles';
import type { Candidate, UserSignals } from '@souk/ranking';
import type { FacetRequest, SearchFilter } from '@souk/retrieval';
import { biasByContext, pickPopular, RECOMMEND_CANDIDATES, vectorCandidates } from './candidates.js';
import { CatalogState } from './catalog.js';
import { rankCandidates } from './rank.js';
import { mapErrors } from './validate.js';
import type { RankedRequestOptions, RecommendSource, ResultItem, SearchResponse } from './types.js';

/** Candidates re-ranked per search (the text index's best by BM25F; as for recommendations, 100). */
export const SEARCH_CANDIDATES = 100;

/** What ranking needs to know of the user: plain data, copied as is to a read worker. */
export interface UserData {
  /** The profile's scores at the request's time (absent: no profile). */
  readonly digest?: ProfileDigest;
  /** The latent vector (absent: none). */
  readonly vector?: Float32Array;
}

/** A relevance-sorted search, checked. */
export interface SearchExec {
  readonly query: string;
  readonly k: number;
  readonly offset: number;
  readonly filters?: SearchFilter;
  readonly facets?: FacetRequest;
  /** Selection options (mode, temperature, seed, diversity, rules, explain). */
  readonly options: RankedRequestOptions;
  /** Undefined: not personalised. */
  readonly user?: UserData;
  readonly now: number;
}

/** The answer of {@link execSearch} (the engine adds the query and the time taken). */
export type SearchExecResult = Omit<SearchResponse, 'query' | 'tookMs'>;

/** A recommendation, checked; the model's part is decided by the caller (see {@link execRecommend}). */
export interface RecommendExec {
  readonly k: number;
  readonly filters?: SearchFilter;
  readonly options: RankedRequestOptions;
  readonly user: UserData;
  /** Items the user engaged with (left out unless `excludeSeen: false`; then empty). */
  readonly seen: readonly string[];
  readonly contextItem?: string;
  readonly contextCategory?: readonly string[];
  readonly contextQuery?: string;
  /** `model` or `fold-in` when the user's vector comes from the live model. */
  readonly vectorSource?: 'model' | 'fold-in';
  readonly now: number;
}

/** The answer of {@link execRecommend}. */
export interface RecommendExecResult {
  readonly items: ResultItem[];
  readonly source: RecommendSource;
}

/** Model candidates: given the seen set, the filters' predicate and admissibility. */
export type ModelCandidates = (seen: ReadonlySet<string>, allow: ((id: string) => boolean) | undefined, admissible: (id: string) => boolean) => Promise<Candidate[]>;

/** The ranking signals of {@link UserData} (undefined: anonymous). */
export function signalsOf(catalog: CatalogState, user: UserData | undefined): UserSignals | undefined {
  if (!user || (!user.digest && !user.vector)) return undefined;
  const vector = user.vector;
  if (!user.digest) return { latentVector: () => vector };
  const d = new DigestSignals(user.digest, catalog.profileCatalog);
  // Per category path: a request's candidates share a handful of categories, and each lookup
  // walks the path's keys and price bands. Keyed by the array itself: the ranking catalog hands
  // out one shared path array per category, so no key string is built per candidate.
  const category = new Map<readonly string[], number>();
  const price = new Map<readonly string[], ReturnType<DigestSignals['preferredPriceRange']>>();
  return {
    categoryAffinity: (path) => {
      let v = category.get(path);
      if (v === undefined) category.set(path, (v = d.categoryAffinity(path)));
      return v;
    },
    brandAffinity: (brand) => d.brandAffinity(brand),
    preferredPriceRange: (path) => {
      if (price.has(path)) return price.get(path);
      const v = d.preferredPriceRange(path);
      price.set(path, v);
      return v;
    },
    latentVector: () => vector,
  };
}

/** Text candidates re-ranked with the user's signals. */
export function execSearch(catalog: CatalogState, r: SearchExec): SearchExecResult {
  const index = catalog.textIndex;
  const res = mapErrors(() =>
    index.search({ query: r.query, ...(r.filters ? { filter: r.filters } : {}), ...(r.facets ? { facets: r.facets } : {}), k: Math.min(1000, Math.max(SEARCH_CANDIDATES, r.offset + r.k)), offset: 0 }),
  );
  const signals = signalsOf(catalog, r.user);
  const candidates: Candidate[] = [];
  // Every indexed item is in `catalog.items` (CatalogState.upsert adds to both and nothing
  // removes from either), so the hits need no lookup here (it was ~8% of a search's CPU).
  for (const h of res.hits) candidates.push({ item: h.id, textScore: h.score });
  const ranked =
    candidates.length === 0
      ? []
      : rankCandidates({ catalog: catalog.rankingCatalog, items: catalog.items, candidates, options: r.options, user: signals, k: r.offset + r.k, now: r.now, query: r.query })
          .slice(r.offset)
          .map((row, i) => ({ ...row, position: i + 1 }));
  return { items: ranked, total: res.total, facets: res.facets, droppedTerms: res.droppedTerms, truncated: res.truncated, personalized: signals !== undefined };
}

/**
 * Recommendations: the model's candidates (`fromModel`, when the user has a vector or a model
 * row), else popular items within the context's or the profile's top categories, else overall;
 * the context bias; the ranking with the user's signals.
 */
export async function execRecommend(catalog: CatalogState, r: RecommendExec, fromModel: ModelCandidates | undefined): Promise<RecommendExecResult> {
  const allow = r.filters === undefined ? undefined : mapErrors(() => catalog.textIndex.idPredicate(r.filters));
  const seen = new Set(r.seen);
  if (r.contextItem !== undefined) seen.add(r.contextItem);
  const admissible = (id: string) => catalog.items.has(id) && !seen.has(id) && (!allow || allow(id));
  const contextItem = r.contextItem === undefined ? undefined : catalog.items.get(r.contextItem);
  let source: RecommendSource;
  let candidates: Candidate[] = [];
  let inCategorySet: ReadonlySet<string> = new Set();
  const modelRows = fromModel && r.vectorSource ? await fromModel(seen, allow, admissible) : [];
  if (modelRows.length > 0) {
    source = r.vectorSource!;
    candidates = modelRows;
  } else {
    const categories: Array<readonly string[]> = [];
    if (contextItem) categories.push(contextItem.categoryPath);
    if (r.contextCategory && r.contextCategory.length > 0) categories.push(r.contextCategory);
    if (categories.length === 0 && r.user.digest) {
      const root = catalog.profileCatalog.root;
      for (const path of new DigestSignals(r.user.digest, catalog.profileCatalog).topCategories(3)) categories.push([...(root !== undefined ? [root] : []), ...path]);
    }
    const popular = catalog.popularItems();
    const inCategory = categories.length === 0 ? [] : pickPopular(popular, RECOMMEND_CANDIDATES, (id) => admissible(id) && categories.some((c) => CatalogState.inCategory(catalog.items.get(id)!, c)));
    source = inCategory.length > 0 ? 'profile-popular' : 'popular';
    const chosen = (inCategorySet = new Set(inCategory));
    const rest = pickPopular(popular, RECOMMEND_CANDIDATES - inCategory.length, (id) => admissible(id) && !chosen.has(id));
    candidates = [...inCategory, ...rest].map((item) => ({ item }));
  }
  if (contextItem || r.contextQuery) biasByContext(catalog, candidates, contextItem, r.contextQuery);
  const signals = signalsOf(catalog, r.user);
  const ranked = candidates.length === 0 ? [] : rankCandidates({ catalog: catalog.rankingCatalog, items: catalog.items, candidates, options: r.options, user: signals, k: r.k, now: r.now });
  // Cold-start rows say which fallback they come from.
  const cold = source === 'popular' || source === 'profile-popular';
  const items = cold ? ranked.map((row) => (row.reason === 'ranked' ? { ...row, reason: inCategorySet.has(row.item.id) ? 'popular-in-category' : 'popular' } : row)) : ranked;
  return { items, source };
}

/** Model candidates from a user vector against the catalog's item vectors (ALS and fold-in users), scanned on the calling thread. */
export function catalogVectorCandidates(catalog: CatalogState, vector: Float32Array): ModelCandidates | undefined {
  const v = catalog.itemVectors;
  if (!v) return undefined;
  return (seen, allow, admissible) => vectorCandidates(catalog, v, vector, seen, allow, admissible, true);
}
