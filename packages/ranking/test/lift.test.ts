import { describe, expect, it } from 'vitest';
import { createSyntheticShop } from '@souk/data';
import { ProfileStore } from '@souk/profiles';
import { csrFromRows } from '@souk/kernels';
import { ALS } from '@souk/models';
import { evaluateRankingLift, liftSessions, LIFT_COMPONENTS, type LiftReport } from '@souk/ranking';

const metric = (r: LiftReport, scenario: 'search' | 'recommend', component: string) => {
  const row = r.rows.find((x) => x.scenario === scenario && x.component === component);
  expect(row, `${scenario} / ${component}`).toBeDefined();
  return row!.ndcg;
};

describe.each(['en', 'zh'] as const)('offline lift on the synthetic shop (%s)', (locale) => {
  it('personalisation and the learned ranker lift nDCG@10 on held-out sessions', () => {
    const shop = createSyntheticShop({ seed: 3, locale, items: 500, users: 200 });
    const report = evaluateRankingLift(shop, { profiles: new ProfileStore({ catalog: shop.items }), events: 20_000, seed: 1 });
    console.log(`[lift ${locale}] train sessions ${report.trainSessions}, held-out ${report.testSessions}\n${report.table}`);
    expect(report.testSessions).toBeGreaterThan(300);
    // Recommendations: the profile's category affinity is what separates the user's items.
    const pop = metric(report, 'recommend', LIFT_COMPONENTS.popularity);
    expect(metric(report, 'recommend', LIFT_COMPONENTS.manual)).toBeGreaterThan(pop + 0.1);
    expect(metric(report, 'recommend', LIFT_COMPONENTS.logistic)).toBeGreaterThan(pop + 0.1);
    expect(metric(report, 'recommend', LIFT_COMPONENTS.pairwise)).toBeGreaterThan(pop + 0.1);
    expect(metric(report, 'recommend', LIFT_COMPONENTS.logistic)).toBeGreaterThan(metric(report, 'recommend', LIFT_COMPONENTS.learnedNoUser) + 0.1);
    // Search: the learned rankers beat the text-only baseline.
    const text = metric(report, 'search', LIFT_COMPONENTS.text);
    expect(metric(report, 'search', LIFT_COMPONENTS.logistic)).toBeGreaterThan(text + 0.01);
    expect(metric(report, 'search', LIFT_COMPONENTS.pairwise)).toBeGreaterThan(text + 0.01);
  });
});

describe('offline lift with ALS latent vectors (en)', () => {
  it('the fold-in latent feature ranks recommendations better than popularity', async () => {
    const shop = createSyntheticShop({ seed: 3, locale: 'en', items: 500, users: 200 });
    const options = { events: 20_000, seed: 1, warmupFraction: 0.35 };
    // Fit ALS on the warm-up sessions only: its factors never see the ranker's training or held-out sessions.
    const { trainEvents } = liftSessions(shop, { ...options, trainFraction: options.warmupFraction });
    const itemIds = shop.items.map((i) => i.id);
    const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
    const userIds = [...new Set(trainEvents.map((e) => e.user))];
    const userIndex = new Map(userIds.map((id, i) => [id, i]));
    const rows: number[][] = userIds.map(() => []);
    for (const e of trainEvents) if (e.item !== undefined && e.type !== 'search') rows[userIndex.get(e.user)!]!.push(itemIndex.get(e.item)!);
    const pattern = csrFromRows(rows);
    const csr = { ...pattern, data: new Float32Array(pattern.indices.length).fill(1), rows: userIds.length, cols: itemIds.length };
    const als = new ALS({ factors: 16, iterations: 8, regularization: 0.1, calculateTrainingLoss: false });
    await als.fit({ csr, userIds, itemIds });
    const report = evaluateRankingLift(shop, {
      ...options,
      profiles: new ProfileStore({ catalog: shop.items, model: als }),
      itemVectors: { ids: itemIds, factors: als.itemFactors },
    });
    console.log(`[lift en + ALS]\n${report.table}`);
    const pop = metric(report, 'recommend', LIFT_COMPONENTS.popularity);
    expect(metric(report, 'recommend', LIFT_COMPONENTS.latent)).toBeGreaterThan(pop + 0.05);
    expect(metric(report, 'recommend', LIFT_COMPONENTS.logistic)).toBeGreaterThan(pop + 0.1);
    const latentWeight = report.weights.recommend!.logistic.weights[report.weights.recommend!.logistic.features.indexOf('latent')]!;
    expect(latentWeight).toBeGreaterThan(0);
    // With the warm-up split there is no leakage, and the learned search rankers still beat text.
    const text = metric(report, 'search', LIFT_COMPONENTS.text);
    expect(metric(report, 'search', LIFT_COMPONENTS.logistic)).toBeGreaterThan(text + 0.01);
    expect(metric(report, 'search', LIFT_COMPONENTS.pairwise)).toBeGreaterThan(text + 0.01);
  });
});
