/**
 * Retrieval ops: `scores`, fused `topK`, `softmaxTopK`, `sampleTopK`, `gram`.
 *
 * Each has an async form (a Promise, run off the event loop: use it for large calls) and a sync
 * form (`topKSync`, for small calls). Outputs are allocated here, or passed in by the caller
 * through `out` to reuse memory. Semantics (ARCHITECTURE.md, Kernels):
 *  - top-K rows are sorted by score descending, ties to the smaller item index, no duplicates;
 *    rows with fewer than k admissible items are padded with index -1 and score -Infinity, and
 *    `counts[q]` says how many entries are real;
 *  - NaN or ±Infinity in an input matrix rejects with `ERR_NON_FINITE`;
 *  - queries and items (and `gram`'s y) may be {@link DeviceMatrix}es, resident on the device;
 *  - on the CUDA backend k is at most `capabilities().cuda.maxK` (`auto` uses the CPU above it);
 *  - bad arguments throw a {@link KernelError} with a stable code before any work starts.
 * @packageDocumentation
 */
import { resolveBackend, withCallerStack, type ExecOptions } from './backend.js';
import { denseArg, type DenseArg, type DeviceMatrix } from './device.js';
import { invalid } from './errors.js';
import type { ItemBitset, Matrix } from './types.js';
import { checkBitset, checkCsr, checkInt, checkNumber, checkOut, type CsrPattern } from './validate.js';

export type { CsrPattern } from './validate.js';

/** The k best items per query. Row `q` is `indices/scores[q*k .. q*k + counts[q])`. */
export class TopKResult {
  /** Item indices, `rows * k`, padded with -1. */
  readonly indices: Int32Array;
  /** Scores, `rows * k`, padded with -Infinity. */
  readonly scores: Float32Array;
  /** Real entries per row. */
  readonly counts: Int32Array;
  /** Number of queries. */
  readonly rows: number;
  /** Entries per row (including padding). */
  readonly k: number;

  constructor(rows: number, k: number, indices?: Int32Array, scores?: Float32Array, counts?: Int32Array) {
    this.rows = rows;
    this.k = k;
    this.indices = indices ?? new Int32Array(rows * k);
    this.scores = scores ?? new Float32Array(rows * k);
    this.counts = counts ?? new Int32Array(rows);
  }

  /** The real entries of row `q` (views, no copy). */
  row(q: number): { indices: Int32Array; scores: Float32Array } {
    if (!Number.isInteger(q) || q < 0 || q >= this.rows) throw invalid('ERR_INDEX_RANGE', `a row in [0, ${this.rows})`, 'q', q);
    const b = q * this.k;
    const c = this.counts[q]!;
    return { indices: this.indices.subarray(b, b + c), scores: this.scores.subarray(b, b + c) };
  }
}

/** Top-K plus softmax probabilities of the returned items and the normaliser per query. */
export class SoftmaxTopKResult extends TopKResult {
  /** Probability of each returned item under the softmax over all admissible items (0 for padding). */
  readonly probs: Float32Array;
  /** log of the softmax normaliser per query (-Infinity when nothing is admissible). */
  readonly logZ: Float32Array;

  constructor(rows: number, k: number, probs?: Float32Array, logZ?: Float32Array, base?: Partial<TopKOutput>) {
    super(rows, k, base?.indices, base?.scores, base?.counts);
    this.probs = probs ?? new Float32Array(rows * k);
    this.logZ = logZ ?? new Float32Array(rows);
  }

  /** The real entries of row `q`, with their probabilities (views, no copy). */
  override row(q: number): { indices: Int32Array; scores: Float32Array; probs: Float32Array } {
    const r = super.row(q);
    const b = q * this.k;
    return { ...r, probs: this.probs.subarray(b, b + r.indices.length) };
  }
}

/** Caller-provided output arrays for top-K ops. */
export interface TopKOutput {
  indices: Int32Array;
  scores: Float32Array;
  counts: Int32Array;
}

