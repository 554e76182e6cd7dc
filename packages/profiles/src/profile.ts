/**
 * One user's profile: time-decayed affinities to categories (along the category tree), brands
 * and price bands; counters for RFM and segments; the items that feed a fold-in latent vector.
 * Each event costs O(depth of its category path + half-lives + remembered events): no rescans.
 * @packageDocumentation
 */
import { EVENT_TYPES, type EventRecord, type EventType } from '@souk/data';
import type { EntityRef, UserInteractions } from '@souk/models';
import { CATEGORY_SEPARATOR, type CatalogItem, type PriceRange, type ProfileCatalog } from './catalog.js';
import { DAY_MS, eventWeight, type ResolvedProfileOptions } from './config.js';
import { contributionAt, type ContributingEvent } from './decay.js';
import { EntryTable, Interner, WeightList } from './entries.js';
import { profileError } from './errors.js';
import { byScoreThenKey, categoryAffinityOf, preferredRangeOf, type DigestFamily, type ProfileDigest } from './digest.js';
import { activitySegment, enthusiastLabel, priceSegment, rfmScores, valueSegment, type Rfm, type Segments } from './segments.js';

/** What a latent fold-in needs of a model (`@souk/models`' ALS fits). */
export interface FoldInModel {
  /** Factors of a user with these interactions (no change to the model). */
  recalculateUser(interactions: UserInteractions): Float32Array;
  /** Dense index of an item; throws for an item the model does not know. */
  itemIndexOf(item: EntityRef): number;
}

/** Shared context of the profiles of one store. @internal */
export interface ProfileContext {
  readonly catalog: ProfileCatalog;
  readonly options: ResolvedProfileOptions;
  readonly model: FoldInModel | undefined;
  /** Item id → whether the model knows it (memoised). */
  readonly modelKnows: Map<string, boolean>;
  /** Ids of the keys, item ids and event types the profiles store. */
  readonly strings: Interner;
  /** A catalog item's ids in `strings` (computed once per item object; see {@link idsOf}). */
  readonly itemIds: WeakMap<CatalogItem, ItemIds>;
}

/** The interned ids of one catalog item's facts (what an event adds to). */
interface ItemIds {
  readonly item: number;
  /** Category keys, shallowest first (as `categoryKeys`). */
  readonly categories: Int32Array;
  /** -1: no brand. */
  readonly brand: number;
  /** `<band node>#<band>`; -1: no price. */
  readonly band: number;
  /** The band index as a key; -1: no price. */
  readonly bandLevel: number;
}

/** The ids of an item's facts: interned on first sight, then one WeakMap lookup per event. */
function idsOf(ctx: ProfileContext, item: CatalogItem): ItemIds {
  let ids = ctx.itemIds.get(item);
  if (!ids) {
    const s = ctx.strings;
    ids = {
      item: s.id(item.id),
      categories: Int32Array.from(item.categoryKeys, (k) => s.id(k)),
      brand: item.brand === undefined ? -1 : s.id(item.brand),
      band: item.band === undefined ? -1 : s.id(`${item.bandNode}#${item.band}`),
      bandLevel: item.band === undefined ? -1 : s.id(String(item.band)),
    };
    ctx.itemIds.set(item, ids);
  }
  return ids;
}

/** Entry families in a profile's {@link EntryTable} (the affinity families first: `digest` relies on it). */
const CATEGORY = 0;
const BRAND = 1;
const BAND = 2;
const BAND_LEVEL = 3;
const TOTAL = 4;
const ACTIVITY = 5;
/** Records of the total and the activity (created first). */
const TOTAL_R = 0;
const ACTIVITY_R = 1;

/** The affinity families. */
export type AffinityKind = 'category' | 'brand' | 'priceBand';

/** One affinity with its decayed score. */
export interface Affinity {
  /** Family. */
  readonly kind: AffinityKind;
  /** Key: a category key (`数码/手机`), a brand, or `<category key>#<band>`. */
  readonly key: string;
  /** Decayed score at the time asked. */
  readonly score: number;
  /** Category path (categories and price bands). */
  readonly path?: readonly string[];
  /** Depth in the category tree, 0 = top level (categories). */
  readonly depth?: number;
  /** Band index and its price range (price bands). */
  readonly band?: number;
  /** Price range of the band. */
  readonly range?: PriceRange;
}

