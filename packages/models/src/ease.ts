/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): the closed-form item-item model
 * `B = argmin ‖X − XB‖² + λ‖B‖²` with `diag(B) = 0`, i.e. `P = (XᵀX + λI)⁻¹`,
 * `B_ij = −P_ij / P_jj` (i ≠ j), scores `x_u B`.
 *
 * Two exact forms, chosen by the smaller side of X (users × items, binarised by default):
 * - primal (items ≤ users): P from the n × n Gram matrix; B is stored (n × n);
 * - dual (users < items, e.g. MovieLens latest-small: 610 × 9,724): Woodbury,
 *   `P = (I − Xᵀ K⁻¹ X) / λ` with `K = λI + XXᵀ` (m × m), so only K⁻¹ and diag(P) are stored and
 *   `x B = x − (x − Xᵀ K⁻¹ X x) ⊘ (λ diag P)` is computed per user in `O(m² + nnz)`.
 * The dense solve runs in TypeScript (Float64Array); `maxDenseDimension` (default 8,000) bounds
 * min(users, items) — beyond it `fit` throws `ERR_TOO_LARGE`.
 * @packageDocumentation
 */
import type { CsrMatrix } from '@souk/kernels';
import { inverseSpd } from './dense.js';
import { ModelError } from './errors.js';
import { transpose, type Interactions } from './interactions.js';
import { ItemScoreModel } from './neighborhood.js';
import { checkPositive, checkPositiveInt } from './params.js';
import { firstNonFiniteIndex, rankDense, registerModelKind, type ExecSettings } from './recommender.js';
import { tensor, type Tensor } from './safetensors.js';

/** Hyper-parameters of {@link EASE}. */
export interface EaseParams {
  /** λ (default 500; Steck uses a few hundred on MovieLens-sized data). */
  regularization: number;
  /** Use 1 for every stored interaction (default true) instead of its strength. */
  binarize: boolean;
  /** Largest min(users, items) for the dense solve (default 8,000). */
  maxDenseDimension: number;
}

/** Options of {@link EASE}. */
export type EaseOptions = Partial<EaseParams> & ExecSettings;

/** The EASE closed-form item-item recommender. */
export class EASE extends ItemScoreModel {
  /** `'EASE'`. */
  readonly kind = 'EASE';
  /** Hyper-parameters in use. */
  readonly params: EaseParams;
  private form: 'primal' | 'dual' = 'dual';
  private x: CsrMatrix | undefined; // users × items (binarised or not)
  private xt: CsrMatrix | undefined; // items × users
  private kInverse: Float64Array | undefined; // dual: m × m
  private diagP: Float64Array | undefined; // dual: n
  private weights: Float32Array | undefined; // primal: B, n × n

  /** A model with the given hyper-parameters (defaults above). */
  constructor(options: EaseOptions = {}) {
    super(options);
    this.params = {
      regularization: checkPositive(options.regularization ?? 500, 'regularization'),
      binarize: options.binarize ?? true,
      maxDenseDimension: checkPositiveInt(options.maxDenseDimension ?? 8000, 'maxDenseDimension'),
    };
  }

  /** @inheritDoc */
  get hyperParameters(): Record<string, unknown> {
    return { ...this.params };
  }

  /** Which exact form the model was solved in. */
  get solvedForm(): 'primal' | 'dual' {
    return this.form;
  }

  /** @internal */
  protected get iterationCount(): number {
    return 1;
  }

  /** @internal */
  protected override checkTrainingData(data: Interactions): void {
    const dim = Math.min(data.csr.rows, data.csr.cols);
    if (dim > this.params.maxDenseDimension) {
      throw new ModelError('ERR_TOO_LARGE', `Expected min(users, items) <= ${this.params.maxDenseDimension} for EASE's dense solve but received ${data.csr.rows} users x ${data.csr.cols} items (raise maxDenseDimension, or use ALS)`);
    }
  }

  /** @internal */
  protected async initialize(_data: Interactions): Promise<void> {
    this.kInverse = this.diagP = this.weights = undefined;
  }

  private prepareX(): void {
    const t = this.train!;
    this.x = this.params.binarize ? { ...t, data: new Float32Array(t.data.length).fill(1) } : t;
    this.xt = transpose(this.x);
  }

