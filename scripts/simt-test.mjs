#!/usr/bin/env node
// scripts/simt-test.mjs: builds and runs the SIMT emulator's tests (cuda/): the fiber-engine suite,
// the ThreadSanitizer suite (thread engine) and the ASan/UBSan suite, each under several schedule
// seeds, plus the expected-failure demos (TSan must report the missing-__syncthreads race, ASan the
// dynamic shared memory overflow, the watchdog a spinning thread) and, when nvcc is found, the nvcc
// compile check of the same kernels. Also the retrieval and factorisation kernels (cuda/kernels,
// cuda/src): their emulator tests against the CPU core's references (souk_cuda_tests,
// souk_cuda_tests_asan, souk_cuda_tests_tsan) and, with
// nvcc, their GPU build (souk_cuda_kernels) plus the ptxas resource budget check
// (scripts/cuda-resources.mjs vs cuda/resource-budget.json). No dependencies; exits non-zero on any failure.
//
// Usage: node scripts/simt-test.mjs [--seeds 1,2,3] [--no-sanitizers] [--no-nvcc] [test-name-filter]
// Build directory: build/simt-tests (cmake -DSOUK_BUILD_SIMT_TESTS=ON -DSOUK_BUILD_ADDON=OFF), -j2.
// Budget: about 3 minutes on 2 cores including the build; the TSan suite is kept tiny for that.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = join(root, 'build', 'simt-tests');
const bin = join(dir, 'cuda');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const seedsArg = argv.indexOf('--seeds');
const seeds = seedsArg >= 0 ? argv[seedsArg + 1].split(',') : ['1', '2', '3'];
const filter = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--seeds');
const sanitizers = !flag('--no-sanitizers');
const started = Date.now();
const failures = [];

function log(msg) {
  console.log(`[simt-test ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

function run(cmd, args, { env = {}, quiet = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = (r.stdout || '') + (r.stderr || '');
  if (!quiet) process.stdout.write(out);
  return { status: r.status ?? 1, out, signal: r.signal };
}

function must(label, r) {
  if (r.status !== 0) {
    failures.push(label);
    log(`FAILED: ${label} (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})`);
  }
}

// ---- configure + build ----------------------------------------------------------------------------
log('configure');
must('cmake configure', run('cmake', ['-S', root, '-B', dir, '-DSOUK_BUILD_SIMT_TESTS=ON', '-DSOUK_BUILD_ADDON=OFF',
  '-DCMAKE_BUILD_TYPE=Release'], { quiet: true }));
if (failures.length) process.exit(1);
const nvcc = !flag('--no-nvcc') && run('cmake', ['--build', dir, '--target', 'help'], { quiet: true }).out.includes('simt_nvcc_check');
const targets = ['simt_tests', 'souk_cuda_tests',
  ...(sanitizers ? ['simt_tests_tsan', 'simt_tests_asan', 'souk_cuda_tests_asan', 'souk_cuda_tests_tsan'] : []),
  ...(nvcc ? ['simt_nvcc_check', 'souk_cuda_kernels'] : [])];
log(`build ${targets.join(' ')}`);
const build = run('cmake', ['--build', dir, '-j', '2', '--target', ...targets], { quiet: true });
if (build.status !== 0) {
  process.stdout.write(build.out.split('\n').filter((l) => !/ptxas info|bytes stack frame|Used \d+ registers|Compile time/.test(l)).join('\n'));
  must('build', build);
  process.exit(1);
}
if (nvcc) {
  const entries = (build.out.match(/Compiling entry function/g) || []).length;
  log(`nvcc compile check: ok (${entries} kernel x architecture entries, no spills, no local memory)`);
  const res = run('node', [join(root, 'scripts', 'cuda-resources.mjs'), '--logs', join(bin, 'ptxas-logs'),
    '--budget', join(root, 'cuda', 'resource-budget.json'), '--table', join(bin, 'cuda-resources.md')], { quiet: true });
  log(`cuda resource budget: ${res.status === 0 ? 'ok' : 'FAILED'} (table: ${join(bin, 'cuda-resources.md')})`);
  if (res.status !== 0) process.stdout.write(res.out.split('\n').filter((l) => !l.startsWith('|')).join('\n') + '\n');
  must('cuda resource budget', res);
} else {
  log('nvcc compile check: skipped (nvcc not found or --no-nvcc)');
}

// ---- suites ---------------------------------------------------------------------------------------
// The closing line must say "0 failed" and the exit status must be 0 (a sanitizer report makes it non-zero).
function suite(name, env, only = seeds) {
  const exe = join(bin, name);
  if (!existsSync(exe)) return;
  for (const seed of only) {
    const r = run(exe, filter, { env: { SIMT_SEED: seed, ...env }, quiet: true });
    const closing = (r.out.match(/^\d+ passed, \d+ failed$/m) || ['(no closing line)'])[0];
    const report = /ThreadSanitizer|AddressSanitizer|runtime error:/.test(r.out);
    log(`${name} SIMT_SEED=${seed}: ${closing}`);
    if (r.status !== 0 || !/ 0 failed$/.test(closing) || report) {
      process.stdout.write(r.out.split('\n').filter((l) => /FAIL|Sanitizer|runtime error|simt:|#\d+ /.test(l)).slice(0, 80).join('\n') + '\n');
      must(`${name} SIMT_SEED=${seed}`, { status: r.status || 1 });
    }
  }
}
suite('simt_tests', {});
suite('souk_cuda_tests', {});
if (sanitizers) {
  suite('simt_tests_tsan', { TSAN_OPTIONS: 'halt_on_error=1' });
  suite('simt_tests_asan', { ASAN_OPTIONS: 'detect_leaks=1' });
  // The retrieval kernels under ASan and TSan (thread engine, 256 OS threads per block): one seed
  // each keeps CI short (the fiber suite above runs every seed).
  suite('souk_cuda_tests_asan', { ASAN_OPTIONS: 'detect_leaks=1' }, seeds.slice(0, 1));
  suite('souk_cuda_tests_tsan', { TSAN_OPTIONS: 'halt_on_error=1' }, seeds.slice(0, 1));
}

// ---- expected failures: the report must appear ----------------------------------------------------
function expectReport(label, exe, demo, pattern, env = {}) {
  if (!existsSync(join(bin, exe))) return;
  const r = run(join(bin, exe), ['--demo', demo], { env, quiet: true });
  const hit = r.out.match(pattern);
  log(`${label}: ${hit ? `reported ("${hit[0]}")` : 'NOT reported'}`);
  if (!hit) {
    process.stdout.write(r.out.slice(-3000));
    must(label, { status: 1 });
  }
}
if (!filter.length) {
  expectReport('watchdog demo (spinning thread)', 'simt_tests', 'spin', /no progress for \d+ s/, { SIMT_TIMEOUT: '1' });
  if (sanitizers) {
    expectReport('TSan demo (missing __syncthreads)', 'simt_tests_tsan', 'race', /ThreadSanitizer: data race/);
    expectReport('ASan demo (dynamic smem overflow)', 'simt_tests_asan', 'smem-overflow', /heap-buffer-overflow/);
    // UBSan's bounds check (same binary) usually fires first: either report counts.
    expectReport('ASan/UBSan demo (static __shared__ overflow)', 'simt_tests_asan', 'static-overflow',
      /global-buffer-overflow|index \d+ out of bounds for type 'float \[32\]'/);
  }
}

log(failures.length ? `FAILED: ${failures.join('; ')}` : `all SIMT emulator checks passed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(failures.length ? 1 : 0);
