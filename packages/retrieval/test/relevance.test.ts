import { createSyntheticShop, type SyntheticQuery } from '@souk/data';
import { describe, expect, it } from 'vitest';
import { TextIndex } from '../src/index.js';

/** nDCG@10 (gain 2^grade − 1) and MRR of the first grade-3 item, averaged over queries. */
function evaluate(rankings: string[][], queries: readonly SyntheticQuery[]) {
  let ndcg = 0;
  let mrr = 0;
  queries.forEach((q, i) => {
    const grades = new Map(q.relevance.map((r) => [r.item, r.grade]));
    const ranking = rankings[i]!.slice(0, 10);
    const dcg = ranking.reduce((s, id, r) => s + (2 ** (grades.get(id) ?? 0) - 1) / Math.log2(r + 2), 0);
    const ideal = q.relevance.map((r) => r.grade as number).sort((a, b) => b - a).slice(0, 10);
    const idcg = ideal.reduce((s, g, r) => s + (2 ** g - 1) / Math.log2(r + 2), 0);
    ndcg += idcg > 0 ? dcg / idcg : 0;
    const first = ranking.findIndex((id) => grades.get(id) === 3);
    mrr += first >= 0 ? 1 / (first + 1) : 0;
  });
  return { ndcg: ndcg / queries.length, mrr: mrr / queries.length };
}

describe.each(['en', 'zh'] as const)('relevance on the synthetic shop (%s)', (locale) => {
  const shop = createSyntheticShop({ seed: 11, locale, items: 3000, users: 1, queries: 150 });
  const index = new TextIndex();
  index.addMany(shop.items);

  it('nDCG@10 and MRR are far above a random ranking', () => {
    const rankings = shop.queries.map((q) => index.search({ query: q.text, k: 10 }).hits.map((h) => h.id));
    const quality = evaluate(rankings, shop.queries);
    let seed = 17;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const ids = shop.items.map((it) => it.id);
    const randomRankings = shop.queries.map(() => Array.from({ length: 10 }, () => ids[Math.floor(random() * ids.length)]!));
    const baseline = evaluate(randomRankings, shop.queries);
    expect(baseline.ndcg).toBeLessThan(0.2);
    expect(quality.ndcg).toBeGreaterThan(0.85);
    expect(quality.mrr).toBeGreaterThan(0.9);
    expect(quality.ndcg).toBeGreaterThan(baseline.ndcg + 0.6);
  });

  it('still finds the right items with a typo in a long Latin word or a half-typed last word', () => {
    const latin = shop.queries.filter((q) => /^[a-z ]+$/.test(q.text) && q.text.split(' ').some((w) => w.length >= 6)).slice(0, 30);
    if (locale === 'zh') {
      // Chinese terms get no typo budget; a half-typed last term is still completed.
      const prefixed = shop.queries.filter((q) => [...q.text].length >= 3).slice(0, 30);
      const rankings = prefixed.map((q) => index.search({ query: q.text.slice(0, -1), k: 10 }).hits.map((h) => h.id));
      expect(rankings.every((r) => r.length > 0)).toBe(true);
      return;
    }
    const typo = (text: string) => text.split(' ').map((w) => (w.length >= 6 ? w.slice(0, 2) + w[3] + w[2] + w.slice(4) : w)).join(' ');
    const withTypos = latin.map((q) => index.search({ query: typo(q.text), k: 10 }).hits.map((h) => h.id));
    const quality = evaluate(withTypos, latin);
    const without = evaluate(latin.map((q) => index.search({ query: typo(q.text), k: 10, typos: false, fallback: false }).hits.map((h) => h.id)), latin);
    expect(quality.ndcg).toBeGreaterThan(0.8);
    expect(quality.ndcg).toBeGreaterThan(without.ndcg + 0.3);
  });
});
