/**
 * Biased matrix factorisation on explicit ratings (Funk / Koren's SVD), trained by `@souk/kernels`'
 * `sgdEpoch`: prediction `μ + b_u + b_i + p_u · q_i`. For ranking a user's items the constant
 * `μ + b_u` drops out, so top-K runs on `[p_u, 1] · [q_i, b_i]`.
 * @packageDocumentation
 */
import { sgdEpoch } from '@souk/kernels';
import { ItemBiasedFactorModel, matrixFrom, vectorFrom } from './factor-model.js';
import type { EntityRef, Interactions } from './interactions.js';
import { ModelError } from './errors.js';
import { checkNonNegative, checkPositive, checkPositiveInt } from './params.js';
import { seededNormal } from './random.js';
import { firstNonFiniteIndex, registerModelKind, type ExecSettings } from './recommender.js';
import { tensor, type Tensor } from './safetensors.js';

/** Hyper-parameters of {@link MatrixFactorization}. */
export interface MfParams {
  /** Latent dimension (default 32). */
  factors: number;
  /** SGD learning rate (default 0.01). */
  learningRate: number;
  /** L2 regularisation of factors and biases (default 0.02). */
  regularization: number;
  /** Epochs (default 20). */
  iterations: number;
  /** Standard deviation of the initial factors (default 0.1). */
  initStd: number;
  /** Seed of initialisation and visiting order (default 0). */
  seed: number;
}

/** Options of {@link MatrixFactorization}. */
export type MfOptions = Partial<MfParams> & ExecSettings;

/** Biased SGD matrix factorisation for explicit ratings; the loss reported is the training RMSE. */
export class MatrixFactorization extends ItemBiasedFactorModel {
  /** `'MatrixFactorization'`. */
  readonly kind = 'MatrixFactorization';
  /** Hyper-parameters in use. */
  readonly params: MfParams;
  private userBias: Float32Array = new Float32Array(0);
  private mean = 0;

  /** A model with the given hyper-parameters (defaults above). */
  constructor(options: MfOptions = {}) {
    super(options);
    this.params = {
      factors: checkPositiveInt(options.factors ?? 32, 'factors'),
      learningRate: checkPositive(options.learningRate ?? 0.01, 'learningRate'),
      regularization: checkNonNegative(options.regularization ?? 0.02, 'regularization'),
      iterations: checkPositiveInt(options.iterations ?? 20, 'iterations'),
      initStd: checkNonNegative(options.initStd ?? 0.1, 'initStd'),
      seed: checkNonNegative(options.seed ?? 0, 'seed'),
    };
  }

  /** @inheritDoc */
  get hyperParameters(): Record<string, unknown> {
    return { ...this.params };
  }

  /** The global mean μ of the training ratings. */
  get globalMean(): number {
    return this.mean;
  }

  /** Predicted rating `μ + b_u + b_i + p_u · q_i`. */
  predict(user: EntityRef, item: EntityRef): number {
    this.requireFitted();
    const u = this.userIndexOf(user);
    const i = this.itemIndexOf(item);
    const d = this.params.factors;
    let dot = 0;
    for (let f = 0; f < d; f++) dot += this.userFactorMatrix.data[u * d + f]! * this.itemFactorMatrix.data[i * d + f]!;
    return this.mean + this.userBias[u]! + this.itemBias[i]! + dot;
  }

  /** @internal */
  protected get iterationCount(): number {
    return this.params.iterations;
  }

  /** @internal */
  protected async initialize(data: Interactions): Promise<void> {
    const d = this.params.factors;
    const normal = seededNormal(this.params.seed);
    const std = this.params.initStd;
    this.userFactorMatrix = { data: new Float32Array(data.csr.rows * d).map(() => normal() * std), rows: data.csr.rows, cols: d };
    this.itemFactorMatrix = { data: new Float32Array(data.csr.cols * d).map(() => normal() * std), rows: data.csr.cols, cols: d };
    this.userBias = new Float32Array(data.csr.rows);
    this.itemBias = new Float32Array(data.csr.cols);
    let sum = 0;
    for (const v of data.csr.data) sum += v;
    this.mean = sum / data.csr.data.length;
  }

  /** @internal */
  protected async iterate(iteration: number): Promise<number | undefined> {
    const r = await sgdEpoch(this.train!, this.userFactorMatrix, this.itemFactorMatrix, { user: this.userBias, item: this.itemBias, globalMean: this.mean }, {
      learningRate: this.params.learningRate,
      regularization: this.params.regularization,
      seed: this.params.seed * 100_003 + iteration,
      ...this.exec,
    });
    return r.rmse;
  }

  /** @internal */
  protected override findNonFinite(): string | undefined {
    const at = firstNonFiniteIndex(this.userBias);
    return at >= 0 ? `userBias[${at}] = ${this.userBias[at]}` : super.findNonFinite();
  }

  /** @internal */
  protected override snapshot(): unknown {
    return { base: super.snapshot(), user: this.userBias.slice(), item: this.itemBias.slice() };
  }

  /** @internal */
  protected override restoreSnapshot(state: unknown): void {
    const s = state as { base: unknown; user: Float32Array; item: Float32Array };
    super.restoreSnapshot(s.base);
    this.userBias.set(s.user);
    this.itemBias.set(s.item);
  }

  /** @internal */
  protected override stateTensors(): Record<string, Tensor> {
    return { ...super.stateTensors(), user_bias: tensor(this.userBias), item_bias: tensor(this.itemBias) };
  }

  /** @internal */
  protected override stateExtra(): Record<string, unknown> {
    return { globalMean: this.mean };
  }

  /** @internal */
  override restoreState(tensors: Record<string, Tensor>, extra: Record<string, unknown>): void {
    super.restoreState(tensors, extra);
    matrixFrom(tensors, 'item_factors', this.itemCount, this.params.factors);
    this.userBias = vectorFrom(tensors, 'user_bias', this.userCount);
    this.itemBias = vectorFrom(tensors, 'item_bias', this.itemCount);
    if (typeof extra.globalMean !== 'number' || !Number.isFinite(extra.globalMean)) throw new ModelError('ERR_CORRUPT_FILE', `Expected a finite globalMean in the saved MatrixFactorization manifest but received ${String(extra.globalMean)}`);
    this.mean = extra.globalMean;
  }
}

registerModelKind('MatrixFactorization', (p) => new MatrixFactorization(p as MfOptions));
