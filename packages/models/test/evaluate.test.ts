// Metrics against hand-computed values (Microsoft Recommenders' definitions, binary relevance).
import { describe, expect, it } from 'vitest';
import { evaluate, ModelError, Popularity, userRankingMetrics } from '@souk/models';
import { csr } from './fixtures.js';

describe('userRankingMetrics', () => {
  // List [3, 7, 1, 9, 4], relevant {7, 4, 2}: hits at ranks 2 and 5.
  const relevant = new Set([7, 4, 2]);
  const m = userRankingMetrics([3, 7, 1, 9, 4], (i) => relevant.has(i), 3, 5, 15);

  it('precision@5 = 2/5, recall@5 = 2/3', () => {
    expect(m.precision).toBeCloseTo(0.4, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
  });

  it('nDCG@5 = (1/log2 3 + 1/log2 6) / (1 + 1/log2 3 + 1/log2 4) = 0.477620…', () => {
    // 0.630930 + 0.386853 = 1.017783; ideal over min(5, 3) = 3 positions: 2.130930.
    expect(m.ndcg).toBeCloseTo(1.0177825608059992 / 2.1309297535714578, 12);
    expect(m.ndcg).toBeCloseTo(0.47762, 5);
  });

  it('MAP@5 = (1/2 + 2/5) / min(5, 3) = 0.3', () => {
    expect(m.ap).toBeCloseTo(0.3, 12);
    expect(m.apFull).toBeCloseTo(0.3, 12);
  });

  it('AUC@5 = (2 + 2·12 + ½·1·12) / (3·15) = 32/45', () => {
    expect(m.auc).toBeCloseTo(32 / 45, 12);
  });

  it('map_at_k divides by min(k, |T|), map by |T|, when |T| > k', () => {
    const many = new Set([7, 4, 20, 21, 22, 23, 24, 25]);
    const r = userRankingMetrics([3, 7, 1, 9, 4], (i) => many.has(i), 8, 5, 100);
    expect(r.ap).toBeCloseTo(0.9 / 5, 12);
    expect(r.apFull).toBeCloseTo(0.9 / 8, 12);
    expect(r.ndcg).toBeCloseTo(1.0177825608059992 / (1 + 1 / Math.log2(3) + 0.5 + 1 / Math.log2(5) + 1 / Math.log2(6)), 12);
  });

  it('a perfect list scores 1 everywhere and an empty one 0', () => {
    const perfect = userRankingMetrics([1, 2], (i) => i <= 2, 2, 2, 10);
    expect(perfect).toEqual({ precision: 1, recall: 1, ndcg: 1, ap: 1, apFull: 1, auc: 1 });
    const none = userRankingMetrics([], () => false, 2, 3, 10);
    expect(none.precision).toBe(0);
    expect(none.ndcg).toBe(0);
    expect(none.auc).toBe(0.5);
  });
});

describe('evaluate', () => {
  // Popularity on 3 users x 6 items: item 0 > 1 > 2 > (3, 4, 5 tied, smaller index first).
  const train = csr([[0], [0, 1], [0, 1, 2]], 6);
  const test = csr([[1, 4], [3], []], 6);

  it('matches hand-computed values, filtering seen items and skipping users without test items', async () => {
    const model = new Popularity();
    await model.fit(train);
    const m = await evaluate(model, train, test, { k: 3 });
    // u0: list [1, 2, 3] vs {1, 4}; u1: list [2, 3, 4] vs {3}; u2: no test items.
    const ndcg0 = 1 / (1 + 1 / Math.log2(3));
    const ndcg1 = 1 / Math.log2(3);
    expect(m.users).toBe(2);
    expect(m.skippedUsers).toBe(1);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo((1 / 2 + 1) / 2, 12);
    expect(m.ndcg).toBeCloseTo((ndcg0 + ndcg1) / 2, 12);
    expect(m.map).toBeCloseTo((1 / 2 + 1 / 2) / 2, 12);
    // AUC u0: P=2, N=3, misses at ranks 2, 3 with 1 hit above each: (2 + 1·1 + ½·1·1)/6; u1: P=1, N=3: (0 + 1 + 1·1 + 0)/3.
    expect(m.auc).toBeCloseTo((3.5 / 6 + 2 / 3) / 2, 12);
    // Items recommended: {1, 2, 3, 4} of 6.
    expect(m.coverage).toBeCloseTo(4 / 6, 12);
  });

  it('rejects k ≤ 0 and data over other users or items', async () => {
    const model = new Popularity();
    await model.fit(train);
    await expect(evaluate(model, train, test, { k: 0 })).rejects.toMatchObject({ code: 'ERR_K_RANGE' });
    await expect(evaluate(model, train, csr([[1]], 6), { k: 3 })).rejects.toMatchObject({ code: 'ERR_ID_MAP_MISMATCH' });
    const err = await evaluate(model, { csr: train, userIds: ['a', 'b', 'c'] }, test).catch((e: unknown) => e);
    // The model was fitted without ids: any ids agree with an index-only model.
    expect(err).not.toBeInstanceOf(ModelError);
    const named = new Popularity();
    await named.fit({ csr: train, userIds: ['a', 'b', 'c'] });
    await expect(evaluate(named, { csr: train, userIds: ['a', 'c', 'b'] }, { csr: test, userIds: ['a', 'c', 'b'] })).rejects.toMatchObject({ code: 'ERR_ID_MAP_MISMATCH' });
  });
});
