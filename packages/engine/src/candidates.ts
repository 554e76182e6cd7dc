/**
 * Recommendation candidates: from the live model (the user's vector against the item factors
 * through the fused top-K kernel, or the model's own `recommend` for its users), from popularity
 * (optionally within categories), and the context bias (the viewed item's category, a query).
 * @packageDocumentation
 */
import { bitsetFromIndices, topK, topKSync, type ItemBitset } from '@souk/kernels';
import { ALS, type FactorModel } from '@souk/models';
import type { ItemRecord } from '@souk/data';
import type { Candidate } from '@souk/ranking';
import type { CatalogState, IndexedItemVectors } from './catalog.js';
import { kernelInfo } from './kernel-info.js';
import { normOrderedTopK, normOrderOf, usesNormOrder } from './norm-order.js';
import type { LiveModel } from './model-files.js';
import type { UserVector } from './personal.js';

/** Candidates re-ranked per recommendation (the second phase of a phased ranking; Vespa re-ranks 100 per node by default). */
export const RECOMMEND_CANDIDATES = 100;

/** The first `n` ids of `ordered` that pass `keep`. */
export function pickPopular(ordered: readonly string[], n: number, keep: (id: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < ordered.length && out.length < n; i++) if (keep(ordered[i]!)) out.push(ordered[i]!);
  return out;
}

/**
 * Up to {@link RECOMMEND_CANDIDATES} candidates from the model for a user with a vector (ALS, or
 * fold-in) or a model row (other models), seen items excluded in the kernel, filters as an allow
 * bitset; the model's score travels as the candidate's retrieval score (`textScore`).
 */
export async function modelCandidates(
  catalog: CatalogState,
  live: LiveModel,
  v: UserVector,
  seen: ReadonlySet<string>,
  allow: ((id: string) => boolean) | undefined,
  admissible: (id: string) => boolean,
): Promise<Candidate[]> {
  const m = live.recommender;
  const ids = m.itemIds;
  if (!ids) return [];
  if (usesVector(live, v)) {
    const itemIndex = m.idIndices().items;
    return vectorCandidates(catalog, { ids, factors: (m as FactorModel).itemFactors, find: (id) => itemIndex.find(id) }, v.vector!, seen, allow, admissible);
  }
  if (v.modelIndex < 0) return [];
  const allowSet = allowBitset(catalog, ids, allow);
  if (allowSet === null) return [];
  const want = Math.min(kernelInfo().maxK, ids.length, RECOMMEND_CANDIDATES + seen.size);
  const recs = await m.recommend(Int32Array.of(v.modelIndex), { k: want, filterSeen: seen.size > 0, ...(allowSet ? { allow: allowSet } : {}) });
  const row = recs.row(0);
  return collect(ids, row.items, row.scores, admissible);
}

/** Whether the user's candidates come from their vector against the item factors (ALS, fold-in) rather than the model's own `recommend`. */
export function usesVector(live: LiveModel, v: UserVector): boolean {
  return v.vector !== undefined && (live.recommender instanceof ALS || v.modelIndex < 0);
}

/** The filters as an allow bitset over the model's items (undefined: no filter; null: nothing passes). */
function allowBitset(catalog: CatalogState, ids: readonly string[], allow: ((id: string) => boolean) | undefined): ItemBitset | undefined | null {
  if (!allow) return undefined;
  const ok: number[] = [];
  for (let i = 0; i < ids.length; i++) if (catalog.items.has(ids[i]!) && allow(ids[i]!)) ok.push(i);
  return ok.length === 0 ? null : bitsetFromIndices(ids.length, ok);
}

function collect(ids: readonly string[], indices: ArrayLike<number>, scores: ArrayLike<number>, admissible: (id: string) => boolean): Candidate[] {
  const out: Candidate[] = [];
  for (let j = 0; j < indices.length && out.length < RECOMMEND_CANDIDATES; j++) {
    const id = ids[indices[j]!]!;
    const s = scores[j]!;
    if (admissible(id) && Number.isFinite(s)) out.push({ item: id, textScore: s });
  }
  return out;
}

/**
 * Candidates from a user vector against item vectors through the fused top-K kernel, on one
 * thread: a single query's scan is bound by memory bandwidth (100,000 × 64 floats: 1.2 ms on one
 * thread of the 2-core benchmark machine, 1.4 ms wall and twice the CPU on two). `sync`: on the
 * calling thread (a read worker, whose job it is); else async, on a kernel thread, while the
 * event loop serves others.
 */
export async function vectorCandidates(
  catalog: CatalogState,
  items: IndexedItemVectors,
  vector: Float32Array,
  seen: ReadonlySet<string>,
  allow: ((id: string) => boolean) | undefined,
  admissible: (id: string) => boolean,
  sync = false,
): Promise<Candidate[]> {
  const allowSet = allowBitset(catalog, items.ids, allow);
  if (allowSet === null) return [];
  const seenIdx: number[] = [];
  for (const id of seen) {
    const i = items.find(id);
    if (i >= 0) seenIdx.push(i);
  }
  seenIdx.sort((a, b) => a - b);
  const want = Math.min(kernelInfo().maxK, items.ids.length, RECOMMEND_CANDIDATES + seenIdx.length);
  if (usesNormOrder(items.factors)) {
    // On the CPU a long catalogue is scanned longest vectors first, until the rest cannot win.
    const top = await normOrderedTopK(normOrderOf(items.factors), vector, want, Int32Array.from(seenIdx), allowSet, sync, kernelInfo().maxK);
    return collect(items.ids, top.indices, top.scores, admissible);
  }
  const options = {
    k: want,
    threads: 1,
    ...(seenIdx.length > 0 ? { exclude: { indptr: Int32Array.of(0, seenIdx.length), indices: Int32Array.from(seenIdx) } } : {}),
    ...(allowSet ? { allow: allowSet } : {}),
  };
  const query = { data: vector, rows: 1, cols: vector.length };
  const result = sync ? topKSync(query, items.factors, options) : await topK(query, items.factors, options);
  const row = result.row(0);
  return collect(items.ids, row.indices, row.scores, admissible);
}

/**
 * Raises the boost of candidates in the context item's leaf category (+0.5) or matching the
 * context query (up to +0.5, by BM25F relative to the best match), in place.
 */
export function biasByContext(catalog: CatalogState, candidates: Candidate[], contextItem: ItemRecord | undefined, query: string | undefined): void {
  let matches: Map<string, number> | undefined;
  if (query !== undefined && query.trim().length > 0) {
    try {
      const res = catalog.textIndex.search({ query, k: 1000 });
      const top = res.hits[0]?.score ?? 0;
      matches = new Map(res.hits.map((h) => [h.id, top > 0 ? h.score / top : 0]));
    } catch {
      matches = undefined; // an unsearchable context query biases nothing
    }
  }
  const leaf = contextItem?.categoryPath.join('\u0000');
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const item = catalog.items.get(c.item)!;
    let extra = 0;
    if (leaf !== undefined && item.categoryPath.join('\u0000') === leaf) extra += 0.5;
    extra += 0.5 * (matches?.get(c.item) ?? 0);
    if (extra > 0) {
      const boost = typeof item.attributes['boost'] === 'number' ? item.attributes['boost'] : 0;
      candidates[i] = { ...c, boost: boost + extra };
    }
  }
}
