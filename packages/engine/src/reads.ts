/**
 * Read workers: worker threads that each hold a replica of the catalog state (items, text index,
 * popularity, the live model's item vectors) and run searches and recommendations
 * ({@link execSearch}, {@link execRecommend}) off the event loop, so that one engine uses more
 * than one core. The event loop keeps everything else: HTTP, checks, profiles, the store.
 *
 * - Consistency: every change of the catalog state is posted to each worker as it happens on the
 *   event loop (items, engagement counts, a model swap, a full reload), before the write that
 *   caused it resolves; a worker handles its messages in order, so a read sent after a write was
 *   acknowledged sees it (read-your-writes). The user's part of a request (profile digest, vector,
 *   seen items) is computed on the event loop and travels with the request.
 * - Routing: the worker with the fewest requests in flight; the event loop answers itself only
 *   while no worker is ready (see `ReadRouter.route`).
 * - Failure: a request a worker cannot answer (a crash, an error) is answered on the event loop;
 *   a worker that dies is dropped and logged.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ItemRecord } from '@souk/data';
import type { Matrix } from '@souk/kernels';
import type { RecommendExec, RecommendExecResult, SearchExec, SearchExecResult } from './exec.js';
import type { EngineLogger, ItemView, ReadStats, ResultItem } from './types.js';

/** The compiled worker entry (resolved the same from `src/` under vitest and from `dist/`). */
export const READ_WORKER_URL = new URL('../dist/read-worker.js', import.meta.url);

/** The live model's item vectors, as copied to a worker. */
export interface ReplicaVectors {
  readonly ids: readonly string[];
  readonly factors: Matrix;
}

/** The catalog state a worker starts from (and is reset to after a bulk reload). */
export interface ReplicaState {
  readonly items: readonly ItemRecord[];
  readonly popularity: ReadonlyArray<readonly [string, number]>;
  readonly vectors: ReplicaVectors | undefined;
}

/** Messages to a worker. */
export type ToWorker =
  | { readonly t: 'reset'; readonly state: ReplicaState }
  | { readonly t: 'items'; readonly items: readonly ItemRecord[] }
  | { readonly t: 'engage'; readonly items: readonly string[] }
  | { readonly t: 'vectors'; readonly vectors: ReplicaVectors | undefined }
  | { readonly t: 'search'; readonly id: number; readonly request: SearchExec }
  | { readonly t: 'recommend'; readonly id: number; readonly request: RecommendExec };

/** A result row as a worker sends it: the item's id instead of its view (the event loop builds the view from its own catalog). */
export type CompactRow = Omit<ResultItem, 'item'> & { readonly item: string };

/** A result with compact rows. */
export type CompactResult<T extends { items: ResultItem[] }> = Omit<T, 'items'> & { readonly items: CompactRow[] };

/** The rows of a result with ids for views (what a worker sends). */
export function compactRows<T extends { items: ResultItem[] }>(result: T): CompactResult<T> {
  return { ...result, items: result.items.map((r) => ({ ...r, item: r.item.id })) };
}

/** Messages from a worker (`cache`: result-cache hits and misses since the worker's last message, when any). */
export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'done'; readonly id: number; readonly ok: true; readonly value: unknown; readonly cache?: readonly [number, number] }
  | { readonly t: 'done'; readonly id: number; readonly ok: false; readonly error: { readonly code?: string; readonly message: string }; readonly cache?: readonly [number, number] };

/** Hits and misses of a text index's result cache (TextIndex.cacheStats). */
interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
}

/**
 * Running totals of result-cache hits and misses over text indexes that come and go (a catalog
 * reload replaces its index): each index's counts are added as they grow, from zero for a new one.
 */
export class CacheTally {
  hits = 0;
  misses = 0;
  private last = new WeakMap<object, CacheCounts>();

  /** Adds what `index` counted since it was last observed. */
  observe(index: object, now: CacheCounts): void {
    const before = this.last.get(index) ?? { hits: 0, misses: 0 };
    this.add(now.hits - before.hits, now.misses - before.misses);
    this.last.set(index, { hits: now.hits, misses: now.misses });
  }

  /** Adds counts (a worker's report). */
  add(hits: number, misses: number): void {
    if (hits > 0) this.hits += hits;
    if (misses > 0) this.misses += misses;
  }
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly local: () => unknown;
}

class ReadWorker {
  readonly worker: Worker;
  ready = false;
  dead = false;
  inflight = 0;
  served = 0;
  readonly pending = new Map<number, Pending>();

