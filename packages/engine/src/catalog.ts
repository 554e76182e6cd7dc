/**
 * The engine's in-memory view of the catalog: items by id, the text index, popularity counts,
 * the profile catalog (price bands) and the ranking catalog (item facts, popularity, the live
 * model's item vectors). Items change through {@link CatalogState.upsert}; the derived catalogs
 * are rebuilt then (they are immutable in their packages), and the ranking catalog again when
 * the model changes.
 * @packageDocumentation
 */
import type { ItemRecord } from '@souk/data';
import { ProfileCatalog } from '@souk/profiles';
import { RankingCatalog } from '@souk/ranking';
import { TextIndex } from '@souk/retrieval';
import type { Matrix } from '@souk/kernels';

/** Event types that count towards popularity (engagement with an item). */
export const POPULARITY_TYPES: ReadonlySet<string> = new Set(['view', 'click', 'cart', 'purchase', 'rating']);

/** Whether two versions of an item agree on every fact the profile and ranking catalogs hold. */
function sameDerivedFacts(a: ItemRecord, b: ItemRecord): boolean {
  return (
    a.brand === b.brand &&
    a.price === b.price &&
    a.categoryPath.length === b.categoryPath.length &&
    a.categoryPath.every((c, i) => c === b.categoryPath[i]) &&
    a.attributes['margin'] === b.attributes['margin'] &&
    a.attributes['boost'] === b.attributes['boost']
  );
}

/** Longest age of the popularity order while events arrive (ms). */
export const POPULAR_REFRESH_MS = 30_000;

/** Item vectors of the live model, for the ranking's latent feature. */
export interface ItemVectors {
  readonly ids: readonly string[];
  readonly factors: Matrix;
}

/** Item vectors with the row of an id (−1: none). */
export interface IndexedItemVectors extends ItemVectors {
  find(id: string): number;
}

/** Catalog, text index, popularity and the derived ranking and profile catalogs. */
export class CatalogState {
  /** Items by id. */
  readonly items = new Map<string, ItemRecord>();
  /** Engagement events per item. */
  readonly popularity = new Map<string, number>();
  /** The text index. */
  readonly textIndex = new TextIndex();
  /** Price bands and category keys for profiles (rebuilt on item changes). */
  profileCatalog: ProfileCatalog = ProfileCatalog.fromItems([]);
  /** Item facts for ranking (rebuilt on item and model changes). */
  rankingCatalog: RankingCatalog = new RankingCatalog([]);
  private vectors: ItemVectors | undefined;
  private vectorIndex: IndexedItemVectors | undefined;
  private popularOrder: string[] | undefined;
  /**
   * The items' ids sorted (the tie order of {@link popularItems}), each id's rank there, and the
   * popularity counts by rank, kept current by {@link addEngagement}; reset with the items and
   * by {@link syncPopularity}.
   */
  private ranked: { readonly ids: readonly string[]; readonly rankOf: ReadonlyMap<string, number>; readonly counts: Float64Array } | undefined;
  private popularOrderAt = 0;
  private popularityChanged = false;

  /**
   * Adds or replaces items (text index included). The derived catalogs are rebuilt only when an
   * item is new or changed a fact they hold (category, brand, price, margin, boost): a title or
   * stock update costs one text-index update. Returns the ids that were new.
   */
  upsert(items: readonly ItemRecord[]): Set<string> {
    const added = new Set<string>();
    let derivedChanged = false;
    for (const item of items) {
      const before = this.items.get(item.id);
      if (!before) added.add(item.id);
      if (!before || !sameDerivedFacts(before, item)) derivedChanged = true;
      this.items.set(item.id, item);
      this.textIndex.add(item, { popularity: this.popularity.get(item.id) ?? 0 });
    }
    if (derivedChanged) this.rebuild();
    return added;
  }

  /** Rebuilds the profile and ranking catalogs from the items. */
  rebuild(): void {
    this.profileCatalog = ProfileCatalog.fromItems(this.items.values());
    this.rebuildRanking();
    this.popularOrder = undefined;
    this.ranked = undefined;
  }

  /** Sets the item vectors of the live model (undefined: none) and rebuilds the ranking catalog. */
  setItemVectors(vectors: ItemVectors | undefined): void {
    if (vectors === this.vectors) return;
    this.vectors = vectors;
    this.vectorIndex = undefined;
    this.rebuildRanking();
  }

  /** The live model's item vectors with a row lookup (undefined: none). */
  get itemVectors(): IndexedItemVectors | undefined {
    const v = this.vectors;
    if (!v) return undefined;
    if (!this.vectorIndex) {
      const rows = new Map<string, number>();
      v.ids.forEach((id, i) => rows.set(id, i));
      this.vectorIndex = { ids: v.ids, factors: v.factors, find: (id) => rows.get(id) ?? -1 };
    }
    return this.vectorIndex;
  }

