/**
 * Offline ranking evaluation, following Microsoft Recommenders' `python_evaluation`
 * definitions with binary relevance (a test interaction is relevant, everything else is not).
 *
 * For each evaluated user u with test items T_u (|T_u| ≥ 1), training items S_u and the top-K
 * list R_u = (r_1 … r_k) from `model.recommend(u, {k, filterSeen: true, seen: train})`, with
 * hit(i) = 1 when r_i ∈ T_u:
 *
 * - precision@k = Σ hit(i) / k  (k, not |R_u|, as Recommenders' `precision_at_k`)
 * - recall@k = Σ hit(i) / |T_u|
 * - nDCG@k = DCG / IDCG, DCG = Σ hit(i) / log2(i + 1), IDCG = Σ_{i=1}^{min(k, |T_u|)} 1 / log2(i + 1)
 * - MAP@k = AP_u averaged over users, AP_u = Σ_{i: hit(i)} (hits among r_1..r_i) / i, divided by
 *   min(k, |T_u|) — Recommenders' `map_at_k` (the Spark-derived variant normalised by
 *   min(k, |T_u|)); Recommenders' plain `map` divides by |T_u| instead and is reported as `mapFull`.
 * - AUC@k (implicit's `AUC_at_k`, exactly): items outside the list are tied below it. With P =
 *   |T_u|, N = items − |S_u| − P negatives (never-seen, non-test items), m = non-hits in the list:
 *   AUC = [Σ_{non-hit r_i} (hits above i) + hits·(N − m) + ½ (P − hits)(N − m)] / (P·N).
 * - coverage@k, catalog coverage: distinct items recommended to the evaluated users / items in
 *   the catalog (the matrix's columns). Recommenders' `catalog_coverage` divides by the distinct
 *   items in training instead; here items that appear only in test can be recommended too, so the
 *   catalog is the honest denominator.
 *
 * Users with no test items are skipped (as Recommenders, whose metrics average over users present
 * in both truth and predictions); so are users with no training interactions (Recommenders'
 * models produce no predictions for them). Means are over evaluated users.
 * @packageDocumentation
 */
import { invalidArgument, ModelError } from './errors.js';
import { toInteractions, type InteractionInput, type Interactions } from './interactions.js';
import type { Recommender } from './recommender.js';

/** Ranking metrics at k, averaged over evaluated users. */
export interface RankingMetrics {
  /** Cut-off. */
  readonly k: number;
  /** precision@k. */
  readonly precision: number;
  /** recall@k. */
  readonly recall: number;
  /** nDCG@k. */
  readonly ndcg: number;
  /** MAP@k as Recommenders' `map_at_k` (AP normalised by min(k, |T_u|)). */
  readonly map: number;
  /** MAP as Recommenders' `map` (AP over the top k normalised by |T_u|). */
  readonly mapFull: number;
  /** AUC@k (implicit's definition: unranked items tied below the list). */
  readonly auc: number;
  /** Catalog coverage: distinct recommended items / catalog items. */
  readonly coverage: number;
  /** Users evaluated. */
  readonly users: number;
  /** Users skipped (no test items, or no training interactions). */
  readonly skippedUsers: number;
}

/** Metric names `fit`'s validation and `tune` can watch (higher is better). */
export type MetricName = 'precision' | 'recall' | 'ndcg' | 'map' | 'mapFull' | 'auc' | 'coverage';

/** Per-user values (see the module doc for definitions). */
export interface UserRankingMetrics {
  /** precision@k. */
  precision: number;
  /** recall@k. */
  recall: number;
  /** nDCG@k. */
  ndcg: number;
  /** AP@k over min(k, |T_u|). */
  ap: number;
  /** AP@k over |T_u|. */
  apFull: number;
  /** AUC@k. */
  auc: number;
}

/**
 * Metrics of one ranked list. `recommended`: item indices best first (at most k are used);
 * `isRelevant(i)`: whether item i is a test item; `relevantCount`: |T_u| ≥ 1; `negatives`: N,
 * candidate items that are not relevant (for AUC).
 */
