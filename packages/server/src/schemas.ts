/**
 * TypeBox schemas of every route's query, params, body and response. They validate requests,
 * shape responses (fields not listed are not sent) and generate `/docs/openapi.json`.
 * @packageDocumentation
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ENGINE_MODELS } from '@souk/engine';
import { MAX_ID_LENGTH } from '@souk/data';

/** Most results one request may ask for. */
export const MAX_K = 100;
/** Deepest offset a search may page to. */
export const MAX_OFFSET = 1000;
/** Longest accepted query text (characters); longer queries are refused with 400. */
export const MAX_QUERY_CHARS = 512;
/** Most events or items in one POST. */
export const MAX_BATCH = 1000;
/** Most brands in one brand filter. */
export const MAX_BRANDS = 50;

const Id = (description: string) => Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, description });

/** The one error shape. */
export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code (ERR_…)' }),
      message: Type.String({ description: 'What was expected and what was received' }),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every failure has this shape' },
);

/** Responses every route can give besides its success. */
export const errorResponses = {
  '4xx': Type.Ref(ErrorResponse),
  '5xx': Type.Ref(ErrorResponse),
} as const;

// ---------------------------------------------------------------- shared parts

const Mode = Type.Union([Type.Literal('top'), Type.Literal('softmax'), Type.Literal('sample')], { description: '`top` (default), `softmax` or `sample` (exploration)' });
const Sort = Type.Union([Type.Literal('relevance'), Type.Literal('price_asc'), Type.Literal('price_desc'), Type.Literal('popularity'), Type.Literal('newest')], { description: 'Sort order (default relevance)' });
const K = Type.Integer({ minimum: 1, maximum: MAX_K, description: `Results to return, 1..${MAX_K} (default 10)` });
const Temperature = Type.Number({ minimum: 0.001, maximum: 100, description: 'Softmax temperature, 0.001..100 (default 1)' });
const Seed = Type.Integer({ minimum: 0, maximum: 4294967295, description: 'Seed of mode=sample' });
const Price = Type.Number({ minimum: 0 });
const CategoryPath = Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 32, description: 'Category path from the root; matches the subtree' });

const AttributeScalar = Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]);
const AttributeCondition = Type.Union([
  AttributeScalar,
  Type.Array(AttributeScalar, { minItems: 1, maxItems: 100 }),
  Type.Object({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }, { additionalProperties: false }),
]);

/** Filters in a JSON body (the engine's SearchFilter). */
export const Filters = Type.Object(
  {
    category: Type.Optional(CategoryPath),
    brand: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 1024 }), Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: MAX_BRANDS })])),
    price: Type.Optional(Type.Object({ min: Type.Optional(Price), max: Type.Optional(Price) }, { additionalProperties: false })),
    inStock: Type.Optional(Type.Boolean()),
    attributes: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), AttributeCondition, { maxProperties: 32 })),
  },
  { additionalProperties: false, description: 'Every given filter must hold' },
);

const Diversity = Type.Object(
  {
    maxPerBrand: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_K })),
    maxPerCategory: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_K })),
    window: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_K })),
  },
  { additionalProperties: false },
);

const Rules = Type.Object(
  {
    pin: Type.Optional(Type.Array(Type.Object({ item: Id('Item id'), position: Type.Integer({ minimum: 1, maximum: MAX_K }) }, { additionalProperties: false }), { maxItems: MAX_K })),
    bury: Type.Optional(Type.Array(Id('Item id'), { maxItems: 1000 })),
    exclude: Type.Optional(Type.Array(Id('Item id'), { maxItems: 1000 })),
  },
  { additionalProperties: false, description: 'Merchandising rules: pins, burials, exclusions' },
);

/** Filter parameters of the GET routes (query string). */
const filterQuery = {
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Category path `A>B>C` from the root (subtree)' })),
  brand: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: MAX_BRANDS, description: 'Brand; repeat the parameter or give a comma-separated list' })),
  priceMin: Type.Optional(Price),
  priceMax: Type.Optional(Price),
  inStock: Type.Optional(Type.Boolean()),
};

const selectionQuery = {
  k: Type.Optional(K),
  mode: Type.Optional(Mode),
  temperature: Type.Optional(Temperature),
  seed: Type.Optional(Seed),
  explain: Type.Optional(Type.Boolean({ description: 'Include per-feature score contributions' })),
};

const selectionBody = { ...selectionQuery, filters: Type.Optional(Filters), diversity: Type.Optional(Diversity), rules: Type.Optional(Rules) };

// ---------------------------------------------------------------- results

/** An item as returned. */
export const ItemView = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    brand: Type.Optional(Type.String()),
    categoryPath: Type.Array(Type.String()),
    price: Type.Optional(Type.Number()),
    currency: Type.Optional(Type.String()),
    inStock: Type.Boolean(),
    tags: Type.Array(Type.String()),
  },
  { $id: 'ItemView' },
);

