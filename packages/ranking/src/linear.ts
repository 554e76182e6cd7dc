/**
 * Learned linear scorers: `score = w · normalise(x) + b`, trained from logged feedback by
 *  - weighted logistic regression (pointwise: clicked / bought = 1 with graded sample weights),
 *    plain SGD over seeded shuffles, L2-regularised;
 *  - a pairwise LambdaRank-style model: within each group (a query or session), every pair with
 *    different gains contributes the RankNet gradient `σ(−(s_i − s_j)) (x_i − x_j)`, weighted by
 *    the |ΔnDCG| of swapping the two (or 1 for plain RankNet), summed per group, one SGD step per
 *    group in seeded order.
 * Everything in double precision, deterministic for a seed. Weights save to versioned JSON.
 * @packageDocumentation
 */
import { seededRandom } from '@souk/data';
import { rankingError, RankingError } from './errors.js';
import type { FeatureMatrix } from './features.js';
import { discount, orderByScore } from './metrics.js';

/** Format tag of saved weights. */
export const RANKER_FORMAT = 'souk-ranker';
/** Version of the weights format this code writes and reads. */
export const RANKER_VERSION = 1;

/** Per-feature z-score normalisation: `(x − mean) / std` (std 0 → 1). */
export interface FeatureNormalizer {
  /** Mean per feature. */
  readonly mean: readonly number[];
  /** Standard deviation per feature (1 where the feature is constant). */
  readonly std: readonly number[];
}

