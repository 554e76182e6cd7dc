/**
 * Entry of a read worker thread (compiled to `dist/read-worker.js`; see reads.ts): holds a
 * replica of the engine's catalog state, applies the changes the engine posts in order, and
 * answers the searches and recommendations it is sent with the engine's own code (exec.ts),
 * sending item ids where the answer has item views (the engine builds those from its catalog:
 * cheaper than copying them between threads).
 * @packageDocumentation
 */
import { parentPort } from 'node:worker_threads';
import { CatalogState } from './catalog.js';
import { catalogVectorCandidates, execRecommend, execSearch } from './exec.js';
import { normOrderOf, usesNormOrder } from './norm-order.js';
import { CacheTally, compactRows, type FromWorker, type ReplicaState, type ToWorker } from './reads.js';

let catalog = new CatalogState();
// Result-cache counts not yet reported (each reply carries what grew since the last one).
const tally = new CacheTally();
let reported = { hits: 0, misses: 0 };

function cacheDelta(): readonly [number, number] | undefined {
  tally.observe(catalog.textIndex, catalog.textIndex.cacheStats());
  const delta = [tally.hits - reported.hits, tally.misses - reported.misses] as const;
  if (delta[0] === 0 && delta[1] === 0) return undefined;
  reported = { hits: tally.hits, misses: tally.misses };
  return delta;
}

/** Makes the vectors' norm order now (see norm-order.ts), on this thread, not on the first recommendation. */
function prepareVectors(): void {
  const v = catalog.itemVectors;
  if (v && usesNormOrder(v.factors)) normOrderOf(v.factors);
}

function reset(state: ReplicaState): void {
  const next = new CatalogState();
  for (const [id, count] of state.popularity) next.popularity.set(id, count);
  next.upsert(state.items);
  next.syncPopularity();
  next.setItemVectors(state.vectors);
  catalog = next;
}

const port = parentPort;
if (port) {
  const reply = (m: FromWorker) => {
    const cache = m.t === 'done' ? cacheDelta() : undefined;
    port.postMessage(cache ? { ...m, cache } : m);
  };
  const fail = (id: number, e: unknown) => {
    const err = e as { code?: unknown; message?: unknown };
    reply({ t: 'done', id, ok: false, error: { ...(typeof err?.code === 'string' ? { code: err.code } : {}), message: String(err?.message ?? e) } });
  };
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'reset':
        reset(m.state);
        prepareVectors();
        reply({ t: 'ready' });
        return;
      case 'items':
        catalog.upsert(m.items);
        return;
      case 'engage':
        for (const item of m.items) catalog.addEngagement(item);
        return;
      case 'vectors':
        catalog.setItemVectors(m.vectors);
        prepareVectors();
        return;
      case 'search':
        try {
          reply({ t: 'done', id: m.id, ok: true, value: compactRows(execSearch(catalog, m.request)) });
        } catch (e) {
          fail(m.id, e);
        }
        return;
      case 'recommend': {
        const r = m.request;
        const state = catalog;
        const fromModel = r.user.vector && r.vectorSource ? catalogVectorCandidates(state, r.user.vector) : undefined;
        execRecommend(state, r, fromModel).then(
          (value) => reply({ t: 'done', id: m.id, ok: true, value: compactRows(value) }),
          (e: unknown) => fail(m.id, e),
        );
        return;
      }
    }
  });
}
