/**
 * Profile settings: event-type weights, half-lives, the category-tree damping, explanation and
 * fold-in bounds, and segment thresholds — with defaults and validation.
 * @packageDocumentation
 */
import { EVENT_TYPES, type EventType } from '@souk/data';
import { profileError } from './errors.js';

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** Thresholds of the RFM scores (each a list of 4 ascending cut points → scores 1..5). */
export interface SegmentThresholds {
  /** Days since the last purchase: ≤ t[0] scores 5 … > t[3] scores 1 (default 7, 14, 30, 60). */
  readonly recencyDays: readonly number[];
  /** Purchases: score 1 + the number of cut points ≤ purchases, so < t[0] scores 1, ≥ t[3] scores 5 (default 2, 3, 5, 8; 0 without purchases). */
  readonly frequency: readonly number[];
  /** Money spent, scored like frequency (default 50, 200, 500, 1000; calibrate per shop with `ProfileStore.calibrateSegments`). */
  readonly monetary: readonly number[];
  /** Days without any event after which a user is no longer active (default 30). */
  readonly activeDays: number;
  /** Share of the leaf-level affinity a top category needs for an enthusiast label (default 0.4). */
  readonly enthusiastShare: number;
  /** Item events needed before a user gets an enthusiast or price label (default 5). */
  readonly minEventsForLabels: number;
}

/** Options of a profile store (all optional). */
export interface ProfileOptions {
  /** Weight of each event type (default search 0, view 1, click 2, cart 4, purchase 8, rating 3; a rating scales by (stars − 3) / 2). */
  readonly eventWeights?: Partial<Record<EventType, number>>;
  /** Half-life in days, one for all types or per type (default 30). */
  readonly halfLifeDays?: number | Partial<Record<EventType, number>>;
  /** Factor applied per level up the category tree (default 0.5: a leaf event counts 0.5 for its parent). */
  readonly categoryDamping?: number;
  /** Events remembered per affinity for `explain()` (default 5; the strongest are kept). */
  readonly explainEvents?: number;
  /** `'lazy'` (default): the latent vector is recomputed when read after a change; `'eager'`: on every item event. */
  readonly latentUpdate?: 'lazy' | 'eager';
  /** Most items a user's fold-in keeps (default 256; the weakest are dropped). */
  readonly maxLatentItems?: number;
  /** Segment thresholds (partial overrides of the defaults). */
  readonly segments?: Partial<SegmentThresholds>;
}

/** Settings after defaults and validation. */
export interface ResolvedProfileOptions {
  /** Weight by event type. */
  readonly eventWeights: Readonly<Record<EventType, number>>;
  /** Half-life (days) by event type. */
  readonly halfLifeDays: Readonly<Record<EventType, number>>;
  /** The distinct half-lives (ms); each affinity keeps one accumulator per entry. */
  readonly halfLivesMs: readonly number[];
  /** Index into `halfLivesMs` by event type. */
  readonly halfLifeIndex: Readonly<Record<EventType, number>>;
  /** Category-tree damping. */
  readonly categoryDamping: number;
  /** Events kept per affinity for explanations. */
  readonly explainEvents: number;
  /** Latent update policy. */
  readonly latentUpdate: 'lazy' | 'eager';
  /** Fold-in bound. */
  readonly maxLatentItems: number;
  /** Segment thresholds. */
  readonly segments: SegmentThresholds;
}

/** Default event weights. */
export const DEFAULT_EVENT_WEIGHTS: Readonly<Record<EventType, number>> = { search: 0, view: 1, click: 2, cart: 4, purchase: 8, rating: 3 };

/** Default segment thresholds. */
export const DEFAULT_SEGMENT_THRESHOLDS: SegmentThresholds = {
  recencyDays: [7, 14, 30, 60],
  frequency: [2, 3, 5, 8],
  monetary: [50, 200, 500, 1000],
  activeDays: 30,
  enthusiastShare: 0.4,
  minEventsForLabels: 5,
};

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkCuts(v: unknown, name: string): readonly number[] {
  if (!Array.isArray(v) || v.length !== 4 || !v.every(finite) || v.some((x, i) => i > 0 && x < v[i - 1])) {
    throw profileError('ERR_ARGUMENT', '4 ascending finite numbers', name, v);
  }
  return v.slice();
}

