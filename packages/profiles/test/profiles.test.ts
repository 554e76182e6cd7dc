import { describe, expect, it } from 'vitest';
import { createSyntheticShop, type EventRecord, type ItemRecord } from '@souk/data';
import { ALS } from '@souk/models';
import { csrFromRows } from '@souk/kernels';
import {
  batchAffinities,
  DAY_MS,
  ProfileCatalog,
  ProfileError,
  ProfileStore,
  rfmScores,
  valueSegment,
  DEFAULT_SEGMENT_THRESHOLDS,
  enthusiastLabel,
  DigestSignals,
} from '@souk/profiles';

const item = (id: string, path: string[], brand: string, price: number): ItemRecord => ({
  id, title: id, brand, categoryPath: path, price, tags: [], attributes: {}, inStock: true,
});

// A tiny hand-made catalog: root 全部, two top categories, prices 1..10 in phones.
const phones = Array.from({ length: 10 }, (_, i) => item(`p${i + 1}`, ['全部', '数码', '手机'], i < 5 ? '华为' : '小米', i + 1));
const headphones = Array.from({ length: 10 }, (_, i) => item(`h${i + 1}`, ['全部', '数码', '耳机'], '索尼', 100 + 10 * i));
const snacks = Array.from({ length: 10 }, (_, i) => item(`s${i + 1}`, ['全部', '食品', '零食'], '三只松鼠', 5 + i));
const items = [...phones, ...headphones, ...snacks];
const T0 = Date.UTC(2024, 0, 1);
const ev = (type: EventRecord['type'], itemId: string | undefined, days: number, extra: Partial<EventRecord> = {}): EventRecord => ({
  user: 'u1', type, timestamp: T0 + days * DAY_MS, ...(itemId ? { item: itemId } : {}), ...extra,
});

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProfileError);
    return (e as ProfileError).code;
  }
  return undefined;
}

describe('decay math', () => {
  it('matches hand-computed half-life decay', () => {
    const store = new ProfileStore({ catalog: items, halfLifeDays: 10 });
    store.update(ev('view', 'p1', 0)); // weight 1
    store.update(ev('purchase', 'p2', 10)); // weight 8
    const p = store.get('u1')!;
    // At day 10: 1·2^(−1) + 8 = 8.5 on the leaf 数码/手机.
    expect(p.affinity('category', '数码/手机')).toBeCloseTo(8.5, 12);
    // At day 30: 8.5 · 2^(−2) = 2.125.
    expect(p.affinity('category', '数码/手机', T0 + 30 * DAY_MS)).toBeCloseTo(2.125, 12);
    // Brand: p1 and p2 are both 华为.
    expect(p.affinity('brand', '华为', T0 + 20 * DAY_MS)).toBeCloseTo(0.25 + 4, 12);
  });

  it('uses per-type half-lives', () => {
    const store = new ProfileStore({ catalog: items, halfLifeDays: { view: 1, purchase: 100 } });
    store.update(ev('view', 'p1', 0));
    store.update(ev('purchase', 'p1', 0));
    const p = store.get('u1')!;
    // After 2 days: view 1·2^(−2) = 0.25, purchase 8·2^(−0.02).
    expect(p.affinity('category', '数码/手机', T0 + 2 * DAY_MS)).toBeCloseTo(0.25 + 8 * Math.pow(2, -0.02), 12);
  });

  it('out-of-order events give the same score as ordered ones', () => {
    const a = new ProfileStore({ catalog: items, halfLifeDays: 7 });
    const b = new ProfileStore({ catalog: items, halfLifeDays: 7 });
    const events = [ev('view', 'p1', 0), ev('click', 'p3', 3), ev('cart', 'h2', 5), ev('purchase', 'p3', 9)];
    for (const e of events) a.update(e);
    for (const e of [...events].reverse()) b.update(e);
    const now = T0 + 12 * DAY_MS;
    for (const key of ['数码', '数码/手机', '数码/耳机']) {
      expect(b.get('u1')!.affinity('category', key, now)).toBeCloseTo(a.get('u1')!.affinity('category', key, now), 12);
    }
  });
});

