#!/usr/bin/env node
// scripts/emu-addon-test.mjs: the emulated-GPU addon check (CUDA-TESTING.md §4.2 "addon-emu").
// Builds souk_emu.node: the same native/addon sources as souk.node, whose CUDA backend is the
// cuda/src launchers + cuda/kernels + native/cuda_bridge/bridge.cu compiled by the host compiler
// against the SIMT emulator (cuda/simt; the probe sees one emulated device, "SIMT emulator", 8.0).
// Then runs the kernels' TypeScript test files with it (SOUK_KERNELS_BINARY), SOUK_EXPECT_CUDA=1
// asserting the device is there, so every parity case on backend 'cuda' drives JS -> N-API ->
// bridge (staging, context pool, DeviceMatrix) -> launcher (grid sizes, shared memory, tails) ->
// kernel, and compares with the ref / cpu backends and the pure-TS reference.
//
// Usage: node scripts/emu-addon-test.mjs [--no-build] [--build-dir DIR] [test files...]
// Build directory: build/emu (cmake -DSOUK_BUILD_ADDON=OFF -DSOUK_ADDON_EMU=ON), -j2. In CI,
// `--build-dir build/simt-tests` (after scripts/simt-test.mjs) reuses that tree's souk_core.
// Budget: about 3 minutes on 2 cores including the build (libboost-context-dev, when installed,
// makes the emulator's fibers several times faster). Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const dirArg = argv.indexOf('--build-dir');
const dir = resolve(root, dirArg >= 0 ? argv[dirArg + 1] : join('build', 'emu'));
const binary = join(dir, 'souk_emu.node');
const build = !argv.includes('--no-build');
const files = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--build-dir');
const tests = files.length
  ? files
  : ['retrieval.parity', 'errors', 'cuda', 'cuda-memory', 'factorization'].map((f) => `packages/kernels/test/${f}.test.ts`);
const started = Date.now();

function log(msg) {
  console.log(`[emu-addon-test ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

function run(cmd, args, { env = {}, quiet = false } = {}) {
  const r = spawnSync(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: quiet ? 'pipe' : 'inherit',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? 1, out: (r.stdout || '') + (r.stderr || '') };
}

function fail(label, r) {
  if (r.out) process.stdout.write(r.out.split('\n').filter((l) => /error|Error|FAIL/.test(l)).slice(0, 60).join('\n') + '\n');
  log(`FAILED: ${label} (exit ${r.status})`);
  process.exit(1);
}

if (build) {
  log(`configure ${dir} (SOUK_ADDON_EMU=ON)`);
  const c = run('cmake', ['-S', root, '-B', dir, '-DSOUK_BUILD_ADDON=OFF', '-DSOUK_ADDON_EMU=ON', '-DCMAKE_BUILD_TYPE=Release'], { quiet: true });
  if (c.status !== 0) fail('cmake configure', c);
  log('build souk_emu.node (-j2)');
  const b = run('cmake', ['--build', dir, '-j', '2', '--target', 'souk_addon_emu'], { quiet: true });
  if (b.status !== 0) fail('build', b);
}
if (!existsSync(binary)) fail(`${binary} missing (run without --no-build)`, { status: 1, out: '' });

log(`vitest on the emulated device: ${tests.join(' ')}`);
// The emulator runs kernels ~150x slower than a CPU kernel: the training-convergence cases need
// more than vitest's default 60 s per test on 2 cores.
const t = run('npx', ['--no-install', 'vitest', 'run', '--testTimeout=300000', ...tests], {
  env: { SOUK_KERNELS_BINARY: binary, SOUK_EXPECT_CUDA: '1' },
});
if (t.status !== 0) fail('vitest', t);
log(`emulated-GPU addon: all kernel tests passed with backend 'cuda' on the SIMT emulator (${((Date.now() - started) / 1000).toFixed(0)} s)`);
