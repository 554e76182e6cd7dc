/**
 * Ranking metrics on graded gains: nDCG@k with exponential gain `2^g − 1` and `1 / log2(rank + 2)`
 * discounts, and the reciprocal rank of the first item with a positive gain.
 * @packageDocumentation
 */

/** Discount of 0-based rank r: `1 / log2(r + 2)`. */
export function discount(rank: number): number {
  return 1 / Math.log2(rank + 2);
}

/** DCG@k of gains in ranked order. */
export function dcgAt(gainsInRankOrder: ArrayLike<number>, k: number): number {
  let s = 0;
  const n = Math.min(k, gainsInRankOrder.length);
  for (let r = 0; r < n; r++) s += (Math.pow(2, gainsInRankOrder[r]!) - 1) * discount(r);
  return s;
}

/** nDCG@k: DCG of the ranking over DCG of the ideal order of all gains (0 when no gain is positive). */
export function ndcgAt(gainsInRankOrder: ArrayLike<number>, k: number, allGains: ArrayLike<number> = gainsInRankOrder): number {
  const ideal = Array.from(allGains).sort((a, b) => b - a);
  const idcg = dcgAt(ideal, k);
  return idcg > 0 ? dcgAt(gainsInRankOrder, k) / idcg : 0;
}

/** Reciprocal rank of the first positive gain (0 when none). */
export function reciprocalRank(gainsInRankOrder: ArrayLike<number>): number {
  for (let r = 0; r < gainsInRankOrder.length; r++) if (gainsInRankOrder[r]! > 0) return 1 / (r + 1);
  return 0;
}

/** Order of indices by score descending, ties to the smaller index. */
export function orderByScore(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx;
}
