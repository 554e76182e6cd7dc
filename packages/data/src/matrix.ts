/**
 * Interaction matrices: event-type weights, time decay, confidence `1 + α·w`, and CSR + CSC
 * built from the store in one pass, as the plain typed arrays `@souk/kernels` consumes.
 * @packageDocumentation
 */
import type { CsrMatrix } from '@souk/kernels';
import { EVENT_TYPE_CODE, loadEventColumns, type EventColumns } from './columns.js';
import { invalidArgument } from './errors.js';
import type { IdMap } from './idmap.js';
import { EVENT_TYPES, type EventType } from './schemas.js';
import type { DataStore } from './store.js';

/** Default weight of each event type (searches carry no item and weigh nothing). */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<EventType, number>> = {
  search: 0,
  view: 1,
  click: 2,
  cart: 4,
  purchase: 8,
  rating: 1,
};

/** How events turn into interaction strengths. */
export interface WeightingOptions {
  /** Weight per event type (default {@link DEFAULT_EVENT_WEIGHTS}). */
  readonly weights?: Partial<Record<EventType, number>>;
  /** For ratings, multiply the weight by the rating value (default true). */
  readonly ratingAsValue?: boolean;
  /** Exponential time decay half-life in days (default none). */
  readonly halfLifeDays?: number;
  /** Reference time for decay, ms (default the latest event). */
  readonly referenceTimeMs?: number;
  /** When set, stored values are the confidence `1 + alpha · w` instead of `w`. */
  readonly alpha?: number;
}

/**
 * Unique (user, item) interactions sorted by user then item, with their summed strength and the
 * time of the latest event. The unit that splits operate on.
 */
export interface InteractionPairs {
  /** Number of pairs. */
  readonly length: number;
  /** User index per pair. */
  readonly users: Int32Array;
  /** Item index per pair. */
  readonly items: Int32Array;
  /** Strength per pair (`w`, or `1 + α·w` with `alpha`). */
  readonly values: Float32Array;
  /** Latest event time (ms) per pair. */
  readonly timestamps: Float64Array;
  /** Number of users (matrix rows). */
  readonly rows: number;
  /** Number of items (matrix columns). */
  readonly cols: number;
}

/** User × item matrix in CSR and its transpose (item × user, i.e. CSC of the same matrix). */
export interface InteractionMatrices {
  /** The aggregated pairs. */
  readonly pairs: InteractionPairs;
  /** Users × items, CSR. */
  readonly csr: CsrMatrix;
  /** Items × users, CSR of the transpose (= CSC of `csr`). */
  readonly csc: CsrMatrix;
  /** User ids of the rows. */
  readonly userIds: IdMap;
  /** Item ids of the columns. */
  readonly itemIds: IdMap;
}

/**
 * Aggregates events into unique (user, item) pairs: per-event weight × decay, summed; optional
 * confidence transform. Events with no item or zero weight are skipped. Linear time (two
 * counting-sort passes).
 */
export function aggregateInteractions(cols: EventColumns, options: WeightingOptions = {}): InteractionPairs {
  const weights = new Float64Array(EVENT_TYPES.length);
  for (const t of EVENT_TYPES) {
    const w = options.weights?.[t] ?? DEFAULT_EVENT_WEIGHTS[t];
    if (!Number.isFinite(w) || w < 0) throw invalidArgument('a finite non-negative weight', `weights.${t}`, w);
    weights[EVENT_TYPE_CODE[t]] = w;
  }
  const ratingAsValue = options.ratingAsValue ?? true;
  const RATING = EVENT_TYPE_CODE.rating;
  const halfLife = options.halfLifeDays;
  if (halfLife !== undefined && !(halfLife > 0)) throw invalidArgument('a positive number of days', 'halfLifeDays', halfLife);
  if (options.alpha !== undefined && !(options.alpha >= 0)) throw invalidArgument('a non-negative number', 'alpha', options.alpha);
  const n = cols.length;
  let reference = options.referenceTimeMs ?? -Infinity;
  if (options.referenceTimeMs === undefined) for (let i = 0; i < n; i++) if (cols.timestamps[i]! > reference) reference = cols.timestamps[i]!;
  const decayPerMs = halfLife === undefined ? 0 : Math.LN2 / (halfLife * 86_400_000);
  const rows = cols.userIds.size;
  const numCols = cols.itemIds.size;

  // Pass 1: per-event strengths, and the kept events.
  const strength = new Float64Array(n);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const item = cols.items[i]!;
    if (item < 0) continue;
    const type = cols.types[i]!;
    let w = weights[type]!;
    if (type === RATING && ratingAsValue) w *= Number.isFinite(cols.values[i]) ? cols.values[i]! : 0;
    if (decayPerMs > 0) w *= Math.exp(-decayPerMs * Math.max(0, reference - cols.timestamps[i]!));
    if (!(w > 0)) continue;
    strength[i] = w;
    kept++;
  }
  // Pass 2: LSD radix by item, then by user (both stable): order is (user, item, key).
  const itemStart = new Int32Array(numCols + 1);
  for (let i = 0; i < n; i++) if (strength[i]! > 0) itemStart[cols.items[i]! + 1]!++;
  for (let c = 0; c < numCols; c++) itemStart[c + 1]! += itemStart[c]!;
  const byItem = new Int32Array(kept);
  for (let i = 0; i < n; i++) if (strength[i]! > 0) byItem[itemStart[cols.items[i]!]!++] = i;
  const userStart = new Int32Array(rows + 1);
  for (let k = 0; k < kept; k++) userStart[cols.users[byItem[k]!]! + 1]!++;
  for (let r = 0; r < rows; r++) userStart[r + 1]! += userStart[r]!;
  const order = new Int32Array(kept);
  for (let k = 0; k < kept; k++) {
    const i = byItem[k]!;
    order[userStart[cols.users[i]!]!++] = i;
  }
  // Pass 3: merge runs of the same (user, item).
  const users = new Int32Array(kept);
  const items = new Int32Array(kept);
  const values = new Float32Array(kept);
  const timestamps = new Float64Array(kept);
  let m = -1;
  let sum = 0;
  for (let k = 0; k < kept; k++) {
    const i = order[k]!;
    const u = cols.users[i]!;
    const it = cols.items[i]!;
    if (m >= 0 && users[m] === u && items[m] === it) {
      sum += strength[i]!;
      if (cols.timestamps[i]! > timestamps[m]!) timestamps[m] = cols.timestamps[i]!;
    } else {
      if (m >= 0) values[m] = sum;
      m++;
      users[m] = u;
      items[m] = it;
      timestamps[m] = cols.timestamps[i]!;
      sum = strength[i]!;
    }
  }
  if (m >= 0) values[m] = sum;
  const length = m + 1;
  if (options.alpha !== undefined) for (let p = 0; p < length; p++) values[p] = 1 + options.alpha * values[p]!;
  return {
    length,
    users: users.slice(0, length),
    items: items.slice(0, length),
    values: values.slice(0, length),
    timestamps: timestamps.slice(0, length),
    rows,
    cols: numCols,
  };
}

