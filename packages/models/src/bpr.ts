/**
 * Bayesian Personalised Ranking (Rendle et al. 2009) on `@souk/kernels`' `bprEpoch`: Hogwild SGD
 * over (user, positive, negative) triples with item biases, negatives drawn uniformly over the
 * catalog or by popularity (the item of a random interaction, implicit's scheme), optionally
 * verified against the user's row, and a learning-rate schedule across epochs.
 * Scores are `p_u · q_i + b_i` (the kernel keeps the bias apart; for top-K the user vector gets
 * a constant 1 column and the item vector its bias).
 * @packageDocumentation
 */
import { bprEpoch } from '@souk/kernels';
import { ItemBiasedFactorModel, matrixFrom, vectorFrom } from './factor-model.js';
import type { Interactions } from './interactions.js';
import { invalidArgument } from './errors.js';
import { checkNonNegative, checkOneOf, checkPositive, checkPositiveInt } from './params.js';
import { seededUniform } from './random.js';
import { registerModelKind, type ExecSettings } from './recommender.js';
import { tensor, type Tensor } from './safetensors.js';

/** How the learning rate changes over epochs (epoch e = 0, 1, …). */
export type LearningRateSchedule =
  /** lr for every epoch. */
  | { readonly kind: 'constant' }
  /** lr · decay^e. */
  | { readonly kind: 'exponential'; readonly decay: number }
  /** lr / (1 + decay · e). */
  | { readonly kind: 'inverse'; readonly decay: number }
  /** lr · ½(1 + cos(π e / epochs)), never below `minRatio` · lr. */
  | { readonly kind: 'cosine'; readonly minRatio?: number };

/** Hyper-parameters of {@link BPR}. */
export interface BprParams {
  /** Latent dimension (default 64). */
  factors: number;
  /** Initial learning rate (default 0.01, as implicit). */
  learningRate: number;
  /** L2 regularisation (default 0.01, as implicit). */
  regularization: number;
  /** Epochs (default 100, as implicit). */
  iterations: number;
  /** Negative sampling: `'uniform'` over items (default) or `'popularity'`. */
  negatives: 'uniform' | 'popularity';
  /** Skip negatives that are positives of the user (default true). */
  verifyNegatives: boolean;
  /** Samples per epoch as a multiple of the number of interactions (default 1). */
  samplesPerInteraction: number;
  /** Learning-rate schedule (default constant). */
  schedule: LearningRateSchedule;
  /** Seed of initialisation and sampling (default 0). */
  seed: number;
}

/** Options of {@link BPR}: hyper-parameters and kernel settings. */
export type BprOptions = Partial<BprParams> & ExecSettings;

/** The learning rate of epoch `e` (0-based) of `epochs` under `schedule`. */
export function scheduledLearningRate(lr: number, schedule: LearningRateSchedule, e: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'exponential':
      return lr * schedule.decay ** e;
    case 'inverse':
      return lr / (1 + schedule.decay * e);
    case 'cosine':
      return lr * Math.max(schedule.minRatio ?? 0.01, 0.5 * (1 + Math.cos((Math.PI * e) / epochs)));
  }
}

function checkSchedule(s: unknown): LearningRateSchedule {
  const v = s as LearningRateSchedule;
  if (typeof v !== 'object' || v === null) throw invalidArgument('a schedule {kind: constant | exponential | inverse | cosine}', 'schedule', s);
  if (v.kind === 'constant') return v;
  if (v.kind === 'exponential' && v.decay > 0 && v.decay <= 1) return v;
  if (v.kind === 'inverse' && v.decay >= 0 && Number.isFinite(v.decay)) return v;
  if (v.kind === 'cosine' && (v.minRatio === undefined || (v.minRatio >= 0 && v.minRatio <= 1))) return v;
  throw invalidArgument('a schedule {kind: constant | exponential (0 < decay <= 1) | inverse (decay >= 0) | cosine}', 'schedule', JSON.stringify(s));
}

