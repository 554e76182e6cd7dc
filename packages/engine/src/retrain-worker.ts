/**
 * Entry of the retraining worker thread (compiled to `dist/retrain-worker.js`, which the engine
 * starts with `node:worker_threads`): receives one {@link TrainJobInput} (its CSR arrays
 * transferred, not copied), runs it, posts `{ok: true, output}` or `{ok: false, error}` and
 * exits. The fitted model travels back through its saved files in the job's `outDir`.
 * @packageDocumentation
 */
import { parentPort } from 'node:worker_threads';
import { runTrainJob, type TrainJobInput } from './train-job.js';

const port = parentPort;
if (port) {
  port.once('message', (input: TrainJobInput) => {
    runTrainJob(input).then(
      (output) => port.postMessage({ ok: true, output }),
      (e: unknown) => {
        const err = e as { code?: unknown; message?: unknown };
        port.postMessage({ ok: false, error: { code: typeof err?.code === 'string' ? err.code : 'ERR_TRAINING', message: String(err?.message ?? e) } });
      },
    );
  });
}
