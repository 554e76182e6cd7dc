/**
 * Finds and loads the native addon (CONVENTIONS.md 13): try each candidate, collect every error,
 * and throw one message with concrete fixes.
 *
 * Candidates, in order:
 *  1. `SOUK_KERNELS_BINARY` — an explicit path to a `.node` file (a custom or debug build);
 *  2. node-gyp-build over this package: `build/Release/souk.node` (a source build by cmake-js,
 *     which `pnpm install` runs when no prebuilt binary matches), then `prebuilds/<platform>-<arch>/`.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeBinding } from './binding.js';
import { KernelError } from './errors.js';

const require = createRequire(import.meta.url);

/** The package root (where package.json, build/ and prebuilds/ live). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'loader.ts'))) return dir;
    if (existsSync(join(dir, 'package.json')) && dir.endsWith('kernels')) return dir;
    dir = dirname(dir);
  }
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

let cached: NativeBinding | undefined;

/**
 * Loads the addon once per thread. Throws a {@link KernelError} with code `ERR_LOAD` listing every
 * candidate tried and why it failed.
 */
export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const failures: string[] = [];
  const root = packageRoot();
  const explicit = process.env.SOUK_KERNELS_BINARY;
  if (explicit) {
    try {
      cached = require(explicit) as NativeBinding;
    } catch (e) {
      failures.push(`SOUK_KERNELS_BINARY=${explicit}: ${(e as Error).message}`);
    }
  }
  if (!cached) {
    try {
      const nodeGypBuild = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };
      const path = nodeGypBuild.resolve(root);
      try {
        cached = require(path) as NativeBinding;
      } catch (e) {
        failures.push(`${path}: ${(e as Error).message}`);
      }
    } catch (e) {
      failures.push(`node-gyp-build in ${root}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!cached) {
    throw new KernelError(
      [
        'Could not load the Souk native addon (souk.node). Tried:',
        ...failures.map((f) => `  - ${f}`),
        'Fixes:',
        '  - build it from source: `pnpm --filter @souk/kernels run build:native` (needs cmake >= 3.18 and a C++17 compiler: `apt-get install cmake g++`);',
        '  - or point SOUK_KERNELS_BINARY at a prebuilt souk.node for this platform;',
        `  - this process: node ${process.version}, ${process.platform}-${process.arch}.`,
      ].join('\n'),
      'ERR_LOAD',
    );
  }
  cached.init(KernelError as unknown as new (message: string, code: string) => Error);
  return cached;
}
