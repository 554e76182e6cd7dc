// ALS: planted structure, fold-in, partialFit, explain, loss reporting, divergence and abort.
import { describe, expect, it } from 'vitest';
import { ALS, ModelError, evaluate, Popularity } from '@souk/models';
import { checkerboard, clustered, csr } from './fixtures.js';

describe.each(['cg', 'cholesky'] as const)('ALS (%s)', (solver) => {
  // The checkerboard has rank 2; with 2 factors ALS must recover it exactly.
  it('learns the checkerboard: the best unseen items are the held-out same-parity items', async () => {
    const { train, heldOut } = checkerboard(40, 2);
    const model = new ALS({ factors: 2, iterations: 15, regularization: 0.01, alpha: 1, solver, seed: 1, backend: 'cpu' });
    const losses: number[] = [];
    const report = await model.fit(train, { onIteration: (i) => void losses.push(i.loss!) });
    expect(report.iterations).toBe(15);
    expect(losses.length).toBe(15);
    expect(losses[14]!).toBeLessThan(losses[0]!);
    const recs = await model.recommend(Array.from({ length: 40 }, (_, u) => u), { k: 2 });
    for (let u = 0; u < 40; u++) {
      const got = [...recs.row(u).items].sort((a, b) => a - b);
      expect(got).toEqual(heldOut[u]);
    }
  });

  it('fold-in of a trained user reproduces its factors to 1e-3', async () => {
    const { train } = clustered(60, 80, 4, 0.5);
    const model = new ALS({ factors: 16, iterations: solver === 'cg' ? 30 : 10, regularization: 0.1, solver, seed: 2, backend: 'cpu' });
    await model.fit(train);
    const d = 16;
    let worst = 0;
    for (const u of [0, 7, 33, 59]) {
      const items = Array.from(train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!));
      const folded = model.recalculateUser({ items });
      for (let f = 0; f < d; f++) worst = Math.max(worst, Math.abs(folded[f]! - model.userFactors.data[u * d + f]!));
    }
    expect(worst).toBeLessThan(1e-3);
  });
});

