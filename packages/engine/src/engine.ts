/**
 * The engine: one object over the store, models, profiles, text index and ranker.
 * @packageDocumentation
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildInventoryReport, ingest as ingestFile, openSqliteStore, toEvent, toTransaction, toUser, validateAsset,
  type DataStore, type EventRecord, type ItemRecord, type UserRecord,
} from '@souk/data';
import { FactorModel, loadModel } from '@souk/models';
import type { Matrix } from '@souk/kernels';
import { checkEvent, ProfileStore, type FoldInModel, type ProfileCatalog, type ProfileError, type UserProfile } from '@souk/profiles';
import { validateIndexableItem, type SearchFilter } from '@souk/retrieval';
import { modelCandidates, pickPopular, usesVector } from './candidates.js';
import { execRecommend, execSearch, type RecommendExec, type SearchExec } from './exec.js';
import { CacheTally, ReadRouter, type ReplicaState } from './reads.js';
import { CatalogState, forwardingProfileCatalog, POPULARITY_TYPES } from './catalog.js';
import { kernelInfo } from './kernel-info.js';
import { EngineError, engineError } from './errors.js';
import { createModel, loadActiveModel, newVersion, removeVersion, writeActivePointer, type LiveModel } from './model-files.js';
import { userData, UserVectors } from './personal.js';
import { UserIdMapper } from './pseudonym.js';
import { storeFingerprint, takeSnapshot, writeSnapshot } from './snapshot.js';
import { yieldingBatches } from './yielding.js';
import { prepareTraining, startJob, type RunningJob } from './retrain.js';
import { checkArray, checkId, checkK, checkOneOf, checkOptions, mapErrors, toEngineError } from './validate.js';
import { itemView, profileView } from './views.js';
import {
  ENGINE_MODELS,
  type EngineLogger, type EngineModelName, type EngineOptions, type EngineStats, type EraseResult, type IngestEventsOptions,
  type IngestEventsResult, type IngestFiles, type IngestFilesResult, type IngestInput, type IngestItemsResult, type InventoryReport,
  type ItemView, type ProfileView, type RankedRequestOptions, type RecommendOptions, type RecommendResponse,
  type RejectedRow, type ResultItem, type RetrainJob, type RetrainOptions, type SearchOptions, type SearchResponse,
  type SimilarOptions, type SimilarResponse,
} from './types.js';

/** A matrix as plain data (its rows, columns and values), for a worker message. */
function plainMatrix(m: Matrix): Matrix {
  return { data: m.data, rows: m.rows, cols: m.cols };
}

/** The state snapshot file in the data directory (see snapshot.ts). */
const STATE_FILE = 'state.snapshot.jsonl';

const SILENT: EngineLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

/** Source id label of items and users written through the API. */
const ONLINE_SOURCE = { items: 'online-items', users: 'online-users' } as const;

interface EngineParts {
  readonly options: EngineOptions;
  readonly store: DataStore;
  readonly modelsDir: string | undefined;
  readonly statePath: string | undefined;
  readonly ids: UserIdMapper;
  readonly logger: EngineLogger;
  readonly now: () => number;
}

type MutableJob = { -readonly [K in keyof RetrainJob]: RetrainJob[K] };

/**
 * Souk's engine. Open one per data directory with {@link Engine.open}; every method is safe to
 * call concurrently from one event loop; {@link Engine.close} flushes and releases the store.
 *
 * User ids are the caller's: with `pseudonymizeSecret` they are replaced by an HMAC before they
 * are stored or kept, and responses echo the caller's id.
 */
export class Engine {
  private readonly options: EngineOptions;
  private readonly store: DataStore;
  private readonly modelsDir: string | undefined;
  private readonly statePath: string | undefined;
  private readonly ids: UserIdMapper;
  private readonly logger: EngineLogger;
  private readonly now: () => number;
  private readonly openedAt = Date.now();
  private catalog = new CatalogState();
  /** While {@link Engine.loadState} rebuilds: events applied meanwhile, by store key, replayed into the new state. */
  private rebuildTail: Map<number, EventRecord> | undefined;
  private readonly vectors = new UserVectors();
  private readonly foldIn: FoldInModel;
  /** The profile catalog the profiles read: forwards to the newest one (see {@link forwardingProfileCatalog}). */
  private readonly profileCatalog: ProfileCatalog;
  private profileCatalogTarget: ProfileCatalog;
  private profiles: ProfileStore;
  private live: LiveModel | undefined;
  private readonly erased = new Map<string, number>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly reads: ReadRouter;
  /** Result-cache counts of the event loop's text index (added when stats are read). */
  private readonly localCacheTally = new CacheTally();
  private job: MutableJob | undefined;
  private jobDone: Promise<void> | undefined;
  private running: RunningJob | undefined;
  private closed = false;
  /** Serialises catalog changes (item ingest, file ingest and its rebuild). */
  private catalogQueue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private eventsTotal = 0;
  private eventsIngested = 0;
  private eventsSinceRetrain = 0;

