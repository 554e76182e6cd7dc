/**
 * Plain-data views of items and profiles for responses (no class instances, so they serialise
 * as they are).
 * @packageDocumentation
 */
import type { ItemRecord } from '@souk/data';
import type { Affinity, UserProfile } from '@souk/profiles';
import type { ItemView, ProfileView } from './types.js';

/** The caller's view of an item. */
export function itemView(item: ItemRecord): ItemView {
  return {
    id: item.id,
    title: item.title,
    ...(item.brand !== undefined ? { brand: item.brand } : {}),
    categoryPath: [...item.categoryPath],
    ...(item.price !== undefined ? { price: item.price } : {}),
    ...(item.currency !== undefined ? { currency: item.currency } : {}),
    inStock: item.inStock,
    tags: [...item.tags],
  };
}

/** Affinities shown per family. */
const TOP_AFFINITIES = 5;

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function priceBandLabel(a: Affinity): string {
  const node = a.path && a.path.length > 0 ? a.path.join(' / ') : 'all items';
  const range = a.range ? ` (${round(a.range.low)}–${round(a.range.high)})` : '';
  return `${node}: band ${(a.band ?? 0) + 1}${range}`;
}

/**
 * A profile as returned to callers, under the caller's user id. Affinity scores are shares of
 * the user's decayed activity at `now` (in [0, 1] for categories at one level, brands and bands).
 */
export function profileView(user: string, profile: UserProfile, hasVector: boolean, now: number): ProfileView {
  const total = profile.totalWeight(now);
  const share = (s: number) => (total > 0 ? round(s / total) : 0);
  const top = (kind: 'category' | 'brand' | 'priceBand') =>
    profile.affinities(kind, { now, k: TOP_AFFINITIES }).map((a) => ({ value: kind === 'priceBand' ? priceBandLabel(a) : a.key, score: share(a.score) }));
  const s = profile.segments(now);
  const segments: Array<{ kind: string; label: string; labelZh?: string }> = [
    { kind: 'value', label: s.value.en, labelZh: s.value.zh },
    { kind: 'activity', label: s.activity.en, labelZh: s.activity.zh },
    ...(s.enthusiast ? [{ kind: 'enthusiast', label: s.enthusiast.en, labelZh: s.enthusiast.zh }] : []),
    ...(s.price ? [{ kind: 'price', label: s.price.en, labelZh: s.price.zh }] : []),
  ];
  const counts = profile.eventCounts;
  const events = Object.values(counts).reduce((a, b) => a + b, 0);
  const json = profile.toJSON();
  const explanation = profile.explain({ now, k: 3 }).map((a) => ({
    kind: a.kind,
    value: a.kind === 'priceBand' ? priceBandLabel(a) : a.key,
    score: share(a.score),
    events: a.events.map((e) => ({ item: e.item, type: e.type, timestamp: e.timestamp, weight: e.weight, contribution: share(e.contribution) })),
  }));
  return {
    user,
    events,
    ...(json.firstSeen !== null ? { firstSeen: json.firstSeen } : {}),
    ...(json.lastSeen !== null ? { lastSeen: json.lastSeen } : {}),
    segments,
    affinities: { categories: top('category'), brands: top('brand'), priceBands: top('priceBand') },
    hasVector,
    explanation,
  };
}
