/**
 * `@souk/kernels`: Souk's numeric kernels behind one typed API.
 *
 * Every op runs on a backend (`'cpu'` by default: multithreaded SIMD; `'ref'`: the scalar
 * reference; `'cuda'` when built with it and a GPU is present: `auto` picks it) with the same
 * signature and the same answers. {@link DeviceMatrix} keeps a matrix resident on the device. Bad input throws a {@link KernelError} with a stable `code`.
 * @packageDocumentation
 */
export type { Matrix, CsrMatrix, ItemBitset } from './types.js';
export { KernelError, SoukError, type KernelErrorCode } from './errors.js';
export {
  capabilities,
  setDefaultBackend,
  getDefaultBackend,
  setSimdLevel,
  type Backend,
  type Capabilities,
  type CudaCapabilities,
  type CudaDevice,
  type ExecOptions,
} from './backend.js';
export { DeviceMatrix } from './device.js';
export {
  topK,
  topKSync,
  softmaxTopK,
  softmaxTopKSync,
  sampleTopK,
  sampleTopKSync,
  scores,
  scoresSync,
  gram,
  gramSync,
  TopKResult,
  SoftmaxTopKResult,
  type TopKOptions,
  type SoftmaxTopKOptions,
  type SampleTopKOptions,
  type DenseOptions,
  type TopKOutput,
  type SoftmaxTopKOutput,
  type CsrPattern,
  type Dense,
} from './retrieval.js';
export { matrix, bitsetFromIndices, bitsetHas, csrFromRows } from './util.js';
export { measureMachine, measureDevice, deviceMemory, type MachineLimits, type DeviceLimits } from './machine.js';
export {
  alsSolve,
  alsSolveSync,
  alsLoss,
  alsLossSync,
  sgdEpoch,
  sgdEpochSync,
  bprEpoch,
  bprEpochSync,
  transposeCsr,
  transposeCsrSync,
  type AlsSolveOptions,
  type AlsLoss,
  type MfBiases,
  type SgdEpochOptions,
  type SgdEpochResult,
  type BprEpochOptions,
  type BprEpochResult,
} from './factorization.js';
