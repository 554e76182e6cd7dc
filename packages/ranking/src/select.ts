/**
 * Selection of the final list from scored candidates:
 *  1. `exclude` removes items;
 *  2. ordering: `'top'` sorts by score (ties to the earlier candidate); `'softmax'` orders with
 *     `@souk/kernels`' `softmaxTopK` and attaches each item's probability under the softmax of
 *     `score / temperature`; `'sample'` draws the order without replacement from that softmax
 *     with `sampleTopK` (Gumbel top-K, seeded) — the same kernels recommendations use, with the
 *     candidates' scores as one-dimensional item vectors against the query `[1]`;
 *  3. `bury` moves items after all others (keeping their order);
 *  4. diversity: within the first `window` positions at most `maxPerBrand` items of a brand and
 *     `maxPerCategory` of a category, greedily — each position takes the first remaining item
 *     that keeps the limits (the first remaining one when none does), so the order is otherwise
 *     kept;
 *  5. pins put items at fixed 1-based positions (pinned items need not be candidates and do not
 *     count towards diversity);
 *  6. the first k are returned.
 * @packageDocumentation
 */
import { capabilities, matrix, sampleTopKSync, softmaxTopKSync, type Backend } from '@souk/kernels';
import { rankingError } from './errors.js';
import { orderByScore } from './metrics.js';

/** A scored candidate for selection. */
export interface ScoredCandidate {
  /** Item id. */
  readonly item: string;
  /** Score (finite). */
  readonly score: number;
  /** Brand, for diversity. */
  readonly brand?: string;
  /** Category, for diversity. */
  readonly category?: string;
}

/** Diversity limits within the top positions. */
export interface DiversityOptions {
  /** Most items of one brand within the window. */
  readonly maxPerBrand?: number;
  /** Most items of one category within the window. */
  readonly maxPerCategory?: number;
  /** Positions the limits apply to (default k). */
  readonly window?: number;
}

/** Merchandising rules. */
export interface MerchandisingRules {
  /** Items placed at fixed 1-based positions. */
  readonly pin?: ReadonlyArray<{ readonly item: string; readonly position: number }>;
  /** Items moved after all others. */
  readonly bury?: readonly string[];
  /** Items never shown. */
  readonly exclude?: readonly string[];
}

/** How the order is chosen. */
export type SelectionMode = 'top' | 'softmax' | 'sample';

/** Options of {@link selectTop}. */
export interface SelectOptions {
  /** Items returned. */
  readonly k: number;
  /** Ordering (default `'top'`). */
  readonly mode?: SelectionMode;
  /** Softmax temperature for `'softmax'` and `'sample'` (default 1). */
  readonly temperature?: number;
  /** Seed of `'sample'` (default 0). */
  readonly seed?: number;
  /** Diversity limits. */
  readonly diversity?: DiversityOptions;
  /** Pins, burials, exclusions. */
  readonly rules?: MerchandisingRules;
  /** Kernel backend for `'softmax'` / `'sample'`. */
  readonly backend?: Backend;
}

/** One selected item. */
export interface SelectedItem {
  /** Item id. */
  readonly item: string;
  /** 1-based position. */
  readonly position: number;
  /** Score (undefined for a pinned item that was not a candidate). */
  readonly score: number | undefined;
  /** Probability under the softmax (modes `'softmax'` and `'sample'`, for items the kernel returned). */
  readonly probability?: number;
  /** Why it is here. */
  readonly reason: 'ranked' | 'pinned' | 'buried';
}

interface Entry {
  c: ScoredCandidate;
  index: number;
  probability?: number;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Orders entries by the mode; kernels for softmax / sample. */
function order(entries: Entry[], options: SelectOptions): Entry[] {
  const mode = options.mode ?? 'top';
  if (mode !== 'top' && mode !== 'softmax' && mode !== 'sample') throw rankingError('ERR_ARGUMENT', "'top', 'softmax' or 'sample'", 'mode', mode);
  const sorted = orderByScore(entries.map((e) => e.c.score)).map((i) => entries[i]!);
  if (mode === 'top' || entries.length === 0) return sorted;
  const temperature = options.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) throw rankingError('ERR_ARGUMENT', 'a temperature > 0', 'temperature', temperature);
  const k = Math.min(entries.length, capabilities().maxK);
  const query = matrix([1], 1, 1);
  const items = matrix(Float32Array.from(entries, (e) => e.c.score), entries.length, 1);
  const exec = options.backend ? { backend: options.backend } : {};
  const result =
    mode === 'softmax'
      ? softmaxTopKSync(query, items, { k, temperature, ...exec })
      : sampleTopKSync(query, items, { k, temperature, seed: options.seed ?? 0, ...exec });
  const row = result.row(0);
  const taken = new Uint8Array(entries.length);
  const out: Entry[] = [];
  for (let j = 0; j < row.indices.length; j++) {
    const e = entries[row.indices[j]!]!;
    taken[e.index] = 1;
    out.push({ ...e, probability: row.probs[j]! });
  }
  // Beyond the kernel's maxK: the rest by score.
  for (const e of sorted) if (!taken[e.index]) out.push(e);
  return out;
}

