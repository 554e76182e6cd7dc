import { describe, expect, it } from 'vitest';
import { TextIndex, VectorIndex, fuseRankings, hybridSearch, type TextEmbeddingEncoder } from '../src/index.js';
import { item } from './helpers.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

describe('VectorIndex', () => {
  it('matches a brute-force dot-product ranking, with exclusions, deletes and updates', async () => {
    const dim = 17;
    const random = lcg(5);
    const vectors = new VectorIndex({ dimension: dim });
    const rows = new Map<string, number[]>();
    for (let i = 0; i < 300; i++) {
      const v = Array.from({ length: dim }, random);
      rows.set(`i${i}`, v);
      vectors.set(`i${i}`, v);
    }
    const query = Array.from({ length: dim }, random);
    const brute = (excluded: Set<string>) =>
      [...rows]
        .filter(([id]) => !excluded.has(id))
        .map(([id, v]) => ({ id, score: v.reduce((s, x, j) => s + x * query[j]!, 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
    const check = (got: Array<{ id: string; score: number }>, want: Array<{ id: string; score: number }>) => {
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 4));
    };
    check(vectors.searchSync(query, { k: 10 }), brute(new Set()));
    const top = brute(new Set()).slice(0, 3).map((h) => h.id);
    check(await vectors.search(query, { k: 10, excludeIds: top }), brute(new Set(top)));
    for (let i = 0; i < 200; i++) {
      vectors.delete(`i${i}`);
      rows.delete(`i${i}`);
    }
    expect(vectors.size).toBe(100);
    vectors.set('i250', query);
    rows.set('i250', query);
    check(vectors.searchSync(query, { k: 10 }), brute(new Set()));
    expect(vectors.searchSync(query, { k: 10 })[0]!.id).toBe('i250');
  });

  it('turns text filters into the allow bitset', () => {
    const catalog = new TextIndex();
    catalog.addMany([
      item('a', 'red shirt', { price: 10, inStock: true }),
      item('b', 'red scarf', { price: 50, inStock: true }),
      item('c', 'blue shirt', { price: 20, inStock: false }),
    ]);
    const vectors = new VectorIndex({ dimension: 2, normalize: true });
    vectors.set('a', [1, 0]);
    vectors.set('b', [0.9, 0.1]);
    vectors.set('c', [1, 0.01]);
    vectors.set('not-in-catalog', [1, 0]);
    expect(vectors.searchSync([1, 0], { k: 4 }).map((h) => h.id)).toEqual(['a', 'not-in-catalog', 'c', 'b']);
    expect(vectors.searchSync([1, 0], { k: 4, catalog, filter: { inStock: true } }).map((h) => h.id)).toEqual(['a', 'b']);
    expect(vectors.searchSync([1, 0], { k: 4, catalog, filter: { price: { min: 15 } } }).map((h) => h.id)).toEqual(['c', 'b']);
    expect(vectors.searchSync([2, 0], { k: 1 })[0]!.score).toBeCloseTo(1, 6); // cosine with normalize
  });
});

describe('fusion', () => {
  const text = [{ id: 'a', score: 9 }, { id: 'b', score: 5 }, { id: 'c', score: 1 }];
  const vector = [{ id: 'c', score: 0.9 }, { id: 'd', score: 0.8 }, { id: 'a', score: 0.1 }];
  it('reciprocal rank fusion', () => {
    const fused = fuseRankings(text, vector, { method: 'rrf', k: 60 }, 4);
    // a: 1/61 + 1/63; c: 1/63 + 1/61 (tie → smaller id); b: 1/62; d: 1/62.
    expect(fused.map((h) => h.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 63, 12);
    expect(fused[0]).toMatchObject({ textRank: 1, vectorRank: 3 });
  });
  it('normalised weighted sum', () => {
    const fused = fuseRankings(text, vector, { method: 'weighted', textWeight: 0.7, vectorWeight: 0.3 }, 4);
    // text: a 1, b 0.5, c 0; vector: c 1, d 0.875, a 0.
    const expected: Record<string, number> = { a: 0.7, b: 0.35, c: 0.3, d: 0.3 * 0.875 };
    expect(fused.map((h) => h.id)).toEqual(['a', 'b', 'c', 'd']);
    for (const h of fused) expect(h.score).toBeCloseTo(expected[h.id]!, 12);
    expect(() => fuseRankings(text, vector, { method: 'mean' } as never, 4)).toThrow(expect.objectContaining({ code: 'ERR_ARGUMENT' }));
  });
  it('hybridSearch runs both retrievers with shared filters and a pluggable encoder', async () => {
    const catalog = new TextIndex();
    catalog.addMany([item('a', 'red shirt', { inStock: true }), item('b', 'red scarf', { inStock: false }), item('c', 'blue shirt', { inStock: true })]);
    const vectors = new VectorIndex({ dimension: 2 });
    vectors.set('a', [0, 1]);
    vectors.set('b', [1, 0]);
    vectors.set('c', [1, 0.1]);
    const encoder: TextEmbeddingEncoder = { dimension: 2, encode: async (texts) => texts.map(() => new Float32Array([1, 0])) };
    const fused = await hybridSearch(catalog, vectors, { query: 'red', encoder, k: 3, filter: { inStock: true } });
    expect(fused.map((h) => h.id)).toEqual(['a', 'c']);
    const weighted = await hybridSearch(catalog, vectors, { query: 'shirt', vector: [1, 0], k: 3, fusion: { method: 'weighted', textWeight: 0, vectorWeight: 1 } });
    expect(weighted[0]!.id).toBe('b');
    await expect(hybridSearch(catalog, vectors, {})).rejects.toMatchObject({ code: 'ERR_ARGUMENT' });
  });
});
