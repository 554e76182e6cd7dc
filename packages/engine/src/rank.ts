/**
 * Ranking of candidates for search and recommendations with `@souk/ranking`'s ranker, and the
 * mapping of the selection to result rows (with per-feature contributions when asked).
 * @packageDocumentation
 */
import type { ItemRecord } from '@souk/data';
import { FEATURE_NAMES, LinearScorer, Ranker, type Candidate, type RankingCatalog, type UserSignals } from '@souk/ranking';
import type { RankedRequestOptions, ResultItem } from './types.js';
import { mapErrors } from './validate.js';
import { itemView } from './views.js';

/**
 * Weights of the recommendation scorer: the candidate generator's (model's) score is the `text`
 * feature, normalised by the list's best; the profile adds a lighter category, brand and price
 * nudge. `latent` stays 0 here because for factor models it repeats the model score. (Search
 * uses the ranker's default weights, where the text score is BM25F.)
 */
export const RECOMMEND_WEIGHTS: Readonly<Record<string, number>> = { text: 1, latent: 0, category: 0.3, brand: 0.15, priceFit: 0.1, popularity: 0.02, recency: 0.05, margin: 0, boost: 1 };
const RECOMMEND_SCORER = LinearScorer.manual(FEATURE_NAMES, RECOMMEND_WEIGHTS);

/** One ranking request of the engine. */
export interface EngineRankRequest {
  readonly catalog: RankingCatalog;
  readonly items: ReadonlyMap<string, ItemRecord>;
  readonly candidates: readonly Candidate[];
  readonly options: RankedRequestOptions;
  readonly user: UserSignals | undefined;
  readonly k: number;
  readonly now: number;
  /** The query of a search (undefined: a recommendation). */
  readonly query?: string;
}

/** Ranks candidates and maps the selection to result rows. */
export function rankCandidates(request: EngineRankRequest): ResultItem[] {
  const { options, query } = request;
  const ranker = new Ranker({ catalog: request.catalog, ...(query === undefined ? { scorer: RECOMMEND_SCORER } : {}) });
  const result = mapErrors(() =>
    ranker.rank({
      candidates: request.candidates,
      k: request.k,
      now: request.now,
      ...(request.user ? { user: request.user } : {}),
      ...(query !== undefined ? { query } : {}),
      ...(options.mode !== undefined ? { mode: options.mode } : {}),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.diversity !== undefined ? { diversity: options.diversity } : {}),
      ...(options.rules !== undefined ? { rules: options.rules } : {}),
    }),
  );
  let rowOf: Map<string, number> | undefined;
  const scorer = ranker.scorerFor(query !== undefined ? { query } : {});
  const explain = (item: string): Record<string, number> | undefined => {
    rowOf ??= new Map(result.features.items.map((id, r) => [id, r]));
    const r = rowOf.get(item);
    if (r === undefined) return undefined;
    const f = result.features;
    const out: Record<string, number> = {};
    scorer.features.forEach((name, j) => {
      let x = f.data[r * f.cols + f.names.indexOf(name)]!;
      if (scorer.normalizer) x = (x - scorer.normalizer.mean[j]!) / scorer.normalizer.std[j]!;
      out[name] = scorer.weights[j]! * x;
    });
    return out;
  };
  return result.items.map((sel) => {
    const explanation = options.explain ? explain(sel.item) : undefined;
    return { item: itemView(request.items.get(sel.item)!), position: sel.position, score: sel.score, reason: sel.reason, ...(explanation ? { explanation } : {}) };
  });
}
