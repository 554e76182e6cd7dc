/**
 * The data store: an interface, and its embedded default on SQLite (better-sqlite3).
 *
 * SQLite is the default because it is an embedded, transactional, crash-safe database with no
 * server: a commit in WAL mode with `synchronous = FULL` is on disk when it returns, which is what
 * the HTTP service needs before it acknowledges an event. The statements are portable SQL
 * (`INSERT … ON CONFLICT (…) DO NOTHING`, no SQLite-only functions in DML), so a PostgreSQL
 * implementation of {@link DataStore} can reuse them; only the DDL types differ (see
 * {@link SQL_DIALECT_TYPES}).
 * @packageDocumentation
 */
import Database from 'better-sqlite3';
import { AppendWriter, appendWorkerAvailable } from './append-writer.js';
import { DataError, invalidArgument } from './errors.js';
import { MAX_ID_LENGTH, type AssetName, type EventRecord, type EventType, type ItemRecord, type TransactionRecord, type UserRecord } from './schemas.js';

/** Where a stored row came from. */
export interface RowOrigin {
  /** Id of the source (see {@link SourceRecord}). */
  readonly sourceId: number;
  /** 1-based line number in the source. */
  readonly line: number;
}

/** An event as stored, with its idempotency key and origin. */
export interface StoredEvent extends EventRecord, RowOrigin {
  /** Idempotency key: `sourceId · 2^32 + line` (a safe integer). */
  readonly key: number;
  /** The cleaning rule that removed it, if any. */
  readonly removedBy?: string;
}

/** An item as stored. */
export type StoredItem = ItemRecord & RowOrigin;
/** A user as stored. */
export type StoredUser = UserRecord & RowOrigin;
/** A transaction as stored. */
export type StoredTransaction = TransactionRecord & RowOrigin;

/** A rejected input row kept for inspection. */
export interface QuarantineEntry extends RowOrigin {
  /** Asset the row was meant for. */
  readonly asset: AssetName;
  /** Error code (`ERR_SCHEMA`, `ERR_FORMAT`, `ERR_ENCODING`, `ERR_ROW_TOO_LARGE`). */
  readonly code: string;
  /** Field at fault, `''` for the whole row. */
  readonly field: string;
  /** Why it was rejected. */
  readonly reason: string;
  /** The start of the raw row (at most 512 characters). */
  readonly raw: string;
}

/** One ingested source file: the lineage from file to asset. */
export interface SourceRecord {
  /** Store-assigned id. */
  readonly id: number;
  /** Path or stream name. */
  readonly path: string;
  /** SHA-256 of the raw bytes (hex), or a name-derived identity for streams. */
  readonly sha256: string;
  /** Asset the source feeds. */
  readonly asset: AssetName;
  /** Format label (csv, jsonl, parquet, …). */
  readonly format: string;
  /** Raw size in bytes when known. */
  readonly bytes: number | null;
  /** Completion time of the last ingest (ISO-8601), null while running. */
  readonly ingestedAt: string | null;
  /** Summary of the last ingest as JSON, null while running. */
  readonly summary: unknown;
}

/** Result of an insert: rows new to the store vs rows already there (idempotent re-ingest). */
export interface InsertResult {
  /** Rows written. */
  readonly inserted: number;
  /** Rows skipped because their key was already stored. */
  readonly ignored: number;
}

/**
 * An event as a tuple: `[key, user, item | null, type, value | null, timestamp, query | null,
 * session | null, removedBy | null]`.
 */
export type EventTuple = [number, string, string | null, EventType, number | null, number, string | null, string | null, string | null];

/**
 * An event by dense indices: `[key, userIndex, itemIndex | null, type, value | null, timestamp,
 * query | null, session | null, removedBy | null]`.
 */
export type EventIndexTuple = [number, number, number | null, EventType, number | null, number, string | null, string | null, string | null];

/**
 * Name of the id map of users. The store assigns every user a dense index when its first event
 * is stored (in the same transaction), so indices are stable and persisted.
 */
export const USER_ID_MAP = 'users';
/** Name of the id map of items (see {@link USER_ID_MAP}). */
export const ITEM_ID_MAP = 'items';

/** Options of {@link DataStore.scanEvents}. */
export interface ScanEventsOptions {
  /** Include events removed by cleaning (default false). */
  readonly includeRemoved?: boolean;
  /** Rows per yielded batch (default 10,000). */
  readonly batchSize?: number;
  /** Fetch query and session text (default true; false returns them as null, which is faster). */
  readonly withText?: boolean;
}

/**
 * The storage interface every backend implements (SQLite now, PostgreSQL later). All writes are
 * durable when their promise resolves.
 */
