import { describe, expect, it } from 'vitest';
import {
  IdMap,
  assertValidCsr,
  buildInteractionMatrices,
  cleanStore,
  cleanText,
  decodeHtmlEntities,
  eventKey,
  leaveLastKOutSplit,
  openSqliteStore,
  stratifiedRandomSplit,
  temporalSplit,
  type EventRecord,
  type InteractionPairs,
  type StoredEvent,
} from '@souk/data';

const T0 = Date.UTC(2024, 0, 1);
const NOW = Date.UTC(2024, 6, 1);

async function storeWith(events: EventRecord[], items?: string[]) {
  const store = openSqliteStore(':memory:');
  const sourceId = await store.registerSource({ path: 'test', sha256: 'test', asset: 'events', format: 'csv', bytes: null });
  await store.insertEvents(events.map((e, i) => ({ ...e, key: eventKey(sourceId, i + 1), sourceId, line: i + 1 }) as StoredEvent));
  if (items) {
    await store.insertItems(items.map((id, i) => ({ id, title: id, categoryPath: [], tags: [], attributes: {}, inStock: true, sourceId, line: i + 1 })));
  }
  return store;
}

describe('text cleaning', () => {
  it('decodes entities and removes markup, including a dangling tag fragment', () => {
    expect(decodeHtmlEntities('Arts, Music &amp; Photography &#8211; caf&eacute; &#x4E2D;&amp;amp;')).toBe('Arts, Music & Photography – café 中&');
    expect(cleanText('<span class="a-size-medium a-color-secondary"')).toMatchObject({ text: '', onlyMarkup: true, removedMarkup: true });
    expect(cleanText('<b>Wired</b>  Magazine &amp; more')).toMatchObject({ text: 'Wired Magazine & more', decodedEntities: true, removedMarkup: true, onlyMarkup: false });
    expect(cleanText('1 < 2 and 3 > 2')).toMatchObject({ text: '1 < 2 and 3 > 2', removedMarkup: false });
  });
});

describe('cleaning rules', () => {
  it('removes each kind of bad event under its own rule and reports it', async () => {
    const events: EventRecord[] = [
      { user: 'a', item: 'i1', type: 'view', timestamp: T0 }, // kept
      { user: 'a', item: 'i1', type: 'view', timestamp: T0 }, // exact duplicate
      { user: 'a', item: 'i1', type: 'view', timestamp: T0 + 500 }, // near duplicate (< 2 s)
      { user: 'a', item: 'i1', type: 'view', timestamp: T0 + 60_000 }, // kept (a later view)
      { user: 'a', item: 'i2', type: 'rating', value: 3, timestamp: T0 }, // superseded by the later rating
      { user: 'a', item: 'i2', type: 'rating', value: 5, timestamp: T0 + 1000 }, // kept
      { user: 'a', item: 'i3', type: 'rating', value: 7, timestamp: T0 }, // out of range
      { user: 'a', item: 'ghost', type: 'view', timestamp: T0 }, // unknown item
      { user: 'a', item: 'i1', type: 'view', timestamp: NOW + 7 * 86_400_000 }, // future
      { user: 'a', item: 'i1', type: 'view', timestamp: -5000 }, // pre-epoch
    ];
    for (let k = 0; k < 200; k++) events.push({ user: 'bot', item: `i${1 + k}`, type: 'view', timestamp: T0 + k * 250 }); // 200 views in 50 s
    const store = await storeWith(events, Array.from({ length: 200 }, (_, k) => `i${1 + k}`));
    const report = await cleanStore(store, { nowMs: NOW });
    expect(report.removedByRule).toEqual({
      'pre-epoch-timestamp': 1,
      'future-timestamp': 1,
      'rating-out-of-range': 1,
      'unknown-item': 1,
      'exact-duplicate': 1,
      'superseded-rating': 1,
      'near-duplicate': 1,
      'bot-volume': 0,
      'bot-rate': 200,
    });
    expect(report.botUsers).toEqual(['bot']);
    const kept = [];
    for await (const b of store.scanEvents()) kept.push(...b);
    expect(kept.filter((e) => e.user === 'a').map((e) => e.line)).toEqual([1, 4, 6]);
    expect(kept.some((e) => e.user === 'bot')).toBe(false);
    expect(await store.removalCounts()).toMatchObject({ 'exact-duplicate': 1, 'unknown-item': 1 });
    // Re-runnable: a second run gives the same result.
    const again = await cleanStore(store, { nowMs: NOW });
    expect(again.eventsAfter).toBe(report.eventsAfter);
    await store.close();
  });
});

