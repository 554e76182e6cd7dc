#!/usr/bin/env node
// Builds and runs the native core's C++ tests (native/tests) in build/native-tests. Pass
// --sanitize for an AddressSanitizer + UBSan build (build/native-tests-asan).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const sanitize = process.argv.includes('--sanitize');
const dir = join(root, 'build', sanitize ? 'native-tests-asan' : 'native-tests');
const filter = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env });
  if (r.status !== 0) process.exit(r.status || 1);
}
run('cmake', ['-S', root, '-B', dir, '-DSOUK_BUILD_TESTS=ON', '-DSOUK_BUILD_ADDON=OFF', `-DSOUK_SANITIZE=${sanitize ? 'ON' : 'OFF'}`, '-DCMAKE_BUILD_TYPE=Release']);
run('cmake', ['--build', dir, '-j', '2']);
run(join(dir, 'souk_native_tests'), filter);
