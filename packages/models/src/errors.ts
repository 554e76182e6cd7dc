/**
 * Typed errors of `@souk/models`: one class, {@link ModelError}, with a stable `code`.
 * @packageDocumentation
 */

/** Every code a {@link ModelError} can carry. Stable: callers and tests match on them. */
import { SoukError } from '@souk/kernels';

export type ModelErrorCode =
  /** A user id or index the model does not know. */
  | 'ERR_UNKNOWN_USER'
  /** An item id or index the model does not know. */
  | 'ERR_UNKNOWN_ITEM'
  /** Training data without a single interaction (or without users / items). */
  | 'ERR_EMPTY_TRAINING_DATA'
  /** k ≤ 0, not an integer, or above the kernels' maximum. */
  | 'ERR_K_RANGE'
  /** The model was used before `fit` (or `load`). */
  | 'ERR_NOT_FITTED'
  /** A saved model whose bytes do not parse or do not match its manifest. */
  | 'ERR_CORRUPT_FILE'
  /** A file that is not a Souk model (another format, another model kind, a newer version). */
  | 'ERR_FOREIGN_FILE'
  /** Id maps or shapes of two inputs that should describe the same users and items do not agree. */
  | 'ERR_ID_MAP_MISMATCH'
  /** Training produced NaN or ±Infinity (the error says at which iteration). */
  | 'ERR_DIVERGED'
  /** Training was aborted through the AbortSignal. */
  | 'ERR_ABORTED'
  /** The operation does not exist for this model kind. */
  | 'ERR_UNSUPPORTED'
  /** The problem is too large for this model (e.g. EASE's dense solve). */
  | 'ERR_TOO_LARGE'
  /** Any other invalid argument. */
  | 'ERR_ARGUMENT';

/**
 * The error every model, `evaluate` and `tune` throws for bad input or a failed run.
 * `code` is stable; `iteration` is set for errors raised during a given training iteration.
 */
export class ModelError extends SoukError<ModelErrorCode> {
  /** 1-based training iteration at which the error arose, when it arose in training. */
  readonly iteration: number | undefined;

  /** Creates an error with a code and a message; `cause` keeps the original error. */
  constructor(code: ModelErrorCode, message: string, options: { cause?: unknown; iteration?: number } = {}) {
    super(code, message, options);
    this.name = 'ModelError';
    this.iteration = options.iteration;
  }
}

/** Renders a received value for a message: short, never huge. @internal */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/** "Expected <what> for <param> but received <value>" as a {@link ModelError}. @internal */
export function invalidArgument(what: string, param: string, value: unknown, code: ModelErrorCode = 'ERR_ARGUMENT'): ModelError {
  return new ModelError(code, `Expected ${what} for ${param} but received ${describeValue(value)}`);
}
