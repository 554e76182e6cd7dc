/**
 * RFM scores and readable segments. Pure functions of a profile's counters, so they are easy to
 * check by hand: recency, frequency and monetary value each score 1..5 against four cut points
 * (frequency and monetary 0 without purchases); a value segment and an activity segment follow
 * from fixed rules; labels come in English and Chinese, including a category-enthusiast label
 * generated from the user's top leaf category ("Phones enthusiast", 手机爱好者) and a price label.
 * @packageDocumentation
 */
import type { SegmentThresholds } from './config.js';

/** Recency, frequency and monetary value of a user, with their 0..5 scores. */
export interface Rfm {
  /** Days since the last purchase (Infinity without purchases). */
  readonly recencyDays: number;
  /** Days since the last event of any kind. */
  readonly daysSinceLastEvent: number;
  /** Number of purchases. */
  readonly frequency: number;
  /** Money spent (purchase values, or the item's price when an event carries none). */
  readonly monetary: number;
  /** Scores: 5 best, 1 worst; 0 for frequency / monetary / recency without purchases. */
  readonly scores: { readonly recency: number; readonly frequency: number; readonly monetary: number };
}

/** A segment with its labels. */
export interface SegmentLabel {
  /** Stable id (`'high-value'`, `'at-risk'`, `'enthusiast'` …). */
  readonly id: string;
  /** English label. */
  readonly en: string;
  /** Chinese label. */
  readonly zh: string;
}

/** A user's segments. */
export interface Segments {
  /** Value segment from RFM. */
  readonly value: SegmentLabel;
  /** Activity segment from the first and last events. */
  readonly activity: SegmentLabel;
  /** Enthusiast of the top leaf category, when its share is high enough. */
  readonly enthusiast?: SegmentLabel & { readonly category: string };
  /** Price orientation, when pronounced. */
  readonly price?: SegmentLabel;
  /** Every label above, per language, value first. */
  readonly labels: { readonly en: readonly string[]; readonly zh: readonly string[] };
}

/** Value segments and their labels. */
export const VALUE_SEGMENTS = {
  champion: { id: 'champion', en: 'champion', zh: '核心用户' },
  'at-risk': { id: 'at-risk', en: 'at-risk', zh: '流失风险用户' },
  'high-value': { id: 'high-value', en: 'high-value', zh: '高价值用户' },
  loyal: { id: 'loyal', en: 'loyal', zh: '忠实用户' },
  'new-customer': { id: 'new-customer', en: 'new customer', zh: '新客' },
  hibernating: { id: 'hibernating', en: 'hibernating', zh: '休眠用户' },
  promising: { id: 'promising', en: 'promising', zh: '潜力用户' },
  browser: { id: 'browser', en: 'browser (no purchases)', zh: '只逛不买' },
  dormant: { id: 'dormant', en: 'dormant', zh: '沉睡用户' },
} as const satisfies Record<string, SegmentLabel>;

/** Activity segments and their labels. */
export const ACTIVITY_SEGMENTS = {
  new: { id: 'new', en: 'new', zh: '新用户' },
  active: { id: 'active', en: 'active', zh: '活跃用户' },
  lapsing: { id: 'lapsing', en: 'lapsing', zh: '活跃度下降' },
  inactive: { id: 'inactive', en: 'inactive', zh: '不活跃' },
} as const satisfies Record<string, SegmentLabel>;

/** Price labels. */
export const PRICE_SEGMENTS = {
  bargain: { id: 'bargain-hunter', en: 'bargain hunter', zh: '价格敏感' },
  premium: { id: 'premium-shopper', en: 'premium shopper', zh: '品质优先' },
} as const satisfies Record<string, SegmentLabel>;

/** Score of a value against ascending cut points: 1 + the number of cuts ≤ value (1..5). */
function ascendingScore(value: number, cuts: readonly number[]): number {
  let s = 1;
  for (const c of cuts) if (value >= c) s++;
  return s;
}

/** RFM scores from raw counters. */
export function rfmScores(
  counters: { recencyDays: number; daysSinceLastEvent: number; frequency: number; monetary: number },
  t: SegmentThresholds,
): Rfm {
  const purchases = counters.frequency > 0;
  let recency = 0;
  if (purchases) {
    recency = 5;
    for (const c of t.recencyDays) if (counters.recencyDays > c) recency--;
  }
  return {
    ...counters,
    scores: {
      recency,
      frequency: purchases ? ascendingScore(counters.frequency, t.frequency) : 0,
      monetary: purchases ? ascendingScore(counters.monetary, t.monetary) : 0,
    },
  };
}

/** The value segment of RFM scores (first matching rule). */
export function valueSegment(rfm: Rfm, t: SegmentThresholds): SegmentLabel {
  const { recency: r, frequency: f, monetary: m } = rfm.scores;
  if (rfm.frequency === 0) return rfm.daysSinceLastEvent <= t.activeDays ? VALUE_SEGMENTS.browser : VALUE_SEGMENTS.dormant;
  if (r >= 4 && f >= 4 && m >= 4) return VALUE_SEGMENTS.champion;
  if (r <= 2 && (f >= 3 || m >= 3)) return VALUE_SEGMENTS['at-risk'];
  if (m >= 4) return VALUE_SEGMENTS['high-value'];
  if (f >= 4) return VALUE_SEGMENTS.loyal;
  if (rfm.frequency === 1 && r >= 4) return VALUE_SEGMENTS['new-customer'];
  if (r <= 2) return VALUE_SEGMENTS.hibernating;
  return VALUE_SEGMENTS.promising;
}

/** The activity segment from days since the first and last events. */
export function activitySegment(daysSinceFirst: number, daysSinceLast: number, t: SegmentThresholds): SegmentLabel {
  if (daysSinceFirst <= 7) return ACTIVITY_SEGMENTS.new;
  if (daysSinceLast <= 7) return ACTIVITY_SEGMENTS.active;
  if (daysSinceLast <= t.activeDays) return ACTIVITY_SEGMENTS.lapsing;
  return ACTIVITY_SEGMENTS.inactive;
}

/** The enthusiast label of a category name: `"Phones enthusiast"`, `"手机爱好者"`. */
export function enthusiastLabel(category: string): SegmentLabel & { category: string } {
  return { id: 'enthusiast', category, en: `${category} enthusiast`, zh: `${category}爱好者` };
}

/**
 * The price label from the user's mean relative band in [0, 1] (0 = cheapest band):
 * ≤ 0.3 a bargain hunter, ≥ 0.7 a premium shopper, otherwise none.
 */
export function priceSegment(meanRelativeBand: number): SegmentLabel | undefined {
  if (!Number.isFinite(meanRelativeBand)) return undefined;
  if (meanRelativeBand <= 0.3) return PRICE_SEGMENTS.bargain;
  if (meanRelativeBand >= 0.7) return PRICE_SEGMENTS.premium;
  return undefined;
}
