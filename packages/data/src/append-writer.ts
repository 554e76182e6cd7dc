/**
 * The append writer: online event appends ({@link DataStore.appendEvents},
 * {@link DataStore.appendEventBatch}) committed by a second SQLite connection in a worker thread
 * (`dist/append-worker.js`), so that the fsync of each group commit — milliseconds on real disks,
 * and better-sqlite3 is synchronous — blocks that thread instead of the caller's event loop.
 * Durability is unchanged: a promise resolves only after the worker's commit. Appends that
 * arrive together still share one commit (the worker's own group commit). SQLite's WAL lets the
 * two connections work on one file; each write transaction takes the write lock (BEGIN
 * IMMEDIATE) and waits for the other's (busy timeout 5 s). If the worker dies, its pending
 * appends fail with `ERR_STORE` (none of them was acknowledged) and later appends run on the
 * caller's connection.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DataError, type DataErrorCode } from './errors.js';
import type { EventRecord } from './schemas.js';

/** The compiled worker entry (resolved the same from `src/` under vitest and from `dist/`). */
export const APPEND_WORKER_URL = new URL('../dist/append-worker.js', import.meta.url);

/** Messages to the worker. */
export type AppendRequest =
  | { readonly id: number; readonly op: 'append'; readonly events: readonly EventRecord[] }
  | { readonly id: number; readonly op: 'batch'; readonly batchId: string; readonly events: readonly EventRecord[]; readonly result: unknown }
  | { readonly id: number; readonly op: 'close' };

/** Messages from the worker. */
export type AppendReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/** What the worker is started with. */
export interface AppendWorkerData {
  readonly path: string;
  readonly synchronous: 'full' | 'normal';
}

/** Whether the compiled worker is there (it is after `tsc -b packages/data`). */
export function appendWorkerAvailable(): boolean {
  return existsSync(APPEND_WORKER_URL);
}

/** The caller's side of the append writer. */
export class AppendWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private nextId = 1;
  private deadReason: string | undefined;
  private readonly ready: Promise<void>;

  constructor(data: AppendWorkerData) {
    this.worker = new Worker(fileURLToPath(APPEND_WORKER_URL), { workerData: data });
    this.worker.unref();
    this.ready = new Promise((resolve) => this.worker.once('online', () => resolve()));
    this.worker.on('message', (m: AppendReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new DataError(m.code as DataErrorCode, m.message));
    });
    this.worker.on('error', (e) => this.die(`the append worker failed: ${e.message}`));
    this.worker.on('exit', (code) => this.die(`the append worker exited with code ${code}`));
  }

  /** Undefined while the worker runs; else why it stopped (appends then run on the caller's connection). */
  get dead(): string | undefined {
    return this.deadReason;
  }

  private die(why: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = why;
    for (const p of this.pending.values()) p.reject(new DataError('ERR_STORE', `Expected the append to be committed but ${why}; it was not acknowledged`));
    this.pending.clear();
  }

  /** Sends a request; resolves with the worker's answer. */
  call<T>(request: AppendRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.deadReason !== undefined) return reject(new DataError('ERR_STORE', this.deadReason));
      const id = this.nextId++;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.worker.postMessage({ ...request, id });
      } catch (e) {
        this.pending.delete(id);
        reject(new DataError('ERR_STORE', `Expected events the append worker can receive but received: ${(e as Error).message}`, { cause: e }));
      }
    });
  }

  /** Commits what is pending, closes the worker's connection and stops it. */
  async close(): Promise<void> {
    if (this.deadReason === undefined) {
      await this.ready;
      await this.call({ op: 'close' }).catch(() => undefined);
    }
    this.deadReason ??= 'the store was closed';
    await this.worker.terminate();
  }
}