/** Applies defaults and validates. */
export function resolveProfileOptions(options: ProfileOptions = {}): ResolvedProfileOptions {
  if (typeof options !== 'object' || options === null) throw profileError('ERR_ARGUMENT', 'an options object', 'options', options);
  const eventWeights = { ...DEFAULT_EVENT_WEIGHTS } as Record<EventType, number>;
  for (const [type, w] of Object.entries(options.eventWeights ?? {})) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) throw profileError('ERR_EVENT_TYPE', `one of ${EVENT_TYPES.join(', ')}`, 'eventWeights key', type);
    if (!finite(w)) throw profileError('ERR_ARGUMENT', 'a finite weight', `eventWeights.${type}`, w);
    eventWeights[type as EventType] = w;
  }
  const halfLifeDays = {} as Record<EventType, number>;
  const given = options.halfLifeDays ?? 30;
  for (const type of EVENT_TYPES) {
    const h = typeof given === 'number' ? given : (given[type] ?? 30);
    if (!finite(h) || h <= 0) throw profileError('ERR_ARGUMENT', 'a half-life > 0 days', `halfLifeDays.${type}`, h);
    halfLifeDays[type] = h;
  }
  if (typeof given === 'object') {
    for (const type of Object.keys(given)) {
      if (!(EVENT_TYPES as readonly string[]).includes(type)) throw profileError('ERR_EVENT_TYPE', `one of ${EVENT_TYPES.join(', ')}`, 'halfLifeDays key', type);
    }
  }
  const halfLivesMs: number[] = [];
  const halfLifeIndex = {} as Record<EventType, number>;
  for (const type of EVENT_TYPES) {
    const ms = halfLifeDays[type] * DAY_MS;
    let i = halfLivesMs.indexOf(ms);
    if (i < 0) i = halfLivesMs.push(ms) - 1;
    halfLifeIndex[type] = i;
  }
  const categoryDamping = options.categoryDamping ?? 0.5;
  if (!finite(categoryDamping) || categoryDamping < 0 || categoryDamping > 1) throw profileError('ERR_ARGUMENT', 'a number in [0, 1]', 'categoryDamping', categoryDamping);
  const explainEvents = options.explainEvents ?? 5;
  if (!Number.isInteger(explainEvents) || explainEvents < 0 || explainEvents > 100) throw profileError('ERR_ARGUMENT', 'an integer in [0, 100]', 'explainEvents', explainEvents);
  const latentUpdate = options.latentUpdate ?? 'lazy';
  if (latentUpdate !== 'lazy' && latentUpdate !== 'eager') throw profileError('ERR_ARGUMENT', "'lazy' or 'eager'", 'latentUpdate', latentUpdate);
  const maxLatentItems = options.maxLatentItems ?? 256;
  if (!Number.isInteger(maxLatentItems) || maxLatentItems < 1) throw profileError('ERR_ARGUMENT', 'a positive integer', 'maxLatentItems', maxLatentItems);
  const s = { ...DEFAULT_SEGMENT_THRESHOLDS, ...(options.segments ?? {}) };
  const segments: SegmentThresholds = {
    recencyDays: checkCuts(s.recencyDays, 'segments.recencyDays'),
    frequency: checkCuts(s.frequency, 'segments.frequency'),
    monetary: checkCuts(s.monetary, 'segments.monetary'),
    activeDays: finite(s.activeDays) && s.activeDays > 0 ? s.activeDays : (() => { throw profileError('ERR_ARGUMENT', 'a number of days > 0', 'segments.activeDays', s.activeDays); })(),
    enthusiastShare: finite(s.enthusiastShare) && s.enthusiastShare >= 0 && s.enthusiastShare <= 1 ? s.enthusiastShare : (() => { throw profileError('ERR_ARGUMENT', 'a share in [0, 1]', 'segments.enthusiastShare', s.enthusiastShare); })(),
    minEventsForLabels: Number.isInteger(s.minEventsForLabels) && s.minEventsForLabels >= 0 ? s.minEventsForLabels : (() => { throw profileError('ERR_ARGUMENT', 'a non-negative integer', 'segments.minEventsForLabels', s.minEventsForLabels); })(),
  };
  return { eventWeights, halfLifeDays, halfLivesMs, halfLifeIndex, categoryDamping, explainEvents, latentUpdate, maxLatentItems, segments };
}

/**
 * The signed weight of an event: the type's weight, a rating's scaled by `(stars − 3) / 2` (so
 * 5 stars count +w, 1 star −w).
 */
export function eventWeight(options: ResolvedProfileOptions, type: EventType, value: number | undefined): number {
  const w = options.eventWeights[type];
  if (type === 'rating') return value === undefined ? 0 : (w * (value - 3)) / 2;
  return w;
}