/** Greedy diversity re-rank over the first `window` positions. */
function diversify(list: Entry[], d: DiversityOptions | undefined, k: number): Entry[] {
  if (!d || (d.maxPerBrand === undefined && d.maxPerCategory === undefined)) return list;
  for (const [name, v] of [['maxPerBrand', d.maxPerBrand], ['maxPerCategory', d.maxPerCategory], ['window', d.window]] as const) {
    if (v !== undefined && !positiveInt(v)) throw rankingError('ERR_ARGUMENT', 'a positive integer', `diversity.${name}`, v);
  }
  const window = Math.min(d.window ?? k, list.length);
  const brands = new Map<string, number>();
  const categories = new Map<string, number>();
  const remaining = list.slice();
  const out: Entry[] = [];
  const fits = (e: Entry) =>
    (d.maxPerBrand === undefined || e.c.brand === undefined || (brands.get(e.c.brand) ?? 0) < d.maxPerBrand) &&
    (d.maxPerCategory === undefined || e.c.category === undefined || (categories.get(e.c.category) ?? 0) < d.maxPerCategory);
  while (out.length < window && remaining.length > 0) {
    let pick = remaining.findIndex(fits);
    if (pick < 0) pick = 0;
    const [e] = remaining.splice(pick, 1);
    out.push(e!);
    if (e!.c.brand !== undefined) brands.set(e!.c.brand, (brands.get(e!.c.brand) ?? 0) + 1);
    if (e!.c.category !== undefined) categories.set(e!.c.category, (categories.get(e!.c.category) ?? 0) + 1);
  }
  return out.concat(remaining);
}

/**
 * Selects and orders the final k items from scored candidates (see the module description for
 * the steps). Throws `ERR_K_RANGE`, `ERR_NON_FINITE` (a score), `ERR_DUPLICATE` (an item twice,
 * two pins on one position) or `ERR_ARGUMENT`.
 */
export function selectTop(candidates: readonly ScoredCandidate[], options: SelectOptions): SelectedItem[] {
  if (typeof options !== 'object' || options === null) throw rankingError('ERR_ARGUMENT', 'options with k', 'options', options);
  if (!positiveInt(options.k)) throw rankingError('ERR_K_RANGE', 'a positive integer k', 'k', options.k);
  if (!Array.isArray(candidates)) throw rankingError('ERR_ARGUMENT', 'an array of candidates', 'candidates', candidates);
  const rules = options.rules ?? {};
  const excluded = new Set(rules.exclude ?? []);
  const buried = new Set(rules.bury ?? []);
  const pins = [...(rules.pin ?? [])].sort((a, b) => a.position - b.position);
  const pinned = new Set<string>();
  const pinPositions = new Set<number>();
  for (const p of pins) {
    if (typeof p?.item !== 'string' || !positiveInt(p.position)) throw rankingError('ERR_ARGUMENT', 'pins {item, position ≥ 1}', 'rules.pin', p);
    if (pinPositions.has(p.position)) throw rankingError('ERR_DUPLICATE', 'one pin per position', 'rules.pin position', p.position);
    if (pinned.has(p.item)) throw rankingError('ERR_DUPLICATE', 'each item pinned once', 'rules.pin item', p.item);
    pinPositions.add(p.position);
    pinned.add(p.item);
  }
  const seen = new Set<string>();
  const pool: Entry[] = [];
  const scoreOf = new Map<string, number>();
  for (let index = 0; index < candidates.length; index++) {
    const c = candidates[index]!;
    if (typeof c !== 'object' || c === null || typeof c.item !== 'string') throw rankingError('ERR_ARGUMENT', 'a candidate {item, score}', `candidates[${index}]`, c);
    if (typeof c.score !== 'number' || !Number.isFinite(c.score)) throw rankingError('ERR_NON_FINITE', 'a finite score', `score of ${c.item}`, c.score);
    if (seen.has(c.item)) throw rankingError('ERR_DUPLICATE', 'each item once among the candidates', 'candidates item', c.item);
    seen.add(c.item);
    if (pinned.size > 0) scoreOf.set(c.item, c.score);
    if (excluded.has(c.item) || pinned.has(c.item)) continue;
    pool.push({ c, index: pool.length });
  }
  const ordered = order(pool, options);
  const head = diversify(buried.size === 0 ? ordered : ordered.filter((e) => !buried.has(e.c.item)), options.diversity, options.k);
  const tail = buried.size === 0 ? [] : ordered.filter((e) => buried.has(e.c.item));
  // Only the first k can be returned, and pins only push entries later: build no more.
  const row = (e: Entry, reason: 'ranked' | 'buried'): Omit<SelectedItem, 'position'> => ({ item: e.c.item, score: e.c.score, ...(e.probability !== undefined ? { probability: e.probability } : {}), reason });
  const list: Array<Omit<SelectedItem, 'position'>> = [];
  for (let i = 0; i < head.length && list.length < options.k; i++) list.push(row(head[i]!, 'ranked'));
  for (let i = 0; i < tail.length && list.length < options.k; i++) list.push(row(tail[i]!, 'buried'));
  for (const p of pins) {
    if (excluded.has(p.item)) continue;
    list.splice(Math.min(p.position - 1, list.length), 0, { item: p.item, score: scoreOf.get(p.item), reason: 'pinned' });
  }
  const out: SelectedItem[] = [];
  for (let i = 0; i < list.length && i < options.k; i++) out.push({ ...list[i]!, position: i + 1 });
  return out;
}
