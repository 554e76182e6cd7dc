/**
 * Retraining plumbing: the interaction matrix from the store (users without interactions, such
 * as erased ones, dropped), the per-user holdout, and running a {@link TrainJobInput} in a
 * worker thread — the CSR arrays are transferred (no copy), the event loop keeps serving — or
 * in-process when the compiled worker is missing or `retrainInWorker` is off.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildInteractionMatrices, pairsToCsr, stratifiedRandomSplit, type DataStore, type InteractionPairs } from '@souk/data';
import type { CsrMatrix } from '@souk/kernels';
import { EngineError } from './errors.js';
import { runTrainJob, type TrainJobInput, type TrainJobOutput } from './train-job.js';
import { yieldingStore } from './yielding.js';
import type { EngineLogger, EngineModelName } from './types.js';

/** The compiled worker entry (resolved the same from `src/` under vitest and from `dist/`). */
export const WORKER_URL = new URL('../dist/retrain-worker.js', import.meta.url);

/** Options of {@link prepareTraining}. */
export interface PrepareOptions {
  readonly model: EngineModelName;
  readonly params: Record<string, unknown>;
  /** Hold out a fifth of each user's interactions and evaluate. */
  readonly evaluate: boolean;
  /** Where the job saves the model. */
  readonly outDir: string;
}

/** Keeps the pairs of users with at least one interaction, renumbering them densely. */
function compactUsers(pairs: InteractionPairs, userIds: readonly string[]): { pairs: InteractionPairs; userIds: string[] } {
  const remap = new Int32Array(pairs.rows).fill(-1);
  const kept: string[] = [];
  for (let p = 0; p < pairs.length; p++) {
    const u = pairs.users[p]!;
    if (remap[u] === -1) {
      remap[u] = kept.length;
      kept.push(userIds[u]!);
    }
  }
  const users = Int32Array.from(pairs.users, (u) => remap[u]!);
  return { pairs: { ...pairs, users, rows: kept.length }, userIds: kept };
}

/**
 * The training input from the store's events: weighted interactions (the data package's event
 * weights), users without interactions left out (erased users have none), and with `evaluate` a
 * seeded 80/20 split per user. `ERR_TRAINING` when there is nothing to train on.
 */
export async function prepareTraining(store: DataStore, options: PrepareOptions): Promise<TrainJobInput> {
  const m = await buildInteractionMatrices(yieldingStore(store));
  const { pairs, userIds } = compactUsers(m.pairs, m.userIds.ids());
  if (pairs.length === 0) throw new EngineError('ERR_TRAINING', 'Expected stored events with items to train on but the store has none');
  const full = pairsToCsr(pairs);
  let split: TrainJobInput['split'];
  if (options.evaluate) {
    const s = stratifiedRandomSplit(pairs, { ratio: 0.8, seed: 7 });
    if (s.test.length > 0 && s.train.length > 0) split = { train: pairsToCsr(s.train), test: pairsToCsr(s.test) };
  }
  return { model: options.model, params: options.params, full, ...(split ? { split } : {}), userIds, itemIds: m.itemIds.ids(), outDir: options.outDir };
}

const buffersOf = (m: CsrMatrix): ArrayBuffer[] => [m.indptr.buffer, m.indices.buffer, m.data.buffer] as ArrayBuffer[];

/** A running job: its result, and a way to stop it. */
export interface RunningJob {
  /** Settles with the job's output, or rejects with an `ERR_TRAINING` {@link EngineError}. */
  readonly done: Promise<TrainJobOutput>;
  /** Whether it runs in a worker thread. */
  readonly inWorker: boolean;
  /** Terminates the worker (no effect in-process). */
  stop(): Promise<void>;
}

/** Starts a job in a worker thread when possible, else in-process (logging why). */
export function startJob(input: TrainJobInput, options: { inWorker: boolean; logger: EngineLogger }): RunningJob {
  const workerFile = fileURLToPath(WORKER_URL);
  if (options.inWorker && !existsSync(workerFile)) options.logger.warn({ workerFile }, 'retrain worker not built (run tsc -b packages/engine); training in-process');
  if (!options.inWorker || !existsSync(workerFile)) {
    const done = runTrainJob(input).catch((e: unknown) => {
      throw new EngineError('ERR_TRAINING', `Training failed: ${(e as Error).message}`, { cause: e });
    });
    return { done, inWorker: false, stop: async () => undefined };
  }
  const worker = new Worker(WORKER_URL);
  let stopped = false;
  const done = new Promise<TrainJobOutput>((resolve, reject) => {
    let settled = false;
    const fail = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      reject(new EngineError('ERR_TRAINING', message, cause === undefined ? undefined : { cause }));
    };
    worker.once('message', (msg: { ok: true; output: TrainJobOutput } | { ok: false; error: { code: string; message: string } }) => {
      if (msg.ok) {
        settled = true;
        resolve(msg.output);
      } else fail(`Training failed (${msg.error.code}): ${msg.error.message}`);
      void worker.terminate();
    });
    worker.once('error', (e) => fail(`The training worker failed: ${e.message}`, e));
    worker.once('exit', (code) => fail(stopped ? 'Training was stopped (engine closed)' : `The training worker exited with code ${code} before reporting`));
  });
  const transfer = [...buffersOf(input.full), ...(input.split ? [...buffersOf(input.split.train), ...buffersOf(input.split.test)] : [])];
  worker.postMessage(input, transfer);
  return {
    done,
    inWorker: true,
    stop: async () => {
      stopped = true;
      await worker.terminate();
    },
  };
}
