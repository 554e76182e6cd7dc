#!/usr/bin/env node
// Builds the addon for release and stores it where node-gyp-build looks for prebuilt binaries:
// prebuilds/<platform>-<arch>/node.napi.node (N-API: one binary serves every Node >= 18 on that
// platform). prebuildify itself drives node-gyp; Souk builds with cmake-js (one CMake graph for
// CPU and CUDA), so this script does the same job with the same layout.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
const r = spawnSync('npx', ['cmake-js', 'compile', '--directory', '../..', '--out', 'build'], { cwd: pkg, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status || 1);
const dir = join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
mkdirSync(dir, { recursive: true });
copyFileSync(join(pkg, 'build', 'Release', 'souk.node'), join(dir, 'node.napi.node'));
process.stdout.write(`prebuilt: ${join(dir, 'node.napi.node')}\n`);
