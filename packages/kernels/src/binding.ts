/**
 * The raw native binding, typed (CONVENTIONS.md 15). Only this package calls it; the public
 * functions validate and normalise their inputs first. Positional arguments keep small sync calls
 * cheap. `backend`: 0 = cpu, 1 = ref, 2 = cuda. `async`: true returns a Promise run off the event loop.
 * With backend 2, a query/item matrix argument may be a {@link DeviceHandle} instead of a Float32Array.
 * @internal
 * @packageDocumentation
 */
import type { CudaDevice } from './backend.js';

type F32 = Float32Array;
type I32 = Int32Array;
type Maybe<T> = T | null;

/** An opaque native handle of a matrix resident on the device (see DeviceMatrix). @internal */
export type DeviceHandle = { readonly __soukDevice: unique symbol };
type Dense = F32 | DeviceHandle;

/** What the addon reports about its CUDA backend (probed once, at load). */
export interface NativeCudaInfo {
  compiled: boolean;
  emulated: boolean;
  available: boolean;
  reason: string;
  runtimeVersion: number;
  driverVersion: number;
  maxK: number;
  memoryCap: number;
  device?: CudaDevice;
}

/** What the addon reports about itself. */
export interface NativeCapabilities {
  simd: 'scalar' | 'avx2' | 'avx512';
  simdDetected: 'scalar' | 'avx2' | 'avx512';
  threads: number;
  maxK: number;
  cudaCompiled: boolean;
  cuda: NativeCudaInfo;
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
  deviceUpload(data: F32, rows: number, cols: number, async: boolean): unknown;
  deviceDownload(handle: DeviceHandle, out: F32, async: boolean): unknown;
  deviceDispose(handle: DeviceHandle): void;
  deviceMemory(): { free: number; total: number };
  measureDevice(bytes: number, repeats: number, seconds: number): { readGBps: number; fmaGflops: number };

  scores(q: Dense, m: number, d: number, items: Dense, n: number, out: F32, threads: number, backend: number, async: boolean): unknown;
  topK(
    q: Dense, m: number, d: number, items: Dense, n: number, k: number,
    exIndptr: Maybe<I32>, exIndices: Maybe<I32>, allow: Maybe<Uint8Array>,
    candIndptr: Maybe<I32>, candIndices: Maybe<I32>,
    outIdx: I32, outScores: F32, outCounts: I32, threads: number, backend: number, async: boolean,
  ): unknown;
  softmaxTopK(
    q: Dense, m: number, d: number, items: Dense, n: number, k: number, temperature: number,
    exIndptr: Maybe<I32>, exIndices: Maybe<I32>, allow: Maybe<Uint8Array>,
    outIdx: I32, outScores: F32, outCounts: I32, outProbs: F32, outLogZ: F32,
    threads: number, backend: number, async: boolean,
  ): unknown;
  sampleTopK(
    q: Dense, m: number, d: number, items: Dense, n: number, k: number, temperature: number, seed: number | bigint,
    exIndptr: Maybe<I32>, exIndices: Maybe<I32>, allow: Maybe<Uint8Array>,
    outIdx: I32, outScores: F32, outCounts: I32, outProbs: F32, outLogZ: F32,
    threads: number, backend: number, async: boolean,
  ): unknown;
  gram(y: Dense, n: number, d: number, out: F32, threads: number, backend: number, async: boolean): unknown;

  alsSolve(
    cIndptr: I32, cIndices: I32, cData: F32, users: number, items: number, y: F32, d: number, yty: F32, x: F32,
    regularization: number, solver: number, cgSteps: number, threads: number, backend: number, async: boolean,
  ): unknown;
  alsLoss(
    cIndptr: I32, cIndices: I32, cData: F32, users: number, items: number, x: F32, y: F32, d: number,
    regularization: number, threads: number, backend: number, async: boolean,
  ): unknown;
  sgdEpoch(
    rIndptr: I32, rIndices: I32, rData: F32, users: number, items: number, p: F32, q: F32, d: number,
    userBias: F32, itemBias: F32, learningRate: number, regularization: number, globalMean: number, seed: number | bigint,
    threads: number, backend: number, async: boolean,
  ): unknown;
  bprEpoch(
    cIndptr: I32, cIndices: I32, users: number, items: number, p: F32, q: F32, d: number, itemBias: F32,
    learningRate: number, regularization: number, samples: number, seed: number | bigint, verifyNegatives: boolean,
    negatives: number, threads: number, backend: number, async: boolean,
  ): unknown;
  transposeCsr(
    indptr: I32, indices: I32, data: Maybe<F32>, rows: number, cols: number,
    outIndptr: I32, outIndices: I32, outData: Maybe<F32>, threads: number, async: boolean,
  ): unknown;
}
