import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyntheticShop } from '@souk/data';
import { describe, expect, it } from 'vitest';
import { INDEX_FORMAT_VERSION, TextIndex, loadTextIndex, saveTextIndex, type SearchRequest } from '../src/index.js';
import { codeOf, item } from './helpers.js';

const requests: SearchRequest[] = [
  { query: 'red' },
  { query: 'red shirt', facets: { brands: true, categories: true, priceBands: [0, 20, 50] } },
  { query: 'cotton', sort: 'price_asc' },
  { query: 'shrt' },
  { query: 'sca' },
];

function sameAnswers(a: TextIndex, b: TextIndex, list: readonly SearchRequest[]) {
  for (const request of list) expect(a.search(request)).toEqual(b.search(request));
}

describe('incremental updates', () => {
  it('add, update and delete are visible at once, and scores equal a fresh build', () => {
    const index = new TextIndex();
    index.add(item('a', 'red cotton shirt', { brand: 'Acme', price: 20 }));
    index.add(item('b', 'red wool scarf', { brand: 'Zeta', price: 35 }));
    index.add(item('c', 'blue cotton shirt', { brand: 'Acme', price: 15 }));
    expect(index.search({ query: 'red' }).hits.map((h) => h.id).sort()).toEqual(['a', 'b']);

    index.add(item('b', 'green wool scarf', { brand: 'Zeta', price: 35 })); // update
    expect(index.size).toBe(3);
    expect(index.search({ query: 'red' }).hits.map((h) => h.id)).toEqual(['a']);
    expect(index.search({ query: 'green' }).hits.map((h) => h.id)).toEqual(['b']);

    expect(index.delete('a')).toBe(true);
    expect(index.delete('a')).toBe(false);
    expect(index.has('a')).toBe(false);
    expect(index.search({ query: 'cotton' }).hits.map((h) => h.id)).toEqual(['c']);

    const fresh = new TextIndex();
    fresh.add(item('b', 'green wool scarf', { brand: 'Zeta', price: 35 }));
    fresh.add(item('c', 'blue cotton shirt', { brand: 'Acme', price: 15 }));
    for (const query of ['cotton', 'scarf', 'acme shirt', 'zeta']) {
      expect(index.search({ query }).hits).toEqual(fresh.search({ query }).hits);
    }
  });

  it('compaction after many deletes keeps answers identical to a fresh build', () => {
    const shop = createSyntheticShop({ seed: 3, items: 400, users: 1, queries: 20 });
    const index = new TextIndex();
    index.addMany(shop.items);
    const kept = shop.items.filter((_, i) => i % 3 === 0);
    for (const [i, it] of shop.items.entries()) if (i % 3 !== 0) index.delete(it.id);
    const fresh = new TextIndex();
    fresh.addMany(kept);
    expect(index.size).toBe(kept.length);
    const queries = shop.queries.map((q) => ({ query: q.text, k: 20 }));
    for (const request of queries) expect(index.search(request).hits.map((h) => h.id)).toEqual(fresh.search(request).hits.map((h) => h.id));
  });
});

describe('save and load', () => {
  const build = () => {
    const index = new TextIndex({ synonyms: [{ terms: ['shirt', 'tee'] }] });
    index.add(item('a', 'red cotton shirt', { brand: 'Acme', price: 20, categoryPath: ['All', 'Tops'], attributes: { size: 'M' } }), { popularity: 3 });
    index.add(item('b', 'red wool scarf', { brand: 'Zeta', price: 35, categoryPath: ['All', 'Accessories'] }));
    index.add(item('c', 'blue cotton shirt', { brand: 'Acme', price: 15, categoryPath: ['All', 'Tops'], inStock: false }));
    index.add(item('z', 'to be deleted'));
    index.delete('z');
    return index;
  };

  it('round-trips through bytes and files with identical answers, and stays updatable', async () => {
    const index = build();
    const loaded = TextIndex.fromBytes(index.toBytes());
    sameAnswers(index, loaded, [...requests, { query: 'tee', filter: { category: ['All', 'Tops'], inStock: true, attributes: { size: 'M' } } }]);
    const dir = mkdtempSync(join(tmpdir(), 'souk-retrieval-'));
    const path = join(dir, 'index.souk');
    const size = await saveTextIndex(index, path);
    expect(size).toBe(readFileSync(path).length);
    const fromFile = await loadTextIndex(path);
    sameAnswers(index, fromFile, requests);
    // The loaded index keeps working incrementally.
    for (const target of [index, fromFile]) {
      target.add(item('d', 'red linen shirt', { brand: 'Acme' }));
      target.delete('b');
    }
    sameAnswers(index, fromFile, requests);
  });

  it('refuses corrupt, truncated and other-version files with ERR_CORRUPT_INDEX', async () => {
    const bytes = build().toBytes();
    const flipped = bytes.slice();
    flipped[flipped.length - 3]! ^= 0xff;
    expect(codeOf(() => TextIndex.fromBytes(flipped))).toBe('ERR_CORRUPT_INDEX');
    expect(codeOf(() => TextIndex.fromBytes(bytes.slice(0, bytes.length - 8)))).toBe('ERR_CORRUPT_INDEX');
    expect(codeOf(() => TextIndex.fromBytes(new Uint8Array(10)))).toBe('ERR_CORRUPT_INDEX');
    const otherVersion = bytes.slice();
    new DataView(otherVersion.buffer).setUint32(8, INDEX_FORMAT_VERSION + 1, true);
    expect(() => TextIndex.fromBytes(otherVersion)).toThrow(/format version/);
    const notAnIndex = new TextEncoder().encode('{"hello": "world"} and some more bytes to pass the length');
    expect(codeOf(() => TextIndex.fromBytes(notAnIndex))).toBe('ERR_CORRUPT_INDEX');
    const dir = mkdtempSync(join(tmpdir(), 'souk-retrieval-'));
    writeFileSync(join(dir, 'bad.souk'), flipped);
    await expect(loadTextIndex(join(dir, 'bad.souk'))).rejects.toMatchObject({ code: 'ERR_CORRUPT_INDEX' });
    await expect(loadTextIndex(join(dir, 'missing.souk'))).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
  });
});
