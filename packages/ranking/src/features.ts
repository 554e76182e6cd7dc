/**
 * Feature vectors per (user, query, item): the text score the caller's retrieval gave, the
 * user·item latent dot product, category and brand affinity and price fit from the user's
 * signals (a `@souk/profiles` `UserProfile` fits as is), popularity, item recency, and the
 * merchandising fields margin and boost. Missing signals give 0.
 * @packageDocumentation
 */
import type { ItemRecord } from '@souk/data';
import type { Matrix } from '@souk/kernels';
import { rankingError } from './errors.js';

/** The features, in column order. */
export const FEATURE_NAMES = ['text', 'latent', 'category', 'brand', 'priceFit', 'popularity', 'recency', 'margin', 'boost'] as const;

/** One of {@link FEATURE_NAMES}. */
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** A price range the user prefers. */
export interface PreferredRange {
  /** Lower edge. */
  readonly low: number;
  /** Upper edge. */
  readonly high: number;
}

/**
 * What ranking reads of a user. Every method is optional; `@souk/profiles`' `UserProfile`
 * implements them all, so a profile can be passed directly.
 */
export interface UserSignals {
  /** Affinity to a category path (root first), about [0, 1]. */
  categoryAffinity?(path: readonly string[], now?: number): number;
  /** Affinity to a brand, about [0, 1]. */
  brandAffinity?(brand: string, now?: number): number;
  /** The preferred price range for items under a category path. */
  preferredPriceRange?(path: readonly string[], now?: number): PreferredRange | undefined;
  /** The user's latent vector (same space as the catalog's item vectors). */
  latentVector?(): Float32Array | undefined;
}

/** A candidate to rank. */
export interface Candidate {
  /** Item id (must be in the ranking catalog). */
  readonly item: string;
  /** Text relevance from retrieval (default 0: recommendations). */
  readonly textScore?: number;
  /** Margin override (default the item's `margin` attribute, else 0). */
  readonly margin?: number;
  /** Boost override (default the item's `boost` attribute, else 0). */
  readonly boost?: number;
}

/** Options of a {@link RankingCatalog}. */
export interface RankingCatalogOptions {
  /** Interaction counts per item id (popularity = ln(1 + count)). */
  readonly popularity?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Time each item was added (ms), for the recency feature. */
  readonly addedAt?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Half-life (days) of the recency feature `2^(−age / h)` (default 30). */
  readonly recencyHalfLifeDays?: number;
  /** Item vectors for the latent feature: rows in the order of `ids`. */
  readonly itemVectors?: { readonly ids: readonly string[]; readonly factors: Matrix };
}

/** Item facts ranking needs, by id. @internal */
export interface RankingItem {
  readonly id: string;
  readonly index: number;
  readonly path: readonly string[];
  readonly category: string;
  readonly brand: string | undefined;
  readonly price: number | undefined;
  readonly margin: number;
  readonly boost: number;
  popularity: number;
  addedAt: number | undefined;
  readonly vectorRow: number;
}

const entriesOf = (m: ReadonlyMap<string, number> | Readonly<Record<string, number>> | undefined): Iterable<[string, number]> =>
  m === undefined ? [] : m instanceof Map ? m.entries() : Object.entries(m as Record<string, number>);

/** The catalog as ranking sees it: per item its category, brand, price, popularity, age, vector. */
export class RankingCatalog {
  private readonly byId = new Map<string, RankingItem>();
  /** Recency half-life in ms. */
  readonly recencyHalfLifeMs: number;
  /** Item vectors, if given. */
  readonly itemVectors: Matrix | undefined;