function pairsOf(users: number[], items: number[], ts: number[], rows: number, cols: number): InteractionPairs {
  return {
    length: users.length,
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    values: new Float32Array(users.length).fill(1),
    timestamps: Float64Array.from(ts),
    rows,
    cols,
  };
}

describe('id maps and matrices', () => {
  it('persists id maps so indices are stable across runs', async () => {
    const store = await storeWith([
      { user: 'u2', item: 'b', type: 'view', timestamp: T0 },
      { user: 'u1', item: 'a', type: 'view', timestamp: T0 + 1 },
    ]);
    const first = await buildInteractionMatrices(store);
    expect(first.userIds.ids()).toEqual(['u2', 'u1']);
    await store.appendEvents([{ user: 'u0', item: 'c', type: 'click', timestamp: T0 + 2 }]);
    const second = await buildInteractionMatrices(store);
    expect(second.userIds.ids()).toEqual(['u2', 'u1', 'u0']);
    expect(second.itemIds.ids()).toEqual(['b', 'a', 'c']);
    expect((await IdMap.load(store, 'items')).indexOf('c')).toBe(2);
    await store.close();
  });

  it('builds CSR and CSC with type weights, decay, confidence and duplicate aggregation', async () => {
    const day = 86_400_000;
    const store = await storeWith([
      { user: 'u1', item: 'x', type: 'view', timestamp: T0 },
      { user: 'u1', item: 'x', type: 'purchase', value: 10, timestamp: T0 + 10 * day },
      { user: 'u1', item: 'y', type: 'cart', timestamp: T0 + 10 * day },
      { user: 'u2', item: 'x', type: 'rating', value: 4, timestamp: T0 + 10 * day },
      { user: 'u2', type: 'search', query: 'hat', timestamp: T0 + 10 * day },
      { user: 'u3', item: 'z', type: 'click', timestamp: T0 + 10 * day },
    ]);
    const m = await buildInteractionMatrices(store, { halfLifeDays: 10, alpha: 2, weights: { view: 1, purchase: 8, cart: 4, click: 2, rating: 1 } });
    assertValidCsr(m.csr, 'csr');
    assertValidCsr(m.csc, 'csc');
    const u1 = m.userIds.indexOf('u1');
    const x = m.itemIds.indexOf('x');
    const row = (u: number) => [...m.csr.indices.subarray(m.csr.indptr[u]!, m.csr.indptr[u + 1]!)];
    expect(row(u1)).toEqual([x, m.itemIds.indexOf('y')].sort((a, b) => a - b));
    const at = m.csr.indptr[u1]! + row(u1).indexOf(x);
    // view decayed by one half-life (0.5) + purchase at the reference time (8): w = 8.5; confidence 1 + 2w = 18.
    expect(m.csr.data[at]).toBeCloseTo(18, 5);
    const u2 = m.userIds.indexOf('u2');
    expect(m.csr.data[m.csr.indptr[u2]!]).toBeCloseTo(1 + 2 * 4, 5);
    // CSC is the transpose: same (user, item, value) triples.
    const triples = (csr: typeof m.csr, transpose: boolean) => {
      const out: string[] = [];
      for (let r = 0; r < csr.rows; r++) for (let k = csr.indptr[r]!; k < csr.indptr[r + 1]!; k++) out.push(transpose ? `${csr.indices[k]},${r},${csr.data[k]}` : `${r},${csr.indices[k]},${csr.data[k]}`);
      return out.sort();
    };
    expect(triples(m.csc, true)).toEqual(triples(m.csr, false));
    expect(m.csr.indices.length).toBe(4);
    await store.close();
  });
});