/** Caller-provided outputs for softmax / sampled top-K. */
export interface SoftmaxTopKOutput extends TopKOutput {
  probs: Float32Array;
  logZ: Float32Array;
}

/** Options of {@link topK}. */
export interface TopKOptions extends ExecOptions {
  /** How many items per query, in [1, capabilities().maxK]. */
  k: number;
  /** Items never returned for a query: a CSR with one row per query, sorted indices per row. */
  exclude?: CsrPattern;
  /** Only these items are admissible (shared by all queries). */
  allow?: ItemBitset;
  /** Score only these items for each query (a CSR, one row per query) instead of all items. */
  candidates?: CsrPattern;
  /** Reuse these arrays for the result (lengths rows*k, rows*k, rows). */
  out?: TopKOutput;
}

/** Options of {@link softmaxTopK}. */
export interface SoftmaxTopKOptions extends ExecOptions {
  k: number;
  /** Softmax temperature, > 0: probabilities are softmax(score / temperature). Default 1. */
  temperature?: number;
  exclude?: CsrPattern;
  allow?: ItemBitset;
  out?: SoftmaxTopKOutput;
}

/** Options of {@link sampleTopK}. */
export interface SampleTopKOptions extends SoftmaxTopKOptions {
  /** Seed of the draw: the same seed gives the same items on every backend and thread count. */
  seed: number | bigint;
}

/** Options of {@link scores} and {@link gram}. */
export interface DenseOptions extends ExecOptions {
  /** Reuse this array for the result. */
  out?: Float32Array;
}

// ---------------------------------------------------------------------------------------------

/** A host matrix or a matrix resident on the device. */
export type Dense = Matrix | DeviceMatrix;

interface Prepared {
  q: DenseArg;
  items: DenseArg;
  k: number;
  exclude: CsrPattern | undefined;
  allow: ItemBitset | undefined;
}

function prepareTopK(queries: Dense, items: Dense, opts: { k: number; exclude?: CsrPattern; allow?: ItemBitset }): Prepared {
  const q = denseArg(queries, 'queries');
  const it = denseArg(items, 'items');
  if (q.cols !== it.cols) throw invalid('ERR_SHAPE', `items with ${q.cols} columns (the queries' dimension)`, 'items.cols', it.cols);
  if (typeof opts !== 'object' || opts === null) throw invalid('ERR_TYPE', 'an options object with k', 'options', opts);
  const k = checkKValue(opts.k);
  const exclude = opts.exclude === undefined ? undefined : checkCsr(opts.exclude, 'exclude', q.rows, it.rows, true);
  const allow = opts.allow === undefined ? undefined : checkBitset(opts.allow, 'allow', it.rows);
  return { q, items: it, k, exclude, allow };
}

function checkKValue(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k)) throw invalid('ERR_K_RANGE', 'an integer k', 'k', k);
  // maxK is a build constant; read it from the binding once.
  const max = maxK();
  if (k < 1 || k > max) throw invalid('ERR_K_RANGE', `k in [1, ${max}]`, 'k', k);
  return k;
}

let maxKCache = 0;
function maxK(): number {
  if (!maxKCache) maxKCache = resolveBackend({ backend: 'cpu' }).binding.capabilities().maxK;
  return maxKCache;
}

function topKOutputs(rows: number, k: number, out: TopKOutput | undefined): TopKResult {
  if (!out) return new TopKResult(rows, k);
  return new TopKResult(
    rows,
    k,
    checkOut(out.indices, Int32Array, rows * k, 'out.indices'),
    checkOut(out.scores, Float32Array, rows * k, 'out.scores'),
    checkOut(out.counts, Int32Array, rows, 'out.counts'),
  );
}

function softmaxOutputs(rows: number, k: number, out: SoftmaxTopKOutput | undefined): SoftmaxTopKResult {
  if (!out) return new SoftmaxTopKResult(rows, k);
  const base = topKOutputs(rows, k, out);
  return new SoftmaxTopKResult(
    rows,
    k,
    checkOut(out.probs, Float32Array, rows * k, 'out.probs'),
    checkOut(out.logZ, Float32Array, rows, 'out.logZ'),
    base,
  );
}