  private constructor(parts: EngineParts) {
    this.options = parts.options;
    this.store = parts.store;
    this.modelsDir = parts.modelsDir;
    this.statePath = parts.statePath;
    this.ids = parts.ids;
    this.logger = parts.logger;
    this.now = parts.now;
    // Profiles keep every engaged item for fold-in; the live model (whichever it is when a
    // vector is needed) does the solve, in personal.ts.
    this.foldIn = { itemIndexOf: () => 0, recalculateUser: () => new Float32Array(0) };
    this.profileCatalogTarget = this.catalog.profileCatalog;
    this.profileCatalog = forwardingProfileCatalog(() => this.profileCatalogTarget);
    this.profiles = new ProfileStore({ catalog: this.profileCatalog, model: this.foldIn });
    this.reads = new ReadRouter(this.logger, (id) => {
      const item = this.catalog.items.get(id);
      return item ? itemView(item) : undefined;
    });
  }

  /**
   * Opens (creating if needed) the engine over `options.dataDir`: the store `souk.db`, the active
   * model of `models/`, and the in-memory catalog, text index, popularity and profiles rebuilt
   * from the store (profiles from the state snapshot of the last clean close when the store is
   * unchanged since, else by replaying every stored event). `':memory:'` keeps everything in
   * memory. A model that cannot be loaded is logged and skipped (cold-start answers until the
   * next retraining).
   */
  static async open(options: EngineOptions): Promise<Engine> {
    if (typeof options !== 'object' || options === null) throw engineError('ERR_ARGUMENT', 'options with a dataDir', 'options', options);
    const dataDir = options.dataDir;
    if (typeof dataDir !== 'string' || dataDir.length === 0) throw engineError('ERR_ARGUMENT', "a directory path or ':memory:'", 'dataDir', dataDir);
    if (options.model !== undefined) checkOneOf(options.model, ENGINE_MODELS, 'model');
    if (options.readWorkers !== undefined && !(Number.isInteger(options.readWorkers) && options.readWorkers >= 0 && options.readWorkers <= 64)) {
      throw engineError('ERR_ARGUMENT', 'an integer in [0, 64]', 'readWorkers', options.readWorkers);
    }
    if (options.autoRetrainEvents !== undefined && !(Number.isInteger(options.autoRetrainEvents) && options.autoRetrainEvents > 0)) {
      throw engineError('ERR_ARGUMENT', 'a positive integer', 'autoRetrainEvents', options.autoRetrainEvents);
    }
    checkOneOf(options.synchronous, ['full', 'normal'] as const, 'synchronous');
    const ids = new UserIdMapper(options.pseudonymizeSecret);
    const now = options.now ?? Date.now;
    const logger = options.logger ?? SILENT;
    const memory = dataDir === ':memory:';
    let store: DataStore;
    try {
      if (!memory) await mkdir(dataDir, { recursive: true });
      store = openSqliteStore(memory ? ':memory:' : join(dataDir, 'souk.db'), { synchronous: options.synchronous ?? 'full', appendThread: options.appendThread !== false });
    } catch (e) {
      throw new EngineError('ERR_STORE', `Expected a writable data directory for dataDir but received ${JSON.stringify(dataDir)}: ${(e as Error).message}`, { cause: e });
    }
    const engine = new Engine({ options, store, modelsDir: memory ? undefined : join(dataDir, 'models'), statePath: memory || options.stateSnapshot === false ? undefined : join(dataDir, STATE_FILE), ids, logger, now });
    try {
      const started = performance.now();
      if (engine.modelsDir) {
        try {
          engine.live = await loadActiveModel(engine.modelsDir);
        } catch (e) {
          // A damaged model file must not keep the service down: serve cold-start answers until the next retraining.
          logger.error({ err: (e as Error).message, modelsDir: engine.modelsDir }, 'the active model cannot be loaded; starting without a model');
        }
      }
      await engine.loadState(true);
      if ((options.readWorkers ?? 0) > 0) engine.reads.start(options.readWorkers!, engine.replicaState());
      logger.info({ dataDir, items: engine.catalog.items.size, users: engine.profiles.size, events: engine.eventsTotal, model: engine.live?.version, ms: Math.round(performance.now() - started) }, 'engine opened');
    } catch (e) {
      await store.close().catch(() => undefined);
      throw toEngineError(e);
    }
    return engine;
  }

