#!/usr/bin/env node
// Sets up a fresh clone so the README's two commands work on a machine with only Node 20 and npm:
//   1. the system tools the native build needs (cmake, a C++17 compiler, make), with apt-get
//      when they are missing and we may install them;
//   2. pnpm (the repo's pinned version, through npx when it is not on PATH) and the workspace's
//      dependencies (frozen lockfile);
//   3. the native addon (cmake-js, incremental) and the TypeScript build (tsc -b, incremental).
// Each step is skipped when already done, so running it again is cheap.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const quiet = process.argv.includes('--quiet');
const say = (msg) => {
  if (!quiet) process.stderr.write(`[souk setup] ${msg}\n`);
};

function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    process.stderr.write(`[souk setup] failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status || 1);
  }
}

// ---- 0. Node ----
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 11)) {
  process.stderr.write(`Souk needs Node >= 20.11; this is ${process.version}.\n`);
  process.exit(1);
}

// ---- 1. system tools for the native build ----
const needed = [
  ['cmake', 'cmake'],
  ['g++', 'g++'],
  ['make', 'make'],
].filter(([cmd]) => !has(cmd));
if (needed.length) {
  const pkgs = needed.map(([, pkg]) => pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (has('apt-get', ['--version']) && isRoot) {
    say(`installing ${pkgs.join(', ')} with apt-get`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    process.stderr.write(`Souk's native build needs ${pkgs.join(', ')}. Install them (e.g. sudo apt-get install ${pkgs.join(' ')}) and run again.\n`);
    process.exit(1);
  }
}

// ---- 2. pnpm and dependencies ----
// Native dependencies without a usable prebuilt binary (better-sqlite3: its prebuild download
// cannot reach GitHub here) are compiled by node-gyp, which must use this Node's own headers
// instead of downloading them: point it at <node prefix>/include/node when that exists.
const nodePrefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(nodePrefix, 'include', 'node', 'node.h'))) {
  process.env.npm_config_nodedir = nodePrefix;
}

const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
let pnpm = ['pnpm'];
const local = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
if (local.status !== 0 || local.stdout.trim().split('.')[0] !== pinned.split('.')[0]) {
  pnpm = ['npx', '--yes', `pnpm@${pinned}`];
}
const pnpmRun = (args, opts) => run(pnpm[0], [...pnpm.slice(1), ...args], opts);

const modulesState = join(root, 'node_modules', '.modules.yaml');
const lock = join(root, 'pnpm-lock.yaml');
const stale = !existsSync(modulesState) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(modulesState).mtimeMs);
if (stale) {
  say('installing dependencies (pnpm install --frozen-lockfile)');
  pnpmRun(['install', '--frozen-lockfile', ...(quiet ? ['--reporter=silent'] : [])]);
}

// ---- 3. native addon and TypeScript ----
say('building the native addon (cmake-js, incremental)');
pnpmRun(['--filter', '@souk/kernels', 'run', 'build:native'], { stdio: quiet ? 'ignore' : 'inherit' });
say('building TypeScript (tsc -b)');
pnpmRun(['exec', 'tsc', '-b', 'tsconfig.build.json']);
say('ready');
