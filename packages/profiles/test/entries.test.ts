// The compact entry storage (entries.ts) against the object form of decay.ts (addToEntry,
// rememberEvent, valueAt), which stays the reference: random events on random keys, in and out
// of time order, with ties, zero and negative weights, and several half-lives.
import { describe, expect, it } from 'vitest';
import { addToEntry, EntryTable, Interner, newEntry, rememberEvent, valueAt, WeightList, type DecayedEntry } from '@souk/profiles';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('EntryTable == DecayedEntry objects', () => {
  for (const [seed, halfLives, limit] of [[1, [7], 5], [2, [1, 30, 365], 3], [3, [10, 2], 0], [4, [3], 1], [5, [5, 50], 20]] as Array<[number, number[], number]>) {
    it(`seed ${seed}: ${halfLives.length} half-lives, ${limit} remembered`, () => {
      const H = halfLives.map((d) => d * 86_400_000);
      const r = rng(seed);
      const strings = new Interner();
      const table = new EntryTable(H.length, limit, 2); // small capacity: growth is exercised
      const ref = new Map<string, DecayedEntry>();
      const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
      const types = ['view', 'click', 'cart', 'purchase'];
      const T0 = Date.UTC(2025, 0, 1);
      for (let n = 0; n < 3000; n++) {
        const family = Math.floor(r() * 3);
        const key = `k${Math.floor(r() * 25)}`;
        const h = Math.floor(r() * H.length);
        // Mostly forward in time, sometimes back, sometimes the same instant; weights with ties and zeros.
        const t = T0 + Math.floor(((r() < 0.15 ? r() * 0.5 : r()) * n) / 20) * 86_400_000;
        const w = r() < 0.05 ? 0 : [1, 2, 4, 8, -1, 0.5][Math.floor(r() * 6)]!;
        const item = items[Math.floor(r() * items.length)]!;
        const type = types[Math.floor(r() * types.length)]!;
        const id = `${family}/${key}`;
        let e = ref.get(id);
        if (!e) ref.set(id, (e = newEntry(H.length)));
        addToEntry(e, H, h, w, t);
        rememberEvent(e, { item, type, timestamp: t, weight: w, halfLife: h }, H, limit);
        const rec = table.get(family, strings.id(key), true);
        table.add(rec, H, h, w, t);
        table.remember(rec, strings.id(item), strings.id(type), t, w, h, H);
      }
      expect(table.size).toBe(ref.size);
      const now = T0 + 200 * 86_400_000;
      let checked = 0;
      for (const [id, e] of ref) {
        const [family, key] = id.split('/') as [string, string];
        const rec = table.find(Number(family), strings.find(key));
        expect(rec).toBeGreaterThanOrEqual(0);
        expect(table.time(rec)).toBe(e.t);
        expect(table.sums(rec)).toEqual([...e.s]);
        expect(table.value(rec, H, now)).toBe(valueAt(e, H, now));
        expect(table.remembered(rec, strings)).toEqual(e.top.map((x) => ({ ...x })));
        checked++;
      }
      expect(checked).toBe(ref.size);
      expect(checked).toBeGreaterThan(50);
    });
  }

  it('keeps records in creation order and unknown keys absent', () => {
    const strings = new Interner();
    const table = new EntryTable(1, 2, 1);
    const order = ['c', 'a', 'b', 'a', 'd', 'c'];
    for (const k of order) table.get(0, strings.id(k), false);
    expect(Array.from({ length: table.size }, (_, r) => strings.name(table.key(r)))).toEqual(['c', 'a', 'b', 'd']);
    expect(table.find(0, strings.find('zz'))).toBe(-1);
    expect(table.find(1, strings.find('a'))).toBe(-1);
    expect(table.remembered(-1, strings)).toEqual([]);
  });
});

describe('WeightList == Map<string, number>', () => {
  it('sums, keeps insertion order and rebuilds from entries as a Map would', () => {
    const r = rng(9);
    const strings = new Interner();
    const list = new WeightList(1);
    const map = new Map<string, number>();
    for (let n = 0; n < 2000; n++) {
      const id = `i${Math.floor(r() * 300)}`;
      const w = Math.floor(r() * 8) + 0.25;
      list.add(strings.id(id), w);
      map.set(id, (map.get(id) ?? 0) + w);
    }
    expect(list.size).toBe(map.size);
    expect(list.entries(strings)).toEqual([...map]);
    const pairs: Array<[string, number]> = [['x', 1], ['y', 2], ['x', 3]];
    expect(WeightList.of(pairs, strings).entries(strings)).toEqual([...new Map(pairs)]);
  });
});

describe('profile storage and V8 external memory', () => {
  // A full collection of the whole heap starts whenever V8's external-memory count grows 64 MiB
  // past its last level; profile growth must not feed that count (see entries.ts).
  it('growing tables and weight lists leave the isolate external-memory count alone', async () => {
    const { getHeapStatistics } = await import('node:v8');
    const before = getHeapStatistics().external_memory;
    const tables: EntryTable[] = [];
    const lists: WeightList[] = [];
    for (let p = 0; p < 20; p++) {
      const table = new EntryTable(2, 5, 4);
      const list = new WeightList(4);
      for (let k = 0; k < 20_000; k++) {
        const r = table.create(k % 7, k, true);
        table.add(r, [1000, 2000], k % 2, 1 + (k % 3), 1000 + k);
        table.remember(r, k, 0, 1000 + k, 1, 0, [1000, 2000]);
        list.add(k, 1);
      }
      tables.push(table);
      lists.push(list);
    }
    const grown = getHeapStatistics().external_memory - before;
    // 20 tables of 20,000 records hold about 20 × 20,000 × (12 + 24 + 248) bytes ≈ 114 MB, and the
    // lists another 4.8 MB; counted, they would add at least that.
    expect(grown).toBeLessThan(8 * 2 ** 20);
    expect(tables[19]!.size).toBe(20_000);
    expect(lists[19]!.size).toBe(20_000);
    expect(tables[19]!.value(19_999, [1000, 2000], 1000 + 19_999)).toBe(1 + (19_999 % 3));
  });
});
