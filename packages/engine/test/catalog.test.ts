// CatalogState's popularity order: most engaged first, ties by id (UTF-16 order), refreshed at
// most every POPULAR_REFRESH_MS while events arrive and at once when items change — compared
// with a plain comparator sort over the same counts.
import { seededRandom } from '@souk/data';
import { describe, expect, it } from 'vitest';
import { CatalogState, POPULAR_REFRESH_MS, popularOrder } from '../src/catalog.js';
import { smallShop } from './helpers.js';

function reference(catalog: CatalogState): string[] {
  const count = (id: string) => catalog.popularity.get(id) ?? 0;
  return [...catalog.items.keys()].sort((a, b) => count(b) - count(a) || (a < b ? -1 : a > b ? 1 : 0));
}

describe('CatalogState.popularItems', () => {
  it('orders by engagement, ties by id, and refreshes on time and on new items', () => {
    const shop = smallShop();
    const random = seededRandom(3);
    // Ids in shuffled order, some differing only in case or in non-ASCII letters.
    const items = [...shop.items, { ...shop.items[0]!, id: 'Zeta' }, { ...shop.items[1]!, id: 'zeta' }, { ...shop.items[2]!, id: 'é-item' }].sort(() => random() - 0.5);
    const catalog = new CatalogState();
    catalog.upsert(items);
    for (let i = 0; i < 3000; i++) catalog.addEngagement(items[Math.floor(random() ** 3 * items.length)]!.id);
    const t0 = 1_000_000;
    expect(catalog.popularItems(t0)).toEqual(reference(catalog));
    // Within the refresh period the order stays; after it, it catches up.
    const last = reference(catalog).at(-1)!;
    for (let i = 0; i < 500; i++) catalog.addEngagement(last);
    expect(catalog.popularItems(t0 + 1)[0]).not.toBe(last);
    expect(catalog.popularItems(t0 + POPULAR_REFRESH_MS)).toEqual(reference(catalog));
    expect(catalog.popularItems(t0 + POPULAR_REFRESH_MS)[0]).toBe(last);
    // A new item joins at once (ties by id among the never engaged).
    catalog.upsert([{ ...shop.items[3]!, id: '!first-by-id' }]);
    expect(catalog.popularItems(t0 + POPULAR_REFRESH_MS + 1)).toEqual(reference(catalog));
  });

  it('keeps counts current after a bulk load and engagements with items it did not know', () => {
    const shop = smallShop();
    const catalog = new CatalogState();
    catalog.upsert(shop.items);
    catalog.addEngagement('not-an-item');
    catalog.addEngagement(shop.items[5]!.id);
    expect(catalog.popularItems(0)).toEqual(reference(catalog));
    // A bulk load replaces the counts (as the read workers' reset and the engine's load do).
    for (const [i, it] of shop.items.entries()) catalog.popularity.set(it.id, i % 7);
    catalog.syncPopularity();
    expect(catalog.popularItems(1)).toEqual(reference(catalog));
    catalog.addEngagement(shop.items[0]!.id);
    expect(catalog.popularItems(2 + POPULAR_REFRESH_MS)).toEqual(reference(catalog));
  });

  it('popularOrder: the counting sort and the key sort agree with a comparator sort', () => {
    const random = seededRandom(9);
    for (const [n, spread, whole] of [[0, 1, true], [1, 5, true], [200, 3, true], [200, 1000, true], [300, 50, false], [50, 1e9, true]] as const) {
      const ids = Array.from({ length: n }, (_, i) => `id${String(i).padStart(4, '0')}`);
      const counts = Float64Array.from(ids, () => (whole ? Math.floor(random() ** 2 * spread) : random() * spread));
      const expected = ids.map((id, r) => ({ id, c: counts[r]! })).sort((a, b) => b.c - a.c || (a.id < b.id ? -1 : 1)).map((x) => x.id);
      expect(popularOrder({ ids, counts })).toEqual(expected);
    }
  });
});