  private rebuildRanking(): void {
    this.rankingCatalog = new RankingCatalog(this.items.values(), { popularity: this.popularity, ...(this.vectors ? { itemVectors: this.vectors } : {}) });
  }

  /** Counts one engagement with an item (ranking popularity, search popularity sort). */
  addEngagement(item: string): void {
    const count = (this.popularity.get(item) ?? 0) + 1;
    this.popularity.set(item, count);
    if (this.items.has(item)) {
      this.rankingCatalog.addPopularity(item);
      this.textIndex.setPopularity(item, count);
      const r = this.ranked?.rankOf.get(item);
      if (r !== undefined) this.ranked!.counts[r] = count;
    }
    this.popularityChanged = true;
  }

  /** Pushes all popularity counts into the text index and ranking catalog (after a bulk load). */
  syncPopularity(): void {
    for (const [id, count] of this.popularity) if (this.items.has(id)) this.textIndex.setPopularity(id, count);
    this.rankingCatalog.setPopularity(this.popularity);
    this.popularOrder = undefined;
    this.ranked = undefined;
  }

  /**
   * Item ids by popularity, most popular first (ties by id). While events keep arriving the order
   * is recomputed at most every {@link POPULAR_REFRESH_MS} (like Gorse's periodic popular-items
   * job): a 100,000-item re-sort costs tens of milliseconds on the event loop, and a popularity
   * list a few seconds old ranks cold-start answers just as well. New or changed items reset it.
   */
  popularItems(now = Date.now()): readonly string[] {
    if (!this.popularOrder || (this.popularityChanged && now - this.popularOrderAt >= POPULAR_REFRESH_MS)) {
      this.popularOrder = popularOrder(this.rankedIds());
      this.popularOrderAt = now;
      this.popularityChanged = false;
    }
    return this.popularOrder;
  }

  private rankedIds(): { readonly ids: readonly string[]; readonly counts: Float64Array } {
    if (!this.ranked) {
      const ids = [...this.items.keys()].sort();
      const rankOf = new Map<string, number>();
      const counts = new Float64Array(ids.length);
      for (let r = 0; r < ids.length; r++) {
        rankOf.set(ids[r]!, r);
        counts[r] = this.popularity.get(ids[r]!) ?? 0;
      }
      this.ranked = { ids, rankOf, counts };
    }
    return this.ranked;
  }

  /** Whether an item's category path starts with `prefix`. */
  static inCategory(item: ItemRecord, prefix: readonly string[]): boolean {
    if (prefix.length > item.categoryPath.length) return false;
    for (let d = 0; d < prefix.length; d++) if (item.categoryPath[d] !== prefix[d]) return false;
    return true;
  }
}

/**
 * Ids by count descending, ties by rank (`counts[r]` is the count of `ids[r]`, ids sorted). The
 * refresh runs in a read worker between requests, so it must be short: whole counts up to 4n
 * (events are counted one by one) go through a counting sort, O(n + max), with no id lookups;
 * anything else through a numeric comparator sort of the ranks. (The first
 * version sorted with a comparator and string ties, ~190 ms at 100,000 items; the next looked
 * each id's count up in a Map, and the read workers' queues still stalled ~50–150 ms every 30 s.)
 * @internal
 */
export function popularOrder({ ids, counts }: { readonly ids: readonly string[]; readonly counts: Float64Array }): string[] {
  const n = ids.length;
  let max = 0;
  let whole = true;
  for (let r = 0; r < n; r++) {
    const c = counts[r]!;
    if (c > max) max = c;
    if (!Number.isInteger(c) || c < 0) whole = false;
  }
  const order = new Array<string>(n);
  if (whole && max <= 4 * n) {
    // start[c]: the first output position of count c (higher counts first).
    const start = new Int32Array(max + 2);
    for (let r = 0; r < n; r++) start[max - counts[r]! + 1]!++;
    for (let b = 1; b <= max + 1; b++) start[b]! += start[b - 1]!;
    for (let r = 0; r < n; r++) order[start[max - counts[r]!]!++] = ids[r]!;
    return order;
  }
  const ranks = Array.from({ length: n }, (_, r) => r).sort((a, b) => counts[b]! - counts[a]! || a - b);
  for (let i = 0; i < n; i++) order[i] = ids[ranks[i]!]!;
  return order;
}

/**
 * A `ProfileCatalog` that forwards every read to `current()`. A `ProfileStore` keeps the catalog
 * it was built with for its whole life, and `ProfileCatalog` is immutable; handing the store this
 * view lets item ingest swap in a rebuilt catalog without re-creating every profile.
 */
export function forwardingProfileCatalog(current: () => ProfileCatalog): ProfileCatalog {
  return new Proxy(current(), {
    get(_target, prop) {
      const target = current();
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
