// BPR, SGD-MF, ItemKNN, EASE and Popularity: each learns a planted structure.
import { describe, expect, it } from 'vitest';
import { BPR, EASE, evaluate, ItemKNN, MatrixFactorization, Popularity, scheduledLearningRate } from '@souk/models';
import { checkerboard, clustered, csr, rng } from './fixtures.js';

describe('BPR', () => {
  it.each(['uniform', 'popularity'] as const)('learns the checkerboard (%s negatives)', async (negatives) => {
    const { train, test } = checkerboard(40, 4);
    const model = new BPR({ factors: 8, iterations: 60, learningRate: 0.05, regularization: 0.001, negatives, seed: 3, threads: 1, backend: 'cpu' });
    const report = await model.fit(train);
    expect(report.losses.at(-1)!).toBeLessThan(report.losses[0]!);
    const m = await evaluate(model, train, test, { k: 4 });
    // Every recommended item must have the user's parity; most held-out items are found.
    const recs = await model.recommend(Array.from({ length: 40 }, (_, u) => u), { k: 4 });
    let sameParity = 0;
    for (let u = 0; u < 40; u++) for (const i of recs.row(u).items) if ((u + i) % 2 === 0) sameParity++;
    expect(sameParity / 160).toBeGreaterThan(0.97);
    expect(m.auc).toBeGreaterThan(0.95);
  });

  it('follows its learning-rate schedule', async () => {
    expect(scheduledLearningRate(0.1, { kind: 'exponential', decay: 0.5 }, 2, 10)).toBeCloseTo(0.025, 12);
    expect(scheduledLearningRate(0.1, { kind: 'inverse', decay: 1 }, 3, 10)).toBeCloseTo(0.025, 12);
    expect(scheduledLearningRate(0.1, { kind: 'cosine' }, 0, 10)).toBeCloseTo(0.1, 12);
    const model = new BPR({ factors: 4, iterations: 3, learningRate: 0.08, schedule: { kind: 'exponential', decay: 0.5 }, backend: 'cpu' });
    await model.fit(checkerboard(10, 0).train);
    expect(model.learningRates).toEqual([0.08, 0.04, 0.02]);
  });

  it('reports divergence with the iteration', async () => {
    const model = new BPR({ factors: 4, iterations: 20, learningRate: 1e30, backend: 'cpu' });
    await expect(model.fit(checkerboard(20, 0).train)).rejects.toMatchObject({ code: 'ERR_DIVERGED' });
    expect(model.fitted).toBe(false);
  });
});

describe('MatrixFactorization', () => {
  it('recovers planted low-rank ratings (held-out RMSE far below the global-mean baseline)', async () => {
    const r = rng(11);
    const users = 120, items = 80, d = 3;
    const p = Array.from({ length: users * d }, () => r() * 2 - 1);
    const q = Array.from({ length: items * d }, () => r() * 2 - 1);
    const rating = (u: number, i: number) => 3 + p.slice(u * d, u * d + d).reduce((s, v, f) => s + v * q[i * d + f]!, 0);
    const trainRows: number[][] = [], trainVals: number[][] = [], held: Array<[number, number]> = [];
    for (let u = 0; u < users; u++) {
      trainRows.push([]); trainVals.push([]);
      for (let i = 0; i < items; i++) {
        const x = r();
        if (x < 0.5) { trainRows[u]!.push(i); trainVals[u]!.push(rating(u, i)); } else if (x < 0.6) held.push([u, i]);
      }
    }
    const model = new MatrixFactorization({ factors: 3, iterations: 200, learningRate: 0.02, regularization: 0.001, initStd: 0.1, threads: 1, backend: 'cpu' });
    const report = await model.fit(csr(trainRows, items, trainVals));
    expect(report.losses.at(-1)!).toBeLessThan(0.1);
    let se = 0, base = 0;
    for (const [u, i] of held) {
      se += (model.predict(u, i) - rating(u, i)) ** 2;
      base += (model.globalMean - rating(u, i)) ** 2;
    }
    expect(Math.sqrt(se / held.length)).toBeLessThan(0.3 * Math.sqrt(base / held.length));
  });
});

