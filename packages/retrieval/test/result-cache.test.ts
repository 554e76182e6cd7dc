// The result cache of TextIndex.search: a cached index must answer exactly as an index without
// the cache (resultCache: false) over the same items, through repeats, every sort, filters,
// facets, pages, and after every kind of change (adds, updates, deletes, compaction, popularity).
import { createSyntheticShop } from '@souk/data';
import { describe, expect, it } from 'vitest';
import { TextIndex, type SearchRequest } from '../src/index.js';
import { codeOf, item } from './helpers.js';

const shop = {
  en: createSyntheticShop({ seed: 5, locale: 'en', items: 2000, users: 1, queries: 40 }),
  zh: createSyntheticShop({ seed: 6, locale: 'zh', items: 2000, users: 1, queries: 40 }),
};
const items = [...shop.en.items, ...shop.zh.items];

/** Requests over the shop's queries: every sort, filters, facets, pages, typos, prefixes. */
function requests(): SearchRequest[] {
  const out: SearchRequest[] = [];
  const sorts = ['relevance', 'price_asc', 'price_desc', 'popularity', 'newest'] as const;
  const brand = items.find((it) => it.brand)!.brand!;
  const category = items[0]!.categoryPath.slice(0, 2);
  [...shop.en.queries, ...shop.zh.queries].forEach((q, i) => {
    out.push({ query: q.text, k: 20 });
    out.push({ query: q.text.slice(0, Math.max(2, q.text.length - 2)), k: 10, offset: i % 3 });
    out.push({ query: q.text, k: 5, sort: sorts[i % sorts.length]!, facets: { brands: true, categories: true, priceBands: [0, 50, 100, 500] } });
    if (i % 4 === 0) out.push({ query: q.text, filter: { brand }, k: 10 });
    if (i % 4 === 1) out.push({ query: q.text, filter: { category, inStock: true }, k: 10 });
    if (i % 4 === 2) out.push({ query: q.text, filter: { price: { min: 10, max: 200 } }, typos: false, k: 10 });
    if (i % 4 === 3) out.push({ query: `${q.text} zzqx`, k: 10 }); // the fallback drops a term
  });
  out.push({ query: 'runing shoes', k: 10 }, { query: 'running shoes ', k: 10, prefix: false });
  // Filters over a shared text entry, some leaving nothing (then the fallback drops terms), and a
  // filtered text that needed the fallback itself.
  const brands = [...new Set(items.map((it) => it.brand).filter((b): b is string => !!b))].slice(0, 6);
  for (const q of shop.en.queries.slice(0, 8)) {
    for (const b of brands) out.push({ query: q.text, filter: { brand: b }, k: 10 });
    out.push({ query: `${q.text} zzqx`, filter: { brand: brands[0]! }, k: 10 }, { query: q.text, filter: { brand: brands[1]! }, fallback: false, k: 10 });
  }
  return out;
}

function both(): [TextIndex, TextIndex] {
  const cached = new TextIndex();
  const plain = new TextIndex({ resultCache: false });
  cached.addMany(items);
  plain.addMany(items);
  return [cached, plain];
}

function expectSame(cached: TextIndex, plain: TextIndex, list: readonly SearchRequest[]): void {
  for (const r of list) expect(cached.search(r), JSON.stringify(r)).toEqual(plain.search(r));
}

