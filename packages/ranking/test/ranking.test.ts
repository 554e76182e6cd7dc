import { describe, expect, it } from 'vitest';
import { seededRandom, type ItemRecord } from '@souk/data';
import { matrix } from '@souk/kernels';
import { ProfileStore } from '@souk/profiles';
import {
  extractFeatures,
  FEATURE_NAMES,
  LinearScorer,
  ndcgAt,
  orderByScore,
  Ranker,
  RankingCatalog,
  RankingError,
  reciprocalRank,
  selectTop,
  trainLogistic,
  trainPairwise,
  type FeatureMatrix,
  type UserSignals,
} from '@souk/ranking';

const DAY = 86_400_000;
const T = Date.UTC(2024, 5, 1);
const item = (id: string, path: string[], brand: string, price: number, attributes: ItemRecord['attributes'] = {}): ItemRecord => ({
  id, title: id, brand, categoryPath: path, price, tags: [], attributes, inStock: true,
});

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RankingError);
    return (e as RankingError).code;
  }
  return undefined;
}

const fm = (rows: number[][], names: readonly string[] = rows[0]!.map((_, i) => `f${i}`)): FeatureMatrix => ({
  names, rows: rows.length, cols: names.length, data: Float64Array.from(rows.flat()), items: rows.map((_, i) => `i${i}`),
});

describe('features', () => {
  const items = [
    item('a', ['All', 'Electronics', 'Phones'], 'Apple', 100, { margin: 0.3 }),
    item('b', ['All', 'Electronics', 'Phones'], 'Samsung', 50),
    item('c', ['All', 'Grocery', 'Snacks'], 'Oreo', 400, { boost: 2 }),
  ];
  const catalog = new RankingCatalog(items, {
    popularity: { a: 9, b: 0, c: 99 },
    addedAt: new Map([['a', T - 30 * DAY], ['b', T]]),
    recencyHalfLifeDays: 30,
    itemVectors: { ids: ['a', 'b', 'c'], factors: matrix([1, 0, 0, 1, 0.5, 0.5], 3, 2) },
  });
  const user: UserSignals = {
    categoryAffinity: (path) => (path[1] === 'Electronics' ? 0.8 : 0.1),
    brandAffinity: (brand) => (brand === 'Apple' ? 0.6 : 0),
    preferredPriceRange: () => ({ low: 80, high: 200 }),
    latentVector: () => Float32Array.from([2, 3]),
  };

  it('computes every column by hand', () => {
    const f = extractFeatures(catalog, user, [{ item: 'a', textScore: 2 }, { item: 'b', textScore: 4 }, { item: 'c', boost: 5 }], { now: T });
    expect(f.names).toEqual(FEATURE_NAMES);
    const row = (r: number) => Object.fromEntries(f.names.map((n, c) => [n, f.data[r * f.cols + c]]));
    expect(row(0)).toEqual({ text: 0.5, latent: 2, category: 0.8, brand: 0.6, priceFit: 1, popularity: Math.log(10), recency: 0.5, margin: 0.3, boost: 0 });
    expect(row(1)).toMatchObject({ text: 1, latent: 3, brand: 0, priceFit: 50 / 80, popularity: 0, recency: 1 });
    expect(row(2)).toMatchObject({ text: 0, latent: 2.5, category: 0.1, priceFit: 0.5, popularity: Math.log(100), recency: 0, boost: 5 });
  });

  it('gives 0 for user features of anonymous requests and rejects bad candidates', () => {
    const f = extractFeatures(catalog, undefined, [{ item: 'a' }], { now: T });
    expect([1, 2, 3, 4].map((c) => f.data[c])).toEqual([0, 0, 0, 0]);
    expect(codeOf(() => extractFeatures(catalog, user, [{ item: 'zzz' }], { now: T }))).toBe('ERR_UNKNOWN_ITEM');
    expect(codeOf(() => extractFeatures(catalog, user, [{ item: 'a', textScore: NaN }], { now: T }))).toBe('ERR_NON_FINITE');
    expect(codeOf(() => extractFeatures(catalog, user, [{ item: 'a' }], { now: NaN }))).toBe('ERR_NON_FINITE');
  });
});

