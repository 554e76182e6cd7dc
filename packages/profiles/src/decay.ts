/**
 * Exponentially time-decayed sums, updated in O(1) per event with no rescans.
 *
 * An entry stands for `Σ_e w_e · 2^(−(t − t_e) / h_e)` at any time t. It stores one accumulator
 * per distinct half-life, each valid at the entry's reference time `t`: an event at or after `t`
 * decays the accumulators to its time and adds its weight; an older (out-of-order) event adds its
 * weight decayed to `t`. Either way the stored value is exactly the batch sum, whatever the order
 * of events. Next to the sum, an entry keeps the few strongest events that shaped it (for
 * `explain()`), ranked by `ln|w| + t_e·ln2 / h`, which orders events by their decayed
 * contribution at every later time (for events sharing a half-life).
 * @packageDocumentation
 */

/** One remembered event of an affinity. */
export interface ContributingEvent {
  /** Item of the event. */
  readonly item: string;
  /** Event type. */
  readonly type: string;
  /** Time (ms). */
  readonly timestamp: number;
  /** Weight given to this affinity before decay (type weight × category damping). */
  readonly weight: number;
  /** Index of the event's half-life. */
  readonly halfLife: number;
}

/** A decayed sum with its strongest events. */
export interface DecayedEntry {
  /** Reference time (ms) of the accumulators. */
  t: number;
  /** Accumulators, one per distinct half-life, valid at `t`. */
  readonly s: Float64Array;
  /** Strongest contributing events (at most the configured number), unordered. */
  readonly top: ContributingEvent[];
  /** Rank keys of `top` (same order). */
  readonly keys: number[];
}

/** A new, empty entry. */
export function newEntry(halfLives: number): DecayedEntry {
  return { t: -Infinity, s: new Float64Array(halfLives), top: [], keys: [] };
}

/** `2^(−dt / h)`. */
export function decayFactor(dtMs: number, halfLifeMs: number): number {
  return Math.pow(2, -dtMs / halfLifeMs);
}

/** Adds weight `w` at time `t` on half-life `h` (index into `halfLivesMs`). O(#half-lives). */
export function addToEntry(entry: DecayedEntry, halfLivesMs: readonly number[], h: number, w: number, t: number): void {
  if (entry.t === -Infinity) {
    entry.t = t;
    entry.s[h]! += w;
  } else if (t >= entry.t) {
    const dt = t - entry.t;
    if (dt > 0) for (let k = 0; k < entry.s.length; k++) entry.s[k]! *= decayFactor(dt, halfLivesMs[k]!);
    entry.t = t;
    entry.s[h]! += w;
  } else {
    entry.s[h]! += w * decayFactor(entry.t - t, halfLivesMs[h]!);
  }
}

/** Remembers an event if it is among the `limit` strongest. O(limit). */
export function rememberEvent(entry: DecayedEntry, event: ContributingEvent, halfLivesMs: readonly number[], limit: number): void {
  if (limit === 0 || event.weight === 0) return;
  const key = Math.log(Math.abs(event.weight)) + (event.timestamp * Math.LN2) / halfLivesMs[event.halfLife]!;
  if (entry.top.length < limit) {
    entry.top.push(event);
    entry.keys.push(key);
    return;
  }
  let min = 0;
  for (let k = 1; k < entry.keys.length; k++) if (entry.keys[k]! < entry.keys[min]!) min = k;
  if (key > entry.keys[min]!) {
    entry.top[min] = event;
    entry.keys[min] = key;
  }
}

/** The entry's value at time `now` (ms). */
export function valueAt(entry: DecayedEntry, halfLivesMs: readonly number[], now: number): number {
  if (entry.t === -Infinity) return 0;
  let v = 0;
  const dt = now - entry.t;
  for (let k = 0; k < entry.s.length; k++) v += entry.s[k]! * decayFactor(dt, halfLivesMs[k]!);
  return v;
}

/** A remembered event's contribution at time `now`: `w · 2^(−(now − t_e) / h)`. */
export function contributionAt(event: ContributingEvent, halfLivesMs: readonly number[], now: number): number {
  return event.weight * decayFactor(now - event.timestamp, halfLivesMs[event.halfLife]!);
}