function temperatureOf(t: unknown): number {
  if (t === undefined) return 1;
  return checkNumber(t, 'temperature', 'a finite number > 0', (v) => Number.isFinite(v) && v > 0);
}

function seedOf(seed: unknown): number | bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw invalid('ERR_ARGUMENT', 'a seed in [0, 2^64)', 'seed', seed);
    return seed;
  }
  return checkInt(seed, 'seed', 0);
}

// ---- topK ----

function runTopK(queries: Dense, items: Dense, opts: TopKOptions, async: boolean): { call: () => unknown; result: TopKResult } {
  const p = prepareTopK(queries, items, opts);
  const candidates = opts.candidates === undefined ? undefined : checkCsr(opts.candidates, 'candidates', p.q.rows, p.items.rows, false);
  const { binding, code, threads } = resolveBackend(opts, { name: 'topK', cuda: true, k: p.k });
  const result = topKOutputs(p.q.rows, p.k, opts.out);
  const q = p.q.argument(code), it = p.items.argument(code);
  const call = () =>
    binding.topK(
      q, p.q.rows, p.q.cols, it, p.items.rows, p.k,
      p.exclude?.indptr ?? null, p.exclude?.indices ?? null, p.allow?.bytes ?? null,
      candidates?.indptr ?? null, candidates?.indices ?? null,
      result.indices, result.scores, result.counts, threads, code, async,
    );
  return { call, result };
}

/**
 * The k best items per query by `q · i`, fused: the m × n score matrix is never materialised.
 *
 * @param queries - m × d query (user) vectors (a Matrix or a DeviceMatrix).
 * @param items - n × d item vectors (a Matrix or a DeviceMatrix).
 * @example
 * ```ts
 * const top = await topK(users, items, { k: 10, exclude: seen });
 * top.row(0).indices; // the 10 best items for user 0, best first
 * ```
 */
