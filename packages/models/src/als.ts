/**
 * Implicit-feedback ALS (Hu, Koren & Volinsky 2008) on `@souk/kernels`' `alsSolve`: confidence
 * `c = 1 + α·w` for a stored strength `w ≥ 0`; a negative strength is a dislike with
 * confidence `−(1 + α·|w|)` (preference 0, weight `1 + α·|w|`), as the kernel defines it.
 * Each iteration solves the items against the users, then the users against the items, so the
 * user factors are always the exact (Cholesky) or warm-started CG solution for the final item
 * factors — which is what makes fold-in reproduce a trained user.
 * @packageDocumentation
 */
import { alsLoss, alsSolve, alsSolveSync, gram, gramSync, transposeCsr, type CsrMatrix, type Matrix } from '@souk/kernels';
import { invalidArgument, ModelError } from './errors.js';
import { FactorModel, matrixFrom } from './factor-model.js';
import { csrFromLists, gatherRows, growRows, replaceRows, transpose, type EntityRef, type Interactions } from './interactions.js';
import { seededUniform } from './random.js';
import { registerModelKind, trainingError, type ExecSettings, type Explanation, type PartialFitInput, type UserInteractions } from './recommender.js';
import { checkPositiveInt, checkNonNegative, checkOneOf } from './params.js';

/** Hyper-parameters of {@link ALS}. */
export interface AlsParams {
  /** Latent dimension (default 64). */
  factors: number;
  /** λ, L2 regularisation (default 0.01, as implicit). */
  regularization: number;
  /** α in the confidence `1 + α·w` (default 1). */
  alpha: number;
  /** Iterations, each one item and one user half-step (default 15). */
  iterations: number;
  /** `'cg'` (conjugate gradient, warm-started; default) or `'cholesky'` (exact). */
  solver: 'cg' | 'cholesky';
  /** CG steps per row and half-step (default 3, as implicit). */
  cgSteps: number;
  /** Compute the training loss after every iteration (default true; costs about a third of an iteration). */
  calculateTrainingLoss: boolean;
  /** Seed of the initial factors (default 0). */
  seed: number;
}

/** Options of {@link ALS}: hyper-parameters and kernel settings. */
export type AlsOptions = Partial<AlsParams> & ExecSettings;

/** Implicit-feedback alternating least squares. */
export class ALS extends FactorModel {
  /** `'ALS'`. */
  readonly kind = 'ALS';
  /** Hyper-parameters in use. */
  readonly params: AlsParams;
  private confidence: CsrMatrix | undefined;
  private confidenceT: CsrMatrix | undefined;
  private itemGram: Matrix | undefined;

  /** A model with the given hyper-parameters (defaults above). */
  constructor(options: AlsOptions = {}) {
    super(options);
    this.params = {
      factors: checkPositiveInt(options.factors ?? 64, 'factors'),
      regularization: checkNonNegative(options.regularization ?? 0.01, 'regularization'),
      alpha: checkNonNegative(options.alpha ?? 1, 'alpha'),
      iterations: checkPositiveInt(options.iterations ?? 15, 'iterations'),
      solver: checkOneOf(options.solver ?? 'cg', ['cg', 'cholesky'] as const, 'solver'),
      cgSteps: checkPositiveInt(options.cgSteps ?? 3, 'cgSteps'),
      calculateTrainingLoss: options.calculateTrainingLoss ?? true,
      seed: checkNonNegative(options.seed ?? 0, 'seed'),
    };
  }

  /** @inheritDoc */
  get hyperParameters(): Record<string, unknown> {
    return { ...this.params };
  }

  /** @internal */
  protected get iterationCount(): number {
    return this.params.iterations;
  }

  /** Confidence of a stored strength: `1 + α·w`, negative strengths as dislikes. */
  confidenceOf(w: number): number {
    return w >= 0 ? 1 + this.params.alpha * w : -(1 + this.params.alpha * -w);
  }