const ResultItem = Type.Object(
  {
    item: Type.Ref(ItemView),
    position: Type.Integer({ description: '1-based position' }),
    score: Type.Optional(Type.Number({ description: 'Final ranking score (absent for a pinned item that was not a candidate)' })),
    reason: Type.String({ description: 'ranked, pinned, buried, or a fallback source (popular, popular-in-category)' }),
    explanation: Type.Optional(Type.Record(Type.String(), Type.Number())),
  },
  { $id: 'ResultItem' },
);

const FacetCount = Type.Object({ value: Type.String(), count: Type.Integer() });
const Facets = Type.Object({
  brands: Type.Optional(Type.Array(FacetCount)),
  categories: Type.Optional(Type.Array(FacetCount)),
  priceBands: Type.Optional(Type.Array(Type.Object({ value: Type.String(), count: Type.Integer(), min: Type.Number(), max: Type.Union([Type.Number(), Type.Null()], { description: 'null for the open last band' }) }))),
});

// ---------------------------------------------------------------- routes

/** POST /v1/events */
export const EventsBody = Type.Object(
  {
    events: Type.Array(Type.Object({}, { additionalProperties: true, description: 'An Event (see the Event schema); rows that fail it are rejected one by one' }), { minItems: 1, maxItems: MAX_BATCH }),
    batchId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'Idempotency key: a batch sent again with the same id is stored once and answered as before' })),
  },
  { additionalProperties: false },
);

const Rejected = Type.Array(
  Type.Object({ index: Type.Integer(), code: Type.String(), field: Type.String(), reason: Type.String() }),
  { description: 'Rows refused, by 0-based position; they are not stored' },
);

/** 200 of POST /v1/events. */
export const EventsResult = Type.Object({ accepted: Type.Integer(), rejected: Rejected, duplicateBatch: Type.Boolean(), usersUpdated: Type.Integer() });

/** POST /v1/items */
export const ItemsBody = Type.Object(
  { items: Type.Array(Type.Object({}, { additionalProperties: true, description: 'An Item (see the Item schema); rows that fail it are rejected one by one' }), { minItems: 1, maxItems: MAX_BATCH }) },
  { additionalProperties: false },
);

/** 200 of POST /v1/items. */
export const ItemsResult = Type.Object({ inserted: Type.Integer(), updated: Type.Integer(), rejected: Rejected });

/** GET /v1/search */
export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS, description: `Query text, 1..${MAX_QUERY_CHARS} characters` }),
    user: Type.Optional(Id('User (personalises the ranking)')),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET })),
    sort: Type.Optional(Sort),
    ...filterQuery,
    facets: Type.Optional(Type.String({ pattern: '^(brands|categories|priceBands)(,(brands|categories|priceBands))*$', description: 'Comma list of brands, categories, priceBands' })),
    priceEdges: Type.Optional(Type.String({ pattern: '^\\d+(\\.\\d+)?(,\\d+(\\.\\d+)?){0,49}$', description: 'Ascending price band edges for facets=priceBands (default 0,10,25,50,100,250,500,1000)' })),
    personalize: Type.Optional(Type.Boolean()),
    ...selectionQuery,
  },
  { additionalProperties: false },
);

/** POST /v1/search */
export const SearchBody = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS, description: `Query text, 1..${MAX_QUERY_CHARS} characters` }),
    user: Type.Optional(Id('User')),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET })),
    sort: Type.Optional(Sort),
    facets: Type.Optional(Type.Object({
      brands: Type.Optional(Type.Boolean()),
      categories: Type.Optional(Type.Boolean()),
      priceBands: Type.Optional(Type.Array(Price, { minItems: 1, maxItems: 50, description: 'Ascending edges' })),
    }, { additionalProperties: false })),
    personalize: Type.Optional(Type.Boolean()),
    ...selectionBody,
  },
  { additionalProperties: false },
);

/** 200 of search. */
export const SearchResult = Type.Object({
  query: Type.String(),
  items: Type.Array(Type.Ref(ResultItem)),
  total: Type.Integer(),
  facets: Facets,
  droppedTerms: Type.Array(Type.String()),
  truncated: Type.Boolean(),
  personalized: Type.Boolean(),
  tookMs: Type.Number(),
});

/** GET /v1/recommend */
export const RecommendQuery = Type.Object(
  {
    user: Id('User'),
    contextItem: Type.Optional(Id('Item being viewed')),
    contextCategory: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'Category being browsed, `A>B>C`' })),
    contextQuery: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS })),
    excludeSeen: Type.Optional(Type.Boolean({ description: 'Leave out items the user interacted with (default true)' })),
    ...filterQuery,
    ...selectionQuery,
  },
  { additionalProperties: false },
);

