// Bad input: each a ModelError with a stable code.
import { describe, expect, it } from 'vitest';
import { ALS, BPR, EASE, ItemKNN, MatrixFactorization, ModelError, Popularity, type Recommender } from '@souk/models';
import { csr } from './fixtures.js';

const train = csr([[0, 1], [1, 2], [0, 2, 3]], 4);
const named = { csr: train, userIds: ['a', 'b', 'c'], itemIds: ['w', 'x', 'y', 'z'] };

const kinds: Array<[string, () => Recommender]> = [
  ['ALS', () => new ALS({ factors: 2, iterations: 2, backend: 'cpu' })],
  ['BPR', () => new BPR({ factors: 2, iterations: 2, backend: 'cpu' })],
  ['MatrixFactorization', () => new MatrixFactorization({ factors: 2, iterations: 2, backend: 'cpu' })],
  ['ItemKNN', () => new ItemKNN()],
  ['EASE', () => new EASE()],
  ['Popularity', () => new Popularity()],
];

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'no error';
  } catch (e) {
    return e instanceof ModelError ? e.code : `not a ModelError: ${String(e)}`;
  }
}

describe.each(kinds)('%s with bad input', (_kind, make) => {
  it('empty training data is ERR_EMPTY_TRAINING_DATA', async () => {
    expect(await codeOf(make().fit(csr([[], []], 4)))).toBe('ERR_EMPTY_TRAINING_DATA');
    expect(await codeOf(make().fit(csr([], 0)))).toBe('ERR_EMPTY_TRAINING_DATA');
  });

  it('use before fit is ERR_NOT_FITTED', async () => {
    expect(await codeOf(make().recommend([0], { k: 1 }))).toBe('ERR_NOT_FITTED');
    expect(await codeOf(() => make().similarItems(0, { k: 1 }))).toBe('ERR_NOT_FITTED');
  });

  it('unknown users and items, k ≤ 0 and bad k', async () => {
    const model = make();
    await model.fit(named);
    expect(await codeOf(model.recommend(['nobody'], { k: 2 }))).toBe('ERR_UNKNOWN_USER');
    expect(await codeOf(model.recommend([3], { k: 2 }))).toBe('ERR_UNKNOWN_USER');
    expect(await codeOf(model.recommend([-1], { k: 2 }))).toBe('ERR_UNKNOWN_USER');
    expect(await codeOf(model.recommend(Int32Array.of(7), { k: 2 }))).toBe('ERR_UNKNOWN_USER');
    expect(await codeOf(model.recommend(['a'], { k: 0 }))).toBe('ERR_K_RANGE');
    expect(await codeOf(model.recommend(['a'], { k: -3 }))).toBe('ERR_K_RANGE');
    expect(await codeOf(model.recommend(['a'], { k: 1.5 }))).toBe('ERR_K_RANGE');
    expect(await codeOf(model.recommend(['a'], { k: 1e9 }))).toBe('ERR_K_RANGE');
    expect(await codeOf(model.recommend(['a'], { k: 2, items: ['w', 'nothing'] }))).toBe('ERR_UNKNOWN_ITEM');
    expect(await codeOf(() => model.similarItems('nothing', { k: 2 }))).toBe('ERR_UNKNOWN_ITEM');
    expect(await codeOf(() => model.similarUsers('nobody', { k: 2 }))).toBe('ERR_UNKNOWN_USER');
    expect(await codeOf(() => model.similarItems('w', { k: 0 }))).toBe('ERR_K_RANGE');
    // Good calls still work, ids and restrictions applied.
    const recs = await model.recommend(['a'], { k: 2, items: ['w', 'y', 'z'] });
    for (const id of recs.ids(0)) expect(['y', 'z']).toContain(id);
  });

  it('mismatched id maps are ERR_ID_MAP_MISMATCH', async () => {
    expect(await codeOf(make().fit({ csr: train, userIds: ['a', 'b'] }))).toBe('ERR_ID_MAP_MISMATCH');
    const model = make();
    await model.fit(named);
    expect(await codeOf(model.recommend(['a'], { k: 1, seen: csr([[0]], 9) }))).toBe('ERR_ID_MAP_MISMATCH');
  });
});

describe('malformed matrices and hyper-parameters', () => {
  it('NaN in training values, broken CSR and bad hyper-parameters are ERR_ARGUMENT', async () => {
    const nan = { ...train, data: Float32Array.of(1, NaN, 1, 1, 1, 1, 1) };
    expect(await codeOf(new ALS().fit(nan))).toBe('ERR_ARGUMENT');
    const broken = { ...train, indptr: Int32Array.of(0, 2, 1, 7) };
    expect(await codeOf(new ALS().fit(broken))).toBe('ERR_ARGUMENT');
    expect(await codeOf(() => new ALS({ factors: 0 }))).toBe('ERR_ARGUMENT');
    expect(await codeOf(() => new BPR({ learningRate: -1 }))).toBe('ERR_ARGUMENT');
    expect(await codeOf(() => new ItemKNN({ similarity: 'jaccard' as 'cosine' }))).toBe('ERR_ARGUMENT');
  });

  it('operations a model does not have are ERR_UNSUPPORTED', async () => {
    const model = new Popularity();
    await model.fit(train);
    expect(await codeOf(() => model.recalculateUser({ items: [0] }))).toBe('ERR_UNSUPPORTED');
    expect(await codeOf(() => model.explain(0, 1))).toBe('ERR_UNSUPPORTED');
    expect(await codeOf(model.partialFit({ users: [0], interactions: csr([[1]], 4) }))).toBe('ERR_UNSUPPORTED');
  });

  it('unsorted rows with duplicates are canonicalised, not rejected', async () => {
    const messy = { indptr: Int32Array.of(0, 3, 4), indices: Int32Array.of(2, 0, 2), data: Float32Array.of(1, 1, 1, 1), rows: 2, cols: 3 };
    messy.indices = Int32Array.of(2, 0, 2, 1);
    const model = new Popularity({ weighting: 'sum' });
    await model.fit(messy);
    expect([...model.itemPopularity]).toEqual([1, 1, 2]);
    expect([...model.trainingMatrix.indices]).toEqual([0, 2, 1]);
  });
});