describe('logistic regression', () => {
  it('matches a hand-computed SGD step', () => {
    const data = { features: fm([[1, 2]]), labels: [1] };
    // Step 1 from w = 0, b = 0: σ(0) − 1 = −0.5 → w = 0.5·0.5·x = [0.25, 0.5], b = 0.25.
    const one = trainLogistic(data, { epochs: 1, learningRate: 0.5, l2: 0, normalize: false }).scorer;
    expect(Array.from(one.weights)).toEqual([0.25, 0.5]);
    expect(one.bias).toBe(0.25);
    // Step 2: z = 0.25 + 0.25 + 1 = 1.5, g = σ(1.5) − 1.
    const g = 1 / (1 + Math.exp(-1.5)) - 1;
    const two = trainLogistic(data, { epochs: 2, learningRate: 0.5, l2: 0, normalize: false });
    expect(two.scorer.weights[0]).toBeCloseTo(0.25 - 0.5 * g, 14);
    expect(two.scorer.weights[1]).toBeCloseTo(0.5 - 0.5 * g * 2, 14);
    expect(two.losses[0]).toBeCloseTo(Math.log(2), 14);
  });

  it('separates separable data, with graded weights, reproducibly', () => {
    const random = seededRandom(4);
    const rows: number[][] = [];
    const labels: number[] = [];
    while (rows.length < 300) {
      const x = [random() * 2 - 1, random() * 2 - 1, random()];
      const m = 2 * x[0]! - x[1]!;
      if (Math.abs(m) < 0.1) continue;
      rows.push(x);
      labels.push(m > 0 ? 1 : 0);
    }
    const weights = labels.map((y) => (y ? 2 : 1));
    const run = () => trainLogistic({ features: fm(rows), labels, weights }, { epochs: 60, learningRate: 0.1, l2: 0, seed: 9 });
    const { scorer, losses } = run();
    const scores = scorer.score(fm(rows));
    const correct = labels.filter((y, r) => (scores[r]! > 0 ? 1 : 0) === y).length;
    expect(correct).toBe(rows.length);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 4);
    expect(scorer.weights[0]!).toBeGreaterThan(0);
    expect(scorer.weights[1]!).toBeLessThan(0);
    expect(Array.from(run().scorer.weights)).toEqual(Array.from(scorer.weights));
    expect(codeOf(() => trainLogistic({ features: fm([[1]]), labels: [2] }))).toBe('ERR_NON_FINITE');
    expect(codeOf(() => trainLogistic({ features: fm([[NaN]]), labels: [1] }))).toBe('ERR_NON_FINITE');
  });
});

describe('pairwise LambdaRank-style model', () => {
  const tiny = { features: fm([[1, 0], [0, 1]]), groups: [0, 0], gains: [1, 0] };
  it('matches hand-computed RankNet and LambdaRank steps', () => {
    // w = 0: σ(0) = 0.5 → w = lr·0.5·(x0 − x1).
    const ranknet = trainPairwise(tiny, { epochs: 1, learningRate: 1, l2: 0, normalize: false, weighting: 'ranknet' }).scorer;
    expect(Array.from(ranknet.weights)).toEqual([0.5, -0.5]);
    // Lambda: |ΔnDCG| = (2^1 − 1)·(1 − 1/log2(3)) / 1.
    const delta = 1 - 1 / Math.log2(3);
    const lambda = trainPairwise(tiny, { epochs: 1, learningRate: 1, l2: 0, normalize: false }).scorer;
    expect(lambda.weights[0]).toBeCloseTo(0.5 * delta, 15);
    expect(lambda.weights[1]).toBeCloseTo(-0.5 * delta, 15);
    expect(lambda.bias).toBe(0);
  });

  it('learns a hidden ranking from graded groups', () => {
    const random = seededRandom(12);
    const hidden = [1.5, -1, 0.5, 0];
    const make = (groups: number) => {
      const rows: number[][] = [];
      const groupIds: number[] = [];
      const gains: number[] = [];
      for (let g = 0; g < groups; g++) {
        const xs = Array.from({ length: 12 }, () => hidden.map(() => random() * 2 - 1));
        const s = xs.map((x) => x.reduce((a, v, i) => a + v * hidden[i]!, 0));
        const order = orderByScore(s);
        order.forEach((r, rank) => {
          rows.push(xs[r]!);
          groupIds.push(g);
          gains.push(rank < 2 ? 3 : rank < 4 ? 2 : rank < 6 ? 1 : 0);
        });
      }
      return { features: fm(rows), groups: groupIds, gains };
    };
    const train = make(150);
    const test = make(50);
    const { scorer, losses } = trainPairwise(train, { epochs: 15, learningRate: 0.1, seed: 3 });
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    const w = Array.from(scorer.weights).map((v, i) => v / scorer.normalizer!.std[i]!);
    const cos = w.reduce((a, v, i) => a + v * hidden[i]!, 0) / Math.hypot(...w) / Math.hypot(...hidden);
    expect(cos).toBeGreaterThan(0.95);
    const scores = scorer.score(test.features);
    let ndcg = 0;
    for (let g = 0; g < 50; g++) {
      const idx = Array.from({ length: 12 }, (_, i) => g * 12 + i);
      const ranked = orderByScore(idx.map((i) => scores[i]!)).map((j) => test.gains[idx[j]!]!);
      ndcg += ndcgAt(ranked, 10, idx.map((i) => test.gains[i]!));
    }
    expect(ndcg / 50).toBeGreaterThan(0.95);
    expect(codeOf(() => trainPairwise({ features: fm([[1], [2]]), groups: [0, 1], gains: [1, 0] }))).toBe('ERR_TRAINING_DATA');
  });
});

