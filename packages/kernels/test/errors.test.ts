// Error paths: every code, wrong types, wrong lengths, k out of range, bad CSR, NaN inputs.
// Each is a typed KernelError with a stable code — never a crash — for the sync and async forms.
import { describe, expect, it } from 'vitest';

import {
  bitsetFromIndices,
  capabilities,
  csrFromRows,
  gram,
  gramSync,
  KernelError,
  sampleTopKSync,
  scoresSync,
  softmaxTopKSync,
  topK,
  topKSync,
  type Matrix,
} from '@souk/kernels';

import { randomMatrix } from '../../../test/support/random.js';

const q = randomMatrix(3, 8, 1);
const items = randomMatrix(20, 8, 2);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return (e as KernelError).code;
  }
  throw new Error('expected a KernelError, nothing was thrown');
}

function withNaN(m: Matrix, at: number, value = NaN): Matrix {
  const data = m.data.slice();
  data[at] = value;
  return { ...m, data };
}

describe('KernelError codes', () => {
  it('k out of range: ERR_K_RANGE', () => {
    expect(code(() => topKSync(q, items, { k: 0 }))).toBe('ERR_K_RANGE');
    expect(code(() => topKSync(q, items, { k: -3 }))).toBe('ERR_K_RANGE');
    expect(code(() => topKSync(q, items, { k: 2.5 }))).toBe('ERR_K_RANGE');
    expect(code(() => topKSync(q, items, { k: capabilities().maxK + 1 }))).toBe('ERR_K_RANGE');
    expect(code(() => softmaxTopKSync(q, items, { k: 0 }))).toBe('ERR_K_RANGE');
  });

  it('shape mismatches and wrong lengths: ERR_SHAPE', () => {
    expect(code(() => topKSync(q, randomMatrix(20, 7, 3), { k: 3 }))).toBe('ERR_SHAPE');
    expect(code(() => topKSync({ data: new Float32Array(23), rows: 3, cols: 8 }, items, { k: 3 }))).toBe('ERR_SHAPE');
    expect(code(() => scoresSync(q, items, { out: new Float32Array(59) }))).toBe('ERR_SHAPE');
    expect(code(() => topKSync(q, items, { k: 2, out: { indices: new Int32Array(6), scores: new Float32Array(5), counts: new Int32Array(3) } }))).toBe('ERR_SHAPE');
    expect(code(() => topKSync(q, items, { k: 2, allow: { bytes: new Uint8Array(1), size: 20 } }))).toBe('ERR_SHAPE');
    expect(code(() => topKSync(q, items, { k: 2, allow: bitsetFromIndices(21, [1]) }))).toBe('ERR_SHAPE');
  });

  it('wrong array types: ERR_TYPE', () => {
    expect(code(() => topKSync({ data: new Float64Array(24) as unknown as Float32Array, rows: 3, cols: 8 }, items, { k: 3 }))).toBe('ERR_TYPE');
    expect(code(() => topKSync(q, items, { k: 3, exclude: { indptr: [0, 0, 0, 0] as unknown as Int32Array, indices: new Int32Array(0) } }))).toBe('ERR_TYPE');
    expect(code(() => topKSync(null as unknown as Matrix, items, { k: 3 }))).toBe('ERR_TYPE');
    expect(code(() => topKSync(q, items, undefined as unknown as { k: number }))).toBe('ERR_TYPE');
  });

  it('bad CSR: ERR_CSR (length, non-monotone, out of range, unsorted exclude rows)', () => {
    const ex = (indptr: number[], indices: number[]) => ({ indptr: Int32Array.from(indptr), indices: Int32Array.from(indices) });
    expect(code(() => topKSync(q, items, { k: 3, exclude: ex([0, 1, 2], [1, 2]) }))).toBe('ERR_CSR');
    expect(code(() => topKSync(q, items, { k: 3, exclude: ex([0, 2, 1, 3], [1, 2, 3]) }))).toBe('ERR_CSR');
    expect(code(() => topKSync(q, items, { k: 3, exclude: ex([0, 1, 1, 2], [1, 20]) }))).toBe('ERR_CSR');
    expect(code(() => topKSync(q, items, { k: 3, exclude: ex([0, 1, 1, 2], [1, -1]) }))).toBe('ERR_CSR');
    expect(code(() => topKSync(q, items, { k: 3, exclude: ex([0, 2, 2, 2], [5, 4]) }))).toBe('ERR_CSR');
    expect(code(() => topKSync(q, items, { k: 3, exclude: ex([1, 1, 1, 1], [1]) }))).toBe('ERR_CSR');
    expect(code(() => topKSync(q, items, { k: 3, candidates: ex([0, 1, 1, 5], [1, 2]) }))).toBe('ERR_CSR');
  });

  it('bad scalars: ERR_ARGUMENT', () => {
    expect(code(() => softmaxTopKSync(q, items, { k: 2, temperature: 0 }))).toBe('ERR_ARGUMENT');
    expect(code(() => softmaxTopKSync(q, items, { k: 2, temperature: -1 }))).toBe('ERR_ARGUMENT');
    expect(code(() => softmaxTopKSync(q, items, { k: 2, temperature: Infinity }))).toBe('ERR_ARGUMENT');
    expect(code(() => sampleTopKSync(q, items, { k: 2, seed: -1 }))).toBe('ERR_ARGUMENT');
    expect(code(() => sampleTopKSync(q, items, { k: 2, seed: 2n ** 64n }))).toBe('ERR_ARGUMENT');
    expect(code(() => topKSync(q, items, { k: 2, threads: -1 }))).toBe('ERR_ARGUMENT');
    expect(code(() => topKSync(q, items, { k: 2, backend: 'gpu' as never }))).toBe('ERR_ARGUMENT');
  });

  it.skipIf(capabilities().cuda.available)("backend 'cuda' without a device: ERR_NO_DEVICE", () => {
    expect(code(() => topKSync(q, items, { k: 2, backend: 'cuda' }))).toBe('ERR_NO_DEVICE');
  });

  it('messages say what was expected and what was received', () => {
    try {
      topKSync(q, items, { k: 0 });
    } catch (e) {
      expect((e as Error).message).toMatch(/^Expected k in \[1, \d+\] for k but received 0$/);
    }
  });
});

