/**
 * Ingest: stream a CSV/TSV, JSON Lines (plain or gzip) or Parquet source into a store.
 *
 * Every row is either accepted (validated against the asset's schema) or quarantined with its
 * source, line, field and reason; `read = accepted + quarantined` always holds. A row's
 * idempotency key is (source content hash, line), so ingesting the same file again inserts
 * nothing new and reports every row as deduplicated.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DataError, invalidArgument } from './errors.js';
import {
  DEFAULT_MAX_ROW_BYTES,
  makeRecordDecoder,
  openSource,
  sourceName,
  splitDelimited,
  splitRecords,
  type DataSource,
  type ProgressHook,
  type RecordProblem,
  type TextEncodingName,
} from './records.js';
import { EVENT_TYPES, validateAsset, type AssetName, type EventRecord, type EventType, type ItemRecord, type TransactionRecord, type UserRecord } from './schemas.js';
import { eventKey, type DataStore, type QuarantineEntry, type StoredEvent, type StoredItem, type StoredTransaction, type StoredUser } from './store.js';
import { readParquetRows } from './parquet.js';

/** Delimited text (CSV, TSV, pipe-separated, …). */
export interface DelimitedFormat {
  readonly kind: 'delimited';
  /** Field delimiter (default `,`). */
  readonly delimiter?: string;
  /** Quote character (default `"`), or `null` for none. */
  readonly quote?: string | null;
  /** Whether the first record is a header (default true unless `columns` is given). */
  readonly header?: boolean;
  /** Column names when there is no header (or to override it). */
  readonly columns?: readonly string[];
  /** Text encoding (default UTF-8, invalid sequences quarantined). */
  readonly encoding?: TextEncodingName;
  /** Allow newlines inside quoted fields (default false: a stray quote then spoils only its own line). */
  readonly quotedNewlines?: boolean;
}

/** JSON Lines, one object per line; gzip is detected automatically. */
export interface JsonLinesFormat {
  readonly kind: 'jsonl';
}

/** Apache Parquet (read through DuckDB). */
export interface ParquetFormat {
  readonly kind: 'parquet';
}

/** Input format of a source. */
export type IngestFormat = DelimitedFormat | JsonLinesFormat | ParquetFormat;

/** A raw input row: its column values, or the problem that stopped it being read. */
export interface RawRow {
  /** 1-based line (record number for Parquet). */
  readonly line: number;
  /** Values by source column name. */
  readonly values?: Record<string, unknown>;
  /** Set when the row could not be read. */
  readonly problem?: RecordProblem;
  /** The start of the raw text, for the quarantine. */
  readonly raw: string;
}

/** Options shared by {@link readRawRows} and {@link ingest}. */
export interface ReadOptions {
  /** Largest record accepted, in bytes (default 1 MiB). */
  readonly maxRowBytes?: number;
  /** Progress callback, called at most every `progressIntervalMs`. */
  readonly onProgress?: ProgressHook;
  /** Minimum time between progress calls (default 500 ms). */
  readonly progressIntervalMs?: number;
}

const RAW_LIMIT = 512;

/**
 * Builds a function that turns a field array into an object keyed by column name. Objects made
 * by one literal share a hidden class, which is much faster than growing them key by key.
 */
function rowFactory(names: readonly string[]): (fields: string[]) => Record<string, unknown> {
  const unique = new Set(names);
  if (unique.size !== names.length || names.length > 512 || unique.has('__proto__')) {
    return (fields) => {
      const values: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) values[names[i]!] = fields[i];
      return values;
    };
  }
  const body = `return { ${names.map((n, i) => `${JSON.stringify(n)}: f[${i}]`).join(', ')} };`;
  return new Function('f', body) as (fields: string[]) => Record<string, unknown>;
}

/** Infers a format from a file name: `.tsv`/`.tab` → tab, `.jsonl`/`.json`/`.gz` → JSON Lines, `.parquet`, else CSV. */
export function inferFormat(path: string): IngestFormat {
  const lower = path.toLowerCase().replace(/\.gz$/, '');
  if (lower.endsWith('.parquet')) return { kind: 'parquet' };
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return { kind: 'jsonl' };
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return { kind: 'delimited', delimiter: '\t' };
  return { kind: 'delimited', delimiter: ',' };
}

