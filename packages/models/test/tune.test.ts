// tune: grid and random search on a validation split carved from train.
import { describe, expect, it } from 'vitest';
import { ALS, ItemKNN, ModelError, splitInteractions, toInteractions, tune, tuneTable } from '@souk/models';
import { clustered } from './fixtures.js';

describe('tune', () => {
  const { train } = clustered(120, 90, 3, 0.4, 17);

  it('grid search runs every point and picks the best by the metric', async () => {
    const seen: number[] = [];
    const result = await tune(
      { model: (p) => new ALS(p), params: { factors: [1, 6], regularization: [0.1, 10] }, fixed: { iterations: 6, backend: 'cpu' } },
      { train, search: 'grid', metric: 'ndcg', k: 5, onTrial: (t) => void seen.push(t.index) },
    );
    expect(result.trials.length).toBe(4);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(result.best.metrics.ndcg).toBe(Math.max(...result.trials.map((t) => t.metrics.ndcg)));
    expect(result.trials.map((t) => [t.params.factors, t.params.regularization])).toEqual([[1, 0.1], [1, 10], [6, 0.1], [6, 10]]);
    expect(result.best.params.iterations).toBe(6);
    expect(result.split.fit + result.split.validation).toBe(train.indices.length);
    const table = tuneTable(result).split('\n');
    expect(table.length).toBe(2 + 4);
    expect(table[0]).toContain('factors');
    expect(table[0]).toContain('regularization');
    expect(table[0]).not.toContain('iterations');
    expect(table.filter((l) => l.startsWith('| * |')).length).toBe(1);
  });

  it('random search draws reproducibly within ranges', async () => {
    const space = { model: (p: Record<string, unknown>) => new ItemKNN(p), params: { neighbours: { min: 2, max: 50, integer: true }, similarity: ['cosine', 'bm25'] } };
    const a = await tune(space, { train, trials: 4, seed: 7 });
    const b = await tune(space, { train, trials: 4, seed: 7 });
    expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params));
    for (const t of a.trials) {
      expect(Number.isInteger(t.params.neighbours)).toBe(true);
      expect(t.params.neighbours as number).toBeGreaterThanOrEqual(2);
      expect(t.params.neighbours as number).toBeLessThanOrEqual(50);
    }
  });

  it('the carved split is per user, disjoint and covers the training data', () => {
    const { fit, validation } = splitInteractions(toInteractions(train), 0.75, 42);
    for (let u = 0; u < train.rows; u++) {
      const all = new Set(train.indices.subarray(train.indptr[u]!, train.indptr[u + 1]!));
      const f = [...fit.indices.subarray(fit.indptr[u]!, fit.indptr[u + 1]!)];
      const v = [...validation.indices.subarray(validation.indptr[u]!, validation.indptr[u + 1]!)];
      expect(new Set([...f, ...v])).toEqual(all);
      expect(f.filter((i) => v.includes(i))).toEqual([]);
      expect(f.length).toBe(Math.round(0.75 * all.size));
    }
  });

  it('grid search over a range is ERR_ARGUMENT', async () => {
    const err = await tune({ model: (p) => new ALS(p), params: { factors: { min: 1, max: 4 } } }, { train, search: 'grid' }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('ERR_ARGUMENT');
  });
});