export interface DataStore {
  /** Registers a source (or returns the existing one with the same identity and asset). */
  registerSource(source: { path: string; sha256: string; asset: AssetName; format: string; bytes: number | null }): Promise<number>;
  /** Records the completion and summary of a source's ingest. */
  finishSource(sourceId: number, summary: unknown): Promise<void>;
  /** Lists sources (lineage). */
  listSources(): Promise<SourceRecord[]>;
  /** Inserts events; an existing key is ignored (idempotent). */
  insertEvents(events: readonly StoredEvent[]): Promise<InsertResult>;
  /**
   * Appends events from an online caller; resolves once they are durable. Returns their keys (−1
   * for an event refused by an erasure tombstone, see {@link DataStore.eraseUser}).
   */
  appendEvents(events: readonly EventRecord[]): Promise<number[]>;
  /** Inserts items; an existing id is ignored. */
  insertItems(items: readonly StoredItem[]): Promise<InsertResult>;
  /** Inserts users; an existing id is ignored. */
  insertUsers(users: readonly StoredUser[]): Promise<InsertResult>;
  /** Inserts transactions; an existing id is ignored. */
  insertTransactions(transactions: readonly StoredTransaction[]): Promise<InsertResult>;
  /** Stores quarantined rows; the same (source, line) is stored once. */
  insertQuarantine(entries: readonly QuarantineEntry[]): Promise<void>;
  /** Streams events in key order, in batches. */
  scanEvents(options?: ScanEventsOptions): AsyncIterable<StoredEvent[]>;
  /** Streams events as compact tuples (the fast path for columnar loads), in key order. */
  scanEventTuples(options?: ScanEventsOptions): AsyncIterable<EventTuple[]>;
  /**
   * Streams events as tuples of dense indices (no id strings: the fastest path to matrices).
   * Indices refer to the store's id maps {@link USER_ID_MAP} and {@link ITEM_ID_MAP}.
   */
  scanEventIndexTuples(options?: ScanEventsOptions): AsyncIterable<EventIndexTuple[]>;
  /** Streams items in id order, in batches. */
  scanItems(batchSize?: number): AsyncIterable<StoredItem[]>;
  /** Streams users in id order. */
  scanUsers(batchSize?: number): AsyncIterable<StoredUser[]>;
  /** Streams transactions in id order. */
  scanTransactions(batchSize?: number): AsyncIterable<StoredTransaction[]>;
  /** Streams quarantined rows. */
  scanQuarantine(batchSize?: number): AsyncIterable<QuarantineEntry[]>;
  /** Rows of an asset (events: excluding removed ones unless `includeRemoved`). */
  countRows(asset: AssetName | 'quarantine', includeRemoved?: boolean): Promise<number>;
  /** Quarantined rows grouped by code and field. */
  quarantineCounts(): Promise<Array<{ asset: AssetName; code: string; field: string; count: number }>>;
  /** Marks events as removed by a cleaning rule. */
  markEventsRemoved(keys: readonly number[], rule: string): Promise<void>;
  /** Clears every cleaning mark (cleaning is re-runnable). */
  clearEventRemovals(): Promise<void>;
  /** Events removed, by rule. */
  removalCounts(): Promise<Record<string, number>>;
  /** Replaces item text fields (after text cleaning). */
  updateItemTexts(updates: ReadonlyArray<{ id: string; title: string; brand: string | undefined }>): Promise<void>;
  /** Loads a persisted id map (index → external id). */
  loadIdMap(name: string): Promise<string[]>;
  /** Persists ids `[fromIndex, ids.length)` of an id map (earlier indices never change). */
  appendIdMap(name: string, ids: readonly string[], fromIndex: number): Promise<void>;
  /** Stores a small JSON document (cleaning reports, settings). */
  putDocument(name: string, value: unknown): Promise<void>;
  /** Reads a JSON document stored with {@link DataStore.putDocument}. */
  getDocument<T = unknown>(name: string): Promise<T | undefined>;
  /**
   * Adds or replaces items by id (an online catalog update; {@link DataStore.insertItems} keeps
   * the stored row of a known id). Returns how many ids were new and how many were replaced.
   */
  upsertItems(items: readonly StoredItem[]): Promise<UpsertResult>;
  /**
   * Appends events once per batch id: when `batchId` was seen before, stores nothing and returns
   * the result recorded with it (`duplicate: true`); otherwise appends the events (as
   * {@link DataStore.appendEvents}) and records `result` under `batchId` in the same
   * transaction, so a batch is either fully stored with its answer or not at all.
   */
  appendEventBatch<T>(batchId: string, events: readonly EventRecord[], result: T): Promise<BatchAppendResult<T>>;
  /**
   * Erases a user (right to erasure): deletes their events and user row, renames their entry of
   * the user id map, and records a tombstone `(user, erasedAt)`. From then on every insert or
   * append refuses events of that user with a timestamp ≤ `erasedAt` (so re-ingesting an old file
   * cannot bring them back); later events are stored as usual. Erasure is rare, so it scans the
   * events table rather than slowing every insert with an index by user.
   */
  eraseUser(user: string, erasedAt: number): Promise<EraseUserResult>;
  /** Tombstones of erased users, oldest first. */
  listErasures(): Promise<ErasureRecord[]>;
  /** Closes the store. */
  close(): Promise<void>;
}

/** Result of {@link DataStore.upsertItems}. */
export interface UpsertResult {
  /** Ids new to the store. */
  readonly inserted: number;
  /** Known ids whose row was replaced. */
  readonly updated: number;
}

/** Result of {@link DataStore.appendEventBatch}. */
export interface BatchAppendResult<T> {
  /** The batch id was already recorded: nothing was stored. */
  readonly duplicate: boolean;
  /** Keys of the stored events (empty for a duplicate; −1 for an event refused by a tombstone). */
  readonly keys: number[];
  /** The result recorded with the batch (the first one for a duplicate). */
  readonly result: T;
}

/** Result of {@link DataStore.eraseUser}. */
export interface EraseUserResult {
  /** Events deleted. */
  readonly eventsDeleted: number;
  /** Whether a user row was deleted. */
  readonly userDeleted: boolean;
}

/** A tombstone of an erased user. */
export interface ErasureRecord {
  /** The erased user id (as stored). */
  readonly user: string;
  /** Erasure time (ms): events of the user with a timestamp ≤ this are refused. */
  readonly erasedAt: number;
}

/** Column types per SQL dialect: the only non-portable part of the schema. */
export const SQL_DIALECT_TYPES = {
  sqlite: { key: 'INTEGER', bigint: 'INTEGER', double: 'REAL', text: 'TEXT' },
  postgres: { key: 'BIGINT', bigint: 'BIGINT', double: 'DOUBLE PRECISION', text: 'TEXT' },
} as const;