  /** Builds the catalog from items and optional statistics. */
  constructor(items: Iterable<ItemRecord>, options: RankingCatalogOptions = {}) {
    const h = options.recencyHalfLifeDays ?? 30;
    if (typeof h !== 'number' || !(h > 0) || !Number.isFinite(h)) throw rankingError('ERR_ARGUMENT', 'a half-life > 0 days', 'recencyHalfLifeDays', h);
    this.recencyHalfLifeMs = h * 86_400_000;
    const vectorRows = new Map<string, number>();
    if (options.itemVectors) {
      const { ids, factors } = options.itemVectors;
      if (ids.length !== factors.rows || factors.data.length < factors.rows * factors.cols) throw rankingError('ERR_ARGUMENT', `${factors.rows} ids (one per factor row)`, 'itemVectors.ids', ids.length);
      ids.forEach((id, r) => vectorRows.set(id, r));
      this.itemVectors = factors;
    }
    let index = 0;
    // One path array (and one joined string) per category: a request's candidates share a few
    // categories, and user signals can cache per path by identity (see UserSignals).
    const paths = new Map<string, { path: readonly string[]; category: string }>();
    for (const it of items) {
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
      const key = it.categoryPath.join('\u0000');
      let shared = paths.get(key);
      if (!shared) paths.set(key, (shared = { path: Object.freeze([...it.categoryPath]), category: it.categoryPath.join('/') }));
      this.byId.set(it.id, {
        id: it.id,
        index: index++,
        path: shared.path,
        category: shared.category,
        brand: it.brand,
        price: it.price,
        margin: num(it.attributes?.['margin']),
        boost: num(it.attributes?.['boost']),
        popularity: 0,
        addedAt: undefined,
        vectorRow: vectorRows.get(it.id) ?? -1,
      });
    }
    this.setPopularity(options.popularity ?? {});
    for (const [id, t] of entriesOf(options.addedAt)) {
      const item = this.byId.get(id);
      if (item && Number.isFinite(t)) item.addedAt = t;
    }
  }

  /** Number of items. */
  get size(): number {
    return this.byId.size;
  }

  /** Replaces the popularity counts (items not listed get 0). */
  setPopularity(counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>): void {
    for (const item of this.byId.values()) item.popularity = 0;
    for (const [id, c] of entriesOf(counts)) {
      const item = this.byId.get(id);
      if (item) {
        if (!Number.isFinite(c) || c < 0) throw rankingError('ERR_NON_FINITE', 'a finite count ≥ 0', `popularity[${id}]`, c);
        item.popularity = c;
      }
    }
  }

  /** Adds to one item's popularity count (e.g. on each event). */
  addPopularity(id: string, count = 1): void {
    const item = this.byId.get(id);
    if (item) item.popularity += count;
  }

  /** The facts of an item; throws `ERR_UNKNOWN_ITEM`. @internal */
  require(id: string): RankingItem {
    const item = this.byId.get(id);
    if (!item) throw rankingError('ERR_UNKNOWN_ITEM', 'an item of the ranking catalog', 'candidate.item', id);
    return item;
  }

  /** The facts of an item, or undefined. @internal */
  find(id: string): RankingItem | undefined {
    return this.byId.get(id);
  }
}

/** Per-candidate feature rows. */
export interface FeatureMatrix {
  /** Column names ({@link FEATURE_NAMES} unless a subset was asked for). */
  readonly names: readonly string[];
  /** Number of rows (candidates). */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Row-major values, double precision. */
  readonly data: Float64Array;
  /** Item id of each row. */
  readonly items: readonly string[];
}

/** Options of {@link extractFeatures}. */
export interface FeatureOptions {
  /** Time of the request (ms) for affinities and recency (default `Date.now()`). */
  readonly now?: number;
  /** `'max'` (default): text scores divided by the list's largest absolute text score; `'none'`: as given. */
  readonly textNormalization?: 'max' | 'none';
}

/** Price fit in (0, 1]: 1 inside the preferred range, `edge / price` or `price / edge` outside. */
export function priceFit(price: number | undefined, range: PreferredRange | undefined): number {
  if (price === undefined || range === undefined || !(price > 0)) return 0;
  if (price < range.low) return range.low > 0 ? price / range.low : 0;
  if (price > range.high) return range.high / price;
  return 1;
}

/**
 * The feature matrix of candidates for a user (optional: anonymous requests get 0 for the user
 * features). Throws `ERR_UNKNOWN_ITEM` for an unknown candidate and `ERR_NON_FINITE` for a
 * non-finite text score, margin or boost.
 */
export function extractFeatures(catalog: RankingCatalog, user: UserSignals | undefined, candidates: readonly Candidate[], options: FeatureOptions = {}): FeatureMatrix {
  return featureRows(catalog, user, candidates, options).matrix;
}

