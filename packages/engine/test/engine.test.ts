import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '@souk/engine';
import { expectCode, itemsByLeaf, leafOf, purchases, shopEvents, smallShop } from './helpers.js';

const shop = smallShop();
const events = shopEvents(shop, 8000);
const leaves = itemsByLeaf(shop.items);

describe('engine over an in-memory store', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.open({ dataDir: ':memory:', modelParams: { als: { factors: 16, iterations: 8, seed: 1 } } });
    expect(await engine.ingestItems(shop.items)).toEqual({ inserted: shop.items.length, updated: 0, rejected: [] });
    const res = await engine.ingestEvents(events);
    expect(res).toMatchObject({ accepted: events.length, rejected: [], duplicateBatch: false });
    expect(res.usersUpdated).toBe(new Set(events.map((e) => e.user)).size);
  });
  afterAll(() => engine.close());

  it('searches with filters and facets', async () => {
    const query = shop.queries[0]!;
    const all = await engine.search(query.text, { k: 10, facets: { brands: true, categories: true } });
    expect(all.items.length).toBeGreaterThan(0);
    const relevant = new Set(query.relevance.filter((r) => r.grade >= 2).map((r) => r.item));
    expect(all.items.slice(0, 5).some((r) => relevant.has(r.item.id))).toBe(true);
    expect(all.facets.brands!.length).toBeGreaterThan(0);
    expect(all.personalized).toBe(false);
    expect(all.items.map((r) => r.position)).toEqual(all.items.map((_, i) => i + 1));
    const top = all.items[0]!.item.categoryPath.slice(0, 2);
    const filtered = await engine.search(query.text, { k: 10, filters: { category: top, inStock: true } });
    expect(filtered.items.length).toBeGreaterThan(0);
    for (const r of filtered.items) {
      expect(r.item.categoryPath.slice(0, 2)).toEqual(top);
      expect(r.item.inStock).toBe(true);
    }
    const cheap = await engine.search(query.text, { k: 10, sort: 'price_asc' });
    const prices = cheap.items.map((r) => r.item.price!);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    const page2 = await engine.search(query.text, { k: 3, offset: 3 });
    expect(page2.items.map((r) => r.item.id)).toEqual(all.items.slice(3, 6).map((r) => r.item.id));
    const explained = await engine.search(query.text, { k: 3, explain: true });
    const e = explained.items[0]!.explanation!;
    expect(Object.values(e).reduce((a, b) => a + b, 0)).toBeCloseTo(explained.items[0]!.score!, 6);
    // The text index's result cache answers a repeat, and the engine counts it.
    const before = engine.stats().searchCache;
    const again = await engine.search(query.text, { k: 10, facets: { brands: true, categories: true } });
    expect(again.items.map((r) => r.item.id)).toEqual(all.items.map((r) => r.item.id));
    expect(again.facets).toEqual(all.facets);
    expect(engine.stats().searchCache).toEqual({ hits: before.hits + 1, misses: before.misses });
  });

  it('personalises search for a user with a strong affinity', async () => {
    // A department name matches every item of its leaves; the fan buys in its least visible leaf.
    const department = shop.items[0]!.categoryPath[1]!;
    const anonymous = await engine.search(department, { k: 10 });
    expect(anonymous.total).toBeGreaterThan(20);
    const countIn = (items: typeof anonymous.items, leaf: string) => items.filter((r) => leafOf(r.item) === leaf).length;
    const departmentLeaves = [...leaves.keys()].filter((l) => l.split('/')[1] === department);
    const leaf = departmentLeaves.sort((a, b) => countIn(anonymous.items, a) - countIn(anonymous.items, b))[0]!;
    await engine.ingestEvents(purchases('fan-1', leaves.get(leaf)!.slice(0, 8)));
    const personal = await engine.search(department, { k: 10, user: 'fan-1' });
    expect(personal.personalized).toBe(true);
    expect(countIn(personal.items, leaf)).toBeGreaterThan(countIn(anonymous.items, leaf));
    expect(leafOf(personal.items[0]!.item)).toBe(leaf);
    const off = await engine.search(department, { k: 10, user: 'fan-1', personalize: false });
    expect(off.personalized).toBe(false);
    expect(off.items.map((r) => r.item.id)).toEqual(anonymous.items.map((r) => r.item.id));
  });

  it('recommends popular items before training, by profile category when there is one', async () => {
    const cold = await engine.recommend('nobody-at-all', { k: 8 });
    expect(cold.source).toBe('popular');
    expect(cold.items).toHaveLength(8);
    expect(cold.modelVersion).toBeUndefined();
    expect(new Set(cold.items.map((r) => r.reason))).toEqual(new Set(['popular']));
    const leaf = [...leaves.keys()][2]!;
    await engine.ingestEvents(purchases('cat-lover', leaves.get(leaf)!.slice(0, 3)));
    const warm = await engine.recommend('cat-lover', { k: 5 });
    expect(warm.source).toBe('profile-popular');
    const bought = new Set(leaves.get(leaf)!.slice(0, 3).map((i) => i.id));
    for (const r of warm.items) expect(bought.has(r.item.id)).toBe(false);
    expect(warm.items.filter((r) => r.item.categoryPath.slice(0, 2).join('/') === leaf.split('/').slice(0, 2).join('/')).length).toBeGreaterThan(0);
    const context = await engine.recommend('nobody-at-all', { k: 5, context: { item: leaves.get(leaf)![5]!.id } });
    expect(context.source).toBe('profile-popular');
    expect(context.items.every((r) => leafOf(r.item) === leaf)).toBe(true);
    expect(context.items.every((r) => r.reason === 'popular-in-category')).toBe(true);
  });

  it('retrains (better than popularity on the holdout), then recommends from the model and folds in new users at once', async () => {
    const job = await engine.retrain();
    expect(job.state).toBe('running');
    const done = (await engine.waitForRetrain())!;
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.metrics!.ndcg).toBeGreaterThan(done.metrics!.popularityNdcg!);
    expect(done.metrics!.recall).toBeGreaterThan(done.metrics!.popularityRecall!);
    expect(engine.stats()).toMatchObject({ modelVersion: done.version, modelName: 'als', items: shop.items.length });

    const known = events[0]!.user;
    const rec = await engine.recommend(known, { k: 10 });
    expect(rec.source).toBe('model');
    expect(rec.modelVersion).toBe(done.version);
    const seen = new Set(events.filter((e) => e.user === known && e.item).map((e) => e.item));
    for (const r of rec.items) expect(seen.has(r.item.id)).toBe(false);

    // A user the model never saw: popular first, then their events move the list at once.
    const before = await engine.recommend('newcomer', { k: 10 });
    expect(before.source).toBe('popular');
    const leaf = [...leaves.keys()][4]!;
    await engine.ingestEvents(purchases('newcomer', leaves.get(leaf)!.slice(0, 4)));
    const after = await engine.recommend('newcomer', { k: 10 });
    expect(after.source).toBe('fold-in');
    expect(after.items.map((r) => r.item.id)).not.toEqual(before.items.map((r) => r.item.id));
    const top = leaf.split('/').slice(0, 2).join('/');
    expect(after.items.slice(0, 5).filter((r) => r.item.categoryPath.slice(0, 2).join('/') === top).length).toBeGreaterThanOrEqual(3);
    expect(engine.profile('newcomer')!.hasVector).toBe(true);

    const filtered = await engine.recommend(known, { k: 5, filters: { price: { max: 20 } } });
    for (const r of filtered.items) expect(r.item.price!).toBeLessThanOrEqual(20);
  });

  it('finds similar items from the model, and by category for items the model does not know', async () => {
    const item = events.find((e) => e.item)!.item!;
    const sim = await engine.similar(item, { k: 5 });
    expect(sim.source).toBe('model');
    expect(sim.items).toHaveLength(5);
    expect(sim.items.some((r) => r.item.id === item)).toBe(false);
    const fresh = { ...shop.items[0]!, id: 'brand-new-item', title: 'brand new thing' };
    expect(await engine.ingestItems([fresh])).toMatchObject({ inserted: 1, updated: 0 });
    const cold = await engine.similar('brand-new-item', { k: 3 });
    expect(cold.source).toBe('category');
    for (const r of cold.items) expect(leafOf(r.item)).toBe(leafOf(fresh));
    expect(await engine.ingestItems([{ ...fresh, title: 'renamed thing' }])).toMatchObject({ inserted: 0, updated: 1 });
    expect(engine.item('brand-new-item')!.title).toBe('renamed thing');
    expect((await engine.search('renamed', { k: 3 })).items[0]!.item.id).toBe('brand-new-item');
  });

  it('shows profiles with segments, affinities and explanations', async () => {
    const user = events[0]!.user;
    const p = engine.profile(user)!;
    expect(p.user).toBe(user);
    expect(p.events).toBe(events.filter((e) => e.user === user).length);
    expect(p.segments.map((s) => s.kind)).toEqual(expect.arrayContaining(['value', 'activity']));
    for (const s of p.segments) expect(s.labelZh!.length).toBeGreaterThan(0);
    expect(p.affinities.categories.length).toBeGreaterThan(0);
    expect(p.affinities.categories[0]!.score).toBeGreaterThan(0);
    expect(p.hasVector).toBe(true);
    expect(Array.isArray(p.explanation)).toBe(true);
    expect(engine.profile('never-seen')).toBeUndefined();
  });

  it('stores a batch once per batch id', async () => {
    const batch = purchases('batcher', shop.items.slice(10, 12));
    const first = await engine.ingestEvents([...batch, { user: 'batcher', type: 'view', timestamp: 1 }], { batchId: 'b-1' });
    expect(first).toMatchObject({ accepted: 4, duplicateBatch: false, usersUpdated: 1 });
    expect(first.rejected).toEqual([{ index: 4, code: 'ERR_SCHEMA', field: 'item', reason: expect.any(String) }]);
    const events = engine.stats().events;
    const again = await engine.ingestEvents([...batch, { user: 'batcher', type: 'view', timestamp: 1 }], { batchId: 'b-1' });
    expect(again).toEqual({ ...first, duplicateBatch: true });
    expect(engine.stats().events).toBe(events);
    expect(engine.profile('batcher')!.events).toBe(4);
  });

  it('refuses bad input with typed codes', async () => {
    const res = await engine.ingestEvents([
      { user: '', item: shop.items[0]!.id, type: 'view', timestamp: 1 },
      { user: 'u', item: 'no-such-item', type: 'view', timestamp: 1 },
      { user: 'u', item: shop.items[0]!.id, type: 'teleport', timestamp: 1 },
    ]);
    expect(res.accepted).toBe(0);
    expect(res.rejected.map((r) => [r.index, r.code])).toEqual([[0, 'ERR_SCHEMA'], [1, 'ERR_UNKNOWN_ITEM'], [2, 'ERR_SCHEMA']]);
    expect((await engine.ingestItems([{ id: 'x' }])).rejected[0]!.code).toBe('ERR_SCHEMA');
    await expectCode(() => engine.recommend(''), 'ERR_ARGUMENT');
    await expectCode(() => engine.recommend('u', { k: 0 }), 'ERR_ARGUMENT');
    await expectCode(() => engine.recommend('u', { k: 101 }), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('', {}), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('!!!', {}), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('bag', { k: 2.5 }), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('bag', { filters: { color: 'red' } as never }), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('bag', { filters: { price: { min: 'cheap' } } as never }), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('bag', { sort: 'random' as never }), 'ERR_ARGUMENT');
    await expectCode(() => engine.search('bag', { rules: { pin: [{ item: 'no-such-item', position: 1 }] } }), 'ERR_UNKNOWN_ITEM');
    await expectCode(() => engine.similar('no-such-item'), 'ERR_UNKNOWN_ITEM');
    await expectCode(() => engine.similar(''), 'ERR_ARGUMENT');
    await expectCode(() => engine.recommend('u', { context: { item: 'no-such-item' } }), 'ERR_UNKNOWN_ITEM');
    await expectCode(() => engine.profile(''), 'ERR_ARGUMENT');
    await expectCode(() => engine.ingestEvents('not an array' as never), 'ERR_ARGUMENT');
    await expectCode(() => engine.ingestEvents([], { batchId: '' }), 'ERR_ARGUMENT');
    await expectCode(() => engine.retrain({ model: 'magic' as never }), 'ERR_ARGUMENT');
    await expectCode(() => engine.retrain({ params: { factors: -3 } }), 'ERR_ARGUMENT');
    await expectCode(() => Engine.open({ dataDir: '' }), 'ERR_ARGUMENT');
    await expectCode(() => Engine.open(undefined as never), 'ERR_ARGUMENT');
    await expectCode(() => Engine.open({ dataDir: ':memory:', pseudonymizeSecret: 'short' }), 'ERR_ARGUMENT');
  });
});