/** Builds the portable DDL of the store for a dialect. */
export function storeSchemaSql(dialect: keyof typeof SQL_DIALECT_TYPES): string[] {
  const t = SQL_DIALECT_TYPES[dialect];
  const serial = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY' : 'BIGSERIAL PRIMARY KEY';
  return [
    `CREATE TABLE IF NOT EXISTS sources (source_id ${serial}, path ${t.text} NOT NULL, sha256 ${t.text} NOT NULL, asset ${t.text} NOT NULL, format ${t.text} NOT NULL, bytes ${t.bigint}, ingested_at ${t.text}, summary ${t.text}, UNIQUE (sha256, asset))`,
    `CREATE TABLE IF NOT EXISTS events (event_key ${t.key} PRIMARY KEY, source_id ${t.bigint} NOT NULL, line ${t.bigint} NOT NULL, user_id ${t.text} NOT NULL, item_id ${t.text}, user_idx ${t.bigint} NOT NULL, item_idx ${t.bigint}, event_type ${t.text} NOT NULL, value ${t.double}, query ${t.text}, ts ${t.bigint} NOT NULL, session_id ${t.text}, removed_by ${t.text})`,
    `CREATE TABLE IF NOT EXISTS items (item_id ${t.text} PRIMARY KEY, source_id ${t.bigint} NOT NULL, line ${t.bigint} NOT NULL, title ${t.text} NOT NULL, brand ${t.text}, category_path ${t.text} NOT NULL, price ${t.double}, currency ${t.text}, tags ${t.text} NOT NULL, attributes ${t.text} NOT NULL, in_stock ${t.bigint} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS users (user_id ${t.text} PRIMARY KEY, source_id ${t.bigint} NOT NULL, line ${t.bigint} NOT NULL, attributes ${t.text} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS transactions (transaction_id ${t.text} PRIMARY KEY, source_id ${t.bigint} NOT NULL, line ${t.bigint} NOT NULL, user_id ${t.text}, ts ${t.bigint}, lines ${t.text} NOT NULL, total ${t.double}, currency ${t.text})`,
    `CREATE TABLE IF NOT EXISTS quarantine (source_id ${t.bigint} NOT NULL, line ${t.bigint} NOT NULL, asset ${t.text} NOT NULL, code ${t.text} NOT NULL, field ${t.text} NOT NULL, reason ${t.text} NOT NULL, raw ${t.text} NOT NULL, PRIMARY KEY (source_id, line))`,
    `CREATE TABLE IF NOT EXISTS id_maps (map_name ${t.text} NOT NULL, idx ${t.bigint} NOT NULL, external_id ${t.text} NOT NULL, PRIMARY KEY (map_name, idx))`,
    `CREATE TABLE IF NOT EXISTS documents (name ${t.text} PRIMARY KEY, body ${t.text} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS event_batches (batch_id ${t.text} PRIMARY KEY, result ${t.text} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS erasures (user_id ${t.text} PRIMARY KEY, erased_at ${t.bigint} NOT NULL)`,
  ];
}

/** Source id reserved for events appended online through {@link DataStore.appendEvents}. */
export const ONLINE_SOURCE_SHA = 'online-append';

/** Largest line number a key can hold. */
const LINE_SPACE = 2 ** 32;

/** The idempotency key of the event at `line` of source `sourceId`. */
export function eventKey(sourceId: number, line: number): number {
  return sourceId * LINE_SPACE + line;
}

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Durability: `full` (default; fsync at each commit) or `normal` (WAL, may lose the last commits on power loss, never corrupts). */
  readonly synchronous?: 'full' | 'normal';
  /**
   * Commit online appends (`appendEvents`, `appendEventBatch`) on a second connection in a worker
   * thread, so that their fsync does not block the event loop (default false; file stores only,
   * ignored for `:memory:` or when the compiled worker is missing). Same durability: an append
   * resolves after its commit. See append-writer.ts.
   */
  readonly appendThread?: boolean;
}

const parseJson = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));
const undef = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/**
 * Opens (creating if needed) an SQLite store at `path` (`:memory:` for a throwaway store).
 * WAL journal, `synchronous = FULL` by default: a resolved write is durable.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): DataStore {
  const store = openSqliteStoreConnection(path, options, false);
  if (options.appendThread === true && path !== ':memory:' && appendWorkerAvailable()) {
    store.useAppendWriter(new AppendWriter({ path, synchronous: options.synchronous === 'normal' ? 'normal' : 'full' }));
  }
  return store;
}

/**
 * One connection as a store. `shared`: another connection writes the same file too (the append
 * writer's own connection): erasures and id-map renames made elsewhere are picked up at each
 * append. @internal
 */
export function openSqliteStoreConnection(path: string, options: SqliteStoreOptions, shared: boolean): SqliteStore {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('a file path or ":memory:"', 'path', path);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new DataError('ERR_STORE', `Expected a writable database file for path but received ${JSON.stringify(path)}: ${(cause as Error).message}`, { cause });
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 16384');
  db.pragma('temp_store = MEMORY');
  for (const sql of storeSchemaSql('sqlite')) db.exec(sql);
  return new SqliteStore(db, shared);
}

const EVENTS_PER_STATEMENT = 64;

const EVENT_COLUMNS = 12;

function eventParams(e: StoredEvent, userIdx: number, itemIdx: number | null, out: unknown[], at: number): unknown[] {
  out[at + 10] = userIdx;
  out[at + 11] = itemIdx;
  out[at] = e.key;
  out[at + 1] = e.sourceId;
  out[at + 2] = e.line;
  out[at + 3] = e.user;
  out[at + 4] = e.item ?? null;
  out[at + 5] = e.type;
  out[at + 6] = e.value ?? null;
  out[at + 7] = e.query ?? null;
  out[at + 8] = e.timestamp;
  out[at + 9] = e.session ?? null;
  return out;
}

