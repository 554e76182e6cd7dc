/**
 * Training ops: implicit ALS half-steps (CG or Cholesky) and loss, biased SGD matrix
 * factorisation epochs, BPR epochs, and the CSR transpose the item half-step needs.
 *
 * Factors are updated in place (the caller owns them); do not read or write them while an async
 * call on them is in flight. Semantics follow the Python library `implicit` 0.7 where it has the
 * same op (see native/core/include/souk/factorization.h for the exact formulas):
 *  - ALS: for each row u, solve (YᵀY + Yᵀ(C_u − I)Y + λI) x_u = Yᵀ C_u p_u; a negative
 *    confidence is an explicit dislike (preference 0, confidence |c|); rows with no items get 0;
 *  - SGD and BPR are Hogwild across threads; with `threads: 1` and a seed they are bit-for-bit
 *    reproducible, and the `ref` and `cpu` backends visit the same samples in the same order;
 *  - on the CUDA backend (cuda/src launchers) the factors are copied to the device, updated there
 *    and copied back (left unchanged when the op fails); for SGD and BPR `threads` is the number of
 *    sample chunks run in parallel (one warp each), so `threads: 1` visits the reference's order.
 * @packageDocumentation
 */
import { resolveBackend, withCallerStack, type ExecOptions } from './backend.js';
import { invalid } from './errors.js';
import type { CsrMatrix, Matrix } from './types.js';
import { checkCsrMatrix, checkInt, checkMatrix, checkNumber } from './validate.js';

/** Options of {@link alsSolve}. */
export interface AlsSolveOptions extends ExecOptions {
  /** λ ≥ 0. Default 0.01. */
  regularization?: number;
  /** `'cg'` (conjugate gradient, warm-started; the default) or `'cholesky'` (exact). */
  solver?: 'cg' | 'cholesky';
  /** CG iterations per row, in [1, 1000]. Default 3 (as implicit). */
  cgSteps?: number;
}

/** The implicit-ALS objective as implicit's `calculate_loss` defines it. */
export interface AlsLoss {
  /** numerator / denominator. */
  loss: number;
  /** Confidence-weighted squared error plus λ(‖X‖² + ‖Y‖²). */
  numerator: number;
  /** Total confidence mass: Σ|c| + users·items − nnz. */
  denominator: number;
}

/** Biases of a biased MF model, updated in place by {@link sgdEpoch}. */
export interface MfBiases {
  /** One per user. */
  user: Float32Array;
  /** One per item. */
  item: Float32Array;
  /** The global mean μ. */
  globalMean: number;
}

/** Options of {@link sgdEpoch}. */
export interface SgdEpochOptions extends ExecOptions {
  /** > 0. Default 0.01. */
  learningRate?: number;
  /** ≥ 0. Default 0.02. */
  regularization?: number;
  /** Seed of the visiting order. Default 0. */
  seed?: number | bigint;
}

/** What one SGD epoch reports. */
export interface SgdEpochResult {
  /** Training RMSE over the epoch, each error measured before its update. */
  rmse: number;
  /** Ratings visited (= nnz). */
  samples: number;
}

/** Options of {@link bprEpoch}. */
export interface BprEpochOptions extends ExecOptions {
  /** > 0. Default 0.01. */
  learningRate?: number;
  /** ≥ 0. Default 0.01. */
  regularization?: number;
  /** Draws this epoch; default nnz. */
  samples?: number;
  /** Seed of the draws. Default 0. */
  seed?: number | bigint;
  /** Skip a negative that is in fact a positive (binary search in the user's sorted row). Default true. */
  verifyNegatives?: boolean;
  /** `'popularity'` (the item of a random interaction; implicit's scheme, the default) or `'uniform'`. */
  negatives?: 'popularity' | 'uniform';
}

/** What one BPR epoch reports. */
export interface BprEpochResult {
  /** Mean −log σ(x_uij) over processed samples. */
  loss: number;
  /** Samples used (drawn − skipped). */
  processed: number;
  /** Negatives that were positives (with `verifyNegatives`). */
  skipped: number;
  /** Processed samples with x_uij > 0 (training AUC = correct / processed). */
  correct: number;
}

function seedOf(seed: unknown): number | bigint {
  if (seed === undefined) return 0;
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw invalid('ERR_ARGUMENT', 'a seed in [0, 2^64)', 'seed', seed);
    return seed;
  }
  return checkInt(seed, 'seed', 0);
}

function factorsFor(m: unknown, param: string, rows: number, d?: number): Matrix {
  const f = checkMatrix(m, param);
  if (f.rows !== rows) throw invalid('ERR_SHAPE', `${rows} rows`, `${param}.rows`, f.rows);
  if (d !== undefined && f.cols !== d) throw invalid('ERR_SHAPE', `${d} columns`, `${param}.cols`, f.cols);
  return f;
}

function vectorFor(v: unknown, param: string, n: number): Float32Array {
  if (!(v instanceof Float32Array)) throw invalid('ERR_TYPE', 'a Float32Array', param, v);
  if (v.length !== n) throw invalid('ERR_SHAPE', `${n} values`, param, v);
  return v;
}

