// Parity of every retrieval op over every available backend (CONVENTIONS.md 17-18): each backend
// (ref, cpu, and cuda when a device is available) is compared with the independent pure-TS
// reference on random inputs, odd shapes and edge cases.
import { describe, expect, it } from 'vitest';

import {
  bitsetFromIndices,
  capabilities,
  csrFromRows,
  gramSync,
  sampleTopKSync,
  scoresSync,
  setSimdLevel,
  softmaxTopKSync,
  topK,
  topKSync,
  type Backend,
  type Matrix,
} from '@souk/kernels';
import { dot, gramRef, sampleTopKRef, scoresRef, softmaxTopKRef, topKRef, type RefTopKOptions } from '@souk/kernels/reference';

import { assertClose, assertTopKRow } from '../../../test/support/assert.js';
import { integerMatrix, randomMatrix, randomRows, rng } from '../../../test/support/random.js';

const caps = capabilities();
// 'cuda' joins when a device is available: on a GPU, or under the emulated addon (souk_emu.node,
// scripts/emu-addon-test.mjs), where the same cases drive the bridge, the launchers and the kernels.
const backends: Backend[] = ['ref', 'cpu', ...(caps.cuda.available ? (['cuda'] as const) : [])];
const simdLevels = (['scalar', 'avx2', 'avx512'] as const).filter(
  (l) => ['scalar', 'avx2', 'avx512'].indexOf(l) <= ['scalar', 'avx2', 'avx512'].indexOf(caps.simdDetected),
);
const TOL = { atol: 1e-4, rtol: 1e-4 };

function truthFor(q: Matrix, items: Matrix, r: number, opts: RefTopKOptions) {
  const admissible = new Set(topKRef({ data: q.data.subarray(r * q.cols, (r + 1) * q.cols), rows: 1, cols: q.cols }, items, {
    ...opts,
    k: items.rows || 1,
    exclude: opts.exclude && csrFromRows([Array.from(opts.exclude.indices.subarray(opts.exclude.indptr[r]!, opts.exclude.indptr[r + 1]!))]),
    candidates: opts.candidates && csrFromRows([Array.from(opts.candidates.indices.subarray(opts.candidates.indptr[r]!, opts.candidates.indptr[r + 1]!))], false),
  })[0]!.indices);
  return (i: number) => (admissible.has(i) ? dot(q, r, items, i) : undefined);
}

function checkTopK(res: { indices: Int32Array; scores: Float32Array; counts: Int32Array; k: number; row(i: number): { indices: Int32Array; scores: Float32Array } }, q: Matrix, items: Matrix, opts: RefTopKOptions, label: string) {
  // One extra reference entry tells whether the last returned item is tied with the next one.
  const ref = topKRef(q, items, { ...opts, k: opts.k + 1 });
  for (let r = 0; r < q.rows; r++) {
    const full = ref[r]!;
    const count = Math.min(opts.k, full.indices.length);
    const head = { indices: full.indices.slice(0, count), scores: full.scores.slice(0, count) };
    expect(res.counts[r], `${label} row ${r} count`).toBe(count);
    assertTopKRow(res.row(r), head, truthFor(q, items, r, opts), TOL, `${label} row ${r}`, full.scores[count] ?? -Infinity);
    // Padding after the real entries.
    for (let j = res.counts[r]!; j < res.k; j++) {
      expect(res.indices[r * res.k + j], `${label} row ${r} pad index`).toBe(-1);
      expect(res.scores[r * res.k + j], `${label} row ${r} pad score`).toBe(-Infinity);
    }
  }
}