/** @internal The SQLite implementation of {@link DataStore}. */
export class SqliteStore implements DataStore {
  private readonly db: Database.Database;
  /** Another connection writes the file too (see {@link openSqliteStoreConnection}). */
  private readonly shared: boolean;
  /** Erasures seen (count and sum of times), to notice erasures made on another connection. */
  private erasureMark = '';
  private writer: AppendWriter | undefined;
  /** Online appends waiting for the next group commit (see groupWrite). */
  private pendingAppends: Array<{ body: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];
  private readonly stmts: Record<string, Database.Statement>;
  private readonly insertEventsWide: Database.Statement;
  /** Tombstones: erased user → erasure time (loaded at open, kept in step with the table). */
  private readonly erasures = new Map<string, number>();

  constructor(db: Database.Database, shared = false) {
    this.db = db;
    this.shared = shared;
    this.insertEventsWide = db.prepare(
      `INSERT INTO events (event_key, source_id, line, user_id, item_id, event_type, value, query, ts, session_id, user_idx, item_idx) VALUES ${Array.from({ length: EVENTS_PER_STATEMENT }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (event_key) DO NOTHING`,
    );
    const p = (sql: string) => db.prepare(sql);
    this.stmts = {
      findSource: p('SELECT source_id FROM sources WHERE sha256 = ? AND asset = ?'),
      addSource: p('INSERT INTO sources (path, sha256, asset, format, bytes) VALUES (?, ?, ?, ?, ?)'),
      finishSource: p('UPDATE sources SET ingested_at = ?, summary = ? WHERE source_id = ?'),
      listSources: p('SELECT source_id, path, sha256, asset, format, bytes, ingested_at, summary FROM sources ORDER BY source_id'),
      insertEvent: p(
        'INSERT INTO events (event_key, source_id, line, user_id, item_id, event_type, value, query, ts, session_id, user_idx, item_idx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING',
      ),
      maxIdx: p('SELECT MAX(idx) AS m FROM id_maps WHERE map_name = ?'),
      idsFrom: p('SELECT idx, external_id FROM id_maps WHERE map_name = ? AND idx >= ? ORDER BY idx'),
      maxKey: p('SELECT MAX(event_key) AS m FROM events WHERE event_key >= ? AND event_key < ?'),
      insertItem: p(
        'INSERT INTO items (item_id, source_id, line, title, brand, category_path, price, currency, tags, attributes, in_stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_id) DO NOTHING',
      ),
      insertUser: p('INSERT INTO users (user_id, source_id, line, attributes) VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO NOTHING'),
      insertTransaction: p(
        'INSERT INTO transactions (transaction_id, source_id, line, user_id, ts, lines, total, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING',
      ),
      insertQuarantine: p(
        'INSERT INTO quarantine (source_id, line, asset, code, field, reason, raw) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_id, line) DO NOTHING',
      ),
      markRemoved: p('UPDATE events SET removed_by = ? WHERE event_key = ?'),
      clearRemovals: p('UPDATE events SET removed_by = NULL WHERE removed_by IS NOT NULL'),
      removalCounts: p('SELECT removed_by AS rule, COUNT(*) AS n FROM events WHERE removed_by IS NOT NULL GROUP BY removed_by'),
      quarantineCounts: p('SELECT asset, code, field, COUNT(*) AS n FROM quarantine GROUP BY asset, code, field ORDER BY n DESC'),
      updateItemText: p('UPDATE items SET title = ?, brand = ? WHERE item_id = ?'),
      loadIdMap: p('SELECT idx, external_id FROM id_maps WHERE map_name = ? ORDER BY idx'),
      appendIdMap: p('INSERT INTO id_maps (map_name, idx, external_id) VALUES (?, ?, ?) ON CONFLICT (map_name, idx) DO NOTHING'),
      putDocument: p('INSERT INTO documents (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body'),
      getDocument: p('SELECT body FROM documents WHERE name = ?'),
      findItem: p('SELECT 1 AS found FROM items WHERE item_id = ?'),
      upsertItem: p(
        'INSERT INTO items (item_id, source_id, line, title, brand, category_path, price, currency, tags, attributes, in_stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET source_id = excluded.source_id, line = excluded.line, title = excluded.title, brand = excluded.brand, category_path = excluded.category_path, price = excluded.price, currency = excluded.currency, tags = excluded.tags, attributes = excluded.attributes, in_stock = excluded.in_stock',
      ),
      findBatch: p('SELECT result FROM event_batches WHERE batch_id = ?'),
      addBatch: p('INSERT INTO event_batches (batch_id, result) VALUES (?, ?)'),
      deleteUserEvents: p('DELETE FROM events WHERE user_id = ?'),
      deleteUser: p('DELETE FROM users WHERE user_id = ?'),
      renameMapId: p('UPDATE id_maps SET external_id = ? WHERE map_name = ? AND external_id = ?'),
      addErasure: p('INSERT INTO erasures (user_id, erased_at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET erased_at = excluded.erased_at'),
      listErasures: p('SELECT user_id, erased_at FROM erasures ORDER BY erased_at, user_id'),
      erasureMark: p('SELECT COUNT(*) AS n, TOTAL(erased_at) AS s FROM erasures'),
    };
    for (const r of this.stmts.listErasures!.all() as Array<{ user_id: string; erased_at: number }>) this.erasures.set(r.user_id, r.erased_at);
  }

  private sourceId(sha256: string, asset: string): number | undefined {
    const row = this.stmts.findSource!.get(sha256, asset) as { source_id: number } | undefined;
    return row?.source_id;
  }

