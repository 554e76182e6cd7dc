/**
 * Argument checks shared by the engine's methods, and the mapping of other packages' typed errors
 * onto {@link EngineError} codes (every bad argument is `ERR_ARGUMENT`, an unknown item
 * `ERR_UNKNOWN_ITEM`; the original error stays as `cause`).
 * @packageDocumentation
 */
import { MAX_ID_LENGTH } from '@souk/data';
import { SoukError } from '@souk/kernels';
import { EngineError, engineError } from './errors.js';

/** Largest `k` of search, recommend and similar. */
export const MAX_RESULTS = 100;

/** A user or item id: a non-empty string of at most {@link MAX_ID_LENGTH} characters. */
export function checkId(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) throw engineError('ERR_ARGUMENT', `a non-empty id of at most ${MAX_ID_LENGTH} characters`, param, value);
  return value;
}

/** `k` in [1, {@link MAX_RESULTS}] (default 10). */
export function checkK(value: unknown, param = 'k'): number {
  if (value === undefined) return 10;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RESULTS) throw engineError('ERR_ARGUMENT', `an integer in [1, ${MAX_RESULTS}]`, param, value);
  return value;
}

/** An options argument: undefined or a plain object. */
export function checkOptions<T extends object>(value: T | undefined, param = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw engineError('ERR_ARGUMENT', 'an options object', param, value);
  return value;
}

/** An array argument. */
export function checkArray(value: unknown, param: string): readonly unknown[] {
  if (!Array.isArray(value)) throw engineError('ERR_ARGUMENT', 'an array', param, value);
  return value;
}

/** One of the listed values (or undefined). */
export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], param: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw engineError('ERR_ARGUMENT', `one of ${allowed.join(', ')}`, param, value);
  return value as T;
}

/**
 * Runs `body`, turning another package's typed error into an {@link EngineError}: codes naming
 * an unknown item become `ERR_UNKNOWN_ITEM`, store failures `ERR_STORE`, everything else a caller
 * can cause `ERR_ARGUMENT`. Engine errors and untyped errors pass through unchanged.
 */
export function mapErrors<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw toEngineError(e);
  }
}

/** The {@link EngineError} for a thrown value (see {@link mapErrors}). */
export function toEngineError(e: unknown): unknown {
  if (e instanceof EngineError || !(e instanceof SoukError)) return e;
  const code = String((e as SoukError<string>).code);
  const mapped = code === 'ERR_UNKNOWN_ITEM' ? 'ERR_UNKNOWN_ITEM' : code === 'ERR_STORE' ? 'ERR_STORE' : 'ERR_ARGUMENT';
  return new EngineError(mapped, e.message, { cause: e });
}
