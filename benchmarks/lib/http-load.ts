// An HTTP load driver over autocannon: a weighted mix of routes on one set of connections, with
// latency and status codes recorded per route as well as overall.
//
// autocannon runs one request template per connection; here the template's `setupRequest` draws
// the route of every request (seeded, by weight) and builds it, `onResponse` notes which route
// answered, and the instance's `response` event (emitted synchronously right after, with the
// response time) files the latency under that route. Latencies of every response count, 2xx or
// not (autocannon's own histogram keeps only 2xx); errors and timeouts are connection-level.
import { seededRandom } from '@souk/data';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
/** The fields of autocannon's result this driver reads (its latency histogram keeps only 2xx). */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
}
interface AutocannonInstance {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, responseTime: number) => void): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
}
type Autocannon = (options: Record<string, unknown>, done: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;
const autocannon = require('autocannon') as Autocannon;

/** One request as a route builds it. */
export interface BuiltRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/** A route of the mix: its share of requests and a builder called once per request. */
export interface RouteSpec {
  readonly name: string;
  readonly weight: number;
  readonly build: () => BuiltRequest;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly routes: readonly RouteSpec[];
  readonly connections: number;
  readonly seconds: number;
  /** Headers sent with every request. */
  readonly headers?: Record<string, string>;
  /** Seed of the route draw (default 1). */
  readonly seed?: number;
  /** Request timeout in seconds (default 10). */
  readonly timeoutSeconds?: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Counts and latency of one route (or of all). */
export interface RouteResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Share of all responses. */
  readonly share: number;
  readonly latencyMs: LatencySummary;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
}

/** The outcome of one load run. */
export interface LoadResult {
  readonly seconds: number;
  readonly connections: number;
  readonly overall: RouteResult;
  readonly perRoute: Record<string, RouteResult>;
  /** Connection errors (resets, refused) including timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  /** The first few distinct connection-error messages. */
  readonly errorMessages: string[];
  /** A sample of non-2xx responses (status and the start of the body), per route. */
  readonly non2xxSamples: Array<{ route: string; status: number; body: string }>;
}


/** Percentiles of a list of milliseconds (sorted in place). */
export function summarize(times: number[]): LatencySummary {
  if (times.length === 0) return { p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: times[times.length - 1]!, mean: times.reduce((s, x) => s + x, 0) / times.length };
}

/** A seeded draw of routes by weight. */
export function routeDraw(routes: readonly RouteSpec[], seed: number): () => RouteSpec {
  const random = seededRandom(seed);
  const total = routes.reduce((s, r) => s + r.weight, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of routes) cumulative.push((acc += r.weight / total));
  return () => {
    const x = random();
    const i = cumulative.findIndex((c) => x < c);
    return routes[i < 0 ? routes.length - 1 : i]!;
  };
}

/** Runs the weighted mix against `options.url` for `options.seconds` and returns what it measured. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const draw = routeDraw(options.routes, options.seed ?? 1);
  const times = new Map<string, number[]>(options.routes.map((r) => [r.name, []]));
  const codes = new Map<string, Record<string, number>>(options.routes.map((r) => [r.name, {}]));
  const samples: LoadResult['non2xxSamples'] = [];
  const errorMessages = new Set<string>();
  let answered: { route: string; status: number } | undefined;

  const template: AutocannonRequest = {
    setupRequest(req, context) {
      const route = draw();
      const built = route.build();
      context.route = route.name;
      const headers = { ...options.headers, ...built.headers, ...(built.body !== undefined ? { 'content-type': 'application/json' } : {}) };
      return { ...req, method: built.method, path: built.path, headers, ...(built.body !== undefined ? { body: built.body } : { body: undefined }) };
    },
    onResponse(status, body, context) {
      const route = String(context.route);
      answered = { route, status };
      if ((status < 200 || status >= 300) && samples.length < 20 && samples.filter((s) => s.route === route).length < 5) {
        samples.push({ route, status, body: body.slice(0, 300) });
      }
    },
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: options.url, connections: options.connections, duration: options.seconds, timeout: options.timeoutSeconds ?? 10, requests: [template] },
      (err, result) => {
        if (err) return reject(err);
        const seconds = result.duration;
        const all: number[] = [];
        const allCodes: Record<string, number> = {};
        let responses = 0;
        let non2xx = 0;
        const perRoute: Record<string, RouteResult> = {};
        for (const r of options.routes) {
          const list = times.get(r.name)!;
          responses += list.length;
        }
        for (const r of options.routes) {
          const list = times.get(r.name)!;
          const statusCodes = codes.get(r.name)!;
          const bad = Object.entries(statusCodes).reduce((s, [code, n]) => s + (code.startsWith('2') ? 0 : n), 0);
          non2xx += bad;
          for (const [code, n] of Object.entries(statusCodes)) allCodes[code] = (allCodes[code] ?? 0) + n;
          for (const t of list) all.push(t);
          perRoute[r.name] = { requests: list.length, requestsPerSecond: list.length / seconds, share: list.length / Math.max(1, responses), latencyMs: summarize(list), non2xx: bad, statusCodes };
        }
        resolve({
          seconds,
          connections: options.connections,
          overall: { requests: responses, requestsPerSecond: responses / seconds, share: 1, latencyMs: summarize(all), non2xx, statusCodes: allCodes },
          perRoute,
          errors: result.errors,
          timeouts: result.timeouts,
          errorMessages: [...errorMessages].slice(0, 5),
          non2xxSamples: samples,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      const route = answered?.route;
      answered = undefined;
      if (route === undefined) return;
      times.get(route)!.push(responseTime);
      const c = codes.get(route)!;
      c[status] = (c[status] ?? 0) + 1;
    });
    instance.on('reqError', (error) => {
      if (errorMessages.size < 5) errorMessages.add(error.message);
    });
  });
}
