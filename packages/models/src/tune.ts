/**
 * Hyper-parameter search: random or grid search over a space, each configuration fitted on a
 * training split and scored on a validation split carved from the training data (per-user
 * stratified, `@souk/data`'s `stratifiedRandomSplit`, so the test set is never touched).
 * @packageDocumentation
 */
import { pairsToCsr, stratifiedRandomSplit, type InteractionPairs } from '@souk/data';
import type { CsrMatrix } from '@souk/kernels';
import { invalidArgument, ModelError } from './errors.js';
import { evaluate, type MetricName, type RankingMetrics } from './evaluate.js';
import { toInteractions, type InteractionInput, type Interactions } from './interactions.js';
import { seededUniform } from './random.js';
import type { Recommender } from './recommender.js';

/** Values a hyper-parameter may take: a list, or a numeric range (log-uniform with `log`). */
export type ParamDomain = readonly unknown[] | { readonly min: number; readonly max: number; readonly log?: boolean; readonly integer?: boolean };

/** What to search: a model factory, the varied parameters and the fixed ones. */
export interface TuneSpace {
  /** Builds a model from one configuration (fixed and varied parameters merged). */
  readonly model: (params: Record<string, unknown>) => Recommender;
  /** Varied parameters. Grid search needs lists. */
  readonly params: Readonly<Record<string, ParamDomain>>;
  /** Parameters passed unchanged to every trial. */
  readonly fixed?: Readonly<Record<string, unknown>>;
}

/** Options of {@link tune}. */
export interface TuneOptions {
  /** Training data; the validation split is carved from it unless `validation` is given. */
  readonly train: InteractionInput;
  /** Explicit validation interactions (then `train` is used whole for fitting). */
  readonly validation?: InteractionInput;
  /** `'random'` (default) or `'grid'`. */
  readonly search?: 'random' | 'grid';
  /** Random: trials to draw (default 20). Grid: at most this many of the grid's points (default all). */
  readonly trials?: number;
  /** Metric to maximise (default `'ndcg'`). */
  readonly metric?: MetricName;
  /** Cut-off (default 10). */
  readonly k?: number;
  /** Share of each user's training interactions kept for fitting (default 0.75). */
  readonly ratio?: number;
  /** Seed of the split and the random search (default 42). */
  readonly seed?: number;
  /** Called after each trial. */
  readonly onTrial?: (trial: TuneTrial) => void;
  /** Stops the search between trials (`ERR_ABORTED`). */
  readonly signal?: AbortSignal;
}

/** One evaluated configuration. */
export interface TuneTrial {
  /** 0-based trial number. */
  readonly index: number;
  /** Varied and fixed parameters of the trial. */
  readonly params: Record<string, unknown>;
  /** Validation metrics. */
  readonly metrics: RankingMetrics;
  /** Seconds to fit. */
  readonly fitSeconds: number;
}

/** What {@link tune} returns. */
export interface TuneResult {
  /** The trial with the highest metric (the first on ties). */
  readonly best: TuneTrial;
  /** Every trial, in the order run. */
  readonly trials: TuneTrial[];
  /** The metric maximised. */
  readonly metric: MetricName;
  /** Interactions used for fitting and for validation. */
  readonly split: { readonly fit: number; readonly validation: number };
}

/** The per-user stratified split of a CSR (rows sorted) through `@souk/data`. */
export function splitInteractions(data: Interactions, ratio: number, seed: number): { fit: CsrMatrix; validation: CsrMatrix } {
  const c = data.csr;
  const users = new Int32Array(c.indices.length);
  for (let u = 0; u < c.rows; u++) users.fill(u, c.indptr[u]!, c.indptr[u + 1]!);
  const pairs: InteractionPairs = { length: c.indices.length, users, items: c.indices, values: c.data, timestamps: new Float64Array(c.indices.length), rows: c.rows, cols: c.cols };
  const { train, test } = stratifiedRandomSplit(pairs, { ratio, seed });
  return { fit: pairsToCsr(train), validation: pairsToCsr(test) };
}

function isList(d: ParamDomain): d is readonly unknown[] {
  return Array.isArray(d);
}

