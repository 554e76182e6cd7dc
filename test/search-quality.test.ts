// The search-quality chain (benchmarks/lib/search-quality.ts) on small seeded synthetic shops:
// the qualitative claims of the benchmark must hold on every run — quality, not timing.
import { describe, expect, it } from 'vitest';
import { runSearchQualityChain, typoVariant, synonymVariant, type ChainReport } from '../benchmarks/lib/search-quality.js';

const reports = new Map<'en' | 'zh', ChainReport>();
const chain = (locale: 'en' | 'zh') => {
  let report = reports.get(locale);
  if (!report) {
    report = runSearchQualityChain({ locale, items: 2_000, users: 300, queries: 150, events: 30_000, timing: false });
    reports.set(locale, report);
  }
  return report;
};

describe('query noise', () => {
  it('typos swap two letters of long English words; synonyms replace the product word', () => {
    expect(typoVariant('sony wireless headphones')).toBe('sony wierless hedaphones');
    expect(typoVariant('nike boots')).toBeUndefined();
    expect(synonymVariant('华为 笔记本电脑', [['电脑', '笔记本电脑']])).toBe('华为 电脑');
    expect(synonymVariant('bose headphones', [['headset', 'headphones']])).toBe('bose headset');
    expect(synonymVariant('bose earbuds', [['headset', 'headphones']])).toBeUndefined();
  });
});

describe.each(['en', 'zh'] as const)('search-quality chain (%s)', (locale) => {
  it('splits logged search requests in time, with noisy queries among the held-out ones', () => {
    const r = chain(locale);
    expect(r.requests.heldOut).toBeGreaterThan(300);
    expect(r.requests.train).toBeGreaterThan(2 * r.requests.heldOut);
    expect(r.requests.clean + r.requests.typo + r.requests.synonym).toBe(r.requests.heldOut);
    expect(r.requests.synonym).toBeGreaterThan(20);
    if (locale === 'en') expect(r.requests.typo).toBeGreaterThan(50);
    else expect(r.requests.typo).toBe(0); // the index corrects no Han characters
  });

  it('typos and synonyms lift nDCG and MRR on noisy queries and remove zero results', () => {
    const { graded, engagement } = chain(locale).heldOut.noisy;
    expect(graded.text.zeroResultRate).toBeGreaterThan(0.5);
    expect(graded.typosSynonyms.zeroResultRate).toBe(0);
    expect(graded.typosSynonyms.ndcg).toBeGreaterThan(graded.text.ndcg + 0.5);
    expect(graded.typosSynonyms.mrr).toBeGreaterThan(graded.text.mrr + 0.5);
    expect(engagement.typosSynonyms.ndcg).toBeGreaterThan(engagement.text.ndcg + 0.04);
    // On clean queries the two text steps agree: typo tolerance only acts when exact terms miss.
    const clean = chain(locale).heldOut.clean.graded;
    expect(clean.typosSynonyms.ndcg).toBeCloseTo(clean.text.ndcg, 10);
  });

  it('the same holds on the shop\'s whole query set', () => {
    const { querySet } = chain(locale);
    expect(querySet.synonym.text.zeroResultRate).toBeGreaterThan(0.5);
    expect(querySet.synonym.typosSynonyms.zeroResultRate).toBe(0);
    expect(querySet.synonym.typosSynonyms.ndcg).toBeGreaterThan(querySet.synonym.text.ndcg + 0.5);
    if (locale === 'en') {
      expect(querySet.typo.text.zeroResultRate).toBeGreaterThan(0.9);
      expect(querySet.typo.typosSynonyms.zeroResultRate).toBe(0);
      expect(querySet.typo.typosSynonyms.ndcg).toBeGreaterThan(0.8);
    }
  });

  it('personalisation lifts nDCG over text only on the personalised (engagement) ground truth', () => {
    const r = chain(locale);
    const all = r.heldOut.all.engagement;
    expect(all.personalised.ndcg).toBeGreaterThan(all.text.ndcg + 0.02);
    expect(all.personalised.mrr).toBeGreaterThan(all.text.mrr + 0.02);
    // On clean queries steps 1 and 2 are the same ranking, so this isolates personalisation.
    const clean = r.heldOut.clean.engagement;
    expect(clean.personalised.ndcg).toBeGreaterThan(clean.typosSynonyms.ndcg + 0.01);
    // The learned ranker, fitted on the training split only, also beats text only.
    expect(all.learnedLogistic.ndcg).toBeGreaterThan(all.text.ndcg + 0.02);
    expect(r.weights.logistic.popularity).toBeGreaterThan(0);
  });
});
