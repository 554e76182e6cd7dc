import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AMAZON_CLEANING,
  buildInteractionMatrices,
  cleanStore,
  defaultDatasetsDir,
  loadAmazonReviews2018,
  loadEventColumns,
  loadGroceries,
  loadMovieLensLatestSmall,
  openSqliteStore,
} from '@souk/data';

const datasets = defaultDatasetsDir();
const has = (sub: string) => existsSync(join(datasets, sub));
const skipMessage = (sub: string) => `dataset ${sub} not found under ${datasets} (set SOUK_DATASETS to run)`;

function describeDataset(sub: string, body: () => void) {
  if (has(sub)) describe(sub, body);
  else describe.skip(`${sub} — SKIPPED: ${skipMessage(sub)}`, body);
  if (!has(sub)) console.warn(`[skip] ${skipMessage(sub)}`);
}

async function distinct(store: ReturnType<typeof openSqliteStore>) {
  const cols = await loadEventColumns(store);
  return { events: cols.length, users: new Set(cols.users).size, items: new Set(cols.items).size };
}

describeDataset('movielens-latest-small', () => {
  it('reproduces the published counts: 100,836 ratings, 610 users, 9,742 movies', async () => {
    const store = openSqliteStore(':memory:');
    const { items, ratings } = await loadMovieLensLatestSmall(store);
    expect(items.read).toBe(9742);
    expect(items.accepted).toBe(9742);
    expect(ratings.read).toBe(100_836);
    expect(ratings.accepted).toBe(100_836);
    expect(ratings.quarantined).toBe(0);
    const report = await cleanStore(store, { nowMs: Date.UTC(2019, 0, 1) });
    expect(report.eventsAfter).toBe(100_836);
    const counts = await distinct(store);
    expect(counts).toEqual({ events: 100_836, users: 610, items: 9724 });
    expect(await store.countRows('items')).toBe(9742);
    const m = await buildInteractionMatrices(store, { alpha: 1 });
    expect(m.csr.rows).toBe(610);
    expect(m.csr.indices.length).toBe(100_836);
    // Idempotent: loading again adds nothing and reports every row as deduplicated.
    const again = await loadMovieLensLatestSmall(store);
    expect(again.ratings.inserted).toBe(0);
    expect(again.ratings.deduplicated).toBe(100_836);
    expect(await store.countRows('events', true)).toBe(100_836);
    await store.close();
  });
});

describeDataset('groceries-arules', () => {
  it('reproduces 9,835 baskets over 169 items with 43,367 item occurrences', async () => {
    const store = openSqliteStore(':memory:');
    const { transactions } = await loadGroceries(store);
    expect(transactions.accepted).toBe(9835);
    const items = new Set<string>();
    let occurrences = 0;
    let largest = 0;
    for await (const batch of store.scanTransactions()) {
      for (const t of batch) {
        occurrences += t.lines.length;
        largest = Math.max(largest, t.lines.length);
        for (const l of t.lines) items.add(l.item);
      }
    }
    expect(items.size).toBe(169);
    expect(occurrences).toBe(43_367);
    expect(largest).toBe(32);
    await store.close();
  });
});

describeDataset('amazon2018-magazine-subscriptions', () => {
  it('ratings: 89,689 rows, 72,098 users, 2,428 items; cleaning removes the 1,371 repeated pairs', async () => {
    const store = openSqliteStore(':memory:');
    const out = await loadAmazonReviews2018(store, { parts: ['ratings'] });
    expect(out.ratings!.accepted).toBe(89_689);
    const before = await distinct(store);
    expect(before).toEqual({ events: 89_689, users: 72_098, items: 2428 });
    const report = await cleanStore(store, { ...AMAZON_CLEANING, nowMs: Date.UTC(2019, 0, 1) });
    expect(report.removedByRule['exact-duplicate'] + report.removedByRule['superseded-rating']).toBe(1371);
    expect(report.eventsAfter).toBe(89_689 - 1371);
    await store.close();
  });

  it('5-core: 2,375 reviews by 348 users of 157 items', async () => {
    const store = openSqliteStore(':memory:');
    const out = await loadAmazonReviews2018(store, { parts: ['five-core'] });
    expect(out['five-core']!.accepted).toBe(2375);
    expect(await distinct(store)).toEqual({ events: 2375, users: 348, items: 157 });
    await store.close();
  });

  it('metadata: 3,385 lines, 2,320 distinct products, broken titles found by cleaning', async () => {
    const store = openSqliteStore(':memory:');
    const out = await loadAmazonReviews2018(store, { parts: ['metadata'] });
    expect(out.metadata!.read).toBe(3385);
    expect(out.metadata!.inserted).toBe(2320);
    expect(out.metadata!.deduplicated).toBe(3385 - 2320);
    const report = await cleanStore(store, { items: true });
    // 3,153 of 3,385 lines; 2,163 of the 2,320 distinct products (first occurrence kept).
    expect(report.itemText!.brokenTitles).toBe(2163);
    let empty = 0;
    for await (const batch of store.scanItems()) for (const item of batch) if (item.title === '') empty++;
    expect(empty).toBe(2163);
    await store.close();
  });
});

describe('MovieLens 100K format (fixture)', () => {
  it('reads u.data (tabs) and u.item (Latin-1, pipes, genre flags)', async () => {
    const { loadMovieLens100k } = await import('@souk/data');
    const store = openSqliteStore(':memory:');
    const dir = join(import.meta.dirname, 'fixtures', 'ml-100k');
    const { items, ratings } = await loadMovieLens100k(store, { dir });
    expect(items).toMatchObject({ read: 5, accepted: 5, quarantined: 0 });
    expect(ratings).toMatchObject({ read: 12, accepted: 12, quarantined: 0 });
    expect(await distinct(store)).toEqual({ events: 12, users: 10, items: 5 });
    const byId = new Map<string, { title: string; tags: string[] }>();
    for await (const b of store.scanItems()) for (const i of b) byId.set(i.id, i);
    expect(byId.get('3')!.title).toBe('Café au lait (1994)');
    expect(byId.get('4')!.title).toBe('Ålder och dårskap (1993)');
    expect(byId.get('1')!.tags).toEqual(['Animation', "Children's", 'Comedy']);
    const events = [];
    for await (const b of store.scanEvents()) events.push(...b);
    expect(events[0]).toMatchObject({ user: '196', item: '1', type: 'rating', value: 3, timestamp: 881_250_949_000 });
    await store.close();
  });
});

describe('dataset location', () => {
  it('honours SOUK_DATASETS and explains a missing dataset', async () => {
    const saved = process.env.SOUK_DATASETS;
    process.env.SOUK_DATASETS = '/nonexistent/datasets';
    try {
      expect(defaultDatasetsDir()).toBe('/nonexistent/datasets');
      const store = openSqliteStore(':memory:');
      await expect(loadMovieLensLatestSmall(store)).rejects.toMatchObject({
        code: 'ERR_DATASET_MISSING',
        message: expect.stringContaining('/nonexistent/datasets/movielens-latest-small'),
      });
      await store.close();
    } finally {
      if (saved === undefined) delete process.env.SOUK_DATASETS;
      else process.env.SOUK_DATASETS = saved;
    }
  });
});
