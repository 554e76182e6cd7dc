// The Souk server as a child process for the service benchmark: start it on a data directory
// (its output appended to a log file), wait for its "listening" line, read its memory from /proc, stop it gracefully (SIGTERM) or kill
// it (SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Repository root (the bin is `packages/server/bin/souk-server.mjs` under it). */
  readonly repo: string;
  readonly dataDir: string;
  readonly apiKey: string;
  /** The server entry point (default `<repo>/packages/server/bin/souk-server.mjs`). */
  readonly bin?: string | undefined;
  /** Write a V8 CPU profile into this directory on exit (`--cpu-prof`). */
  readonly cpuProfileDir?: string;
  /** File the server's stdout and stderr are appended to. */
  readonly logFile: string;
  /** `--log-level` of the server (default: the server's own default). */
  readonly logLevel?: string | undefined;
  /** Further server flags (e.g. `--read-workers 0`). */
  readonly extraArgs?: readonly string[];
  /** Seconds to wait for the listening line (default 180: the engine loads index and model). */
  readonly readySeconds?: number;
}

/** A running server. */
export interface ServerHandle {
  readonly pid: number;
  readonly url: string;
  /** Seconds from spawn to the listening line. */
  readonly startSeconds: number;
  /** Resident and peak resident memory in MiB (VmRSS, VmHWM), or undefined once exited. */
  memory(): { rssMiB: number; peakRssMiB: number } | undefined;
  /** The last lines the server wrote (stdout and stderr). */
  output(): string;
  /** SIGTERM and wait for exit (SIGKILL after `graceSeconds`, default 30). */
  stop(graceSeconds?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; seconds: number; forced: boolean }>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Servers started here and still running: killed if this process exits first (e.g. on a crash). */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Reads VmRSS and VmHWM of a process from /proc (Linux), in MiB. */
export function processMemory(pid: number): { rssMiB: number; peakRssMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Node flags the server runs with, the settings the server README recommends for production:
 * - `--max-semi-space-size=64`: young-generation semi-spaces of 64 MiB instead of V8's 16. A
 *   request allocates short-lived feature rows, candidates and JSON; with the default size the
 *   scavenger took 11 % of the server's time in the mixed load's profile, with this flag 4 %, and
 *   the profiled run served 781 req/s instead of 651 (same machine, same data).
 * - `--no-memory-reducer`: no watchdog full collection of the event loop's heap 100 s after its
 *   last one (the server turns the reducer off for its worker threads itself; see
 *   `ServerOptions.memoryReducer`).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--no-memory-reducer'];

/**
 * The server's Node flags: {@link SERVER_NODE_FLAGS}, or `SOUK_BENCH_SERVER_NODE_FLAGS` instead
 * when set (space-separated; for comparisons and diagnosis, e.g. `--trace-gc`, whose lines go to
 * the server's log file).
 */
export function serverNodeFlags(): string[] {
  const given = process.env.SOUK_BENCH_SERVER_NODE_FLAGS;
  return given === undefined ? [...SERVER_NODE_FLAGS] : given.split(/\s+/).filter(Boolean);
}

/** Starts the server bin on `options.dataDir` and resolves once it prints its listening line. */
export async function startServer(options: StartServerOptions): Promise<ServerHandle> {
  const port = await freePort();
  const bin = options.bin ?? join(options.repo, 'packages', 'server', 'bin', 'souk-server.mjs');
  const nodeArgs = [...serverNodeFlags(), ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])];
  const serverArgs = ['--data-dir', options.dataDir, '--host', '127.0.0.1', '--port', String(port), '--api-key', options.apiKey];
  if (options.logLevel) serverArgs.push('--log-level', options.logLevel);
  if (options.extraArgs) serverArgs.push(...options.extraArgs);
  // The server's output goes to a file, not through this process, so that reading its request
  // log costs the load generator nothing.
  const logStart = (() => {
    try {
      return statSync(options.logFile).size;
    } catch {
      return 0;
    }
  })();
  const logFd = openSync(options.logFile, 'a');
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, bin, ...serverArgs], {
    cwd: options.repo,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  closeSync(logFd);
  const tail = (bytes = 16_384) => {
    try {
      const size = statSync(options.logFile).size;
      const from = Math.max(logStart, size - bytes);
      const buffer = Buffer.alloc(size - from);
      const fd = openSync(options.logFile, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, from);
      } finally {
        closeSync(fd);
      }
      return buffer.toString('utf8');
    } catch {
      return '';
    }
  };
  running.add(child);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const deadline = performance.now() + (options.readySeconds ?? 180) * 1000;
  let url: string | undefined;
  while (url === undefined) {
    await new Promise((r) => setTimeout(r, 50));
    const m = /souk server listening on (http:\/\/[^\s"]+)/.exec(tail(1 << 20));
    if (m) url = m[1]!.replace(/\/$/, '');
    else if (exitInfo) throw new Error(`the server exited before listening (code ${exitInfo.code}, signal ${exitInfo.signal}); its output:\n${tail()}`);
    else if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not print its listening line within ${options.readySeconds ?? 180} s; its output:\n${tail()}`);
    }
  }
  const startSeconds = (performance.now() - started) / 1000;
  const pid = child.pid!;
  return {
    pid,
    url,
    startSeconds,
    exited,
    memory: () => (exitInfo ? undefined : processMemory(pid)),
    output: () => tail(),
    async stop(graceSeconds = 30) {
      const t0 = performance.now();
      if (exitInfo) return { ...exitInfo, seconds: 0, forced: false };
      child.kill('SIGTERM');
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        child.kill('SIGKILL');
      }, graceSeconds * 1000);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, seconds: (performance.now() - t0) / 1000, forced };
    },
    async kill() {
      if (exitInfo) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