describe('ItemKNN', () => {
  it.each(['cosine', 'bm25'] as const)('recommends within the planted cluster (%s)', async (similarity) => {
    const { train, test } = clustered(150, 120, 4, 0.4, 8);
    const model = new ItemKNN({ similarity, neighbours: 30 });
    await model.fit(train);
    const recs = await model.recommend(Array.from({ length: 150 }, (_, u) => u), { k: 5 });
    for (let u = 0; u < 150; u++) for (const i of recs.row(u).items) expect(i % 4).toBe(u % 4);
    const sims = model.similarItems(5, { k: 10 });
    for (const j of sims.items) expect(j % 4).toBe(1);
    expect(sims.items).not.toContain(5);
    const m = await evaluate(model, train, test, { k: 5 });
    const pop = new Popularity();
    await pop.fit(train);
    expect(m.ndcg).toBeGreaterThan((await evaluate(pop, train, test, { k: 5 })).ndcg);
  });

  it('keeps at most `neighbours` neighbours per item and never the item itself', async () => {
    const { train } = clustered(60, 50, 2, 0.6, 4);
    const model = new ItemKNN({ neighbours: 3 });
    await model.fit(train);
    const s = model.similarityMatrix;
    for (let i = 0; i < s.rows; i++) {
      expect(s.indptr[i + 1]! - s.indptr[i]!).toBeLessThanOrEqual(3);
      for (let p = s.indptr[i]!; p < s.indptr[i + 1]!; p++) expect(s.indices[p]).not.toBe(i);
    }
  });
});

describe('EASE', () => {
  /** B from the definition, by dense Gauss-Jordan in double (independent of the model's code). */
  function referenceScores(rows: number[][], items: number, lambda: number): number[][] {
    const g = Array.from({ length: items }, (_, i) => Array.from({ length: items }, (_, j) => (i === j ? lambda : 0)));
    for (const r of rows) for (const a of r) for (const b of r) g[a]![b]! += 1;
    const inv = Array.from({ length: items }, (_, i) => Array.from({ length: items }, (_, j) => (i === j ? 1 : 0)));
    for (let c = 0; c < items; c++) {
      const piv = g[c]![c]!;
      for (let j = 0; j < items; j++) { g[c]![j]! /= piv; inv[c]![j]! /= piv; }
      for (let r = 0; r < items; r++) if (r !== c) {
        const f = g[r]![c]!;
        for (let j = 0; j < items; j++) { g[r]![j]! -= f * g[c]![j]!; inv[r]![j]! -= f * inv[c]![j]!; }
      }
    }
    const b = inv.map((row, i) => row.map((v, j) => (i === j ? 0 : -v / inv[j]![j]!)));
    return rows.map((r) => Array.from({ length: items }, (_, j) => r.reduce((s, i) => s + b[i]![j]!, 0)));
  }

  it.each([
    ['dual (users < items)', 12, 30],
    ['primal (items <= users)', 30, 12],
  ])('matches the definition in the %s form', async (_name, users, items) => {
    const r = rng(users * 7 + items);
    const rows = Array.from({ length: users }, () => Array.from({ length: items }, (_, i) => i).filter(() => r() < 0.3));
    rows[0] = rows[0]!.length ? rows[0]! : [0];
    const model = new EASE({ regularization: 2 });
    await model.fit(csr(rows, items));
    expect(model.solvedForm).toBe(users < items ? 'dual' : 'primal');
    const want = referenceScores(rows, items, 2);
    for (let u = 0; u < users; u++) {
      const got = model.scores(u);
      for (let j = 0; j < items; j++) expect(got[j]!).toBeCloseTo(want[u]![j]!, 4);
    }
  });

  it('recommends within the planted cluster', async () => {
    const { train } = clustered(100, 160, 4, 0.4, 12);
    const model = new EASE({ regularization: 10 });
    await model.fit(train);
    const recs = await model.recommend(Array.from({ length: 100 }, (_, u) => u), { k: 5 });
    for (let u = 0; u < 100; u++) for (const i of recs.row(u).items) expect(i % 4).toBe(u % 4);
  });

  it('refuses catalogs beyond its dense limit with ERR_TOO_LARGE', async () => {
    const model = new EASE({ maxDenseDimension: 5 });
    await expect(model.fit(clustered(10, 10, 2, 0.5).train)).rejects.toMatchObject({ code: 'ERR_TOO_LARGE' });
  });
});

describe('Popularity', () => {
  it('ranks by the number of users, ties to the smaller index, and filters seen items', async () => {
    const model = new Popularity();
    await model.fit(csr([[2], [2, 4], [2, 4, 0], [1]], 5));
    const recs = await model.recommend([0, 3], { k: 3 });
    expect([...recs.row(0).items]).toEqual([4, 0, 1]);
    expect([...recs.row(1).items]).toEqual([2, 4, 0]);
    expect([...recs.row(1).scores]).toEqual([3, 2, 1]);
    const unfiltered = await model.recommend([0], { k: 2, filterSeen: false });
    expect([...unfiltered.row(0).items]).toEqual([2, 4]);
  });
});