/** Options of the affinity listings. */
export interface AffinityQuery {
  /** Time (ms) the scores are decayed to; default the profile's last event. */
  readonly now?: number;
  /** Most entries returned (default all). */
  readonly k?: number;
  /** Categories only: only this depth (0 = top level). */
  readonly depth?: number;
}

/** An explained affinity: the remembered events with their decayed contributions. */
export interface ExplainedAffinity extends Affinity {
  /** The strongest events behind the score, largest contribution first. */
  readonly events: ReadonlyArray<{ readonly item: string; readonly type: string; readonly timestamp: number; readonly weight: number; readonly contribution: number }>;
  /** The part of the score the listed events do not account for (older or weaker events). */
  readonly remainder: number;
}

/** Options of {@link UserProfile.explain}. */
export interface ExplainOptions {
  /** Time (ms) of the explanation; default the profile's last event. */
  readonly now?: number;
  /** Top affinities explained per family (default 3). */
  readonly k?: number;
}

/** The JSON form of one decayed entry. */
export interface EntryJson {
  /** Reference time (ms). */
  t: number;
  /** Accumulators, one per distinct half-life. */
  s: number[];
  /** Remembered events. */
  top: ContributingEvent[];
}

/** The JSON form of a profile (inside a store export). */
export interface ProfileJson {
  /** User id. */
  user: string;
  /** Category affinities by category key. */
  categories: Record<string, EntryJson>;
  /** Brand affinities by brand. */
  brands: Record<string, EntryJson>;
  /** Price-band affinities by `<category key>#<band>`. */
  bands: Record<string, EntryJson>;
  /** Band-level affinities across categories, by band index. */
  bandLevels: Record<string, EntryJson>;
  /** Decayed total of |weight| over item events (null before any). */
  total: EntryJson | null;
  /** Decayed event count (null before any). */
  activity: EntryJson | null;
  /** Event counts by type. */
  counts: Record<string, number>;
  /** Time of the first event (ms). */
  firstSeen: number | null;
  /** Time of the latest event (ms). */
  lastSeen: number | null;
  /** Time of the latest purchase (ms). */
  lastPurchase: number | null;
  /** Money spent. */
  monetary: number;
  /** Item events with a non-zero weight. */
  itemEvents: number;
  /** Sessions seen (changes of session id). */
  sessions: number;
  /** Session id of the latest event. */
  lastSession: string | null;
  /** Items and summed weights feeding the fold-in. */
  latentItems: Array<[string, number]>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates an event against the catalog; returns the catalog facts of its item (undefined for
 * events without one). Throws {@link ProfileError} with `ERR_EVENT_TYPE`, `ERR_TIMESTAMP`,
 * `ERR_MISSING_ITEM`, `ERR_UNKNOWN_ITEM`, `ERR_VALUE` or `ERR_ARGUMENT`.
 */
export function checkEvent(event: EventRecord, catalog: ProfileCatalog): CatalogItem | undefined {
  if (!isRecord(event)) throw profileError('ERR_ARGUMENT', 'an event object', 'event', event);
  if (typeof event.user !== 'string' || event.user.length === 0) throw profileError('ERR_ARGUMENT', 'a non-empty user id', 'event.user', event.user);
  if (!(EVENT_TYPES as readonly string[]).includes(event.type)) throw profileError('ERR_EVENT_TYPE', `one of ${EVENT_TYPES.join(', ')}`, 'event.type', event.type);
  if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) throw profileError('ERR_TIMESTAMP', 'a finite timestamp in ms', 'event.timestamp', event.timestamp);
  if (event.value !== undefined && (typeof event.value !== 'number' || !Number.isFinite(event.value))) throw profileError('ERR_VALUE', 'a finite value', 'event.value', event.value);
  if (event.type === 'search') {
    if (event.item === undefined) return undefined;
  } else if (event.item === undefined) {
    throw profileError('ERR_MISSING_ITEM', `an item for a ${event.type} event`, 'event.item', event.item);
  }
  const item = typeof event.item === 'string' ? catalog.item(event.item) : undefined;
  if (!item) throw profileError('ERR_UNKNOWN_ITEM', 'an item of the catalog', 'event.item', event.item);
  return item;
}