describe('weights save / load', () => {
  it('round-trips through JSON with a version and rejects foreign or newer files', () => {
    const rows = [[1, 2, 3], [0, 1, 0], [3, 0, 1]];
    const { scorer } = trainLogistic({ features: fm(rows, ['text', 'category', 'popularity']), labels: [1, 0, 1] }, { epochs: 5 });
    const saved = JSON.stringify(scorer);
    const loaded = LinearScorer.fromJSON(saved);
    expect(JSON.parse(saved).version).toBe(1);
    expect(Array.from(loaded.score(fm(rows, ['text', 'category', 'popularity'])))).toEqual(Array.from(scorer.score(fm(rows, ['text', 'category', 'popularity']))));
    // Features are matched by name, in any column order.
    const permuted = fm(rows.map(([a, b, c]) => [c!, a!, b!]), ['popularity', 'text', 'category']);
    expect(Array.from(loaded.score(permuted))).toEqual(Array.from(scorer.score(fm(rows, ['text', 'category', 'popularity']))));
    expect(codeOf(() => loaded.score(fm([[1, 2]], ['text', 'brand'])))).toBe('ERR_FEATURES');
    expect(codeOf(() => LinearScorer.fromJSON({ ...JSON.parse(saved), version: 99 }))).toBe('ERR_FORMAT');
    expect(codeOf(() => LinearScorer.fromJSON({ ...JSON.parse(saved), format: 'other' }))).toBe('ERR_FORMAT');
    expect(codeOf(() => LinearScorer.fromJSON('{'))).toBe('ERR_FORMAT');
    expect(codeOf(() => LinearScorer.fromJSON({ ...JSON.parse(saved), weights: [1, null, 2] }))).toBe('ERR_FORMAT');
  });
});