  async registerSource(source: { path: string; sha256: string; asset: AssetName; format: string; bytes: number | null }): Promise<number> {
    const existing = this.sourceId(source.sha256, source.asset);
    if (existing !== undefined) return existing;
    const info = this.stmts.addSource!.run(source.path, source.sha256, source.asset, source.format, source.bytes);
    return Number(info.lastInsertRowid);
  }

  async finishSource(sourceId: number, summary: unknown): Promise<void> {
    this.stmts.finishSource!.run(new Date().toISOString(), JSON.stringify(summary), sourceId);
  }

  async listSources(): Promise<SourceRecord[]> {
    return (this.stmts.listSources!.all() as Array<Record<string, unknown>>).map((r) => ({
      id: r.source_id as number,
      path: r.path as string,
      sha256: r.sha256 as string,
      asset: r.asset as AssetName,
      format: r.format as string,
      bytes: r.bytes as number | null,
      ingestedAt: r.ingested_at as string | null,
      summary: parseJson(r.summary as string | null) ?? null,
    }));
  }

  private runMany<T>(rows: readonly T[], stmt: Database.Statement, args: (row: T) => unknown[]): InsertResult {
    let inserted = 0;
    const tx = this.db.transaction(() => {
      for (const row of rows) inserted += stmt.run(...args(row)).changes;
    });
    try {
      tx();
    } catch (cause) {
      throw new DataError('ERR_STORE', `Expected a successful write to the store but received: ${(cause as Error).message}`, { cause });
    }
    return { inserted, ignored: rows.length - inserted };
  }

  /** In-memory mirror of the persisted user and item id maps (refreshed inside each write transaction). */
  private readonly maps = {
    users: { name: USER_ID_MAP, index: new Map<string, number>(), ids: [] as string[], persisted: 0 },
    items: { name: ITEM_ID_MAP, index: new Map<string, number>(), ids: [] as string[], persisted: 0 },
  };

  /** Catches up with ids another connection may have added (cheap: one index read when nothing changed). */
  private refreshMap(map: { name: string; index: Map<string, number>; ids: string[]; persisted: number }): void {
    const max = (this.stmts.maxIdx!.get(map.name) as { m: number | null }).m;
    const stored = max === null ? 0 : max + 1;
    if (stored === map.persisted && map.ids.length === map.persisted) return;
    // Drop unpersisted entries (a rolled-back transaction), then load what is new.
    for (let i = map.persisted; i < map.ids.length; i++) map.index.delete(map.ids[i]!);
    map.ids.length = map.persisted;
    for (const [idx, id] of this.stmts.idsFrom!.raw(true).all(map.name, map.ids.length) as Array<[number, string]>) {
      if (idx !== map.ids.length) throw new DataError('ERR_STORE', `Expected contiguous indices for id map ${JSON.stringify(map.name)} but received index ${idx} at position ${map.ids.length}`);
      map.index.set(id, idx);
      map.ids.push(id);
    }
    map.persisted = map.ids.length;
  }

  private indexOf(map: { index: Map<string, number>; ids: string[] }, id: string): number {
    let idx = map.index.get(id);
    if (idx === undefined) {
      idx = map.ids.length;
      map.index.set(id, idx);
      map.ids.push(id);
    }
    return idx;
  }

  private persistMaps(): void {
    for (const map of [this.maps.users, this.maps.items]) {
      for (let i = map.persisted; i < map.ids.length; i++) this.stmts.appendIdMap!.run(map.name, i, map.ids[i]);
    }
  }

  private markMapsPersisted(): void {
    for (const map of [this.maps.users, this.maps.items]) map.persisted = map.ids.length;
  }

  /** Whether a tombstone refuses this event. */
  private erased(e: EventRecord): boolean {
    if (this.erasures.size === 0) return false;
    const at = this.erasures.get(e.user);
    return at !== undefined && e.timestamp <= at;
  }

  private writeEvents(given: readonly StoredEvent[]): number {
    const events = this.erasures.size === 0 ? given : given.filter((e) => !this.erased(e));
    const width = EVENTS_PER_STATEMENT;
    const users = this.maps.users;
    const items = this.maps.items;
    let inserted = 0;
    const params: unknown[] = new Array(width * EVENT_COLUMNS);
    let at = 0;
    for (; at + width <= events.length; at += width) {
      for (let k = 0; k < width; k++) {
        const e = events[at + k]!;
        eventParams(e, this.indexOf(users, e.user), e.item === undefined ? null : this.indexOf(items, e.item), params, k * EVENT_COLUMNS);
      }
      inserted += this.insertEventsWide.run(params).changes;
    }
    for (; at < events.length; at++) {
      const e = events[at]!;
      const row = eventParams(e, this.indexOf(users, e.user), e.item === undefined ? null : this.indexOf(items, e.item), [], 0);
      inserted += this.stmts.insertEvent!.run(row).changes;
    }
    this.persistMaps();
    return inserted;
  }

  async insertEvents(events: readonly StoredEvent[]): Promise<InsertResult> {
    // Multi-row VALUES (portable SQL) amortise the per-statement cost; new user and item indices
    // are persisted in the same transaction as the events that introduce them.
    let inserted = 0;
    const tx = this.db.transaction(() => {
      this.refreshMap(this.maps.users);
      this.refreshMap(this.maps.items);
      inserted = this.writeEvents(events);
    });
    try {
      tx.immediate();
    } catch (cause) {
      throw new DataError('ERR_STORE', `Expected a successful write to the store but received: ${(cause as Error).message}`, { cause });
    }
    this.markMapsPersisted();
    return { inserted, ignored: events.length - inserted };
  }

