/**
 * Backend choice and capabilities.
 *
 * `backend: 'auto' | 'cpu' | 'ref' | 'cuda'` chooses per call; `setDefaultBackend()` per process.
 * `auto` picks CUDA when the addon was built with it and the probe at load found a device (and the
 * op has a CUDA kernel and k fits the CUDA maxK), else the CPU; the choice and its reason are in
 * {@link capabilities} and printed once under `NODE_DEBUG=souk`. `cuda` without a usable device is
 * `ERR_NO_DEVICE` with the probe's reason ("no CUDA driver", "no CUDA device", "built without CUDA").
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

/** Device 0 as the CUDA runtime describes it. */
export interface CudaDevice {
  /** e.g. "NVIDIA H100 80GB HBM3" ("SIMT emulator" in the emulated test build). */
  name: string;
  /** "major.minor", e.g. "9.0". */
  computeCapability: string;
  /** Streaming multiprocessors. */
  multiprocessors: number;
  /** Device memory in bytes. */
  totalMemory: number;
  /** Opt-in shared memory per block, bytes. */
  sharedMemoryPerBlock: number;
  /** Memory bus width in bits. */
  memoryBusWidth: number;
}

/** The CUDA backend's status in this process (probed once, when the addon loads). */
export interface CudaCapabilities {
  /** The addon carries a CUDA backend (built with nvcc; or the emulated test build). */
  compiled: boolean;
  /** A usable device was found: `backend: 'cuda'` works and `auto` picks it. */
  available: boolean;
  /** The SIMT emulator stands in for the GPU (souk_emu.node, CI only). */
  emulated: boolean;
  /** Why CUDA is not available ('' when it is). */
  reason: string;
  /** Names of the devices in use (device 0), empty when none. */
  devices: string[];
  /** Device 0, when the runtime could describe it. */
  device?: CudaDevice;
  /** Largest k of the CUDA top-K ops (the CPU's is {@link Capabilities.maxK}). */
  maxK: number;
  /** CUDA runtime version the addon was built with (e.g. 13000); 0 without CUDA. */
  runtimeVersion: number;
  /** Driver's CUDA version (0: no driver). */
  driverVersion: number;
  /** SOUK_CUDA_MAX_BYTES: cap on the device memory Souk allocates (0 = none). */
  memoryCap: number;
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
  /** The CUDA backend: compiled in, usable, why not, device 0 and its limits. */
  cuda: CudaCapabilities;
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
  const n = c.cuda;
  const cuda: CudaCapabilities = {
    compiled: n.compiled,
    available: n.available,
    emulated: n.emulated,
    reason: n.reason,
    devices: n.available && n.device ? [n.device.name] : [],
    ...(n.device ? { device: { ...n.device } } : {}),
    maxK: n.maxK,
    runtimeVersion: n.runtimeVersion,
    driverVersion: n.driverVersion,
    memoryCap: n.memoryCap,
  };
  return {
    simd: c.simd,
    simdDetected: c.simdDetected,
    threads: c.threads,
    maxK: c.maxK,
    backends: n.available ? ['cpu', 'ref', 'cuda'] : ['cpu', 'ref'],
    auto: n.available
      ? { backend: 'cuda', reason: `${n.emulated ? 'emulated ' : ''}CUDA device 0 (${n.device?.name ?? 'unnamed'})` }
      : { backend: 'cpu', reason: n.reason },
    cuda,
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

/** What an op can do on CUDA, for {@link resolveBackend}. @internal */
export interface OpSupport {
  /** The op's name, for messages. */
  name: string;
  /** The op has a CUDA kernel in this build. */
  cuda: boolean;
  /** The op's k (top-K family): `auto` stays on the CPU when k exceeds the CUDA maxK. */
  k?: number;
}

let cudaInfo: { available: boolean; reason: string; maxK: number } | undefined;
function cudaStatus(binding: NativeBinding): { available: boolean; reason: string; maxK: number } {
  if (!cudaInfo) {
    const c = binding.capabilities().cuda;
    cudaInfo = { available: c.available, reason: c.reason, maxK: c.maxK };
  }
  return cudaInfo;
}

/**
 * The native backend selector for one call: 0 = cpu, 1 = ref, 2 = cuda. `auto` gives cuda when a
 * device is available, the op has a CUDA kernel and its k fits; `cuda` without one of those is
 * `ERR_NO_DEVICE`. @internal
 */
export function resolveBackend(
  opts: ExecOptions | undefined,
  op: OpSupport = { name: 'this op', cuda: false },
): { binding: NativeBinding; code: number; threads: number; backend: 'cpu' | 'ref' | 'cuda' } {
  const binding = loadBinding();
  const backend = opts?.backend ?? defaultBackend;
  const threads = opts?.threads ?? 0;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0 || threads > 1024) {
    throw invalid('ERR_ARGUMENT', 'an integer in [0, 1024] (0 = all)', 'threads', threads);
  }
  switch (backend) {
    case 'cpu':
      return { binding, code: 0, threads, backend: 'cpu' };
    case 'ref':
      return { binding, code: 1, threads, backend: 'ref' };
    case 'auto': {
      const cuda = cudaStatus(binding);
      const useCuda = cuda.available && op.cuda && (op.k === undefined || op.k <= cuda.maxK);
      if (!announced) {
        announced = true;
        log('backend auto -> %s (%s)', cuda.available ? 'cuda' : 'cpu', capabilities().auto.reason);
      }
      return useCuda ? { binding, code: 2, threads, backend: 'cuda' } : { binding, code: 0, threads, backend: 'cpu' };
    }
    case 'cuda': {
      const cuda = cudaStatus(binding);
      if (!cuda.available) throw new KernelError(`backend 'cuda' was asked for but ${cuda.reason}`, 'ERR_NO_DEVICE');
      if (!op.cuda) {
        throw new KernelError(
          `backend 'cuda' was asked for but ${op.name} has no CUDA kernel in this build (use backend 'cpu' or 'auto')`,
          'ERR_NO_DEVICE',
        );
      }
      return { binding, code: 2, threads, backend: 'cuda' };
    }
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