describe('selection', () => {
  const c = (item: string, score: number, brand: string, category = 'x') => ({ item, score, brand, category });
  const list = [c('a1', 9, 'A'), c('a2', 8, 'A'), c('a3', 7, 'A'), c('b1', 6, 'B'), c('c1', 5, 'C', 'y'), c('b2', 4, 'B')];
  const ids = (r: Array<{ item: string }>) => r.map((x) => x.item);

  it('top-K is deterministic, ties to the earlier candidate', () => {
    expect(ids(selectTop([c('p', 1, 'A'), c('q', 2, 'A'), c('r', 1, 'A')], { k: 3 }))).toEqual(['q', 'p', 'r']);
    expect(selectTop(list, { k: 2 }).map((x) => x.position)).toEqual([1, 2]);
  });

  it('limits brands and categories within the window and keeps the order otherwise', () => {
    expect(ids(selectTop(list, { k: 6, diversity: { maxPerBrand: 1, window: 3 } }))).toEqual(['a1', 'b1', 'c1', 'a2', 'a3', 'b2']);
    expect(ids(selectTop(list, { k: 6, diversity: { maxPerBrand: 2 } }))).toEqual(['a1', 'a2', 'b1', 'c1', 'b2', 'a3']);
    expect(ids(selectTop(list, { k: 3, diversity: { maxPerCategory: 1 } }))).toEqual(['a1', 'c1', 'a2']);
    // When nothing fits, the next item in order is taken (relaxed), never dropped.
    expect(ids(selectTop([c('a1', 3, 'A'), c('a2', 2, 'A')], { k: 2, diversity: { maxPerBrand: 1 } }))).toEqual(['a1', 'a2']);
  });

  it('pins, buries and excludes', () => {
    const r = selectTop(list, { k: 6, rules: { pin: [{ item: 'b2', position: 1 }, { item: 'new', position: 3 }], bury: ['a1'], exclude: ['a3'] } });
    expect(ids(r)).toEqual(['b2', 'a2', 'new', 'b1', 'c1', 'a1']);
    expect(r.map((x) => x.reason)).toEqual(['pinned', 'ranked', 'pinned', 'ranked', 'ranked', 'buried']);
    expect(r[2]!.score).toBeUndefined();
    expect(ids(selectTop(list, { k: 10, rules: { pin: [{ item: 'z', position: 50 }] } })).at(-1)).toBe('z');
    expect(codeOf(() => selectTop(list, { k: 3, rules: { pin: [{ item: 'a1', position: 1 }, { item: 'a2', position: 1 }] } }))).toBe('ERR_DUPLICATE');
    expect(codeOf(() => selectTop(list, { k: 0 }))).toBe('ERR_K_RANGE');
    expect(codeOf(() => selectTop([c('a', NaN, 'A')], { k: 1 }))).toBe('ERR_NON_FINITE');
    expect(codeOf(() => selectTop([c('a', 1, 'A'), c('a', 2, 'A')], { k: 1 }))).toBe('ERR_DUPLICATE');
    expect(codeOf(() => selectTop(list, { k: 1, mode: 'sample', temperature: 0 }))).toBe('ERR_ARGUMENT');
  });

  it('matches a plain full-list reference on random rules and k (only the first k are built)', () => {
    // The reference: every candidate in order, buried last, pins spliced in, then the first k.
    const reference = (cands: typeof list, k: number, rules: { pin: Array<{ item: string; position: number }>; bury: string[]; exclude: string[] }) => {
      const pinnedIds = new Set(rules.pin.map((p) => p.item));
      const pool = cands.filter((x) => !rules.exclude.includes(x.item) && !pinnedIds.has(x.item));
      const order = pool.map((x, i) => ({ x, i })).sort((a, b) => b.x.score - a.x.score || a.i - b.i).map((e) => e.x);
      const rows: Array<{ item: string; reason: string; score: number | undefined }> = [
        ...order.filter((x) => !rules.bury.includes(x.item)).map((x) => ({ item: x.item, reason: 'ranked', score: x.score })),
        ...order.filter((x) => rules.bury.includes(x.item)).map((x) => ({ item: x.item, reason: 'buried', score: x.score })),
      ];
      for (const p of [...rules.pin].sort((a, b) => a.position - b.position)) {
        if (rules.exclude.includes(p.item)) continue;
        rows.splice(Math.min(p.position - 1, rows.length), 0, { item: p.item, reason: 'pinned', score: cands.find((x) => x.item === p.item)?.score });
      }
      return rows.slice(0, k).map((r, i) => ({ ...r, position: i + 1 }));
    };
    const rand = seededRandom(11);
    for (let t = 0; t < 300; t++) {
      const n = Math.floor(rand() * 12);
      const cands = Array.from({ length: n }, (_, i) => c(`i${i}`, Math.floor(rand() * 5), 'A'));
      const some = (p: number) => cands.filter(() => rand() < p).map((x) => x.item);
      const positions = [...new Set(Array.from({ length: Math.floor(rand() * 3) }, () => 1 + Math.floor(rand() * (n + 4))))];
      const pinItems = [...some(0.15), 'extra'].slice(0, positions.length);
      const rules = { pin: pinItems.map((item, j) => ({ item, position: positions[j]! })), bury: some(0.2), exclude: some(0.1) };
      const k = 1 + Math.floor(rand() * (n + 3));
      const got = selectTop(cands, { k, rules }).map((r) => ({ item: r.item, reason: r.reason, score: r.score, position: r.position }));
      expect(got).toEqual(reference(cands, k, rules));
    }
  });

  it('softmax mode keeps the top order and attaches the softmax probabilities', () => {
    const r = selectTop(list, { k: 6, mode: 'softmax', temperature: 2 });
    expect(ids(r)).toEqual(ids(selectTop(list, { k: 6 })));
    const z = list.reduce((s, x) => s + Math.exp(x.score / 2), 0);
    r.forEach((x) => expect(x.probability!).toBeCloseTo(Math.exp(x.score! / 2) / z, 5));
  });

  it('sampling is seeded and follows the temperature', () => {
    const same = ids(selectTop(list, { k: 6, mode: 'sample', temperature: 5, seed: 42 }));
    expect(ids(selectTop(list, { k: 6, mode: 'sample', temperature: 5, seed: 42 }))).toEqual(same);
    const orders = new Set(Array.from({ length: 20 }, (_, s) => ids(selectTop(list, { k: 6, mode: 'sample', temperature: 5, seed: s })).join()));
    expect(orders.size).toBeGreaterThan(5);
    const pair = [c('hi', 1, 'A'), c('lo', 0, 'B')];
    for (const temperature of [0.5, 2]) {
      let first = 0;
      const draws = 2000;
      for (let s = 0; s < draws; s++) if (selectTop(pair, { k: 1, mode: 'sample', temperature, seed: s })[0]!.item === 'hi') first++;
      const expected = 1 / (1 + Math.exp(-1 / temperature));
      expect(Math.abs(first / draws - expected)).toBeLessThan(0.04);
    }
    // Temperature → 0 is the deterministic top order.
    expect(ids(selectTop(list, { k: 6, mode: 'sample', temperature: 0.01, seed: 7 }))).toEqual(ids(list));
  });
});

