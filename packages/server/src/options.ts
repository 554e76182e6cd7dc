/**
 * Options of {@link createApp} and {@link startServer}.
 * @packageDocumentation
 */
import type { EngineOptions } from '@souk/engine';
import type { Logger } from 'pino';
import type { ApiKeyDigest, ApiKeyPlain } from './auth.js';

/** Log levels (pino's). */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** API keys as SHA-256 digests (hex) with scopes: the way keys should be configured. */
  readonly apiKeyHashes?: readonly ApiKeyDigest[];
  /** API keys in plain text; hashed when the app is built and not kept. */
  readonly apiKeys?: readonly ApiKeyPlain[];
  /** Read routes (search, recommend, similar, items, profiles) need a key with scope `read` or higher (default false: open). */
  readonly requireReadKey?: boolean;
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Log level (default `info`; `silent` turns logging off). */
  readonly logLevel?: LogLevel;
  /** Where log lines (JSON, one per line) go (default stdout). */
  readonly logStream?: { write(line: string): unknown };
  /** A pino logger to use instead of building one from `logLevel` and `logStream` (see `createLogger`). */
  readonly logger?: Logger;
  /**
   * User ids are pseudonymised (the engine holds an HMAC secret): logs then carry no user ids —
   * request URLs are logged with user ids replaced. Set by {@link startServer} when a secret is given.
   */
  readonly pseudonymized?: boolean;
  /** Collect Node's process metrics (CPU, memory, event loop lag) into /metrics (default true). */
  readonly processMetrics?: boolean;
  /** Trust `X-Forwarded-*` headers (behind a reverse proxy; default false). */
  readonly trustProxy?: boolean;
}

/** Options of {@link startServer}. */
export interface ServerOptions extends AppOptions {
  /** The engine's data directory (`:memory:` for a throw-away server). */
  readonly dataDir: string;
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** HMAC secret for pseudonymising user ids (at least 16 bytes), passed to the engine. */
  readonly pseudonymizeSecret?: string;
  /** Further engine options (model, hyper-parameters, auto-retraining, durability). */
  readonly engine?: Omit<EngineOptions, 'dataDir' | 'pseudonymizeSecret' | 'logger'>;
  /** Install SIGTERM and SIGINT handlers that shut down gracefully and exit (default true). */
  readonly handleSignals?: boolean;
  /** Most milliseconds to wait for in-flight requests on shutdown before closing their connections (default 10,000). */
  readonly shutdownTimeoutMs?: number;
  /** Called with the exit code once a signal-initiated shutdown is done (default `process.exit`). */
  readonly exit?: (code: number) => void;
  /**
   * Old-generation headroom, in percent: after each full garbage collection V8 lets the heap grow
   * to (1 + p/100) × the live size before the next one (V8's `--heap-growing-percent`, set for
   * the whole process, read workers included, before the engine opens). 0: V8's own adaptive
   * factor (restored, should an earlier server in the process have set one); undefined: left as
   * it is. `souk-server` and `souk serve` use {@link DEFAULT_HEAP_GROWTH_PERCENT}.
   */
  readonly heapGrowthPercent?: number;
  /**
   * V8's memory reducer for the threads started after this (read workers, append thread,
   * retraining): false turns it off (`--no-memory-reducer`, set for the whole process before the
   * engine opens), true back on, undefined leaves it. The event loop's isolate exists already:
   * only the Node flag `--no-memory-reducer` turns its reducer off. `souk-server` and `souk serve`
   * turn it off unless asked (see the server README).
   *
   * Why off for a server under load: besides giving memory back when a thread goes idle, the
   * reducer's watchdog runs a full collection 100 s after the last one whatever the allocation
   * rate, and read workers loaded together reach it together: in a traced `pnpm bench service`
   * run both read workers collected their ~330 MiB heaps in the same second of the paced window,
   * which was the run's worst (368 ms p99 that second). Without it a worker's next full
   * collection comes when its heap reaches the growth limit (every 35–40 s for the busier worker
   * under the benchmark's saturating closed-loop phases; none came in the 60 s paced window of
   * `benchmarks/results/service-2026-11-25-01-13-48.json`).
   */
  readonly memoryReducer?: boolean;
}

/**
 * The servers' default heap headroom: 300% (the heap may reach 4× its live size between full
 * collections). With V8's adaptive factor (1.2–1.5× on the benchmark's ~300 MB event-loop heap)
 * a full collection came every ~20 s under load, and its concurrent marking (4 helper threads
 * for ~0.5 s) took the 2-core machine's CPU from the requests: the paced p99 at 1,000 req/s was
 * 63–108 ms against 15–19 ms with 200% (two runs each of `pnpm bench service-attach`:
 * `benchmarks/results/service-attach-2026-11-24-22-{11-11,16-52}.json` and `…-22-{15-32,21-02}.json`).
 * 300% rather than 200%: once profiles stopped counting as external memory (profiles' entries.ts),
 * heap growth alone starts the event loop's full collections, and the saturating phases of
 * `pnpm bench service` promote ~350 MB into its old generation (7–9 MB/s at 1,500–2,300 req/s):
 * at 200% that left the paced window starting within ~80 MB of the limit, and a collection fell
 * in its first seconds in both runs (`service-2026-11-25-03-16-02.json`, `…-03-22-45.json`:
 * p99 92.8 and 39.4 ms). The price is memory: up to ~4× the live heap per thread.
 */
export const DEFAULT_HEAP_GROWTH_PERCENT = 300;

/** Default body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
