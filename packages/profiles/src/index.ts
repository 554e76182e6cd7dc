/**
 * `@souk/profiles`: per-user profiles for personalisation — time-decayed affinities to
 * categories (propagated up the category tree), brands and price bands; RFM scores and readable
 * segments in English and Chinese; a latent vector from a model's fold-in; updated per event in
 * O(path depth), explainable, stored many to a {@link ProfileStore} with export, import and
 * erasure. Bad input throws a {@link ProfileError} with a stable code.
 * @packageDocumentation
 */
export { ProfileError, type ProfileErrorCode } from './errors.js';
export { ProfileCatalog, CATEGORY_SEPARATOR, quantile, type ProfileCatalogOptions, type CatalogItem, type PriceBandScheme, type PriceRange } from './catalog.js';
export {
  resolveProfileOptions,
  eventWeight,
  DAY_MS,
  DEFAULT_EVENT_WEIGHTS,
  DEFAULT_SEGMENT_THRESHOLDS,
  type ProfileOptions,
  type ResolvedProfileOptions,
  type SegmentThresholds,
} from './config.js';
export { addToEntry, newEntry, valueAt, decayFactor, contributionAt, rememberEvent, type DecayedEntry, type ContributingEvent } from './decay.js';
/** @internal The compact storage of profiles (exported for its tests). */
export { EntryTable, Interner, WeightList } from './entries.js';
export {
  rfmScores,
  valueSegment,
  activitySegment,
  enthusiastLabel,
  priceSegment,
  VALUE_SEGMENTS,
  ACTIVITY_SEGMENTS,
  PRICE_SEGMENTS,
  type Rfm,
  type Segments,
  type SegmentLabel,
} from './segments.js';
export {
  UserProfile,
  checkEvent,
  type FoldInModel,
  type Affinity,
  type AffinityKind,
  type AffinityQuery,
  type ExplainedAffinity,
  type ExplainOptions,
  type ProfileJson,
  type EntryJson,
  type ProfileContext,
} from './profile.js';
export { ProfileStore, PROFILES_FORMAT, PROFILES_VERSION, type ProfileStoreOptions, type ProfilesExport } from './store.js';
export { batchAffinities } from './batch.js';
export { DigestSignals, type ProfileDigest, type DigestFamily } from './digest.js';
