/**
 * Training and test inputs: user × item interaction matrices (CSR, as `@souk/data` builds them)
 * with optional id maps, normalised once into {@link Interactions}; id lookup; data fingerprints;
 * CSR helpers the models share.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { CsrMatrix } from '@souk/kernels';
import { invalidArgument, ModelError } from './errors.js';

/** Anything with the `ids()` of `@souk/data`'s `IdMap`. */
export interface IdList {
  /** All ids in index order. */
  ids(): string[];
}

/**
 * What `fit`, `evaluate` and `tune` accept: a users × items CSR matrix (values = interaction
 * strengths, or ratings for explicit models), alone or with the id maps of its rows and columns
 * (`@souk/data`'s `InteractionMatrices` fits as is).
 */
export type InteractionInput =
  | CsrMatrix
  | {
      /** Users × items. */
      readonly csr: CsrMatrix;
      /** Business ids of the rows (an `IdMap` or an array); index `u` is user `u`. */
      readonly userIds?: IdList | readonly string[];
      /** Business ids of the columns. */
      readonly itemIds?: IdList | readonly string[];
    };

/** A user or an item: a dense index (number) or a business id (string, through the id map). */
export type EntityRef = number | string;

/** Dense ids ↔ business ids for one side (users or items). */
export class IdIndex {
  /** Business ids by index, or undefined when the side has no id map (indices only). */
  readonly ids: string[] | undefined;
  private readonly byId: Map<string, number> | undefined;
  private count: number;

  /** An index over `size` entities, named by `ids` when given. */
  constructor(size: number, ids?: readonly string[]) {
    if (ids !== undefined && ids.length !== size) {
      throw new ModelError('ERR_ID_MAP_MISMATCH', `Expected an id map of ${size} ids (the matrix dimension) but received ${ids.length}`);
    }
    this.count = size;
    this.ids = ids === undefined ? undefined : ids.slice();
    this.byId = ids === undefined ? undefined : new Map(ids.map((id, i) => [id, i]));
  }

  /** Number of entities. */
  get size(): number {
    return this.count;
  }

  /** The index of `ref`, or −1 when unknown. */
  find(ref: EntityRef): number {
    if (typeof ref === 'number') return Number.isInteger(ref) && ref >= 0 && ref < this.count ? ref : -1;
    if (typeof ref === 'string') return this.byId?.get(ref) ?? -1;
    return -1;
  }

  /** The index of `ref`; throws `ERR_UNKNOWN_USER` / `ERR_UNKNOWN_ITEM` when unknown. */
  resolve(ref: EntityRef, side: 'user' | 'item'): number {
    const i = this.find(ref);
    if (i < 0) {
      const what = typeof ref === 'string' && this.byId === undefined ? 'an index (this model has no id map)' : `a known ${side} (index in [0, ${this.count}) or id)`;
      throw invalidArgument(what, side, ref, side === 'user' ? 'ERR_UNKNOWN_USER' : 'ERR_UNKNOWN_ITEM');
    }
    return i;
  }

  /** The business id of index `i` (its decimal string when there is no id map). */
  idAt(i: number): string {
    return this.ids ? this.ids[i]! : String(i);
  }

  /** Indices for `ref`, adding ids that are new (for `partialFit`); returns the index. */
  resolveOrAdd(ref: EntityRef, side: 'user' | 'item'): number {
    const known = this.find(ref);
    if (known >= 0) return known;
    if (typeof ref === 'string' && this.byId && this.ids) {
      this.byId.set(ref, this.count);
      this.ids.push(ref);
      return this.count++;
    }
    if (typeof ref === 'number' && Number.isInteger(ref) && ref >= this.count && this.byId === undefined) {
      this.count = ref + 1;
      return ref;
    }
    throw invalidArgument(`a ${side} id or a non-negative integer index`, side, ref, side === 'user' ? 'ERR_UNKNOWN_USER' : 'ERR_UNKNOWN_ITEM');
  }

  /** Whether two indices name the same entities in the same order. */
  sameAs(other: IdIndex): boolean {
    if (this.size !== other.size) return false;
    if (!this.ids || !other.ids) return true;
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] !== other.ids[i]) return false;
    return true;
  }
}

/** A validated interaction matrix with its id indices and fingerprint. */
export interface Interactions {
  /** Users × items, rows sorted strictly increasing, finite values. */
  readonly csr: CsrMatrix;
  /** Row ids. */
  readonly users: IdIndex;
  /** Column ids. */
  readonly items: IdIndex;
}

