/**
 * Exact top-K of one query over item vectors scanned in order of decreasing norm, stopping as
 * soon as no item left can reach the current k-th score: q·x ≤ ‖q‖‖x‖ (Cauchy–Schwarz), and the
 * norms only fall from there. Matrix factorisation gives popular items long vectors (the norms
 * of the service benchmark's ALS item factors span 17 to 0.15, a tenth of them above 1.7), so a
 * user's top 100–200 are found after a fifth to a third of the catalogue (measured over 300
 * users of that model: p50 18% for k = 110, 27% for k = 200; p90 26% and 35%; `pnpm bench
 * norm-order`). Same answers as
 * one scan over all items: the same kernel scores the items (chunks start at multiples of 16
 * items, so whole SIMD blocks stay whole; only the last n mod 16 positions, the shortest vectors,
 * are scored by the scalar tail instead of the block path, a difference of float32 rounding),
 * the stop test keeps a margin over float32 rounding, and chunk results are merged with the
 * kernel's order (score descending, then the smaller original row).
 *
 * The order (a permutation, the permuted copy of the vectors, the sorted norms) is made once per
 * vector matrix and kept with it (WeakMap on its data): ~40 ms and one more copy of the vectors.
 * @packageDocumentation
 */
import { topK, topKSync, type ItemBitset, type Matrix } from '@souk/kernels';
import { kernelInfo } from './kernel-info.js';

/** Item vectors in order of decreasing norm. */
export interface NormOrder {
  /** Position → original row. */
  readonly rows: Int32Array;
  /** Original row → position. */
  readonly positions: Int32Array;
  /** The vectors in that order. */
  readonly factors: Matrix;
  /** Norms in that order (decreasing). */
  readonly norms: Float64Array;
  /** The vectors in their own order. */
  readonly source: Matrix;
}

/** Rows of the first chunk; each next chunk doubles (multiples of 16: see the module comment). */
export const FIRST_CHUNK = 8192;

/** Relative margin of the stop test over float32 rounding of a score (d · 2⁻²⁴ ≈ 4e-6 at d = 64). */
const BOUND_MARGIN = 1e-4;

const orders = new WeakMap<Float32Array, NormOrder>();

/**
 * Whether a vector matrix is scanned in norm order: on the CPU backend (a GPU scans everything
 * faster than the chunks would pay off), past two first chunks.
 */
export function usesNormOrder(factors: Matrix): boolean {
  return factors.rows > 2 * FIRST_CHUNK && kernelInfo().backend.startsWith('cpu');
}

/** The norm order of a matrix (made on first use, then kept with the matrix's data). */
export function normOrderOf(factors: Matrix): NormOrder {
  let order = orders.get(factors.data);
  if (order) return order;
  const { rows: n, cols: d, data } = factors;
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = i * d, end = t + d; t < end; t++) s += data[t]! * data[t]!;
    norms[i] = Math.sqrt(s);
  }
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  rows.sort((a, b) => norms[b]! - norms[a]! || a - b);
  const positions = new Int32Array(n);
  const sorted = new Float64Array(n);
  const permuted = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    const r = rows[p]!;
    positions[r] = p;
    sorted[p] = norms[r]!;
    permuted.set(data.subarray(r * d, r * d + d), p * d);
  }
  order = { rows, positions, factors: { data: permuted, rows: n, cols: d }, norms: sorted, source: factors };
  orders.set(factors.data, order);
  return order;
}

/** One query's top-K (`indices` are original rows; `-1` pads nothing: only real entries). */
export interface NormOrderedTopK {
  readonly indices: Int32Array;
  readonly scores: Float32Array;
  /** Items scored (the rest were bounded out). */
  readonly scanned: number;
}

/**
 * The `k` best rows for `query` (score descending, ties to the smaller row), leaving out the
 * sorted original rows in `exclude` and, with `allow`, every row not in it — as one `topK` over
 * all rows would answer. `sync`: kernel calls on this thread. Each chunk is asked for one row
 * more than `k`: when that row ties with the k-th, the kernel chose among tied rows by position
 * (norm order), not by row, and the query falls back to one scan over all rows (as when `k + 1`
 * is over `maxK`).
 */
export async function normOrderedTopK(order: NormOrder, query: Float32Array, k: number, exclude: Int32Array, allow: ItemBitset | undefined, sync: boolean, maxK: number): Promise<NormOrderedTopK> {
  const { factors, norms, rows, positions } = order;
  const n = factors.rows;
  const d = factors.cols;
  const q = { data: query, rows: 1, cols: d };
  const fullScan = async (): Promise<NormOrderedTopK> => {
    const options = { k, threads: 1, ...(exclude.length > 0 ? { exclude: { indptr: Int32Array.of(0, exclude.length), indices: exclude } } : {}), ...(allow ? { allow } : {}) };
    const res = sync ? topKSync(q, order.source, options) : await topK(q, order.source, options);
    const count = res.counts[0]!;
    return { indices: res.indices.slice(0, count), scores: res.scores.slice(0, count), scanned: n };
  };
  if (k + 1 > maxK) return fullScan();
  let qNorm = 0;
  for (let t = 0; t < d; t++) qNorm += query[t]! * query[t]!;
  qNorm = Math.sqrt(qNorm);
  // Exclusions and the allow list in positions.
  const excluded = Int32Array.from(exclude, (r) => positions[r]!).sort();
  let allowed: Uint8Array | undefined;
  if (allow) {
    allowed = new Uint8Array(Math.ceil(n / 8));
    for (let r = 0; r < n; r++) if ((allow.bytes[r >> 3]! >> (r & 7)) & 1) allowed[positions[r]! >> 3]! |= 1 << (positions[r]! & 7);
  }
  let best: Array<{ row: number; score: number }> = [];
  let start = 0;
  let size = FIRST_CHUNK;
  while (start < n) {
    if (best.length >= k && qNorm * norms[start]! * (1 + BOUND_MARGIN) < best[k - 1]!.score) break;
    const end = Math.min(n, start + size);
    const lo = lowerBound(excluded, start);
    const hi = lowerBound(excluded, end);
    const options = {
      k: Math.min(k + 1, end - start),
      threads: 1,
      ...(hi > lo ? { exclude: { indptr: Int32Array.of(0, hi - lo), indices: excluded.slice(lo, hi).map((p) => p - start) } } : {}),
      ...(allowed ? { allow: { bytes: allowed.subarray(start >> 3, Math.ceil(end / 8)), size: end - start } } : {}),
    };
    const chunk = { data: factors.data.subarray(start * d, end * d), rows: end - start, cols: d };
    const res = sync ? topKSync(q, chunk, options) : await topK(q, chunk, options);
    let count = res.counts[0]!;
    if (count === k + 1) {
      if (res.scores[k] === res.scores[k - 1]) return fullScan();
      count = k;
    }
    for (let j = 0; j < count; j++) best.push({ row: rows[start + res.indices[j]!]!, score: res.scores[j]! });
    best.sort((a, b) => b.score - a.score || a.row - b.row);
    if (best.length > k) best = best.slice(0, k);
    start = end;
    size *= 2;
  }
  return { indices: Int32Array.from(best, (b) => b.row), scores: Float32Array.from(best, (b) => b.score), scanned: start };
}

function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
