/**
 * The engine's public contract: options, requests and JSON-ready responses. `@souk/server` maps
 * these one to one onto HTTP, `@souk/cli` onto commands; keep every response plain data (no
 * class instances, typed arrays or Maps) so it serialises as is.
 * @packageDocumentation
 */
import type { EventRecord, InventoryReport, ItemRecord, UserRecord } from '@souk/data';
import type { FacetCounts, SearchFilter, SortOrder, FacetRequest } from '@souk/retrieval';
import type { DiversityOptions, MerchandisingRules, SelectionMode } from '@souk/ranking';

/** Models the engine can train. */
export const ENGINE_MODELS = ['als', 'bpr', 'mf', 'item-knn', 'ease', 'popularity'] as const;
/** One of {@link ENGINE_MODELS}. */
export type EngineModelName = (typeof ENGINE_MODELS)[number];

/** Options of {@link Engine.open}. */
export interface EngineOptions {
  /**
   * Directory holding everything the engine persists: `souk.db` (the SQLite store), `models/`
   * (trained model files and the active-model pointer), `index/` (the text index). Created if
   * missing. `':memory:'` keeps everything in memory (tests, scripts).
   */
  readonly dataDir: string;
  /** Model trained by {@link Engine.retrain} when none is named (default `'als'`). */
  readonly model?: EngineModelName;
  /** Hyper-parameters per model (merged over each model's defaults). */
  readonly modelParams?: Partial<Record<EngineModelName, Record<string, unknown>>>;
  /**
   * Pseudonymise user ids with HMAC-SHA-256 under this secret before they are stored or kept in
   * memory (at least 16 bytes). Every method then takes and returns the caller's ids: the
   * pseudonym never leaves the engine. Changing the secret makes earlier users unreachable.
   */
  readonly pseudonymizeSecret?: string;
  /** Run retraining in a worker thread (default true; false trains in-process, for debugging). */
  readonly retrainInWorker?: boolean;
  /**
   * Worker threads that answer searches and recommendations, each with a replica of the catalog
   * state (items, text index, popularity, item vectors: about the memory of the catalog and
   * model again per worker), so that reads use more cores (default 0: everything on the event
   * loop). Profiles, the store and writes stay on the event loop; answers are the same either way.
   */
  readonly readWorkers?: number;
  /** Retrain automatically after this many new events (default off). */
  readonly autoRetrainEvents?: number;
  /** Clock (ms since the epoch) for profiles and recency (default `Date.now`). */
  readonly now?: () => number;
  /**
   * Commit ingested events on a second store connection in a worker thread, so the fsync of each
   * commit does not stall searches and recommendations (default true; data directories only).
   */
  readonly appendThread?: boolean;
  /** Durability of the store (default `'full'`: an acknowledged write survives power loss). */
  readonly synchronous?: 'full' | 'normal';
  /**
   * Write a snapshot of the replayed state (profiles, popularity) to `state.snapshot.jsonl` on
   * close, so the next open reads it instead of replaying every event (default true; ignored
   * for `':memory:'`). The snapshot is used only when the store is unchanged since; closing takes
   * longer with it (about as long as writing the profiles as JSON).
   */
  readonly stateSnapshot?: boolean;
  /** A pino-compatible logger (`info`, `warn`, `error`, `debug` with (obj, msg)); default silent. */
  readonly logger?: EngineLogger;
}

/** The logger interface the engine writes to (pino's shape). */
export interface EngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** One rejected input row of an ingest call. */
export interface RejectedRow {
  /** 0-based position in the request. */
  readonly index: number;
  /** Stable code (`ERR_SCHEMA`, `ERR_UNKNOWN_ITEM`, …). */
  readonly code: string;
  /** Field at fault (`''` for the whole row). */
  readonly field: string;
  /** What was expected and what was received. */
  readonly reason: string;
}

/** Options of {@link Engine.ingestEvents}. */
export interface IngestEventsOptions {
  /**
   * Idempotency key of the batch (a client-chosen string, at most 256 characters). A batch sent
   * again with the same key is not stored twice: the first answer is returned.
   */
  readonly batchId?: string;
}