/**
 * Reads a source as raw rows (column name → value), in batches, in bounded memory.
 * Problems (bad encoding, broken quoting, oversized or malformed records) come back as rows
 * with `problem` set, never as exceptions.
 */
export async function* readRawRows(source: DataSource, format: IngestFormat, options: ReadOptions = {}): AsyncGenerator<RawRow[]> {
  if (format.kind === 'parquet') {
    if (typeof source !== 'string' && !('path' in source)) throw invalidArgument('a file path (Parquet is read by path)', 'source', sourceName(source));
    yield* readParquetRows(typeof source === 'string' ? source : source.path, options);
    return;
  }
  const opened = openSource(source);
  const started = Date.now();
  const interval = options.progressIntervalMs ?? 500;
  let lastProgress = started;
  let rows = 0;
  const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  const delimited = format.kind === 'delimited' ? format : undefined;
  const delimiter = delimited?.delimiter ?? ',';
  const quote = delimited ? (delimited.quote === undefined ? '"' : delimited.quote) : null;
  if (delimited && (typeof delimiter !== 'string' || delimiter.length === 0)) throw invalidArgument('a non-empty string', 'format.delimiter', delimiter);
  const decode = makeRecordDecoder(delimited?.encoding ?? 'utf-8');
  const rawEncoding: BufferEncoding = delimited?.encoding === 'latin1' ? 'latin1' : 'utf8';
  const rawOf = (bytes: Buffer | undefined) => (bytes ? bytes.subarray(0, RAW_LIMIT).toString(rawEncoding) : '');
  let makeRow: ((fields: string[]) => Record<string, unknown>) | undefined;
  let columns: readonly string[] | undefined = delimited?.columns;
  let expectHeader = delimited ? (delimited.header ?? columns === undefined) : false;
  let first = true;
  const splitOptions = { maxRowBytes, quoteForNewlines: delimited?.quotedNewlines && quote ? quote : undefined };
  for await (const batch of splitRecords(opened.chunks, splitOptions)) {
    const out: RawRow[] = [];
    for (const record of batch) {
      if (record.problem) {
        out.push({ line: record.line, problem: record.problem, raw: rawOf(record.rawPrefix) });
        continue;
      }
      let text = decode(record.bytes!);
      if (text === undefined) {
        out.push({ line: record.line, problem: { code: 'ERR_ENCODING', field: '', reason: 'Expected valid UTF-8 text but received invalid byte sequences' }, raw: rawOf(record.bytes) });
        continue;
      }
      // The decoded text is the raw row: no second decode for the quarantine.
      const raw = text.length > RAW_LIMIT ? text.slice(0, RAW_LIMIT) : text;
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (delimited) {
        const split = splitDelimited(text, delimiter, quote);
        if ('problem' in split) {
          out.push({ line: record.line, problem: split.problem, raw });
          continue;
        }
        if (expectHeader) {
          expectHeader = false;
          if (!delimited.columns) columns = split.fields.map((c) => c.trim());
          makeRow = undefined;
          continue;
        }
        const fields = split.fields;
        const names = columns ?? fields.map((_, i) => `column${i + 1}`);
        if (fields.length !== names.length) {
          out.push({
            line: record.line,
            problem: { code: 'ERR_FORMAT', field: '', reason: `Expected ${names.length} fields but received ${fields.length}` },
            raw,
          });
          continue;
        }
        makeRow ??= rowFactory(names);
        out.push({ line: record.line, values: makeRow(fields), raw });
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          out.push({ line: record.line, problem: { code: 'ERR_FORMAT', field: '', reason: `Expected a JSON object but received invalid JSON (${(error as Error).message})` }, raw });
          continue;
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
          out.push({ line: record.line, problem: { code: 'ERR_FORMAT', field: '', reason: `Expected a JSON object but received ${Array.isArray(parsed) ? 'an array' : typeof parsed}` }, raw });
          continue;
        }
        out.push({ line: record.line, values: parsed as Record<string, unknown>, raw });
      }
    }
    rows += out.length;
    if (options.onProgress) {
      const now = Date.now();
      if (now - lastProgress >= interval) {
        lastProgress = now;
        options.onProgress({ source: opened.name, bytesRead: opened.bytesRead(), totalBytes: opened.totalBytes, rows, elapsedMs: now - started });
      }
    }
    if (out.length > 0) yield out;
  }
  options.onProgress?.({ source: opened.name, bytesRead: opened.bytesRead(), totalBytes: opened.totalBytes, rows, elapsedMs: Date.now() - started });
}

