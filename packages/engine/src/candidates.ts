/**
 * Recommendation candidates: from the live model (the user's vector against the item factors
 * through the fused top-K kernel, or the model's own `recommend` for its users), from popularity
 * (optionally within categories), and the context bias (the viewed item's category, a query).
 * @packageDocumentation
 */
import { bitsetFromIndices, topK, type ItemBitset } from '@souk/kernels';
import { ALS, type FactorModel } from '@souk/models';
import type { ItemRecord } from '@souk/data';
import type { Candidate } from '@souk/ranking';
import type { CatalogState } from './catalog.js';
import { kernelInfo } from './kernel-info.js';
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
  const itemIndex = m.idIndices().items;
  const ids = m.itemIds;
  if (!ids) return [];
  let allowSet: ItemBitset | undefined;
  if (allow) {
    const ok: number[] = [];
    for (let i = 0; i < ids.length; i++) if (catalog.items.has(ids[i]!) && allow(ids[i]!)) ok.push(i);
    if (ok.length === 0) return [];
    allowSet = bitsetFromIndices(ids.length, ok);
  }
  const seenIdx = [...seen].map((id) => itemIndex.find(id)).filter((i) => i >= 0).sort((a, b) => a - b);
  const want = Math.min(kernelInfo().maxK, ids.length, RECOMMEND_CANDIDATES + seenIdx.length);
  let indices: ArrayLike<number>;
  let scores: ArrayLike<number>;
  if (v.vector && (m instanceof ALS || v.modelIndex < 0)) {
    const factors = (m as FactorModel).itemFactors;
    // The async form: the scan runs on the kernels' threads while the event loop serves others.
    const result = await topK({ data: v.vector, rows: 1, cols: v.vector.length }, factors, {
      k: want,
      ...(seenIdx.length > 0 ? { exclude: { indptr: Int32Array.of(0, seenIdx.length), indices: Int32Array.from(seenIdx) } } : {}),
      ...(allowSet ? { allow: allowSet } : {}),
    });
    const row = result.row(0);
    indices = row.indices;
    scores = row.scores;
  } else if (v.modelIndex >= 0) {
    const recs = await m.recommend(Int32Array.of(v.modelIndex), { k: want, filterSeen: seen.size > 0, ...(allowSet ? { allow: allowSet } : {}) });
    const row = recs.row(0);
    indices = row.items;
    scores = row.scores;
  } else return [];
  const out: Candidate[] = [];
  for (let j = 0; j < indices.length && out.length < RECOMMEND_CANDIDATES; j++) {
    const id = ids[indices[j]!]!;
    const s = scores[j]!;
    if (admissible(id) && Number.isFinite(s)) out.push({ item: id, textScore: s });
  }
  return out;
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
