import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemRecord } from '@souk/data';
import { Engine, type EngineOptions } from '@souk/engine';
import { expectCode, itemsByLeaf, purchases, shopEvents, smallShop } from './helpers.js';

// Read workers must give exactly the event loop's answers: two engines over copies of one data
// directory (same events, same model), one answering on the event loop, one through a worker.
const shop = smallShop();
const events = shopEvents(shop, 6000);
const NOW = Date.parse('2024-06-01T00:00:00Z');
const base = (dataDir: string): EngineOptions => ({ dataDir, now: () => NOW, modelParams: { als: { factors: 16, iterations: 6, seed: 2 } } });

let local: Engine;
let worker: Engine;

async function ready(engine: Engine): Promise<void> {
  const until = Date.now() + 30_000;
  while ((engine.stats().reads?.ready ?? 0) < (engine.stats().reads?.workers ?? 1)) {
    if (Date.now() > until) throw new Error('the read worker did not become ready');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const strip = <T extends { tookMs: number }>(r: T) => ({ ...r, tookMs: 0 });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'souk-reads-'));
  const build = await Engine.open(base(dir));
  await build.ingestItems(shop.items);
  await build.ingestEvents(events);
  await build.retrain();
  expect((await build.waitForRetrain())!.state).toBe('succeeded');
  await build.close();
  const copy = mkdtempSync(join(tmpdir(), 'souk-reads-copy-'));
  cpSync(dir, copy, { recursive: true });
  local = await Engine.open(base(dir));
  worker = await Engine.open({ ...base(copy), readWorkers: 1 });
  await ready(worker);
}, 120_000);

afterAll(async () => {
  await local?.close();
  await worker?.close();
});

describe('read workers', () => {
  it('answer searches exactly as the event loop does (personalised, filtered, faceted, paged, explained, sampled)', async () => {
    const users = [...new Set(events.map((e) => e.user))].slice(0, 8);
    const brand = shop.items.find((i) => i.brand)!.brand!;
    const before = worker.stats().reads!.served[0]!;
    let compared = 0;
    for (const [qi, q] of shop.queries.slice(0, 12).entries()) {
      const variants = [
        {},
        { user: users[qi % users.length]! },
        { user: users[(qi + 1) % users.length]!, filters: { brand: [brand] }, facets: { brands: true, categories: true, priceBands: [10, 50, 100] } },
        { user: 'never-seen', k: 5, offset: 3, explain: true },
        { user: users[0]!, mode: 'sample' as const, seed: 9, temperature: 0.5, k: 7 },
        { diversity: { maxPerBrand: 2 } },
      ];
      for (const options of variants) {
        expect(strip(await worker.search(q.text, options))).toEqual(strip(await local.search(q.text, options)));
        compared++;
      }
    }
    expect(compared).toBe(72);
    // They were answered by the worker, not the event loop.
    expect(worker.stats().reads!.served[0]! - before).toBe(compared);
  });

  it('answer recommendations exactly as the event loop does (model users, context, filters, cold users)', async () => {
    const users = [...new Set(events.map((e) => e.user))].slice(0, 20);
    const item = shop.items[17]!;
    let compared = 0;
    for (const [i, user] of [...users, 'cold-user'].entries()) {
      const variants = [
        { k: 10 },
        { k: 5, context: { item: item.id } },
        { k: 8, filters: { category: item.categoryPath.slice(0, 2) } },
        { k: 6, excludeSeen: false, context: { query: shop.queries[i % shop.queries.length]!.text } },
        { k: 4, mode: 'softmax' as const, seed: i },
      ];
      for (const options of variants) {
        const a = await local.recommend(user, options);
        const b = await worker.recommend(user, options);
        expect(strip(b)).toEqual(strip(a));
        compared++;
      }
    }
    expect((await worker.recommend(users[0]!)).source).toBe('model');
    expect((await worker.recommend('cold-user')).source).toBe('popular');
    expect(compared).toBe(105);
  });

  it('see a write as soon as it is acknowledged: new items, new users, engagement', async () => {
    const leaf = [...itemsByLeaf(shop.items).values()].find((l) => l.length >= 6)!;
    const fresh: ItemRecord = { ...leaf[0]!, id: 'brand-new-zorblax', title: 'Zorblax ultralight trail widget', tags: ['zorblax'] };
    for (const engine of [local, worker]) {
      await engine.ingestItems([fresh]);
      const hit = await engine.search('zorblax', { k: 3 });
      expect(hit.items.map((r) => r.item.id)).toEqual(['brand-new-zorblax']);
      // A new user's purchases shape the very next answer (fold-in vector, profile).
      await engine.ingestEvents(purchases('newcomer', leaf.slice(1, 5), NOW - 3_600_000));
      const rec = await engine.recommend('newcomer', { k: 10 });
      expect(rec.source).toBe('fold-in');
      expect(rec.items.some((r) => leaf.slice(1, 5).some((i) => i.id === r.item.id))).toBe(false);
    }
    expect(strip(await worker.recommend('newcomer', { k: 10 }))).toEqual(strip(await local.recommend('newcomer', { k: 10 })));
    // The engagement counts moved the popularity feature of the purchased items in both.
    const q = leaf[1]!.title;
    const a = await local.search(q, { k: 20, explain: true });
    const b = await worker.search(q, { k: 20, explain: true });
    expect(strip(b)).toEqual(strip(a));
    expect(b.items.find((r) => r.item.id === leaf[1]!.id)?.explanation).toBeDefined();
    expect(strip(await worker.search(shop.queries[2]!.text, { user: 'newcomer' }))).toEqual(strip(await local.search(shop.queries[2]!.text, { user: 'newcomer' })));
  });

  it('checks the option, and keeps answering when a worker dies', async () => {
    await expectCode(() => Engine.open({ dataDir: ':memory:', readWorkers: -1 }), 'ERR_ARGUMENT');
    await expectCode(() => Engine.open({ dataDir: ':memory:', readWorkers: 1.5 }), 'ERR_ARGUMENT');
    const q = shop.queries[3]!.text;
    const want = strip(await local.search(q, { k: 5 }));
    // Requests in flight when the worker dies are answered on the event loop.
    const inFlight = [worker.search(q, { k: 5 }), worker.recommend('cold-user')];
    const reads = (worker as unknown as { reads: { workers: Array<{ worker: { terminate(): Promise<number> } }> } }).reads;
    await reads.workers[0]!.worker.terminate();
    const [s] = await Promise.all(inFlight);
    expect(strip(s)).toEqual(want);
    expect(worker.stats().reads!.workers).toBe(0);
    expect(strip(await worker.search(q, { k: 5 }))).toEqual(want);
  });
});
