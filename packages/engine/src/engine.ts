/**
 * The engine: one object over the store, models, profiles, text index and ranker.
 * @packageDocumentation
 */
import { EngineError } from './errors.js';
import type {
  EngineOptions, EngineStats, EraseResult, IngestEventsOptions, IngestEventsResult, IngestFiles, IngestFilesResult,
  IngestInput, IngestItemsResult, InventoryReport, ProfileView, RecommendOptions, RecommendResponse, RetrainJob,
  RetrainOptions, SearchOptions, SearchResponse, SimilarOptions, SimilarResponse, ItemView,
} from './types.js';

const todo = (): never => {
  throw new EngineError('ERR_ARGUMENT', 'not implemented yet');
};

/**
 * Souk's engine. Open one per data directory with {@link Engine.open}; every method is safe to
 * call concurrently from one event loop; {@link Engine.close} flushes and releases the store.
 */
export class Engine {
  /** Opens (creating if needed) the engine over `options.dataDir`, loading the active model and index. */
  static async open(options: EngineOptions): Promise<Engine> {
    void options;
    return todo();
  }

  /** Stores events (validated; bad rows are returned, not stored) and updates profiles and fold-in vectors. Resolves once durable. */
  async ingestEvents(events: readonly unknown[], options: IngestEventsOptions = {}): Promise<IngestEventsResult> {
    void events; void options;
    return todo();
  }

  /** Adds or replaces catalog items (store, text index, ranking catalog). */
  async ingestItems(items: readonly unknown[]): Promise<IngestItemsResult> {
    void items;
    return todo();
  }

  /** Adds users (attributes). */
  async ingestUsers(users: readonly unknown[]): Promise<{ inserted: number; rejected: IngestItemsResult['rejected'] }> {
    void users;
    return todo();
  }

  /** Items, users and events in one call (in that order). */
  async ingest(input: IngestInput): Promise<{ items?: IngestItemsResult; users?: { inserted: number }; events?: IngestEventsResult }> {
    void input;
    return todo();
  }

  /** Bulk ingest of files through the data package's streaming ingest (quarantine, lineage). */
  async ingestFiles(files: IngestFiles, options: { onProgress?: (asset: string, rows: number) => void } = {}): Promise<IngestFilesResult> {
    void files; void options;
    return todo();
  }

  /** Product search, personalised for `options.user` when given. */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResponse> {
    void query; void options;
    return todo();
  }

  /** Recommendations for a user (cold start: popular items in the profile's or context's categories). */
  async recommend(user: string, options: RecommendOptions = {}): Promise<RecommendResponse> {
    void user; void options;
    return todo();
  }

  /** Items similar to `item` (cold item: same category by popularity). */
  async similar(item: string, options: SimilarOptions = {}): Promise<SimilarResponse> {
    void item; void options;
    return todo();
  }

  /** A user's profile, or undefined for a user never seen. */
  profile(user: string): ProfileView | undefined {
    void user;
    return todo();
  }

  /** An item, or undefined. */
  item(id: string): ItemView | undefined {
    void id;
    return todo();
  }

  /** Erases a user: events, profile, factors; later training never sees them. */
  async eraseUser(user: string): Promise<EraseResult> {
    void user;
    return todo();
  }

  /** The data inventory report. */
  async inventory(): Promise<InventoryReport> {
    return todo();
  }

  /** Starts retraining in the background; resolves with the queued job (poll {@link Engine.retrainStatus} or await {@link Engine.waitForRetrain}). `ERR_BUSY` while one runs. */
  async retrain(options: RetrainOptions = {}): Promise<RetrainJob> {
    void options;
    return todo();
  }

  /** The current or last retraining job. */
  retrainStatus(): RetrainJob | undefined {
    return todo();
  }

  /** Resolves when the current job ends, with its final state. */
  async waitForRetrain(): Promise<RetrainJob | undefined> {
    return todo();
  }

  /** Counters for health and metrics. */
  stats(): EngineStats {
    return todo();
  }

  /** Waits for in-flight writes, stops any retraining, closes the store. Idempotent. */
  async close(): Promise<void> {
    return todo();
  }
}