  /** @internal */
  protected async iterate(): Promise<number | undefined> {
    this.prepareX();
    const x = this.x!;
    const xt = this.xt!;
    const m = x.rows;
    const n = x.cols;
    const lambda = this.params.regularization;
    this.form = n <= m ? 'primal' : 'dual';
    if (this.form === 'primal') {
      const g = gramOfPairs(x, n); // XᵀX: pairs of items within each user's row
      for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
      const p = inverseSpd(g, n);
      const b = new Float32Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -p[i * n + j]! / p[j * n + j]!;
      this.weights = b;
    } else {
      const k = gramOfPairs(xt, m); // XXᵀ: pairs of users within each item's column
      for (let a = 0; a < m; a++) k[a * m + a]! += lambda;
      const kInv = inverseSpd(k, m);
      const diag = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = xt.indptr[j]!; p < xt.indptr[j + 1]!; p++) {
          const a = xt.indices[p]!;
          const va = xt.data[p]!;
          for (let q = xt.indptr[j]!; q < xt.indptr[j + 1]!; q++) s += va * kInv[a * m + xt.indices[q]!]! * xt.data[q]!;
        }
        diag[j] = (1 - s) / lambda;
      }
      this.kInverse = kInv;
      this.diagP = diag;
    }
    return undefined;
  }

  /** Scores `x B` for a row `x` given as sparse (items, values). */
  private scoreRow(items: Int32Array, values: Float32Array, out: Float32Array): void {
    const n = this.itemCount;
    if (this.form === 'primal') {
      const b = this.weights!;
      for (let p = 0; p < items.length; p++) {
        const i = items[p]!;
        const v = values[p]!;
        const row = b.subarray(i * n, (i + 1) * n);
        for (let j = 0; j < n; j++) out[j]! += v * row[j]!;
      }
      return;
    }
    const x = this.x!;
    const xt = this.xt!;
    const m = x.rows;
    const kInv = this.kInverse!;
    const lambda = this.params.regularization;
    // z = X x (m), w = K⁻¹ z, v = Xᵀ w (n).
    const z = new Float64Array(m);
    for (let p = 0; p < items.length; p++) {
      const i = items[p]!;
      for (let q = xt.indptr[i]!; q < xt.indptr[i + 1]!; q++) z[xt.indices[q]!]! += values[p]! * xt.data[q]!;
    }
    const w = new Float64Array(m);
    for (let a = 0; a < m; a++) {
      if (z[a] === 0) continue;
      const za = z[a]!;
      const row = a * m;
      for (let c = 0; c < m; c++) w[c]! += za * kInv[row + c]!;
    }
    const v = new Float64Array(n);
    for (let a = 0; a < m; a++) {
      const wa = w[a]!;
      for (let q = x.indptr[a]!; q < x.indptr[a + 1]!; q++) v[x.indices[q]!]! += wa * x.data[q]!;
    }
    const diag = this.diagP!;
    const dense = new Float64Array(n);
    for (let p = 0; p < items.length; p++) dense[items[p]!]! += values[p]!;
    for (let j = 0; j < n; j++) out[j]! += dense[j]! - (dense[j]! - v[j]!) / (lambda * diag[j]!);
  }

  /** @internal */
  protected scoreUser(u: number, out: Float32Array): void {
    const x = this.x!;
    const b = x.indptr[u]!, e = x.indptr[u + 1]!;
    this.scoreRow(x.indices.subarray(b, e), x.data.subarray(b, e), out);
  }

  /** Row i of B: how strongly having item i raises each other item's score. @internal */
  protected override similarItemsFor(i: number, k: number, includeSelf: boolean): { indices: Int32Array; scores: Float32Array } {
    const row = new Float32Array(this.itemCount);
    // Row i of B is the score of a user who has only item i.
    this.scoreRow(Int32Array.of(i), Float32Array.of(1), row);
    return rankDense(row, k, includeSelf ? undefined : i, this.exec);
  }

  /** @internal */
  protected findNonFinite(): string | undefined {
    for (const [name, a] of [['B', this.weights], ['K⁻¹', this.kInverse], ['diag(P)', this.diagP]] as const) {
      if (!a) continue;
      const at = firstNonFiniteIndex(a);
      if (at >= 0) return `${name}[${at}]`;
    }
    return undefined;
  }

  /** @internal */
  protected stateTensors(): Record<string, Tensor> {
    if (this.form === 'primal') return { weights: tensor(this.weights!, [this.itemCount, this.itemCount]) };
    return { k_inverse: tensor(this.kInverse!, [this.userCount, this.userCount]), diag_p: tensor(this.diagP!) };
  }

  /** @internal */
  protected override stateExtra(): Record<string, unknown> {
    return { form: this.form };
  }

  /** @internal */
  restoreState(tensors: Record<string, Tensor>, extra: Record<string, unknown>): void {
    this.prepareX();
    const m = this.userCount;
    const n = this.itemCount;
    if (extra.form === 'primal') {
      const t = tensors.weights;
      if (!t || t.dtype !== 'F32' || t.data.length !== n * n) throw new ModelError('ERR_CORRUPT_FILE', `Expected an F32 ${n} x ${n} tensor weights in the saved EASE`);
      this.form = 'primal';
      this.weights = t.data as Float32Array;
    } else if (extra.form === 'dual') {
      const kt = tensors.k_inverse;
      const dt = tensors.diag_p;
      if (!kt || kt.dtype !== 'F64' || kt.data.length !== m * m || !dt || dt.dtype !== 'F64' || dt.data.length !== n) throw new ModelError('ERR_CORRUPT_FILE', `Expected F64 tensors k_inverse (${m} x ${m}) and diag_p (${n}) in the saved EASE`);
      this.form = 'dual';
      this.kInverse = kt.data as Float64Array;
      this.diagP = dt.data as Float64Array;
    } else {
      throw new ModelError('ERR_CORRUPT_FILE', `Expected form 'primal' or 'dual' in the saved EASE manifest but received ${JSON.stringify(extra.form)}`);
    }
  }
}

/**
 * `Σ_r c_r c_rᵀ` over the rows c_r of `byCol` (each a sparse vector over `size` entries): the
 * Gram matrix of its columns, from the pairs within each row — `Σ_r |c_r|²` multiply-adds.
 */
function gramOfPairs(byCol: CsrMatrix, size: number): Float64Array {
  const g = new Float64Array(size * size);
  for (let c = 0; c < byCol.rows; c++) {
    const b = byCol.indptr[c]!, e = byCol.indptr[c + 1]!;
    for (let p = b; p < e; p++) {
      const a = byCol.indices[p]!;
      const va = byCol.data[p]!;
      const row = a * size;
      for (let q = b; q < e; q++) g[row + byCol.indices[q]!]! += va * byCol.data[q]!;
    }
  }
  return g;
}

registerModelKind('EASE', (p) => new EASE(p as EaseOptions));