  /**
   * Rebuilds the in-memory state from the store (open, and after bulk file ingest) into new
   * objects, swapped in at the end: requests meanwhile see the old state, and events ingested
   * meanwhile are replayed into the new one if the scan missed them.
   */
  private async loadState(useSnapshot = false): Promise<void> {
    const t0 = performance.now();
    const items: ItemRecord[] = [];
    for await (const batch of yieldingBatches(this.store.scanItems())) for (const { sourceId: _s, line: _l, ...item } of batch) items.push(item);
    const t1 = performance.now();
    const restored = new ProfileStore({ catalog: this.profileCatalog, model: this.foldIn });
    const snapshot = useSnapshot && this.statePath ? await takeSnapshot(this.statePath, await storeFingerprint(this.store), (json) => restored.restore(json)) : undefined;
    const tRead = performance.now();
    const catalog = new CatalogState();
    catalog.upsert(items);
    // Profiles rebuilt below read the new catalog (a superset of the old one for requests meanwhile).
    this.profileCatalogTarget = catalog.profileCatalog;
    const t2 = performance.now();
    const erased = new Map<string, number>();
    for (const e of await this.store.listErasures()) erased.set(e.user, e.erasedAt);
    if (snapshot) {
      const profiles = restored;
      for (const [id, count] of snapshot.popularity) catalog.popularity.set(id, count);
      this.finishLoad(catalog, profiles, erased, snapshot.eventsTotal);
      this.logger.info({ items: items.length, events: snapshot.eventsTotal, users: profiles.size, scanItemsMs: Math.round(t1 - t0), readSnapshotMs: Math.round(tRead - t1), indexMs: Math.round(t2 - tRead), profilesMs: Math.round(performance.now() - t2) }, 'state loaded from the snapshot');
      return;
    }
    const profiles = new ProfileStore({ catalog: this.profileCatalog, model: this.foldIn });
    const tail = (this.rebuildTail = new Map());
    let total = 0;
    const apply = (e: EventRecord) => {
      total++;
      if (e.item !== undefined && POPULARITY_TYPES.has(e.type)) catalog.popularity.set(e.item, (catalog.popularity.get(e.item) ?? 0) + 1);
      if (e.item !== undefined && !catalog.items.has(e.item)) return;
      try {
        profiles.update(e);
      } catch {
        // A stored event the profiles cannot use (e.g. an item event without an item) shapes nothing.
      }
    };
    try {
      for await (const batch of yieldingBatches(this.store.scanEventTuples())) {
        for (const [key, user, item, type, value, timestamp, , session] of batch) {
          tail.delete(key);
          const e: { -readonly [K in keyof EventRecord]: EventRecord[K] } = { user, type, timestamp };
          if (item !== null) e.item = item;
          if (value !== null) e.value = value;
          if (session !== null) e.session = session;
          apply(e);
        }
      }
      for (const e of tail.values()) apply(e);
    } finally {
      this.rebuildTail = undefined;
    }
    const t3 = performance.now();
    this.finishLoad(catalog, profiles, erased, total);
    const ms = (a: number, b: number) => Math.round(b - a);
    this.logger.info({ items: items.length, events: total, users: profiles.size, scanItemsMs: ms(t0, t1), indexMs: ms(tRead, t2), replayMs: ms(t2, t3), modelMs: ms(t3, performance.now()) }, 'state loaded');
  }

  /** Swaps rebuilt state in. */
  private finishLoad(catalog: CatalogState, profiles: ProfileStore, erased: ReadonlyMap<string, number>, eventsTotal: number): void {
    catalog.syncPopularity();
    this.catalog = catalog;
    this.profiles = profiles;
    this.erased.clear();
    for (const [user, at] of erased) this.erased.set(user, at);
    this.eventsTotal = eventsTotal;
    this.applyModel(this.live);
    if (this.reads.active) this.reads.broadcast({ t: 'reset', state: this.replicaState() });
  }

  /** The catalog state the read workers start from. */
  private replicaState(): ReplicaState {
    return { items: [...this.catalog.items.values()], popularity: [...this.catalog.popularity], vectors: this.catalog.itemVectors && { ids: this.catalog.itemVectors.ids, factors: plainMatrix(this.catalog.itemVectors.factors) } };
  }

  /** Makes `live` the active model (one assignment; requests in flight keep the one they read). */
  private applyModel(live: LiveModel | undefined): void {
    const m = live?.recommender;
    const vectors = m instanceof FactorModel && m.itemIds ? { ids: m.itemIds, factors: m.itemFactors } : undefined;
    this.catalog.setItemVectors(vectors);
    if (this.reads.active) this.reads.broadcast({ t: 'vectors', vectors: vectors && { ids: vectors.ids, factors: plainMatrix(vectors.factors) } });
    this.vectors.clear();
    this.live = live;
  }

  private checkOpen(): void {
    if (this.closed) throw new EngineError('ERR_CLOSED', 'The engine was closed');
  }

  /** Runs `body` after every earlier catalog change has finished. */
  private exclusive<T>(body: () => Promise<T>): Promise<T> {
    const run = this.catalogQueue.then(body, body);
    this.catalogQueue = run.catch(() => undefined);
    return run;
  }

  /** Runs a write, tracked so that {@link Engine.close} waits for it. */
  private async tracked<T>(body: () => Promise<T>): Promise<T> {
    this.checkOpen();
    const p = body();
    this.pending.add(p);
    try {
      return await p;
    } catch (e) {
      throw toEngineError(e);
    } finally {
      this.pending.delete(p);
    }
  }

