/**
 * Small constructors for the kernels' input shapes.
 * @packageDocumentation
 */
import { invalid } from './errors.js';
import type { ItemBitset, Matrix } from './types.js';
import type { CsrPattern } from './validate.js';

/** Wraps row-major values as a {@link Matrix} (no copy). */
export function matrix(data: Float32Array | number[], rows: number, cols: number): Matrix {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  if (values.length !== rows * cols) throw invalid('ERR_SHAPE', `${rows * cols} values (${rows} x ${cols})`, 'data', values);
  return { data: values, rows, cols };
}

/** A bitset over `size` items with the given indices set. */
export function bitsetFromIndices(size: number, indices: Iterable<number>): ItemBitset {
  const bytes = new Uint8Array(Math.ceil(size / 8));
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw invalid('ERR_INDEX_RANGE', `an item index in [0, ${size})`, 'indices', i);
    bytes[i >> 3]! |= 1 << (i & 7);
  }
  return { bytes, size };
}

/** Whether item `i` is in the bitset. */
export function bitsetHas(set: ItemBitset, i: number): boolean {
  return ((set.bytes[i >> 3]! >> (i & 7)) & 1) === 1;
}

/**
 * A CSR pattern from per-row index lists. With `sort` (default true) each row is sorted and
 * de-duplicated, as `exclude` requires.
 */
export function csrFromRows(rows: ReadonlyArray<ReadonlyArray<number>>, sort = true): CsrPattern {
  const indptr = new Int32Array(rows.length + 1);
  const lists = rows.map((r) => (sort ? [...new Set(r)].sort((a, b) => a - b) : [...r]));
  for (let i = 0; i < lists.length; i++) indptr[i + 1] = indptr[i]! + lists[i]!.length;
  const indices = new Int32Array(indptr[lists.length]!);
  let o = 0;
  for (const l of lists) for (const v of l) indices[o++] = v;
  return { indptr, indices };
}
