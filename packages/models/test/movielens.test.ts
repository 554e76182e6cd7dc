// One focused MovieLens check (skipped without the dataset): under the Microsoft Recommenders
// protocol (every rating an implicit interaction, 75/25 per-user stratified split with seed 42,
// k = 10, seen items filtered), ALS and BPR with the hyper-parameters `benchmarks/models.ts`
// found by tuning on a validation split of train beat Popularity and ItemKNN on nDCG@10 of the
// test split. ItemKNN is the stronger of its two tuned candidates on test (cosine, 50 neighbours:
// 0.2956; the validation pick, BM25 with B = 0 and 200 neighbours, scores 0.2924), so the baseline
// is conservative. The full table (and the tuning itself) is in the benchmark.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInteractionMatrices, defaultDatasetsDir, loadMovieLensLatestSmall, openSqliteStore, pairsToCsr, stratifiedRandomSplit } from '@souk/data';
import { ALS, BPR, evaluate, ItemKNN, Popularity, type Recommender } from '@souk/models';

const dir = join(defaultDatasetsDir(), 'movielens-latest-small');
const present = existsSync(join(dir, 'ratings.csv'));
if (!present) console.warn(`[skip] MovieLens latest-small not found under ${dir} (set SOUK_DATASETS to run)`);

describe.skipIf(!present)('MovieLens latest-small, Recommenders protocol', () => {
  it('tuned ALS and BPR beat Popularity and ItemKNN on nDCG@10', async () => {
    const store = openSqliteStore(':memory:');
    await loadMovieLensLatestSmall(store, { dir });
    const matrices = await buildInteractionMatrices(store, { ratingAsValue: false });
    await store.close();
    expect(matrices.pairs.length).toBe(100_836);
    const split = stratifiedRandomSplit(matrices.pairs, { ratio: 0.75, seed: 42 });
    const train = pairsToCsr(split.train);
    const test = pairsToCsr(split.test);
    const exec = { backend: 'cpu' as const, threads: 2 };
    const ndcg = async (model: Recommender) => {
      await model.fit(train);
      return (await evaluate(model, train, test, { k: 10 })).ndcg;
    };
    const popularity = await ndcg(new Popularity(exec));
    const knn = await ndcg(new ItemKNN({ similarity: 'cosine', neighbours: 50, ...exec }));
    const als = await ndcg(new ALS({ factors: 32, regularization: 0.31, alpha: 2.46, iterations: 15, calculateTrainingLoss: false, ...exec }));
    // One thread: BPR is Hogwild, and bit-for-bit reproducible only with threads = 1.
    const bpr = await ndcg(new BPR({ factors: 128, learningRate: 0.09, regularization: 0.0032, iterations: 300, backend: 'cpu', threads: 1 }));
    console.log(`[movielens] nDCG@10 popularity ${popularity.toFixed(4)}, item-kNN ${knn.toFixed(4)}, ALS ${als.toFixed(4)}, BPR ${bpr.toFixed(4)}`);
    const baseline = Math.max(popularity, knn);
    expect(als).toBeGreaterThan(baseline);
    expect(bpr).toBeGreaterThan(baseline);
  }, 120_000);
});
