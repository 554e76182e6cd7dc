/**
 * What the engine reads of `@souk/kernels`' capabilities: the largest top-K and a one-line
 * description of the backend. Read once and cached; a failure to read them (an addon older than
 * its TypeScript wrapper, say) is reported in the description instead of failing requests.
 * @packageDocumentation
 */
import { capabilities } from '@souk/kernels';

/** The kernel facts the engine uses. */
export interface KernelInfo {
  /** Largest k the top-K kernels accept. */
  readonly maxK: number;
  /** Backend in use and why, SIMD level and threads. */
  readonly backend: string;
}

/** The smallest top-K limit every backend publishes; used when capabilities cannot be read. */
const FALLBACK_MAX_K = 1024;

let cached: KernelInfo | undefined;

/** The kernel facts (cached after the first successful read). */
export function kernelInfo(): KernelInfo {
  if (cached) return cached;
  try {
    const caps = capabilities();
    cached = { maxK: caps.maxK, backend: `${caps.auto.backend} (${caps.auto.reason}; simd ${caps.simd}, ${caps.threads} threads)` };
    return cached;
  } catch (e) {
    return { maxK: FALLBACK_MAX_K, backend: `unknown (kernel capabilities unavailable: ${(e as Error).message})` };
  }
}
