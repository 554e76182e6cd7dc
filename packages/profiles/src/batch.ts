/**
 * The batch reference of the affinities: each score computed directly as
 * `Σ_e w_e · damping^levels · 2^(−(now − t_e) / h_e)` over a user's whole event list. Obviously
 * right and O(events × depth) per call; the incremental profile must agree with it.
 * @packageDocumentation
 */
import type { EventRecord } from '@souk/data';
import type { ProfileCatalog } from './catalog.js';
import { eventWeight, type ResolvedProfileOptions } from './config.js';
import { checkEvent } from './profile.js';

/** Scores of one user's affinities computed from scratch at time `now`. */
export function batchAffinities(
  events: Iterable<EventRecord>,
  catalog: ProfileCatalog,
  options: ResolvedProfileOptions,
  now: number,
): { category: Map<string, number>; brand: Map<string, number>; priceBand: Map<string, number>; total: number } {
  const category = new Map<string, number>();
  const brand = new Map<string, number>();
  const priceBand = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const e of events) {
    const item = checkEvent(e, catalog);
    if (!item) continue;
    const w = eventWeight(options, e.type, e.value);
    if (w === 0) continue;
    const decay = Math.pow(2, -(now - e.timestamp) / (options.halfLifeDays[e.type] * 86_400_000));
    total += Math.abs(w) * decay;
    const keys = item.categoryKeys;
    for (let d = 0; d < keys.length; d++) {
      const levelsUp = keys.length - 1 - d;
      if (options.categoryDamping === 0 && levelsUp > 0) continue;
      add(category, keys[d]!, w * Math.pow(options.categoryDamping, levelsUp) * decay);
    }
    if (item.brand !== undefined) add(brand, item.brand, w * decay);
    if (item.band !== undefined) add(priceBand, `${item.bandNode}#${item.band}`, w * decay);
  }
  return { category, brand, priceBand, total };
}