/** A user's profile. Create through {@link ProfileStore}; read any time. */
export class UserProfile {
  /** User id. */
  readonly user: string;
  private readonly ctx: ProfileContext;
  /** Category, brand, price-band and band-level entries, the total and the activity. */
  private readonly entries: EntryTable;
  private counts: Record<EventType, number> = { search: 0, view: 0, click: 0, cart: 0, purchase: 0, rating: 0 };
  private firstSeen = Infinity;
  private lastSeen = -Infinity;
  private lastPurchase = -Infinity;
  private monetary = 0;
  private itemEvents = 0;
  private sessions = 0;
  private lastSession: string | undefined;
  private latentItems = new WeightList();
  private latentCache: Float32Array | undefined;
  private latentDirty = false;

  /** @internal Use {@link ProfileStore.update}. */
  constructor(user: string, ctx: ProfileContext) {
    this.user = user;
    this.ctx = ctx;
    this.entries = new EntryTable(ctx.options.halfLivesMs.length, ctx.options.explainEvents);
    this.entries.create(TOTAL, -1, false);
    this.entries.create(ACTIVITY, -1, false);
  }

  /** Time (ms) of the latest event, or undefined before any. */
  get lastEventAt(): number | undefined {
    return this.lastSeen === -Infinity ? undefined : this.lastSeen;
  }

  /** Number of events applied, by type. */
  get eventCounts(): Readonly<Record<EventType, number>> {
    return { ...this.counts };
  }

  /**
   * Applies one event (validated; the user must match). O(depth of the item's category path).
   * With an eager latent policy and a model, also re-folds the latent vector (bounded by
   * `maxLatentItems`).
   */
  update(event: EventRecord): void {
    const item = checkEvent(event, this.ctx.catalog);
    if (event.user !== this.user) throw profileError('ERR_ARGUMENT', `an event of user ${JSON.stringify(this.user)}`, 'event.user', event.user);
    this.apply(event, item);
  }

  /** @internal Applies a validated event. */
  apply(event: EventRecord, item: CatalogItem | undefined): void {
    const o = this.ctx.options;
    const H = o.halfLivesMs;
    const t = event.timestamp;
    const type = event.type;
    const h = o.halfLifeIndex[type];
    this.counts[type]++;
    if (t < this.firstSeen) this.firstSeen = t;
    if (t > this.lastSeen) this.lastSeen = t;
    if (event.session !== undefined && event.session !== this.lastSession) {
      this.sessions++;
      this.lastSession = event.session;
    }
    const E = this.entries;
    E.add(ACTIVITY_R, H, h, 1, t);
    if (type === 'purchase') {
      if (t > this.lastPurchase) this.lastPurchase = t;
      this.monetary += event.value ?? item?.price ?? 0;
    }
    if (!item) return;
    const w = eventWeight(o, type, event.value);
    if (w === 0) return;
    this.itemEvents++;
    E.add(TOTAL_R, H, h, Math.abs(w), t);
    const ids = idsOf(this.ctx, item);
    const itemId = ids.item;
    const typeId = this.ctx.strings.id(type);
    const keys = ids.categories;
    let wd = w;
    for (let d = keys.length - 1; d >= 0 && wd !== 0; d--) {
      const r = E.get(CATEGORY, keys[d]!, true);
      E.add(r, H, h, wd, t);
      E.remember(r, itemId, typeId, t, wd, h, H);
      wd *= o.categoryDamping;
    }
    if (ids.brand >= 0) {
      const r = E.get(BRAND, ids.brand, true);
      E.add(r, H, h, w, t);
      E.remember(r, itemId, typeId, t, w, h, H);
    }
    if (ids.band >= 0) {
      const r = E.get(BAND, ids.band, true);
      E.add(r, H, h, w, t);
      E.remember(r, itemId, typeId, t, w, h, H);
      E.add(E.get(BAND_LEVEL, ids.bandLevel, false), H, h, w, t);
    }
    if (this.ctx.model && w > 0 && this.modelKnows(item.id)) {
      this.latentItems.add(itemId, w);
      const max = o.maxLatentItems;
      if (this.latentItems.size > max + (max >> 2)) this.trimLatentItems();
      this.latentDirty = true;
      if (o.latentUpdate === 'eager') this.latentVector();
    }
  }

