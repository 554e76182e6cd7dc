/**
 * The catalog facts a profile needs per item — its category path (without the shared root),
 * brand, price and price band — and the price bands themselves: per category node, edges at the
 * price quantiles of the node's items (descendants included). An item's band is taken at its
 * deepest category node holding enough priced items, so sparse leaves borrow their parent's bands.
 * @packageDocumentation
 */
import type { ItemRecord } from '@souk/data';
import { profileError } from './errors.js';

/** Separator of category keys: the path prefix `['Electronics', 'Phones']` is `Electronics/Phones`. */
export const CATEGORY_SEPARATOR = '/';

/** Options of {@link ProfileCatalog.fromItems}. */
export interface ProfileCatalogOptions {
  /** Number of price bands per category node (default 5; 1 to 20). */
  readonly priceBands?: number;
  /** Fewest priced items a node needs to define its own bands (default 10). */
  readonly minItemsPerBandNode?: number;
}

/** What the profiles know of one item. */
export interface CatalogItem {
  /** Item id. */
  readonly id: string;
  /** Category path without the catalog-wide root (e.g. `['数码', '手机']`). */
  readonly path: readonly string[];
  /** Category keys of every prefix of `path`, shallowest first (`['数码', '数码/手机']`). */
  readonly categoryKeys: readonly string[];
  /** Brand, if any. */
  readonly brand: string | undefined;
  /** Price, if any. */
  readonly price: number | undefined;
  /** Category key of the node whose price bands apply (undefined without a price). */
  readonly bandNode: string | undefined;
  /** Price band index in `[0, bands)` (undefined without a price). */
  readonly band: number | undefined;
}

/** Price bands of one category node. */
export interface PriceBandScheme {
  /** Category key of the node. */
  readonly node: string;
  /** Inner edges, ascending, `bands − 1` of them: band b is `[edges[b−1], edges[b])`. */
  readonly edges: readonly number[];
  /** Lowest and highest price in the node. */
  readonly min: number;
  /** Highest price in the node. */
  readonly max: number;
}

/** A price band as a range. */
export interface PriceRange {
  /** Lower edge (inclusive). */
  readonly low: number;
  /** Upper edge (exclusive, except for the top band). */
  readonly high: number;
}

/** Quantile of sorted values (linear interpolation, as numpy's default). @internal */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Item facts and price bands, built once from the catalog. */
export class ProfileCatalog {
  /** Number of price bands per node. */
  readonly priceBands: number;
  /** The root every category path starts with and that profiles skip (`'All'`, `'全部'`), if any. */
  readonly root: string | undefined;
  private readonly byId = new Map<string, CatalogItem>();
  private readonly schemes = new Map<string, PriceBandScheme>();

  private constructor(priceBands: number, root: string | undefined) {
    this.priceBands = priceBands;
    this.root = root;
  }

