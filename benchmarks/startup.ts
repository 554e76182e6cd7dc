// Engine startup and resident heap: `Engine.open` by replaying every stored event (the baseline,
// in the same run) and from the state snapshot the previous `close` wrote, each in a fresh child
// process; the V8 heap after open (after a full GC) and the share of it the profiles take.
//
//   cd /work/main && node benchmarks/run.mjs startup [--data-dir DIR]
//
// Why the heap matters to a service: V8's young-generation collections pause the event loop for
// a time that grows with the size of the old generation (about 1 µs per 256 KiB page on the
// 2-core benchmark machine), so a large resident heap slows every request's tail, not only memory.
// Data: the service benchmark's built data directory (100,000 items, 50,000 users, 2,000,000
// events, an ALS model; `pnpm bench service` builds and caches it), copied to a temporary
// directory. Results: benchmarks/results/startup-<timestamp>.json and a table.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '@souk/engine';
import { machineInfo, table } from './lib/env.mjs';
import { value } from './lib/args.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = value('--data-dir') ?? join(here, '.cache', 'built-100000-50000-2000000-2026', 'data');

interface ChildResult {
  readonly mode: 'replay' | 'snapshot';
  readonly openMs: number;
  readonly users: number;
  readonly heapMiB: number;
  readonly profilesHeapMiB: number;
  readonly closeMs: number;
}

const gcHeapMiB = () => {
  (globalThis as { gc?: () => void }).gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function child(dir: string): Promise<ChildResult> {
  const mode = existsSync(join(dir, 'state.snapshot.jsonl')) ? 'snapshot' : 'replay';
  const t0 = performance.now();
  const engine = await Engine.open({ dataDir: dir, readWorkers: 0 });
  const openMs = performance.now() - t0;
  const heapMiB = gcHeapMiB();
  const users = engine.stats().users;
  const t1 = performance.now();
  await engine.close();
  const closeMs = performance.now() - t1;
  // The profiles' share: the heap once the (closed) engine's map of profiles is emptied.
  const before = gcHeapMiB();
  (engine as unknown as { profiles: { profiles: Map<string, unknown> } }).profiles.profiles.clear();
  const profilesHeapMiB = before - gcHeapMiB();
  return { mode, openMs, users, heapMiB, profilesHeapMiB, closeMs };
}

if (value('--child') !== undefined) {
  const result = await child(value('--child')!);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

if (!existsSync(join(dataDir, 'souk.db'))) {
  process.stderr.write(`no built data directory at ${dataDir}: run \`pnpm bench service\` once first, or pass --data-dir\n`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'souk-bench-startup-'));
cpSync(dataDir, dir, { recursive: true });
rmSync(join(dir, 'state.snapshot.jsonl'), { force: true });
const results: ChildResult[] = [];
try {
  // Replay first (no snapshot); its close writes the snapshot the second open reads.
  for (const expected of ['replay', 'snapshot'] as const) {
    process.stderr.write(`open by ${expected}\n`);
    const out = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', '--max-semi-space-size=64', fileURLToPath(import.meta.url), '--child', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    });
    if (out.status !== 0) throw new Error(`the ${expected} child failed (status ${out.status})`);
    const r = JSON.parse(out.stdout) as ChildResult;
    if (r.mode !== expected) throw new Error(`expected an open by ${expected}, the child opened by ${r.mode}`);
    results.push(r);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const base = results[0]!;
console.log(`\n== Engine.open on ${dataDir} (${base.users} users with profiles); baseline: the replay ==`);
console.log(
  table(
    results.map((r) => ({
      open: r.mode,
      's': (r.openMs / 1000).toFixed(1),
      'vs replay': `${(r.openMs / base.openMs).toFixed(2)}×`,
      'heap MiB (after GC)': r.heapMiB.toFixed(0),
      'of which profiles': r.profilesHeapMiB.toFixed(0),
      'KiB per profile': ((r.profilesHeapMiB * 1024) / Math.max(1, r.users)).toFixed(2),
      'close s (writes the snapshot)': (r.closeMs / 1000).toFixed(1),
    })),
  ),
);
const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const path = join(outDir, `startup-${stamp}.json`);
writeFileSync(path, JSON.stringify({ suite: 'startup', machine: machineInfo(), options: { dataDir }, results }, null, 2));
console.log(`\nwrote ${path}`);
