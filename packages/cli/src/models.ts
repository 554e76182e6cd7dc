/**
 * Model names, hyper-parameters from the command line, and model construction for offline
 * evaluation and tuning. The names are the engine's (`ENGINE_MODELS`).
 * @packageDocumentation
 */
import { ALS, BPR, EASE, ItemKNN, MatrixFactorization, Popularity, type Recommender } from '@souk/models';
import { ENGINE_MODELS, type EngineModelName } from '@souk/engine';
import { InvalidArgumentError } from 'commander';
import { CliError } from './errors.js';

/** Hyper-parameters each model accepts (others given on the command line are ignored for it). */
export const MODEL_PARAMS: Readonly<Record<EngineModelName, readonly string[]>> = {
  als: ['factors', 'regularization', 'alpha', 'iterations', 'solver', 'cgSteps', 'calculateTrainingLoss', 'seed'],
  bpr: ['factors', 'learningRate', 'regularization', 'iterations', 'negatives', 'verifyNegatives', 'samplesPerInteraction', 'schedule', 'seed'],
  mf: ['factors', 'learningRate', 'regularization', 'iterations', 'initStd', 'seed'],
  'item-knn': ['similarity', 'neighbours', 'k1', 'b'],
  ease: ['regularization', 'binarize', 'maxDenseDimension'],
  popularity: ['weighting'],
};

/** Readable model names for tables. */
export const MODEL_LABELS: Readonly<Record<EngineModelName, string>> = {
  als: 'ALS',
  bpr: 'BPR',
  mf: 'SGD-MF',
  'item-knn': 'item-kNN',
  ease: 'EASE',
  popularity: 'popularity',
};

/** Checks a model name (`ERR_UNKNOWN_MODEL`, exit 4). */
export function parseModelName(name: string): EngineModelName {
  const n = name.trim().toLowerCase();
  if ((ENGINE_MODELS as readonly string[]).includes(n)) return n as EngineModelName;
  throw new CliError('ERR_UNKNOWN_MODEL', `Expected one of ${ENGINE_MODELS.join(', ')} for --model but received ${JSON.stringify(name)}`);
}

/** Parses a comma-separated list of model names. */
export function parseModelList(list: string): EngineModelName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw new CliError('ERR_USAGE', `Expected a comma-separated list of models for --models but received ${JSON.stringify(list)}`);
  return [...new Set(names.map(parseModelName))];
}

/** The common hyper-parameter options every training command takes. */
export interface ParamFlags {
  readonly params?: string;
  readonly factors?: number;
  readonly iterations?: number;
  readonly regularization?: number;
  readonly alpha?: number;
  readonly learningRate?: number;
  readonly neighbours?: number;
  readonly seed?: number;
}

/** Parses `--params` JSON and merges the named flags over it (flags win). */
export function paramsFromFlags(flags: ParamFlags): Record<string, unknown> {
  let params: Record<string, unknown> = {};
  if (flags.params !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(flags.params);
    } catch {
      throw new CliError('ERR_USAGE', `Expected a JSON object for --params but received ${JSON.stringify(flags.params)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CliError('ERR_USAGE', `Expected a JSON object for --params but received ${JSON.stringify(flags.params)}`);
    }
    params = { ...(parsed as Record<string, unknown>) };
  }
  for (const key of ['factors', 'iterations', 'regularization', 'alpha', 'learningRate', 'neighbours', 'seed'] as const) {
    if (flags[key] !== undefined) params[key] = flags[key];
  }
  return params;
}

/** The subset of `params` that `model` accepts. */
export function paramsFor(model: EngineModelName, params: Record<string, unknown>): Record<string, unknown> {
  const allowed = new Set(MODEL_PARAMS[model]);
  return Object.fromEntries(Object.entries(params).filter(([k]) => allowed.has(k)));
}

/** Builds an untrained model; bad hyper-parameter values are usage errors (exit 2). */
export function createModel(model: EngineModelName, params: Record<string, unknown>): Recommender {
  const p = paramsFor(model, params);
  try {
    switch (model) {
      case 'als':
        return new ALS(p);
      case 'bpr':
        return new BPR(p);
      case 'mf':
        return new MatrixFactorization(p);
      case 'item-knn':
        return new ItemKNN(p);
      case 'ease':
        return new EASE(p);
      case 'popularity':
        return new Popularity(p);
    }
  } catch (cause) {
    throw new CliError('ERR_USAGE', `Invalid hyper-parameters for ${model}: ${(cause as Error).message}`, { cause });
  }
}

/** Commander parser for a positive integer option (a bad value is a usage error, exit 2). */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`Expected a positive integer for ${name} but received ${JSON.stringify(value)}.`);
    return n;
  };
}

/** Commander parser for a finite non-negative number option (a bad value is a usage error, exit 2). */
export function nonNegative(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`Expected a non-negative number for ${name} but received ${JSON.stringify(value)}.`);
    return n;
  };
}

/** Commander parser for a share strictly between 0 and 1 (a bad value is a usage error, exit 2). */
export function ratio(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`Expected a number between 0 and 1 (exclusive) for ${name} but received ${JSON.stringify(value)}.`);
    return n;
  };
}

/** Commander parser for a non-negative integer option such as a seed (a bad value is a usage error, exit 2). */
export function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`Expected a non-negative integer for ${name} but received ${JSON.stringify(value)}.`);
    return n;
  };
}