describe.each(['cpu', 'ref'] as const)('NaN and Infinity inputs: ERR_NON_FINITE, backend %s', (backend) => {
  const positions = [0, 7, 23];
  for (const at of positions) {
    it(`NaN in queries at ${at}, Infinity in items at ${at * 5}`, () => {
      expect(code(() => topKSync(withNaN(q, at), items, { k: 3, backend }))).toBe('ERR_NON_FINITE');
      expect(code(() => topKSync(q, withNaN(items, at * 5, Infinity), { k: 3, backend }))).toBe('ERR_NON_FINITE');
      expect(code(() => topKSync(q, withNaN(items, at * 5, -Infinity), { k: 3, backend }))).toBe('ERR_NON_FINITE');
      expect(code(() => softmaxTopKSync(withNaN(q, at), items, { k: 3, backend }))).toBe('ERR_NON_FINITE');
      expect(code(() => sampleTopKSync(q, withNaN(items, at * 5), { k: 3, seed: 1, backend }))).toBe('ERR_NON_FINITE');
      expect(code(() => scoresSync(withNaN(q, at), items, { backend }))).toBe('ERR_NON_FINITE');
      expect(code(() => gramSync(withNaN(items, at), { backend }))).toBe('ERR_NON_FINITE');
    });
  }
  it('NaN in the last item of a large, odd-sized matrix is found', () => {
    const big = randomMatrix(5003, 33, 9);
    expect(code(() => topKSync(randomMatrix(5, 33, 1), withNaN(big, big.data.length - 1), { k: 3, backend }))).toBe('ERR_NON_FINITE');
  });
});

describe('async forms reject with the same codes and the caller stack', () => {
  it('rejects (never throws synchronously) for bad arguments', async () => {
    const p = topK(q, items, { k: 0 });
    await expect(p).rejects.toMatchObject({ code: 'ERR_K_RANGE' });
  });
  it('rejects with ERR_NON_FINITE from native and keeps the calling frame', async () => {
    async function callerFrameMarker() {
      return gram(withNaN(items, 3));
    }
    const err = await callerFrameMarker().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).code).toBe('ERR_NON_FINITE');
    expect((err as Error).stack).toContain('callerFrameMarker');
  });
});

describe('empty inputs are fine, not errors', () => {
  it('zero queries, zero items, zero dimensions', () => {
    expect(topKSync({ data: new Float32Array(0), rows: 0, cols: 8 }, items, { k: 3 }).indices.length).toBe(0);
    const none = topKSync(q, { data: new Float32Array(0), rows: 0, cols: 8 }, { k: 3 });
    expect(Array.from(none.counts)).toEqual([0, 0, 0]);
    expect(none.indices.every((i) => i === -1)).toBe(true);
    const d0 = topKSync({ data: new Float32Array(0), rows: 2, cols: 0 }, { data: new Float32Array(0), rows: 4, cols: 0 }, { k: 2 });
    expect(Array.from(d0.indices)).toEqual([0, 1, 0, 1]);
    expect(Array.from(d0.scores)).toEqual([0, 0, 0, 0]);
  });
});

it('csrFromRows sorts and de-duplicates', () => {
  const c = csrFromRows([[3, 1, 3], [], [0]]);
  expect(Array.from(c.indptr)).toEqual([0, 2, 2, 3]);
  expect(Array.from(c.indices)).toEqual([1, 3, 0]);
});