const nonNegFinite = (v: number) => Number.isFinite(v) && v >= 0;
const positiveFinite = (v: number) => Number.isFinite(v) && v > 0;

async function runAsync<T>(call: () => unknown): Promise<T> {
  let out: unknown;
  return withCallerStack(
    () => (call() as Promise<unknown>).then((v) => (out = v)),
    () => out as T,
  );
}

// ---- ALS ----

function prepAlsSolve(c: CsrMatrix, y: Matrix, yty: Matrix, x: Matrix, opts: AlsSolveOptions, async: boolean) {
  const conf = checkCsrMatrix(c, 'confidence', undefined, undefined, false);
  const ym = factorsFor(y, 'y', conf.cols);
  const d = ym.cols;
  const xm = factorsFor(x, 'x', conf.rows, d);
  const g = factorsFor(yty, 'yty', d, d);
  const reg = opts.regularization === undefined ? 0.01 : checkNumber(opts.regularization, 'regularization', 'a finite number >= 0', nonNegFinite);
  const solver = opts.solver ?? 'cg';
  if (solver !== 'cg' && solver !== 'cholesky') throw invalid('ERR_ARGUMENT', "'cg' or 'cholesky'", 'solver', solver);
  const cgSteps = opts.cgSteps === undefined ? 3 : checkInt(opts.cgSteps, 'cgSteps', 1, 1000);
  const { binding, code, threads } = resolveBackend(opts, { name: 'alsSolve', cuda: true });
  return () =>
    binding.alsSolve(conf.indptr, conf.indices, conf.data, conf.rows, conf.cols, ym.data, d, g.data, xm.data, reg,
      solver === 'cg' ? 0 : 1, cgSteps, threads, code, async);
}

/**
 * One implicit-ALS half-step: solves every row of `x` against the fixed factors `y`, in place.
 * `yty` must be `gram(y)`. For the item half-step pass the transposed confidences
 * ({@link transposeCsr}) with the roles of `x` and `y` swapped.
 */