  private confidenceMatrix(c: CsrMatrix): CsrMatrix {
    const data = new Float32Array(c.data.length);
    for (let j = 0; j < data.length; j++) data[j] = this.confidenceOf(c.data[j]!);
    return { indptr: c.indptr, indices: c.indices, data, rows: c.rows, cols: c.cols };
  }

  private solveOptions() {
    return { regularization: this.params.regularization, solver: this.params.solver, cgSteps: this.params.cgSteps, ...this.exec };
  }

  /** @internal */
  protected async initialize(data: Interactions): Promise<void> {
    const d = this.params.factors;
    const random = seededUniform(this.params.seed);
    const users = new Float32Array(data.csr.rows * d);
    const items = new Float32Array(data.csr.cols * d);
    // implicit's initialisation: uniform in [0, 0.01).
    for (let i = 0; i < users.length; i++) users[i] = random() * 0.01;
    for (let i = 0; i < items.length; i++) items[i] = random() * 0.01;
    this.userFactorMatrix = { data: users, rows: data.csr.rows, cols: d };
    this.itemFactorMatrix = { data: items, rows: data.csr.cols, cols: d };
    this.confidence = this.confidenceMatrix(data.csr);
    this.confidenceT = await transposeCsr(this.confidence, this.exec);
    this.itemGram = undefined;
  }

  /** @internal */
  protected async iterate(): Promise<number | undefined> {
    const x = this.userFactorMatrix;
    const y = this.itemFactorMatrix;
    const xtx = await gram(x, this.exec);
    await alsSolve(this.confidenceT!, x, xtx, y, this.solveOptions());
    const yty = await gram(y, this.exec);
    await alsSolve(this.confidence!, y, yty, x, this.solveOptions());
    this.itemGram = yty;
    if (!this.params.calculateTrainingLoss) return undefined;
    return (await alsLoss(this.confidence!, x, y, { regularization: this.params.regularization, ...this.exec })).loss;
  }

  /** @internal */
  protected override finalize(): void {
    super.finalize();
    this.itemGram = undefined;
  }

  /** YᵀY of the current item factors (cached until the item factors change). */
  private gramOfItems(): Matrix {
    this.itemGram ??= gramSync(this.itemFactorMatrix, this.exec);
    return this.itemGram;
  }

  /**
   * Fold-in: the factors a user with these interactions gets against the current item factors —
   * one exact (Cholesky) ALS solve with the cached YᵀY, `O(d²·|items| + d³)`. For a trained user
   * with their training row this reproduces their factors (exactly for the Cholesky solver, to
   * CG's tolerance for CG). Does not change the model.
   */
  override recalculateUser(interactions: UserInteractions): Float32Array {
    this.requireFitted();
    const row = this.userRow(interactions);
    const x: Matrix = { data: new Float32Array(this.params.factors), rows: 1, cols: this.params.factors };
    alsSolveSync(this.confidenceMatrix(row), this.itemFactorMatrix, this.gramOfItems(), x, { regularization: this.params.regularization, solver: 'cholesky', ...this.exec });
    return x.data;
  }

  private userRow(interactions: UserInteractions): CsrMatrix {
    if (typeof interactions !== 'object' || interactions === null || !Array.isArray(interactions.items)) throw invalidArgument('{items, values?}', 'interactions', interactions);
    const items = interactions.items.map((i) => this.itemIndexOf(i));
    if (interactions.values !== undefined && interactions.values.length !== items.length) throw invalidArgument(`${items.length} values (one per item)`, 'interactions.values', interactions.values);
    if (interactions.values) for (let j = 0; j < items.length; j++) if (!Number.isFinite(interactions.values[j]!)) throw invalidArgument('finite values', 'interactions.values', interactions.values[j]);
    return csrFromLists([{ items, ...(interactions.values ? { values: interactions.values } : {}) }], this.itemCount);
  }

