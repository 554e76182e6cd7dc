/**
 * Typed errors of `@souk/ranking`: one class, {@link RankingError}, with a stable `code`.
 * @packageDocumentation
 */
import { SoukError } from '@souk/kernels';

import { describeReceived } from '@souk/data';

/** Every code a {@link RankingError} can carry. Stable: callers and tests match on them. */
export type RankingErrorCode =
  /** A candidate or rule names an item the ranking catalog does not know. */
  | 'ERR_UNKNOWN_ITEM'
  /** A NaN or ±Infinity score, feature, label or weight. */
  | 'ERR_NON_FINITE'
  /** k not a positive integer. */
  | 'ERR_K_RANGE'
  /** The same item twice among the candidates, or two pins on one position. */
  | 'ERR_DUPLICATE'
  /** Feature names of a model and of the data do not match. */
  | 'ERR_FEATURES'
  /** Saved weights that do not parse, are of another format, or have a newer version. */
  | 'ERR_FORMAT'
  /** Training data that cannot train (no rows, no positive, no pair). */
  | 'ERR_TRAINING_DATA'
  /** Any other invalid argument. */
  | 'ERR_ARGUMENT';

/** The error `@souk/ranking` throws for bad input; `code` is stable. */
export class RankingError extends SoukError<RankingErrorCode> {
  /** An error with a code and a message ("Expected … for … but received …"). */
  constructor(code: RankingErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'RankingError';
  }
}

/** Builds a {@link RankingError} with the conventional message. @internal */
export function rankingError(code: RankingErrorCode, what: string, param: string, value: unknown): RankingError {
  return new RankingError(code, `Expected ${what} for ${param} but received ${describeReceived(value)}`);
}