  /** Builds the catalog facts and price bands from items. */
  static fromItems(items: Iterable<ItemRecord>, options: ProfileCatalogOptions = {}): ProfileCatalog {
    const bands = options.priceBands ?? 5;
    if (!Number.isInteger(bands) || bands < 1 || bands > 20) throw profileError('ERR_ARGUMENT', 'an integer in [1, 20]', 'priceBands', bands);
    const minItems = options.minItemsPerBandNode ?? 10;
    if (!Number.isInteger(minItems) || minItems < 1) throw profileError('ERR_ARGUMENT', 'a positive integer', 'minItemsPerBandNode', minItems);
    const list = [...items];
    for (const item of list) {
      if (typeof item !== 'object' || item === null || typeof item.id !== 'string' || !Array.isArray(item.categoryPath)) {
        throw profileError('ERR_ARGUMENT', 'items with an id and a categoryPath', 'items', item);
      }
    }
    // A shared first path element over every item (with deeper paths) is a root, not a taste.
    const first = list[0]?.categoryPath[0];
    const root = first !== undefined && list.every((i) => i.categoryPath[0] === first && i.categoryPath.length > 1) ? first : undefined;
    const catalog = new ProfileCatalog(bands, root);
    const pricesByNode = new Map<string, number[]>();
    const paths: Array<{ item: ItemRecord; path: string[]; keys: string[] }> = [];
    for (const item of list) {
      const path = root === undefined ? item.categoryPath.slice() : item.categoryPath.slice(1);
      const keys: string[] = [];
      for (let d = 0; d < path.length; d++) keys.push(d === 0 ? path[0]! : keys[d - 1]! + CATEGORY_SEPARATOR + path[d]!);
      paths.push({ item, path, keys });
      if (item.price !== undefined && Number.isFinite(item.price)) {
        for (const k of ['', ...keys]) {
          let prices = pricesByNode.get(k);
          if (!prices) pricesByNode.set(k, (prices = []));
          prices.push(item.price);
        }
      }
    }
    for (const [node, prices] of pricesByNode) {
      if (prices.length < minItems && node !== '') continue;
      prices.sort((a, b) => a - b);
      const edges: number[] = [];
      for (let b = 1; b < bands; b++) edges.push(quantile(prices, b / bands));
      catalog.schemes.set(node, { node, edges, min: prices[0]!, max: prices[prices.length - 1]! });
    }
    for (const { item, path, keys } of paths) {
      let bandNode: string | undefined;
      let band: number | undefined;
      if (item.price !== undefined && Number.isFinite(item.price)) {
        bandNode = '';
        for (let d = keys.length - 1; d >= 0; d--) if (catalog.schemes.has(keys[d]!)) { bandNode = keys[d]!; break; }
        band = catalog.bandOf(bandNode, item.price);
      }
      catalog.byId.set(item.id, { id: item.id, path, categoryKeys: keys, brand: item.brand, price: item.price, bandNode, band });
    }
    return catalog;
  }

  /** Number of items. */
  get size(): number {
    return this.byId.size;
  }

  /** The facts of an item, or undefined when unknown. */
  item(id: string): CatalogItem | undefined {
    return this.byId.get(id);
  }

  /** The band scheme of a category node (`''` is the whole catalog), if it has one. */
  scheme(node: string): PriceBandScheme | undefined {
    return this.schemes.get(node);
  }

  /** The node whose bands apply to items under this category path (root included or not). */
  bandNodeFor(path: readonly string[]): string {
    const p = this.root !== undefined && path[0] === this.root ? path.slice(1) : path;
    let best = '';
    let key = '';
    for (let d = 0; d < p.length; d++) {
      key = d === 0 ? p[0]! : key + CATEGORY_SEPARATOR + p[d]!;
      if (this.schemes.has(key)) best = key;
    }
    return best;
  }

  /** The band of `price` under a node's scheme: the number of inner edges ≤ price. */
  bandOf(node: string, price: number): number {
    const scheme = this.schemes.get(node);
    if (!scheme) throw profileError('ERR_ARGUMENT', 'a category node with price bands', 'node', node);
    let b = 0;
    while (b < scheme.edges.length && price >= scheme.edges[b]!) b++;
    return b;
  }

  /** The price range of band `band` of a node. */
  bandRange(node: string, band: number): PriceRange {
    const scheme = this.schemes.get(node);
    if (!scheme) throw profileError('ERR_ARGUMENT', 'a category node with price bands', 'node', node);
    if (!Number.isInteger(band) || band < 0 || band >= this.priceBands) throw profileError('ERR_ARGUMENT', `a band in [0, ${this.priceBands})`, 'band', band);
    return {
      low: band === 0 ? scheme.min : scheme.edges[band - 1]!,
      high: band === this.priceBands - 1 ? scheme.max : scheme.edges[band]!,
    };
  }

  /** Category keys of a category path (root skipped), shallowest first. */
  keysOf(path: readonly string[]): string[] {
    const p = this.root !== undefined && path[0] === this.root ? path.slice(1) : path;
    const keys: string[] = [];
    for (let d = 0; d < p.length; d++) keys.push(d === 0 ? p[0]! : keys[d - 1]! + CATEGORY_SEPARATOR + p[d]!);
    return keys;
  }
}