export function topK(queries: Dense, items: Dense, options: TopKOptions): Promise<TopKResult> {
  try {
    const { call, result } = runTopK(queries, items, options, true);
    return withCallerStack(call, () => result);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link topK}, for small calls (blocks the event loop while it runs). */
export function topKSync(queries: Dense, items: Dense, options: TopKOptions): TopKResult {
  const { call, result } = runTopK(queries, items, options, false);
  call();
  return result;
}

// ---- softmaxTopK ----

function runSoftmax(queries: Dense, items: Dense, opts: SoftmaxTopKOptions, async: boolean) {
  const p = prepareTopK(queries, items, opts);
  const temperature = temperatureOf(opts.temperature);
  const { binding, code, threads } = resolveBackend(opts, { name: 'softmaxTopK', cuda: true, k: p.k });
  const result = softmaxOutputs(p.q.rows, p.k, opts.out);
  const q = p.q.argument(code), it = p.items.argument(code);
  const call = () =>
    binding.softmaxTopK(
      q, p.q.rows, p.q.cols, it, p.items.rows, p.k, temperature,
      p.exclude?.indptr ?? null, p.exclude?.indices ?? null, p.allow?.bytes ?? null,
      result.indices, result.scores, result.counts, result.probs, result.logZ, threads, code, async,
    );
  return { call, result };
}

/**
 * Top-K with the probability of each returned item under the softmax of `score / temperature`
 * over all admissible items, and `logZ` per query, computed in the same pass (online
 * log-sum-exp).
 */
export function softmaxTopK(queries: Dense, items: Dense, options: SoftmaxTopKOptions): Promise<SoftmaxTopKResult> {
  try {
    const { call, result } = runSoftmax(queries, items, options, true);
    return withCallerStack(call, () => result);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link softmaxTopK}. */
export function softmaxTopKSync(queries: Dense, items: Dense, options: SoftmaxTopKOptions): SoftmaxTopKResult {
  const { call, result } = runSoftmax(queries, items, options, false);
  call();
  return result;
}

// ---- sampleTopK ----

function runSample(queries: Dense, items: Dense, opts: SampleTopKOptions, async: boolean) {
  const p = prepareTopK(queries, items, opts);
  const temperature = temperatureOf(opts.temperature);
  const seed = seedOf(opts.seed);
  const { binding, code, threads } = resolveBackend(opts, { name: 'sampleTopK', cuda: true, k: p.k });
  const result = softmaxOutputs(p.q.rows, p.k, opts.out);
  const q = p.q.argument(code), it = p.items.argument(code);
  const call = () =>
    binding.sampleTopK(
      q, p.q.rows, p.q.cols, it, p.items.rows, p.k, temperature, seed,
      p.exclude?.indptr ?? null, p.exclude?.indices ?? null, p.allow?.bytes ?? null,
      result.indices, result.scores, result.counts, result.probs, result.logZ, threads, code, async,
    );
  return { call, result };
}

/**
 * k items per query drawn without replacement from the softmax of `score / temperature`
 * (Gumbel top-K), for exploration and diversity. Rows are in draw order; `scores` are the raw
 * scores, `probs` the softmax probability of each drawn item. The draw depends only on the seed,
 * the query row and the item index: the same on every backend and thread count.
 */
export function sampleTopK(queries: Dense, items: Dense, options: SampleTopKOptions): Promise<SoftmaxTopKResult> {
  try {
    const { call, result } = runSample(queries, items, options, true);
    return withCallerStack(call, () => result);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link sampleTopK}. */
export function sampleTopKSync(queries: Dense, items: Dense, options: SampleTopKOptions): SoftmaxTopKResult {
  const { call, result } = runSample(queries, items, options, false);
  call();
  return result;
}

// ---- scores ----

function runScores(queries: Dense, items: Dense, opts: DenseOptions | undefined, async: boolean) {
  const q = denseArg(queries, 'queries');
  const it = denseArg(items, 'items');
  if (q.cols !== it.cols) throw invalid('ERR_SHAPE', `items with ${q.cols} columns (the queries' dimension)`, 'items.cols', it.cols);
  const { binding, code, threads } = resolveBackend(opts, { name: 'scores', cuda: true });
  const out = opts?.out ? checkOut(opts.out, Float32Array, q.rows * it.rows, 'out') : new Float32Array(q.rows * it.rows);
  const result: Matrix = { data: out, rows: q.rows, cols: it.rows };
  const qa = q.argument(code), ia = it.argument(code);
  const call = () => binding.scores(qa, q.rows, q.cols, ia, it.rows, out, threads, code, async);
  return { call, result };
}

/** All scores `Q · Iᵀ` as an m × n matrix. Use {@link topK} when only the best items matter. */
export function scores(queries: Dense, items: Dense, options?: DenseOptions): Promise<Matrix> {
  try {
    const { call, result } = runScores(queries, items, options, true);
    return withCallerStack(call, () => result);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link scores}. */
export function scoresSync(queries: Dense, items: Dense, options?: DenseOptions): Matrix {
  const { call, result } = runScores(queries, items, options, false);
  call();
  return result;
}

// ---- gram ----

function runGram(y: Dense, opts: DenseOptions | undefined, async: boolean) {
  const m = denseArg(y, 'y');
  const { binding, code, threads } = resolveBackend(opts, { name: 'gram', cuda: true });
  const d = m.cols;
  const out = opts?.out ? checkOut(opts.out, Float32Array, d * d, 'out') : new Float32Array(d * d);
  const result: Matrix = { data: out, rows: d, cols: d };
  const ya = m.argument(code);
  const call = () => binding.gram(ya, m.rows, d, out, threads, code, async);
  return { call, result };
}

/** The Gram matrix `Yᵀ Y` (d × d), accumulated in double. */
export function gram(y: Dense, options?: DenseOptions): Promise<Matrix> {
  try {
    const { call, result } = runGram(y, options, true);
    return withCallerStack(call, () => result);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link gram}. */
export function gramSync(y: Dense, options?: DenseOptions): Matrix {
  const { call, result } = runGram(y, options, false);
  call();
  return result;
}