  /**
   * Stores events (validated; bad rows are returned, not stored) and updates profiles and fold-in
   * vectors at once. Resolves once durable. An event for an item the catalog does not hold is
   * refused (`ERR_UNKNOWN_ITEM`: send items first); an event of an erased user at or before the
   * erasure is refused (`ERR_ERASED`). With `batchId`, a batch sent again stores nothing and
   * returns the first answer with `duplicateBatch: true`.
   */
  async ingestEvents(events: readonly unknown[], options: IngestEventsOptions = {}): Promise<IngestEventsResult> {
    this.checkOpen();
    checkArray(events, 'events');
    checkOptions(options);
    const batchId = options.batchId === undefined ? undefined : checkId(options.batchId, 'batchId');
    const accepted: EventRecord[] = [];
    const rejected: RejectedRow[] = [];
    events.forEach((row, index) => {
      const problem = validateAsset('events', row);
      if (problem) return void rejected.push({ index, code: 'ERR_SCHEMA', field: problem.field, reason: problem.reason });
      const e = row as EventRecord;
      try {
        checkEvent(e, this.catalog.profileCatalog);
      } catch (err) {
        const code = (err as ProfileError).code === 'ERR_UNKNOWN_ITEM' ? 'ERR_UNKNOWN_ITEM' : 'ERR_SCHEMA';
        return void rejected.push({ index, code, field: code === 'ERR_UNKNOWN_ITEM' || e.item === undefined ? 'item' : '', reason: (err as Error).message });
      }
      const user = this.ids.internal(e.user);
      const erasedAt = this.erased.get(user);
      if (erasedAt !== undefined && e.timestamp <= erasedAt) return void rejected.push({ index, code: 'ERR_ERASED', field: 'user', reason: 'the user was erased after this event' });
      accepted.push(user === e.user ? e : { ...e, user });
    });
    const users = new Set(accepted.map((e) => e.user));
    const result: IngestEventsResult = { accepted: accepted.length, rejected, duplicateBatch: false, usersUpdated: users.size };
    return this.tracked(async () => {
      let keys: number[] = [];
      if (batchId !== undefined) {
        const stored = await this.store.appendEventBatch(batchId, accepted, result);
        if (stored.duplicate) return { ...stored.result, duplicateBatch: true };
        keys = stored.keys;
      } else if (accepted.length > 0) {
        keys = await this.store.appendEvents(accepted);
      }
      this.applyEvents(accepted, keys);
      return result;
    });
  }

