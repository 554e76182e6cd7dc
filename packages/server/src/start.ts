/**
 * {@link startServer}: opens the engine over a data directory, listens, and shuts down
 * gracefully on SIGTERM / SIGINT (stop accepting, drain in-flight requests, flush the engine).
 * @packageDocumentation
 */
import { setFlagsFromString } from 'node:v8';
import { Engine } from '@souk/engine';
import { createApp, markClosing } from './app.js';
import type { SoukApp } from './context.js';
import { ServerError } from './errors.js';
import { createLogger } from './logging.js';
import type { ServerOptions } from './options.js';

/** A running server. */
export interface RunningServer {
  /** The fastify app. */
  readonly app: SoukApp;
  /** The engine it serves. */
  readonly engine: Engine;
  /** `http://host:port` it listens on. */
  readonly url: string;
  /** Port bound (useful with port 0). */
  readonly port: number;
  /**
   * Shuts down: stops accepting connections, waits for in-flight requests (up to
   * `shutdownTimeoutMs`, then closes their connections), then closes the engine, which flushes
   * the store. Idempotent; the same promise is returned to every caller.
   */
  close(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** Opens the engine, builds the app and listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServerError('ERR_CONFIG', `Expected a port in 0..65535 for port but received ${port}`);
  const growth = options.heapGrowthPercent;
  if (growth !== undefined && (!Number.isInteger(growth) || growth < 0 || growth > 1000)) throw new ServerError('ERR_CONFIG', `Expected an integer in 0..1000 for heapGrowthPercent but received ${growth}`);
  if (options.memoryReducer !== undefined && typeof options.memoryReducer !== 'boolean') throw new ServerError('ERR_CONFIG', `Expected true or false for memoryReducer but received ${JSON.stringify(options.memoryReducer)}`);
  // Before the engine opens: its loading collections and the read workers' heaps then use it too.
  // 0 is set as well: the flag is process-wide, and 0 (V8's default) restores the adaptive factor.
  if (growth !== undefined) setFlagsFromString(`--heap-growing-percent=${growth}`);
  // Isolates created from here on (the read workers, the append thread) read it at their start.
  if (options.memoryReducer !== undefined) setFlagsFromString(options.memoryReducer ? '--memory-reducer' : '--no-memory-reducer');
  const pseudonymized = options.pseudonymized ?? options.pseudonymizeSecret !== undefined;
  const logger = options.logger ?? createLogger({ ...options, pseudonymized });
  const engine = await Engine.open({
    ...options.engine,
    dataDir: options.dataDir,
    logger: logger.child({ component: 'engine' }),
    ...(options.pseudonymizeSecret !== undefined ? { pseudonymizeSecret: options.pseudonymizeSecret } : {}),
  });
  let app: SoukApp;
  try {
    app = await createApp(engine, { ...options, logger, pseudonymized });
    await app.listen({ host, port });
  } catch (error) {
    await engine.close();
    throw error;
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
  let closing: Promise<void> | undefined;
  const exit = (code: number) => (options.exit ?? process.exit)(code);
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    app.log.info({ signal }, 'shutting down');
    close().then(
      () => exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      markClosing(app);
      const timer = setTimeout(() => {
        app.log.warn({ timeoutMs }, 'in-flight requests still running at the shutdown deadline: closing their connections');
        app.server.closeAllConnections();
      }, timeoutMs);
      timer.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
        await engine.close();
      }
      if (options.handleSignals !== false) for (const s of SIGNALS) process.off(s, onSignal);
      app.log.info('shut down');
    })();
    return closing;
  };
  if (options.handleSignals !== false) for (const s of SIGNALS) process.on(s, onSignal);
  return { app, engine, url, port: boundPort, close };
}