  private onlineSourceId(): number {
    return this.sourceId(ONLINE_SOURCE_SHA, 'events') ?? Number(this.stmts.addSource!.run('online', ONLINE_SOURCE_SHA, 'events', 'api', null).lastInsertRowid);
  }

  /** Commits online appends through `writer` from now on. @internal */
  useAppendWriter(writer: AppendWriter): void {
    this.writer = writer;
  }

  /**
   * On a shared connection: reloads the tombstones, and the id maps (an erasure renames the
   * user's entry), when another connection erased a user since this one last looked.
   */
  private syncErasures(): void {
    const { n, s } = this.stmts.erasureMark!.get() as { n: number; s: number };
    const mark = `${n}:${s}`;
    if (mark === this.erasureMark) return;
    this.erasureMark = mark;
    this.erasures.clear();
    for (const r of this.stmts.listErasures!.all() as Array<{ user_id: string; erased_at: number }>) this.erasures.set(r.user_id, r.erased_at);
    for (const map of [this.maps.users, this.maps.items]) {
      map.index.clear();
      map.ids.length = 0;
      map.persisted = 0;
    }
  }

  /** Appends under the online source; call inside a transaction. Returns the keys (−1: refused by a tombstone). */
  private appendRows(sourceId: number, events: readonly EventRecord[]): number[] {
    if (this.shared) this.syncErasures();
    this.refreshMap(this.maps.users);
    this.refreshMap(this.maps.items);
    // A primary-key range read (no scan): the last line used by the online source.
    const lastKey = (this.stmts.maxKey!.get(eventKey(sourceId, 0), eventKey(sourceId + 1, 0)) as { m: number | null }).m;
    let line = (lastKey === null ? 0 : lastKey - eventKey(sourceId, 0)) + 1;
    const keys: number[] = [];
    const rows: StoredEvent[] = [];
    for (const e of events) {
      if (this.erased(e)) {
        keys.push(-1);
        continue;
      }
      const key = eventKey(sourceId, line);
      keys.push(key);
      rows.push({ ...e, key, sourceId, line: line++ });
    }
    this.writeEvents(rows);
    return keys;
  }

  /** Runs a write transaction (BEGIN IMMEDIATE), mapping failures to `ERR_STORE`. */
  private write<T>(body: () => T): T {
    let out: T;
    try {
      out = this.db.transaction(body).immediate();
    } catch (cause) {
      throw new DataError('ERR_STORE', `Expected a successful write to the store but received: ${(cause as Error).message}`, { cause });
    }
    this.markMapsPersisted();
    return out;
  }