/** POST /v1/recommend */
export const RecommendBody = Type.Object(
  {
    user: Id('User'),
    context: Type.Optional(Type.Object({
      item: Type.Optional(Id('Item being viewed')),
      category: Type.Optional(CategoryPath),
      query: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS })),
    }, { additionalProperties: false })),
    excludeSeen: Type.Optional(Type.Boolean()),
    ...selectionBody,
  },
  { additionalProperties: false },
);

/** 200 of recommend. */
export const RecommendResult = Type.Object({
  user: Type.String(),
  items: Type.Array(Type.Ref(ResultItem)),
  source: Type.Union([Type.Literal('model'), Type.Literal('fold-in'), Type.Literal('profile-popular'), Type.Literal('popular')]),
  modelVersion: Type.Optional(Type.String()),
  tookMs: Type.Number(),
});

/** GET /v1/similar */
export const SimilarQuery = Type.Object({ item: Id('Item'), k: Type.Optional(K), ...filterQuery }, { additionalProperties: false });

/** 200 of similar. */
export const SimilarResult = Type.Object({
  item: Type.String(),
  items: Type.Array(Type.Ref(ResultItem)),
  source: Type.Union([Type.Literal('model'), Type.Literal('category')]),
  tookMs: Type.Number(),
});

/** `:id` path parameter. */
export const IdParams = Type.Object({ id: Id('Identifier') });

const Affinity = Type.Array(Type.Object({ value: Type.String(), score: Type.Number() }));

/** 200 of GET /v1/users/:id/profile. */
export const ProfileResult = Type.Object({
  user: Type.String(),
  events: Type.Integer(),
  firstSeen: Type.Optional(Type.Number()),
  lastSeen: Type.Optional(Type.Number()),
  segments: Type.Array(Type.Object({ kind: Type.String(), label: Type.String(), labelZh: Type.Optional(Type.String()) })),
  affinities: Type.Object({ categories: Affinity, brands: Affinity, priceBands: Affinity }),
  hasVector: Type.Boolean(),
  explanation: Type.Optional(Type.Unknown({ description: 'Which events shaped the top affinities' })),
});

/** 200 of DELETE /v1/users/:id. */
export const EraseResult = Type.Object({ user: Type.String(), eventsDeleted: Type.Integer(), profileDeleted: Type.Boolean(), factorsDeleted: Type.Boolean() });

/** 200 of GET /v1/inventory (the data package's inventory report). */
export const InventoryResult = Type.Object(
  { generatedAt: Type.String(), nowMs: Type.Number() },
  { additionalProperties: true, description: "The data inventory report (see @souk/data's InventoryReport)" },
);

const ModelName = Type.Union(ENGINE_MODELS.map((m) => Type.Literal(m)));

/** POST /v1/admin/retrain */
export const RetrainBody = Type.Object(
  {
    model: Type.Optional(ModelName),
    params: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.Number(), Type.String({ maxLength: 256 }), Type.Boolean()]), { maxProperties: 32 })),
    evaluate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** A retraining job. */
export const RetrainJob = Type.Object(
  {
    id: Type.String(),
    model: Type.String(),
    state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    startedAt: Type.Number(),
    finishedAt: Type.Optional(Type.Number()),
    version: Type.Optional(Type.String()),
    metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    inWorker: Type.Optional(Type.Boolean({ description: 'Training ran in a worker thread (false: in-process), once started' })),
  },
  { $id: 'RetrainJob' },
);

/** 200 of GET /v1/admin/retrain. */
export const RetrainStatus = Type.Object({ job: Type.Union([Type.Ref(RetrainJob), Type.Null()], { description: 'The current or last job; null before the first' }) });

/** 200 of GET /healthz. */
export const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('not_ready'), Type.Literal('shutting_down')]),
  ready: Type.Boolean({ description: 'A trained model is loaded' }),
  modelVersion: Type.Optional(Type.String()),
  modelName: Type.Optional(Type.String()),
  items: Type.Integer(),
  users: Type.Integer(),
  events: Type.Integer(),
  backend: Type.String(),
  uptimeMs: Type.Number(),
  reads: Type.Optional(
    Type.Object(
      {
        workers: Type.Integer({ description: 'Read workers running' }),
        ready: Type.Integer({ description: 'Read workers holding their catalog replica' }),
        served: Type.Array(Type.Integer(), { description: 'Reads answered by each worker' }),
        local: Type.Integer({ description: 'Reads answered on the event loop' }),
      },
      { description: 'Read workers (search and recommend off the event loop), when the server runs any' },
    ),
  ),
});

/** GET /healthz query. */
export const HealthQuery = Type.Object(
  { ready: Type.Optional(Type.Boolean({ description: 'Answer 503 unless a trained model is loaded (readiness probe)' })) },
  { additionalProperties: false },
);

/** Schemas registered once and referenced by `$ref` (they appear under components in the OpenAPI document). */
export const sharedSchemas: readonly TSchema[] = [ErrorResponse, ItemView, ResultItem, RetrainJob];
