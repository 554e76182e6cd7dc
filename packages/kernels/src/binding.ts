/**
 * The raw native binding, typed (CONVENTIONS.md 15). Only this package calls it; the public
 * functions validate and normalise their inputs first. Positional arguments keep small sync calls
 * cheap. `backend`: 0 = cpu, 1 = ref. `async`: true returns a Promise run off the event loop.
 * @internal
 * @packageDocumentation
 */

type F32 = Float32Array;
type I32 = Int32Array;
type Maybe<T> = T | null;

/** What the addon reports about itself. */
export interface NativeCapabilities {
  simd: 'scalar' | 'avx2' | 'avx512';
  simdDetected: 'scalar' | 'avx2' | 'avx512';
  threads: number;
  maxK: number;
  cudaCompiled: boolean;
  napiVersion: number;
  compiler?: string;
}

/** The native signatures. @internal */
export interface NativeBinding {
  init(errorClass: new (message: string, code: string) => Error): void;
  capabilities(): NativeCapabilities;
  setSimd(level: string): string;
  peakFma(threads: number, seconds: number): number;
  readBandwidth(threads: number, bytes: number, repeats: number): number;

  scores(q: F32, m: number, d: number, items: F32, n: number, out: F32, threads: number, backend: number, async: boolean): unknown;
  topK(
    q: F32, m: number, d: number, items: F32, n: number, k: number,
    exIndptr: Maybe<I32>, exIndices: Maybe<I32>, allow: Maybe<Uint8Array>,
    candIndptr: Maybe<I32>, candIndices: Maybe<I32>,
    outIdx: I32, outScores: F32, outCounts: I32, threads: number, backend: number, async: boolean,
  ): unknown;
  softmaxTopK(
    q: F32, m: number, d: number, items: F32, n: number, k: number, temperature: number,
    exIndptr: Maybe<I32>, exIndices: Maybe<I32>, allow: Maybe<Uint8Array>,
    outIdx: I32, outScores: F32, outCounts: I32, outProbs: F32, outLogZ: F32,
    threads: number, backend: number, async: boolean,
  ): unknown;
  sampleTopK(
    q: F32, m: number, d: number, items: F32, n: number, k: number, temperature: number, seed: number | bigint,
    exIndptr: Maybe<I32>, exIndices: Maybe<I32>, allow: Maybe<Uint8Array>,
    outIdx: I32, outScores: F32, outCounts: I32, outProbs: F32, outLogZ: F32,
    threads: number, backend: number, async: boolean,
  ): unknown;
  gram(y: F32, n: number, d: number, out: F32, threads: number, backend: number, async: boolean): unknown;
}
