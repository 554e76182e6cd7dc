/**
 * `souk evaluate`: holdout evaluation of one or several models on a data directory — precision,
 * recall, nDCG, MAP, AUC and coverage at K in one table.
 * @packageDocumentation
 */
import { Option, type Command } from 'commander';
import type { EngineModelName } from '@souk/engine';
import { addDataDirOption, addExamples, addKOption, addOutputOptions, addParamOptions, ioOf, type CommonFlags } from '../common.js';
import { openStore } from '../data-dir.js';
import { evaluateModel, loadHoldout, SPLIT_KINDS, type Holdout, type ModelEvaluation, type SplitKind } from '../holdout.js';
import { createModel, MODEL_LABELS, paramsFromFlags, parseModelList, ratio, type ParamFlags } from '../models.js';
import { emitJson, formatNumber, say, table, type Io } from '../output.js';
import { startProgress } from '../progress.js';

/** Flags of `souk evaluate`. */
export interface EvaluateFlags extends CommonFlags, ParamFlags {
  readonly dataDir: string;
  readonly model: string;
  readonly k: number;
  readonly split: SplitKind;
  readonly ratio: number;
}

/** Evaluates each model on the holdout, with a progress bar per model. */
export async function evaluateModels(io: Io, holdout: Holdout, models: readonly EngineModelName[], params: Record<string, unknown>, k: number): Promise<ModelEvaluation[]> {
  const results: ModelEvaluation[] = [];
  for (const model of models) {
    // Iterative models report each iteration; the others fit in one step.
    const declared = createModel(model, params).hyperParameters.iterations;
    const iterations = typeof declared === 'number' ? declared : undefined;
    const bar = startProgress(io, { label: `fit ${MODEL_LABELS[model]}`, ...(iterations ? { total: iterations } : {}), unit: 'iterations' });
    const result = await evaluateModel(holdout, model, params, {
      k,
      onIteration: (info) => bar.update(info.iteration, info.loss !== undefined ? `loss ${formatNumber(info.loss)}` : ''),
    });
    bar.stop(`fitted in ${result.fitSeconds.toFixed(2)} s, nDCG@${k} ${result.metrics.ndcg.toFixed(4)}`);
    results.push(result);
  }
  return results;
}

/** The comparison table of {@link evaluateModels}' results. */
export function evaluationTable(results: readonly ModelEvaluation[], k: number): string {
  return table(
    ['model', `precision@${k}`, `recall@${k}`, `nDCG@${k}`, `MAP@${k}`, `AUC@${k}`, 'coverage', 'fit s'],
    results.map((r) => [MODEL_LABELS[r.model], r.metrics.precision, r.metrics.recall, r.metrics.ndcg, r.metrics.map, r.metrics.auc, r.metrics.coverage, r.fitSeconds.toFixed(2)]),
  );
}

/** Registers `souk evaluate`. */
export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .summary('compare models on held-out interactions (precision, recall, nDCG, MAP, AUC)')
    .description('Holdout evaluation: fit each model on a training split of the data directory\'s interactions and score the held-out ones (precision, recall, nDCG, MAP, AUC, coverage at K)')
    .option('-m, --model <names>', 'model or comma-separated models to compare (als, bpr, mf, item-knn, ease, popularity)', 'als,popularity')
    .addOption(new Option('--split <kind>', 'random: per-user stratified; temporal: a global time cut; last: each user\'s latest interaction').choices(SPLIT_KINDS as string[]).default('random'))
    .option('--ratio <x>', 'share of interactions kept for training (random, temporal)', ratio('--ratio'), 0.8);
  addKOption(cmd);
  addParamOptions(cmd);
  addDataDirOption(cmd);
  addOutputOptions(cmd);
  addExamples(cmd, [
    'souk evaluate --data-dir shop --model als',
    'souk evaluate -d shop --model als,bpr,item-knn,ease,popularity -k 20',
    'souk evaluate -d shop --model als --factors 32 --alpha 10 --split last --json',
  ]);
  cmd.action(async (flags: EvaluateFlags) => {
    const io = ioOf(flags);
    const models = parseModelList(flags.model);
    const params = paramsFromFlags(flags);
    const store = openStore(flags.dataDir);
    let holdout: Holdout;
    try {
      holdout = await loadHoldout(store, { split: flags.split, ratio: flags.ratio, ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
    } finally {
      await store.close();
    }
    const results = await evaluateModels(io, holdout, models, params, flags.k);
    emitJson(io, { k: flags.k, split: flags.split, ratio: flags.ratio, sizes: holdout.sizes, results });
    const s = holdout.sizes;
    say(io, `Holdout (${flags.split}): ${formatNumber(s.users)} users × ${formatNumber(s.items)} items; ${formatNumber(s.train)} training and ${formatNumber(s.test)} held-out interactions.\n`);
    say(io, evaluationTable(results, flags.k));
  });
}
