/**
 * A profile's ranking signals frozen at one time ({@link UserProfile.digest}): every affinity's
 * decayed score as plain arrays, cheap to build and to copy to another thread, read through
 * {@link DigestSignals} with the same formulas as the profile itself (`categoryAffinity`,
 * `brandAffinity`, `preferredPriceRange`, the top categories), so both give identical numbers.
 * @packageDocumentation
 */
import { CATEGORY_SEPARATOR, type PriceRange, type ProfileCatalog } from './catalog.js';

/** The scores of one affinity family: keys and their decayed scores, in the same order. */
export interface DigestFamily {
  readonly keys: readonly string[];
  readonly scores: Float64Array;
}

/** A profile's scores at time `now` (plain data: structured-clone or JSON it). */
export interface ProfileDigest {
  /** The user. */
  readonly user: string;
  /** The time the scores were taken at (ms). */
  readonly now: number;
  /** Decayed total weight of all item events (the normaliser of the shares). */
  readonly total: number;
  /** The profile options' category damping. */
  readonly categoryDamping: number;
  readonly categories: DigestFamily;
  readonly brands: DigestFamily;
  /** Price bands by `<category key>#<band>`. */
  readonly bands: DigestFamily;
  /** Band levels across categories by band index. */
  readonly bandLevels: DigestFamily;
}

/**
 * Affinity to a category path from per-key scores: at each level of the path, the category's
 * score as a share of the total (an ancestor's share divided out of its damping), averaged over
 * the levels. Shared by {@link UserProfile.categoryAffinity} and {@link DigestSignals}.
 * @internal
 */
export function categoryAffinityOf(keys: readonly string[], score: (key: string) => number, total: number, damping: number): number {
  if (total <= 0) return 0;
  let sum = 0;
  let levels = 0;
  let scale = 1;
  for (let d = keys.length - 1; d >= 0; d--) {
    if (scale > 0) {
      sum += score(keys[d]!) / (total * scale);
      levels++;
    }
    scale *= damping;
  }
  return levels === 0 ? 0 : sum / levels;
}

/**
 * The preferred price range under a path from band scores: the strongest band of the path's band
 * node, else the strongest band level across categories, on this node's edges. @internal
 */
export function preferredRangeOf(catalog: ProfileCatalog, path: readonly string[], band: (key: string) => number, level: (band: string) => number): PriceRange | undefined {
  const node = catalog.bandNodeFor(path);
  if (!catalog.scheme(node)) return undefined;
  let best = -1;
  let bestScore = 0;
  for (let b = 0; b < catalog.priceBands; b++) {
    const s = band(`${node}#${b}`);
    if (s > bestScore) [best, bestScore] = [b, s];
  }
  if (best < 0) {
    for (let b = 0; b < catalog.priceBands; b++) {
      const s = level(String(b));
      if (s > bestScore) [best, bestScore] = [b, s];
    }
  }
  return best < 0 ? undefined : catalog.bandRange(node, best);
}

/** Orders affinities strongest first, ties by key (the order of `UserProfile.affinities`). @internal */
export function byScoreThenKey(a: { score: number; key: string }, b: { score: number; key: string }): number {
  return b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

function lookup(f: DigestFamily): (key: string) => number {
  let map: Map<string, number> | undefined;
  return (key) => {
    if (!map) {
      map = new Map();
      for (let i = 0; i < f.keys.length; i++) map.set(f.keys[i]!, f.scores[i]!);
    }
    return map.get(key) ?? 0;
  };
}

/**
 * Reads a {@link ProfileDigest} with a catalog (the same items as the profile's): the ranking
 * signals of the user at the digest's time. `now` arguments are accepted for the ranking's
 * interface and ignored: the scores were taken at `digest.now`.
 */
export class DigestSignals {
  readonly digest: ProfileDigest;
  private readonly catalog: ProfileCatalog;
  private readonly category: (key: string) => number;
  private readonly brand: (key: string) => number;
  private readonly band: (key: string) => number;
  private readonly level: (key: string) => number;

  constructor(digest: ProfileDigest, catalog: ProfileCatalog) {
    this.digest = digest;
    this.catalog = catalog;
    this.category = lookup(digest.categories);
    this.brand = lookup(digest.brands);
    this.band = lookup(digest.bands);
    this.level = lookup(digest.bandLevels);
  }

  /** As {@link UserProfile.categoryAffinity} at the digest's time. */
  categoryAffinity(path: readonly string[], _now?: number): number {
    if (this.digest.total <= 0) return 0;
    return categoryAffinityOf(this.catalog.keysOf(path), this.category, this.digest.total, this.digest.categoryDamping);
  }

  /** As {@link UserProfile.brandAffinity} at the digest's time. */
  brandAffinity(brand: string, _now?: number): number {
    return this.digest.total <= 0 ? 0 : this.brand(brand) / this.digest.total;
  }

  /** As {@link UserProfile.preferredPriceRange} at the digest's time. */
  preferredPriceRange(path: readonly string[], _now?: number): PriceRange | undefined {
    return preferredRangeOf(this.catalog, path, this.band, this.level);
  }

  /** The `k` strongest category affinities with a positive score, as paths (the order of `affinities('category')`). */
  topCategories(k: number): string[][] {
    const f = this.digest.categories;
    const all = f.keys.map((key, i) => ({ key, score: f.scores[i]! }));
    all.sort(byScoreThenKey);
    return all.slice(0, k).filter((a) => a.score > 0).map((a) => a.key.split(CATEGORY_SEPARATOR));
  }
}