describe('category tree, brands, price bands', () => {
  it('propagates up the tree with damping and skips the shared root', () => {
    const store = new ProfileStore({ catalog: items, categoryDamping: 0.5, halfLifeDays: 30 });
    expect(store.catalog.root).toBe('全部');
    store.update(ev('click', 'p1', 0)); // weight 2
    const p = store.get('u1')!;
    expect(p.affinity('category', '数码/手机')).toBeCloseTo(2, 12);
    expect(p.affinity('category', '数码')).toBeCloseTo(1, 12);
    expect(p.affinity('category', '全部')).toBe(0);
    store.update(ev('view', 'h1', 0)); // weight 1: 数码 gets 0.5 more
    expect(p.affinity('category', '数码')).toBeCloseTo(1.5, 12);
    const top = p.affinities('category', { depth: 0 });
    expect(top.map((a) => a.key)).toEqual(['数码']);
    // Category affinity as a share: leaf 2/3, parent (1.5/3)/0.5 = 1 → mean 0.8333.
    expect(p.categoryAffinity(['全部', '数码', '手机'])).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(p.categoryAffinity(['全部', '食品', '零食'])).toBe(0);
    expect(p.brandAffinity('华为')).toBeCloseTo(2 / 3, 12);
  });

  it('derives band edges from price quantiles per category and falls back to the parent', () => {
    const catalog = ProfileCatalog.fromItems(items, { priceBands: 5, minItemsPerBandNode: 10 });
    // Phones 1..10: quantiles at 0.2, 0.4, 0.6, 0.8 (linear interpolation) = 2.8, 4.6, 6.4, 8.2.
    const scheme = catalog.scheme('数码/手机')!;
    expect(scheme.edges.map((e) => +e.toFixed(10))).toEqual([2.8, 4.6, 6.4, 8.2]);
    expect(catalog.item('p1')!.band).toBe(0);
    expect(catalog.item('p3')!.band).toBe(1);
    expect(catalog.item('p10')!.band).toBe(4);
    expect(catalog.bandRange('数码/手机', 0)).toEqual({ low: 1, high: 2.8 });
    // With 20 required items, leaves fall back to 数码 (20 items) and 食品 has none → catalog-wide.
    const coarse = ProfileCatalog.fromItems(items, { priceBands: 5, minItemsPerBandNode: 20 });
    expect(coarse.item('p1')!.bandNode).toBe('数码');
    expect(coarse.item('s1')!.bandNode).toBe('');
  });

  it('prefers the band the user engages with, and transfers it to unseen categories', () => {
    const store = new ProfileStore({ catalog: items });
    for (const id of ['p1', 'p2', 'p2']) store.update(ev('purchase', id, 1));
    const p = store.get('u1')!;
    expect(p.preferredPriceRange(['全部', '数码', '手机'])).toEqual({ low: 1, high: 2.8 });
    // Headphones: no band there yet → the user's strongest band level (0) on headphone edges.
    expect(p.preferredPriceRange(['全部', '数码', '耳机'])!.low).toBe(100);
    const bands = p.affinities('priceBand');
    expect(bands[0]!.key).toBe('数码/手机#0');
    expect(bands[0]!.range).toEqual({ low: 1, high: 2.8 });
  });
});

describe('incremental == batch rebuild', () => {
  for (const locale of ['en', 'zh'] as const) {
    it(`agrees with the batch reference on the synthetic shop (${locale})`, () => {
      const shop = createSyntheticShop({ seed: 7, locale, items: 300, users: 50 });
      const events = [...shop.events({ events: 4000 })];
      const store = new ProfileStore({ catalog: shop.items, halfLifeDays: { view: 7, click: 14, cart: 30, purchase: 60, rating: 60, search: 7 } });
      // Shuffle to exercise out-of-order updates.
      const shuffled = events.map((e, i) => [((i * 2654435761) >>> 0) % 1000003, e] as const).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
      store.updateAll(shuffled);
      const now = Math.max(...events.map((e) => e.timestamp)) + DAY_MS;
      let checked = 0;
      for (const user of [...store.users()].slice(0, 20)) {
        const batch = batchAffinities(events.filter((e) => e.user === user), store.catalog, store.options, now);
        const p = store.get(user)!;
        for (const kind of ['category', 'brand', 'priceBand'] as const) {
          const inc = p.affinities(kind, { now });
          expect(inc.length).toBe(batch[kind].size);
          for (const a of inc) {
            const ref = batch[kind].get(a.key)!;
            expect(Math.abs(a.score - ref)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref)));
            checked++;
          }
        }
        expect(p.totalWeight(now)).toBeCloseTo(batch.total, 9);
      }
      expect(checked).toBeGreaterThan(100);
    });
  }

  it('updates in microseconds (O(depth) per event)', () => {
    const shop = createSyntheticShop({ seed: 3, items: 1000, users: 500 });
    const events = [...shop.events({ events: 50_000 })];
    const store = new ProfileStore({ catalog: shop.items });
    const start = performance.now();
    store.updateAll(events);
    const ms = performance.now() - start;
    const opsPerSec = events.length / (ms / 1000);
    console.log(`[profiles] ${events.length} events in ${ms.toFixed(1)} ms: ${Math.round(opsPerSec).toLocaleString('en')} events/s, ${((ms * 1000) / events.length).toFixed(2)} µs/event`);
    expect(store.size).toBeGreaterThan(100);
  });
});

