/**
 * Typed errors of `@souk/profiles`: one class, {@link ProfileError}, with a stable `code`.
 * @packageDocumentation
 */
import { SoukError } from '@souk/kernels';

import { describeReceived } from '@souk/data';

/** Every code a {@link ProfileError} can carry. Stable: callers and tests match on them. */
export type ProfileErrorCode =
  /** An event whose `type` is not one of `@souk/data`'s `EVENT_TYPES`. */
  | 'ERR_EVENT_TYPE'
  /** A timestamp that is not a finite number (NaN, ±Infinity, a string). */
  | 'ERR_TIMESTAMP'
  /** An event for an item the profile catalog does not know. */
  | 'ERR_UNKNOWN_ITEM'
  /** An item event (view, click, cart, purchase, rating) without an item. */
  | 'ERR_MISSING_ITEM'
  /** A non-finite event value (rating or amount). */
  | 'ERR_VALUE'
  /** A profile export that does not parse, is of another format, or has a newer version. */
  | 'ERR_FORMAT'
  /** Any other invalid argument (options, user ids, catalogs). */
  | 'ERR_ARGUMENT';

/** The error `@souk/profiles` throws for bad input; `code` is stable. */
export class ProfileError extends SoukError<ProfileErrorCode> {
  /** An error with a code and a message ("Expected … for … but received …"). */
  constructor(code: ProfileErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ProfileError';
  }
}

/** Builds a {@link ProfileError} with the conventional message. @internal */
export function profileError(code: ProfileErrorCode, what: string, param: string, value: unknown): ProfileError {
  return new ProfileError(code, `Expected ${what} for ${param} but received ${describeReceived(value)}`);
}
