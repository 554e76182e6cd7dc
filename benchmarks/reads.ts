// Read workers in-process: the engine's searches and recommendations without HTTP, with 0 (the
// baseline, in the same run), 1 and 2 read workers, each configuration in a fresh child process.
//
//   cd /work/main && node benchmarks/run.mjs reads [--data-dir DIR] [--requests N] [--concurrency C] [--workers 0,1,2]
//
// Data: the service benchmark's built data directory (100,000 items, 50,000 users, 2,000,000
// events, an ALS model; `pnpm bench service` builds and caches it), copied to a temporary
// directory per child. The mix: 2/3 searches (the shop's queries, English and Chinese, half
// personalised), 1/3 recommendations (3/4 known users). Measured over the timed requests after a
// warm-up: requests/s, the event loop's busy time per request (eventLoopUtilization), the
// process's CPU time per request (all threads), and the event loop's GC pauses.
// Results: benchmarks/results/reads-<timestamp>.json and a table.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@souk/data';
import { Engine } from '@souk/engine';
import { machineInfo, table } from './lib/env.mjs';
import { value } from './lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = value('--data-dir') ?? join(here, '.cache', 'built-100000-50000-2000000-2026', 'data');
const shopMeta = join(here, '.cache', 'shop-100000-50000-2000000-2026-v1', 'meta.json');
const requests = Number(value('--requests') ?? 12_000);
const concurrency = Number(value('--concurrency') ?? 16);

interface ChildResult {
  readonly workers: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly eventLoopBusyUsPerRequest: number;
  readonly processCpuUsPerRequest: number;
  readonly gc: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
  readonly reads: unknown;
}

async function child(workers: number, dir: string): Promise<ChildResult> {
  const meta = JSON.parse(readFileSync(shopMeta, 'utf8')) as { queries: Record<'en' | 'zh', string[]>; activeUsers: string[] };
  const engine = await Engine.open({ dataDir: dir, readWorkers: workers, stateSnapshot: false });
  while ((engine.stats().reads?.ready ?? 0) < workers) await new Promise((r) => setTimeout(r, 50));
  const random = seededRandom(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const one = () =>
    random() < 2 / 3
      ? engine.search(pick(meta.queries[random() < 0.5 ? 'en' : 'zh']), { k: 10, ...(random() < 0.5 ? { user: pick(meta.activeUsers) } : {}) })
      : engine.recommend(random() < 0.75 ? pick(meta.activeUsers) : `visitor-${Math.floor(random() * 1e9)}`, { k: 10 });
  const run = async (n: number) => {
    let i = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (i++ < n) await one();
    }));
  };
  await run(Math.max(1000, requests / 6));
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push(e.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(requests);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  observer.disconnect();
  const reads = engine.stats().reads;
  await engine.close();
  return {
    workers,
    requests,
    requestsPerSecond: (requests / ms) * 1000,
    eventLoopBusyUsPerRequest: (elu.active * 1000) / requests,
    processCpuUsPerRequest: (cpu.user + cpu.system) / requests,
    gc: { count: pauses.length, totalMs: pauses.reduce((s, x) => s + x, 0), maxMs: Math.max(0, ...pauses) },
    reads: reads ?? null,
  };
}

if (value('--child') !== undefined) {
  const result = await child(Number(value('--child')), value('--dir')!);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

if (!existsSync(join(dataDir, 'souk.db')) || !existsSync(shopMeta)) {
  process.stderr.write(`no built data directory at ${dataDir} (or no shop meta at ${shopMeta}): run \`pnpm bench service\` once first, or pass --data-dir\n`);
  process.exit(2);
}
const configs = (value('--workers') ?? '0,1,2').split(',').map(Number);
const results: ChildResult[] = [];
for (const workers of configs) {
  const dir = mkdtempSync(join(tmpdir(), 'souk-bench-reads-'));
  cpSync(dataDir, dir, { recursive: true });
  process.stderr.write(`read workers ${workers}: ${requests} requests at concurrency ${concurrency}\n`);
  const out = spawnSync(process.execPath, [...process.execArgv, '--max-semi-space-size=64', fileURLToPath(import.meta.url), '--child', String(workers), '--dir', dir, '--requests', String(requests), '--concurrency', String(concurrency)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 << 20,
  });
  rmSync(dir, { recursive: true, force: true });
  if (out.status !== 0) throw new Error(`the child with ${workers} read workers failed (status ${out.status})`);
  results.push(JSON.parse(out.stdout) as ChildResult);
}
const base = results.find((r) => r.workers === 0);
console.log(`\n== engine reads in-process (no HTTP): ${requests} requests, concurrency ${concurrency}; baseline: no read workers ==`);
console.log(
  table(
    results.map((r) => ({
      'read workers': String(r.workers),
      'req/s': r.requestsPerSecond.toFixed(0),
      'vs baseline': base ? `${(r.requestsPerSecond / base.requestsPerSecond).toFixed(2)}×` : '',
      'event loop µs/req': r.eventLoopBusyUsPerRequest.toFixed(0),
      'process CPU µs/req': r.processCpuUsPerRequest.toFixed(0),
      'GC pauses (event loop)': `${r.gc.count}, max ${r.gc.maxMs.toFixed(1)} ms`,
    })),
  ),
);
const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const path = join(outDir, `reads-${stamp}.json`);
writeFileSync(path, JSON.stringify({ suite: 'reads', machine: machineInfo(), options: { dataDir, requests, concurrency }, results }, null, 2));
console.log(`\nwrote ${path}`);
