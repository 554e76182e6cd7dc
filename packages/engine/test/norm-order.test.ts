// The norm-ordered scan (norm-order.ts) against one topK over all rows: the same rows, scores and
// order, with exclusions, allow lists, exact ties (duplicate rows; a zero query, where every row
// ties), more k than admissible rows, and k at the kernel's limit;
// and it must stop early on vectors whose norms fall off like a matrix factorisation's.
import { bitsetFromIndices, topKSync, type ItemBitset, type Matrix } from '@souk/kernels';
import { seededRandom } from '@souk/data';
import { describe, expect, it } from 'vitest';
import { normOrderedTopK, normOrderOf } from '../src/norm-order.js';

const MAX_K = 1024;

/** Random directions with power-law norms (popular items long, the tail short), and duplicated rows. */
function factors(n: number, d: number, seed: number): Matrix {
  const random = seededRandom(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const norm = 0.1 * Math.pow(1 - random(), -0.5);
    let s = 0;
    const row = data.subarray(i * d, (i + 1) * d);
    for (let t = 0; t < d; t++) s += (row[t] = random() * 2 - 1) ** 2;
    for (let t = 0; t < d; t++) row[t] = (row[t]! / Math.sqrt(s)) * norm;
  }
  for (let i = 7; i < n; i += 997) data.copyWithin(i * d, (i - 5) * d, (i - 4) * d); // exact ties
  return { data, rows: n, cols: d };
}

function query(d: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: d }, () => random() * 2 - 1);
}

function fullScan(items: Matrix, q: Float32Array, k: number, exclude: Int32Array, allow: ItemBitset | undefined) {
  const res = topKSync({ data: q, rows: 1, cols: q.length }, items, {
    k,
    ...(exclude.length > 0 ? { exclude: { indptr: Int32Array.of(0, exclude.length), indices: exclude } } : {}),
    ...(allow ? { allow } : {}),
  });
  const count = res.counts[0]!;
  return { indices: res.indices.slice(0, count), scores: res.scores.slice(0, count) };
}

describe('norm-ordered top-K', () => {
  const cases = [
    { n: 40_000, d: 64, k: 110 },
    { n: 40_000, d: 64, k: 1 },
    { n: 25_008, d: 20, k: 300 },
    { n: 30_001, d: 33, k: 50 }, // a tail of n mod 16 rows: scores may differ by float32 rounding
  ];
  for (const { n, d, k } of cases) {
    it(`n=${n} d=${d} k=${k}, with exclusions and an allow list, sync and async`, async () => {
      const items = factors(n, d, n + d);
      const order = normOrderOf(items);
      expect(normOrderOf(items)).toBe(order); // made once per matrix
      const random = seededRandom(k);
      for (let trial = 0; trial < 6; trial++) {
        const q = query(d, trial * 31 + k);
        const exclude = trial % 2 === 0 ? new Int32Array(0) : Int32Array.from(new Set(Array.from({ length: 200 }, () => Math.floor(random() * n)))).sort();
        const allow = trial % 3 === 2 ? bitsetFromIndices(n, Array.from({ length: n }, (_, i) => i).filter(() => random() < 0.3)) : undefined;
        const want = fullScan(items, q, k, exclude, allow);
        const got = await normOrderedTopK(order, q, k, exclude, allow, trial % 2 === 0, MAX_K);
        if (n % 16 === 0) {
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
        } else {
          expect(got.indices.length).toBe(want.indices.length);
          for (let j = 0; j < want.scores.length; j++) expect(got.scores[j]).toBeCloseTo(want.scores[j]!, 4);
          expect(new Set(got.indices).size).toBe(got.indices.length);
        }
        if (!allow) expect(got.scanned).toBeLessThan(n); // the norms fall off: it stops early
      }
    });
  }

  it('a zero query (every score 0: ties to the smaller row) and more k than admissible rows', async () => {
    const items = factors(20_000, 16, 5);
    const order = normOrderOf(items);
    const zero = await normOrderedTopK(order, new Float32Array(16), 40, new Int32Array(0), undefined, true, MAX_K);
    expect(Array.from(zero.indices)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const few = bitsetFromIndices(20_000, [19_999, 3, 17_000, 8_191, 8_192]);
    const q = query(16, 9);
    const got = await normOrderedTopK(order, q, 10, Int32Array.of(3), few, true, MAX_K);
    expect(Array.from(got.indices)).toEqual(Array.from(fullScan(items, q, 10, Int32Array.of(3), few).indices));
    expect(got.indices.length).toBe(4);
    // k + 1 over the kernel's limit: one scan over all rows.
    const capped = await normOrderedTopK(order, q, 30, new Int32Array(0), undefined, false, 30);
    expect(capped.scanned).toBe(20_000);
    expect(Array.from(capped.indices)).toEqual(Array.from(fullScan(items, q, 30, new Int32Array(0), undefined).indices));
  });
});
