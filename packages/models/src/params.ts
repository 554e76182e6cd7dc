/**
 * Hyper-parameter checks shared by the models (`ERR_ARGUMENT` with the usual message).
 * @internal
 * @packageDocumentation
 */
import { invalidArgument } from './errors.js';

/** A positive integer. @internal */
export function checkPositiveInt(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalidArgument('a positive integer', param, v);
  return v;
}

/** A finite number ≥ 0. @internal */
export function checkNonNegative(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidArgument('a finite number >= 0', param, v);
  return v;
}

/** A finite number > 0. @internal */
export function checkPositive(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalidArgument('a finite number > 0', param, v);
  return v;
}

/** One of `options`. @internal */
export function checkOneOf<T extends string>(v: unknown, options: readonly T[], param: string): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw invalidArgument(options.map((o) => `'${o}'`).join(' or '), param, v);
  return v as T;
}
