/**
 * Columnar, typed-array views of the event log, loaded from a store in one pass.
 * @packageDocumentation
 */
import { EVENT_TYPES, type EventType } from './schemas.js';
import { ITEM_ID_MAP, USER_ID_MAP, type DataStore } from './store.js';
import { IdMap } from './idmap.js';

/** Event type → small integer code (index in {@link EVENT_TYPES}). */
export const EVENT_TYPE_CODE: Readonly<Record<EventType, number>> = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<EventType, number>;

/** Events as parallel typed arrays. `items[i]` is −1 for events without an item (searches). */
export interface EventColumns {
  /** Number of events. */
  readonly length: number;
  /** Store keys. */
  readonly keys: Float64Array;
  /** Dense user indices (see `userIds`). */
  readonly users: Int32Array;
  /** Dense item indices, −1 when absent. */
  readonly items: Int32Array;
  /** Event type codes ({@link EVENT_TYPE_CODE}). */
  readonly types: Uint8Array;
  /** Values, NaN when absent. */
  readonly values: Float64Array;
  /** Timestamps in ms. */
  readonly timestamps: Float64Array;
  /** 32-bit hash of query and session (for exact-duplicate detection). */
  readonly extras: Int32Array;
  /** User id map. */
  readonly userIds: IdMap;
  /** Item id map. */
  readonly itemIds: IdMap;
  /** Per event: bit 0 query present, bit 1 session present, bit 2 removed by cleaning. */
  readonly flags: Uint8Array;
}

/** {@link EventColumns.flags} bit: the event has a query. */
export const FLAG_HAS_QUERY = 1;
/** {@link EventColumns.flags} bit: the event has a session. */
export const FLAG_HAS_SESSION = 2;
/** {@link EventColumns.flags} bit: the event was removed by cleaning. */
export const FLAG_REMOVED = 4;

function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  const C = a.constructor as new (n: number) => T;
  const b = new C(n);
  b.set(a);
  return b;
}

/** Options of {@link loadEventColumns}. */
export interface LoadEventColumnsOptions {
  /** Include events removed by cleaning (default false). */
  readonly includeRemoved?: boolean;
  /** Only these event types (default all). */
  readonly eventTypes?: readonly EventType[];
  /** Load query and session (for `extras` and `flags`; default true). */
  readonly withText?: boolean;
}

/**
 * Loads the event log from a store into typed arrays, in one pass over the store. User and item
 * indices are the store's persisted dense indices ({@link USER_ID_MAP}, {@link ITEM_ID_MAP}).
 */
export async function loadEventColumns(store: DataStore, options: LoadEventColumnsOptions = {}): Promise<EventColumns> {
  const allowed = options.eventTypes ? new Set(options.eventTypes) : undefined;
  let capacity = 1 << 16;
  let keys = new Float64Array(capacity);
  let users = new Int32Array(capacity);
  let items = new Int32Array(capacity);
  let types = new Uint8Array(capacity);
  let values = new Float64Array(capacity);
  let timestamps = new Float64Array(capacity);
  let extras = new Int32Array(capacity);
  let flags = new Uint8Array(capacity);
  let n = 0;
  for await (const batch of store.scanEventIndexTuples({ includeRemoved: options.includeRemoved ?? false, batchSize: 20_000, withText: options.withText ?? true })) {
    if (n + batch.length > capacity) {
      while (n + batch.length > capacity) capacity *= 2;
      keys = grow(keys, capacity);
      users = grow(users, capacity);
      items = grow(items, capacity);
      types = grow(types, capacity);
      values = grow(values, capacity);
      timestamps = grow(timestamps, capacity);
      extras = grow(extras, capacity);
      flags = grow(flags, capacity);
    }
    for (let k = 0; k < batch.length; k++) {
      const e = batch[k]!;
      const type = e[3];
      if (allowed && !allowed.has(type)) continue;
      keys[n] = e[0];
      users[n] = e[1];
      items[n] = e[2] ?? -1;
      types[n] = EVENT_TYPE_CODE[type];
      values[n] = e[4] ?? NaN;
      timestamps[n] = e[5];
      const query = e[6];
      const session = e[7];
      extras[n] = query === null && session === null ? 0 : fnv1a(session ?? '', fnv1a(query ?? ''));
      flags[n] = (query === null ? 0 : FLAG_HAS_QUERY) | (session === null ? 0 : FLAG_HAS_SESSION) | (e[8] === null ? 0 : FLAG_REMOVED);
      n++;
    }
  }
  // Loaded after the scan, so every index seen is covered even if writers added ids meanwhile.
  const userIds = await IdMap.load(store, USER_ID_MAP);
  const itemIds = await IdMap.load(store, ITEM_ID_MAP);
  return {
    length: n,
    keys: keys.subarray(0, n),
    users: users.subarray(0, n),
    items: items.subarray(0, n),
    types: types.subarray(0, n),
    values: values.subarray(0, n),
    timestamps: timestamps.subarray(0, n),
    extras: extras.subarray(0, n),
    flags: flags.subarray(0, n),
    userIds,
    itemIds,
  };
}
