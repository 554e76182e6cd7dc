// The CUDA backend's integration: what the probe reports, the fallback without a device, `auto`,
// DeviceMatrix (resident operands, dispose, host fallback) and the training ops on the device.
// Runs against whichever addon is loaded: the regular build (no GPU here: CPU with a reason), the
// emulated build (SOUK_KERNELS_BINARY=.../souk_emu.node: one emulated device) or a GPU machine.
// SOUK_EXPECT_CUDA=1 (set by scripts/emu-addon-test.mjs and scripts/gpu-check.mjs) makes a missing
// device a failure instead of a fallback.
import { describe, expect, it } from 'vitest';

import {
  alsLossSync,
  capabilities,
  csrFromRows,
  deviceMemory,
  DeviceMatrix,
  gram,
  gramSync,
  KernelError,
  scores,
  scoresSync,
  softmaxTopKSync,
  topK,
  topKSync,
} from '@souk/kernels';

import { randomMatrix } from '../../../test/support/random.js';

const caps = capabilities();
const cuda = caps.cuda;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return (e as KernelError).code;
  }
  return 'no error';
}

describe('the CUDA probe', () => {
  it.runIf(process.env.SOUK_EXPECT_CUDA === '1')('SOUK_EXPECT_CUDA: a device is available and auto picks it', () => {
    expect(cuda.available, `cuda unavailable: ${cuda.reason}`).toBe(true);
    expect(cuda.reason).toBe('');
    expect(caps.backends).toContain('cuda');
    expect(caps.auto.backend).toBe('cuda');
    expect(cuda.devices).toEqual([cuda.device!.name]);
    expect(Number(cuda.device!.computeCapability)).toBeGreaterThanOrEqual(8);
    expect(cuda.device!.totalMemory).toBeGreaterThan(0);
    expect(cuda.maxK).toBe(1024);
    const mem = deviceMemory();
    expect(mem.total).toBe(cuda.device!.totalMemory);
    expect(mem.free).toBeGreaterThan(0);
    expect(mem.free).toBeLessThanOrEqual(mem.total);
  });

  it.runIf(!cuda.available)('no device: CPU fallback with a reason, and backend cuda is ERR_NO_DEVICE naming it', () => {
    expect(process.env.SOUK_EXPECT_CUDA, 'SOUK_EXPECT_CUDA=1 but no device').not.toBe('1');
    expect(caps.backends).toEqual(['cpu', 'ref']);
    expect(caps.auto).toEqual({ backend: 'cpu', reason: cuda.reason });
    expect(cuda.devices).toEqual([]);
    // Built with nvcc (cudart_static) on a machine without a driver, or built without CUDA.
    expect(cuda.reason).toMatch(cuda.compiled ? /no CUDA driver|no CUDA device|driver .* older|compute capability/ : /built without CUDA/);
    const q = randomMatrix(4, 6, 1), items = randomMatrix(40, 6, 2);
    try {
      topKSync(q, items, { k: 3, backend: 'cuda' });
      expect.unreachable('backend cuda ran without a device');
    } catch (e) {
      expect((e as KernelError).code).toBe('ERR_NO_DEVICE');
      expect((e as Error).message).toBe(`backend 'cuda' was asked for but ${cuda.reason}`);
    }
    // auto runs on the CPU and gives the CPU's answer.
    expect(topKSync(q, items, { k: 3, backend: 'auto' }).indices).toEqual(topKSync(q, items, { k: 3, backend: 'cpu' }).indices);
    expect(codeOf(() => DeviceMatrix.from(items, { backend: 'cuda' }))).toBe('ERR_NO_DEVICE');
    expect(codeOf(() => deviceMemory())).toBe('ERR_NO_DEVICE');
  });

  it.runIf(cuda.available)('auto uses the CPU above the CUDA maxK; backend cuda there is ERR_K_RANGE', () => {
    const q = randomMatrix(2, 4, 3), items = randomMatrix(cuda.maxK + 10, 4, 4);
    const auto = topKSync(q, items, { k: cuda.maxK + 5 });
    const cpu = topKSync(q, items, { k: cuda.maxK + 5, backend: 'cpu' });
    expect(auto.indices).toEqual(cpu.indices);
    expect(codeOf(() => topKSync(q, items, { k: cuda.maxK + 1, backend: 'cuda' }))).toBe('ERR_K_RANGE');
  });

  it.runIf(cuda.available)('the training ops run on the device under auto and cuda (same loss as the CPU)', () => {
    const c = { ...csrFromRows([[0, 2], [1], []]), data: Float32Array.of(1, 2, 3), rows: 3, cols: 3 };
    const x = randomMatrix(3, 4, 5), y = randomMatrix(3, 4, 6);
    const cpu = alsLossSync(c, x, y, { backend: 'cpu' });
    for (const backend of ['auto', 'cuda'] as const) {
      const l = alsLossSync(c, x, y, { backend });
      expect(l.denominator).toBe(cpu.denominator);
      expect(l.numerator).toBeCloseTo(cpu.numerator, 4);
    }
  });
});