/** The answer to {@link Engine.ingestEvents}: returned only once accepted events are durable. */
export interface IngestEventsResult {
  /** Events stored (durable when this resolves). */
  readonly accepted: number;
  /** Rows refused, with reasons; they are not stored. */
  readonly rejected: RejectedRow[];
  /** The batch was a replay of an earlier one with the same `batchId` (nothing new stored). */
  readonly duplicateBatch: boolean;
  /** Users whose profile and fold-in vector were updated by this batch. */
  readonly usersUpdated: number;
}

/** The answer to {@link Engine.ingestItems}. */
export interface IngestItemsResult {
  /** New items. */
  readonly inserted: number;
  /** Existing items replaced. */
  readonly updated: number;
  /** Rows refused. */
  readonly rejected: RejectedRow[];
}

/** An item as returned to callers. */
export interface ItemView {
  readonly id: string;
  readonly title: string;
  readonly brand?: string;
  readonly categoryPath: string[];
  readonly price?: number;
  readonly currency?: string;
  readonly inStock: boolean;
  readonly tags: string[];
}

/** One result row of search, recommend or similar. */
export interface ResultItem {
  /** The item. */
  readonly item: ItemView;
  /** 1-based position. */
  readonly position: number;
  /** Final ranking score (undefined for a pinned item that was not a candidate). */
  readonly score: number | undefined;
  /** Why it is here: `ranked`, `pinned`, `buried`, or a fallback source (`popular`, `popular-in-category`). */
  readonly reason: string;
  /** Per-feature contributions to the score, when `explain` was asked. */
  readonly explanation?: Record<string, number>;
}

/** Options shared by the ranked requests. */
export interface RankedRequestOptions {
  /** The user (the caller's id); absent for anonymous requests. */
  readonly user?: string;
  /** Results returned, 1..100 (default 10). */
  readonly k?: number;
  /** Filters (category subtree, brand, price, stock, attributes). */
  readonly filters?: SearchFilter;
  /** `top` (default), `softmax` or `sample` (exploration). */
  readonly mode?: SelectionMode;
  /** Softmax temperature (default 1). */
  readonly temperature?: number;
  /** Seed of `sample`. */
  readonly seed?: number;
  /** Diversity limits. */
  readonly diversity?: DiversityOptions;
  /** Merchandising rules. */
  readonly rules?: MerchandisingRules;
  /** Include per-feature score contributions. */
  readonly explain?: boolean;
}

/** Options of {@link Engine.search}. */
export interface SearchOptions extends RankedRequestOptions {
  /** Hits to skip (default 0). */
  readonly offset?: number;
  /** Sort order (default `relevance`: the personalised ranking). */
  readonly sort?: SortOrder;
  /** Facets to count. */
  readonly facets?: FacetRequest;
  /** Personalise (default true when a user is given). */
  readonly personalize?: boolean;
}

/** The answer to {@link Engine.search}. */
export interface SearchResponse {
  readonly query: string;
  readonly items: ResultItem[];
  /** Items matching the query and filters. */
  readonly total: number;
  readonly facets: FacetCounts;
  /** Terms dropped by the zero-result fallback. */
  readonly droppedTerms: string[];
  /** The query was cut to the length limit. */
  readonly truncated: boolean;
  /** The ranking was personalised for the user. */
  readonly personalized: boolean;
  /** Milliseconds spent. */
  readonly tookMs: number;
}

/** Options of {@link Engine.recommend}. */
export interface RecommendOptions extends Omit<RankedRequestOptions, 'user'> {
  /** Context: the item being viewed, a category being browsed, or a query. */
  readonly context?: { readonly item?: string; readonly category?: readonly string[]; readonly query?: string };
  /** Leave out items the user already interacted with (default true). */
  readonly excludeSeen?: boolean;
}

/** Where recommendations came from. */
export type RecommendSource = 'model' | 'fold-in' | 'profile-popular' | 'popular';

/** The answer to {@link Engine.recommend}. */
export interface RecommendResponse {
  readonly user: string;
  readonly items: ResultItem[];
  /** `model` (trained factors), `fold-in` (a user seen after training), `profile-popular` / `popular` (cold start). */
  readonly source: RecommendSource;
  /** Version of the model that answered (undefined before the first training). */
  readonly modelVersion?: string;
  readonly tookMs: number;
}

/** Options of {@link Engine.similar}. */
export interface SimilarOptions {
  /** Results returned, 1..100 (default 10). */
  readonly k?: number;
  /** Filters. */
  readonly filters?: SearchFilter;
}

