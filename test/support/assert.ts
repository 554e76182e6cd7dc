/**
 * Shared, explicit tolerances (CONVENTIONS.md 18): assertClose reports the first mismatches;
 * top-K comparisons are tie-aware.
 */
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** |actual - expected| <= atol + rtol * |expected| for every element; lists the first failures. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what = 'values'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const ok = Number.isFinite(e) ? Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e) : a === e;
    if (!ok && bad.length < 8) bad.push(`[${i}] ${a} vs ${e}`);
  }
  expect(bad, `${what}: first mismatches (atol ${tol.atol}, rtol ${tol.rtol})`).toEqual([]);
}

/** A top-K row as returned by a backend. */
export interface RowLike {
  indices: ArrayLike<number>;
  scores: ArrayLike<number>;
}

/**
 * Tie-aware top-K row check against a reference row:
 *  - same count; scores position by position within tolerance;
 *  - no duplicate indices; every returned index is admissible and its true score (`truth(i)`)
 *    matches the returned score;
 *  - indices equal the reference's wherever the reference's score is separated from its
 *    neighbours by more than the tolerance (elsewhere a tie may be broken either way).
 * `nextScore` is the score of the best admissible item just past the reference's list (-Infinity
 * if none): the last entry may be tied with it.
 */
export function assertTopKRow(
  actual: RowLike,
  ref: RowLike,
  truth: (i: number) => number | undefined,
  tol: Tolerance,
  what: string,
  nextScore = -Infinity,
): void {
  expect(actual.indices.length, `${what}: count`).toBe(ref.indices.length);
  const seen = new Set<number>();
  const slack = (s: number) => tol.atol + tol.rtol * Math.abs(s);
  for (let j = 0; j < ref.indices.length; j++) {
    const idx = actual.indices[j]!, s = actual.scores[j]!, rs = ref.scores[j]!;
    expect(seen.has(idx), `${what}: duplicate index ${idx}`).toBe(false);
    seen.add(idx);
    const t = truth(idx);
    expect(t, `${what}: index ${idx} at ${j} is not admissible`).not.toBeUndefined();
    expect(Math.abs(s - t!) <= slack(t!), `${what}: returned score ${s} of item ${idx} vs its true score ${t}`).toBe(true);
    expect(Math.abs(s - rs) <= slack(rs), `${what}: score at ${j}: ${s} vs reference ${rs}`).toBe(true);
    const prev = j > 0 ? ref.scores[j - 1]! : Infinity, next = j + 1 < ref.scores.length ? ref.scores[j + 1]! : nextScore;
    if (prev - rs > 2 * slack(rs) && rs - next > 2 * slack(rs)) {
      expect(idx, `${what}: index at ${j} (score ${rs} is not tied)`).toBe(ref.indices[j]);
    }
  }
}
