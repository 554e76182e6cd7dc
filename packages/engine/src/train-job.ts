/**
 * One training job, the same code in the retraining worker and in-process: optionally fit on a
 * per-user holdout's training part and report held-out metrics at 10 next to a popularity
 * baseline on the same split, then fit on all interactions and save the model to `outDir`.
 * Inputs are plain typed arrays so they can be transferred to a worker without copies.
 * @packageDocumentation
 */
import type { CsrMatrix } from '@souk/kernels';
import { evaluate, Popularity } from '@souk/models';
import { createModel } from './model-files.js';
import type { EngineModelName } from './types.js';

/** What a training job needs. */
export interface TrainJobInput {
  /** Model to train. */
  readonly model: EngineModelName;
  /** Its hyper-parameters. */
  readonly params: Record<string, unknown>;
  /** All interactions (users × items). */
  readonly full: CsrMatrix;
  /** The holdout split of `full` (evaluation), if any. */
  readonly split?: { readonly train: CsrMatrix; readonly test: CsrMatrix };
  /** Row ids. */
  readonly userIds: readonly string[];
  /** Column ids. */
  readonly itemIds: readonly string[];
  /** Directory the fitted model is saved to. */
  readonly outDir: string;
}

/** What a training job reports. */
export interface TrainJobOutput {
  /** Held-out metrics at 10 (`ndcg`, `recall`, …) and the popularity baseline's (`popularityNdcg`, …). */
  readonly metrics?: Record<string, number>;
  /** Wall seconds. */
  readonly seconds: number;
}

const REPORTED = ['ndcg', 'recall', 'precision', 'map', 'auc', 'coverage'] as const;

/** Runs a training job (see the module description). */
export async function runTrainJob(input: TrainJobInput): Promise<TrainJobOutput> {
  const started = performance.now();
  const ids = { userIds: input.userIds, itemIds: input.itemIds };
  let metrics: Record<string, number> | undefined;
  if (input.split) {
    const train = { csr: input.split.train, ...ids };
    const test = { csr: input.split.test, ...ids };
    const candidate = createModel(input.model, input.params);
    await candidate.fit(train);
    const held = await evaluate(candidate, train, test, { k: 10 });
    const baseline = new Popularity();
    await baseline.fit(train);
    const base = await evaluate(baseline, train, test, { k: 10 });
    metrics = { users: held.users };
    for (const name of REPORTED) {
      metrics[name] = held[name];
      metrics[`popularity${name[0]!.toUpperCase()}${name.slice(1)}`] = base[name];
    }
  }
  const model = createModel(input.model, input.params);
  await model.fit({ csr: input.full, ...ids });
  await model.save(input.outDir);
  return { ...(metrics ? { metrics } : {}), seconds: (performance.now() - started) / 1000 };
}