function grid(params: Readonly<Record<string, ParamDomain>>): Array<Record<string, unknown>> {
  let points: Array<Record<string, unknown>> = [{}];
  for (const [name, domain] of Object.entries(params)) {
    if (!isList(domain)) throw invalidArgument('a list of values (grid search)', `space.params.${name}`, domain);
    points = points.flatMap((p) => domain.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

function draw(params: Readonly<Record<string, ParamDomain>>, random: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, domain] of Object.entries(params)) {
    if (isList(domain)) {
      if (domain.length === 0) throw invalidArgument('a non-empty list', `space.params.${name}`, domain);
      out[name] = domain[Math.floor(random() * domain.length)];
      continue;
    }
    const { min, max, log, integer } = domain;
    if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max) || (log && !(min > 0))) throw invalidArgument('a range {min <= max} (min > 0 with log)', `space.params.${name}`, JSON.stringify(domain));
    const u = random();
    let v = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
    if (integer) v = Math.min(max, Math.max(min, Math.round(v)));
    out[name] = v;
  }
  return out;
}

/**
 * Searches `space` and returns the best configuration with the table of all trials. Each trial
 * builds a model, fits it on the fitting split and evaluates it on the validation split with the
 * fused top-K kernel (`evaluate`, seen items filtered).
 */
export async function tune(space: TuneSpace, options: TuneOptions): Promise<TuneResult> {
  if (typeof space !== 'object' || space === null || typeof space.model !== 'function') throw invalidArgument('a space {model, params}', 'space', space);
  const metric = options.metric ?? 'ndcg';
  const k = options.k ?? 10;
  const seed = options.seed ?? 42;
  const data = toInteractions(options.train, 'train');
  let fit: CsrMatrix;
  let validation: CsrMatrix;
  if (options.validation) {
    fit = data.csr;
    validation = toInteractions(options.validation, 'validation').csr;
    if (validation.rows !== fit.rows || validation.cols !== fit.cols) throw new ModelError('ERR_ID_MAP_MISMATCH', `Expected validation data of ${fit.rows} x ${fit.cols} but received ${validation.rows} x ${validation.cols}`);
  } else {
    ({ fit, validation } = splitInteractions(data, options.ratio ?? 0.75, seed));
  }
  const fitData = { csr: fit, ...(data.users.ids ? { userIds: data.users.ids } : {}), ...(data.items.ids ? { itemIds: data.items.ids } : {}) };
  const validationData = { ...fitData, csr: validation };
  const search = options.search ?? 'random';
  let configs: Array<Record<string, unknown>>;
  if (search === 'grid') {
    configs = grid(space.params);
    if (options.trials !== undefined) configs = configs.slice(0, options.trials);
  } else if (search === 'random') {
    const n = options.trials ?? 20;
    if (!Number.isInteger(n) || n < 1) throw invalidArgument('a positive integer', 'trials', n);
    const random = seededUniform(seed);
    configs = Array.from({ length: n }, () => draw(space.params, random));
  } else {
    throw invalidArgument("'random' or 'grid'", 'search', search);
  }
  const trials: TuneTrial[] = [];
  for (const varied of configs) {
    if (options.signal?.aborted) throw new ModelError('ERR_ABORTED', `tune was aborted after ${trials.length} trials`, { cause: options.signal.reason });
    const params = { ...(space.fixed ?? {}), ...varied };
    const model = space.model(params);
    const t0 = performance.now();
    await model.fit(fitData);
    const fitSeconds = (performance.now() - t0) / 1000;
    const metrics = await evaluate(model, fitData, validationData, { k });
    const trial: TuneTrial = { index: trials.length, params, metrics, fitSeconds };
    trials.push(trial);
    options.onTrial?.(trial);
  }
  if (trials.length === 0) throw invalidArgument('at least one configuration', 'space.params', space.params);
  let best = trials[0]!;
  for (const t of trials) if (t.metrics[metric] > best.metrics[metric]) best = t;
  return { best, trials, metric, split: { fit: fit.indices.length, validation: validation.indices.length } };
}

/**
 * The trials of a {@link tune} result as a Markdown table: one row per trial with its varied
 * parameters, the validation metrics at k and the fit time, the best trial marked with `*`.
 */
export function tuneTable(result: TuneResult): string {
  const names = [...new Set(result.trials.flatMap((t) => Object.keys(t.params)))].filter((n) => result.trials.some((t) => JSON.stringify(t.params[n]) !== JSON.stringify(result.trials[0]!.params[n])));
  const show = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : JSON.stringify(v));
  const head = ['', '#', ...names, 'nDCG', 'precision', 'recall', 'MAP', 'fit s'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const t of result.trials) {
    const m = t.metrics;
    lines.push(`| ${t === result.best ? '*' : ''} | ${t.index} | ${names.map((n) => show(t.params[n])).join(' | ')}${names.length ? ' | ' : ''}${m.ndcg.toFixed(4)} | ${m.precision.toFixed(4)} | ${m.recall.toFixed(4)} | ${m.map.toFixed(4)} | ${t.fitSeconds.toFixed(2)} |`);
  }
  return lines.join('\n');
}