/** BPR matrix factorisation for implicit feedback. */
export class BPR extends ItemBiasedFactorModel {
  /** `'BPR'`. */
  readonly kind = 'BPR';
  /** Hyper-parameters in use. */
  readonly params: BprParams;
  private epochLearningRates: number[] = [];

  /** A model with the given hyper-parameters (defaults above). */
  constructor(options: BprOptions = {}) {
    super(options);
    this.params = {
      factors: checkPositiveInt(options.factors ?? 64, 'factors'),
      learningRate: checkPositive(options.learningRate ?? 0.01, 'learningRate'),
      regularization: checkNonNegative(options.regularization ?? 0.01, 'regularization'),
      iterations: checkPositiveInt(options.iterations ?? 100, 'iterations'),
      negatives: checkOneOf(options.negatives ?? 'uniform', ['uniform', 'popularity'] as const, 'negatives'),
      verifyNegatives: options.verifyNegatives ?? true,
      samplesPerInteraction: checkPositive(options.samplesPerInteraction ?? 1, 'samplesPerInteraction'),
      schedule: checkSchedule(options.schedule ?? { kind: 'constant' }),
      seed: checkNonNegative(options.seed ?? 0, 'seed'),
    };
  }

  /** @inheritDoc */
  get hyperParameters(): Record<string, unknown> {
    return { ...this.params, schedule: { ...this.params.schedule } };
  }

  /** Item biases. */
  get itemBiases(): Float32Array {
    this.requireFitted();
    return this.itemBias;
  }

  /** Learning rate used in each epoch of the last fit. */
  get learningRates(): readonly number[] {
    return this.epochLearningRates;
  }

  /** @internal */
  protected get iterationCount(): number {
    return this.params.iterations;
  }

  /** @internal */
  protected async initialize(data: Interactions): Promise<void> {
    const d = this.params.factors;
    const random = seededUniform(this.params.seed);
    // implicit's initialisation: (uniform − 0.5) / factors.
    const users = new Float32Array(data.csr.rows * d).map(() => (random() - 0.5) / d);
    const items = new Float32Array(data.csr.cols * d).map(() => (random() - 0.5) / d);
    this.userFactorMatrix = { data: users, rows: data.csr.rows, cols: d };
    this.itemFactorMatrix = { data: items, rows: data.csr.cols, cols: d };
    this.itemBias = new Float32Array(data.csr.cols);
    this.epochLearningRates = [];
  }

  /** @internal */
  protected async iterate(iteration: number): Promise<number | undefined> {
    const lr = scheduledLearningRate(this.params.learningRate, this.params.schedule, iteration - 1, this.params.iterations);
    this.epochLearningRates.push(lr);
    const r = await bprEpoch(this.train!, this.userFactorMatrix, this.itemFactorMatrix, this.itemBias, {
      learningRate: lr,
      regularization: this.params.regularization,
      samples: Math.max(1, Math.round(this.params.samplesPerInteraction * this.train!.indices.length)),
      seed: this.params.seed * 100_003 + iteration,
      verifyNegatives: this.params.verifyNegatives,
      negatives: this.params.negatives,
      ...this.exec,
    });
    return r.loss;
  }

  /** @internal */
  protected override snapshot(): unknown {
    return { base: super.snapshot(), bias: this.itemBias.slice() };
  }

  /** @internal */
  protected override restoreSnapshot(state: unknown): void {
    const s = state as { base: unknown; bias: Float32Array };
    super.restoreSnapshot(s.base);
    this.itemBias.set(s.bias);
  }

  /** @internal */
  protected override stateTensors(): Record<string, Tensor> {
    return { ...super.stateTensors(), item_bias: tensor(this.itemBias) };
  }

  /** @internal */
  override restoreState(tensors: Record<string, Tensor>, extra: Record<string, unknown>): void {
    super.restoreState(tensors, extra);
    matrixFrom(tensors, 'item_factors', this.itemCount, this.params.factors);
    this.itemBias = vectorFrom(tensors, 'item_bias', this.itemCount);
  }
}

registerModelKind('BPR', (p) => new BPR(p as BprOptions));
