/**
 * `souk train`: trains a model on a data directory through the engine's background retraining,
 * waits for it, and reports the held-out metrics; the model becomes the directory's active model.
 * @packageDocumentation
 */
import type { Command } from 'commander';
import type { Engine, EngineModelName, RetrainJob } from '@souk/engine';
import { addDataDirOption, addExamples, addOutputOptions, addParamOptions, ioOf, type CommonFlags } from '../common.js';
import { withEngine } from '../data-dir.js';
import { CliError } from '../errors.js';
import { createModel, MODEL_LABELS, paramsFor, paramsFromFlags, parseModelName, type ParamFlags } from '../models.js';
import { emitJson, formatNumber, say, seconds, table, type Io } from '../output.js';
import { startProgress } from '../progress.js';

/** Flags of `souk train`. */
export interface TrainFlags extends CommonFlags, ParamFlags {
  readonly dataDir: string;
  readonly model: string;
  readonly evaluate: boolean;
}

/** Metric keys of a retraining job, in display order, with their labels. */
const JOB_METRICS: ReadonlyArray<readonly [string, string]> = [
  ['precision', 'precision@10'],
  ['recall', 'recall@10'],
  ['ndcg', 'nDCG@10'],
  ['map', 'MAP@10'],
  ['auc', 'AUC@10'],
  ['coverage', 'coverage@10'],
];

/**
 * Starts a retraining job and waits for it, showing its state and elapsed time on stderr.
 * Throws `ERR_RUNTIME` (exit 1) when the job fails; the previous model then stays active.
 */
export async function trainThroughEngine(io: Io, engine: Engine, model: EngineModelName, params: Record<string, unknown>, evaluate = true): Promise<RetrainJob> {
  createModel(model, params); // validates the hyper-parameters before a worker starts
  if (engine.stats().events === 0) throw new CliError('ERR_BAD_DATA', 'Expected events to train on in the data directory but received none (ingest some with: souk ingest --events ...)');
  const queued = await engine.retrain({ model, params: paramsFor(model, params), evaluate });
  const bar = startProgress(io, { label: `train ${MODEL_LABELS[model]}`, unit: 's' });
  const started = Date.now();
  const timer = setInterval(() => {
    const job = engine.retrainStatus();
    bar.update(Math.round((Date.now() - started) / 1000), job?.state ?? 'queued');
  }, 250);
  let job: RetrainJob | undefined;
  try {
    job = await engine.waitForRetrain();
  } finally {
    clearInterval(timer);
  }
  job ??= engine.retrainStatus() ?? queued;
  bar.stop(`${job.state} in ${seconds(Date.now() - started)}${job.version ? `, version ${job.version}` : ''}`);
  if (job.state !== 'succeeded') {
    throw new CliError('ERR_RUNTIME', `Training ${model} failed${job.error ? ` (${job.error.code}): ${job.error.message}` : ''}; the previous model stays active`);
  }
  return job;
}

/**
 * The held-out metrics of a job as a table: the model's and, where the engine reports it, the
 * popularity baseline's on the same split (`popularityNdcg`, …). Empty when the job has none.
 */
export function jobMetricsTable(job: RetrainJob): string {
  const m = job.metrics ?? {};
  const rows = JOB_METRICS.filter(([key]) => typeof m[key] === 'number').map(([key, label]) => {
    const baseline = m[`popularity${key[0]!.toUpperCase()}${key.slice(1)}`];
    return [label, m[key]!, baseline] as [string, number, number | undefined];
  });
  if (rows.length === 0) return '';
  return table(['held-out metric', MODEL_LABELS[job.model], 'popularity'], rows);
}

/** Registers `souk train`. */
export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .summary('train a model and make it the active one')
    .description('Train a recommender on a data directory and make it the active model (through the engine\'s background retraining, with held-out metrics)')
    .option('-m, --model <name>', 'als | bpr | mf | item-knn | ease | popularity', 'als')
    .option('--no-evaluate', 'skip the held-out evaluation');
  addParamOptions(cmd);
  addDataDirOption(cmd);
  addOutputOptions(cmd);
  addExamples(cmd, [
    'souk train --data-dir shop --model als --factors 64 --iterations 15',
    'souk train -d shop --model bpr --params \'{"learningRate":0.05,"iterations":200}\'',
    'souk train -d shop --model ease --regularization 250 --json',
  ]);
  cmd.action(async (flags: TrainFlags) => {
    const io = ioOf(flags);
    const model = parseModelName(flags.model);
    const params = paramsFromFlags(flags);
    const job = await withEngine(flags.dataDir, {}, (engine) => trainThroughEngine(io, engine, model, params, flags.evaluate));
    emitJson(io, job);
    const took = job.finishedAt !== undefined ? seconds(job.finishedAt - job.startedAt) : '?';
    say(io, `Trained ${MODEL_LABELS[model]} (job ${job.id}) in ${took}; version ${job.version ?? '?'} is now the active model of ${flags.dataDir}.`);
    const metrics = jobMetricsTable(job);
    if (metrics) say(io, `\nHeld-out evaluation (per-user split${typeof job.metrics?.users === 'number' ? `, ${formatNumber(job.metrics.users)} users` : ''}):\n${metrics}`);
  });
}