/** CSR (users × items) of pairs sorted by (user, item). */
export function pairsToCsr(pairs: InteractionPairs): CsrMatrix {
  const indptr = new Int32Array(pairs.rows + 1);
  for (let p = 0; p < pairs.length; p++) indptr[pairs.users[p]! + 1]!++;
  for (let r = 0; r < pairs.rows; r++) indptr[r + 1]! += indptr[r]!;
  // Pairs are sorted by (user, item), so CSR order is pair order.
  const indices = new Int32Array(pairs.length);
  const data = new Float32Array(pairs.length);
  const cursor = indptr.slice(0, pairs.rows);
  for (let p = 0; p < pairs.length; p++) {
    const at = cursor[pairs.users[p]!]!++;
    indices[at] = pairs.items[p]!;
    data[at] = pairs.values[p]!;
  }
  return { indptr, indices, data, rows: pairs.rows, cols: pairs.cols };
}

/** CSR of the transpose (items × users) — the CSC of the user × item matrix. */
export function pairsToCsc(pairs: InteractionPairs): CsrMatrix {
  const indptr = new Int32Array(pairs.cols + 1);
  for (let p = 0; p < pairs.length; p++) indptr[pairs.items[p]! + 1]!++;
  for (let c = 0; c < pairs.cols; c++) indptr[c + 1]! += indptr[c]!;
  const indices = new Int32Array(pairs.length);
  const data = new Float32Array(pairs.length);
  const cursor = indptr.slice(0, pairs.cols);
  for (let p = 0; p < pairs.length; p++) {
    const at = cursor[pairs.items[p]!]!++;
    indices[at] = pairs.users[p]!; // users ascend within each item because pairs are user-sorted
    data[at] = pairs.values[p]!;
  }
  return { indptr, indices, data, rows: pairs.cols, cols: pairs.rows };
}

/** Options of {@link buildInteractionMatrices}. */
export interface BuildMatricesOptions extends WeightingOptions {
  /** Only these event types (default all with non-zero weight). */
  readonly eventTypes?: readonly EventType[];
}

/**
 * Builds the user × item matrices from the store's (cleaned) events in one pass over the store.
 * Rows and columns are the store's persisted dense user and item indices, so they are stable
 * across runs (users or items whose events were all removed keep their index and an empty row).
 */
export async function buildInteractionMatrices(store: DataStore, options: BuildMatricesOptions = {}): Promise<InteractionMatrices> {
  const cols = await loadEventColumns(store, { withText: false, ...(options.eventTypes ? { eventTypes: options.eventTypes } : {}) });
  const pairs = aggregateInteractions(cols, options);
  return { pairs, csr: pairsToCsr(pairs), csc: pairsToCsc(pairs), userIds: cols.userIds, itemIds: cols.itemIds };
}

/** Checks CSR invariants (used by tests and as a cheap guard before handing data to kernels). */
export function assertValidCsr(m: CsrMatrix, name = 'matrix'): void {
  if (m.indptr.length !== m.rows + 1) throw invalidArgument(`indptr of length ${m.rows + 1}`, `${name}.indptr`, m.indptr.length);
  if (m.indptr[0] !== 0 || m.indptr[m.rows] !== m.indices.length) throw invalidArgument(`indptr from 0 to ${m.indices.length}`, `${name}.indptr`, m.indptr[m.rows]);
  if (m.data.length !== m.indices.length) throw invalidArgument(`data of length ${m.indices.length}`, `${name}.data`, m.data.length);
  for (let r = 0; r < m.rows; r++) {
    if (m.indptr[r + 1]! < m.indptr[r]!) throw invalidArgument('a non-decreasing indptr', `${name}.indptr[${r + 1}]`, m.indptr[r + 1]);
    for (let k = m.indptr[r]!; k < m.indptr[r + 1]!; k++) {
      const c = m.indices[k]!;
      if (c < 0 || c >= m.cols) throw invalidArgument(`a column in [0, ${m.cols})`, `${name}.indices[${k}]`, c);
      if (k > m.indptr[r]! && m.indices[k - 1]! >= c) throw invalidArgument('strictly increasing columns within a row', `${name}.indices[${k}]`, c);
    }
  }
}