export function alsSolve(confidence: CsrMatrix, y: Matrix, yty: Matrix, x: Matrix, options: AlsSolveOptions = {}): Promise<void> {
  try {
    const call = prepAlsSolve(confidence, y, yty, x, options, true);
    return runAsync<void>(call);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link alsSolve}. */
export function alsSolveSync(confidence: CsrMatrix, y: Matrix, yty: Matrix, x: Matrix, options: AlsSolveOptions = {}): void {
  prepAlsSolve(confidence, y, yty, x, options, false)();
}

function prepAlsLoss(c: CsrMatrix, x: Matrix, y: Matrix, opts: { regularization?: number } & ExecOptions, async: boolean) {
  const conf = checkCsrMatrix(c, 'confidence', undefined, undefined, false);
  const xm = factorsFor(x, 'x', conf.rows);
  const ym = factorsFor(y, 'y', conf.cols, xm.cols);
  const reg = opts.regularization === undefined ? 0.01 : checkNumber(opts.regularization, 'regularization', 'a finite number >= 0', nonNegFinite);
  const { binding, code, threads } = resolveBackend(opts, { name: 'alsLoss', cuda: true });
  return () => binding.alsLoss(conf.indptr, conf.indices, conf.data, conf.rows, conf.cols, xm.data, ym.data, xm.cols, reg, threads, code, async);
}

/** The implicit-ALS objective for users `x` and items `y` (for tests and convergence curves). */
export function alsLoss(confidence: CsrMatrix, x: Matrix, y: Matrix, options: { regularization?: number } & ExecOptions = {}): Promise<AlsLoss> {
  try {
    return runAsync<AlsLoss>(prepAlsLoss(confidence, x, y, options, true));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link alsLoss}. */
export function alsLossSync(confidence: CsrMatrix, x: Matrix, y: Matrix, options: { regularization?: number } & ExecOptions = {}): AlsLoss {
  return prepAlsLoss(confidence, x, y, options, false)() as AlsLoss;
}

// ---- SGD ----

function prepSgd(r: CsrMatrix, p: Matrix, q: Matrix, biases: MfBiases, opts: SgdEpochOptions, async: boolean) {
  const ratings = checkCsrMatrix(r, 'ratings', undefined, undefined, false);
  const pm = factorsFor(p, 'p', ratings.rows);
  const qm = factorsFor(q, 'q', ratings.cols, pm.cols);
  if (typeof biases !== 'object' || biases === null) throw invalid('ERR_TYPE', 'biases {user, item, globalMean}', 'biases', biases);
  const ub = vectorFor(biases.user, 'biases.user', ratings.rows);
  const ib = vectorFor(biases.item, 'biases.item', ratings.cols);
  const mu = checkNumber(biases.globalMean, 'biases.globalMean', 'a finite number', Number.isFinite);
  const lr = opts.learningRate === undefined ? 0.01 : checkNumber(opts.learningRate, 'learningRate', 'a finite number > 0', positiveFinite);
  const reg = opts.regularization === undefined ? 0.02 : checkNumber(opts.regularization, 'regularization', 'a finite number >= 0', nonNegFinite);
  const seed = seedOf(opts.seed);
  const { binding, code, threads } = resolveBackend(opts, { name: 'sgdEpoch', cuda: true });
  return () =>
    binding.sgdEpoch(ratings.indptr, ratings.indices, ratings.data, ratings.rows, ratings.cols, pm.data, qm.data, pm.cols, ub, ib,
      lr, reg, mu, seed, threads, code, async);
}

/** One epoch of biased SGD matrix factorisation on explicit ratings (users × items CSR). */
export function sgdEpoch(ratings: CsrMatrix, p: Matrix, q: Matrix, biases: MfBiases, options: SgdEpochOptions = {}): Promise<SgdEpochResult> {
  try {
    return runAsync<SgdEpochResult>(prepSgd(ratings, p, q, biases, options, true));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link sgdEpoch}. */
export function sgdEpochSync(ratings: CsrMatrix, p: Matrix, q: Matrix, biases: MfBiases, options: SgdEpochOptions = {}): SgdEpochResult {
  return prepSgd(ratings, p, q, biases, options, false)() as SgdEpochResult;
}

// ---- BPR ----

function prepBpr(c: CsrMatrix, p: Matrix, q: Matrix, itemBias: Float32Array, opts: BprEpochOptions, async: boolean) {
  const verify = opts.verifyNegatives ?? true;
  if (typeof verify !== 'boolean') throw invalid('ERR_TYPE', 'a boolean', 'verifyNegatives', verify);
  const inter = checkCsrMatrix(c, 'interactions', undefined, undefined, verify);
  const pm = factorsFor(p, 'p', inter.rows);
  const qm = factorsFor(q, 'q', inter.cols, pm.cols);
  const ib = vectorFor(itemBias, 'itemBias', inter.cols);
  const lr = opts.learningRate === undefined ? 0.01 : checkNumber(opts.learningRate, 'learningRate', 'a finite number > 0', positiveFinite);
  const reg = opts.regularization === undefined ? 0.01 : checkNumber(opts.regularization, 'regularization', 'a finite number >= 0', nonNegFinite);
  const samples = opts.samples === undefined ? 0 : checkInt(opts.samples, 'samples', 0);
  const seed = seedOf(opts.seed);
  const negatives = opts.negatives ?? 'popularity';
  if (negatives !== 'popularity' && negatives !== 'uniform') throw invalid('ERR_ARGUMENT', "'popularity' or 'uniform'", 'negatives', negatives);
  const { binding, code, threads } = resolveBackend(opts, { name: 'bprEpoch', cuda: true });
  return () =>
    binding.bprEpoch(inter.indptr, inter.indices, inter.rows, inter.cols, pm.data, qm.data, pm.cols, ib, lr, reg, samples, seed, verify,
      negatives === 'popularity' ? 0 : 1, threads, code, async);
}

/** One epoch of BPR (Rendle 2009) on implicit interactions (users × items CSR; values ignored). */
export function bprEpoch(interactions: CsrMatrix, p: Matrix, q: Matrix, itemBias: Float32Array, options: BprEpochOptions = {}): Promise<BprEpochResult> {
  try {
    return runAsync<BprEpochResult>(prepBpr(interactions, p, q, itemBias, options, true));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link bprEpoch}. */
export function bprEpochSync(interactions: CsrMatrix, p: Matrix, q: Matrix, itemBias: Float32Array, options: BprEpochOptions = {}): BprEpochResult {
  return prepBpr(interactions, p, q, itemBias, options, false)() as BprEpochResult;
}

// ---- transpose ----

function prepTranspose(csr: CsrMatrix, opts: ExecOptions, async: boolean) {
  const m = checkCsrMatrix(csr, 'csr', undefined, undefined, false);
  const { binding, threads } = resolveBackend({ ...opts, backend: 'cpu' });
  const out: CsrMatrix = {
    indptr: new Int32Array(m.cols + 1),
    indices: new Int32Array(m.indices.length),
    data: new Float32Array(m.indices.length),
    rows: m.cols,
    cols: m.rows,
  };
  const call = () => binding.transposeCsr(m.indptr, m.indices, m.data, m.rows, m.cols, out.indptr, out.indices, out.data, threads, async);
  return { call, out };
}

/** The transpose of a CSR matrix (its CSC), with sorted rows: users × items → items × users. */
export function transposeCsr(csr: CsrMatrix, options: ExecOptions = {}): Promise<CsrMatrix> {
  try {
    const { call, out } = prepTranspose(csr, options, true);
    return withCallerStack(call, () => out);
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Synchronous {@link transposeCsr}. */
export function transposeCsrSync(csr: CsrMatrix, options: ExecOptions = {}): CsrMatrix {
  const { call, out } = prepTranspose(csr, options, false);
  call();
  return out;
}