export function userRankingMetrics(recommended: ArrayLike<number>, isRelevant: (item: number) => boolean, relevantCount: number, k: number, negatives: number): UserRankingMetrics {
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('an integer k >= 1', 'k', k, 'ERR_K_RANGE');
  if (!(relevantCount >= 1)) throw invalidArgument('at least one relevant item', 'relevantCount', relevantCount);
  const n = Math.min(k, recommended.length);
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  let aucPairs = 0;
  let misses = 0;
  for (let i = 0; i < n; i++) {
    if (isRelevant(recommended[i]!)) {
      hits++;
      dcg += 1 / Math.log2(i + 2);
      apSum += hits / (i + 1);
    } else {
      misses++;
      aucPairs += hits;
    }
  }
  let idcg = 0;
  for (let i = 0; i < Math.min(k, relevantCount); i++) idcg += 1 / Math.log2(i + 2);
  const rest = negatives - misses;
  const auc = negatives > 0 ? (aucPairs + hits * rest + 0.5 * (relevantCount - hits) * rest) / (relevantCount * negatives) : 1;
  return {
    precision: hits / k,
    recall: hits / relevantCount,
    ndcg: dcg / idcg,
    ap: apSum / Math.min(k, relevantCount),
    apFull: apSum / relevantCount,
    auc,
  };
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Cut-off (default 10). */
  readonly k?: number;
  /** Users per `recommend` call (default 8,192). */
  readonly batchSize?: number;
}

function sameShape(model: Recommender, data: Interactions, what: string): void {
  const { users, items } = model.idIndices();
  if (data.csr.rows !== users.size || data.csr.cols !== items.size || !data.users.sameAs(users) || !data.items.sameAs(items)) {
    throw new ModelError(
      'ERR_ID_MAP_MISMATCH',
      `Expected ${what} over the model's ${users.size} users x ${items.size} items with the same id maps but received ${data.csr.rows} x ${data.csr.cols}${data.users.sameAs(users) && data.items.sameAs(items) ? '' : ' with different ids'}`,
    );
  }
}

/**
 * Evaluates `model` on `test` after training on `train` (both users × items over the model's id
 * maps): recommendations come in batches from the fused top-K kernel with the user's training
 * items filtered out; metrics as defined in this module's documentation.
 */
export async function evaluate(model: Recommender, train: InteractionInput | Interactions, test: InteractionInput | Interactions, options: EvaluateOptions = {}): Promise<RankingMetrics> {
  const k = options.k ?? 10;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) throw invalidArgument('an integer k >= 1', 'k', k, 'ERR_K_RANGE');
  const tr = isInteractions(train) ? train : toInteractions(train, 'train');
  const te = isInteractions(test) ? test : toInteractions(test, 'test');
  sameShape(model, tr, 'train');
  sameShape(model, te, 'test');
  const users: number[] = [];
  let skipped = 0;
  for (let u = 0; u < te.csr.rows; u++) {
    const testCount = te.csr.indptr[u + 1]! - te.csr.indptr[u]!;
    const trainCount = tr.csr.indptr[u + 1]! - tr.csr.indptr[u]!;
    if (testCount > 0 && trainCount > 0) users.push(u);
    else if (testCount > 0 || trainCount > 0) skipped++;
  }
  const nItems = te.csr.cols;
  const recommendedItems = new Uint8Array(nItems);
  let distinctRecommended = 0;
  const relevant = new Uint8Array(nItems);
  const sums = { precision: 0, recall: 0, ndcg: 0, ap: 0, apFull: 0, auc: 0 };
  const batch = options.batchSize ?? 8192;
  for (let b = 0; b < users.length; b += batch) {
    const slice = Int32Array.from(users.slice(b, b + batch));
    const recs = await model.recommend(slice, { k, filterSeen: true, seen: tr.csr });
    for (let q = 0; q < slice.length; q++) {
      const u = slice[q]!;
      const tb = te.csr.indptr[u]!, tEnd = te.csr.indptr[u + 1]!;
      for (let j = tb; j < tEnd; j++) relevant[te.csr.indices[j]!] = 1;
      const row = recs.row(q).items;
      for (const i of row) if (!recommendedItems[i]) { recommendedItems[i] = 1; distinctRecommended++; }
      const positives = tEnd - tb;
      const negatives = nItems - (tr.csr.indptr[u + 1]! - tr.csr.indptr[u]!) - positives;
      const m = userRankingMetrics(row, (i) => relevant[i] === 1, positives, k, negatives);
      sums.precision += m.precision;
      sums.recall += m.recall;
      sums.ndcg += m.ndcg;
      sums.ap += m.ap;
      sums.apFull += m.apFull;
      sums.auc += m.auc;
      for (let j = tb; j < tEnd; j++) relevant[te.csr.indices[j]!] = 0;
    }
  }
  const n = users.length;
  const mean = (s: number) => (n > 0 ? s / n : 0);
  return {
    k,
    precision: mean(sums.precision),
    recall: mean(sums.recall),
    ndcg: mean(sums.ndcg),
    map: mean(sums.ap),
    mapFull: mean(sums.apFull),
    auc: mean(sums.auc),
    coverage: nItems > 0 ? distinctRecommended / nItems : 0,
    users: n,
    skippedUsers: skipped,
  };
}

function isInteractions(x: unknown): x is Interactions {
  return typeof x === 'object' && x !== null && 'csr' in x && 'users' in x && 'items' in x && typeof (x as Interactions).users.sameAs === 'function';
}
