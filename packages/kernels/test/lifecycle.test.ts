// Lifecycle: async topK stays off the event loop; the addon works in a worker thread, and
// terminating the worker mid-call leaves the process alive.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

import { topK, topKSync } from '@souk/kernels';

import { randomMatrix } from '../../../test/support/random.js';

const workerScript = fileURLToPath(new URL('./fixtures/topk-worker.mjs', import.meta.url));

describe('event loop', () => {
  it('an async topK on a large input does not block the event loop', async () => {
    const q = randomMatrix(400, 64, 1), items = randomMatrix(100_000, 64, 2);
    // Calibrate: how long does the call take when run synchronously?
    const t0 = performance.now();
    topKSync(q, items, { k: 10 });
    const syncMs = performance.now() - t0;

    let maxLag = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 5);
      last = now;
    }, 5);
    const t1 = performance.now();
    await topK(q, items, { k: 10 });
    const asyncMs = performance.now() - t1;
    clearInterval(timer);
    // The loop kept ticking: its worst delay is a small fraction of the call's duration.
    expect(asyncMs).toBeGreaterThan(0);
    expect(maxLag, `sync call took ${syncMs.toFixed(0)} ms; worst loop delay during async call ${maxLag.toFixed(1)} ms`).toBeLessThan(Math.max(50, syncMs / 4));
  });
});

function runWorker(mode: string, terminateAfterMs?: number): Promise<{ messages: unknown[]; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(workerScript, { workerData: { mode } });
    const messages: unknown[] = [];
    w.on('message', (m) => {
      messages.push(m);
      if (terminateAfterMs !== undefined && m === 'started') setTimeout(() => void w.terminate(), terminateAfterMs);
    });
    w.on('error', reject);
    w.on('exit', (exitCode) => resolve({ messages, exitCode }));
  });
}

describe('worker threads', () => {
  it('loads the addon in a worker and computes the same answer as the main thread', async () => {
    const { messages, exitCode } = await runWorker('compute');
    expect(exitCode).toBe(0);
    const fromWorker = messages.find((m) => typeof m === 'object') as { indices: number[] };
    const q = randomMatrix(4, 16, 5), items = randomMatrix(500, 16, 6);
    const here = topKSync(q, items, { k: 5 });
    expect(fromWorker.indices).toEqual(Array.from(here.indices));
  });

  it('terminating a worker mid-call leaves the process alive and the addon usable', async () => {
    for (let i = 0; i < 3; i++) {
      const { messages, exitCode } = await runWorker('long', 30);
      expect(messages).toContain('started');
      expect(exitCode).toBe(1); // terminated
    }
    const q = randomMatrix(2, 8, 1), items = randomMatrix(50, 8, 2);
    expect((await topK(q, items, { k: 3 })).counts[0]).toBe(3);
  });
});