describe('digest and lean JSON (what the engine copies to its read workers)', () => {
  for (const locale of ['en', 'zh'] as const) {
    it(`give exactly the profile's signals on the synthetic shop (${locale})`, () => {
      const shop = createSyntheticShop({ seed: 11, locale, items: 400, users: 60 });
      const events = [...shop.events({ events: 5000 })];
      const store = new ProfileStore({ catalog: shop.items, halfLifeDays: { view: 7, click: 14, cart: 30, purchase: 60, rating: 60, search: 7 } });
      store.updateAll(events);
      const now = Math.max(...events.map((e) => e.timestamp)) + 3 * DAY_MS;
      const paths = [...new Map(shop.items.map((i) => [i.categoryPath.join('/'), i.categoryPath])).values()];
      const brands = [...new Set(shop.items.map((i) => i.brand).filter((b): b is string => b !== undefined)), 'no-such-brand'];
      let compared = 0;
      for (const user of [...store.users()].slice(0, 25)) {
        const p = store.get(user)!;
        // Through a structured clone, as a worker receives it.
        const d = new DigestSignals(structuredClone(p.digest(now)), store.catalog);
        const lean = store.detached(structuredClone(p.toJSON({ lean: true })));
        for (const path of [...paths, ['no', 'such', 'path']]) {
          expect(d.categoryAffinity(path, now)).toBe(p.categoryAffinity(path, now));
          expect(lean.categoryAffinity(path, now)).toBe(p.categoryAffinity(path, now));
          expect(d.preferredPriceRange(path, now)).toEqual(p.preferredPriceRange(path, now));
          compared++;
        }
        for (const b of brands) expect(d.brandAffinity(b, now)).toBe(p.brandAffinity(b, now));
        const top = p.affinities('category', { k: 3, now }).filter((a) => a.score > 0).map((a) => a.path);
        expect(d.topCategories(3)).toEqual(top);
        expect(p.latentEntries()).toEqual(p.toJSON().latentItems);
        expect(lean.toJSON().latentItems).toEqual([]);
      }
      expect(compared).toBeGreaterThan(100);
    });
  }

  it('of a user without item events scores nothing', () => {
    const store = new ProfileStore({ catalog: items });
    store.update(ev('search', undefined, 0, { value: undefined, query: 'phone' } as Partial<EventRecord>));
    const p = store.get('u1')!;
    const d = new DigestSignals(p.digest(T0), store.catalog);
    expect(d.categoryAffinity(['全部', '数码', '手机'])).toBe(0);
    expect(d.brandAffinity('华为')).toBe(0);
    expect(d.preferredPriceRange(['全部', '数码', '手机'])).toBeUndefined();
    expect(d.topCategories(3)).toEqual([]);
  });
});

describe('explain', () => {
  it('lists the events behind each top affinity with decayed contributions that add up', () => {
    const store = new ProfileStore({ catalog: items, halfLifeDays: 10, explainEvents: 2 });
    store.update(ev('view', 'p1', 0));
    store.update(ev('purchase', 'p2', 5));
    store.update(ev('click', 'p3', 10));
    const p = store.get('u1')!;
    const leaf = p.explain({ k: 1 }).find((a) => a.kind === 'category')!;
    expect(leaf.key).toBe('数码/手机');
    // Two strongest kept: purchase 8·2^(−0.5) and click 2; the view 1·2^(−1) is the remainder.
    expect(leaf.events.map((e) => e.type)).toEqual(['purchase', 'click']);
    expect(leaf.events[0]!.contribution).toBeCloseTo(8 * Math.SQRT1_2, 12);
    expect(leaf.events[1]!.contribution).toBeCloseTo(2, 12);
    expect(leaf.remainder).toBeCloseTo(0.5, 12);
    const brand = p.explain().filter((a) => a.kind === 'brand');
    expect(brand[0]!.key).toBe('华为');
  });
});

