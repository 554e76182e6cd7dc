/**
 * Train/test splits over unique (user, item) pairs, so no test interaction can appear in train.
 * @packageDocumentation
 */
import { invalidArgument } from './errors.js';
import type { InteractionPairs } from './matrix.js';

/** A train/test split of interaction pairs. */
export interface InteractionSplit {
  /** Training pairs. */
  readonly train: InteractionPairs;
  /** Test pairs. */
  readonly test: InteractionPairs;
}

/** A seeded PRNG (SplitMix32-style, Mulberry32): deterministic across platforms. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function subset(pairs: InteractionPairs, picks: Int32Array | number[], count: number): InteractionPairs {
  const users = new Int32Array(count);
  const items = new Int32Array(count);
  const values = new Float32Array(count);
  const timestamps = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const p = picks[k]!;
    users[k] = pairs.users[p]!;
    items[k] = pairs.items[p]!;
    values[k] = pairs.values[p]!;
    timestamps[k] = pairs.timestamps[p]!;
  }
  return { length: count, users, items, values, timestamps, rows: pairs.rows, cols: pairs.cols };
}

function partition(pairs: InteractionPairs, inTest: Uint8Array): InteractionSplit {
  const train: number[] = [];
  const test: number[] = [];
  for (let p = 0; p < pairs.length; p++) (inTest[p] ? test : train).push(p);
  return { train: subset(pairs, train, train.length), test: subset(pairs, test, test.length) };
}

function userRanges(pairs: InteractionPairs): Int32Array {
  // Pairs are sorted by user: start offsets per user.
  const starts = new Int32Array(pairs.rows + 1);
  for (let p = 0; p < pairs.length; p++) starts[pairs.users[p]! + 1]!++;
  for (let u = 0; u < pairs.rows; u++) starts[u + 1]! += starts[u]!;
  return starts;
}

function assertSortedByUser(pairs: InteractionPairs): void {
  for (let p = 1; p < pairs.length; p++) {
    if (pairs.users[p]! < pairs.users[p - 1]!) throw invalidArgument('pairs sorted by user', 'pairs', `user ${pairs.users[p]} after ${pairs.users[p - 1]}`);
  }
}

/**
 * Random split stratified per user (the Microsoft Recommenders `python_stratified_split`
 * protocol): each user's pairs are shuffled with a seeded PRNG and the first
 * `round(ratio · n)` go to train, the rest to test. Users with fewer than `minInteractions`
 * pairs are dropped from both (default 1: kept).
 */
export function stratifiedRandomSplit(pairs: InteractionPairs, options: { ratio?: number; seed?: number; minInteractions?: number } = {}): InteractionSplit {
  const ratio = options.ratio ?? 0.75;
  if (!(ratio > 0 && ratio < 1)) throw invalidArgument('a ratio in (0, 1)', 'ratio', ratio);
  const minInteractions = options.minInteractions ?? 1;
  assertSortedByUser(pairs);
  const random = seededRandom(options.seed ?? 42);
  const starts = userRanges(pairs);
  const inTest = new Uint8Array(pairs.length);
  const dropped = new Uint8Array(pairs.length);
  for (let u = 0; u < pairs.rows; u++) {
    const a = starts[u]!;
    const n = starts[u + 1]! - a;
    if (n === 0) continue;
    if (n < minInteractions) {
      dropped.fill(1, a, a + n);
      continue;
    }
    const idx = Array.from({ length: n }, (_, k) => a + k);
    for (let k = n - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      const t = idx[k]!;
      idx[k] = idx[j]!;
      idx[j] = t;
    }
    const trainCount = Math.round(ratio * n);
    for (let k = trainCount; k < n; k++) inTest[idx[k]!] = 1;
  }
  if (minInteractions <= 1) return partition(pairs, inTest);
  const train: number[] = [];
  const test: number[] = [];
  for (let p = 0; p < pairs.length; p++) if (!dropped[p]) (inTest[p] ? test : train).push(p);
  return { train: subset(pairs, train, train.length), test: subset(pairs, test, test.length) };
}

/**
 * Global temporal split: pairs whose latest event is at or before the cutoff go to train, later
 * ones to test. The cutoff is `cutoffMs`, or the `ratio` quantile of pair times (default 0.75).
 */
export function temporalSplit(pairs: InteractionPairs, options: { ratio?: number; cutoffMs?: number } = {}): InteractionSplit & { cutoffMs: number } {
  let cutoff = options.cutoffMs;
  if (cutoff === undefined) {
    const ratio = options.ratio ?? 0.75;
    if (!(ratio > 0 && ratio < 1)) throw invalidArgument('a ratio in (0, 1)', 'ratio', ratio);
    const sorted = Float64Array.from(pairs.timestamps).sort();
    cutoff = sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(ratio * sorted.length) - 1))]!;
  }
  const inTest = new Uint8Array(pairs.length);
  for (let p = 0; p < pairs.length; p++) if (pairs.timestamps[p]! > cutoff) inTest[p] = 1;
  return { ...partition(pairs, inTest), cutoffMs: cutoff };
}

/**
 * Leave-last-k-out: each user's k latest pairs (ties broken by item index) go to test. Users
 * with at most k pairs keep them all in train.
 */
export function leaveLastKOutSplit(pairs: InteractionPairs, options: { k?: number } = {}): InteractionSplit {
  const k = options.k ?? 1;
  if (!Number.isInteger(k) || k < 1) throw invalidArgument('a positive integer', 'k', k);
  assertSortedByUser(pairs);
  const starts = userRanges(pairs);
  const inTest = new Uint8Array(pairs.length);
  for (let u = 0; u < pairs.rows; u++) {
    const a = starts[u]!;
    const n = starts[u + 1]! - a;
    if (n <= k) continue;
    const idx = Array.from({ length: n }, (_, j) => a + j);
    idx.sort((x, y) => pairs.timestamps[y]! - pairs.timestamps[x]! || pairs.items[y]! - pairs.items[x]!);
    for (let j = 0; j < k; j++) inTest[idx[j]!] = 1;
  }
  return partition(pairs, inTest);
}