/** {@link extractFeatures} and each candidate's catalog facts (one lookup per candidate). @internal */
export function featureRows(
  catalog: RankingCatalog,
  user: UserSignals | undefined,
  candidates: readonly Candidate[],
  options: FeatureOptions & { readonly latent?: boolean } = {},
): { readonly matrix: FeatureMatrix; readonly facts: readonly RankingItem[] } {
  if (!Array.isArray(candidates)) throw rankingError('ERR_ARGUMENT', 'an array of candidates', 'candidates', candidates);
  const now = options.now ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) throw rankingError('ERR_NON_FINITE', 'a finite time in ms', 'now', now);
  const cols = FEATURE_NAMES.length;
  const data = new Float64Array(candidates.length * cols);
  const items: string[] = [];
  const facts: RankingItem[] = [];
  const latent = user?.latentVector?.();
  const vectors = catalog.itemVectors;
  const useLatent = options.latent !== false && latent !== undefined && vectors !== undefined && latent.length === vectors.cols;
  let maxText = 0;
  for (const c of candidates) {
    const t = c.textScore ?? 0;
    if (!Number.isFinite(t)) throw rankingError('ERR_NON_FINITE', 'a finite text score', `textScore of ${c.item}`, t);
    maxText = Math.max(maxText, Math.abs(t));
  }
  const textScale = options.textNormalization === 'none' || maxText === 0 ? 1 : 1 / maxText;
  for (let r = 0; r < candidates.length; r++) {
    const c = candidates[r]!;
    if (typeof c !== 'object' || c === null) throw rankingError('ERR_ARGUMENT', 'a candidate {item, textScore?}', `candidates[${r}]`, c);
    const item = catalog.require(c.item);
    items.push(item.id);
    facts.push(item);
    const o = r * cols;
    data[o] = (c.textScore ?? 0) * textScale;
    if (useLatent && item.vectorRow >= 0) {
      let dot = 0;
      const base = item.vectorRow * vectors.cols;
      for (let d = 0; d < vectors.cols; d++) dot += latent[d]! * vectors.data[base + d]!;
      data[o + 1] = dot;
    }
    if (user) {
      data[o + 2] = user.categoryAffinity?.(item.path, now) ?? 0;
      data[o + 3] = item.brand !== undefined ? (user.brandAffinity?.(item.brand, now) ?? 0) : 0;
      data[o + 4] = priceFit(item.price, user.preferredPriceRange?.(item.path, now));
    }
    data[o + 5] = Math.log1p(item.popularity);
    data[o + 6] = item.addedAt === undefined ? 0 : Math.pow(2, -Math.max(0, now - item.addedAt) / catalog.recencyHalfLifeMs);
    const margin = c.margin ?? item.margin;
    const boost = c.boost ?? item.boost;
    if (!Number.isFinite(margin) || !Number.isFinite(boost)) throw rankingError('ERR_NON_FINITE', 'a finite margin and boost', `candidate ${c.item}`, Number.isFinite(margin) ? boost : margin);
    data[o + 7] = margin;
    data[o + 8] = boost;
  }
  return { matrix: { names: FEATURE_NAMES, rows: candidates.length, cols, data, items }, facts };
}

/** Rows of several feature matrices (same names) stacked into one. */
export function stackFeatures(parts: readonly FeatureMatrix[]): FeatureMatrix {
  if (parts.length === 0) return { names: FEATURE_NAMES, rows: 0, cols: FEATURE_NAMES.length, data: new Float64Array(0), items: [] };
  const names = parts[0]!.names;
  for (const p of parts) if (p.names.join() !== names.join()) throw rankingError('ERR_FEATURES', `features ${names.join(', ')}`, 'parts.names', p.names.join(', '));
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const data = new Float64Array(rows * names.length);
  const items: string[] = [];
  let o = 0;
  for (const p of parts) {
    data.set(p.data.subarray(0, p.rows * p.cols), o);
    o += p.rows * p.cols;
    items.push(...p.items);
  }
  return { names, rows, cols: names.length, data, items };
}