describe('segments and labels', () => {
  it('scores RFM against cut points by hand', () => {
    const r = rfmScores({ recencyDays: 10, daysSinceLastEvent: 1, frequency: 6, monetary: 600 }, DEFAULT_SEGMENT_THRESHOLDS);
    // recency 10 > 7 → 4; frequency 6 ≥ 2,3,5 → 4; monetary 600 ≥ 50,200,500 → 4.
    expect(r.scores).toEqual({ recency: 4, frequency: 4, monetary: 4 });
    expect(valueSegment(r, DEFAULT_SEGMENT_THRESHOLDS).id).toBe('champion');
    const lapsed = rfmScores({ recencyDays: 90, daysSinceLastEvent: 90, frequency: 3, monetary: 100 }, DEFAULT_SEGMENT_THRESHOLDS);
    expect(lapsed.scores.recency).toBe(1);
    expect(valueSegment(lapsed, DEFAULT_SEGMENT_THRESHOLDS).id).toBe('at-risk');
    const rich = rfmScores({ recencyDays: 20, daysSinceLastEvent: 2, frequency: 1, monetary: 2000 }, DEFAULT_SEGMENT_THRESHOLDS);
    expect(valueSegment(rich, DEFAULT_SEGMENT_THRESHOLDS).id).toBe('high-value');
    const none = rfmScores({ recencyDays: Infinity, daysSinceLastEvent: 3, frequency: 0, monetary: 0 }, DEFAULT_SEGMENT_THRESHOLDS);
    expect(none.scores).toEqual({ recency: 0, frequency: 0, monetary: 0 });
    expect(valueSegment(none, DEFAULT_SEGMENT_THRESHOLDS).id).toBe('browser');
  });

  it('labels a phone enthusiast and a bargain hunter in English and Chinese', () => {
    const store = new ProfileStore({ catalog: items });
    for (let d = 0; d < 6; d++) store.update(ev('view', `p${1 + (d % 2)}`, d));
    store.update(ev('purchase', 'p1', 20, { value: 1200 }));
    store.update(ev('view', 's1', 20));
    const seg = store.get('u1')!.segments();
    expect(seg.enthusiast).toEqual(enthusiastLabel('手机'));
    expect(seg.labels.zh).toContain('手机爱好者');
    expect(seg.labels.en).toContain('手机 enthusiast');
    expect(seg.price!.id).toBe('bargain-hunter');
    expect(seg.labels.zh).toContain('价格敏感');
    expect(seg.value.id).toBe('high-value'); // one purchase of 1,200 ≥ 1,000
    expect(seg.activity.id).toBe('active');
    expect(store.get('u1')!.segments(T0 + 100 * DAY_MS).activity.id).toBe('inactive');
    expect(store.get('u1')!.segments(T0 + 100 * DAY_MS).value.id).toBe('at-risk');
  });

  it('calibrates monetary cut points from the population', () => {
    const store = new ProfileStore({ catalog: items });
    for (let u = 0; u < 10; u++) store.update({ user: `u${u}`, type: 'purchase', item: 'p1', value: 100 * (u + 1), timestamp: T0 });
    const cuts = store.calibrateSegments();
    expect(cuts.monetary).toEqual([280, 460, 640, 820]);
    expect(store.get('u9')!.rfm().scores.monetary).toBe(5);
    expect(store.get('u0')!.rfm().scores.monetary).toBe(1);
  });
});