describe.each(backends)('topK parity, backend %s', (backend) => {
  const shapes = [
    { m: 1, n: 1, d: 1, k: 1 },
    { m: 3, n: 50, d: 3, k: 5 },
    { m: 7, n: 131, d: 17, k: 10 },
    { m: 13, n: 257, d: 33, k: 1 },
    { m: 5, n: 100, d: 127, k: 100 }, // k = n
    { m: 4, n: 9, d: 257, k: 20 }, // k > n: padding
    { m: 33, n: 1000, d: 64, k: 16 },
    { m: 2, n: 4099, d: 128, k: 50 },
  ];
  for (const { m, n, d, k } of shapes) {
    it(`m=${m} n=${n} d=${d} k=${k}`, () => {
      const seed = m * 1000 + n + d;
      const q = randomMatrix(m, d, seed);
      const items = randomMatrix(n, d, seed + 1);
      const res = topKSync(q, items, { k, backend });
      checkTopK(res, q, items, { k }, `seed ${seed}`);
    });
  }

  it('exclude (empty rows, everything excluded for one query) and allow', () => {
    const m = 6, n = 300, d = 19;
    const q = randomMatrix(m, d, 11);
    const items = randomMatrix(n, d, 12);
    const rows = randomRows(m, n, 40, 13);
    rows[1] = [];
    rows[2] = Array.from({ length: n }, (_, i) => i); // all excluded
    const exclude = csrFromRows(rows);
    const allow = bitsetFromIndices(n, Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0));
    for (const opts of [{ k: 10, exclude }, { k: 10, allow }, { k: 10, exclude, allow }, { k: 250, exclude, allow }]) {
      const res = topKSync(q, items, { ...opts, backend });
      checkTopK(res, q, items, opts, `seed 11 ${Object.keys(opts).join('+')}`);
      if ('exclude' in opts) expect(res.counts[2]).toBe(0);
    }
  });

  it('candidates (duplicates, empty rows) combined with exclude and allow', () => {
    const m = 5, n = 200, d = 33;
    const q = randomMatrix(m, d, 21);
    const items = randomMatrix(n, d, 22);
    const cand = randomRows(m, n, 30, 23);
    cand[0] = [];
    cand[3] = [5, 5, 5, 7, 7, 199, 0];
    const candidates = csrFromRows(cand, false);
    const exclude = csrFromRows([[1, 2], [], [3], [7], []]);
    const allow = bitsetFromIndices(n, Array.from({ length: n }, (_, i) => i).filter((i) => i !== 199));
    const opts = { k: 8, candidates, exclude, allow };
    const res = topKSync(q, items, { ...opts, backend });
    checkTopK(res, q, items, opts, 'seed 21 candidates');
    expect(res.counts[0]).toBe(0);
    expect(Array.from(res.row(3).indices).sort((a, b) => a - b)).toEqual([0, 5]);
  });

  it('exact ties go to the smaller item index', () => {
    const q = integerMatrix(9, 5, 31, 1);
    const items = integerMatrix(400, 5, 32, 1); // many equal scores
    const res = topKSync(q, items, { k: 37, backend });
    const ref = topKRef(q, items, { k: 37 });
    for (let r = 0; r < q.rows; r++) expect(Array.from(res.row(r).indices), `row ${r}`).toEqual(ref[r]!.indices);
  });

  it('identical items: an item appears at most once and ties resolve by index', () => {
    const d = 8;
    const items = { data: new Float32Array(64 * d).fill(0.5), rows: 64, cols: d };
    const q = randomMatrix(3, d, 41);
    const res = topKSync(q, items, { k: 10, backend });
    for (let r = 0; r < 3; r++) expect(Array.from(res.row(r).indices)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('poisoned outputs: every element is written (real entries and padding)', () => {
    const m = 4, n = 30, d = 7, k = 40;
    const q = randomMatrix(m, d, 51), items = randomMatrix(n, d, 52);
    const out = { indices: new Int32Array(m * k).fill(123456), scores: new Float32Array(m * k).fill(NaN), counts: new Int32Array(m).fill(-7) };
    const exclude = csrFromRows([[0, 1, 2], [], Array.from({ length: n }, (_, i) => i), [29]]);
    const res = topKSync(q, items, { k, exclude, out, backend });
    expect(res.indices).toBe(out.indices);
    expect(out.scores.some(Number.isNaN)).toBe(false);
    expect(out.indices.includes(123456)).toBe(false);
    expect(Array.from(out.counts)).toEqual([27, 30, 0, 29]);
    checkTopK(res, q, items, { k, exclude }, 'poisoned');
  });

  it('async form gives the sync answer', async () => {
    const q = randomMatrix(17, 24, 61), items = randomMatrix(999, 24, 62);
    const a = await topK(q, items, { k: 12, backend });
    const b = topKSync(q, items, { k: 12, backend });
    expect(a.indices).toEqual(b.indices);
    expect(a.scores).toEqual(b.scores);
  });
});

describe.each(simdLevels)('cpu topK at SIMD level %s, threads 1/2/3', (level) => {
  it('matches the reference', () => {
    const prev = capabilities().simd;
    setSimdLevel(level);
    try {
      for (const threads of [1, 2, 3]) {
        for (const d of [1, 3, 17, 64, 127]) {
          const seed = 7000 + d * 10 + threads;
          const q = randomMatrix(21, d, seed), items = randomMatrix(1037, d, seed + 1);
          const exclude = csrFromRows(randomRows(21, 1037, 20, seed + 2));
          const res = topKSync(q, items, { k: 13, exclude, backend: 'cpu', threads });
          checkTopK(res, q, items, { k: 13, exclude }, `simd ${level} threads ${threads} seed ${seed}`);
        }
      }
    } finally {
      setSimdLevel(prev);
    }
  });

  it('gives the same answer for any thread count', () => {
    const prev = capabilities().simd;
    setSimdLevel(level);
    try {
      const q = randomMatrix(50, 40, 81), items = randomMatrix(5003, 40, 82);
      const one = topKSync(q, items, { k: 20, threads: 1, backend: 'cpu' });
      for (const threads of [2, 3]) {
        const many = topKSync(q, items, { k: 20, threads, backend: 'cpu' });
        expect(many.indices).toEqual(one.indices);
        expect(many.scores).toEqual(one.scores);
      }
    } finally {
      setSimdLevel(prev);
    }
  });
});

describe.each(backends)('scores, gram, softmaxTopK, sampleTopK parity, backend %s', (backend) => {
  it('scores on odd shapes', () => {
    for (const [m, n, d] of [[1, 1, 1], [3, 17, 3], [9, 33, 17], [5, 130, 127], [2, 3, 257]] as const) {
      const q = randomMatrix(m, d, m + n), items = randomMatrix(n, d, d);
      const out = new Float32Array(m * n).fill(NaN);
      scoresSync(q, items, { backend, out });
      assertClose(out, scoresRef(q, items), TOL, `scores ${m}x${n}x${d}`);
    }
  });

  it('gram on odd shapes, against double', () => {
    for (const [n, d] of [[1, 1], [10, 3], [1000, 17], [333, 33], [50, 127], [7, 257]] as const) {
      const y = randomMatrix(n, d, n * 31 + d);
      const out = new Float32Array(d * d).fill(NaN);
      gramSync(y, { backend, out });
      assertClose(out, gramRef(y), { atol: 1e-4, rtol: 1e-5 }, `gram ${n}x${d}`);
      for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) expect(out[a * d + b]).toBe(out[b * d + a]);
    }
  });

  it('softmaxTopK: probabilities, logZ, exclusion, padding', () => {
    for (const [m, n, d, k, t] of [[3, 50, 5, 5, 1], [4, 300, 33, 10, 0.25], [2, 7, 17, 12, 3], [6, 1200, 64, 1, 0.05]] as const) {
      const q = randomMatrix(m, d, n + k), items = randomMatrix(n, d, n * k);
      const exclude = csrFromRows(randomRows(m, n, 5, n));
      const res = softmaxTopKSync(q, items, { k, temperature: t, exclude, backend });
      const ref = softmaxTopKRef(q, items, { k, temperature: t, exclude });
      const next = topKRef(q, items, { k: k + 1, exclude });
      for (let r = 0; r < m; r++) {
        const row = res.row(r);
        assertTopKRow(row, ref[r]!, truthFor(q, items, r, { k, exclude }), TOL, `softmax ${m}x${n}x${d} t=${t} row ${r}`, next[r]!.scores[k] ?? -Infinity);
        assertClose(row.probs, ref[r]!.probs, { atol: 1e-6, rtol: 2e-4 }, `probs row ${r}`);
        assertClose([res.logZ[r]!], [ref[r]!.logZ], { atol: 1e-4, rtol: 1e-5 }, `logZ row ${r}`);
        for (let j = row.indices.length; j < k; j++) expect(res.probs[r * k + j]).toBe(0);
      }
    }
  });

  it('softmaxTopK: probabilities over all items sum to 1; nothing admissible gives logZ -Infinity', () => {
    const q = randomMatrix(2, 9, 91), items = randomMatrix(64, 9, 92);
    const res = softmaxTopKSync(q, items, { k: 64, temperature: 0.7, exclude: csrFromRows([[], Array.from({ length: 64 }, (_, i) => i)]), backend });
    const sum = res.row(0).probs.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 1)).toBeLessThan(1e-4);
    expect(res.logZ[1]).toBe(-Infinity);
    expect(res.counts[1]).toBe(0);
  });

  it('sampleTopK: the same draw as the reference (keys from the shared counter-based RNG)', () => {
    for (const [m, n, d, k, t, seed] of [[4, 60, 8, 5, 1, 1], [3, 500, 33, 20, 0.3, 2n ** 63n + 5n], [2, 10, 3, 15, 2, 99]] as const) {
      const q = randomMatrix(m, d, n), items = randomMatrix(n, d, n + 1);
      const res = sampleTopKSync(q, items, { k, temperature: t, seed, backend });
      const ref = sampleTopKRef(q, items, { k, temperature: t, seed });
      for (let r = 0; r < m; r++) {
        const row = res.row(r);
        expect(Array.from(row.indices), `sample row ${r} seed ${seed}`).toEqual(ref[r]!.indices);
        assertClose(row.scores, ref[r]!.scores, TOL, `sample scores row ${r}`);
        assertClose(row.probs, ref[r]!.probs, { atol: 1e-6, rtol: 2e-4 }, `sample probs row ${r}`);
      }
    }
  });
});

