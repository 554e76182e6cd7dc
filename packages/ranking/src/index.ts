/**
 * `@souk/ranking`: personalised ranking for search and recommendations — feature vectors per
 * (user, query, item), learned linear scorers (weighted logistic regression and a pairwise
 * LambdaRank-style model, hand-written in double precision, seeded), selection by top-K or
 * softmax / sampled exploration through `@souk/kernels`, diversity limits and merchandising
 * rules, one {@link Ranker} for both, saved weights as versioned JSON, and an offline lift
 * evaluation on the synthetic shop. Bad input throws a {@link RankingError} with a stable code.
 * @packageDocumentation
 */
export { RankingError, type RankingErrorCode } from './errors.js';
export {
  FEATURE_NAMES,
  RankingCatalog,
  extractFeatures,
  stackFeatures,
  priceFit,
  type FeatureName,
  type UserSignals,
  type PreferredRange,
  type Candidate,
  type RankingCatalogOptions,
  type FeatureMatrix,
  type FeatureOptions,
} from './features.js';
export {
  LinearScorer,
  fitNormalizer,
  trainLogistic,
  trainPairwise,
  RANKER_FORMAT,
  RANKER_VERSION,
  type FeatureNormalizer,
  type ScorerKind,
  type ScorerJson,
  type TrainOptions,
  type TrainResult,
  type LogisticData,
  type PairwiseData,
  type PairwiseOptions,
} from './linear.js';
export { selectTop, type ScoredCandidate, type DiversityOptions, type MerchandisingRules, type SelectionMode, type SelectOptions, type SelectedItem } from './select.js';
export { Ranker, DEFAULT_WEIGHTS, type RankerWeightsJson, type RankerOptions, type RankRequest, type RankResult } from './ranker.js';
export { ndcgAt, dcgAt, reciprocalRank, discount, orderByScore } from './metrics.js';
export { evaluateRankingLift, liftSessions, LIFT_COMPONENTS, type LiftSessions, type LearnedWeights, type LiftOptions, type LiftRow, type LiftReport, type ProfileSource } from './evaluate.js';