/** The answer to {@link Engine.similar}. */
export interface SimilarResponse {
  readonly item: string;
  readonly items: ResultItem[];
  /** `model` (factor or neighbour similarity) or `category` (cold item: same category, by popularity). */
  readonly source: 'model' | 'category';
  readonly tookMs: number;
}

/** A user's profile as returned to callers. */
export interface ProfileView {
  readonly user: string;
  /** Events that shaped the profile. */
  readonly events: number;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  /** Readable segment labels (English and Chinese). */
  readonly segments: Array<{ readonly kind: string; readonly label: string; readonly labelZh?: string }>;
  /** Top affinities per family. */
  readonly affinities: {
    readonly categories: Array<{ readonly value: string; readonly score: number }>;
    readonly brands: Array<{ readonly value: string; readonly score: number }>;
    readonly priceBands: Array<{ readonly value: string; readonly score: number }>;
  };
  /** Whether a latent vector (training or fold-in) exists. */
  readonly hasVector: boolean;
  /** Which events shaped the top affinities (from `profile.explain()`). */
  readonly explanation: unknown;
}

/** The answer to {@link Engine.eraseUser}. */
export interface EraseResult {
  readonly user: string;
  /** Events deleted from the store. */
  readonly eventsDeleted: number;
  readonly profileDeleted: boolean;
  readonly factorsDeleted: boolean;
}

/** Options of {@link Engine.retrain}. */
export interface RetrainOptions {
  /** Model to train (default the engine's). */
  readonly model?: EngineModelName;
  /** Hyper-parameters for this run. */
  readonly params?: Record<string, unknown>;
  /** Hold out the last interactions per user and report metrics at 10 (default true). */
  readonly evaluate?: boolean;
}

/** State of a retraining job. */
export interface RetrainJob {
  readonly id: string;
  readonly model: EngineModelName;
  readonly state: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly startedAt: number;
  readonly finishedAt?: number;
  /** Version the job produced (on success); it is active from `finishedAt`. */
  readonly version?: string;
  /** Held-out metrics at 10 (nDCG, recall, precision, MAP, AUC). */
  readonly metrics?: Record<string, number>;
  /** Error code and message (on failure). */
  readonly error?: { readonly code: string; readonly message: string };
  /** Whether training ran in a worker thread (false: in-process), once started. */
  readonly inWorker?: boolean;
}

/** Counters and gauges for health checks and `/metrics`. */
export interface EngineStats {
  readonly items: number;
  readonly users: number;
  readonly events: number;
  /** Events accepted since open. */
  readonly eventsIngested: number;
  readonly modelVersion?: string;
  readonly modelName?: EngineModelName;
  readonly modelTrainedAt?: number;
  readonly retrain?: RetrainJob;
  /** Kernel backend in use and why. */
  readonly backend: string;
  readonly uptimeMs: number;
  /** With `readWorkers`: workers running and ready, reads each answered, reads answered on the event loop. */
  readonly reads?: ReadStats;
  /**
   * The text index's result cache (see `@souk/retrieval` `TextIndex`), over the event loop's index
   * and every read worker's, since open: searches (and context queries) answered from it, and not.
   */
  readonly searchCache: { readonly hits: number; readonly misses: number };
}

/** Read workers' counters (see {@link EngineOptions.readWorkers}). */
export interface ReadStats {
  readonly workers: number;
  readonly ready: number;
  readonly served: readonly number[];
  readonly local: number;
}

/** Inputs of {@link Engine.ingest}. */
export interface IngestInput {
  readonly items?: readonly unknown[];
  readonly users?: readonly unknown[];
  readonly events?: readonly unknown[];
}

/** Files ingested by {@link Engine.ingestFiles} (CSV, JSONL or Parquet, by extension). */
export interface IngestFiles {
  readonly items?: string;
  readonly users?: string;
  readonly events?: string;
  readonly transactions?: string;
}

/** Answer of {@link Engine.ingestFiles}: per asset, the data package's ingest summary. */
export type IngestFilesResult = Partial<Record<keyof IngestFiles, { readonly inserted: number; readonly ignored: number; readonly quarantined: number }>>;

export type { EventRecord, ItemRecord, UserRecord, InventoryReport };
