/**
 * The engine's typed error.
 * @packageDocumentation
 */
import { SoukError } from '@souk/kernels';
import { describeReceived } from '@souk/data';

/** Stable codes of {@link EngineError}. */
export type EngineErrorCode =
  /** A bad argument (type, range, unknown option). */
  | 'ERR_ARGUMENT'
  /** An unknown item (for `similar`, item filters, pins). */
  | 'ERR_UNKNOWN_ITEM'
  /** An unknown user where one is required (`profile`). */
  | 'ERR_UNKNOWN_USER'
  /** A retraining job is already running. */
  | 'ERR_BUSY'
  /** Training failed (the previous model stays active). */
  | 'ERR_TRAINING'
  /** The store failed (nothing was acknowledged). */
  | 'ERR_STORE'
  /** The engine was closed. */
  | 'ERR_CLOSED';

/** The error every engine method throws (or rejects with). */
export class EngineError extends SoukError<EngineErrorCode> {
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EngineError';
  }
}

/** `Expected <what> for <param> but received <value>`. */
export function engineError(code: EngineErrorCode, what: string, param: string, value: unknown): EngineError {
  return new EngineError(code, `Expected ${what} for ${param} but received ${describeReceived(value)}`);
}
