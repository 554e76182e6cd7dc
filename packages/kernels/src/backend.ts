/**
 * Backend choice and capabilities.
 *
 * `backend: 'auto' | 'cpu' | 'ref' | 'cuda'` chooses per call; `setDefaultBackend()` per process.
 * `auto` picks CUDA when the addon was built with it and a device is present, else the CPU; the
 * choice and its reason are in {@link capabilities} and printed once under `NODE_DEBUG=souk`.
 * @packageDocumentation
 */
import { debuglog } from 'node:util';

import type { NativeBinding } from './binding.js';
import { invalid, KernelError } from './errors.js';
import { loadBinding } from './loader.js';

/** Where a kernel runs. `ref` is the scalar reference (double accumulation), for checks. */
export type Backend = 'auto' | 'cpu' | 'ref' | 'cuda';

/** Options every op accepts. */
export interface ExecOptions {
  /** Where to run; default {@link getDefaultBackend} (`'auto'` unless changed). */
  backend?: Backend;
  /** Threads to use; default (0): all the pool has (the machine's cores, or `SOUK_THREADS`). */
  threads?: number;
}

/** What this build and machine offer. */
export interface Capabilities {
  /** SIMD level the CPU kernels use now. */
  simd: 'scalar' | 'avx2' | 'avx512';
  /** Best SIMD level the CPU supports. */
  simdDetected: 'scalar' | 'avx2' | 'avx512';
  /** Threads in the pool (default for `threads`). */
  threads: number;
  /** Largest k the top-K ops accept. */
  maxK: number;
  /** Backends usable in this process. */
  backends: Array<'cpu' | 'ref' | 'cuda'>;
  /** What `auto` resolves to, and why. */
  auto: { backend: 'cpu' | 'cuda'; reason: string };
  /** CUDA: compiled into the addon, devices found. */
  cuda: { compiled: boolean; devices: string[]; reason: string };
  /** N-API version the addon targets. */
  napiVersion: number;
  /** Compiler that built the addon. */
  compiler?: string;
}

const log = debuglog('souk');
let defaultBackend: Backend = 'auto';
let announced = false;

/** Sets the backend ops use when none is given. */
export function setDefaultBackend(backend: Backend): void {
  if (!['auto', 'cpu', 'ref', 'cuda'].includes(backend)) throw invalid('ERR_ARGUMENT', "'auto', 'cpu', 'ref' or 'cuda'", 'backend', backend);
  defaultBackend = backend;
}

/** The backend ops use when none is given. */
export function getDefaultBackend(): Backend {
  return defaultBackend;
}

/** Reports the SIMD level, threads, CUDA status, limits and backends. */
export function capabilities(): Capabilities {
  const b = loadBinding();
  const c = b.capabilities();
  const cudaReason = c.cudaCompiled ? 'no CUDA device found' : 'this addon was built without CUDA (SOUK_CUDA=OFF)';
  return {
    simd: c.simd,
    simdDetected: c.simdDetected,
    threads: c.threads,
    maxK: c.maxK,
    backends: ['cpu', 'ref'],
    auto: { backend: 'cpu', reason: cudaReason },
    cuda: { compiled: c.cudaCompiled, devices: [], reason: cudaReason },
    napiVersion: c.napiVersion,
    compiler: c.compiler,
  };
}

/**
 * Caps the SIMD level the CPU kernels use (`'scalar'`, `'avx2'`, `'avx512'`), for tests and
 * benchmarks of each path; never raises it above what the CPU supports. Returns the level in use.
 */
export function setSimdLevel(level: 'scalar' | 'avx2' | 'avx512'): string {
  return loadBinding().setSimd(level);
}

/** Native backend selector for the binding: 0 = cpu, 1 = ref. @internal */
export function resolveBackend(opts: ExecOptions | undefined): { binding: NativeBinding; code: number; threads: number } {
  const binding = loadBinding();
  const backend = opts?.backend ?? defaultBackend;
  const threads = opts?.threads ?? 0;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0 || threads > 1024) {
    throw invalid('ERR_ARGUMENT', 'an integer in [0, 1024] (0 = all)', 'threads', threads);
  }
  switch (backend) {
    case 'cpu':
      return { binding, code: 0, threads };
    case 'ref':
      return { binding, code: 1, threads };
    case 'auto':
      if (!announced) {
        announced = true;
        log('backend auto -> cpu (%s)', capabilities().auto.reason);
      }
      return { binding, code: 0, threads };
    case 'cuda':
      throw new KernelError(`backend 'cuda' was asked for but ${capabilities().cuda.reason}`, 'ERR_NO_DEVICE');
    default:
      throw invalid('ERR_ARGUMENT', "'auto', 'cpu', 'ref' or 'cuda'", 'backend', backend);
  }
}

/**
 * Runs an async native call, re-attaching the caller's stack to a rejection so the error points
 * at the user's code, not at the event loop (CONVENTIONS.md 12).
 * @internal
 */
export async function withCallerStack<T>(run: () => unknown, result: () => T): Promise<T> {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, withCallerStack);
  try {
    await (run() as Promise<unknown>);
  } catch (e) {
    if (e instanceof Error && holder.stack) {
      const callerFrames = holder.stack.split('\n').slice(1).join('\n');
      e.stack = `${e.name}: ${e.message}\n${callerFrames}`;
    }
    throw e;
  }
  return result();
}
