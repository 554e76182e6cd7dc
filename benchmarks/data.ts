// Data benchmark: ingest + clean + matrix build of N synthetic events (default 10 M), with
// DuckDB's own read_csv of the same file as the reference rate.
//
//   pnpm exec tsx benchmarks/data.ts [--events N] [--keep] [--out DIR]
//
// Each phase (generate, DuckDB reference, ingest, clean, matrix build) runs in a fresh child
// process, so every peak RSS is that phase's own. Validate, then time (CONVENTIONS.md 20): each
// phase checks its result (row counts, CSR invariants, DuckDB's row count equals ours) and the
// report is written only when every check passed. Results: benchmarks/results/data-<N>.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import {
  assertValidCsr,
  buildInteractionMatrices,
  cleanStore,
  createSyntheticShop,
  ingest,
  openSqliteStore,
  writeItemsJsonl,
  writeSyntheticEventsCsv,
} from '../packages/data/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = dirname(here);
const args = process.argv.slice(2);
const flag = (name: string) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : undefined;
};
const log = (s: string) => process.stderr.write(s + '\n');
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

interface PhaseResult {
  seconds: number;
  peakRssMiB: number;
  [key: string]: unknown;
}

/** Runs inside a child: one phase, prints its JSON result on the last stdout line. */
async function runPhase(phase: string, work: string, events: number): Promise<PhaseResult> {
  const csvPath = join(work, 'events.csv');
  const itemsPath = join(work, 'items.jsonl');
  const dbPath = join(work, 'store.sqlite');
  const t0 = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu0 = process.cpuUsage();
  // CPU time (user + system) of the phase: less sensitive than wall time to other load on the machine.
  const cpuSeconds = () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };
  switch (phase) {
    case 'generate': {
      const items = Math.min(200_000, Math.max(1000, Math.round(events / 50)));
      const users = Math.min(2_000_000, Math.max(1000, Math.round(events / 20)));
      const shop = createSyntheticShop({ seed: 20240101, locale: 'en', items, users, queries: 200 });
      await writeItemsJsonl(itemsPath, shop.items);
      const written = await writeSyntheticEventsCsv(csvPath, shop.events({ events, days: 365 }));
      if (written !== events) throw new Error(`Expected ${events} events written but wrote ${written}`);
      return { seconds: seconds(), cpuSeconds: cpuSeconds(), peakRssMiB: peakRssMiB(), items, users, csvBytes: statSync(csvPath).size };
    }
    case 'ingest': {
      const store = openSqliteStore(dbPath);
      const items = await ingest(store, { asset: 'items', source: itemsPath });
      const t1 = process.hrtime.bigint();
      const cpu1 = process.cpuUsage();
      const s = await ingest(store, { asset: 'events', source: csvPath, batchSize: 50_000 });
      const eventSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
      const cpu = process.cpuUsage(cpu1);
      await store.close();
      if (s.accepted !== events || s.quarantined !== 0) throw new Error(`Expected ${events} accepted rows but got ${JSON.stringify(s)}`);
      return { seconds: eventSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: peakRssMiB(), itemsSeconds: items.elapsedMs / 1000, accepted: s.accepted };
    }
    case 'clean': {
      const store = openSqliteStore(dbPath);
      const report = await cleanStore(store, { nowMs: Date.UTC(2030, 0, 1) });
      await store.close();
      if (report.eventsBefore !== events) throw new Error(`Expected cleaning to see ${events} events but it saw ${report.eventsBefore}`);
      return { seconds: seconds(), cpuSeconds: cpuSeconds(), peakRssMiB: peakRssMiB(), removedByRule: report.removedByRule, kept: report.eventsAfter };
    }
    case 'matrix': {
      const store = openSqliteStore(dbPath);
      const m = await buildInteractionMatrices(store, { alpha: 40, halfLifeDays: 90 });
      const s = seconds();
      const cpuS = cpuSeconds();
      await store.close();
      assertValidCsr(m.csr, 'csr');
      assertValidCsr(m.csc, 'csc');
      if (m.csr.indices.length !== m.csc.indices.length) throw new Error('Expected CSR and CSC to hold the same entries');
      let sum = 0;
      for (const v of m.csr.data) sum += v;
      let sumT = 0;
      for (const v of m.csc.data) sumT += v;
      if (Math.abs(sum - sumT) > 1e-3 * Math.abs(sum)) throw new Error(`Expected CSR and CSC sums to agree but got ${sum} and ${sumT}`);
      return { seconds: s, cpuSeconds: cpuS, peakRssMiB: peakRssMiB(), nnz: m.csr.indices.length, users: m.csr.rows, items: m.csr.cols };
    }
    case 'duckdb': {
      // @duckdb/node-api is a dependency of @souk/data: resolve it from there.
      const duckdbEntry = createRequire(join(repo, 'packages', 'data', 'package.json')).resolve('@duckdb/node-api');
      const { DuckDBInstance } = (await import(pathToFileURL(duckdbEntry).href)) as typeof import('../packages/data/node_modules/@duckdb/node-api/lib/index.js');
      const db = await DuckDBInstance.create(':memory:', { threads: '2' });
      const c = await db.connect();
      const quoted = csvPath.replace(/'/g, "''");
      let t = process.hrtime.bigint();
      const r = await c.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT "user") AS u FROM read_csv('${quoted}', header = true)`);
      const scanSeconds = Number(process.hrtime.bigint() - t) / 1e9;
      t = process.hrtime.bigint();
      await c.run(`CREATE TABLE events AS SELECT * FROM read_csv('${quoted}', header = true)`);
      const loadSeconds = Number(process.hrtime.bigint() - t) / 1e9;
      const row = r.getRowObjectsJS()[0]!;
      if (Number(row.n) !== events) throw new Error(`Expected DuckDB to read ${events} rows but it read ${row.n}`);
      c.closeSync();
      db.closeSync();
      return { seconds: loadSeconds, scanSeconds, peakRssMiB: peakRssMiB(), rows: Number(row.n), users: Number(row.u) };
    }
    default:
      throw new Error(`Expected a phase name for --phase but received ${JSON.stringify(phase)}`);
  }
}

function child(phase: string, work: string, events: number): PhaseResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--phase', phase, '--work', work, '--events', String(events)], {
    cwd: repo,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`phase ${phase} failed with status ${r.status}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as PhaseResult;
  log(`${phase}: ${result.seconds.toFixed(2)} s${typeof result.cpuSeconds === 'number' ? ` (CPU ${result.cpuSeconds.toFixed(2)} s)` : ''}, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
  return result;
}

const phase = flag('--phase');
const events = Number((flag('--events') ?? '10000000').replace(/_/g, ''));
if (!Number.isInteger(events) || events < 1) throw new Error(`Expected a positive integer for --events but received ${flag('--events')}`);
if (phase) {
  console.log(JSON.stringify(await runPhase(phase, flag('--work')!, events)));
} else {
  const keep = args.includes('--keep');
  const outDir = flag('--out') ?? join(here, 'results');
  const work = mkdtempSync(join(tmpdir(), 'souk-bench-data-'));
  try {
    log(`data benchmark: ${events.toLocaleString('en-US')} events, work dir ${work}`);
    const gen = child('generate', work, events);
    const duck = child('duckdb', work, events);
    const ing = child('ingest', work, events);
    const cln = child('clean', work, events);
    const mat = child('matrix', work, events);
    if (mat.users !== duck.users) throw new Error(`Expected ${duck.users} users (DuckDB) but the matrix has ${mat.users}`);
    const total = ing.seconds + cln.seconds + mat.seconds;
    const rate = (s: number) => events / s;
    const result = {
      suite: 'data',
      date: new Date().toISOString(),
      commit: (() => {
        try {
          return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
        } catch {
          return null;
        }
      })(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: totalmem() / 2 ** 30, node: process.version, platform: process.platform, loadAverageAtEnd: loadavg() },
      events,
      generate: gen,
      ingest: { ...ing, rowsPerSecond: rate(ing.seconds) },
      clean: { ...cln, rowsPerSecond: rate(cln.seconds) },
      matrix: { ...mat, rowsPerSecond: rate(mat.seconds) },
      total: { seconds: total, rowsPerSecond: rate(total), peakRssMiB: Math.max(ing.peakRssMiB, cln.peakRssMiB, mat.peakRssMiB) },
      reference: {
        name: 'DuckDB read_csv, 2 threads (count(*) scan, and CREATE TABLE AS load)',
        scanRowsPerSecond: rate(duck.scanSeconds as number),
        loadRowsPerSecond: rate(duck.seconds),
        peakRssMiB: duck.peakRssMiB,
        oursIngestOverDuckdbLoad: rate(ing.seconds) / rate(duck.seconds),
        oursTotalOverDuckdbLoad: rate(total) / rate(duck.seconds),
      },
    };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `data-${events}.json`), JSON.stringify(result, null, 2) + '\n');
    const f = (x: number) => Math.round(x).toLocaleString('en-US');
    console.log(
      [
        `events ${f(events)} (${((gen.csvBytes as number) / 2 ** 20).toFixed(0)} MiB CSV, ${f(gen.users as number)} users, ${f(gen.items as number)} items), ${result.machine.cpus} CPUs, Node ${process.version}`,
        `ingest  ${ing.seconds.toFixed(2)} s (CPU ${(ing.cpuSeconds as number).toFixed(2)} s)  ${f(result.ingest.rowsPerSecond)} rows/s  peak RSS ${f(ing.peakRssMiB)} MiB`,
        `clean   ${cln.seconds.toFixed(2)} s (CPU ${(cln.cpuSeconds as number).toFixed(2)} s)  ${f(result.clean.rowsPerSecond)} rows/s  peak RSS ${f(cln.peakRssMiB)} MiB`,
        `matrix  ${mat.seconds.toFixed(2)} s (CPU ${(mat.cpuSeconds as number).toFixed(2)} s)  ${f(result.matrix.rowsPerSecond)} rows/s  peak RSS ${f(mat.peakRssMiB)} MiB (nnz ${f(mat.nnz as number)})`,
        `total   ${total.toFixed(2)} s  ${f(result.total.rowsPerSecond)} rows/s`,
        `duckdb  read_csv scan ${f(result.reference.scanRowsPerSecond)} rows/s, load ${f(result.reference.loadRowsPerSecond)} rows/s; ours/duckdb-load: ingest ${result.reference.oursIngestOverDuckdbLoad.toFixed(3)}, total ${result.reference.oursTotalOverDuckdbLoad.toFixed(3)}`,
      ].join('\n'),
    );
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}
