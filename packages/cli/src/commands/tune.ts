/**
 * `souk tune`: hyper-parameter search with `@souk/models`' `tune` over a small default space per
 * model (or one given as JSON), on a validation split of the data directory's interactions.
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import { buildInteractionMatrices } from '@souk/data';
import { tune, type MetricName, type ParamDomain, type TuneResult } from '@souk/models';
import type { EngineModelName } from '@souk/engine';
import { addDataDirOption, addExamples, addKOption, addOutputOptions, ioOf, type CommonFlags } from '../common.js';
import { openStore } from '../data-dir.js';
import { CliError } from '../errors.js';
import { createModel, MODEL_LABELS, nonNegativeInt, paramsFor, parseModelName, positiveInt } from '../models.js';
import { emitJson, formatNumber, say, table, type Cell } from '../output.js';
import { startProgress } from '../progress.js';

/** Flags of `souk tune`. */
export interface TuneFlags extends CommonFlags {
  readonly dataDir: string;
  readonly model: string;
  readonly space?: string;
  readonly trials: number;
  readonly search: 'random' | 'grid';
  readonly metric: MetricName;
  readonly k: number;
  readonly seed?: number;
}

/** The default search space of each model: small enough to run in minutes on a laptop. */
export const DEFAULT_SPACES: Readonly<Record<EngineModelName, Readonly<Record<string, ParamDomain>>>> = {
  als: { factors: [16, 32, 64], regularization: { min: 0.001, max: 1, log: true }, alpha: [1, 5, 10, 20], iterations: [10] },
  bpr: { factors: [32, 64], learningRate: { min: 0.005, max: 0.1, log: true }, regularization: { min: 0.0001, max: 0.01, log: true }, iterations: [50, 100] },
  mf: { factors: [16, 32], learningRate: [0.005, 0.01, 0.02], regularization: [0.01, 0.02, 0.05], iterations: [20] },
  'item-knn': { neighbours: [10, 20, 50, 100], similarity: ['cosine', 'bm25'] },
  ease: { regularization: [50, 100, 250, 500, 1000] },
  popularity: { weighting: ['count', 'sum'] },
};

const METRICS: readonly MetricName[] = ['ndcg', 'precision', 'recall', 'map', 'mapFull', 'auc', 'coverage'];

function parseSpace(text: string): Record<string, ParamDomain> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError('ERR_USAGE', `Expected a JSON object of parameter lists or {min, max, log} ranges for --space but received ${JSON.stringify(text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError('ERR_USAGE', `Expected a JSON object for --space but received ${JSON.stringify(text)}`);
  }
  return parsed as Record<string, ParamDomain>;
}

/** The trials of a tune result as an aligned table (best marked with `*`). */
export function tuneResultTable(result: TuneResult, k: number): string {
  const varied = [...new Set(result.trials.flatMap((t) => Object.keys(t.params)))].filter((n) =>
    result.trials.some((t) => JSON.stringify(t.params[n]) !== JSON.stringify(result.trials[0]!.params[n])),
  );
  const show = (v: unknown): Cell => (typeof v === 'number' ? (Number.isInteger(v) ? v : Number(v.toPrecision(3))) : JSON.stringify(v));
  return table(
    ['', '#', ...varied, `nDCG@${k}`, `precision@${k}`, `recall@${k}`, `MAP@${k}`, 'fit s'],
    result.trials.map((t) => [t === result.best ? '*' : '', t.index, ...varied.map((n) => show(t.params[n])), t.metrics.ndcg, t.metrics.precision, t.metrics.recall, t.metrics.map, t.fitSeconds.toFixed(2)]),
  );
}

/** Registers `souk tune`. */
export function registerTune(program: Command): void {
  const cmd = program
    .command('tune')
    .summary('search hyper-parameters of a model')
    .description('Search hyper-parameters of a model on a validation split of the data directory\'s interactions (random or grid search) and print every trial')
    .option('-m, --model <name>', 'als | bpr | mf | item-knn | ease | popularity', 'als')
    .option('--space <json>', 'search space: {"param": [values] | {"min": x, "max": y, "log": true}} (default: a small space per model)')
    .option('--trials <n>', 'configurations to try (grid: at most this many)', positiveInt('--trials'), 8)
    .addOption(new Option('--search <kind>', 'random or grid').choices(['random', 'grid']).default('random'))
    .addOption(new Option('--metric <name>', 'metric to maximise').choices(METRICS as string[]).default('ndcg'))
    .option('--seed <n>', 'seed of the split and the search', nonNegativeInt('--seed'));
  addKOption(cmd);
  addDataDirOption(cmd);
  addOutputOptions(cmd);
  addExamples(cmd, [
    'souk tune --data-dir shop --model als --trials 8',
    'souk tune -d shop --model item-knn --search grid',
    'souk tune -d shop --model als --space \'{"factors":[32,64],"alpha":{"min":1,"max":40,"log":true}}\' --json',
  ]);
  cmd.action(async (flags: TuneFlags) => {
    const io = { ...ioOf(flags) };
    const model = parseModelName(flags.model);
    const space = flags.space !== undefined ? parseSpace(flags.space) : DEFAULT_SPACES[model];
    const store = openStore(flags.dataDir);
    let matrices;
    try {
      matrices = await buildInteractionMatrices(store);
    } finally {
      await store.close();
    }
    if (matrices.pairs.length === 0) throw new CliError('ERR_BAD_DATA', 'Expected interactions (view, click, cart, purchase or rating events on items) in the data directory but received none');
    const total = flags.search === 'grid' ? undefined : flags.trials;
    const bar = startProgress(io, { label: `tune ${MODEL_LABELS[model]}`, ...(total ? { total } : {}), unit: 'trials' });
    let result: TuneResult;
    try {
      result = await tune(
        { model: (params) => createModel(model, paramsFor(model, params)), params: space },
        {
          train: { csr: matrices.csr, userIds: matrices.userIds, itemIds: matrices.itemIds },
          search: flags.search,
          trials: flags.trials,
          metric: flags.metric,
          k: flags.k,
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          onTrial: (trial) => bar.update(trial.index + 1, `${flags.metric} ${formatNumber(trial.metrics[flags.metric])}`),
        },
      );
    } catch (cause) {
      if (cause instanceof CliError) throw cause;
      const code = (cause as { code?: string }).code;
      if (code === 'ERR_ARGUMENT') throw new CliError('ERR_USAGE', `Invalid search space for ${model}: ${(cause as Error).message}`, { cause });
      throw cause;
    } finally {
      bar.stop();
    }
    emitJson(io, { model, metric: result.metric, k: flags.k, split: result.split, best: result.best, trials: result.trials });
    say(io, `Tuned ${MODEL_LABELS[model]}: ${result.trials.length} trials, ${formatNumber(result.split.fit)} fitting and ${formatNumber(result.split.validation)} validation interactions.\n`);
    say(io, tuneResultTable(result, flags.k));
    say(io, `\nBest (${result.metric}@${flags.k} ${formatNumber(result.best.metrics[result.metric])}): ${JSON.stringify(result.best.params)}`);
    say(io, `Train it with: souk train --data-dir ${flags.dataDir} --model ${model} --params '${JSON.stringify(paramsFor(model, result.best.params))}'`);
  });
}