// ---------------------------------------------------------------------------------------------
// Mapping raw values onto asset records

/** Options that map source columns onto an asset's fields and coerce their values. */
export interface MappingOptions {
  /** Source column for each asset field, when the names differ (`{ user: 'userId' }`). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Constant values for fields the source lacks (`{ type: 'rating' }`). */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Unit of numeric timestamps: seconds, milliseconds, or `auto` (default: < 10^11 means seconds). */
  readonly timestampUnit?: 's' | 'ms' | 'auto';
  /** Separator of list fields (tags, category path) in text input (default `|`). */
  readonly listSeparator?: string;
  /** Separator of the category path in text input (default ` > `). */
  readonly categorySeparator?: string;
  /** Renames of event types (`{ add_to_cart: 'cart' }`). */
  readonly eventTypeAliases?: Readonly<Record<string, EventType>>;
  /** For users: source columns that become attributes (default: every unmapped column). */
  readonly attributeColumns?: readonly string[];
}

type MapResult<T> = { readonly record: T } | { readonly problem: RecordProblem };

const schemaProblem = (field: string, reason: string): { problem: RecordProblem } => ({ problem: { code: 'ERR_SCHEMA', field, reason } });

function pick(values: Record<string, unknown>, field: string, options: MappingOptions): unknown {
  const column = options.fields?.[field] ?? field;
  const v = values[column];
  if (v === undefined || v === null || v === '') return options.defaults?.[field];
  return v;
}

class FieldError {
  constructor(readonly field: string, readonly reason: string) {}
}

function asId(v: unknown, field: string, required: boolean): string | undefined {
  if (v === undefined) {
    if (required) throw new FieldError(field, 'Expected a non-empty id but received nothing');
    return undefined;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v !== 'string') throw new FieldError(field, `Expected a string id but received ${typeof v}`);
  const s = v.trim();
  if (s.length === 0) {
    if (required) throw new FieldError(field, 'Expected a non-empty id but received an empty string');
    return undefined;
  }
  return s;
}

function asNumber(v: unknown, field: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n) || (typeof v === 'string' && v.trim() === '')) {
    throw new FieldError(field, `Expected a finite number but received ${JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : v)}`);
  }
  return n;
}

const NUMERIC = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** Parses a timestamp (Unix seconds or milliseconds, or an ISO-8601 date) into milliseconds. */
export function parseTimestamp(v: unknown, unit: 's' | 'ms' | 'auto' = 'auto'): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (v instanceof Date) return v.getTime();
  else if (typeof v === 'string') {
    const s = v.trim();
    if (NUMERIC.test(s)) n = Number(s);
    else {
      const ms = Date.parse(s);
      return Number.isFinite(ms) ? ms : undefined;
    }
  } else return undefined;
  if (!Number.isFinite(n)) return undefined;
  const seconds = unit === 's' || (unit === 'auto' && Math.abs(n) < 1e11);
  return Math.round(seconds ? n * 1000 : n);
}

function asTimestamp(v: unknown, field: string, options: MappingOptions, required: boolean): number | undefined {
  if (v === undefined) {
    if (required) throw new FieldError(field, 'Expected a timestamp but received nothing');
    return undefined;
  }
  const ms = parseTimestamp(v, options.timestampUnit ?? 'auto');
  if (ms === undefined || !Number.isSafeInteger(ms)) {
    throw new FieldError(field, `Expected a Unix time or ISO-8601 date but received ${JSON.stringify(typeof v === 'string' ? v.slice(0, 40) : String(v))}`);
  }
  return ms;
}

function asText(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FieldError(field, `Expected text but received ${Array.isArray(v) ? 'an array' : typeof v}`);
}

function asList(v: unknown, field: string, separator: string): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map((x) => asText(x, field) ?? '').map((s) => s.trim()).filter((s) => s.length > 0);
  const s = asText(v, field) ?? '';
  return s.split(separator).map((x) => x.trim()).filter((x) => x.length > 0);
}

