/**
 * The data directory a command works on: where the engine keeps `souk.db`, `models/` and
 * `index/` (see `EngineOptions.dataDir`). Commands that read data require an existing store;
 * `souk ingest` creates one.
 * @packageDocumentation
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '@souk/engine';
import { openSqliteStore, type DataStore } from '@souk/data';
import { CliError } from './errors.js';

/** File name of the engine's SQLite store inside a data directory. */
export const STORE_FILE = 'souk.db';

/** Default data directory when `--data-dir` is not given: `$SOUK_DATA_DIR` or `./souk-data`. */
export function defaultDataDir(): string {
  return process.env.SOUK_DATA_DIR ?? 'souk-data';
}

/** Resolves a data directory and checks that it holds a Souk store (`ERR_NO_DATA_DIR`, exit 4). */
export function requireDataDir(dataDir: string): string {
  const dir = resolve(dataDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CliError('ERR_NO_DATA_DIR', `Expected a Souk data directory for --data-dir but received ${JSON.stringify(dataDir)}, which does not exist (create one with: souk ingest --data-dir ${dataDir} ...)`);
  }
  if (!existsSync(join(dir, STORE_FILE))) {
    throw new CliError('ERR_NO_DATA_DIR', `Expected a Souk data directory for --data-dir but received ${JSON.stringify(dataDir)}, which has no ${STORE_FILE} (create one with: souk ingest --data-dir ${dataDir} ...)`);
  }
  return dir;
}

/** Opens the engine over a data directory (which must hold a store unless `create`). */
export async function openEngine(dataDir: string, options: { create?: boolean } = {}): Promise<Engine> {
  const dir = options.create ? resolve(dataDir) : requireDataDir(dataDir);
  return Engine.open({ dataDir: dir });
}

/** Opens the data directory's store directly (for offline evaluation and tuning). */
export function openStore(dataDir: string): DataStore {
  return openSqliteStore(join(requireDataDir(dataDir), STORE_FILE), { synchronous: 'normal' });
}

/** Runs `work` with an engine and always closes it. */
export async function withEngine<T>(dataDir: string, options: { create?: boolean }, work: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await openEngine(dataDir, options);
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}