/** Fits a {@link FeatureNormalizer} on feature rows. */
export function fitNormalizer(features: FeatureMatrix): FeatureNormalizer {
  const { rows, cols, data } = features;
  const mean = new Array<number>(cols).fill(0);
  const std = new Array<number>(cols).fill(0);
  if (rows === 0) return { mean, std: std.map(() => 1) };
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c]! += data[r * cols + c]!;
  for (let c = 0; c < cols; c++) mean[c]! /= rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) std[c]! += (data[r * cols + c]! - mean[c]!) ** 2;
  for (let c = 0; c < cols; c++) {
    const s = Math.sqrt(std[c]! / rows);
    std[c] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

/** The kind of a trained scorer. */
export type ScorerKind = 'logistic' | 'pairwise' | 'manual';

/** Saved weights (plain JSON). */
export interface ScorerJson {
  /** {@link RANKER_FORMAT}. */
  readonly format: string;
  /** {@link RANKER_VERSION}. */
  readonly version: number;
  /** How the weights were obtained. */
  readonly kind: ScorerKind;
  /** Feature names, in weight order. */
  readonly features: readonly string[];
  /** One weight per feature. */
  readonly weights: readonly number[];
  /** Intercept. */
  readonly bias: number;
  /** Normalisation applied before the weights, if any. */
  readonly normalizer?: FeatureNormalizer;
}

const finiteArray = (v: unknown, n: number): v is number[] => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** A linear scorer over named features. */
export class LinearScorer {
  /** How the weights were obtained. */
  readonly kind: ScorerKind;
  /** Feature names, in weight order. */
  readonly features: readonly string[];
  /** Weights (double precision). */
  readonly weights: Float64Array;
  /** Intercept. */
  readonly bias: number;
  /** Normalisation applied before the weights. */
  readonly normalizer: FeatureNormalizer | undefined;

  /** A scorer from weights (validated: finite, one per feature). */
  constructor(init: { kind?: ScorerKind; features: readonly string[]; weights: ArrayLike<number>; bias?: number; normalizer?: FeatureNormalizer }) {
    const n = init.features.length;
    if (init.weights.length !== n) throw rankingError('ERR_FEATURES', `${n} weights (one per feature)`, 'weights', init.weights.length);
    const weights = Float64Array.from(init.weights);
    if (weights.some((w) => !Number.isFinite(w))) throw rankingError('ERR_NON_FINITE', 'finite weights', 'weights', Array.from(weights).find((w) => !Number.isFinite(w)));
    const bias = init.bias ?? 0;
    if (!Number.isFinite(bias)) throw rankingError('ERR_NON_FINITE', 'a finite bias', 'bias', bias);
    if (init.normalizer && (!finiteArray(init.normalizer.mean, n) || !finiteArray(init.normalizer.std, n) || init.normalizer.std.some((s) => s <= 0))) {
      throw rankingError('ERR_FEATURES', `a normalizer with ${n} means and positive stds`, 'normalizer', init.normalizer);
    }
    this.kind = init.kind ?? 'manual';
    this.features = [...init.features];
    this.weights = weights;
    this.bias = bias;
    this.normalizer = init.normalizer ? { mean: [...init.normalizer.mean], std: [...init.normalizer.std] } : undefined;
  }

  /** Hand-set weights by feature name (others 0), without normalisation. */
  static manual(features: readonly string[], weights: Readonly<Record<string, number>>, bias = 0): LinearScorer {
    for (const name of Object.keys(weights)) if (!features.includes(name)) throw rankingError('ERR_FEATURES', `one of ${features.join(', ')}`, 'weights key', name);
    return new LinearScorer({ kind: 'manual', features, weights: features.map((f) => weights[f] ?? 0), bias });
  }

  /** Column of each of this scorer's features in `names`; throws `ERR_FEATURES` when one is missing. */
  private columns(names: readonly string[]): number[] {
    return this.features.map((f) => {
      const c = names.indexOf(f);
      if (c < 0) throw rankingError('ERR_FEATURES', `features including ${f}`, 'features.names', names.join(', '));
      return c;
    });
  }

  /** Scores each row (features matched by name). */
  score(features: FeatureMatrix): Float64Array {
    const cols = this.columns(features.names);
    const out = new Float64Array(features.rows);
    const mean = this.normalizer?.mean;
    const std = this.normalizer?.std;
    for (let r = 0; r < features.rows; r++) {
      let s = this.bias;
      const o = r * features.cols;
      for (let j = 0; j < cols.length; j++) {
        let x = features.data[o + cols[j]!]!;
        if (mean) x = (x - mean[j]!) / std![j]!;
        s += this.weights[j]! * x;
      }
      out[r] = s;
    }
    return out;
  }

  /** The weights as versioned JSON. */
  toJSON(): ScorerJson {
    return {
      format: RANKER_FORMAT,
      version: RANKER_VERSION,
      kind: this.kind,
      features: [...this.features],
      weights: Array.from(this.weights),
      bias: this.bias,
      ...(this.normalizer ? { normalizer: this.normalizer } : {}),
    };
  }

  /** A scorer from {@link LinearScorer.toJSON} output (object or JSON text); `ERR_FORMAT` for foreign or newer files. */
  static fromJSON(data: ScorerJson | string): LinearScorer {
    let j: unknown = data;
    if (typeof data === 'string') {
      try {
        j = JSON.parse(data);
      } catch (cause) {
        throw new RankingError('ERR_FORMAT', 'Expected JSON text for data but received text that does not parse', { cause });
      }
    }
    const o = j as Partial<ScorerJson> | null;
    if (typeof o !== 'object' || o === null || o.format !== RANKER_FORMAT) throw rankingError('ERR_FORMAT', `a ${RANKER_FORMAT} document`, 'data.format', o?.format);
    if (typeof o.version !== 'number' || o.version < 1 || o.version > RANKER_VERSION) throw rankingError('ERR_FORMAT', `version 1..${RANKER_VERSION}`, 'data.version', o.version);
    if (!Array.isArray(o.features) || !o.features.every((f) => typeof f === 'string')) throw rankingError('ERR_FORMAT', 'feature names', 'data.features', o.features);
    if (!finiteArray(o.weights, o.features.length)) throw rankingError('ERR_FORMAT', `${o.features.length} finite weights`, 'data.weights', o.weights);
    if (o.kind !== 'logistic' && o.kind !== 'pairwise' && o.kind !== 'manual') throw rankingError('ERR_FORMAT', "kind 'logistic', 'pairwise' or 'manual'", 'data.kind', o.kind);
    return new LinearScorer({ kind: o.kind, features: o.features, weights: o.weights, bias: o.bias ?? 0, ...(o.normalizer ? { normalizer: o.normalizer } : {}) });
  }
}

/** Options shared by the trainers. */
export interface TrainOptions {
  /** Passes over the data (default 30). */
  readonly epochs?: number;
  /** SGD step size (default 0.05). */
  readonly learningRate?: number;
  /** L2 regularisation (default 1e-4). */
  readonly l2?: number;
  /** Seed of the shuffles (default 1). */
  readonly seed?: number;
  /** Fit and apply a z-score normaliser first (default true). */
  readonly normalize?: boolean;
}

/** What a trainer returns. */
export interface TrainResult {
  /** The trained scorer. */
  readonly scorer: LinearScorer;
  /** Mean training loss per epoch (logistic: weighted log loss before the epoch's updates; pairwise: weighted pair loss of each group just before its step). */
  readonly losses: number[];
}

function trainSettings(o: TrainOptions) {
  const epochs = o.epochs ?? 30;
  const lr = o.learningRate ?? 0.05;
  const l2 = o.l2 ?? 1e-4;
  const seed = o.seed ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw rankingError('ERR_ARGUMENT', 'a positive integer', 'epochs', epochs);
  if (!(lr > 0) || !Number.isFinite(lr)) throw rankingError('ERR_ARGUMENT', 'a learning rate > 0', 'learningRate', lr);
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw rankingError('ERR_ARGUMENT', 'an L2 ≥ 0', 'l2', l2);
  if (!Number.isInteger(seed) || seed < 0) throw rankingError('ERR_ARGUMENT', 'a seed ≥ 0', 'seed', seed);
  return { epochs, lr, l2, seed, normalize: o.normalize ?? true };
}

/** Normalised copy of the rows (or the rows themselves). */
function prepared(features: FeatureMatrix, normalizer: FeatureNormalizer | undefined): Float64Array {
  for (let i = 0; i < features.rows * features.cols; i++) {
    if (!Number.isFinite(features.data[i]!)) throw rankingError('ERR_NON_FINITE', 'finite features', `features[${Math.floor(i / features.cols)}].${features.names[i % features.cols]}`, features.data[i]);
  }
  if (!normalizer) return features.data;
  const x = new Float64Array(features.rows * features.cols);
  for (let r = 0; r < features.rows; r++) {
    for (let c = 0; c < features.cols; c++) x[r * features.cols + c] = (features.data[r * features.cols + c]! - normalizer.mean[c]!) / normalizer.std[c]!;
  }
  return x;
}

function shuffle(order: Int32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** ln(1 + e^(−z)), stable. */
const softplusNeg = (z: number) => (z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z)));