function asBoolean(v: unknown, field: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'y', 't'].includes(s)) return true;
    if (['0', 'false', 'no', 'n', 'f'].includes(s)) return false;
  }
  throw new FieldError(field, `Expected a boolean but received ${JSON.stringify(v)}`);
}

function asAttributes(v: unknown, field: string): Record<string, string | number | boolean> {
  if (v === undefined) return {};
  let obj: unknown = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch {
      throw new FieldError(field, 'Expected a JSON object of attributes but received invalid JSON');
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new FieldError(field, 'Expected an object of attributes');
  const out: Record<string, string | number | boolean> = {};
  for (const [k, x] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))) out[k] = x;
    else if (x !== null && x !== undefined) out[k] = JSON.stringify(x);
  }
  return out;
}

function guard<T>(build: () => T): MapResult<T> {
  try {
    return { record: build() };
  } catch (error) {
    if (error instanceof FieldError) return schemaProblem(error.field, error.reason);
    throw error;
  }
}

const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES);

/** Maps raw values onto an event. */
export function toEvent(values: Record<string, unknown>, options: MappingOptions = {}): MapResult<EventRecord> {
  const r = guard<EventRecord>(() => {
    const rawType = asText(pick(values, 'type', options), 'type');
    if (rawType === undefined) throw new FieldError('type', 'Expected an event type but received nothing');
    const lowered = rawType.trim().toLowerCase();
    const type = (options.eventTypeAliases?.[lowered] ?? lowered) as EventType;
    if (!EVENT_TYPE_SET.has(type)) throw new FieldError('type', `Expected one of ${EVENT_TYPES.join(', ')} but received ${JSON.stringify(rawType.slice(0, 40))}`);
    const e: { -readonly [K in keyof EventRecord]: EventRecord[K] } = {
      user: asId(pick(values, 'user', options), 'user', true)!,
      type,
      timestamp: asTimestamp(pick(values, 'timestamp', options), 'timestamp', options, true)!,
    };
    const item = asId(pick(values, 'item', options), 'item', type !== 'search');
    if (item !== undefined) e.item = item;
    const value = asNumber(pick(values, 'value', options), 'value');
    if (value !== undefined) e.value = value;
    if (type === 'rating' && value === undefined) throw new FieldError('value', 'Expected a rating value but received nothing');
    const query = asText(pick(values, 'query', options), 'query');
    if (query !== undefined) e.query = query;
    if (type === 'search' && (query === undefined || query.trim() === '')) throw new FieldError('query', 'Expected a query for a search event but received nothing');
    const session = asId(pick(values, 'session', options), 'session', false);
    if (session !== undefined) e.session = session;
    return e;
  });
  return 'record' in r ? finalCheck('events', r.record) : r;
}

/** Maps raw values onto an item. */
export function toItem(values: Record<string, unknown>, options: MappingOptions = {}): MapResult<ItemRecord> {
  const r = guard<ItemRecord>(() => {
    const item: { -readonly [K in keyof ItemRecord]: ItemRecord[K] } = {
      id: asId(pick(values, 'id', options), 'id', true)!,
      title: asText(pick(values, 'title', options), 'title') ?? '',
      categoryPath: asList(pick(values, 'categoryPath', options), 'categoryPath', options.categorySeparator ?? ' > '),
      tags: asList(pick(values, 'tags', options), 'tags', options.listSeparator ?? '|'),
      attributes: asAttributes(pick(values, 'attributes', options), 'attributes'),
      inStock: asBoolean(pick(values, 'inStock', options), 'inStock', true),
    };
    const brand = asText(pick(values, 'brand', options), 'brand');
    if (brand !== undefined) item.brand = brand;
    const price = asNumber(pick(values, 'price', options), 'price');
    if (price !== undefined) item.price = price;
    const currency = asText(pick(values, 'currency', options), 'currency');
    if (currency !== undefined) item.currency = currency.trim().toUpperCase();
    return item;
  });
  return 'record' in r ? finalCheck('items', r.record) : r;
}