function idsOf(list: IdList | readonly string[] | undefined, param: string): readonly string[] | undefined {
  if (list === undefined) return undefined;
  if (Array.isArray(list)) return list as readonly string[];
  if (typeof (list as IdList).ids === 'function') return (list as IdList).ids();
  throw invalidArgument('an IdMap or an array of ids', param, list);
}

/** Checks a CSR matrix's structure (lengths, offsets, column range, finite values). */
export function checkCsr(m: unknown, param: string): CsrMatrix {
  if (typeof m !== 'object' || m === null) throw invalidArgument('a CSR matrix {indptr, indices, data, rows, cols}', param, m);
  const c = m as CsrMatrix;
  if (!(c.indptr instanceof Int32Array) || !(c.indices instanceof Int32Array) || !(c.data instanceof Float32Array)) {
    throw invalidArgument('Int32Array indptr and indices and a Float32Array data', param, m);
  }
  if (!Number.isInteger(c.rows) || c.rows < 0 || !Number.isInteger(c.cols) || c.cols < 0) throw invalidArgument('non-negative integer rows and cols', param, `${c.rows} x ${c.cols}`);
  if (c.indptr.length !== c.rows + 1 || c.indptr[0] !== 0 || c.indptr[c.rows] !== c.indices.length || c.data.length !== c.indices.length) {
    throw invalidArgument(`a well-formed CSR (indptr of ${c.rows + 1} offsets from 0 to nnz, data as long as indices)`, param, c.indptr);
  }
  for (let r = 0; r < c.rows; r++) {
    const b = c.indptr[r]!, e = c.indptr[r + 1]!;
    if (e < b) throw invalidArgument('non-decreasing row offsets', `${param}.indptr[${r + 1}]`, e);
    for (let j = b; j < e; j++) {
      const col = c.indices[j]!;
      if (col < 0 || col >= c.cols) throw invalidArgument(`a column index in [0, ${c.cols})`, `${param}.indices[${j}]`, col);
      if (!Number.isFinite(c.data[j]!)) throw invalidArgument('finite values', `${param}.data[${j}]`, c.data[j]);
    }
  }
  return c;
}

/** The same matrix with every row sorted by column and duplicate entries summed (a copy only when needed). */
export function canonicalCsr(c: CsrMatrix): CsrMatrix {
  let sorted = true;
  for (let r = 0; r < c.rows && sorted; r++) for (let j = c.indptr[r]! + 1; j < c.indptr[r + 1]!; j++) if (c.indices[j]! <= c.indices[j - 1]!) { sorted = false; break; }
  if (sorted) return c;
  const indptr = new Int32Array(c.rows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < c.rows; r++) {
    const order: number[] = [];
    for (let j = c.indptr[r]!; j < c.indptr[r + 1]!; j++) order.push(j);
    order.sort((a, b) => c.indices[a]! - c.indices[b]!);
    for (const j of order) {
      if (indices.length > indptr[r]! && indices[indices.length - 1] === c.indices[j]) data[data.length - 1]! += c.data[j]!;
      else { indices.push(c.indices[j]!); data.push(c.data[j]!); }
    }
    indptr[r + 1] = indices.length;
  }
  return { indptr, indices: Int32Array.from(indices), data: Float32Array.from(data), rows: c.rows, cols: c.cols };
}

/** Normalises an {@link InteractionInput}: validated, rows sorted, id maps checked against the shape. */
export function toInteractions(input: InteractionInput, param = 'interactions'): Interactions {
  if (input instanceof Object && 'csr' in input && !('indptr' in input)) {
    const csr = canonicalCsr(checkCsr(input.csr, `${param}.csr`));
    return {
      csr,
      users: new IdIndex(csr.rows, idsOf(input.userIds, `${param}.userIds`)),
      items: new IdIndex(csr.cols, idsOf(input.itemIds, `${param}.itemIds`)),
    };
  }
  const csr = canonicalCsr(checkCsr(input, param));
  return { csr, users: new IdIndex(csr.rows), items: new IdIndex(csr.cols) };
}

