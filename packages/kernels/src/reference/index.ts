/**
 * `@souk/kernels/reference`: an independent pure-TypeScript implementation of each op, written
 * for clarity, not speed. Tests use it as a second oracle next to the native scalar reference
 * (`backend: 'ref'`), so a bug shared by the native paths cannot hide.
 * All arithmetic is in double precision.
 * @packageDocumentation
 */
import type { ItemBitset, Matrix } from '../types.js';
import type { CsrPattern } from '../validate.js';

/** One query's ranked list. */
export interface RefRow {
  indices: number[];
  scores: number[];
}

/** Options shared by the reference top-K functions. */
export interface RefTopKOptions {
  k: number;
  exclude?: CsrPattern;
  allow?: ItemBitset;
  candidates?: CsrPattern;
}

/** Dot product of row r of a and row c of b, in double. */
export function dot(a: Matrix, r: number, b: Matrix, c: number): number {
  let s = 0;
  const d = a.cols;
  for (let j = 0; j < d; j++) s += a.data[r * d + j]! * b.data[c * d + j]!;
  return s;
}

function admissibleItems(q: number, n: number, opts: RefTopKOptions): number[] {
  let items: number[];
  if (opts.candidates) {
    const { indptr, indices } = opts.candidates;
    items = [...new Set(Array.from(indices.subarray(indptr[q]!, indptr[q + 1]!)))];
  } else {
    items = Array.from({ length: n }, (_, i) => i);
  }
  const excluded = new Set<number>();
  if (opts.exclude) {
    const { indptr, indices } = opts.exclude;
    for (let j = indptr[q]!; j < indptr[q + 1]!; j++) excluded.add(indices[j]!);
  }
  return items.filter((i) => !excluded.has(i) && (!opts.allow || ((opts.allow.bytes[i >> 3]! >> (i & 7)) & 1) === 1));
}

/** Sorts (score desc, index asc) and keeps k. */
function best(pairs: Array<[number, number]>, k: number): RefRow {
  pairs.sort((a, b) => (b[1] !== a[1] ? b[1] - a[1] : a[0] - b[0]));
  const top = pairs.slice(0, k);
  return { indices: top.map((p) => p[0]), scores: top.map((p) => p[1]) };
}

/** Q · Iᵀ, m × n, in double. */
export function scoresRef(q: Matrix, items: Matrix): Float64Array {
  const out = new Float64Array(q.rows * items.rows);
  for (let r = 0; r < q.rows; r++) for (let c = 0; c < items.rows; c++) out[r * items.rows + c] = dot(q, r, items, c);
  return out;
}

/** The k best admissible items per query (score desc, ties to the smaller index). */
export function topKRef(q: Matrix, items: Matrix, opts: RefTopKOptions): RefRow[] {
  const rows: RefRow[] = [];
  for (let r = 0; r < q.rows; r++) {
    const pairs = admissibleItems(r, items.rows, opts).map((i) => [i, dot(q, r, items, i)] as [number, number]);
    rows.push(best(pairs, opts.k));
  }
  return rows;
}

/** Top-K with softmax probabilities and log-normaliser, in double. */
export function softmaxTopKRef(
  q: Matrix,
  items: Matrix,
  opts: RefTopKOptions & { temperature?: number },
): Array<RefRow & { probs: number[]; logZ: number }> {
  const t = opts.temperature ?? 1;
  return Array.from({ length: q.rows }, (_, r) => {
    const adm = admissibleItems(r, items.rows, opts);
    const pairs = adm.map((i) => [i, dot(q, r, items, i)] as [number, number]);
    const logZ = logSumExp(pairs.map((p) => p[1] / t));
    const row = best(pairs, opts.k);
    return { ...row, probs: row.scores.map((s) => Math.exp(s / t - logZ)), logZ };
  });
}

function logSumExp(xs: number[]): number {
  if (xs.length === 0) return -Infinity;
  const m = Math.max(...xs);
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}

// ---- the counter-based RNG of souk/rng.h, in BigInt (exact 64-bit arithmetic) ----
const MASK = (1n << 64n) - 1n;
function splitmix64(x: bigint): bigint {
  x = (x + 0x9e3779b97f4a7c15n) & MASK;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return x ^ (x >> 31n);
}
/** uniform_open01(seed, a, b) of souk/rng.h. */
export function uniformOpen01(seed: bigint, a: number, b: number): number {
  const h = splitmix64(splitmix64(seed ^ splitmix64(BigInt(a))) ^ ((BigInt(b) * 0xd6e8feb86659fd93n) & MASK));
  const bits = h >> 11n;
  return (Number(bits) + 0.5) / 9007199254740992;
}

/** Gumbel top-K draw (same keys as every backend): rows in draw order. */
export function sampleTopKRef(
  q: Matrix,
  items: Matrix,
  opts: RefTopKOptions & { temperature?: number; seed: number | bigint },
): Array<RefRow & { probs: number[]; logZ: number; keys: number[] }> {
  const t = opts.temperature ?? 1;
  const seed = BigInt(opts.seed);
  return Array.from({ length: q.rows }, (_, r) => {
    const adm = admissibleItems(r, items.rows, opts);
    const scored = adm.map((i) => {
      const s = dot(q, r, items, i);
      const u = uniformOpen01(seed, r, i);
      return { i, s, key: s / t - Math.log(-Math.log(u)) };
    });
    const logZ = logSumExp(scored.map((x) => x.s / t));
    scored.sort((a, b) => (b.key !== a.key ? b.key - a.key : a.i - b.i));
    const top = scored.slice(0, opts.k);
    return {
      indices: top.map((x) => x.i),
      scores: top.map((x) => x.s),
      keys: top.map((x) => x.key),
      probs: top.map((x) => Math.exp(x.s / t - logZ)),
      logZ,
    };
  });
}

/** Yᵀ Y, d × d, in double. */
export function gramRef(y: Matrix): Float64Array {
  const d = y.cols;
  const out = new Float64Array(d * d);
  for (let r = 0; r < y.rows; r++)
    for (let a = 0; a < d; a++) {
      const ya = y.data[r * d + a]!;
      for (let b = 0; b < d; b++) out[a * d + b] += ya * y.data[r * d + b]!;
    }
  return out;
}