describe('sampleTopK draws follow the softmax', () => {
  it('first draws over 4000 independent rows match the probabilities (chi-square)', () => {
    const d = 4, n = 6, m = 4000;
    const items = randomMatrix(n, d, 5, 2);
    const one = randomMatrix(1, d, 6, 1);
    const q = { data: new Float32Array(m * d), rows: m, cols: d };
    for (let r = 0; r < m; r++) q.data.set(one.data, r * d);
    const res = sampleTopKSync(q, items, { k: 1, temperature: 0.8, seed: 12345, backend: 'cpu' });
    const probs = softmaxTopKRef(one, items, { k: n, temperature: 0.8 })[0]!;
    const p = new Array<number>(n).fill(0);
    probs.indices.forEach((i, j) => (p[i] = probs.probs[j]!));
    const counts = new Array<number>(n).fill(0);
    for (let r = 0; r < m; r++) counts[res.indices[r]!]!++;
    let chi2 = 0;
    for (let i = 0; i < n; i++) chi2 += (counts[i]! - m * p[i]!) ** 2 / (m * p[i]!);
    // 5 degrees of freedom: P(chi2 > 20.5) ≈ 0.001.
    expect(chi2, `counts ${counts} vs expected ${p.map((x) => (x * m).toFixed(0))}`).toBeLessThan(20.5);
  });

  it('is the same on 1, 2 and 3 threads and changes with the seed', () => {
    const q = randomMatrix(30, 16, 7), items = randomMatrix(2000, 16, 8);
    const a = sampleTopKSync(q, items, { k: 10, seed: 42, threads: 1, backend: 'cpu' });
    for (const threads of [2, 3]) expect(sampleTopKSync(q, items, { k: 10, seed: 42, threads, backend: 'cpu' }).indices).toEqual(a.indices);
    expect(sampleTopKSync(q, items, { k: 10, seed: 43, backend: 'cpu' }).indices).not.toEqual(a.indices);
  });
});

describe('large random check, both backends against each other', () => {
  it('cpu equals ref on 64 queries x 20011 items x d=96 with exclusions', () => {
    const r = rng(99);
    const m = 64, n = 20011, d = 96;
    const q = randomMatrix(m, d, Math.floor(r() * 1e6)), items = randomMatrix(n, d, 5);
    const exclude = csrFromRows(randomRows(m, n, 200, 6));
    const a = topKSync(q, items, { k: 100, exclude, backend: 'cpu' });
    const b = topKSync(q, items, { k: 101, exclude, backend: 'ref' });
    for (let i = 0; i < m; i++) {
      const head = { indices: Array.from(b.row(i).indices.subarray(0, 100)), scores: Array.from(b.row(i).scores.subarray(0, 100)) };
      assertTopKRow(a.row(i), head, (it) => dot(q, i, items, it), TOL, `row ${i}`, b.scores[i * 101 + 100]!);
    }
  });
});
