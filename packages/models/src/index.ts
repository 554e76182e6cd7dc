/**
 * `@souk/models`: Souk's recommenders — ALS, BPR, SGD matrix factorisation, item-kNN,
 * popularity and EASE — trained on `@souk/data` interaction matrices through `@souk/kernels`,
 * with one surface (`fit`, `recommend`, `similarItems`, `similarUsers`, `recalculateUser`,
 * `partialFit`, `explain`, `save` / {@link loadModel}), offline evaluation ({@link evaluate})
 * and hyper-parameter search ({@link tune}). Errors are {@link ModelError} with a stable code.
 * @packageDocumentation
 */
export { ModelError, type ModelErrorCode } from './errors.js';
export {
  IdIndex,
  toInteractions,
  fingerprintCsr,
  csrFromLists,
  type InteractionInput,
  type Interactions,
  type EntityRef,
  type IdList,
} from './interactions.js';
export {
  Recommender,
  Recommendations,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  type ExecSettings,
  type FitOptions,
  type FitReport,
  type IterationInfo,
  type ValidationOptions,
  type EarlyStoppingOptions,
  type RecommendOptions,
  type SimilarOptions,
  type PartialFitInput,
  type UserInteractions,
  type Explanation,
  type ModelManifest,
} from './recommender.js';
export { FactorModel, ItemBiasedFactorModel } from './factor-model.js';
export { ALS, type AlsOptions, type AlsParams } from './als.js';
export { Popularity, type PopularityParams } from './popularity.js';
export { BPR, scheduledLearningRate, type BprOptions, type BprParams, type LearningRateSchedule } from './bpr.js';
export { MatrixFactorization, type MfOptions, type MfParams } from './matrix-factorization.js';
export { ItemScoreModel } from './neighborhood.js';
export { ItemKNN, type ItemKnnOptions, type ItemKnnParams } from './item-knn.js';
export { EASE, type EaseOptions, type EaseParams } from './ease.js';
export { evaluate, userRankingMetrics, type EvaluateOptions, type RankingMetrics, type MetricName, type UserRankingMetrics } from './evaluate.js';
export { loadModel } from './io.js';
export { encodeSafetensors, decodeSafetensors, tensor, type Tensor, type TensorDtype, type DecodedSafetensors } from './safetensors.js';
export { tune, tuneTable, splitInteractions, type TuneSpace, type TuneOptions, type TuneTrial, type TuneResult, type ParamDomain } from './tune.js';