  private modelKnows(id: string): boolean {
    let known = this.ctx.modelKnows.get(id);
    if (known === undefined) {
      try {
        this.ctx.model!.itemIndexOf(id);
        known = true;
      } catch {
        known = false;
      }
      this.ctx.modelKnows.set(id, known);
    }
    return known;
  }

  private trimLatentItems(): void {
    const strings = this.ctx.strings;
    const kept = this.latentItems.entries(strings).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, this.ctx.options.maxLatentItems);
    this.latentItems = WeightList.of(kept, strings);
  }

  private nowOr(now: number | undefined): number {
    if (now === undefined) return this.lastSeen === -Infinity ? 0 : this.lastSeen;
    if (typeof now !== 'number' || !Number.isFinite(now)) throw profileError('ERR_TIMESTAMP', 'a finite time in ms', 'now', now);
    return now;
  }

  /** Value of record r at `now` (0 for r = -1). */
  private score(r: number, now: number): number {
    return r < 0 ? 0 : this.entries.value(r, this.ctx.options.halfLivesMs, now);
  }

  /** The record of a family's key, or -1. */
  private recordOf(family: number, key: string): number {
    const id = this.ctx.strings.find(key);
    return id < 0 ? -1 : this.entries.find(family, id);
  }

  /** Value of a family's key at `now` (0 when absent). */
  private keyScore(family: number, key: string, now: number): number {
    return this.score(this.recordOf(family, key), now);
  }

  /** The records of a family, in insertion order, with their keys. */
  private *records(family: number): IterableIterator<[string, number]> {
    const E = this.entries;
    for (let r = 0; r < E.size; r++) if (E.family(r) === family) yield [this.ctx.strings.name(E.key(r)), r];
  }

  private describe(kind: AffinityKind, key: string, score: number): Affinity {
    if (kind === 'category') {
      const path = key.split(CATEGORY_SEPARATOR);
      return { kind, key, score, path, depth: path.length - 1 };
    }
    if (kind === 'priceBand') {
      const hash = key.lastIndexOf('#');
      const node = key.slice(0, hash);
      const band = Number(key.slice(hash + 1));
      return { kind, key, score, path: node === '' ? [] : node.split(CATEGORY_SEPARATOR), band, range: this.ctx.catalog.bandRange(node, band) };
    }
    return { kind, key, score };
  }

  private familyOf(kind: AffinityKind): number {
    if (kind === 'category') return CATEGORY;
    if (kind === 'brand') return BRAND;
    if (kind === 'priceBand') return BAND;
    throw profileError('ERR_ARGUMENT', "'category', 'brand' or 'priceBand'", 'kind', kind);
  }

  /** Affinities of one family, strongest first (ties by key). */
  affinities(kind: AffinityKind, query: AffinityQuery = {}): Affinity[] {
    const now = this.nowOr(query.now);
    const out: Affinity[] = [];
    for (const [key, r] of this.records(this.familyOf(kind))) {
      if (kind === 'category' && query.depth !== undefined && key.split(CATEGORY_SEPARATOR).length - 1 !== query.depth) continue;
      out.push(this.describe(kind, key, this.score(r, now)));
    }
    out.sort(byScoreThenKey);
    return query.k === undefined ? out : out.slice(0, query.k);
  }

  /** The decayed score of one affinity (0 when absent). */
  affinity(kind: AffinityKind, key: string, now?: number): number {
    return this.keyScore(this.familyOf(kind), key, this.nowOr(now));
  }

  /** Decayed total weight of all item events (the normaliser of the shares below). */
  totalWeight(now?: number): number {
    return this.score(TOTAL_R, this.nowOr(now));
  }

  /**
   * Affinity to a category path in [−1, 1]: at each level of the path, the category's score as a
   * share of everything the user did (the share an ancestor can reach is divided out of its
   * damping), averaged over the levels. 0 for a user without item events.
   */
  categoryAffinity(path: readonly string[], now?: number): number {
    const t = this.nowOr(now);
    const total = this.score(TOTAL_R, t);
    if (total <= 0) return 0;
    return categoryAffinityOf(this.ctx.catalog.keysOf(path), (key) => this.keyScore(CATEGORY, key, t), total, this.ctx.options.categoryDamping);
  }

  /** Affinity to a brand in [−1, 1]: its score as a share of everything the user did. */
  brandAffinity(brand: string, now?: number): number {
    const t = this.nowOr(now);
    const total = this.score(TOTAL_R, t);
    return total <= 0 ? 0 : this.keyScore(BRAND, brand, t) / total;
  }

  /**
   * The user's preferred price range for items under a category path: the strongest band the
   * user has in that path's band node; without any there, the user's strongest band across all
   * categories, applied to this node's edges. Undefined without item events with prices.
   */
  preferredPriceRange(path: readonly string[], now?: number): PriceRange | undefined {
    const t = this.nowOr(now);
    return preferredRangeOf(this.ctx.catalog, path, (key) => this.keyScore(BAND, key, t), (b) => this.keyScore(BAND_LEVEL, b, t));
  }

  /**
   * The ranking signals at `now` (default the last event) as plain data: each affinity's decayed
   * score. Read it with {@link DigestSignals} (same numbers as this profile's methods); it costs
   * one decay per affinity and copies between threads for a fraction of {@link UserProfile.toJSON}.
   */
  digest(now?: number): ProfileDigest {
    const t = this.nowOr(now);
    // One pass over the records (this runs per request): the four affinity families are 0..3.
    const E = this.entries;
    const keys: string[][] = [[], [], [], []];
    const values: number[][] = [[], [], [], []];
    for (let r = 0; r < E.size; r++) {
      const f = E.family(r);
      if (f > BAND_LEVEL) continue;
      keys[f]!.push(this.ctx.strings.name(E.key(r)));
      values[f]!.push(this.score(r, t));
    }
    const family = (f: number): DigestFamily => ({ keys: keys[f]!, scores: Float64Array.from(values[f]!) });
    return {
      user: this.user,
      now: t,
      total: this.score(TOTAL_R, t),
      categoryDamping: this.ctx.options.categoryDamping,
      categories: family(CATEGORY),
      brands: family(BRAND),
      bands: family(BAND),
      bandLevels: family(BAND_LEVEL),
    };
  }

  /** The items feeding the fold-in with their summed event weights (the user's engaged items). */
  latentEntries(): Array<[string, number]> {
    return this.latentItems.entries(this.ctx.strings);
  }

  /** Mean band index of the user's price-band scores, scaled to [0, 1] (NaN without any). */
  relativePriceLevel(now?: number): number {
    const t = this.nowOr(now);
    const bands = this.ctx.catalog.priceBands;
    let num = 0;
    let den = 0;
    for (const [b, r] of this.records(BAND_LEVEL)) {
      const s = Math.max(0, this.score(r, t));
      num += s * (bands > 1 ? Number(b) / (bands - 1) : 0.5);
      den += s;
    }
    return den > 0 ? num / den : NaN;
  }

  /**
   * The latent vector from the model's fold-in over the user's strongest items, or undefined
   * without a model or items the model knows. Lazy: recomputed only after a change.
   */
  latentVector(): Float32Array | undefined {
    const model = this.ctx.model;
    if (!model || this.latentItems.size === 0) return undefined;
    if (this.latentDirty || !this.latentCache) {
      if (this.latentItems.size > this.ctx.options.maxLatentItems) this.trimLatentItems();
      const entries = this.latentItems.entries(this.ctx.strings);
      const items = entries.map((e) => e[0]);
      const values = Float64Array.from(entries, (e) => e[1]);
      this.latentCache = model.recalculateUser({ items, values });
      this.latentDirty = false;
    }
    return this.latentCache;
  }

  /** Recency, frequency and monetary value with scores, at `now` (default the last event). */
  rfm(now?: number): Rfm {
    const t = this.nowOr(now);
    return rfmScores(
      {
        recencyDays: this.lastPurchase === -Infinity ? Infinity : (t - this.lastPurchase) / DAY_MS,
        daysSinceLastEvent: this.lastSeen === -Infinity ? Infinity : (t - this.lastSeen) / DAY_MS,
        frequency: this.counts.purchase,
        monetary: this.monetary,
      },
      this.ctx.options.segments,
    );
  }

  /** Value, activity, enthusiast and price segments with English and Chinese labels. */
  segments(now?: number): Segments {
    const t = this.nowOr(now);
    const th = this.ctx.options.segments;
    const rfm = this.rfm(t);
    const value = valueSegment(rfm, th);
    const activity = activitySegment(this.firstSeen === Infinity ? Infinity : (t - this.firstSeen) / DAY_MS, rfm.daysSinceLastEvent, th);
    let enthusiast: Segments['enthusiast'];
    let price: Segments['price'];
    if (this.itemEvents >= th.minEventsForLabels) {
      // Leaf level: the deepest categories the user touched.
      let leafTotal = 0;
      let top: { key: string; score: number } | undefined;
      for (const [key, r] of this.records(CATEGORY)) {
        if (this.isLeafKey(key)) {
          const s = this.score(r, t);
          leafTotal += Math.max(0, s);
          if (!top || s > top.score || (s === top.score && key < top.key)) top = { key, score: s };
        }
      }
      if (top && leafTotal > 0 && top.score / leafTotal >= th.enthusiastShare) {
        const parts = top.key.split(CATEGORY_SEPARATOR);
        enthusiast = enthusiastLabel(parts[parts.length - 1]!);
      }
      price = priceSegment(this.relativePriceLevel(t));
    }
    const all = [value, activity, ...(enthusiast ? [enthusiast] : []), ...(price ? [price] : [])];
    return {
      value,
      activity,
      ...(enthusiast ? { enthusiast } : {}),
      ...(price ? { price } : {}),
      labels: { en: all.map((l) => l.en), zh: all.map((l) => l.zh) },
    };
  }

  /** Whether a category key is a leaf of some item (no remembered deeper key starts with it). */
  private isLeafKey(key: string): boolean {
    const prefix = key + CATEGORY_SEPARATOR;
    for (const [other] of this.records(CATEGORY)) if (other.startsWith(prefix)) return false;
    return true;
  }

  /**
   * The top affinities of each family with the events that shaped them: each remembered event's
   * decayed contribution at `now`, largest first, and the remainder the listed events leave.
   */
  explain(options: ExplainOptions = {}): ExplainedAffinity[] {
    const now = this.nowOr(options.now);
    const k = options.k ?? 3;
    const H = this.ctx.options.halfLivesMs;
    const out: ExplainedAffinity[] = [];
    for (const kind of ['category', 'brand', 'priceBand'] as const) {
      for (const a of this.affinities(kind, { now, k })) {
        const events = this.entries
          .remembered(this.recordOf(this.familyOf(kind), a.key), this.ctx.strings)
          .map((e) => ({ item: e.item, type: e.type, timestamp: e.timestamp, weight: e.weight, contribution: contributionAt(e, H, now) }))
          .sort((x, y) => Math.abs(y.contribution) - Math.abs(x.contribution) || x.timestamp - y.timestamp);
        const listed = events.reduce((s, e) => s + e.contribution, 0);
        out.push({ ...a, events, remainder: a.score - listed });
      }
    }
    return out;
  }

  /**
   * The profile as plain JSON (see {@link UserProfile.fromJSON}). `lean`: without the remembered
   * events of each affinity (explanations) and the fold-in items — what affinities, price ranges
   * and segments need, at a fraction of the size (the engine sends it to its read workers).
   */
  toJSON(options: { lean?: boolean } = {}): ProfileJson {
    const lean = options.lean === true;
    const E = this.entries;
    const entryOut = (r: number): EntryJson => ({ t: E.time(r), s: E.sums(r), top: lean ? [] : E.remembered(r, this.ctx.strings) });
    const entries = (f: number) => Object.fromEntries([...this.records(f)].map(([k, r]) => [k, entryOut(r)]));
    return {
      user: this.user,
      categories: entries(CATEGORY),
      brands: entries(BRAND),
      bands: entries(BAND),
      bandLevels: entries(BAND_LEVEL),
      total: E.time(TOTAL_R) === -Infinity ? null : entryOut(TOTAL_R),
      activity: E.time(ACTIVITY_R) === -Infinity ? null : entryOut(ACTIVITY_R),
      counts: { ...this.counts },
      firstSeen: this.firstSeen === Infinity ? null : this.firstSeen,
      lastSeen: this.lastSeen === -Infinity ? null : this.lastSeen,
      lastPurchase: this.lastPurchase === -Infinity ? null : this.lastPurchase,
      monetary: this.monetary,
      itemEvents: this.itemEvents,
      sessions: this.sessions,
      lastSession: this.lastSession ?? null,
      latentItems: lean ? [] : this.latentItems.entries(this.ctx.strings),
    };
  }

  /** @internal Rebuilds a profile from {@link UserProfile.toJSON} output; throws `ERR_FORMAT`. */
  static fromJSON(json: unknown, ctx: ProfileContext): UserProfile {
    const bad = (what: string, v: unknown) => profileError('ERR_FORMAT', what, 'profile', v);
    if (!isRecord(json) || typeof json.user !== 'string') throw bad('a profile object with a user', json);
    const p = new UserProfile(json.user, ctx);
    const n = ctx.options.halfLivesMs.length;
    const strings = ctx.strings;
    const E = p.entries;
    const entryFrom = (v: unknown, r: number): void => {
      if (!isRecord(v) || typeof v.t !== 'number' || !Array.isArray(v.s) || v.s.length !== n || !Array.isArray(v.top)) throw bad(`an entry {t, s[${n}], top}`, v);
      for (const x of v.s) if (typeof x !== 'number' || !Number.isFinite(x)) throw bad('finite accumulators', x);
      E.setSums(r, v.t, v.s as number[]);
      for (const ev of v.top as unknown[]) {
        if (!isRecord(ev) || typeof ev.item !== 'string' || typeof ev.timestamp !== 'number' || typeof ev.weight !== 'number' || typeof ev.halfLife !== 'number' || !Number.isInteger(ev.halfLife) || ev.halfLife < 0 || ev.halfLife >= n) throw bad('remembered events', ev);
        E.remember(r, strings.id(ev.item), strings.id(String(ev.type)), ev.timestamp, ev.weight, ev.halfLife, ctx.options.halfLivesMs);
      }
    };
    const familyFrom = (v: unknown, family: number, remembers: boolean): void => {
      if (!isRecord(v)) throw bad('a map of entries', v);
      for (const [k, e] of Object.entries(v)) entryFrom(e, E.get(family, strings.id(k), remembers));
    };
    familyFrom(json.categories, CATEGORY, true);
    familyFrom(json.brands, BRAND, true);
    familyFrom(json.bands, BAND, true);
    familyFrom(json.bandLevels, BAND_LEVEL, false);
    if (json.total !== null) entryFrom(json.total, TOTAL_R);
    if (json.activity !== null) entryFrom(json.activity, ACTIVITY_R);
    if (!isRecord(json.counts)) throw bad('event counts', json.counts);
    for (const type of EVENT_TYPES) p.counts[type] = Number(json.counts[type] ?? 0);
    const num = (v: unknown, dflt: number) => (v === null || v === undefined ? dflt : typeof v === 'number' ? v : (() => { throw bad('a number', v); })());
    p.firstSeen = num(json.firstSeen, Infinity);
    p.lastSeen = num(json.lastSeen, -Infinity);
    p.lastPurchase = num(json.lastPurchase, -Infinity);
    p.monetary = num(json.monetary, 0);
    p.itemEvents = num(json.itemEvents, 0);
    p.sessions = num(json.sessions, 0);
    p.lastSession = typeof json.lastSession === 'string' ? json.lastSession : undefined;
    if (!Array.isArray(json.latentItems)) throw bad('latent items', json.latentItems);
    for (const e of json.latentItems as unknown[]) if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number' || !Number.isFinite(e[1])) throw bad('latent items [item, weight]', e);
    p.latentItems = WeightList.of(json.latentItems as Array<[string, number]>, strings);
    p.latentDirty = p.latentItems.size > 0;
    return p;
  }
}

