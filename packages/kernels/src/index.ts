/**
 * `@souk/kernels`: Souk's numeric kernels behind one typed API.
 * @packageDocumentation
 */
export type { Matrix, CsrMatrix, ItemBitset } from './types.js';