/** Training data of {@link trainLogistic}. */
export interface LogisticData {
  /** Feature rows. */
  readonly features: FeatureMatrix;
  /** Label per row in [0, 1] (1 = clicked / bought). */
  readonly labels: ArrayLike<number>;
  /** Sample weight per row ≥ 0 (default 1), e.g. 1 click, 2 cart, 4 purchase. */
  readonly weights?: ArrayLike<number>;
}

/**
 * Weighted logistic regression by SGD: per row, in a seeded shuffle each epoch,
 * `g = w_r (σ(w·x + b) − y)`, `w ← w − η (g x + λ w)`, `b ← b − η g`.
 */
export function trainLogistic(data: LogisticData, options: TrainOptions = {}): TrainResult {
  const s = trainSettings(options);
  const { features, labels } = data;
  const n = features.rows;
  const d = features.cols;
  if (n === 0) throw new RankingError('ERR_TRAINING_DATA', 'Expected at least one training row for features but received none');
  if (labels.length !== n) throw rankingError('ERR_ARGUMENT', `${n} labels (one per row)`, 'labels', labels.length);
  if (data.weights !== undefined && data.weights.length !== n) throw rankingError('ERR_ARGUMENT', `${n} weights (one per row)`, 'weights', data.weights.length);
  for (let r = 0; r < n; r++) {
    const y = labels[r]!;
    if (!Number.isFinite(y) || y < 0 || y > 1) throw rankingError('ERR_NON_FINITE', 'labels in [0, 1]', `labels[${r}]`, y);
    const w = data.weights?.[r] ?? 1;
    if (!Number.isFinite(w) || w < 0) throw rankingError('ERR_NON_FINITE', 'finite weights ≥ 0', `weights[${r}]`, w);
  }
  const normalizer = s.normalize ? fitNormalizer(features) : undefined;
  const x = prepared(features, normalizer);
  const y = Float64Array.from(labels);
  const sw = data.weights === undefined ? new Float64Array(n).fill(1) : Float64Array.from(data.weights);
  const w = new Float64Array(d);
  let b = 0;
  const { lr, l2 } = s;
  const random = seededRandom(s.seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    let loss = 0;
    let total = 0;
    for (let r = 0; r < n; r++) {
      let z = b;
      const o = r * d;
      for (let c = 0; c < d; c++) z += w[c]! * x[o + c]!;
      loss += sw[r]! * (y[r]! * softplusNeg(z) + (1 - y[r]!) * softplusNeg(-z));
      total += sw[r]!;
    }
    losses.push(total > 0 ? loss / total : 0);
    shuffle(order, random);
    for (let k = 0; k < n; k++) {
      const r = order[k]!;
      const o = r * d;
      let z = b;
      for (let c = 0; c < d; c++) z += w[c]! * x[o + c]!;
      const g = sw[r]! * (sigmoid(z) - y[r]!);
      for (let c = 0; c < d; c++) w[c] = w[c]! - lr * (g * x[o + c]! + l2 * w[c]!);
      b -= lr * g;
    }
  }
  return { scorer: new LinearScorer({ kind: 'logistic', features: features.names, weights: w, bias: b, ...(normalizer ? { normalizer } : {}) }), losses };
}