describe('TextIndex result cache', () => {
  it('answers repeats exactly as an index without a cache, and counts its hits', () => {
    const [cached, plain] = both();
    const list = requests();
    // The list reaches the fallback under a filter, both ways (filter empties the match; text needed it).
    expect(list.some((r) => r.filter && r.query.endsWith('zzqx') && plain.search(r).droppedTerms.length > 0)).toBe(true);
    expect(list.some((r) => r.filter && !r.query.endsWith('zzqx') && plain.search(r).droppedTerms.length > 0)).toBe(true);
    expectSame(cached, plain, list);
    const first = cached.cacheStats();
    expect(first.misses).toBeGreaterThan(0);
    expectSame(cached, plain, list);
    expectSame(cached, plain, [...list].reverse());
    const after = cached.cacheStats();
    expect(after.hits - first.hits).toBeGreaterThanOrEqual(2 * list.length - 2 * after.entries);
    expect(after.hits).toBeGreaterThan(list.length);
    expect(plain.cacheStats()).toEqual({ hits: 0, misses: 0, entries: 0, documents: 0 });
  });

  it('stays exact after adds, updates, deletes, compaction and popularity changes', () => {
    const [cached, plain] = both();
    const list = requests();
    expectSame(cached, plain, list);
    // Popularity breaks relevance ties and orders sort=popularity; it does not empty the cache.
    items.slice(0, 300).forEach((it, i) => {
      cached.setPopularity(it.id, (i * 7) % 13);
      plain.setPopularity(it.id, (i * 7) % 13);
    });
    const entries = cached.cacheStats().entries;
    expect(entries).toBeGreaterThan(0);
    expectSame(cached, plain, list);
    // A new item that matches a cached query shows up.
    const q = shop.en.queries[0]!.text;
    const extra = item('new-item', q, { brand: 'Newbrand', categoryPath: ['All', 'New'] });
    cached.add(extra);
    plain.add(extra);
    expect(cached.cacheStats().entries).toBe(0);
    expect(cached.search({ query: q, k: 1000 }).hits.some((h) => h.id === 'new-item')).toBe(true);
    expectSame(cached, plain, list);
    // An update changes the item's text; a delete removes it.
    cached.add({ ...extra, title: 'something else entirely' });
    plain.add({ ...extra, title: 'something else entirely' });
    expectSame(cached, plain, list);
    expect(cached.search({ query: q, k: 1000 }).hits.some((h) => h.id === 'new-item')).toBe(false);
    // Deleting over a quarter of the items compacts the index (documents are renumbered).
    for (const it of items.slice(0, 1100)) {
      cached.delete(it.id);
      plain.delete(it.id);
    }
    expectSame(cached, plain, list);
    expectSame(cached, plain, list);
  });

  it('hands out copies: changing a result does not change later ones', () => {
    const index = new TextIndex();
    index.addMany(items);
    const r = { query: shop.en.queries[1]!.text, k: 10 };
    const first = index.search(r);
    const copy = structuredClone(first);
    first.hits.length = 0;
    (first.terms[0]!.matches as unknown[]).length = 0;
    (first.droppedTerms as string[]).push('x');
    expect(index.search(r)).toEqual(copy);
  });

  it('evicts the least recently used entry and keeps to its document budget', () => {
    const index = new TextIndex({ resultCache: { entries: 2 } });
    index.addMany(items);
    const [a, b, c] = shop.en.queries.map((q) => ({ query: q.text, k: 5 }));
    index.search(a!);
    index.search(b!);
    index.search(a!); // hit; b is now the oldest
    index.search(c!); // evicts b
    index.search(a!); // hit
    index.search(b!); // miss
    expect(index.cacheStats()).toMatchObject({ hits: 2, misses: 4, entries: 2 });
    const small = new TextIndex({ resultCache: { documents: 40 } });
    small.addMany(items);
    for (const q of shop.en.queries) small.search({ query: q.text, k: 5 });
    expect(small.cacheStats().documents).toBeLessThanOrEqual(40);
  });

  it('keeps ±Infinity apart in filter keys', () => {
    const [cached, plain] = both();
    const q = shop.en.queries[2]!.text;
    const list: SearchRequest[] = [
      { query: q, filter: { price: { min: Number.NEGATIVE_INFINITY } } },
      { query: q, filter: { price: { min: Number.POSITIVE_INFINITY } } },
    ];
    expectSame(cached, plain, list);
    expectSame(cached, plain, list);
  });

  it('is a setting of the running index, not of its file', () => {
    const small = new TextIndex({ resultCache: { entries: 3 } });
    small.addMany(items.slice(0, 500));
    const bytes = small.toBytes();
    const q = { query: shop.en.queries[0]!.text, k: 5 };
    const loaded = TextIndex.fromBytes(bytes);
    const off = TextIndex.fromBytes(bytes, { resultCache: false });
    for (let i = 0; i < 3; i++) {
      expect(loaded.search(q)).toEqual(small.search(q));
      expect(off.search(q)).toEqual(small.search(q));
    }
    expect(loaded.cacheStats()).toMatchObject({ hits: 2, misses: 1 });
    expect(off.cacheStats()).toMatchObject({ hits: 0, misses: 0 });
    for (const other of shop.en.queries.slice(1, 6)) loaded.search({ query: other.text });
    expect(loaded.cacheStats().entries).toBe(6); // the default size, not the saved index's 3
  });

  it('refuses bad sizes with ERR_ARGUMENT', () => {
    expect(codeOf(() => new TextIndex({ resultCache: { entries: -1 } }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => new TextIndex({ resultCache: { documents: Number.NaN } }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => new TextIndex({ resultCache: { entries: 2.5 } }))).toBe('ERR_ARGUMENT');
  });
});