  /** Applies durable events (with their store keys) to profiles, popularity and counters. */
  private applyEvents(events: readonly EventRecord[], keys: readonly number[]): void {
    events.forEach((e, i) => {
      if (this.rebuildTail && keys[i]! >= 0) this.rebuildTail.set(keys[i]!, e);
    });
    const engaged: string[] = [];
    for (const e of events) {
      // A user erased while this batch was being written keeps nothing of it in memory.
      const erasedAt = this.erased.get(e.user);
      if (erasedAt !== undefined && e.timestamp <= erasedAt) continue;
      if (e.item !== undefined && POPULARITY_TYPES.has(e.type)) {
        this.catalog.addEngagement(e.item);
        engaged.push(e.item);
      }
      try {
        this.profiles.update(e);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'a stored event did not update its profile');
      }
      this.vectors.invalidate(e.user);
    }
    if (engaged.length > 0 && this.reads.active) this.reads.broadcast({ t: 'engage', items: engaged });
    this.eventsTotal += events.length;
    this.eventsIngested += events.length;
    this.eventsSinceRetrain += events.length;
    const auto = this.options.autoRetrainEvents;
    if (auto !== undefined && this.eventsSinceRetrain >= auto && !this.running && !this.closed) {
      this.retrain().catch((e: unknown) => this.logger.warn({ err: (e as Error).message }, 'automatic retraining did not start'));
    }
  }

  /** Adds or replaces catalog items (store, text index, ranking and profile catalogs). */
  async ingestItems(items: readonly unknown[]): Promise<IngestItemsResult> {
    this.checkOpen();
    checkArray(items, 'items');
    const valid: ItemRecord[] = [];
    const rejected: RejectedRow[] = [];
    const seen = new Set<string>();
    items.forEach((row, index) => {
      const problem = validateAsset('items', row);
      if (problem) return void rejected.push({ index, code: 'ERR_SCHEMA', field: problem.field, reason: problem.reason });
      try {
        validateIndexableItem(row);
      } catch (e) {
        return void rejected.push({ index, code: 'ERR_SCHEMA', field: '', reason: (e as Error).message });
      }
      const item = row as ItemRecord;
      if (seen.has(item.id)) return void rejected.push({ index, code: 'ERR_DUPLICATE', field: 'id', reason: `item ${JSON.stringify(item.id)} appears twice in the request` });
      seen.add(item.id);
      valid.push(item);
    });
    if (valid.length === 0) return { inserted: 0, updated: 0, rejected };
    return this.tracked(() => this.exclusive(async () => {
      this.checkOpen();
      const sourceId = await this.store.registerSource({ path: 'api', sha256: ONLINE_SOURCE.items, asset: 'items', format: 'api', bytes: null });
      const { inserted, updated } = await this.store.upsertItems(valid.map((item, i) => ({ ...item, sourceId, line: i + 1 })));
      this.catalog.upsert(valid);
      if (this.reads.active) this.reads.broadcast({ t: 'items', items: valid });
      this.profileCatalogTarget = this.catalog.profileCatalog;
      return { inserted, updated, rejected };
    }));
  }

  /** Adds users (attributes); an id already stored is left as it is. */
  async ingestUsers(users: readonly unknown[]): Promise<{ inserted: number; rejected: IngestItemsResult['rejected'] }> {
    this.checkOpen();
    checkArray(users, 'users');
    const valid: UserRecord[] = [];
    const rejected: RejectedRow[] = [];
    users.forEach((row, index) => {
      const problem = validateAsset('users', row);
      if (problem) return void rejected.push({ index, code: 'ERR_SCHEMA', field: problem.field, reason: problem.reason });
      const u = row as UserRecord;
      valid.push({ ...u, id: this.ids.internal(u.id) });
    });
    if (valid.length === 0) return { inserted: 0, rejected };
    return this.tracked(async () => {
      const sourceId = await this.store.registerSource({ path: 'api', sha256: ONLINE_SOURCE.users, asset: 'users', format: 'api', bytes: null });
      const { inserted } = await this.store.insertUsers(valid.map((u, i) => ({ ...u, sourceId, line: i + 1 })));
      return { inserted, rejected };
    });
  }

  /** Items, users and events in one call (in that order). */
  async ingest(input: IngestInput): Promise<{ items?: IngestItemsResult; users?: { inserted: number }; events?: IngestEventsResult }> {
    checkOptions(input, 'input');
    const out: { items?: IngestItemsResult; users?: { inserted: number; rejected: RejectedRow[] }; events?: IngestEventsResult } = {};
    if (input.items !== undefined) out.items = await this.ingestItems(input.items);
    if (input.users !== undefined) out.users = await this.ingestUsers(input.users);
    if (input.events !== undefined) out.events = await this.ingestEvents(input.events);
    return out;
  }

  /**
   * Bulk ingest of files through the data package's streaming ingest (quarantine, lineage,
   * idempotent re-ingest; erased users' old events refused), then the in-memory state is rebuilt
   * from the store. Unlike {@link Engine.ingestEvents}, events of items not (yet) in the catalog
   * are stored; they shape profiles once their items arrive (at the next rebuild).
   */
  async ingestFiles(files: IngestFiles, options: { onProgress?: (asset: string, rows: number) => void } = {}): Promise<IngestFilesResult> {
    this.checkOpen();
    checkOptions(files, 'files');
    checkOptions(options);
    const out: { -readonly [K in keyof IngestFiles]?: { inserted: number; ignored: number; quarantined: number } } = {};
    const pseudo = (id: string) => this.ids.internal(id);
    const mappers = {
      events: (v: Record<string, unknown>) => {
        const r = toEvent(v);
        return 'record' in r ? { record: { ...r.record, user: pseudo(r.record.user) } } : r;
      },
      users: (v: Record<string, unknown>) => {
        const r = toUser(v);
        return 'record' in r ? { record: { ...r.record, id: pseudo(r.record.id) } } : r;
      },
      transactions: (v: Record<string, unknown>) => {
        const r = toTransaction(v);
        return 'record' in r && r.record.user !== undefined ? { record: { ...r.record, user: pseudo(r.record.user) } } : r;
      },
    };
    return this.tracked(() => this.exclusive(async () => {
      this.checkOpen();
      for (const asset of ['items', 'users', 'events', 'transactions'] as const) {
        const path = files[asset];
        if (path === undefined) continue;
        if (typeof path !== 'string' || path.length === 0) throw engineError('ERR_ARGUMENT', 'a file path', `files.${asset}`, path);
        const summary = await ingestFile(this.store, {
          asset,
          source: path,
          ...(asset !== 'items' && this.ids.enabled ? { mapRow: mappers[asset] } : {}),
          ...(options.onProgress ? { onProgress: (info) => options.onProgress!(asset, info.rows) } : {}),
        });
        out[asset] = { inserted: summary.inserted, ignored: summary.deduplicated, quarantined: summary.quarantined };
      }
      await this.loadState();
      return out;
    }));
  }

  // ---- reading ----

  /** Checks filters by compiling them (`ERR_ARGUMENT` for unknown fields or bad values). */
  private filterPredicate(filters: SearchFilter | undefined): ((id: string) => boolean) | undefined {
    if (filters === undefined) return undefined;
    if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) throw engineError('ERR_ARGUMENT', 'a filter object', 'filters', filters);
    return mapErrors(() => this.catalog.textIndex.idPredicate(filters));
  }

  /** Checks the selection options shared by ranked requests (pins must name known items). */
  private checkRanked(options: RankedRequestOptions): void {
    checkOneOf(options.mode, ['top', 'softmax', 'sample'] as const, 'mode');
    if (options.temperature !== undefined && !(typeof options.temperature === 'number' && options.temperature > 0 && Number.isFinite(options.temperature))) {
      throw engineError('ERR_ARGUMENT', 'a temperature > 0', 'temperature', options.temperature);
    }
    if (options.seed !== undefined && !(typeof options.seed === 'number' && Number.isInteger(options.seed) && options.seed >= 0)) throw engineError('ERR_ARGUMENT', 'an integer seed ≥ 0', 'seed', options.seed);
    if (options.diversity !== undefined) checkOptions(options.diversity, 'diversity');
    if (options.rules !== undefined) {
      checkOptions(options.rules, 'rules');
      for (const key of ['bury', 'exclude'] as const) if (options.rules[key] !== undefined) checkArray(options.rules[key], `rules.${key}`);
      if (options.rules.pin !== undefined) {
        for (const p of checkArray(options.rules.pin, 'rules.pin') as Array<{ item?: unknown }>) {
          if (typeof p?.item === 'string' && !this.catalog.items.has(p.item)) throw engineError('ERR_UNKNOWN_ITEM', 'an item of the catalog', 'rules.pin item', p.item);
        }
      }
    }
  }

  /** The user's profile and vector (undefined for an anonymous request). */
  private personal(user: string | undefined): { profile: UserProfile | undefined; vector: ReturnType<UserVectors['get']> } | undefined {
    if (user === undefined) return undefined;
    const profile = this.profiles.get(user);
    return { profile, vector: this.vectors.get(this.live, user, profile, this.erased.get(user)) };
  }

  /**
   * Product search, personalised for `options.user` when given (and `personalize` is not false):
   * the text index's best candidates (BM25F with typos, prefixes, synonyms, filters, facets)
   * re-ranked by the ranker with the user's affinities and latent vector. Sorts other than
   * `relevance` keep the index's order (selection options and rules do not apply then).
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResponse> {
    this.checkOpen();
    const started = performance.now();
    checkOptions(options);
    if (typeof query !== 'string' || query.trim().length === 0) throw engineError('ERR_ARGUMENT', 'a non-empty query', 'query', query);
    const k = checkK(options.k);
    const offset = options.offset ?? 0;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > 1000 - k) throw engineError('ERR_ARGUMENT', `an integer offset in [0, ${1000 - k}]`, 'offset', offset);
    const sort = checkOneOf(options.sort, ['relevance', 'price_asc', 'price_desc', 'popularity', 'newest'] as const, 'sort') ?? 'relevance';
    if (options.facets !== undefined) checkOptions(options.facets, 'facets');
    this.filterPredicate(options.filters);
    this.checkRanked(options);
    const user = options.user === undefined ? undefined : this.ids.internal(checkId(options.user, 'user'));
    if (sort !== 'relevance') {
      const base = { query, ...(options.filters ? { filter: options.filters } : {}), ...(options.facets ? { facets: options.facets } : {}) };
      const res = mapErrors(() => this.catalog.textIndex.search({ ...base, k, offset, sort }));
      const items = res.hits.map((h, i) => ({ item: itemView(this.catalog.items.get(h.id)!), position: i + 1, score: h.score, reason: 'ranked' }));
      return { query, items, total: res.total, facets: res.facets, droppedTerms: res.droppedTerms, truncated: res.truncated, personalized: false, tookMs: performance.now() - started };
    }
    const personal = options.personalize === false ? undefined : this.personal(user);
    const now = this.now();
    const request: SearchExec = {
      query,
      k,
      offset,
      ...(options.filters ? { filters: options.filters } : {}),
      ...(options.facets ? { facets: options.facets } : {}),
      options,
      ...(personal ? { user: userData(personal.profile, personal.vector.vector, now) } : {}),
      now,
    };
    const out = await this.reads.search(request, () => execSearch(this.catalog, request));
    return { query, ...out, tookMs: performance.now() - started };
  }

  /**
   * Recommendations for a user. A user of the model's training data gets the model's candidates
   * (`model`); a user seen only since, their fold-in vector's (`fold-in`, ALS); either way the
   * candidates (seen items left out unless `excludeSeen: false`, filters applied) are re-ranked
   * with the profile. Without a vector (cold start, never an error): popular items within the
   * context's or the profile's top categories (`profile-popular`), else overall (`popular`).
   * `context.item` biases towards that item's category, `context.query` towards matching items.
   */
  async recommend(user: string, options: RecommendOptions = {}): Promise<RecommendResponse> {
    this.checkOpen();
    const started = performance.now();
    checkId(user, 'user');
    checkOptions(options);
    const k = checkK(options.k);
    this.filterPredicate(options.filters); // checked here; compiled again where the request runs (a worker or execRecommend)
    this.checkRanked(options);
    const context = options.context === undefined ? {} : checkOptions(options.context, 'context');
    const contextItem = context.item === undefined ? undefined : this.catalog.items.get(checkId(context.item, 'context.item'));
    if (context.item !== undefined && !contextItem) throw engineError('ERR_UNKNOWN_ITEM', 'an item of the catalog', 'context.item', context.item);
    if (context.category !== undefined && !(Array.isArray(context.category) && context.category.every((c) => typeof c === 'string'))) throw engineError('ERR_ARGUMENT', 'a category path (array of strings)', 'context.category', context.category);
    if (context.query !== undefined && typeof context.query !== 'string') throw engineError('ERR_ARGUMENT', 'a query string', 'context.query', context.query);
    const internal = this.ids.internal(user);
    const live = this.live;
    const personal = this.personal(internal)!;
    const { profile, vector } = personal;
    const now = this.now();
    const request: RecommendExec = {
      k,
      ...(options.filters ? { filters: options.filters } : {}),
      options,
      user: userData(profile, vector.vector, now),
      seen: options.excludeSeen === false ? [] : this.vectors.seen(internal, profile),
      ...(contextItem ? { contextItem: contextItem.id } : {}),
      ...(context.category ? { contextCategory: context.category } : {}),
      ...(context.query !== undefined ? { contextQuery: context.query } : {}),
      ...(live && vector.source ? { vectorSource: vector.source } : {}),
      now,
    };
    const local = () => execRecommend(this.catalog, request, live && vector.source ? (seen, allow, admissible) => modelCandidates(this.catalog, live, vector, seen, allow, admissible) : undefined);
    // The read workers hold the catalog's item vectors: they answer unless the candidates need the model itself.
    const out = live && vector.source && !usesVector(live, vector) ? await local() : await this.reads.recommend(request, local);
    return { user, ...out, ...(live && (out.source === 'model' || out.source === 'fold-in') ? { modelVersion: live.version } : {}), tookMs: performance.now() - started };
  }

  /**
   * Items similar to `item`: the model's neighbours when it knows the item (`model`), else items
   * of the same leaf category by popularity (`category`). `ERR_UNKNOWN_ITEM` for an item not in
   * the catalog.
   */
  async similar(item: string, options: SimilarOptions = {}): Promise<SimilarResponse> {
    this.checkOpen();
    const started = performance.now();
    checkId(item, 'item');
    checkOptions(options);
    const k = checkK(options.k);
    const allow = this.filterPredicate(options.filters);
    const record = this.catalog.items.get(item);
    if (!record) throw engineError('ERR_UNKNOWN_ITEM', 'an item of the catalog', 'item', item);
    const keep = (id: string) => id !== item && this.catalog.items.has(id) && (!allow || allow(id));
    const m = this.live?.recommender;
    if (m && m.idIndices().items.find(item) >= 0) {
      const n = Math.min(kernelInfo().maxK, m.itemCount - 1, allow ? Math.max(k * 20, 200) : k * 2 + 10);
      if (n >= 1) {
        const sim = m.similarItems(item, { k: n });
        const rows: ResultItem[] = [];
        for (let j = 0; j < sim.ids.length && rows.length < k; j++) {
          const id = sim.ids[j]!;
          if (keep(id) && Number.isFinite(sim.scores[j]!)) rows.push({ item: itemView(this.catalog.items.get(id)!), position: rows.length + 1, score: sim.scores[j]!, reason: 'similar' });
        }
        if (rows.length > 0) return { item, items: rows, source: 'model', tookMs: performance.now() - started };
      }
    }
    const leaf = record.categoryPath;
    const ids = pickPopular(this.catalog.popularItems(), k, (id) => keep(id) && CatalogState.inCategory(this.catalog.items.get(id)!, leaf));
    const rows = ids.map((id, i) => ({ item: itemView(this.catalog.items.get(id)!), position: i + 1, score: this.catalog.popularity.get(id) ?? 0, reason: 'popular-in-category' }));
    return { item, items: rows, source: 'category', tookMs: performance.now() - started };
  }

  /** A user's profile, or undefined for a user never seen (or erased). */
  profile(user: string): ProfileView | undefined {
    this.checkOpen();
    checkId(user, 'user');
    const internal = this.ids.internal(user);
    const profile = this.profiles.get(internal);
    if (!profile) return undefined;
    const v = this.vectors.get(this.live, internal, profile, this.erased.get(internal));
    return profileView(user, profile, v.vector !== undefined, this.now());
  }

  /** An item, or undefined. */
  item(id: string): ItemView | undefined {
    this.checkOpen();
    checkId(id, 'id');
    const item = this.catalog.items.get(id);
    return item ? itemView(item) : undefined;
  }

  /**
   * Erases a user: their events and user row are deleted from the store, a tombstone refuses
   * their events up to now (re-ingesting an old file cannot bring them back), the profile is
   * dropped, and the live model's factors of the user are never used again (the user is cold
   * until new events; later training never sees the erased events).
   */
  async eraseUser(user: string): Promise<EraseResult> {
    this.checkOpen();
    checkId(user, 'user');
    const internal = this.ids.internal(user);
    return this.tracked(async () => {
      const at = this.now();
      const { eventsDeleted } = await this.store.eraseUser(internal, at);
      const profileDeleted = this.profiles.erase(internal);
      const factorsDeleted = this.live !== undefined && this.live.recommender.idIndices().users.find(internal) >= 0;
      this.erased.set(internal, Math.max(at, this.erased.get(internal) ?? -Infinity));
      this.vectors.invalidate(internal);
      this.eventsTotal -= eventsDeleted;
      return { user, eventsDeleted, profileDeleted, factorsDeleted };
    });
  }

  /** The data inventory report. */
  async inventory(): Promise<InventoryReport> {
    this.checkOpen();
    return this.tracked(() => buildInventoryReport(this.store));
  }

  /**
   * Starts retraining in the background; resolves with the running job (poll
   * {@link Engine.retrainStatus} or await {@link Engine.waitForRetrain}). `ERR_BUSY` while one
   * runs; `ERR_ARGUMENT` for an unknown model or bad hyper-parameters. The interaction matrix is
   * read from the store (erased users have no events left), training runs in a worker thread,
   * the model is evaluated on a per-user holdout unless `evaluate: false`, saved, and swapped in
   * atomically; on failure the previous model stays and the job says why (`ERR_TRAINING`).
   */
  async retrain(options: RetrainOptions = {}): Promise<RetrainJob> {
    this.checkOpen();
    checkOptions(options);
    if (this.running || this.job?.state === 'running') throw new EngineError('ERR_BUSY', `Retraining job ${this.job?.id} is still running`);
    const model: EngineModelName = checkOneOf(options.model, ENGINE_MODELS, 'model') ?? this.options.model ?? 'als';
    if (options.params !== undefined) checkOptions(options.params, 'params');
    const params = { ...(this.options.modelParams?.[model] ?? {}), ...(options.params ?? {}) };
    createModel(model, params);
    const job: MutableJob = { id: newVersion(this.now()), model, state: 'running', startedAt: this.now() };
    this.job = job;
    this.eventsSinceRetrain = 0;
    this.jobDone = this.runJob(job, params, options.evaluate !== false);
    return { ...job };
  }

  private async runJob(job: MutableJob, params: Record<string, unknown>, evaluate: boolean): Promise<void> {
    const version = job.id;
    let outDir: string | undefined;
    try {
      if (this.modelsDir) {
        outDir = join(this.modelsDir, version);
        await mkdir(this.modelsDir, { recursive: true });
      } else outDir = await mkdtemp(join(tmpdir(), 'souk-model-'));
      const dataAt = this.now();
      const t0 = performance.now();
      const input = await prepareTraining(this.store, { model: job.model, params, evaluate, outDir });
      const t1 = performance.now();
      if (this.closed) throw new EngineError('ERR_CLOSED', 'The engine was closed');
      this.running = startJob(input, { inWorker: this.options.retrainInWorker !== false, logger: this.logger });
      job.inWorker = this.running.inWorker;
      this.logger.info({ job: job.id, model: job.model, users: input.userIds.length, items: input.itemIds.length, inWorker: this.running.inWorker }, 'retraining started');
      const output = await this.running.done;
      const t2 = performance.now();
      const recommender = await loadModel(outDir);
      const t3 = performance.now();
      if (this.closed) throw new EngineError('ERR_CLOSED', 'The engine was closed during training');
      const trainedAt = this.now();
      const pointer = { version, model: job.model, trainedAt, dataAt, ...(output.metrics ? { metrics: output.metrics } : {}) };
      if (this.modelsDir) await writeActivePointer(this.modelsDir, pointer);
      else await removeVersion(outDir);
      this.applyModel({ ...pointer, recommender });
      Object.assign(job, { state: 'succeeded', finishedAt: trainedAt, version, ...(output.metrics ? { metrics: output.metrics } : {}) });
      const ms = (a: number, b: number) => Math.round(b - a);
      this.logger.info({ job: job.id, version, trainSeconds: output.seconds, prepareMs: ms(t0, t1), loadMs: ms(t2, t3), swapMs: ms(t3, performance.now()), metrics: output.metrics }, 'retraining succeeded; model swapped');
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      const code = err?.code === 'ERR_CLOSED' ? 'ERR_CLOSED' : 'ERR_TRAINING';
      Object.assign(job, { state: 'failed', finishedAt: this.now(), error: { code, message: String(err?.message ?? e) } });
      this.logger.error({ job: job.id, err: String(err?.message ?? e) }, 'retraining failed; the previous model stays');
      if (outDir) await removeVersion(outDir);
    } finally {
      this.running = undefined;
    }
  }

  /** The current or last retraining job. */
  retrainStatus(): RetrainJob | undefined {
    return this.job ? { ...this.job } : undefined;
  }

  /** Resolves when the current job ends, with its final state (undefined when none ran). */
  async waitForRetrain(): Promise<RetrainJob | undefined> {
    await this.jobDone;
    return this.retrainStatus();
  }

  /** Counters for health and metrics. */
  stats(): EngineStats {
    const live = this.live;
    return {
      items: this.catalog.items.size,
      users: this.profiles.size,
      events: this.eventsTotal,
      eventsIngested: this.eventsIngested,
      ...(live ? { modelVersion: live.version, modelName: live.model, modelTrainedAt: live.trainedAt } : {}),
      ...(this.job ? { retrain: { ...this.job } } : {}),
      backend: kernelInfo().backend,
      uptimeMs: Date.now() - this.openedAt,
      ...((this.options.readWorkers ?? 0) > 0 ? { reads: this.reads.stats() } : {}),
      searchCache: this.searchCacheStats(),
    };
  }

  /** Result-cache hits and misses of the event loop's text index and the read workers'. */
  private searchCacheStats(): { hits: number; misses: number } {
    const index = this.catalog.textIndex;
    this.localCacheTally.observe(index, index.cacheStats());
    const workers = this.reads.cacheTally;
    return { hits: this.localCacheTally.hits + workers.hits, misses: this.localCacheTally.misses + workers.misses };
  }

  /** Waits for in-flight writes, stops any retraining, closes the store. Idempotent. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.reads.close();
      await Promise.allSettled([...this.pending]);
      if (this.running) await this.running.stop();
      await this.jobDone;
      if (this.statePath) {
        try {
          await writeSnapshot(this.statePath, await storeFingerprint(this.store), { eventsTotal: this.eventsTotal, popularity: this.catalog.popularity, profiles: this.profiles });
        } catch (e) {
          this.logger.warn({ err: (e as Error).message }, 'the state snapshot was not written; the next open replays the events');
        }
      }
      await this.store.close();
    })();
    return this.closing;
  }
}
