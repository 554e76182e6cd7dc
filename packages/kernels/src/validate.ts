/**
 * Full argument validation in TypeScript (CONVENTIONS.md 12): every public op checks its inputs
 * here, with messages of the form "Expected <what> for <param> but received <value>", before
 * anything reaches native code (which re-checks lengths cheaply).
 * @internal
 * @packageDocumentation
 */
import { invalid, KernelError } from './errors.js';
import type { CsrMatrix, ItemBitset, Matrix } from './types.js';

/** A CSR pattern: row offsets and column indices (values, if any, are ignored). */
export interface CsrPattern {
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
}

export function checkInt(value: unknown, param: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw invalid(typeof value === 'number' && Number.isInteger(value) ? 'ERR_ARGUMENT' : 'ERR_TYPE', range, param, value);
  }
  return value;
}

export function checkNumber(value: unknown, param: string, what: string, ok: (v: number) => boolean): number {
  if (typeof value !== 'number') throw invalid('ERR_TYPE', what, param, value);
  if (!ok(value)) throw invalid('ERR_ARGUMENT', what, param, value);
  return value;
}

export function checkMatrix(m: unknown, param: string): Matrix {
  if (typeof m !== 'object' || m === null) throw invalid('ERR_TYPE', 'a matrix {data: Float32Array, rows, cols}', param, m);
  const { data, rows, cols } = m as Matrix;
  if (!(data instanceof Float32Array)) throw invalid('ERR_TYPE', 'a Float32Array', `${param}.data`, data);
  if (typeof rows !== 'number' || !Number.isInteger(rows) || rows < 0) throw invalid('ERR_SHAPE', 'a non-negative integer', `${param}.rows`, rows);
  if (typeof cols !== 'number' || !Number.isInteger(cols) || cols < 0) throw invalid('ERR_SHAPE', 'a non-negative integer', `${param}.cols`, cols);
  if (data.length !== rows * cols) {
    throw new KernelError(
      `Expected ${rows} x ${cols} = ${rows * cols} values for ${param}.data but received ${data.length}`,
      'ERR_SHAPE',
    );
  }
  return m as Matrix;
}

/** Checks a CSR pattern over rows x cols; `sorted` requires strictly increasing indices per row. */
export function checkCsr(c: unknown, param: string, rows: number, cols: number, sorted: boolean): CsrPattern {
  if (typeof c !== 'object' || c === null) throw invalid('ERR_TYPE', 'a CSR {indptr: Int32Array, indices: Int32Array}', param, c);
  const { indptr, indices } = c as CsrPattern;
  if (!(indptr instanceof Int32Array)) throw invalid('ERR_TYPE', 'an Int32Array', `${param}.indptr`, indptr);
  if (!(indices instanceof Int32Array)) throw invalid('ERR_TYPE', 'an Int32Array', `${param}.indices`, indices);
  if (indptr.length !== rows + 1) throw invalid('ERR_CSR', `${rows + 1} row offsets (rows + 1)`, `${param}.indptr`, indptr);
  if (indptr[0] !== 0) throw invalid('ERR_CSR', '0 as the first offset', `${param}.indptr[0]`, indptr[0]);
  if (indptr[rows] !== indices.length) {
    throw new KernelError(
      `Expected the last offset of ${param}.indptr to equal ${param}.indices.length (${indices.length}) but received ${indptr[rows]}`,
      'ERR_CSR',
    );
  }
  for (let r = 0; r < rows; r++) {
    const b = indptr[r]!, e = indptr[r + 1]!;
    if (e < b) throw invalid('ERR_CSR', 'non-decreasing offsets', `${param}.indptr[${r + 1}]`, e);
    let prev = -1;
    for (let j = b; j < e; j++) {
      const col = indices[j]!;
      if (col < 0 || col >= cols) throw invalid('ERR_CSR', `a column index in [0, ${cols})`, `${param}.indices[${j}] (row ${r})`, col);
      if (sorted && col <= prev) throw invalid('ERR_CSR', `strictly increasing indices within row ${r}`, `${param}.indices[${j}]`, col);
      prev = col;
    }
  }
  return c as CsrPattern;
}

export function checkCsrMatrix(c: unknown, param: string, rows: number | undefined, cols: number | undefined, sorted: boolean): CsrMatrix {
  if (typeof c !== 'object' || c === null) throw invalid('ERR_TYPE', 'a CSR matrix', param, c);
  const m = c as CsrMatrix;
  checkInt(m.rows, `${param}.rows`, 0);
  checkInt(m.cols, `${param}.cols`, 0);
  if (rows !== undefined && m.rows !== rows) throw invalid('ERR_SHAPE', `${rows} rows`, `${param}.rows`, m.rows);
  if (cols !== undefined && m.cols !== cols) throw invalid('ERR_SHAPE', `${cols} columns`, `${param}.cols`, m.cols);
  checkCsr(m, param, m.rows, m.cols, sorted);
  if (!(m.data instanceof Float32Array)) throw invalid('ERR_TYPE', 'a Float32Array', `${param}.data`, m.data);
  if (m.data.length !== m.indices.length) throw invalid('ERR_CSR', `${m.indices.length} values`, `${param}.data`, m.data);
  return m;
}

export function checkBitset(b: unknown, param: string, size: number): ItemBitset {
  if (typeof b !== 'object' || b === null) throw invalid('ERR_TYPE', 'an ItemBitset {bytes: Uint8Array, size}', param, b);
  const { bytes, size: s } = b as ItemBitset;
  if (!(bytes instanceof Uint8Array)) throw invalid('ERR_TYPE', 'a Uint8Array', `${param}.bytes`, bytes);
  if (s !== size) throw invalid('ERR_SHAPE', `a bitset over ${size} items`, `${param}.size`, s);
  if (bytes.length < Math.ceil(size / 8)) throw invalid('ERR_SHAPE', `at least ${Math.ceil(size / 8)} bytes`, `${param}.bytes`, bytes);
  return b as ItemBitset;
}

/** Checks a caller-provided output array (type and exact length). */
export function checkOut<T extends Float32Array | Int32Array>(
  arr: unknown,
  ctor: { new (n: number): T; name: string },
  length: number,
  param: string,
): T {
  if (!(arr instanceof (ctor as unknown as new (n: number) => T))) throw invalid('ERR_TYPE', `a ${ctor.name}`, param, arr);
  if ((arr as T).length !== length) throw invalid('ERR_SHAPE', `${length} elements`, param, arr);
  return arr as T;
}
