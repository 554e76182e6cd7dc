/**
 * The machine's measured limits, for benchmarks that report fractions of them (CONVENTIONS.md 21).
 * @packageDocumentation
 */
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
