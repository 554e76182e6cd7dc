// Helpers of the CLI tests: build the CLI once (tsc -b, incremental: a no-op when dist is up to
// date), then run the real bin (`node packages/cli/bin/souk.mjs`) as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSyntheticShop, writeItemsJsonl, writeSyntheticEventsCsv } from '@souk/data';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The `souk` bin. */
export const BIN = join(ROOT, 'packages', 'cli', 'bin', 'souk.mjs');

/** Builds the CLI and its dependencies with `tsc -b` (throws with tsc's output on failure). */
export function buildCli(): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-b', join(ROOT, 'packages', 'cli')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -b packages/cli failed:\n${r.stdout}\n${r.stderr}`);
}

/** What a run of the bin produced. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `souk ...args` to completion. */
export function souk(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Parses a run's stdout as the one JSON document `--json` promises. */
export function json<T = Record<string, unknown>>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\nstderr:\n${r.stderr.slice(0, 2000)}`);
  }
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'souk-cli-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small English synthetic shop written as items.jsonl, users.jsonl and events.csv. */
export async function writeSmallShop(dir: string): Promise<{ items: string; users: string; events: string; counts: { items: number; users: number; events: number } }> {
  const shop = createSyntheticShop({ seed: 3, items: 200, users: 150, queries: 20 });
  const files = { items: join(dir, 'items.jsonl'), users: join(dir, 'users.jsonl'), events: join(dir, 'events.csv') };
  await writeItemsJsonl(files.items, shop.items);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(files.users, shop.users.map((u) => JSON.stringify(u)).join('\n') + '\n');
  const start = Date.now() - 60 * 86_400_000;
  const events = await writeSyntheticEventsCsv(files.events, shop.events({ events: 6_000, startMs: start, days: 30 }));
  return { ...files, counts: { items: shop.items.length, users: shop.users.length, events } };
}