describe('splits', () => {
  // 50 users with 1..40 interactions each, random timestamps.
  const users: number[] = [];
  const items: number[] = [];
  const ts: number[] = [];
  for (let u = 0; u < 50; u++) for (let k = 0; k < 1 + ((u * 7) % 40); k++) {
    users.push(u);
    items.push((u * 13 + k * 5) % 300);
    ts.push(T0 + ((u * 7919 + k * 104729) % 1_000_000) * 1000);
  }
  // make (user, item) unique and sorted
  const seen = new Set<string>();
  const idx = users.map((_, i) => i).filter((i) => (seen.has(`${users[i]},${items[i]}`) ? false : (seen.add(`${users[i]},${items[i]}`), true)));
  idx.sort((a, b) => users[a]! - users[b]! || items[a]! - items[b]!);
  const pairs = pairsOf(idx.map((i) => users[i]!), idx.map((i) => items[i]!), idx.map((i) => ts[i]!), 50, 300);
  const key = (p: InteractionPairs, k: number) => `${p.users[k]},${p.items[k]}`;
  const noLeak = (train: InteractionPairs, test: InteractionPairs) => {
    const trainKeys = new Set(Array.from({ length: train.length }, (_, k) => key(train, k)));
    for (let k = 0; k < test.length; k++) expect(trainKeys.has(key(test, k))).toBe(false);
    expect(train.length + test.length).toBe(pairs.length);
  };

  it('stratified random split is 75/25 per user, seeded and leak-free', () => {
    const a = stratifiedRandomSplit(pairs, { ratio: 0.75, seed: 1 });
    const b = stratifiedRandomSplit(pairs, { ratio: 0.75, seed: 1 });
    const c = stratifiedRandomSplit(pairs, { ratio: 0.75, seed: 2 });
    noLeak(a.train, a.test);
    expect(Array.from(a.test.items)).toEqual(Array.from(b.test.items));
    expect(Array.from(a.test.items)).not.toEqual(Array.from(c.test.items));
    for (let u = 0; u < 50; u++) {
      const n = Array.from(pairs.users).filter((x) => x === u).length;
      const inTrain = Array.from(a.train.users).filter((x) => x === u).length;
      expect(inTrain).toBe(Math.round(0.75 * n));
    }
  });

  it('temporal split puts every test pair after every train pair', () => {
    const s = temporalSplit(pairs, { ratio: 0.8 });
    noLeak(s.train, s.test);
    expect(Math.max(...s.train.timestamps)).toBeLessThanOrEqual(s.cutoffMs);
    expect(Math.min(...s.test.timestamps)).toBeGreaterThan(s.cutoffMs);
    expect(s.test.length / pairs.length).toBeGreaterThan(0.15);
    expect(s.test.length / pairs.length).toBeLessThan(0.25);
  });

  it('leave-last-2-out holds out each user’s 2 latest pairs', () => {
    const s = leaveLastKOutSplit(pairs, { k: 2 });
    noLeak(s.train, s.test);
    for (let u = 0; u < 50; u++) {
      const trainTs = Array.from(s.train.timestamps).filter((_, k) => s.train.users[k] === u);
      const testTs = Array.from(s.test.timestamps).filter((_, k) => s.test.users[k] === u);
      const n = trainTs.length + testTs.length;
      expect(testTs.length).toBe(n > 2 ? 2 : 0);
      if (testTs.length > 0) expect(Math.min(...testTs)).toBeGreaterThanOrEqual(Math.max(...trainTs));
    }
  });
});