/** SHA-256 (hex, first 32 digits) of a CSR's shape and arrays: identifies training data. */
export function fingerprintCsr(c: CsrMatrix): string {
  const h = createHash('sha256');
  h.update(`${c.rows}x${c.cols}:${c.indices.length};`);
  for (const a of [c.indptr, c.indices, c.data]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** Rows `users` of `c` as a CSR pattern (sorted rows, as top-K `exclude` needs); rows past `c.rows` are empty. */
export function gatherRows(c: CsrMatrix, users: Int32Array): { indptr: Int32Array; indices: Int32Array } {
  const indptr = new Int32Array(users.length + 1);
  for (let q = 0; q < users.length; q++) {
    const u = users[q]!;
    indptr[q + 1] = indptr[q]! + (u < c.rows ? c.indptr[u + 1]! - c.indptr[u]! : 0);
  }
  const indices = new Int32Array(indptr[users.length]!);
  for (let q = 0; q < users.length; q++) {
    const u = users[q]!;
    if (u < c.rows) indices.set(c.indices.subarray(c.indptr[u]!, c.indptr[u + 1]!), indptr[q]!);
  }
  return { indptr, indices };
}

/** Number of stored entries. */
export function nnz(c: CsrMatrix): number {
  return c.indices.length;
}

/** A CSR with the same pattern and every value replaced by `f(value)`. */
export function mapValues(c: CsrMatrix, f: (v: number) => number): CsrMatrix {
  const data = new Float32Array(c.data.length);
  for (let j = 0; j < data.length; j++) data[j] = f(c.data[j]!);
  return { indptr: c.indptr, indices: c.indices, data, rows: c.rows, cols: c.cols };
}

/** A CSR with `rows` rows: extra rows empty (rows ≥ c.rows). */
export function growRows(c: CsrMatrix, rows: number, cols = c.cols): CsrMatrix {
  if (rows === c.rows && cols === c.cols) return c;
  const indptr = new Int32Array(rows + 1);
  indptr.set(c.indptr);
  indptr.fill(c.indptr[c.rows]!, c.rows + 1);
  return { indptr, indices: c.indices, data: c.data, rows, cols };
}

/** `c` with rows `rowIds` replaced by the rows of `replacement` (same order), other rows kept. */
export function replaceRows(c: CsrMatrix, rowIds: Int32Array, replacement: CsrMatrix): CsrMatrix {
  const which = new Map<number, number>();
  rowIds.forEach((r, k) => which.set(r, k));
  const indptr = new Int32Array(c.rows + 1);
  for (let r = 0; r < c.rows; r++) {
    const k = which.get(r);
    const len = k === undefined ? c.indptr[r + 1]! - c.indptr[r]! : replacement.indptr[k + 1]! - replacement.indptr[k]!;
    indptr[r + 1] = indptr[r]! + len;
  }
  const indices = new Int32Array(indptr[c.rows]!);
  const data = new Float32Array(indptr[c.rows]!);
  for (let r = 0; r < c.rows; r++) {
    const k = which.get(r);
    const [src, b, e] = k === undefined ? [c, c.indptr[r]!, c.indptr[r + 1]!] : [replacement, replacement.indptr[k]!, replacement.indptr[k + 1]!];
    indices.set(src.indices.subarray(b, e), indptr[r]!);
    data.set(src.data.subarray(b, e), indptr[r]!);
  }
  return { indptr, indices, data, rows: c.rows, cols: c.cols };
}

/** The transpose (items × users) with sorted rows, in TypeScript (for small or growing matrices). */
export function transpose(c: CsrMatrix): CsrMatrix {
  const indptr = new Int32Array(c.cols + 1);
  for (let j = 0; j < c.indices.length; j++) indptr[c.indices[j]! + 1]!++;
  for (let i = 0; i < c.cols; i++) indptr[i + 1]! += indptr[i]!;
  const cursor = indptr.slice(0, c.cols);
  const indices = new Int32Array(c.indices.length);
  const data = new Float32Array(c.indices.length);
  for (let r = 0; r < c.rows; r++) {
    for (let j = c.indptr[r]!; j < c.indptr[r + 1]!; j++) {
      const at = cursor[c.indices[j]!]!++;
      indices[at] = r;
      data[at] = c.data[j]!;
    }
  }
  return { indptr, indices, data, rows: c.cols, cols: c.rows };
}

/** A CSR from per-row (column, value) lists; rows are sorted and duplicate columns summed. */
export function csrFromLists(rows: ReadonlyArray<{ items: ArrayLike<number>; values?: ArrayLike<number> }>, cols: number): CsrMatrix {
  const indptr = new Int32Array(rows.length + 1);
  for (let r = 0; r < rows.length; r++) indptr[r + 1] = indptr[r]! + rows[r]!.items.length;
  const indices = new Int32Array(indptr[rows.length]!);
  const data = new Float32Array(indptr[rows.length]!);
  rows.forEach((row, r) => {
    for (let k = 0; k < row.items.length; k++) {
      indices[indptr[r]! + k] = row.items[k]!;
      data[indptr[r]! + k] = row.values ? row.values[k]! : 1;
    }
  });
  return canonicalCsr({ indptr, indices, data, rows: rows.length, cols });
}
