// The service benchmark's mix offered open-loop to a server that is already running (yours, on
// another machine, or one started by hand with other flags): no build, no start, no kill test.
// Latency is taken from the time each request was due (benchmarks/lib/paced-load.ts), as in
// `pnpm bench service`.
//
//   cd /work/main && node benchmarks/run.mjs service-attach --url http://127.0.0.1:8080
//        [--api-key KEY] [--rate R] [--seconds S] [--warmup S] [--only search|recommend|events]
//        [--items N] [--users N] [--events N] [--pid PID]
//
// The server must hold the service benchmark's synthetic shop (the same --items/--users/--events;
// default 100,000 / 50,000 / 2,000,000): the requests name its users, items and vocabulary, read
// from benchmarks/.cache/shop-…/meta.json (`pnpm bench service` generates it once). Events need
// the server's write key (--api-key; default the service benchmark's key). With --pid (a server on
// this machine), the CPU of its threads over the timed window is reported too.
// Results: benchmarks/results/service-attach-<timestamp>.json and a table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, table } from './lib/env.mjs';
import type { RouteSpec } from './lib/http-load.js';
import { describeSeconds, runPaced, type PacedResult } from './lib/paced-load.js';
import { MIX, mixRoutes } from './lib/service-mix.js';
import { serviceShop } from './lib/service-shop.js';
import { positive as positiveFlag, value } from './lib/args.js';
import { processCpu, threadTicks } from './lib/thread-cpu.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (s: string) => process.stderr.write(s + '\n');
const usage = 'usage: pnpm bench service-attach --url http://host:port [--api-key KEY] [--rate R] [--seconds S] [--warmup S] [--only search|recommend|events] [--pid PID]';

const url = value('--url');
if (url === undefined || !/^https?:\/\//.test(url)) {
  log(usage);
  process.exit(2);
}
const positive = (flag: string, fallback: number) => positiveFlag(flag, fallback, usage);
const rate = positive('--rate', 1000);
const seconds = positive('--seconds', 20);
/** Warm-up at the same rate before the timed window (a server that just started needs more: JIT, first full GC). */
const warmup = positive('--warmup', 5);
const params = { items: positive('--items', 100_000), users: positive('--users', 50_000), events: positive('--events', 2_000_000), seed: 2026 };
const apiKey = value('--api-key') ?? 'bench-service-key-0123456789';
const only = value('--only');
/** A server process on this machine whose threads' CPU is reported. */
const pid = value('--pid') === undefined ? undefined : positive('--pid', 0);

const shop = await serviceShop(params, join(here, '.cache'), log);
const routes = mixRoutes(shop.meta, 7, Date.now().toString(36), { authorization: `Bearer ${apiKey}` });
const all: RouteSpec[] = [
  { name: 'search', weight: MIX.search, build: routes.search },
  { name: 'recommend', weight: MIX.recommend, build: routes.recommend },
  { name: 'events', weight: MIX.events, build: routes.events },
];
const chosen = only === undefined ? all : all.filter((r) => r.name === only).map((r) => ({ ...r, weight: 1 }));
if (chosen.length === 0) {
  log(`--only: expected one of ${all.map((r) => r.name).join(', ')}\n${usage}`);
  process.exit(2);
}

// Healthy, and its read workers (if any) hold their catalog replica: before that, every read
// runs on the event loop and the numbers say nothing about the server as it serves.
const waitStarted = performance.now();
for (;;) {
  const health = await fetch(`${url}/healthz`).catch((e: Error) => e);
  if (health instanceof Error || !health.ok) {
    log(`no healthy server at ${url} (${health instanceof Error ? health.message : `GET /healthz: ${health.status}`})`);
    process.exit(1);
  }
  const reads = ((await health.json()) as { reads?: { workers: number; ready: number } }).reads;
  if (!reads || reads.ready >= reads.workers) break;
  if (performance.now() - waitStarted > 120_000) {
    log(`the server's read workers are not ready after 120 s: ${JSON.stringify(reads)}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
const what = only ?? 'the mix';
log(`${what} offered at ${rate} req/s to ${url}: ${warmup} s warm-up + ${seconds} s`);
await runPaced({ url, routes: chosen, rate, seconds: warmup, seed: 7 });
const before = { server: pid === undefined ? undefined : threadTicks(pid), bench: threadTicks(process.pid) };
const started = performance.now();
const paced = await runPaced({ url, routes: chosen, rate, seconds, seed: 8 });
const elapsed = (performance.now() - started) / 1000;
const cpu = {
  server: pid === undefined ? undefined : processCpu(pid, before.server, threadTicks(pid), elapsed),
  loadGenerator: processCpu(process.pid, before.bench, threadTicks(process.pid), elapsed),
};

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const row = (pass: string, r: { latencyMs: PacedResult['latencyMs']; non2xx: number }, answered?: number, errors?: number) => ({
  pass,
  'req/s': answered === undefined ? '' : fmt(answered, 0),
  'p50 ms': fmt(r.latencyMs.p50),
  'p90 ms': fmt(r.latencyMs.p90),
  'p99 ms': fmt(r.latencyMs.p99),
  'max ms': fmt(r.latencyMs.max, 0),
  non2xx: String(r.non2xx),
  errors: errors === undefined ? '' : String(errors),
});
console.log(`\n== ${what} offered at ${rate} req/s to ${url} (open loop, latency from the due time) ==`);
console.log(
  table([
    row('all', paced, paced.achievedRate, paced.errors),
    ...(chosen.length > 1 ? Object.entries(paced.perRoute).map(([name, r]) => row(name, r)) : []),
    row('server time (from the write)', { latencyMs: paced.serviceLatencyMs, non2xx: paced.non2xx }),
  ]),
);
const pct = (c: number) => `${(c * 100).toFixed(0)}%`;
if (cpu.server) console.log(`server CPU (of one core): ${pct(cpu.server.total)} — main thread ${pct(cpu.server.main)}, busiest other threads ${cpu.server.others.slice(0, 4).map(pct).join(', ')}`);
if (cpu.loadGenerator) console.log(`load generator CPU: ${pct(cpu.loadGenerator.total)}`);
console.log(`load generator event-loop delay: p99 ${paced.generatorLoopDelayMs.p99.toFixed(1)} ms, max ${paced.generatorLoopDelayMs.max.toFixed(1)} ms`);
console.log(describeSeconds(paced));
if (paced.errorMessages.length > 0) console.log(`errors: ${paced.errorMessages.slice(0, 5).join('; ')}`);
const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
const outDir = join(here, 'results');
mkdirSync(outDir, { recursive: true });
const path = join(outDir, `service-attach-${stamp}.json`);
writeFileSync(path, JSON.stringify({ suite: 'service-attach', machine: machineInfo(), options: { url, rate, seconds, warmup, only: only ?? null, params }, paced, cpu }, null, 2));
console.log(`\nwrote ${path}`);