describe('DeviceMatrix', () => {
  const q = randomMatrix(9, 17, 11), items = randomMatrix(301, 17, 12);
  const where = cuda.available ? 'cuda' : 'host';

  it(`lives on ${where} under auto, on the host for cpu; same answers as host matrices`, () => {
    const dm = DeviceMatrix.from(items);
    const host = DeviceMatrix.from(items, { backend: 'cpu' });
    try {
      expect(dm.location).toBe(where);
      expect(host.location).toBe('host');
      expect([dm.rows, dm.cols]).toEqual([301, 17]);
      const ref = topKSync(q, items, { k: 7, backend: 'cpu' });
      for (const [label, m] of [['auto', dm], ['host', host]] as const) {
        const got = topKSync(q, m, { k: 7 });
        expect(got.indices, label).toEqual(ref.indices);
        for (let i = 0; i < ref.scores.length; i++) expect(got.scores[i]).toBeCloseTo(ref.scores[i]!, 4);
      }
      // A device-resident matrix on a CPU backend is copied back for the call.
      expect(topKSync(q, dm, { k: 7, backend: 'cpu' }).indices).toEqual(ref.indices);
      // Queries resident too; softmax reads it as well.
      const dq = DeviceMatrix.from(q);
      const soft = softmaxTopKSync(dq, dm, { k: 5, temperature: 0.5 });
      const softRef = softmaxTopKSync(q, items, { k: 5, temperature: 0.5, backend: 'cpu' });
      expect(soft.indices).toEqual(softRef.indices);
      for (let r = 0; r < 9; r++) expect(soft.logZ[r]).toBeCloseTo(softRef.logZ[r]!, 4);
      dq.dispose();
    } finally {
      dm.dispose();
      host.dispose();
    }
  });

  it('is a snapshot: toMatrix() returns the uploaded contents after the source changed', async () => {
    const src = randomMatrix(33, 5, 13);
    const before = src.data.slice();
    const dm = await DeviceMatrix.upload(src);
    src.data.fill(0);
    const back = dm.toMatrix();
    expect(back.data).toEqual(before);
    expect([back.rows, back.cols]).toEqual([33, 5]);
    // scores and gram on the resident copy see the snapshot, not the zeros.
    const s = await scores(randomMatrix(2, 5, 14), dm);
    expect(s.data.some((v) => v !== 0)).toBe(true);
    const g = await gram(dm);
    const gRef = gramSync({ data: before, rows: 33, cols: 5 }, { backend: 'cpu' });
    for (let i = 0; i < 25; i++) expect(g.data[i]).toBeCloseTo(gRef.data[i]!, 3);
    dm.dispose();
  });

  it('dispose: idempotent, then ERR_ARGUMENT on use; an async op in flight keeps its matrix alive', async () => {
    const dm = DeviceMatrix.from(items);
    const pending = topK(q, dm, { k: 4 });
    dm.dispose();
    dm.dispose();
    expect(dm.disposed).toBe(true);
    const res = await pending;
    expect(res.indices).toEqual(topKSync(q, items, { k: 4, backend: 'cpu' }).indices);
    expect(codeOf(() => topKSync(q, dm, { k: 4 }))).toBe('ERR_ARGUMENT');
    expect(codeOf(() => dm.toMatrix())).toBe('ERR_ARGUMENT');
  });

  it('shape mismatches are ERR_SHAPE; non-matrices are ERR_TYPE', () => {
    const dm = DeviceMatrix.from(randomMatrix(10, 3, 15));
    expect(codeOf(() => scoresSync(q, dm))).toBe('ERR_SHAPE');
    expect(codeOf(() => DeviceMatrix.from({ data: new Float32Array(5), rows: 2, cols: 3 }))).toBe('ERR_SHAPE');
    expect(codeOf(() => DeviceMatrix.from([1, 2, 3] as never))).toBe('ERR_TYPE');
    dm.dispose();
  });
});
