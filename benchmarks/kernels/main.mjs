#!/usr/bin/env node
// `pnpm bench kernels [--quick] [--only op,op] [--no-peers] [--no-rss]`
//
// Measures the machine's limits (peak FP32 FMA throughput per thread and for all threads, read
// bandwidth), then runs each op x backend x size in a fresh child process (validated before
// timed) and prints time, GFLOP/s and the fraction of the measured peak. For the fused top-K at
// 1,000 x 200,000 it runs numpy and faiss on the same inputs where Debian's python3-numpy and
// python3-faiss are installed, and reports Souk's speed-up over each. Writes
// benchmarks/results/kernels-<date>.json and .svg.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { machineInfo, table } from '../lib/env.mjs';
import { barChart } from '../lib/svg.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noPeers = args.includes('--no-peers');
const noRss = args.includes('--no-rss') || quick;
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : null;

function child(spec, env = {}, script = 'case.mjs') {
  const r = spawnSync(process.execPath, [join(here, script), JSON.stringify(spec)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    return { ...spec, error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// ---- machine limits ----
process.stderr.write('measuring machine limits...\n');
const machine = child({ kind: 'machine', seconds: quick ? 0.3 : 0.6 });
const allThreads = machine.threads;
const peakFor = (threads) => (threads === 1 ? machine.peakGflopsPerThread : machine.peakGflops);

// ---- cases ----
const cpuBackends = [
  { backend: 'cpu', threads: 1 },
  { backend: 'cpu', threads: allThreads },
];
const refBackends = [{ backend: 'ts-ref' }, { backend: 'ref', threads: 1 }];
const cases = [];
const add = (op, shape, backends, extra = {}) => {
  if (only && !only.has(op)) return;
  for (const b of backends) cases.push({ kind: 'op', op, ...shape, ...b, ...extra });
};

if (quick) {
  add('topK', { m: 1000, n: 200_000, d: 64, k: 10 }, [{ backend: 'cpu', threads: allThreads }], { maxReps: 3, minSeconds: 0.5 });
  add('topK', { m: 1000, n: 200_000, d: 128, k: 10 }, [{ backend: 'cpu', threads: allThreads }], { maxReps: 3, minSeconds: 0.5 });
  add('softmaxTopK', { m: 200, n: 100_000, d: 64, k: 10 }, [{ backend: 'cpu', threads: allThreads }], { maxReps: 3 });
  add('gram', { m: 1, n: 200_000, d: 64 }, [{ backend: 'cpu', threads: allThreads }], { maxReps: 3 });
} else {
  // Small sizes: every backend including the references.
  add('topK', { m: 64, n: 20_000, d: 64, k: 10 }, [...refBackends, ...cpuBackends]);
  add('scores', { m: 64, n: 20_000, d: 64 }, [...refBackends, ...cpuBackends]);
  add('softmaxTopK', { m: 64, n: 20_000, d: 64, k: 10 }, [...refBackends, ...cpuBackends]);
  add('sampleTopK', { m: 64, n: 20_000, d: 64, k: 10 }, [{ backend: 'ref', threads: 1 }, ...cpuBackends]);
  add('gram', { m: 1, n: 20_000, d: 64 }, [...refBackends, ...cpuBackends]);
  // The targets: 1,000 queries x 200,000 items, k = 10.
  for (const d of [64, 128]) add('topK', { m: 1000, n: 200_000, d, k: 10 }, cpuBackends, { dump: d === 64 && !noPeers });
  add('topK', { m: 1000, n: 200_000, d: 64, k: 100 }, cpuBackends);
  add('softmaxTopK', { m: 1000, n: 200_000, d: 64, k: 10 }, cpuBackends);
  add('sampleTopK', { m: 1000, n: 200_000, d: 64, k: 10 }, cpuBackends);
  add('scores', { m: 1000, n: 20_000, d: 64 }, cpuBackends);
  add('gram', { m: 1, n: 1_000_000, d: 64 }, cpuBackends);
  add('gram', { m: 1, n: 200_000, d: 128 }, cpuBackends);
}

const results = [];
let dumpDir = null;
for (const c of cases) {
  if (c.dump) {
    dumpDir = mkdtempSync(join(tmpdir(), 'souk-bench-'));
    c.dump = dumpDir;
  }
  process.stderr.write(`${c.op} ${c.m}x${c.n}x${c.d}${c.k ? ` k=${c.k}` : ''} ${c.backend}${c.threads ? `/${c.threads}t` : ''}...\n`);
  const r = child(c);
  results.push(r);
}

// ---- Kernels II: training steps on the power-law dataset (100k x 50k x 5M) ----
const train = [];
const trainOps = new Set(['als', 'bpr', 'sgd']);
if (!quick && (!only || [...trainOps].some((o) => only.has(o)))) {
  const trainCases = [];
  for (const threads of [1, allThreads]) {
    for (const d of [64, 128]) {
      for (const solver of ['cg', 'cholesky']) trainCases.push({ op: 'als', solver, d, threads, iterations: threads === 1 ? 2 : 4 });
    }
    trainCases.push({ op: 'bpr', d: 64, threads, iterations: 3 });
    trainCases.push({ op: 'sgd', d: 64, threads, iterations: 3 });
  }
  for (const c of trainCases) {
    if (only && !only.has(c.op)) continue;
    process.stderr.write(`${c.op}${c.solver ? ` ${c.solver}` : ''} d=${c.d} ${c.threads}t...\n`);
    train.push(child(c, {}, 'train-case.mjs'));
  }
}

// ---- memory: topK extra memory is O(threads * tile + m * k), not O(m * n) ----
let rss = null;
if (!noRss && (!only || only.has('topK'))) {
  process.stderr.write('topK peak RSS at m=10,000 n=1,000,000 d=64...\n');
  const r = child({ kind: 'op', op: 'topK', backend: 'cpu', threads: allThreads, m: 10_000, n: 1_000_000, d: 64, k: 10, maxReps: 1 });
  rss = r.error
    ? { error: r.error }
    : {
        m: 10_000, n: 1_000_000, d: 64, k: 10,
        inputMiB: r.inputMiB, rssAfterInputsMiB: r.rssInputsMiB, maxRssMiB: r.maxRssMiB,
        extraMiB: r.maxRssMiB - r.rssInputsMiB,
        scoreMatrixWouldBeMiB: (10_000 * 1_000_000 * 4) / 2 ** 20,
        seconds: r.bestMs / 1000,
      };
}

// ---- peers ----
const peers = [];
if (dumpDir && !noPeers) {
  const py = '/usr/bin/python3';
  const probe = spawnSync(py, ['-c', 'import numpy, faiss'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    process.stderr.write('peers skipped: Debian python3-numpy / python3-faiss not installed (apt-get install python3-numpy python3-faiss libopenblas0-pthread)\n');
  } else {
    // The BLAS both peers run on (Debian's alternatives): the netlib reference BLAS is ~20x
    // slower than OpenBLAS, which is what the peers are normally measured with.
    try {
      peers.blas = realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3');
    } catch {
      peers.blas = 'unknown';
    }
    const settings = [
      ['faiss', allThreads, { OMP_NUM_THREADS: String(allThreads), OPENBLAS_NUM_THREADS: '1' }],
      ['faiss', allThreads, { OMP_NUM_THREADS: String(allThreads), OPENBLAS_NUM_THREADS: String(allThreads) }],
      ['faiss', 1, { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: String(allThreads) }],
      ['faiss', 1, { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }],
      ['numpy', allThreads, { OPENBLAS_NUM_THREADS: String(allThreads) }],
    ];
    for (const [peer, threads, env] of settings) {
      process.stderr.write(`peer ${peer} ${JSON.stringify(env)}...\n`);
      const r = spawnSync(py, [join(here, '..', 'peers', 'topk_peer.py'), dumpDir, '1000', '200000', '64', '10', peer, String(threads)], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      if (r.status === 0) peers.push({ ...JSON.parse(r.stdout.trim().split('\n').pop()), env });
      else peers.push({ peer, env, error: r.stderr.trim().split('\n').pop() });
    }
  }
  rmSync(dumpDir, { recursive: true, force: true });
}

// ---- report ----
const rows = results.map((r) => ({
  op: r.op,
  'm x n x d': `${r.m}x${r.n}x${r.d}`,
  k: r.k ?? '',
  backend: r.backend,
  threads: r.threads || (r.backend === 'ts-ref' ? 1 : ''),
  'best ms': r.error ? 'ERROR' : r.bestMs.toFixed(r.bestMs < 10 ? 2 : 1),
  'median ms': r.error ? '' : r.medianMs.toFixed(r.medianMs < 10 ? 2 : 1),
  'GFLOP/s': r.error ? '' : r.gflops.toFixed(1),
  '% peak': r.error || r.backend === 'ts-ref' ? '' : `${((100 * r.gflops) / peakFor(r.threads || 1)).toFixed(0)}%`,
  check: r.error ? r.error.slice(0, 60) : r.validated,
}));

const lines = [];
lines.push(`Souk kernel benchmark — ${machine.caps ? `simd ${machine.caps.simd}, ${allThreads} threads` : ''}`);
lines.push(
  `machine limits (measured now): peak FP32 FMA ${machine.peakGflopsPerThread.toFixed(1)} GFLOP/s per thread, ` +
    `${machine.peakGflops.toFixed(1)} GFLOP/s on ${allThreads} threads; read bandwidth ${machine.readGBps.toFixed(1)} GB/s`,
);
lines.push('');
lines.push(table(rows));
if (rss) {
  lines.push('');
  lines.push(
    rss.error
      ? `topK memory: ERROR ${rss.error}`
      : `topK memory at m=10,000 n=1,000,000 d=64: inputs ${rss.inputMiB.toFixed(0)} MiB, RSS after inputs ${rss.rssAfterInputsMiB.toFixed(0)} MiB, ` +
          `peak RSS ${rss.maxRssMiB.toFixed(0)} MiB (extra ${rss.extraMiB.toFixed(0)} MiB; a score matrix would be ${rss.scoreMatrixWouldBeMiB.toFixed(0)} MiB), ${rss.seconds.toFixed(2)} s`,
  );
}
if (train.length) {
  const trainRows = train.map((r) => ({
    op: r.op === 'als' ? `ALS ${r.solver}${r.solver === 'cg' ? '(3)' : ''}` : r.op.toUpperCase(),
    d: r.d,
    threads: r.threads,
    'best s / iteration': r.error ? 'ERROR' : r.bestSeconds.toFixed(3),
    'GFLOP/s': r.error ? '' : r.gflops.toFixed(1),
    '% peak': r.error ? '' : `${((100 * r.gflops) / peakFor(r.threads)).toFixed(0)}%`,
    'loss after each iteration': r.error ? r.error.slice(0, 80) : r.losses.map((l) => l.toPrecision(5)).join(', '),
    check: r.error ? '' : `ref ${r.validationRelativeError.toExponential(1)}`,
  }));
  lines.push('');
  const ds = train.find((r) => r.dataset)?.dataset;
  if (ds) {
    lines.push(
      `training on the power-law dataset: ${ds.users} users x ${ds.items} items x ${ds.interactions} interactions ` +
        `(top 1% of items hold ${(100 * ds.headShare).toFixed(1)}%, user degree ${ds.degreeMin}..${ds.degreeMax} median ${ds.degreeMedian}, mean count ${ds.meanCount.toFixed(3)}); ` +
        'ALS: confidence 1 + 10 * count, lambda 0.01, iteration = both half-steps with their Gram matrices; BPR: 5M samples, verified negatives',
    );
  }
  lines.push(table(trainRows));
}
const target = results.find((r) => r.op === 'topK' && r.m === 1000 && r.n === 200_000 && r.d === 64 && r.k === 10 && r.threads === allThreads && !r.error);
if (peers.length) {
  lines.push('');
  lines.push(`peers on the same inputs (topK 1000 x 200000 x 64, k = 10; BLAS: ${peers.blas}):`);
  for (const p of peers) {
    if (p.error) lines.push(`  ${p.peer} ${JSON.stringify(p.env)}: ERROR ${p.error}`);
    else
      lines.push(
        `  ${p.peer.padEnd(5)} ${JSON.stringify(p.env).padEnd(52)} ${(p.seconds * 1000).toFixed(0).padStart(6)} ms  recall vs Souk ${p.recall.toFixed(4)}` +
          (target ? `  Souk is ${(p.seconds / (target.bestMs / 1000)).toFixed(2)}x faster` : ''),
      );
  }
  const bestFaiss = peers.filter((p) => p.peer === 'faiss' && !p.error).sort((a, b) => a.seconds - b.seconds)[0];
  if (bestFaiss && target) lines.push(`  => Souk vs faiss at its best threading: ${(bestFaiss.seconds / (target.bestMs / 1000)).toFixed(2)}x`);
}
const report = lines.join('\n');
process.stdout.write(`${report}\n`);

const resultsDir = join(here, '..', 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
const name = quick ? 'kernels-quick' : `kernels-${stamp}`;
writeFileSync(join(resultsDir, `${name}.json`), JSON.stringify({ env: machineInfo({ simd: machine.caps?.simd, compiler: machine.caps?.compiler }), machine, results, train, rss, peers, peerBlas: peers.blas }, null, 2));
const bars = results
  .filter((r) => !r.error && r.backend !== 'ts-ref')
  .map((r) => ({
    label: `${r.op} ${r.m}x${r.n}x${r.d} ${r.backend}/${r.threads || 1}t`,
    value: r.gflops / peakFor(r.threads || 1),
    text: `${((100 * r.gflops) / peakFor(r.threads || 1)).toFixed(0)}% (${r.gflops.toFixed(0)} GFLOP/s)`,
  }));
writeFileSync(join(resultsDir, `${name}.svg`), barChart({ title: 'Souk kernels: fraction of measured peak FP32 FMA throughput', unit: '', bars, max: 1 }));
process.stderr.write(`results: benchmarks/results/${name}.json and .svg\n`);