/** Maps raw values onto a user; unmapped columns become attributes. */
export function toUser(values: Record<string, unknown>, options: MappingOptions = {}): MapResult<UserRecord> {
  const r = guard<UserRecord>(() => {
    const idColumn = options.fields?.id ?? 'id';
    const attributes = values.attributes !== undefined ? asAttributes(values.attributes, 'attributes') : {};
    const columns = options.attributeColumns ?? Object.keys(values).filter((k) => k !== idColumn && k !== 'attributes');
    for (const c of columns) {
      const v = values[c];
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) attributes[c] = v;
    }
    return { id: asId(pick(values, 'id', options), 'id', true)!, attributes };
  });
  return 'record' in r ? finalCheck('users', r.record) : r;
}

/** Maps raw values onto a transaction (`lines` as an array of `{item, quantity, price}` or a JSON string). */
export function toTransaction(values: Record<string, unknown>, options: MappingOptions = {}): MapResult<TransactionRecord> {
  const r = guard<TransactionRecord>(() => {
    let lines = pick(values, 'lines', options);
    if (typeof lines === 'string') {
      try {
        lines = JSON.parse(lines);
      } catch {
        throw new FieldError('lines', 'Expected a JSON array of lines but received invalid JSON');
      }
    }
    if (!Array.isArray(lines)) throw new FieldError('lines', `Expected an array of lines but received ${typeof lines}`);
    const t: { -readonly [K in keyof TransactionRecord]: TransactionRecord[K] } = {
      id: asId(pick(values, 'id', options), 'id', true)!,
      lines: lines.map((l, i) => {
        const o = (l ?? {}) as Record<string, unknown>;
        const line: { item: string; quantity: number; price?: number } = {
          item: asId(o.item, `lines/${i}/item`, true)!,
          quantity: asNumber(o.quantity ?? 1, `lines/${i}/quantity`)!,
        };
        const price = asNumber(o.price, `lines/${i}/price`);
        if (price !== undefined) line.price = price;
        return line;
      }),
    };
    const user = asId(pick(values, 'user', options), 'user', false);
    if (user !== undefined) t.user = user;
    const ts = asTimestamp(pick(values, 'timestamp', options), 'timestamp', options, false);
    if (ts !== undefined) t.timestamp = ts;
    const total = asNumber(pick(values, 'total', options), 'total');
    if (total !== undefined) t.total = total;
    const currency = asText(pick(values, 'currency', options), 'currency');
    if (currency !== undefined) t.currency = currency.trim().toUpperCase();
    return t;
  });
  return 'record' in r ? finalCheck('transactions', r.record) : r;
}

function finalCheck<T>(asset: AssetName, record: T): MapResult<T> {
  const problem = validateAsset(asset, record);
  return problem ? schemaProblem(problem.field, problem.reason) : { record };
}

// ---------------------------------------------------------------------------------------------
// Ingest

/** Options of {@link ingest}. */
export interface IngestOptions extends ReadOptions, MappingOptions {
  /** Asset the source feeds. */
  readonly asset: AssetName;
  /** The input. */
  readonly source: DataSource;
  /** Format (default: inferred from the file name). */
  readonly format?: IngestFormat;
  /** Rows per store transaction (default 5,000). */
  readonly batchSize?: number;
  /** Custom row mapping, replacing the asset's default mapper (used by the dataset loaders). */
  readonly mapRow?: (values: Record<string, unknown>, line: number) => MapResult<EventRecord | ItemRecord | UserRecord | TransactionRecord>;
}

/** What an ingest did. `read = accepted + quarantined`, `accepted = inserted + deduplicated`. */
export interface IngestSummary {
  /** Source path or name. */
  readonly source: string;
  /** Store id of the source. */
  readonly sourceId: number;
  /** SHA-256 of the source bytes (streams: of their name). */
  readonly sha256: string;
  /** Asset fed. */
  readonly asset: AssetName;
  /** Format label. */
  readonly format: string;
  /** Rows read (excluding a header). */
  readonly read: number;
  /** Rows that passed validation. */
  readonly accepted: number;
  /** Accepted rows new to the store. */
  readonly inserted: number;
  /** Accepted rows whose key (or id) was already stored: re-ingest or repeated ids. */
  readonly deduplicated: number;
  /** Rows quarantined. */
  readonly quarantined: number;
  /** Quarantined rows by `CODE:field`. */
  readonly quarantinedByReason: Readonly<Record<string, number>>;
  /** Wall time in milliseconds. */
  readonly elapsedMs: number;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new DataError('ERR_IO', `Expected a readable file for source but received ${JSON.stringify(path)}`, { cause });
  }
  return hash.digest('hex');
}

