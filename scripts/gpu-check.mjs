#!/usr/bin/env node
// scripts/gpu-check.mjs (`npm run gpu-check`): the checklist for a machine with an NVIDIA GPU
// (CUDA-TESTING.md §4.4), everything that the emulator and CI cannot confirm:
//   1. finds the GPU (nvidia-smi) and nvcc; without a device it stops at once: "no CUDA device";
//   2. builds the addon with SOUK_CUDA=ON for the local GPU's architecture (build/gpu/souk.node;
//      `--shipped` builds the released set 80/89/90 + PTX 90 instead, to check that fatbin);
//   3. loads it and requires capabilities().cuda.available (else "no CUDA device: <reason>");
//   4. runs the kernels' TypeScript suite with SOUK_EXPECT_CUDA=1: every parity case on backend
//      'cuda' against ref / cpu / the TS reference, DeviceMatrix, OOM under SOUK_CUDA_MAX_BYTES,
//      the training ops, and lifecycle (async off the event loop, worker threads);
//   5. compute-sanitizer (memcheck, racecheck, synccheck, initcheck), when installed, on a small
//      parity run of every op (`--sanitize-case` mode of this script);
//   6. the kernel benchmarks on backend cuda (benchmarks/kernels/case.mjs, items resident on the
//      device), each reported as time, GFLOP/s, % of the FMA peak and % of the read bandwidth
//      measured on this device by the addon's microbenchmark kernels (measureDevice()).
// Usage: node scripts/gpu-check.mjs [--shipped] [--no-bench] [--no-sanitizer]
// Exits non-zero on any failure. Results: build/gpu/gpu-check.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = join(root, 'build', 'gpu');
const binary = join(dir, 'souk.node');
// The kernels package's build output (tsc -b packages/kernels, step 2): scripts/ has no @souk deps.
const kernelsUrl = pathToFileURL(join(root, 'packages', 'kernels', 'dist', 'index.js')).href;
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const started = Date.now();