  /**
   * Grows the factor tables for new users (or items) and re-solves the given rows against the
   * fixed other side, with the rows' complete new interactions (they replace the old ones).
   * Users: `interactions` has one row per user over the model's items; items: one row per item
   * over the model's users. Other rows keep their factors.
   */
  override async partialFit(input: PartialFitInput): Promise<void> {
    this.requireFitted();
    const d = this.params.factors;
    if ('users' in input) {
      const rows = checkRows(input.interactions, input.users.length, this.itemCount, 'interactions');
      const ids = Int32Array.from(input.users, (u) => this.userIndex.resolveOrAdd(u, 'user'));
      const before = this.userFactorMatrix.rows;
      this.userFactorMatrix = growMatrix(this.userFactorMatrix, this.userIndex.size);
      const train = replaceRows(growRows(this.train!, this.userIndex.size), ids, rows);
      this.setTrain(train);
      const sub = this.confidenceMatrix(rows);
      const x: Matrix = { data: new Float32Array(ids.length * d), rows: ids.length, cols: d };
      ids.forEach((u, q) => { if (u < before) x.data.set(this.userFactorMatrix.data.subarray(u * d, (u + 1) * d), q * d); });
      await this.guard(() => alsSolve(sub, this.itemFactorMatrix, this.gramOfItems(), x, { regularization: this.params.regularization, solver: 'cholesky', ...this.exec }));
      ids.forEach((u, q) => this.userFactorMatrix.data.set(x.data.subarray(q * d, (q + 1) * d), u * d));
    } else {
      const rows = checkRows(input.interactions, input.items.length, this.userCount, 'interactions');
      const ids = Int32Array.from(input.items, (i) => this.itemIndex.resolveOrAdd(i, 'item'));
      const before = this.itemFactorMatrix.rows;
      this.itemFactorMatrix = growMatrix(this.itemFactorMatrix, this.itemIndex.size);
      const byItem = replaceRows(growRows(transpose(this.train!), this.itemIndex.size), ids, rows);
      this.setTrain(transpose(byItem));
      const sub = this.confidenceMatrix(rows);
      const y: Matrix = { data: new Float32Array(ids.length * d), rows: ids.length, cols: d };
      ids.forEach((i, q) => { if (i < before) y.data.set(this.itemFactorMatrix.data.subarray(i * d, (i + 1) * d), q * d); });
      const xtx = gramSync(this.userFactorMatrix, this.exec);
      await this.guard(() => alsSolve(sub, this.userFactorMatrix, xtx, y, { regularization: this.params.regularization, solver: 'cholesky', ...this.exec }));
      ids.forEach((i, q) => this.itemFactorMatrix.data.set(y.data.subarray(q * d, (q + 1) * d), i * d));
    }
    super.finalize();
    this.itemGram = undefined;
  }

