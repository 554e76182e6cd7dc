/**
 * `DeviceMatrix`: a float32 matrix uploaded once and kept resident, to pass to `scores`, `topK`,
 * `softmaxTopK`, `sampleTopK` and `gram` in place of a host {@link Matrix} (typically the item
 * factors, reused by every query batch).
 *
 * Where it lives is decided when it is created: on the CUDA device when the backend asked for
 * (`'cuda'`, or `'auto'` with a device available) is CUDA, else on the host. A host DeviceMatrix
 * holds a copy of the data, so code written against DeviceMatrix runs on every machine, and the
 * contents are a snapshot in both cases (later writes to the source array are not seen).
 * An op running on the CPU with a device-resident DeviceMatrix copies it back for that call.
 *
 * Memory: `dispose()` frees the device memory as soon as no op in flight uses it; a DeviceMatrix
 * that is garbage-collected without `dispose()` is freed by the addon's finalizer (a backstop: GC
 * timing is not tied to device memory pressure, so dispose what you no longer need).
 * @packageDocumentation
 */
import { resolveBackend, type Backend, type ExecOptions } from './backend.js';
import type { DeviceHandle } from './binding.js';
import { invalid, KernelError } from './errors.js';
import type { Matrix } from './types.js';
import { checkMatrix } from './validate.js';

/** A read-only float32 matrix resident on the device (or, without one, on the host). */
export class DeviceMatrix {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** `'cuda'`: in device memory; `'host'`: a host copy (CPU backends, or no device). */
  readonly location: 'cuda' | 'host';
  #handle: DeviceHandle | undefined;
  #host: Matrix | undefined;
  #disposed = false;

  private constructor(rows: number, cols: number, handle: DeviceHandle | undefined, host: Matrix | undefined) {
    this.rows = rows;
    this.cols = cols;
    this.#handle = handle;
    this.#host = host;
    this.location = handle === undefined ? 'host' : 'cuda';
  }

  /**
   * Uploads `m` (synchronously). `backend`: `'cuda'` requires a device (`ERR_NO_DEVICE`);
   * `'auto'` (the default backend unless changed) uses one when available; `'cpu'`/`'ref'` keep a
   * host copy. Device memory exhaustion is `ERR_DEVICE_OOM`.
   */
  static from(m: Matrix, options: { backend?: Backend } = {}): DeviceMatrix {
    const src = checkMatrix(m, 'matrix');
    if (!onDevice(options)) return new DeviceMatrix(src.rows, src.cols, undefined, hostCopy(src));
    const { binding } = resolveBackend(options, { name: 'DeviceMatrix', cuda: true });
    const handle = binding.deviceUpload(src.data, src.rows, src.cols, false) as DeviceHandle;
    return new DeviceMatrix(src.rows, src.cols, handle, undefined);
  }

  /** {@link DeviceMatrix.from}, with the copy to the device off the event loop. */
  static async upload(m: Matrix, options: { backend?: Backend } = {}): Promise<DeviceMatrix> {
    const src = checkMatrix(m, 'matrix');
    if (!onDevice(options)) return new DeviceMatrix(src.rows, src.cols, undefined, hostCopy(src));
    const { binding } = resolveBackend(options, { name: 'DeviceMatrix', cuda: true });
    const handle = (await (binding.deviceUpload(src.data, src.rows, src.cols, true) as Promise<DeviceHandle>));
    return new DeviceMatrix(src.rows, src.cols, handle, undefined);
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** A host copy of the contents (a new array each call). */
  toMatrix(): Matrix {
    this.#live('toMatrix');
    if (this.#host) return hostCopy(this.#host);
    const { binding } = resolveBackend({ backend: 'cuda' }, { name: 'DeviceMatrix', cuda: true });
    const data = new Float32Array(this.rows * this.cols);
    binding.deviceDownload(this.#handle!, data, false);
    return { data, rows: this.rows, cols: this.cols };
  }

  /**
   * Releases the matrix: device memory is freed once no op in flight uses it. Idempotent; using the
   * matrix afterwards is `ERR_ARGUMENT`.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#handle !== undefined) resolveBackend({ backend: 'cpu' }).binding.deviceDispose(this.#handle);
    this.#handle = undefined;
    this.#host = undefined;
  }

  /**
   * What an op passes to the binding for this matrix on native backend `code` (2 = cuda): the
   * device handle, or host data. @internal
   */
  argumentFor(code: number, param: string): Float32Array | DeviceHandle {
    this.#live(param);
    if (this.#handle !== undefined) return code === 2 ? this.#handle : this.toMatrix().data;
    return this.#host!.data;
  }

  #live(param: string): void {
    if (this.#disposed) throw new KernelError(`Expected a live DeviceMatrix for ${param} but received a disposed one`, 'ERR_ARGUMENT');
  }
}

function onDevice(options: { backend?: Backend }): boolean {
  if (typeof options !== 'object' || options === null) throw invalid('ERR_TYPE', 'an options object', 'options', options);
  return resolveBackend(options as ExecOptions, { name: 'DeviceMatrix', cuda: true }).backend === 'cuda';
}

function hostCopy(m: Matrix): Matrix {
  return { data: m.data.slice(), rows: m.rows, cols: m.cols };
}

/** A dense operand of an op: a host matrix or a DeviceMatrix, with its shape. @internal */
export interface DenseArg {
  rows: number;
  cols: number;
  /** The binding argument for native backend `code`. */
  argument(code: number): Float32Array | DeviceHandle;
}

/** Validates a `Matrix | DeviceMatrix` parameter. @internal */
export function denseArg(m: unknown, param: string): DenseArg {
  if (m instanceof DeviceMatrix) {
    if (m.disposed) throw new KernelError(`Expected a live DeviceMatrix for ${param} but received a disposed one`, 'ERR_ARGUMENT');
    return { rows: m.rows, cols: m.cols, argument: (code) => m.argumentFor(code, param) };
  }
  const h = checkMatrix(m, param);
  return { rows: h.rows, cols: h.cols, argument: () => h.data };
}