describe('Ranker', () => {
  const items = [
    ...Array.from({ length: 6 }, (_, i) => item(`phone${i}`, ['All', 'Electronics', 'Phones'], i % 2 ? 'Apple' : 'Xiaomi', 100 + 100 * i)),
    ...Array.from({ length: 6 }, (_, i) => item(`snack${i}`, ['All', 'Grocery', 'Snacks'], i % 2 ? 'Oreo' : "Lay's", 2 + i)),
  ];

  it('ranks recommendations for a profile (structurally typed) and searches with the search scorer', () => {
    const profiles = new ProfileStore({ catalog: items });
    for (let d = 0; d < 5; d++) profiles.update({ user: 'u', type: 'click', item: 'phone1', timestamp: T + d * DAY });
    const ranker = new Ranker({ catalog: new RankingCatalog(items) });
    const candidates = items.map((i) => ({ item: i.id }));
    const rec = ranker.rank({ user: profiles.get('u'), candidates, k: 4, now: T + 5 * DAY });
    expect(rec.items[0]!.item).toBe('phone1');
    expect(rec.items.every((x) => x.item.startsWith('phone'))).toBe(true);
    const diverse = ranker.rank({ user: profiles.get('u'), candidates, k: 4, now: T + 5 * DAY, diversity: { maxPerCategory: 2 } });
    expect(diverse.items.filter((x) => x.item.startsWith('snack')).length).toBe(2);
    const textOnly = LinearScorer.manual(FEATURE_NAMES, { text: 1 });
    const both = new Ranker({ catalog: new RankingCatalog(items), searchScorer: textOnly });
    const search = both.rank({ user: profiles.get('u'), query: 'cookies', candidates: candidates.map((c) => ({ ...c, textScore: c.item === 'snack3' ? 5 : 0 })), k: 1, now: T });
    expect(search.items[0]!.item).toBe('snack3');
    // Save / load of both scorers.
    const restored = new Ranker({ catalog: new RankingCatalog(items) });
    restored.loadWeights(JSON.stringify(both.saveWeights()));
    expect(restored.searchScorer!.toJSON()).toEqual(textOnly.toJSON());
    expect(restored.rank({ query: 'cookies', candidates: candidates.map((c) => ({ ...c, textScore: c.item === 'snack3' ? 5 : 0 })), k: 1, now: T }).items[0]!.item).toBe('snack3');
    expect(codeOf(() => restored.loadWeights({ ...both.saveWeights(), version: 2 }))).toBe('ERR_FORMAT');
    expect(codeOf(() => restored.loadWeights('[')) ).toBe('ERR_FORMAT');
    const sampled = both.rank({ user: profiles.get('u'), candidates, k: 3, mode: 'sample', seed: 1, temperature: 0.3, now: T });
    expect(sampled.items.every((x) => x.probability! > 0)).toBe(true);
  });

  it('skips the latent column only for a scorer that weighs it 0, with the same scores', () => {
    const rand = seededRandom(5);
    const factors = matrix(Float32Array.from({ length: items.length * 3 }, () => rand() - 0.5), items.length, 3);
    const catalog = new RankingCatalog(items, { itemVectors: { ids: items.map((i) => i.id), factors } });
    const user: UserSignals = { latentVector: () => Float32Array.from([0.3, -1, 2]), categoryAffinity: (path) => (path[1] === 'Grocery' ? 0.7 : 0.2) };
    const candidates = items.map((i, r) => ({ item: i.id, textScore: r % 3 }));
    const noLatent = LinearScorer.manual(FEATURE_NAMES, { text: 1, latent: 0, category: 0.5, popularity: 0.1 });
    const r = new Ranker({ catalog, scorer: noLatent }).rank({ user, candidates, k: 5, now: T });
    const full = new Ranker({ catalog, scorer: noLatent }).features({ user, candidates, now: T });
    const latentAt = FEATURE_NAMES.indexOf('latent');
    expect(Array.from({ length: full.rows }, (_, i) => full.data[i * full.cols + latentAt]).some((x) => x !== 0)).toBe(true);
    expect(Array.from({ length: r.features.rows }, (_, i) => r.features.data[i * r.features.cols + latentAt]).every((x) => x === 0)).toBe(true);
    expect(Array.from(r.scores)).toEqual(Array.from(noLatent.score(full)));
    // A scorer that uses it gets it.
    const withLatent = new Ranker({ catalog, scorer: LinearScorer.manual(FEATURE_NAMES, { latent: 1 }) }).rank({ user, candidates, k: 12, now: T });
    expect(Array.from(withLatent.features.data)).toEqual(Array.from(full.data));
    expect(withLatent.items.map((x) => x.item)).toEqual(orderByScore(Array.from({ length: full.rows }, (_, i) => full.data[i * full.cols + latentAt]!)).map((i) => items[i]!.id));
  });

  it('limits categories at the diversity depth from shared category paths', () => {
    const deep = [
      ...Array.from({ length: 4 }, (_, i) => item(`x${i}`, ['All', 'Electronics', i % 2 ? 'Phones' : 'Tablets'], 'B', 10)),
      ...Array.from({ length: 2 }, (_, i) => item(`y${i}`, ['All', 'Grocery'], 'B', 10)),
    ];
    const catalog = new RankingCatalog(deep);
    const candidates = deep.map((i, r) => ({ item: i.id, textScore: 10 - r }));
    const scorer = LinearScorer.manual(FEATURE_NAMES, { text: 1 });
    const top = (depth?: number) => new Ranker({ catalog, scorer, ...(depth ? { diversityCategoryDepth: depth } : {}) }).rank({ candidates, k: 4, diversity: { maxPerCategory: 1 }, now: T }).items.map((x) => x.item);
    expect(top()).toEqual(['x0', 'x1', 'y0', 'x2']);
    expect(top(2)).toEqual(['x0', 'y0', 'x1', 'x2']);
  });
});

describe('metrics', () => {
  it('computes nDCG and reciprocal rank by hand', () => {
    // Gains [0, 2, 1]: DCG = 3/log2(3) + 1/2; ideal = 3 + 1/log2(3).
    expect(ndcgAt([0, 2, 1], 10)).toBeCloseTo((3 / Math.log2(3) + 0.5) / (3 + 1 / Math.log2(3)), 14);
    expect(reciprocalRank([0, 0, 1])).toBeCloseTo(1 / 3, 15);
    expect(ndcgAt([0, 0], 10)).toBe(0);
  });
});