function log(msg) {
  console.log(`[gpu-check ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

function run(cmd, args, { env = {}, quiet = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: quiet ? 'pipe' : 'inherit',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? 1, out: (r.stdout || '') + (r.stderr || ''), error: r.error };
}

function die(msg, out = '') {
  if (out) process.stdout.write(out.split('\n').slice(-60).join('\n') + '\n');
  log(`FAILED: ${msg}`);
  process.exit(1);
}

// ---- --sanitize-case: a small run of every op on cuda, compared with cpu (run under compute-sanitizer)
if (flag('--sanitize-case')) {
  const K = await import(kernelsUrl);
  const rand = (rows, cols, seed) => {
    let a = seed >>> 0;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) {
      a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
      data[i] = a / 4294967296 - 0.5;
    }
    return { data, rows, cols };
  };
  const q = rand(37, 45, 1), items = rand(1031, 45, 2);
  const exclude = K.csrFromRows(Array.from({ length: 37 }, (_, r) => [r, r + 5, r + 900]));
  const same = (a, b, what) => {
    for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-3 + 1e-3 * Math.abs(b[i])) throw new Error(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
  };
  for (const k of [1, 10, 100, 1000]) {
    same(K.topKSync(q, items, { k, exclude, backend: 'cuda' }).scores, K.topKSync(q, items, { k, exclude, backend: 'cpu' }).scores, `topK k=${k}`);
  }
  const dm = K.DeviceMatrix.from(items, { backend: 'cuda' });
  same(K.softmaxTopKSync(q, dm, { k: 20, temperature: 0.3 }).probs, K.softmaxTopKSync(q, items, { k: 20, temperature: 0.3, backend: 'cpu' }).probs, 'softmax probs');
  same(K.sampleTopKSync(q, dm, { k: 20, seed: 3 }).scores, K.sampleTopKSync(q, items, { k: 20, seed: 3, backend: 'cpu' }).scores, 'sample scores');
  same(K.scoresSync(q, dm).data, K.scoresSync(q, items, { backend: 'cpu' }).data, 'scores');
  same(K.gramSync(dm).data, K.gramSync(items, { backend: 'cpu' }).data, 'gram');
  dm.dispose();
  const c = { ...K.csrFromRows(Array.from({ length: 37 }, (_, r) => [r % 30, (r * 7) % 1031])), rows: 37, cols: 1031 };
  const conf = { ...c, data: new Float32Array(c.indices.length).fill(3) };
  const x = rand(37, 16, 3), x2 = { ...x, data: x.data.slice() }, y = rand(1031, 16, 4), yty = K.gramSync(y, { backend: 'cpu' });
  K.alsSolveSync(conf, y, yty, x, { backend: 'cuda' });
  K.alsSolveSync(conf, y, yty, x2, { backend: 'cpu' });
  same(x.data, x2.data, 'alsSolve');
  K.sgdEpochSync(conf, rand(37, 16, 5), rand(1031, 16, 6), { user: new Float32Array(37), item: new Float32Array(1031), globalMean: 3 }, { backend: 'cuda' });
  K.bprEpochSync(conf, rand(37, 16, 7), rand(1031, 16, 8), new Float32Array(1031), { backend: 'cuda' });
  console.log('sanitize-case: ok');
  process.exit(0);
}

// ---- 1. device and toolkit ----
const smi = run('nvidia-smi', ['--query-gpu=name,compute_cap,driver_version,memory.total', '--format=csv,noheader'], { quiet: true });
if (smi.error || smi.status !== 0 || !smi.out.trim()) {
  die(`no CUDA device (nvidia-smi ${smi.error ? 'not found' : `failed: ${smi.out.trim().split('\n')[0] || `exit ${smi.status}`}`}); gpu-check needs a machine with an NVIDIA GPU and its driver`);
}
const [name, cc, driver, memory] = smi.out.trim().split('\n')[0].split(',').map((s) => s.trim());
log(`device 0: ${name}, compute capability ${cc}, driver ${driver}, ${memory}`);
const nvcc = run('nvcc', ['--version'], { quiet: true });
if (nvcc.status !== 0) die('nvcc not found: put the CUDA toolkit (12.x/13.x) on PATH');
log(nvcc.out.trim().split('\n').pop());
const archs = flag('--shipped') ? '80-real;89-real;90-real;90-virtual' : `${cc.replace('.', '')}-real`;

// ---- 2. build ----
log(`build build/gpu/souk.node (SOUK_CUDA=ON, architectures ${archs})`);
let r = run('cmake', ['-S', root, '-B', dir, '-DSOUK_BUILD_ADDON=ON', '-DSOUK_CUDA=ON', `-DSOUK_CUDA_ARCHITECTURES=${archs}`,
  '-DCMAKE_BUILD_TYPE=Release'], { quiet: true });
if (r.status !== 0) die('cmake configure', r.out);
r = run('cmake', ['--build', dir, '-j', '4', '--target', 'souk_addon'], { quiet: true });
if (r.status !== 0) die('build', r.out);
r = run('npx', ['--no-install', 'tsc', '-b', 'packages/kernels'], { quiet: true });
if (r.status !== 0) die('tsc -b packages/kernels', r.out);
const env = { SOUK_KERNELS_BINARY: binary };

// ---- 3. the probe ----
r = run(process.execPath, ['-e', `import(${JSON.stringify(kernelsUrl)}).then((K) => { const c = K.capabilities().cuda; ` +
  'console.log(JSON.stringify({ ...c, memory: c.available ? K.deviceMemory() : null })); })'], { env, quiet: true });
if (r.status !== 0) die('loading build/gpu/souk.node', r.out);
const cuda = JSON.parse(r.out.trim().split('\n').pop());
if (!cuda.available) die(`no CUDA device: the addon's probe says "${cuda.reason}"`);
log(`device memory: ${(cuda.memory.free / 2 ** 30).toFixed(1)} GiB free of ${(cuda.memory.total / 2 ** 30).toFixed(1)} GiB`);
log(`probe: ${cuda.device.name} (${cuda.device.computeCapability}, ${cuda.device.multiprocessors} SMs, ${(cuda.device.totalMemory / 2 ** 30).toFixed(1)} GiB), runtime ${cuda.runtimeVersion}, driver ${cuda.driverVersion}`);

// ---- 4. the TypeScript suite on backend cuda ----
const suite = ['retrieval.parity', 'errors', 'cuda', 'cuda-memory', 'factorization', 'lifecycle'].map((f) => `packages/kernels/test/${f}.test.ts`);
log('kernels test suite with SOUK_EXPECT_CUDA=1');
r = run('npx', ['--no-install', 'vitest', 'run', ...suite], { env: { ...env, SOUK_EXPECT_CUDA: '1' } });
if (r.status !== 0) die('the kernels suite on backend cuda');

// ---- 5. compute-sanitizer ----
const report = { device: cuda.device, runtime: cuda.runtimeVersion, driver: cuda.driverVersion, archs, sanitizer: {}, bench: [] };
if (!flag('--no-sanitizer')) {
  const san = run('compute-sanitizer', ['--version'], { quiet: true });
  if (san.error || san.status !== 0) {
    log('compute-sanitizer not installed: skipped (install the CUDA toolkit\'s sanitizer to run memcheck/racecheck/synccheck/initcheck)');
    report.sanitizer = 'not installed';
  } else {
    for (const tool of ['memcheck', 'racecheck', 'synccheck', 'initcheck']) {
      const t = run('compute-sanitizer', ['--tool', tool, '--error-exitcode', '3', '--target-processes', 'all', process.execPath,
        fileURLToPath(import.meta.url), '--sanitize-case'], { env, quiet: true });
      report.sanitizer[tool] = t.status === 0 ? 'clean' : 'errors';
      log(`compute-sanitizer --tool ${tool}: ${t.status === 0 ? 'clean' : 'ERRORS'}`);
      if (t.status !== 0) die(`compute-sanitizer ${tool}`, t.out);
    }
  }
}

// ---- 6. benchmarks on backend cuda ----
if (!flag('--no-bench')) {
  r = run(process.execPath, ['-e', `import(${JSON.stringify(kernelsUrl)}).then((K) => console.log(JSON.stringify(K.measureDevice({ seconds: 0.5 }))))`], { env, quiet: true });
  if (r.status !== 0) die('measureDevice', r.out);
  const limits = JSON.parse(r.out.trim().split('\n').pop());
  report.limits = limits;
  log(`measured: read bandwidth ${limits.readGBps.toFixed(0)} GB/s, FP32 FMA ${(limits.peakGflops / 1000).toFixed(1)} TFLOP/s`);
  const cases = [
    { op: 'topK', m: 1000, n: 200_000, d: 64, k: 10 },
    { op: 'topK', m: 1000, n: 200_000, d: 128, k: 10 },
    { op: 'topK', m: 1000, n: 200_000, d: 64, k: 100 },
    { op: 'topK', m: 10_000, n: 1_000_000, d: 64, k: 10, maxReps: 3 },
    { op: 'softmaxTopK', m: 1000, n: 200_000, d: 64, k: 10 },
    { op: 'sampleTopK', m: 1000, n: 200_000, d: 64, k: 10 },
    { op: 'scores', m: 1000, n: 20_000, d: 64 },
    { op: 'gram', m: 1, n: 1_000_000, d: 64 },
  ];
  const rows = [];
  for (const c of cases) {
    for (const resident of [true, false]) {
      const spec = { kind: 'op', backend: 'cuda', resident, ...c };
      const b = run(process.execPath, [join(root, 'benchmarks', 'kernels', 'case.mjs'), JSON.stringify(spec)], { env, quiet: true });
      if (b.status !== 0) die(`benchmark ${JSON.stringify(spec)}`, b.out);
      const res = JSON.parse(b.out.trim().split('\n').pop());
      // The least traffic the op needs: items and queries read once, the output written once.
      const outBytes = c.op === 'scores' ? c.m * c.n * 4 : c.op === 'gram' ? c.d * c.d * 4 : c.m * (c.k ?? 10) * 8;
      const bytes = (c.n * c.d + (c.op === 'gram' ? 0 : c.m * c.d)) * 4 + outBytes;
      const gbps = bytes / (res.bestMs / 1000) / 1e9;
      rows.push({ ...spec, bestMs: res.bestMs, medianMs: res.medianMs, gflops: res.gflops,
        fmaPeak: res.gflops / limits.peakGflops, bandwidth: gbps / limits.readGBps, validated: res.validated });
      log(`${c.op} ${c.m}x${c.n}x${c.d}${c.k ? ` k=${c.k}` : ''} ${resident ? 'resident' : 'staged  '}: ${res.bestMs.toFixed(2)} ms, ` +
        `${res.gflops.toFixed(0)} GFLOP/s = ${(100 * res.gflops / limits.peakGflops).toFixed(1)}% of FMA peak, ` +
        `${(100 * gbps / limits.readGBps).toFixed(1)}% of read bandwidth (minimum traffic)`);
    }
  }
  report.bench = rows;
}

mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'gpu-check.json'), JSON.stringify({ date: new Date().toISOString(), ...report }, null, 2));
log(`all GPU checks passed (${((Date.now() - started) / 1000).toFixed(0)} s); results in ${join(dir, 'gpu-check.json')}`);
if (!existsSync(binary)) process.exit(1);
