/**
 * Typed errors for `@souk/retrieval` (CONVENTIONS.md 12).
 * @packageDocumentation
 */

/** Every code a {@link RetrievalError} can carry. Stable: callers and tests match on them. */
import { SoukError } from '@souk/kernels';

export type RetrievalErrorCode =
  /** A parameter has the wrong type or is out of its documented range. */
  | 'ERR_ARGUMENT'
  /** The query is empty or holds no searchable characters. */
  | 'ERR_EMPTY_QUERY'
  /** A filter names a field the index does not know. */
  | 'ERR_UNKNOWN_FILTER_FIELD'
  /** A filter value is malformed (for example a price range with min > max). */
  | 'ERR_FILTER'
  /** `k` (or `offset`) is outside its documented range. */
  | 'ERR_K_RANGE'
  /** An item handed to the index is missing a required field or has a malformed one. */
  | 'ERR_INVALID_ITEM'
  /** An operation names an item id the index does not hold. */
  | 'ERR_UNKNOWN_ITEM'
  /** A saved index is truncated, corrupt, or of another format version. */
  | 'ERR_CORRUPT_INDEX'
  /** A vector has the wrong dimension or non-finite values. */
  | 'ERR_VECTOR'
  /** A synonym rule is malformed. */
  | 'ERR_SYNONYM'
  /** The ONNX encoder's runtime (`onnxruntime-node`, an optional peer dependency) is not installed. */
  | 'ERR_ONNX_RUNTIME_MISSING'
  /** A model or vocabulary file does not exist or cannot be read. */
  | 'ERR_MODEL_NOT_FOUND'
  /** A model cannot be loaded or run, or its inputs / outputs do not fit the encoder. */
  | 'ERR_MODEL'
  /** An encoder vocabulary is malformed or lacks its unknown token. */
  | 'ERR_VOCABULARY';

/**
 * The error every `@souk/retrieval` API throws for bad input. `code` is stable; where a parameter
 * is at fault the message reads "Expected <what> for <param> but received <value>".
 */
export class RetrievalError extends SoukError<RetrievalErrorCode> {

  /** Creates an error with a code, a message and an optional cause. */
  constructor(code: RetrievalErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RetrievalError';
  }
}

/** Renders a received value for an error message: short, quoted, control characters escaped. */
export function describeReceived(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `${JSON.stringify(shown)}${value.length > 60 ? ` (${value.length} characters)` : ''}`;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as { length?: number }).length ?? value.byteLength}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  return 'an object';
}

/** Builds a {@link RetrievalError} with the conventional "Expected … for … but received …" message. */
export function invalidParameter(code: RetrievalErrorCode, what: string, param: string, value: unknown): RetrievalError {
  return new RetrievalError(code, `Expected ${what} for ${param} but received ${describeReceived(value)}`);
}
