// Device memory on the CUDA backend, under a 4 MiB cap (SOUK_CUDA_MAX_BYTES, read when the addon
// loads: this file sets it first, and vitest's forks pool gives each file its own process):
// exhaustion is a recoverable ERR_DEVICE_OOM, dispose() and the GC backstop return memory.
// Needs a device (a GPU or the emulated addon); skipped with a message otherwise.
process.env.SOUK_CUDA_MAX_BYTES = String(4 << 20);

import v8 from 'node:v8';
import vm from 'node:vm';

import { describe, expect, it } from 'vitest';

import { capabilities, DeviceMatrix, KernelError, topKSync } from '@souk/kernels';

import { randomMatrix } from '../../../test/support/random.js';

const cuda = capabilities().cuda;
const MiB = 1 << 20;
if (!cuda.available) console.log(`cuda-memory tests skipped: ${cuda.reason}`);

function oom(fn: () => unknown): KernelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return e as KernelError;
  }
  throw new Error('expected ERR_DEVICE_OOM, got no error');
}

describe.runIf(cuda.available)('device memory under SOUK_CUDA_MAX_BYTES = 4 MiB', () => {
  const q = randomMatrix(3, 32, 1);

  it('the cap is reported', () => {
    expect(cuda.memoryCap).toBe(4 * MiB);
  });

  it('a DeviceMatrix over the cap is ERR_DEVICE_OOM, and the backend keeps working', () => {
    const big = randomMatrix((5 * MiB) / 4 / 32, 32, 2); // 5 MiB
    const e = oom(() => DeviceMatrix.from(big, { backend: 'cuda' }));
    expect(e.code).toBe('ERR_DEVICE_OOM');
    expect(e.message).toMatch(/SOUK_CUDA_MAX_BYTES = 4194304/);
    const small = randomMatrix(100, 32, 3);
    expect(topKSync(q, small, { k: 5, backend: 'cuda' }).indices).toEqual(topKSync(q, small, { k: 5, backend: 'cpu' }).indices);
  });

  it('host operands too large to stage are ERR_DEVICE_OOM (recoverable)', () => {
    const big = randomMatrix((5 * MiB) / 4 / 32, 32, 4);
    expect(oom(() => topKSync(q, big, { k: 5, backend: 'cuda' })).code).toBe('ERR_DEVICE_OOM');
    const small = randomMatrix(200, 32, 5);
    expect(topKSync(q, small, { k: 5, backend: 'cuda' }).counts[0]).toBe(5);
  });

  it('dispose() returns the memory: 20 uploads of 1.5 MiB each fit a 4 MiB cap', () => {
    const m = randomMatrix((1.5 * MiB) / 4 / 32, 32, 6);
    for (let i = 0; i < 20; i++) {
      const dm = DeviceMatrix.from(m, { backend: 'cuda' });
      expect(dm.location).toBe('cuda');
      dm.dispose();
    }
    const small = randomMatrix(64, 32, 8);
    expect(topKSync(q, small, { k: 2, backend: 'cuda' }).counts[0]).toBe(2);
  });

  it('the GC finalizer is the backstop when dispose() is forgotten', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const m = randomMatrix((1.5 * MiB) / 4 / 32, 32, 7);
    for (let i = 0; i < 10; i++) {
      DeviceMatrix.from(m, { backend: 'cuda' }); // dropped at once, never disposed
      gc();
      await new Promise((r) => setImmediate(r)); // N-API finalizers run after the GC
    }
  });
});
