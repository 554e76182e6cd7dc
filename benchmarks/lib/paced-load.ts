// A paced (open-loop) load driver: requests are scheduled at a constant rate — request i at
// start + i / rate — whatever the server's answers, and each latency is measured from the time
// the request was due, not from when it could be sent, so a server that falls behind shows it in
// the latencies instead of slowing the client down (the "coordinated omission" correction of
// wrk2; autocannon's own rate limit sends each second's quota in a burst, which measures a
// saturated server instead). Node's http client with a keep-alive pool of `connections` sockets,
// all opened before the timing starts (GET /healthz on each) and used in turn; requests due
// while every socket is busy wait in the pool, and that wait counts.
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { routeDraw, summarize, type LatencySummary, type RouteSpec } from './http-load.js';

/** Options of {@link runPaced}. */
export interface PacedOptions {
  readonly url: string;
  readonly routes: readonly RouteSpec[];
  /** Requests per second offered. */
  readonly rate: number;
  readonly seconds: number;
  /** Most sockets open at once (default 64). */
  readonly connections?: number;
  readonly seed?: number;
  /** Request timeout in ms (default 10,000). */
  readonly timeoutMs?: number;
}

/** Per-route results of a paced run. */
export interface PacedRouteResult {
  readonly requests: number;
  readonly latencyMs: LatencySummary;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
}

/** What {@link runPaced} measured. */
export interface PacedResult {
  readonly offeredRate: number;
  readonly seconds: number;
  readonly connections: number;
  /** Requests due in the window. */
  readonly scheduled: number;
  /** Answers received (any status). */
  readonly completed: number;
  /** Answers per second over the window (the offered rate when the server keeps up). */
  readonly achievedRate: number;
  /** Latency from the time each request was due, all routes. */
  readonly latencyMs: LatencySummary;
  /** Latency from the time each request was actually written (without the wait for a socket). */
  readonly serviceLatencyMs: LatencySummary;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly errorMessages: string[];
  readonly perRoute: Record<string, PacedRouteResult>;
  /** The load generator's event-loop delay over the run (its lateness is in the latencies too). */
  readonly generatorLoopDelayMs: { readonly p99: number; readonly max: number };
  /** Wall-clock start of the window (epoch ms), to line `perSecond` up with server logs. */
  readonly startedAtEpochMs: number;
  /**
   * Each second of the window (by due time): requests due, their p99 and max latency. Tells a
   * tail made by a few bad seconds (a pause, a periodic job) from one spread over the run.
   */
  readonly perSecond: readonly { readonly second: number; readonly requests: number; readonly p99: number; readonly max: number }[];
}

/** Offers the weighted mix at `rate` requests/s for `seconds` and waits for every answer. */
export async function runPaced(options: PacedOptions): Promise<PacedResult> {
  const draw = routeDraw(options.routes, options.seed ?? 1);
  const connections = options.connections ?? 64;
  // All `connections` sockets are opened before the timed window and kept busy in turn (fifo),
  // as wrk2 and autocannon keep their connections: without it the window began with a burst of
  // connection set-ups, and sockets a lifo pool left idle timed out and were reopened mid-run —
  // seconds of requests queued for a socket, counted as server latency.
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: 'fifo', timeout: 120_000 });
  const base = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const times = new Map<string, number[]>(options.routes.map((r) => [r.name, []]));
  const codes = new Map<string, Record<string, number>>(options.routes.map((r) => [r.name, {}]));
  const service: number[] = [];
  const byDue: number[][] = [];
  const errorMessages = new Set<string>();
  let errors = 0;
  let completed = 0;
  const inFlight = new Set<Promise<void>>();
  let start = 0;

  const send = (due: number): Promise<void> => {
    const route = draw();
    const built = route.build();
    return new Promise<void>((resolve) => {
      let written = 0;
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method: built.method,
          path: built.path,
          headers: { ...built.headers, ...(built.body !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(built.body) } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const end = performance.now();
            completed++;
            times.get(route.name)!.push(end - due);
            (byDue[Math.floor((due - start) / 1000)] ??= []).push(end - due);
            if (written > 0) service.push(end - written);
            const c = codes.get(route.name)!;
            c[res.statusCode ?? 0] = (c[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('socket', () => {
        written = performance.now();
      });
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (e) => {
        errors++;
        if (errorMessages.size < 5) errorMessages.add(e.message);
        resolve();
      });
      req.end(built.body);
    });
  };

  await Promise.all(
    Array.from({ length: connections }, () =>
      new Promise<void>((resolve) => {
        const req = request({ agent, host: base.hostname, port: base.port, method: 'GET', path: '/healthz' }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', () => resolve());
        req.end();
      }),
    ),
  );
  // The generator's own event-loop delay: a late loop sends late and reads answers late, and
  // both count in the latencies (it shares the machine with the server).
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  start = performance.now();
  const scheduled = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  let next = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      while (next < scheduled && start + next * interval <= now) {
        const p = send(start + next * interval);
        inFlight.add(p);
        void p.then(() => inFlight.delete(p));
        next++;
      }
      if (next >= scheduled) return done();
      // Wake up for the next due request (timers fire at ≥ 1 ms; several may be due then).
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all([...inFlight]);
  loopDelay.disable();
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();

  const all: number[] = [];
  const perRoute: Record<string, PacedRouteResult> = {};
  let non2xx = 0;
  for (const r of options.routes) {
    const list = times.get(r.name)!;
    const statusCodes = codes.get(r.name)!;
    const bad = Object.entries(statusCodes).reduce((s, [code, n]) => s + (code.startsWith('2') ? 0 : n), 0);
    non2xx += bad;
    all.push(...list);
    perRoute[r.name] = { requests: list.length, latencyMs: summarize(list), non2xx: bad, statusCodes };
  }
  return {
    offeredRate: options.rate,
    seconds,
    connections,
    scheduled,
    completed,
    achievedRate: completed / seconds,
    latencyMs: summarize(all),
    serviceLatencyMs: summarize(service),
    non2xx,
    errors,
    errorMessages: [...errorMessages],
    perRoute,
    generatorLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    startedAtEpochMs: performance.timeOrigin + start,
    perSecond: Array.from(byDue, (list = [], second) => {
      const s = summarize(list);
      return { second, requests: list.length, p99: s.p99, max: s.max };
    }),
  };
}

/** One line naming the seconds with the worst p99, and how the per-second p99s spread. */
export function describeSeconds(paced: PacedResult, worst = 5): string {
  const seconds = paced.perSecond.filter((s) => s.requests > 0);
  if (seconds.length === 0) return 'per second: no requests';
  const p99s = seconds.map((s) => s.p99).sort((a, b) => a - b);
  const median = p99s[Math.floor(p99s.length / 2)]!;
  const over = seconds.filter((s) => s.p99 >= 20).length;
  const top = [...seconds].sort((a, b) => b.p99 - a.p99).slice(0, worst).map((s) => `${s.second} s: ${s.p99.toFixed(0)}`).join(', ');
  return `per second p99: median ${median.toFixed(1)} ms, ${over} of ${seconds.length} seconds at 20 ms or more; worst ${top} ms`;
}