  constructor(
    url: URL,
    private readonly onDead: (w: ReadWorker, why: string) => void,
    private readonly view: (id: string) => ItemView | undefined,
    private readonly tally: CacheTally,
  ) {
    this.worker = new Worker(fileURLToPath(url));
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (e) => this.die(`error: ${e.message}`));
    this.worker.on('exit', (code) => this.die(`exited with code ${code}`));
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'ready') {
      this.ready = true;
      return;
    }
    if (m.cache) this.tally.add(m.cache[0], m.cache[1]);
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.inflight--;
    const value = m.ok ? this.expand(m.value as CompactResult<{ items: ResultItem[] }>) : undefined;
    if (value) {
      this.served++;
      p.resolve(value);
    } else {
      // The event loop answers instead: the same code, so the caller gets the same answer or error.
      settle(p);
    }
  }

  /** Views for a worker's rows from the event loop's catalog (undefined when an item is gone: answered here instead). */
  private expand(result: CompactResult<{ items: ResultItem[] }>): { items: ResultItem[] } | undefined {
    const items: ResultItem[] = [];
    for (const row of result.items) {
      const view = this.view(row.item);
      if (!view) return undefined;
      items.push({ ...row, item: view });
    }
    return { ...result, items };
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.ready = false;
    for (const p of this.pending.values()) settle(p);
    this.pending.clear();
    this.inflight = 0;
    this.onDead(this, why);
  }

  post(message: ToWorker): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  async stop(): Promise<void> {
    this.dead = true;
    for (const p of this.pending.values()) settle(p);
    this.pending.clear();
    await this.worker.terminate();
  }
}

function settle(p: Pending): void {
  try {
    Promise.resolve(p.local()).then(p.resolve, p.reject);
  } catch (e) {
    p.reject(e);
  }
}

/** Routes reads to the workers or the event loop. Without workers every read runs locally. */
export class ReadRouter {
  private readonly workers: ReadWorker[] = [];
  private nextId = 1;
  private localServed = 0;
  /** Result-cache hits and misses reported by the workers. */
  readonly cacheTally = new CacheTally();

  /** `view`: an item's view from the event loop's catalog. */
  constructor(
    private readonly logger: EngineLogger,
    private readonly view: (id: string) => ItemView | undefined,
  ) {}

  /** Starts `count` workers from `state` (when the compiled worker exists; else logs and serves locally). */
  start(count: number, state: ReplicaState): void {
    if (count <= 0) return;
    if (!existsSync(READ_WORKER_URL)) {
      this.logger.warn({ worker: fileURLToPath(READ_WORKER_URL) }, 'the read worker is not built; reads run on the event loop');
      return;
    }
    for (let i = 0; i < count; i++) {
      const w = new ReadWorker(READ_WORKER_URL, (dead, why) => {
        const at = this.workers.indexOf(dead);
        if (at >= 0) this.workers.splice(at, 1);
        this.logger.error({ why, left: this.workers.length }, 'a read worker died; its reads run elsewhere');
      }, this.view, this.cacheTally);
      w.post({ t: 'reset', state });
      this.workers.push(w);
    }
  }

  /** Posts a change of the catalog state to every worker (in order with everything posted before). */
  broadcast(change: ToWorker): void {
    for (const w of this.workers) w.post(change);
  }

  /** Whether any worker runs. */
  get active(): boolean {
    return this.workers.length > 0;
  }

  /** Reads answered per worker and on the event loop, and workers ready. */
  stats(): ReadStats {
    return { workers: this.workers.length, ready: this.workers.filter((w) => w.ready).length, served: this.workers.map((w) => w.served), local: this.localServed };
  }

  search(request: SearchExec, local: () => SearchExecResult): Promise<SearchExecResult> {
    return this.route('search', request, local) as Promise<SearchExecResult>;
  }

  recommend(request: RecommendExec, local: () => Promise<RecommendExecResult>): Promise<RecommendExecResult> {
    return this.route('recommend', request, local) as Promise<RecommendExecResult>;
  }

  private route(t: 'search' | 'recommend', request: SearchExec | RecommendExec, local: () => unknown): Promise<unknown> {
    // The event loop answers a read itself only while no worker is ready (starting, or all dead),
    // however deep the workers' queues: it also parses and answers every HTTP request, and each
    // millisecond it spends on a search delays all of them. On the 2-core benchmark machine, runs
    // where the event loop took reads when the workers were 8 deep had a worse paced p99 (119 and
    // 240 ms with 2,176 and 4,020 reads taken) than one where it took none (62 ms), and 1 worker
    // with the event loop taking reads at 3 queued served 762 req/s of the mix against 1,143 for 2.
    let best: ReadWorker | undefined;
    for (const w of this.workers) if (w.ready && (!best || w.inflight < best.inflight)) best = w;
    if (!best) {
      this.localServed++;
      try {
        return Promise.resolve(local());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const w = best;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, local };
      w.pending.set(id, p);
      w.inflight++;
      try {
        w.post(t === 'search' ? { t, id, request: request as SearchExec } : { t, id, request: request as RecommendExec });
      } catch {
        // Options a worker cannot receive (not structured-cloneable): answer here.
        w.pending.delete(id);
        w.inflight--;
        settle(p);
      }
    });
  }

  /** Stops the workers (requests still in flight are answered on the event loop). */
  async close(): Promise<void> {
    const all = this.workers.splice(0);
    await Promise.all(all.map((w) => w.stop()));
  }
}
