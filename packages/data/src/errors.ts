/**
 * Typed errors for `@souk/data`.
 * @packageDocumentation
 */

/** Stable error codes carried by {@link DataError}. */
import { SoukError } from '@souk/kernels';

export type DataErrorCode =
  | 'ERR_SCHEMA'
  | 'ERR_IO'
  | 'ERR_FORMAT'
  | 'ERR_ROW_TOO_LARGE'
  | 'ERR_ENCODING'
  | 'ERR_ARGUMENT'
  | 'ERR_STORE'
  | 'ERR_DATASET_MISSING';

/**
 * The one error class thrown by `@souk/data`. `.code` is stable across versions; the message
 * follows "Expected <what> for <param> but received <value>" where a parameter is at fault.
 */
export class DataError extends SoukError<DataErrorCode> {
  /** Creates an error with a code, a message and an optional cause. */
  constructor(code: DataErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'DataError';
  }
}

/** Renders a received value for an error message: short, quoted, never huge. */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/** Builds a {@link DataError} with the conventional "Expected … for … but received …" message. */
export function invalidArgument(what: string, param: string, value: unknown): DataError {
  return new DataError('ERR_ARGUMENT', `Expected ${what} for ${param} but received ${describeReceived(value)}`);
}