/** Training data of {@link trainPairwise}. */
export interface PairwiseData {
  /** Feature rows. */
  readonly features: FeatureMatrix;
  /** Group (query or session) of each row; pairs form only within a group. */
  readonly groups: ArrayLike<number>;
  /** Graded gain of each row (0 = ignored, higher = better). */
  readonly gains: ArrayLike<number>;
}

/** Options of {@link trainPairwise}. */
export interface PairwiseOptions extends TrainOptions {
  /** `'lambda'` (default): pairs weighted by |ΔnDCG| of swapping them; `'ranknet'`: weight 1. */
  readonly weighting?: 'lambda' | 'ranknet';
  /** Most pairs per group and epoch (seeded sample; default 500). */
  readonly maxPairsPerGroup?: number;
}

/**
 * A pairwise LambdaRank-style linear model. Per group, with the current scores s and ranks:
 * for each pair (i, j) with gain_i > gain_j, `λ = Δ_ij σ(−(s_i − s_j))` with `Δ_ij` the |ΔnDCG|
 * of swapping i and j (or 1), and `w ← w + η (Σ λ (x_i − x_j) − λ₂ w)`. No bias (it cancels).
 */
export function trainPairwise(data: PairwiseData, options: PairwiseOptions = {}): TrainResult {
  const s = trainSettings(options);
  const weighting = options.weighting ?? 'lambda';
  if (weighting !== 'lambda' && weighting !== 'ranknet') throw rankingError('ERR_ARGUMENT', "'lambda' or 'ranknet'", 'weighting', weighting);
  const maxPairs = options.maxPairsPerGroup ?? 500;
  if (!Number.isInteger(maxPairs) || maxPairs < 1) throw rankingError('ERR_ARGUMENT', 'a positive integer', 'maxPairsPerGroup', maxPairs);
  const { features, groups, gains } = data;
  const n = features.rows;
  const d = features.cols;
  if (groups.length !== n || gains.length !== n) throw rankingError('ERR_ARGUMENT', `${n} groups and gains (one per row)`, 'groups/gains', Math.min(groups.length, gains.length));
  const byGroup = new Map<number, number[]>();
  for (let r = 0; r < n; r++) {
    if (!Number.isFinite(gains[r]!)) throw rankingError('ERR_NON_FINITE', 'finite gains', `gains[${r}]`, gains[r]);
    let list = byGroup.get(groups[r]!);
    if (!list) byGroup.set(groups[r]!, (list = []));
    list.push(r);
  }
  // Keep groups with at least one pair of different gains.
  // Groups with at least one pair of different gains, and their pairs (i better than j), once.
  const lists: number[][] = [];
  const pairLists: Int32Array[] = [];
  for (const rows of byGroup.values()) {
    const pairs: number[] = [];
    for (let a = 0; a < rows.length; a++) for (let b = 0; b < rows.length; b++) if (gains[rows[a]!]! > gains[rows[b]!]!) pairs.push(a, b);
    if (pairs.length > 0) {
      lists.push(rows);
      pairLists.push(Int32Array.from(pairs));
    }
  }
  if (lists.length === 0) throw new RankingError('ERR_TRAINING_DATA', 'Expected a group with two different gains for groups but received none (no pair to learn from)');
  const normalizer = s.normalize ? fitNormalizer(features) : undefined;
  const x = prepared(features, normalizer);
  const w = new Float64Array(d);
  const grad = new Float64Array(d);
  const random = seededRandom(s.seed);
  const groupOrder = Int32Array.from({ length: lists.length }, (_, i) => i);
  const losses: number[] = [];
  for (let epoch = 0; epoch < s.epochs; epoch++) {
    shuffle(groupOrder, random);
    let loss = 0;
    let weightSum = 0;
    for (const g of groupOrder) {
      const rows = lists[g]!;
      const m = rows.length;
      const score = new Float64Array(m);
      for (let a = 0; a < m; a++) {
        let z = 0;
        for (let c = 0; c < d; c++) z += w[c]! * x[rows[a]! * d + c]!;
        score[a] = z;
      }
      const rank = new Int32Array(m);
      orderByScore(score).forEach((a, r) => (rank[a] = r));
      const gain = rows.map((r) => Math.pow(2, gains[r]!) - 1);
      const ideal = [...gain].sort((p, q) => q - p);
      let idcg = 0;
      for (let r = 0; r < m; r++) idcg += ideal[r]! * discount(r);
      // The group's pairs, sampled down to maxPairs (a seeded partial shuffle).
      const all = pairLists[g]!;
      const count = all.length >> 1;
      let pairs = all;
      if (count > maxPairs) {
        pairs = all.slice();
        for (let p = 0; p < maxPairs; p++) {
          const q = p + Math.floor(random() * (count - p));
          const a = pairs[2 * p]!;
          const b = pairs[2 * p + 1]!;
          pairs[2 * p] = pairs[2 * q]!;
          pairs[2 * p + 1] = pairs[2 * q + 1]!;
          pairs[2 * q] = a;
          pairs[2 * q + 1] = b;
        }
        pairs = pairs.subarray(0, 2 * maxPairs);
      }
      grad.fill(0);
      for (let p = 0; p < pairs.length; p += 2) {
        const a = pairs[p]!;
        const b = pairs[p + 1]!;
        const diff = score[a]! - score[b]!;
        const delta = weighting === 'ranknet' ? 1 : idcg > 0 ? Math.abs((gain[a]! - gain[b]!) * (discount(rank[a]!) - discount(rank[b]!))) / idcg : 0;
        const rho = sigmoid(-diff);
        loss += delta * softplusNeg(diff);
        weightSum += delta;
        const lambda = delta * rho;
        const oa = rows[a]! * d;
        const ob = rows[b]! * d;
        for (let c = 0; c < d; c++) grad[c]! += lambda * (x[oa + c]! - x[ob + c]!);
      }
      for (let c = 0; c < d; c++) w[c]! += s.lr * (grad[c]! - s.l2 * w[c]!);
    }
    losses.push(weightSum > 0 ? loss / weightSum : 0);
  }
  return { scorer: new LinearScorer({ kind: 'pairwise', features: features.names, weights: w, bias: 0, ...(normalizer ? { normalizer } : {}) }), losses };
}