describe('ALS surface', () => {
  it('fold-in takes well under a millisecond at 64 factors', async () => {
    const { train } = clustered(300, 2000, 10, 0.2);
    const model = new ALS({ factors: 64, iterations: 2, backend: 'cpu', calculateTrainingLoss: false });
    await model.fit(train);
    const items = Array.from({ length: 50 }, (_, j) => j * 10);
    model.recalculateUser({ items }); // warms the YᵀY cache
    const runs = 200;
    const t0 = performance.now();
    for (let r = 0; r < runs; r++) model.recalculateUser({ items });
    const perCall = (performance.now() - t0) / runs;
    console.log(`[als] recalculateUser, 64 factors, 50 items: ${(perCall * 1000).toFixed(0)} µs per call`);
    expect(perCall).toBeLessThan(1);
  });

  it('partialFit adds a new user by id and solves only that row', async () => {
    const { train } = checkerboard(30, 0);
    const userIds = Array.from({ length: 30 }, (_, u) => `u${u}`);
    const itemIds = Array.from({ length: 30 }, (_, i) => `i${i}`);
    const model = new ALS({ factors: 6, iterations: 10, solver: 'cholesky', backend: 'cpu' });
    await model.fit({ csr: train, userIds, itemIds });
    const before = model.userFactors.data.slice();
    // A new user who likes the even items except i0, i2.
    const liked = Array.from({ length: 15 }, (_, k) => 2 * k).filter((i) => i > 2);
    await model.partialFit({ users: ['new-user'], interactions: csr([liked], 30) });
    expect(model.userCount).toBe(31);
    expect(model.userFactors.data.subarray(0, before.length)).toEqual(before);
    const recs = await model.recommend(['new-user'], { k: 2 });
    expect(recs.ids(0).sort()).toEqual(['i0', 'i2']);
    // Its factors are the fold-in of the same interactions.
    const folded = model.recalculateUser({ items: liked.map((i) => `i${i}`) });
    const own = model.userFactors.data.subarray(30 * 6, 31 * 6);
    for (let f = 0; f < 6; f++) expect(own[f]!).toBeCloseTo(folded[f]!, 4);
    // partialFit of items: a new item liked by the even users becomes their recommendation.
    const evenUsers = Array.from({ length: 15 }, (_, k) => 2 * k);
    await model.partialFit({ items: ['new-item'], interactions: csr([evenUsers], 31) });
    expect(model.itemCount).toBe(31);
    expect(model.trainingMatrix.cols).toBe(31);
    const sims = model.similarItems('new-item', { k: 3 });
    for (const id of sims.ids) expect(Number(id.slice(1)) % 2).toBe(0);
  });

  it('explain splits the score over the liked items, largest first', async () => {
    const { train } = clustered(40, 60, 3, 0.5);
    const model = new ALS({ factors: 8, iterations: 8, solver: 'cholesky', regularization: 0.1, backend: 'cpu' });
    await model.fit(train);
    const recs = await model.recommend([5], { k: 1 });
    const item = recs.row(0).items[0]!;
    const ex = model.explain(5, item, { k: 1000 });
    expect(ex.score).toBeCloseTo(recs.row(0).scores[0]!, 3);
    const sum = ex.contributions.reduce((s, c) => s + c.contribution, 0);
    expect(sum).toBeCloseTo(ex.score, 5);
    for (let j = 1; j < ex.contributions.length; j++) expect(ex.contributions[j - 1]!.contribution).toBeGreaterThanOrEqual(ex.contributions[j]!.contribution);
    const liked = new Set(train.indices.subarray(train.indptr[5]!, train.indptr[6]!));
    for (const c of ex.contributions) expect(liked.has(c.item)).toBe(true);
  });

  it('beats popularity on planted clusters', async () => {
    const { train, test } = clustered(200, 300, 5, 0.3, 9);
    const als = new ALS({ factors: 16, iterations: 10, regularization: 0.1, backend: 'cpu' });
    await als.fit(train);
    const pop = new Popularity();
    await pop.fit(train);
    const a = await evaluate(als, train, test, { k: 10 });
    const p = await evaluate(pop, train, test, { k: 10 });
    expect(a.ndcg).toBeGreaterThan(p.ndcg + 0.1);
  });

  it('validation and early stopping run and restore the best iteration', async () => {
    const { train, test } = clustered(100, 120, 4, 0.4, 5);
    const model = new ALS({ factors: 8, iterations: 30, backend: 'cpu' });
    const seen: number[] = [];
    const report = await model.fit(train, {
      validation: { test, k: 5, metric: 'ndcg' },
      earlyStopping: { patience: 2, minDelta: 1e-9 },
      onIteration: (i) => void seen.push(i.validation!.ndcg),
    });
    expect(report.validation.every((v) => v !== undefined)).toBe(true);
    expect(report.stoppedEarly).toBe(true);
    const final = await evaluate(model, train, test, { k: 5 });
    expect(final.ndcg).toBeCloseTo(Math.max(...seen), 10);
  });

  it('reports divergence with the iteration and never returns a NaN model', async () => {
    const { train } = checkerboard(20, 0);
    const poisoned = { ...train, data: Float32Array.from(train.data, (v, j) => (j === 3 ? 3e38 : v)) };
    const model = new ALS({ factors: 4, iterations: 5, alpha: 1e6, backend: 'cpu' });
    const err = await model.fit(poisoned).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('ERR_DIVERGED');
    expect((err as ModelError).iteration).toBe(1);
    expect((err as ModelError).message).toMatch(/iteration 1/);
    expect(model.fitted).toBe(false);
    await expect(model.recommend([0], { k: 3 })).rejects.toMatchObject({ code: 'ERR_NOT_FITTED' });
  });

  it('aborts between iterations through the AbortSignal', async () => {
    const { train } = checkerboard(20, 0);
    const controller = new AbortController();
    const model = new ALS({ factors: 4, iterations: 10, backend: 'cpu' });
    const err = await model.fit(train, { signal: controller.signal, onIteration: (i) => { if (i.iteration === 2) controller.abort(); } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_ABORTED', iteration: 3 });
  });

  it('negative strengths are dislikes and push items down', async () => {
    const rows = Array.from({ length: 20 }, (_, u) => Array.from({ length: 10 }, (_, i) => i).filter((i) => (u + i) % 2 === 0));
    const values = rows.map((r, u) => r.map(() => 1));
    rows[0] = [...rows[0]!, 1];
    values[0] = [...values[0]!, -5];
    const model = new ALS({ factors: 4, iterations: 10, solver: 'cholesky', regularization: 0.1, backend: 'cpu' });
    await model.fit(csr(rows, 10, values));
    const recs = await model.recommend([0], { k: 10, filterSeen: false });
    const rank = [...recs.row(0).items].indexOf(1);
    expect(rank).toBeGreaterThanOrEqual(5);
  });
});

describe('ALS backends and callbacks', () => {
  it('passes the backend through: ref and cpu agree, cuda without a device is the kernel error', async () => {
    const { train } = clustered(50, 40, 3, 0.4, 6);
    const fitWith = async (backend: 'ref' | 'cpu') => {
      const m = new ALS({ factors: 6, iterations: 5, solver: 'cholesky', regularization: 0.1, backend });
      await m.fit(train);
      return m;
    };
    const ref = await fitWith('ref');
    const cpu = await fitWith('cpu');
    let worst = 0;
    for (let j = 0; j < ref.userFactors.data.length; j++) worst = Math.max(worst, Math.abs(ref.userFactors.data[j]! - cpu.userFactors.data[j]!));
    expect(worst).toBeLessThan(1e-3);
    const a = await ref.recommend([1, 2, 3], { k: 5 });
    const b = await cpu.recommend([1, 2, 3], { k: 5 });
    for (let j = 0; j < a.scores.length; j++) expect(b.scores[j]!).toBeCloseTo(a.scores[j]!, 3);
    const { capabilities } = await import('@souk/kernels');
    if (!capabilities().backends.includes('cuda')) {
      await expect(new ALS({ factors: 2, iterations: 1, backend: 'cuda' }).fit(train)).rejects.toMatchObject({ code: 'ERR_NO_DEVICE' });
    }
  });

  it('onIteration returning false stops training and keeps a usable model', async () => {
    const { train } = checkerboard(20, 0);
    const model = new ALS({ factors: 2, iterations: 10, backend: 'cpu' });
    const report = await model.fit(train, { onIteration: (i) => i.iteration < 3 });
    expect(report.iterations).toBe(3);
    expect(report.stoppedEarly).toBe(true);
    expect(model.fitted).toBe(true);
    expect((await model.recommend([0], { k: 2 })).counts[0]).toBe(2);
  });
});
