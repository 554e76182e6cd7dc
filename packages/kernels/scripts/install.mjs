#!/usr/bin/env node
// The package's install hook: use a prebuilt binary when one matches this platform
// (prebuilds/<platform>-<arch>/, or an existing build/Release/souk.node), otherwise build the
// addon from source with cmake-js. Set SOUK_SKIP_NATIVE_BUILD=1 to skip (e.g. when
// SOUK_KERNELS_BINARY points at a binary built elsewhere).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
if (process.env.SOUK_SKIP_NATIVE_BUILD) process.exit(0);
try {
  require('node-gyp-build').resolve(pkg);
  process.exit(0); // a matching binary is already there
} catch {
  // none: build from source below
}
// The CMake project is the repository root (native/, cuda/, CMakeLists.txt).
const sourceDir = resolve(pkg, '..', '..');
if (!existsSync(join(sourceDir, 'CMakeLists.txt'))) {
  process.stderr.write(
    '@souk/kernels: no prebuilt binary for this platform and no sources to build from.\n' +
      'Set SOUK_KERNELS_BINARY to a souk.node built for this platform, or install from the repository.\n',
  );
  process.exit(1);
}
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', sourceDir, '--out', 'build'], { cwd: pkg, stdio: 'inherit' });
if (r.status !== 0) {
  process.stderr.write('@souk/kernels: building the native addon failed; it needs cmake >= 3.18 and a C++17 compiler (apt-get install cmake g++ make).\n');
}
process.exit(r.status ?? 1);
