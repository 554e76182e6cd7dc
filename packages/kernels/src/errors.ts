/**
 * Typed errors with stable codes (CONVENTIONS.md 12).
 * @packageDocumentation
 */

/** Every code a {@link KernelError} can carry. Stable: tests and callers match on them. */
export type KernelErrorCode =
  | 'ERR_SHAPE'
  | 'ERR_K_RANGE'
  | 'ERR_NON_FINITE'
  | 'ERR_CSR'
  | 'ERR_ARGUMENT'
  | 'ERR_INDEX_RANGE'
  | 'ERR_TYPE'
  | 'ERR_NO_DEVICE'
  | 'ERR_DEVICE_OOM'
  | 'ERR_CUDA'
  | 'ERR_OOM'
  | 'ERR_DIVERGED'
  | 'ERR_INTERNAL'
  | 'ERR_LOAD';

/**
 * The base of every error Souk's packages throw: a stable machine-readable `code` and a message
 * that says what was expected and what was received. Each package narrows it (`KernelError`,
 * `DataError`, `ModelError`, `RetrievalError`, `ProfileError`, `RankingError`), so a caller, such
 * as an HTTP service mapping errors to 4xx responses, can test `instanceof SoukError` once.
 */
export class SoukError<Code extends string = string> extends Error {
  /** Stable machine-readable code. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SoukError';
    this.code = code;
  }
}

/**
 * The error every kernel throws (or rejects with) for bad input or a failed run.
 *
 * `code` is stable; `message` says what was expected and what was received. (The native addon
 * constructs it, hence `(message, code)`.)
 */
export class KernelError extends SoukError<KernelErrorCode> {
  constructor(message: string, code: KernelErrorCode) {
    super(code, message);
    this.name = 'KernelError';
  }
}

/** Describes a value for an error message: `Expected <what> for <param> but received <value>`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor.name;
    const len = 'length' in value ? (value as unknown as { length: number }).length : value.byteLength;
    return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name} of length ${len}`;
  }
  if (Array.isArray(value)) return `an Array of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  return 'an object';
}

/** Builds the standard message and error. */
export function invalid(code: KernelErrorCode, what: string, param: string, value: unknown): KernelError {
  return new KernelError(`Expected ${what} for ${param} but received ${describe(value)}`, code);
}