describe('store: export, import, erasure, errors', () => {
  it('round-trips through JSON and erases a user', () => {
    const shop = createSyntheticShop({ seed: 11, locale: 'zh', items: 200, users: 30 });
    const store = new ProfileStore({ catalog: shop.items, halfLifeDays: { view: 5, purchase: 50 } });
    const events = [...shop.events({ events: 2000 })];
    store.updateAll(events.slice(0, 1500));
    const restored = ProfileStore.import(JSON.stringify(store.export()), { catalog: shop.items });
    expect(restored.size).toBe(store.size);
    // Continuing on both gives identical profiles.
    store.updateAll(events.slice(1500));
    restored.updateAll(events.slice(1500));
    expect(JSON.stringify(restored.export())).toBe(JSON.stringify(store.export()));
    const user = [...store.users()][0]!;
    expect(store.erase(user)).toBe(true);
    expect(store.get(user)).toBeUndefined();
    expect(store.erase(user)).toBe(false);
    expect(JSON.stringify(store.export())).not.toContain(`"${user}"`);
  });

  it('rejects bad input with codes and leaves the profile untouched', () => {
    const store = new ProfileStore({ catalog: items });
    expect(codeOf(() => store.update({ ...ev('view', 'p1', 0), type: 'like' as never }))).toBe('ERR_EVENT_TYPE');
    expect(codeOf(() => store.update({ ...ev('view', 'p1', 0), timestamp: NaN }))).toBe('ERR_TIMESTAMP');
    expect(codeOf(() => store.update(ev('view', 'nope', 0)))).toBe('ERR_UNKNOWN_ITEM');
    expect(codeOf(() => store.update(ev('click', undefined, 0)))).toBe('ERR_MISSING_ITEM');
    expect(codeOf(() => store.update(ev('rating', 'p1', 0, { value: Infinity })))).toBe('ERR_VALUE');
    expect(codeOf(() => new ProfileStore({ catalog: items, halfLifeDays: -1 }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => ProfileStore.import('{"format":"other"}', { catalog: items }))).toBe('ERR_FORMAT');
    expect(codeOf(() => ProfileStore.import('not json', { catalog: items }))).toBe('ERR_FORMAT');
    expect(codeOf(() => ProfileStore.import({ format: 'souk-profiles', version: 99, options: {}, profiles: [] }, { catalog: items }))).toBe('ERR_FORMAT');
    expect(store.size).toBe(0);
    store.update(ev('search', undefined, 0, { query: '手机' }));
    expect(store.get('u1')!.eventCounts.search).toBe(1);
    expect(store.get('u1')!.affinities('category')).toEqual([]);
  });
});

describe('latent vector from ALS fold-in', () => {
  it('equals the model fold-in of the user items and is recomputed lazily', async () => {
    const shop = createSyntheticShop({ seed: 5, items: 120, users: 40 });
    const events = [...shop.events({ events: 3000 })].filter((e) => e.item);
    const ids = shop.items.map((i) => i.id);
    const index = new Map(ids.map((id, i) => [id, i]));
    const users = [...new Set(events.map((e) => e.user))];
    const rows = users.map((u) => events.filter((e) => e.user === u).map((e) => index.get(e.item!)!));
    const pattern = csrFromRows(rows);
    const csr = { ...pattern, data: new Float32Array(pattern.indices.length).fill(1), rows: users.length, cols: ids.length };
    const als = new ALS({ factors: 8, iterations: 5, calculateTrainingLoss: false, solver: 'cholesky' });
    await als.fit({ csr, userIds: users, itemIds: ids });
    let calls = 0;
    const model = { recalculateUser: (x: Parameters<ALS['recalculateUser']>[0]) => (calls++, als.recalculateUser(x)), itemIndexOf: (i: string | number) => als.itemIndexOf(i) };
    const store = new ProfileStore({ catalog: shop.items, model });
    const mine = [ev('view', ids[0], 0), ev('purchase', ids[1], 1), ev('view', ids[0], 2)].map((e) => ({ ...e, user: 'new-user' }));
    store.updateAll(mine);
    expect(calls).toBe(0);
    const v = store.get('new-user')!.latentVector()!;
    expect(calls).toBe(1);
    expect(store.get('new-user')!.latentVector()).toBe(v);
    expect(calls).toBe(1);
    const expected = als.recalculateUser({ items: [ids[0]!, ids[1]!], values: [2, 8] });
    expect(Array.from(v)).toEqual(Array.from(expected));
  });
});

describe('latent policy and bounds', () => {
  it('re-folds on every item event when eager and keeps at most maxLatentItems items', () => {
    let calls = 0;
    let lastSize = 0;
    const model = {
      recalculateUser: (x: { items: ReadonlyArray<string | number>; values?: ArrayLike<number> }) => {
        calls++;
        lastSize = x.items.length;
        return Float32Array.from([x.items.length]);
      },
      itemIndexOf: (i: string | number) => {
        if (i === 's1') throw new Error('unknown to the model');
        return 0;
      },
    };
    const store = new ProfileStore({ catalog: items, model, latentUpdate: 'eager', maxLatentItems: 4 });
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'h1', 'h2', 's1'];
    ids.forEach((id, d) => store.update(ev('view', id, d)));
    store.update(ev('search', undefined, 10, { query: 'x' }));
    // One fold-in per item event the model knows (s1 is unknown to it; searches have no item).
    expect(calls).toBe(8);
    // Trimmed back to 4 whenever the map exceeds 4 + 4/4 = 5, and before every fold-in over 4.
    expect(lastSize).toBeLessThanOrEqual(4);
    expect(store.get('u1')!.toJSON().latentItems.length).toBeLessThanOrEqual(5);
    expect(Array.from(store.get('u1')!.latentVector()!)).toEqual([lastSize]);
  });
});