  private async guard(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      throw trainingError(e, 0, 'ALS partialFit');
    }
  }

  private setTrain(train: CsrMatrix): void {
    this.train = train;
    this.confidence = this.confidenceMatrix(train);
    this.confidenceT = transpose(this.confidence);
    this.invalidateTrainCaches();
  }

  /**
   * Why `item` scores what it does for `user`, as implicit's `explain`: with `A_u = YᵀY + λI +
   * Σ (c−1) yⱼyⱼᵀ` (the user's system), the score `yᵢ · x_u = Σⱼ cⱼ · yᵢᵀ A_u⁻¹ yⱼ` splits over the
   * user's liked items j. Returns the `k` largest contributions (default 10) and the score.
   * `interactions` overrides the user's training row (e.g. for a folded-in user).
   */
  override explain(user: EntityRef, item: EntityRef, options: { k?: number; interactions?: UserInteractions } = {}): Explanation {
    this.requireFitted();
    const i = this.itemIndexOf(item);
    const row = options.interactions ? this.userRow(options.interactions) : gatherRowsCsr(this.train!, this.userIndexOf(user));
    const k = options.k ?? 10;
    const d = this.params.factors;
    const y = this.itemFactorMatrix.data;
    const g = this.gramOfItems().data;
    const a = new Float64Array(d * d);
    for (let p = 0; p < d * d; p++) a[p] = g[p]!;
    for (let p = 0; p < d; p++) a[p * d + p]! += this.params.regularization;
    const conf: number[] = [];
    for (let j = 0; j < row.indices.length; j++) {
      const c = this.confidenceOf(row.data[j]!);
      conf.push(c);
      const it = row.indices[j]!;
      const w = Math.abs(c) - 1;
      for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) a[p * d + q]! += w * y[it * d + p]! * y[it * d + q]!;
    }
    choleskyInPlace(a, d);
    // z = A⁻¹ yᵢ; contribution of j = c⁺ⱼ · (yⱼ · z).
    const z = new Float64Array(d);
    for (let p = 0; p < d; p++) z[p] = y[i * d + p]!;
    choleskySolveInPlace(a, d, z);
    const contributions = Array.from(row.indices, (it, j) => {
      let dot = 0;
      for (let p = 0; p < d; p++) dot += y[it * d + p]! * z[p]!;
      return { item: it, id: this.itemIndex.idAt(it), contribution: Math.max(0, conf[j]!) * dot };
    });
    const score = contributions.reduce((s, c) => s + c.contribution, 0);
    contributions.sort((p, q) => q.contribution - p.contribution);
    return { score, contributions: contributions.slice(0, k) };
  }

  /** @internal */
  override restoreState(tensors: Record<string, import('./safetensors.js').Tensor>, extra: Record<string, unknown>): void {
    super.restoreState(tensors, extra);
    matrixFrom(tensors, 'user_factors', this.userCount, this.params.factors);
    this.confidence = this.confidenceMatrix(this.train!);
    this.confidenceT = transpose(this.confidence);
  }
}

function checkRows(m: CsrMatrix, rows: number, cols: number, param: string): CsrMatrix {
  if (typeof m !== 'object' || m === null || m.rows !== rows || m.cols !== cols) {
    throw new ModelError('ERR_ID_MAP_MISMATCH', `Expected ${param} of ${rows} rows x ${cols} columns but received ${typeof m === 'object' && m ? `${m.rows} x ${m.cols}` : String(m)}`);
  }
  return csrFromLists(Array.from({ length: rows }, (_, r) => ({ items: m.indices.subarray(m.indptr[r]!, m.indptr[r + 1]!), values: m.data.subarray(m.indptr[r]!, m.indptr[r + 1]!) })), cols);
}

function growMatrix(m: Matrix, rows: number): Matrix {
  if (rows === m.rows) return m;
  const data = new Float32Array(rows * m.cols);
  data.set(m.data);
  return { data, rows, cols: m.cols };
}

function gatherRowsCsr(c: CsrMatrix, u: number): CsrMatrix {
  const b = c.indptr[u]!, e = c.indptr[u + 1]!;
  const p = gatherRows(c, Int32Array.of(u));
  return { indptr: p.indptr, indices: p.indices, data: c.data.slice(b, e), rows: 1, cols: c.cols };
}

/** In-place Cholesky (lower, row-major) of an SPD d × d matrix. @internal */
export function choleskyInPlace(a: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= a[j * d + k]! ** 2;
    if (!(s > 0)) throw new ModelError('ERR_DIVERGED', `Expected a positive-definite system but pivot ${j} is ${s} (raise the regularization)`);
    const l = Math.sqrt(s);
    a[j * d + j] = l;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= a[i * d + k]! * a[j * d + k]!;
      a[i * d + j] = t / l;
    }
  }
}

/** Solves `L Lᵀ x = b` in place given the Cholesky factor from {@link choleskyInPlace}. @internal */
export function choleskySolveInPlace(l: Float64Array, d: number, b: Float64Array): void {
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * b[k]!;
    b[i] = s / l[i * d + i]!;
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < d; k++) s -= l[k * d + i]! * b[k]!;
    b[i] = s / l[i * d + i]!;
  }
}

registerModelKind('ALS', (p) => new ALS(p as AlsOptions));
