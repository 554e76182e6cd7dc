/**
 * `souk ingest`: streams item, user, event and transaction files (CSV, TSV, JSONL, Parquet) into
 * a data directory through the engine, with quarantine of bad rows and a progress bar.
 * @packageDocumentation
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Engine, IngestFiles, IngestFilesResult } from '@souk/engine';
import { addDataDirOption, addExamples, addOutputOptions, ioOf, type CommonFlags } from '../common.js';
import { withEngine } from '../data-dir.js';
import { CliError } from '../errors.js';
import { emitJson, log, say, seconds, table, type Io } from '../output.js';
import { startProgress, type Progress } from '../progress.js';

/** Flags of `souk ingest`. */
export interface IngestFlags extends CommonFlags {
  readonly dataDir: string;
  readonly items?: string;
  readonly users?: string;
  readonly events?: string;
  readonly transactions?: string;
}

const ASSETS = ['items', 'users', 'events', 'transactions'] as const;

/** Counts the records of a text file (lines after a CSV/TSV header) for the progress total; undefined for compressed or columnar files. */
async function countRecords(path: string): Promise<number | undefined> {
  if (/\.(gz|parquet)$/i.test(path)) return undefined;
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  if (last !== 10) lines++;
  return /\.(csv|tsv|tab|txt)$/i.test(path) ? Math.max(0, lines - 1) : lines;
}

/** Checks that every given file exists (`ERR_INPUT_MISSING`, exit 3) and returns absolute paths. */
export function checkIngestFiles(files: IngestFiles): IngestFiles {
  const given = ASSETS.filter((a) => files[a] !== undefined);
  for (const asset of given) {
    const path = files[asset]!;
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new CliError('ERR_INPUT_MISSING', `Expected a readable file for --${asset} but received ${JSON.stringify(path)}, which does not exist`);
    }
  }
  return Object.fromEntries(given.map((a) => [a, resolve(files[a]!)]));
}

/** Ingests files through an open engine with a progress bar per asset; returns the engine's summary per asset. */
export async function ingestWithProgress(io: Io, engine: Engine, files: IngestFiles): Promise<IngestFilesResult> {
  const absolute = checkIngestFiles(files);
  const showTotals = !io.quiet && (io.err as NodeJS.WriteStream).isTTY === true;
  const totals = new Map<string, number | undefined>();
  if (showTotals) for (const asset of ASSETS) if (absolute[asset]) totals.set(asset, await countRecords(absolute[asset]!));
  let current: { asset: string; bar: Progress; rows: number } | undefined;
  const started = Date.now();
  const finish = () => {
    if (current) current.bar.stop(`${current.rows.toLocaleString('en-US')} row${current.rows === 1 ? '' : 's'} read`);
    current = undefined;
  };
  const result = await engine.ingestFiles(absolute, {
    onProgress: (asset, rows) => {
      if (current?.asset !== asset) {
        finish();
        const total = totals.get(asset);
        current = { asset, rows: 0, bar: startProgress(io, { label: `ingest ${asset}`, ...(total !== undefined ? { total } : {}), unit: 'rows' }) };
      }
      current.rows = rows;
      current.bar.update(rows);
    },
  });
  finish();
  log(io, `ingest finished in ${seconds(Date.now() - started)}`);
  return result;
}

/** The ingest summary as a table: per asset, rows inserted, ignored (already stored) and quarantined. */
export function ingestSummaryTable(files: IngestFiles, result: IngestFilesResult): string {
  const rows = ASSETS.filter((a) => result[a] !== undefined).map((a) => {
    const r = result[a]!;
    return [a, files[a] ?? '', r.inserted, r.ignored, r.quarantined];
  });
  return table(['asset', 'file', 'inserted', 'ignored', 'quarantined'], rows, { maxWidth: 60 });
}

/** Registers `souk ingest`. */
export function registerIngest(program: Command): void {
  const cmd = program
    .command('ingest')
    .summary('ingest item, user, event and transaction files')
    .description('Ingest item, user, event and transaction files (CSV, TSV, JSONL, Parquet) into a data directory; bad rows are quarantined with reasons')
    .option('--items <file>', 'catalog items (id, title, brand, categoryPath, price, currency, tags, attributes, inStock)')
    .option('--users <file>', 'users (id, attributes)')
    .option('--events <file>', 'events (user, item, type, value, query, timestamp, session)')
    .option('--transactions <file>', 'transactions (id, user, timestamp, lines, total, currency)');
  addDataDirOption(cmd);
  addOutputOptions(cmd);
  addExamples(cmd, [
    'souk ingest --data-dir shop --items items.jsonl --events events.csv',
    'souk ingest -d shop --users users.jsonl --transactions orders.jsonl --json',
  ]);
  cmd.action(async (flags: IngestFlags) => {
    const io = ioOf(flags);
    const files: IngestFiles = Object.fromEntries(ASSETS.filter((a) => flags[a] !== undefined).map((a) => [a, flags[a]!]));
    if (Object.keys(files).length === 0) cmd.error('error: give at least one of --items, --users, --events, --transactions', { exitCode: 2, code: 'souk.usage' });
    checkIngestFiles(files);
    const result = await withEngine(flags.dataDir, { create: true }, (engine) => ingestWithProgress(io, engine, files));
    emitJson(io, { dataDir: resolve(flags.dataDir), files, result });
    say(io, ingestSummaryTable(files, result));
    const rejectedAll = ASSETS.filter((a) => {
      const r = result[a];
      return r !== undefined && r.quarantined > 0 && r.inserted + r.ignored === 0;
    });
    if (rejectedAll.length > 0) {
      throw new CliError('ERR_BAD_DATA', `Every row of ${rejectedAll.map((a) => `--${a} ${files[a]}`).join(', ')} was quarantined; see the reasons with: souk inventory --data-dir ${flags.dataDir}`);
    }
  });
}
