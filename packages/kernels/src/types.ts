/**
 * Data shapes shared by every kernel and by the packages that feed them.
 *
 * Dense matrices are row-major `Float32Array`s with explicit `rows` and `cols`; sparse matrices
 * are CSR with `Int32Array` index arrays. Ids inside kernels are dense int32 indices; mapping
 * business ids to them is `@souk/data`'s job.
 * @packageDocumentation
 */

/** A dense row-major float32 matrix: element (r, c) is `data[r * cols + c]`. */
export interface Matrix {
  /** Row-major values, length at least `rows * cols`. */
  readonly data: Float32Array;
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
}

/**
 * A sparse matrix in compressed sparse row form.
 *
 * Row `r` holds columns `indices[indptr[r] .. indptr[r + 1])` with values `data[...]` at the
 * same positions. `indptr` is non-decreasing, starts at 0 and ends at `indices.length`.
 */
export interface CsrMatrix {
  /** Row offsets, length `rows + 1`. */
  readonly indptr: Int32Array;
  /** Column index of each stored value, each in `[0, cols)`. */
  readonly indices: Int32Array;
  /** Stored values, same length as `indices`. */
  readonly data: Float32Array;
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
}

/**
 * A set of item indices shared by all queries: bit `i` is `(bytes[i >> 3] >> (i & 7)) & 1`.
 * `size` is the number of items the set ranges over.
 */
export interface ItemBitset {
  readonly bytes: Uint8Array;
  readonly size: number;
}
