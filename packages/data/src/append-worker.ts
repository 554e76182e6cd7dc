/**
 * Entry of the append writer's worker thread (compiled to `dist/append-worker.js`; see
 * append-writer.ts): its own connection to the store's file, answering appends with the store's
 * own code (and its group commit).
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendReply, AppendRequest, AppendWorkerData } from './append-writer.js';
import { openSqliteStoreConnection } from './store.js';

const port = parentPort;
if (port) {
  const data = workerData as AppendWorkerData;
  const store = openSqliteStoreConnection(data.path, { synchronous: data.synchronous }, true);
  const reply = (m: AppendReply) => port.postMessage(m);
  const fail = (id: number, e: unknown) => {
    const err = e as { code?: unknown; message?: unknown };
    reply({ id, ok: false, code: typeof err?.code === 'string' ? err.code : 'ERR_STORE', message: String(err?.message ?? e) });
  };
  port.on('message', (m: AppendRequest) => {
    const run = m.op === 'append' ? store.appendEvents(m.events) : m.op === 'batch' ? store.appendEventBatch(m.batchId, m.events, m.result) : store.close().then(() => null);
    run.then((value) => reply({ id: m.id, ok: true, value }), (e: unknown) => fail(m.id, e));
  });
}
