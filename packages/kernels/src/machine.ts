/**
 * The machine's measured limits, for benchmarks that report fractions of them (CONVENTIONS.md 21).
 * @packageDocumentation
 */
import { KernelError } from './errors.js';
import { loadBinding } from './loader.js';
import { checkInt } from './validate.js';

/** Peak FP32 FMA throughput and read bandwidth, measured now. */
export interface MachineLimits {
  /** SIMD level used for the probe. */
  simd: string;
  /** GFLOP/s of one thread. */
  peakGflopsPerThread: number;
  /** GFLOP/s of `threads` threads together. */
  peakGflops: number;
  /** Streaming read bandwidth in GB/s with `threads` threads. */
  readGBps: number;
  /** Threads used for the totals. */
  threads: number;
}

/**
 * Measures peak FP32 FMA throughput (independent FMA chains on the active SIMD level) and memory
 * read bandwidth (a streaming sum over `bandwidthBytes`, default 256 MiB).
 */
export function measureMachine(opts: { threads?: number; seconds?: number; bandwidthBytes?: number } = {}): MachineLimits {
  const b = loadBinding();
  const caps = b.capabilities();
  const threads = opts.threads === undefined ? caps.threads : checkInt(opts.threads, 'threads', 1, 1024);
  const seconds = opts.seconds ?? 0.5;
  const bytes = opts.bandwidthBytes ?? 256 * 1024 * 1024;
  return {
    simd: caps.simd,
    peakGflopsPerThread: b.peakFma(1, seconds),
    peakGflops: b.peakFma(threads, seconds),
    readGBps: b.readBandwidth(threads, bytes, 3),
    threads,
  };
}

/** The CUDA device's measured limits (see {@link measureDevice}). */
export interface DeviceLimits {
  /** Device 0's name. */
  device: string;
  /** Streaming read bandwidth of device memory in GB/s (best of the repeats). */
  readGBps: number;
  /** FP32 FMA throughput in GFLOP/s (independent FMA chains on every SM; 1 FMA = 2 FLOP). */
  peakGflops: number;
}

/**
 * Measures device 0 with two microbenchmark kernels compiled into the addon: a streaming read of
 * `bandwidthBytes` (default 512 MiB, best of 3) and FMA chains for about `seconds` (default 0.5).
 * `ERR_NO_DEVICE` without a usable device. Under the emulated test build the numbers are the
 * emulator's and mean nothing.
 */
export function measureDevice(opts: { seconds?: number; bandwidthBytes?: number } = {}): DeviceLimits {
  const b = loadBinding();
  const cuda = b.capabilities().cuda;
  if (!cuda.available) throw new KernelError(`measureDevice needs a CUDA device but ${cuda.reason}`, 'ERR_NO_DEVICE');
  const bytes = opts.bandwidthBytes === undefined ? 512 * 1024 * 1024 : checkInt(opts.bandwidthBytes, 'bandwidthBytes', 1024);
  const seconds = opts.seconds ?? 0.5;
  const r = b.measureDevice(bytes, 3, seconds);
  return { device: cuda.device?.name ?? 'device 0', readGBps: r.readGBps, peakGflops: r.fmaGflops };
}

/** Free and total memory of device 0 in bytes, now (`ERR_NO_DEVICE` without a usable device). */
export function deviceMemory(): { free: number; total: number } {
  return loadBinding().deviceMemory();
}