const DEFAULT_MAPPERS = { events: toEvent, items: toItem, users: toUser, transactions: toTransaction } as const;

/**
 * Streams a source into the store: reads, maps, validates, quarantines, inserts, and records the
 * source's lineage and summary. Memory stays bounded by `maxRowBytes` and `batchSize`.
 */
export async function ingest(store: DataStore, options: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  const { asset, source } = options;
  if (!(asset in DEFAULT_MAPPERS)) throw invalidArgument('one of events, items, users, transactions', 'asset', asset);
  const name = sourceName(source);
  const format = options.format ?? inferFormat(name);
  const isFile = typeof source === 'string' || 'path' in source;
  const sha256 = isFile ? await hashFile(name) : createHash('sha256').update(`stream:${name}`).digest('hex');
  const formatLabel = format.kind === 'delimited' ? (format.delimiter === '\t' ? 'tsv' : 'csv') : format.kind;
  const bytes = isFile ? (await import('node:fs')).statSync(name).size : null;
  const sourceId = await store.registerSource({ path: name, sha256, asset, format: formatLabel, bytes });
  const map = options.mapRow ?? ((values: Record<string, unknown>) => DEFAULT_MAPPERS[asset](values, options));
  const batchSize = options.batchSize ?? 5_000;
  let read = 0;
  let accepted = 0;
  let inserted = 0;
  let deduplicated = 0;
  const byReason: Record<string, number> = {};
  let pendingRows: Array<{ line: number; record: unknown }> = [];
  let pendingQuarantine: QuarantineEntry[] = [];

  const flush = async () => {
    if (pendingRows.length > 0) {
      let result;
      const rows = pendingRows;
      pendingRows = [];
      switch (asset) {
        case 'events':
          result = await store.insertEvents(
            rows.map((r) => {
              // The mapped record is ours: extend it in place instead of copying.
              const e = r.record as { -readonly [K in keyof StoredEvent]: StoredEvent[K] };
              e.key = eventKey(sourceId, r.line);
              e.sourceId = sourceId;
              e.line = r.line;
              return e as StoredEvent;
            }),
          );
          break;
        case 'items':
          result = await store.insertItems(rows.map((r) => ({ ...(r.record as ItemRecord), sourceId, line: r.line }) as StoredItem));
          break;
        case 'users':
          result = await store.insertUsers(rows.map((r) => ({ ...(r.record as UserRecord), sourceId, line: r.line }) as StoredUser));
          break;
        case 'transactions':
          result = await store.insertTransactions(rows.map((r) => ({ ...(r.record as TransactionRecord), sourceId, line: r.line }) as StoredTransaction));
          break;
      }
      inserted += result.inserted;
      deduplicated += result.ignored;
    }
    if (pendingQuarantine.length > 0) {
      const q = pendingQuarantine;
      pendingQuarantine = [];
      await store.insertQuarantine(q);
    }
  };

  const quarantine = (line: number, problem: RecordProblem, raw: string) => {
    const reasonKey = `${problem.code}:${problem.field || '(row)'}`;
    byReason[reasonKey] = (byReason[reasonKey] ?? 0) + 1;
    pendingQuarantine.push({ sourceId, line, asset, code: problem.code, field: problem.field, reason: problem.reason, raw });
  };

  for await (const batch of readRawRows(source, format, options)) {
    for (const row of batch) {
      read++;
      if (row.problem) {
        quarantine(row.line, row.problem, row.raw);
        continue;
      }
      const mapped = map(row.values!, row.line);
      if ('problem' in mapped) {
        quarantine(row.line, mapped.problem, row.raw);
        continue;
      }
      accepted++;
      pendingRows.push({ line: row.line, record: mapped.record });
    }
    if (pendingRows.length >= batchSize || pendingQuarantine.length >= batchSize) await flush();
  }
  await flush();
  const summary: IngestSummary = {
    source: name,
    sourceId,
    sha256,
    asset,
    format: formatLabel,
    read,
    accepted,
    inserted,
    deduplicated,
    quarantined: read - accepted,
    quarantinedByReason: byReason,
    elapsedMs: Date.now() - started,
  };
  await store.finishSource(sourceId, summary);
  return summary;
}