  /**
   * Group commit: online appends that arrive in the same turn of the event loop share one
   * transaction, hence one fsync (the cost that dominates a durable append). Each append runs in
   * its own savepoint, so a failing one is rolled back alone and only its caller sees the error;
   * every promise resolves only after the shared commit.
   */
  private groupWrite<T>(body: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingAppends.push({ body, resolve: resolve as (value: unknown) => void, reject });
      if (this.pendingAppends.length === 1) setImmediate(() => this.flushAppends());
    });
  }

  private flushAppends(): void {
    const group = this.pendingAppends;
    if (group.length === 0) return;
    this.pendingAppends = [];
    let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
    try {
      outcomes = this.write(() =>
        group.map((g) => {
          try {
            return { ok: true as const, value: this.db.transaction(g.body)() };
          } catch (error) {
            return { ok: false as const, error };
          }
        }),
      );
    } catch (error) {
      for (const g of group) g.reject(error);
      return;
    }
    outcomes.forEach((o, i) => {
      if (o.ok) group[i]!.resolve(o.value);
      else group[i]!.reject(new DataError('ERR_STORE', `Expected a successful write to the store but received: ${(o.error as Error).message}`, { cause: o.error }));
    });
  }

  async appendEvents(events: readonly EventRecord[]): Promise<number[]> {
    if (this.writer && !this.writer.dead) return this.writer.call<number[]>({ op: 'append', events });
    const sourceId = this.onlineSourceId();
    return this.groupWrite(() => this.appendRows(sourceId, events));
  }

  async appendEventBatch<T>(batchId: string, events: readonly EventRecord[], result: T): Promise<BatchAppendResult<T>> {
    if (typeof batchId !== 'string' || batchId.length === 0 || batchId.length > MAX_ID_LENGTH) throw invalidArgument(`a batch id of 1..${MAX_ID_LENGTH} characters`, 'batchId', batchId);
    if (this.writer && !this.writer.dead) return this.writer.call<BatchAppendResult<T>>({ op: 'batch', batchId, events, result });
    const sourceId = this.onlineSourceId();
    return this.groupWrite(() => {
      const known = this.stmts.findBatch!.get(batchId) as { result: string } | undefined;
      if (known) return { duplicate: true, keys: [], result: JSON.parse(known.result) as T };
      const keys = this.appendRows(sourceId, events);
      this.stmts.addBatch!.run(batchId, JSON.stringify(result ?? null));
      return { duplicate: false, keys, result };
    });
  }

  async upsertItems(items: readonly StoredItem[]): Promise<UpsertResult> {
    let inserted = 0;
    let updated = 0;
    this.write(() => {
      for (const i of items) {
        if (this.stmts.findItem!.get(i.id)) updated++;
        else inserted++;
        this.stmts.upsertItem!.run(
          i.id, i.sourceId, i.line, i.title, i.brand ?? null, JSON.stringify(i.categoryPath), i.price ?? null, i.currency ?? null,
          JSON.stringify(i.tags), JSON.stringify(i.attributes), i.inStock ? 1 : 0,
        );
      }
    });
    return { inserted, updated };
  }

  async eraseUser(user: string, erasedAt: number): Promise<EraseUserResult> {
    if (typeof user !== 'string' || user.length === 0) throw invalidArgument('a non-empty user id', 'user', user);
    if (typeof erasedAt !== 'number' || !Number.isFinite(erasedAt)) throw invalidArgument('a finite time in ms', 'erasedAt', erasedAt);
    const out = this.write(() => {
      this.refreshMap(this.maps.users);
      const eventsDeleted = this.stmts.deleteUserEvents!.run(user).changes;
      const userDeleted = this.stmts.deleteUser!.run(user).changes > 0;
      // The id map keeps its dense index (indices never move) but no longer names the user.
      const idx = this.maps.users.index.get(user);
      if (idx !== undefined) {
        const placeholder = `\u2400erased:${idx}`;
        this.stmts.renameMapId!.run(placeholder, USER_ID_MAP, user);
        this.maps.users.index.delete(user);
        this.maps.users.index.set(placeholder, idx);
        this.maps.users.ids[idx] = placeholder;
      }
      this.stmts.addErasure!.run(user, erasedAt);
      return { eventsDeleted, userDeleted };
    });
    this.erasures.set(user, Math.max(erasedAt, this.erasures.get(user) ?? -Infinity));
    return out;
  }

  async listErasures(): Promise<ErasureRecord[]> {
    return (this.stmts.listErasures!.all() as Array<{ user_id: string; erased_at: number }>).map((r) => ({ user: r.user_id, erasedAt: r.erased_at }));
  }

  async insertItems(items: readonly StoredItem[]): Promise<InsertResult> {
    return this.runMany(items, this.stmts.insertItem!, (i) => [
      i.id, i.sourceId, i.line, i.title, i.brand ?? null, JSON.stringify(i.categoryPath), i.price ?? null, i.currency ?? null,
      JSON.stringify(i.tags), JSON.stringify(i.attributes), i.inStock ? 1 : 0,
    ]);
  }

  async insertUsers(users: readonly StoredUser[]): Promise<InsertResult> {
    return this.runMany(users, this.stmts.insertUser!, (u) => [u.id, u.sourceId, u.line, JSON.stringify(u.attributes)]);
  }

  async insertTransactions(transactions: readonly StoredTransaction[]): Promise<InsertResult> {
    return this.runMany(transactions, this.stmts.insertTransaction!, (t) => [
      t.id, t.sourceId, t.line, t.user ?? null, t.timestamp ?? null, JSON.stringify(t.lines), t.total ?? null, t.currency ?? null,
    ]);
  }

  async insertQuarantine(entries: readonly QuarantineEntry[]): Promise<void> {
    this.runMany(entries, this.stmts.insertQuarantine!, (q) => [q.sourceId, q.line, q.asset, q.code, q.field, q.reason, q.raw]);
  }

  async *scanEventTuples(options: ScanEventsOptions = {}): AsyncIterable<EventTuple[]> {
    const batchSize = options.batchSize ?? 10_000;
    // Keyset pagination over the integer primary key: each page is a short range read, so
    // writers are never blocked for long and callers may write between pages.
    const text = options.withText === false ? 'NULL, NULL' : 'query, session_id';
    const sql = `SELECT event_key, user_id, item_id, event_type, value, ts, ${text}, removed_by FROM events WHERE event_key > ? ${options.includeRemoved ? '' : 'AND removed_by IS NULL'} ORDER BY event_key LIMIT ?`;
    const stmt = this.db.prepare(sql).raw(true);
    let after = -1;
    for (;;) {
      const rows = stmt.all(after, batchSize) as EventTuple[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows;
      if (rows.length < batchSize) return;
    }
  }

  async *scanEventIndexTuples(options: ScanEventsOptions = {}): AsyncIterable<EventIndexTuple[]> {
    const batchSize = options.batchSize ?? 10_000;
    const text = options.withText === false ? 'NULL, NULL' : 'query, session_id';
    const sql = `SELECT event_key, user_idx, item_idx, event_type, value, ts, ${text}, removed_by FROM events WHERE event_key > ? ${options.includeRemoved ? '' : 'AND removed_by IS NULL'} ORDER BY event_key LIMIT ?`;
    const stmt = this.db.prepare(sql).raw(true);
    let after = -1;
    for (;;) {
      const rows = stmt.all(after, batchSize) as EventIndexTuple[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]![0];
      yield rows;
      if (rows.length < batchSize) return;
    }
  }

  async *scanEvents(options: ScanEventsOptions = {}): AsyncIterable<StoredEvent[]> {
    for await (const rows of this.scanEventTuples(options)) {
      const batch: StoredEvent[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        const key = r[0];
        const sourceId = Math.floor(key / LINE_SPACE);
        const e: { -readonly [K in keyof StoredEvent]: StoredEvent[K] } = {
          key,
          sourceId,
          line: key - sourceId * LINE_SPACE,
          user: r[1],
          type: r[3],
          timestamp: r[5],
        };
        if (r[2] !== null) e.item = r[2];
        if (r[4] !== null) e.value = r[4];
        if (r[6] !== null) e.query = r[6];
        if (r[7] !== null) e.session = r[7];
        if (r[8] !== null) e.removedBy = r[8];
        batch[i] = e;
      }
      yield batch;
    }
  }

  private async *scanKeyed<T>(table: string, keyColumn: string, columns: string, batchSize: number, map: (r: Record<string, unknown>) => T): AsyncIterable<T[]> {
    const stmt = this.db.prepare(`SELECT ${keyColumn} AS k, ${columns} FROM ${table} WHERE ${keyColumn} > ? ORDER BY ${keyColumn} LIMIT ?`);
    let after = '';
    for (;;) {
      const rows = stmt.all(after, batchSize) as Array<Record<string, unknown>>;
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.k as string;
      yield rows.map(map);
      if (rows.length < batchSize) return;
    }
  }

  scanItems(batchSize = 10_000): AsyncIterable<StoredItem[]> {
    return this.scanKeyed('items', 'item_id', 'source_id, line, title, brand, category_path, price, currency, tags, attributes, in_stock', batchSize, (r) => {
      const item: { -readonly [K in keyof StoredItem]: StoredItem[K] } = {
        id: r.k as string,
        sourceId: r.source_id as number,
        line: r.line as number,
        title: r.title as string,
        categoryPath: JSON.parse(r.category_path as string) as string[],
        tags: JSON.parse(r.tags as string) as string[],
        attributes: JSON.parse(r.attributes as string) as ItemRecord['attributes'],
        inStock: r.in_stock === 1,
      };
      if (r.brand !== null) item.brand = r.brand as string;
      if (r.price !== null) item.price = r.price as number;
      if (r.currency !== null) item.currency = r.currency as string;
      return item;
    });
  }

  scanUsers(batchSize = 10_000): AsyncIterable<StoredUser[]> {
    return this.scanKeyed('users', 'user_id', 'source_id, line, attributes', batchSize, (r) => ({
      id: r.k as string,
      sourceId: r.source_id as number,
      line: r.line as number,
      attributes: JSON.parse(r.attributes as string) as UserRecord['attributes'],
    }));
  }

  scanTransactions(batchSize = 10_000): AsyncIterable<StoredTransaction[]> {
    return this.scanKeyed('transactions', 'transaction_id', 'source_id, line, user_id, ts, lines, total, currency', batchSize, (r) => {
      const t: { -readonly [K in keyof StoredTransaction]: StoredTransaction[K] } = {
        id: r.k as string,
        sourceId: r.source_id as number,
        line: r.line as number,
        lines: JSON.parse(r.lines as string) as TransactionRecord['lines'],
      };
      if (r.user_id !== null) t.user = r.user_id as string;
      if (r.ts !== null) t.timestamp = r.ts as number;
      if (r.total !== null) t.total = undef(r.total as number);
      if (r.currency !== null) t.currency = r.currency as string;
      return t;
    });
  }

  async *scanQuarantine(batchSize = 10_000): AsyncIterable<QuarantineEntry[]> {
    const stmt = this.db.prepare(
      'SELECT source_id, line, asset, code, field, reason, raw FROM quarantine WHERE source_id > ? OR (source_id = ? AND line > ?) ORDER BY source_id, line LIMIT ?',
    );
    let afterSource = -1;
    let afterLine = -1;
    for (;;) {
      const rows = stmt.all(afterSource, afterSource, afterLine, batchSize) as Array<Record<string, unknown>>;
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      afterSource = last.source_id as number;
      afterLine = last.line as number;
      yield rows.map((r) => ({
        sourceId: r.source_id as number,
        line: r.line as number,
        asset: r.asset as AssetName,
        code: r.code as string,
        field: r.field as string,
        reason: r.reason as string,
        raw: r.raw as string,
      }));
      if (rows.length < batchSize) return;
    }
  }

  async countRows(asset: AssetName | 'quarantine', includeRemoved = false): Promise<number> {
    const tables = ['events', 'items', 'users', 'transactions', 'quarantine'];
    if (!tables.includes(asset)) throw invalidArgument(`one of ${tables.join(', ')}`, 'asset', asset);
    const where = asset === 'events' && !includeRemoved ? ' WHERE removed_by IS NULL' : '';
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${asset}${where}`).get() as { n: number }).n;
  }

  async quarantineCounts(): Promise<Array<{ asset: AssetName; code: string; field: string; count: number }>> {
    return (this.stmts.quarantineCounts!.all() as Array<Record<string, unknown>>).map((r) => ({
      asset: r.asset as AssetName,
      code: r.code as string,
      field: r.field as string,
      count: r.n as number,
    }));
  }

  async markEventsRemoved(keys: readonly number[], rule: string): Promise<void> {
    this.runMany(keys, this.stmts.markRemoved!, (k) => [rule, k]);
  }

  async clearEventRemovals(): Promise<void> {
    this.stmts.clearRemovals!.run();
  }

  async removalCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of this.stmts.removalCounts!.all() as Array<{ rule: string; n: number }>) out[r.rule] = r.n;
    return out;
  }

  async updateItemTexts(updates: ReadonlyArray<{ id: string; title: string; brand: string | undefined }>): Promise<void> {
    this.runMany(updates, this.stmts.updateItemText!, (u) => [u.title, u.brand ?? null, u.id]);
  }

  async loadIdMap(name: string): Promise<string[]> {
    const rows = this.stmts.loadIdMap!.raw(true).all(name) as Array<[number, string]>;
    const ids: string[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [idx, id] = rows[i]!;
      if (idx !== i) throw new DataError('ERR_STORE', `Expected contiguous indices for id map ${JSON.stringify(name)} but received index ${idx} at position ${i}`);
      ids[i] = id;
    }
    return ids;
  }

  async appendIdMap(name: string, ids: readonly string[], fromIndex: number): Promise<void> {
    const tx = this.db.transaction(() => {
      for (let i = fromIndex; i < ids.length; i++) this.stmts.appendIdMap!.run(name, i, ids[i]);
    });
    tx();
  }

  async putDocument(name: string, value: unknown): Promise<void> {
    this.stmts.putDocument!.run(name, JSON.stringify(value));
  }

  async getDocument<T = unknown>(name: string): Promise<T | undefined> {
    const row = this.stmts.getDocument!.get(name) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.flushAppends();
    this.db.close();
  }
}