describe('engine over a Chinese catalog, with pseudonymised users', () => {
  it('searches Chinese text with filters and keeps callers\' ids', async () => {
    const zh = smallShop('zh');
    const engine = await Engine.open({ dataDir: ':memory:', pseudonymizeSecret: 'a secret of enough bytes' });
    try {
      await engine.ingestItems(zh.items);
      const zhEvents = shopEvents(zh, 2000);
      await engine.ingestEvents(zhEvents);
      const query = zh.queries.find((q) => /[\u4e00-\u9fff]/u.test(q.text))!;
      const res = await engine.search(query.text, { k: 10, facets: { categories: true } });
      const relevant = new Set(query.relevance.map((r) => r.item));
      expect(res.items.length).toBeGreaterThan(0);
      expect(relevant.has(res.items[0]!.item.id)).toBe(true);
      expect(res.facets.categories!.length).toBeGreaterThan(0);
      const root = res.items[0]!.item.categoryPath.slice(0, 2);
      const filtered = await engine.search(query.text, { k: 10, filters: { category: root } });
      for (const r of filtered.items) expect(r.item.categoryPath.slice(0, 2)).toEqual(root);
      const user = zhEvents[0]!.user;
      const p = engine.profile(user)!;
      expect(p.user).toBe(user);
      expect((await engine.recommend(user, { k: 3 })).user).toBe(user);
      const inventory = await engine.inventory();
      expect(JSON.stringify(inventory)).not.toContain(`"${user}"`);
    } finally {
      await engine.close();
    }
  });
});
