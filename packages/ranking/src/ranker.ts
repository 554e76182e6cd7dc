/**
 * The one ranker for search and recommendations: features for (user, query, candidates) →
 * scores from a linear scorer (learned or hand-set) → selection (top-K or softmax / sampled
 * exploration through the kernels, diversity, pins / bury / exclude).
 * @packageDocumentation
 */
import { rankingError } from './errors.js';
import { extractFeatures, featureRows, FEATURE_NAMES, type Candidate, type FeatureMatrix, type RankingCatalog, type UserSignals } from './features.js';
import { LinearScorer, RANKER_FORMAT, RANKER_VERSION, type ScorerJson } from './linear.js';
import { selectTop, type SelectedItem, type SelectOptions } from './select.js';

/** Hand-set default weights (raw features, no normalisation) used before a model is learned. */
export const DEFAULT_WEIGHTS: Readonly<Record<string, number>> = {
  text: 1,
  latent: 0.5,
  category: 1,
  brand: 0.5,
  priceFit: 0.3,
  popularity: 0.1,
  recency: 0.1,
  margin: 0,
  boost: 1,
};

/** A ranker's learned weights: its scorer and optional search scorer, versioned. */
export interface RankerWeightsJson {
  /** {@link RANKER_FORMAT}. */
  readonly format: string;
  /** {@link RANKER_VERSION}. */
  readonly version: number;
  /** The recommendation (default) scorer. */
  readonly scorer: ScorerJson;
  /** The search scorer, if set. */
  readonly searchScorer?: ScorerJson;
}

/** Options of a {@link Ranker}. */
export interface RankerOptions {
  /** The item facts and statistics. */
  readonly catalog: RankingCatalog;
  /** The scorer (default {@link DEFAULT_WEIGHTS}); used for every request without a `searchScorer`. */
  readonly scorer?: LinearScorer;
  /** The scorer for requests with a query (search), when it differs from the recommendation one. */
  readonly searchScorer?: LinearScorer;
  /** Category level used by diversity limits: number of path elements (default all: the leaf). */
  readonly diversityCategoryDepth?: number;
}

/** One ranking request. */
export interface RankRequest extends Omit<SelectOptions, 'k'> {
  /** The user (a `UserProfile` fits), absent for anonymous requests. */
  readonly user?: UserSignals;
  /** The query text, for the record (retrieval's text scores come with the candidates). */
  readonly query?: string;
  /** Candidates from retrieval or recommendation. */
  readonly candidates: readonly Candidate[];
  /** Items returned (default 10). */
  readonly k?: number;
  /** Request time (ms, default now). */
  readonly now?: number;
}

/** A ranked list. */
export interface RankResult {
  /** The selected items, in order. */
  readonly items: SelectedItem[];
  /**
   * Feature rows of all candidates (candidate order). The `latent` column is 0 when the scorer
   * weighs it 0 (it is not computed); {@link Ranker.features} computes every column.
   */
  readonly features: FeatureMatrix;
  /** Score of each candidate (candidate order). */
  readonly scores: Float64Array;
}

/** Ranks candidates for search and recommendations with one code path. */
export class Ranker {
  /** Item facts. */
  readonly catalog: RankingCatalog;
  /** The scorer of recommendations (and of searches without a `searchScorer`). */
  scorer: LinearScorer;
  /** The scorer of searches (requests with a `query`), if set. */
  searchScorer: LinearScorer | undefined;
  private readonly categoryDepth: number | undefined;

  /** A ranker over a catalog. */
  constructor(options: RankerOptions) {
    if (typeof options !== 'object' || options === null || !options.catalog) throw rankingError('ERR_ARGUMENT', 'options with a catalog', 'options', options);
    this.catalog = options.catalog;
    this.scorer = options.scorer ?? LinearScorer.manual(FEATURE_NAMES, DEFAULT_WEIGHTS);
    this.searchScorer = options.searchScorer;
    const depth = options.diversityCategoryDepth;
    if (depth !== undefined && (!Number.isInteger(depth) || depth < 1)) throw rankingError('ERR_ARGUMENT', 'a positive integer', 'diversityCategoryDepth', depth);
    this.categoryDepth = depth;
  }

  /** The scorers as versioned JSON (`JSON.stringify` it as is). */
  saveWeights(): RankerWeightsJson {
    return { format: RANKER_FORMAT, version: RANKER_VERSION, scorer: this.scorer.toJSON(), ...(this.searchScorer ? { searchScorer: this.searchScorer.toJSON() } : {}) };
  }

  /** Replaces the scorers with saved ones (object or JSON text); `ERR_FORMAT` for foreign or newer files. */
  loadWeights(data: RankerWeightsJson | string): void {
    let j: unknown = data;
    if (typeof data === 'string') {
      try {
        j = JSON.parse(data);
      } catch (cause) {
        throw rankingError('ERR_FORMAT', 'JSON text', 'data', cause instanceof Error ? cause.message : data);
      }
    }
    const o = j as Partial<RankerWeightsJson> | null;
    if (typeof o !== 'object' || o === null || o.format !== RANKER_FORMAT) throw rankingError('ERR_FORMAT', `a ${RANKER_FORMAT} document`, 'data.format', o?.format);
    if (typeof o.version !== 'number' || o.version < 1 || o.version > RANKER_VERSION) throw rankingError('ERR_FORMAT', `version 1..${RANKER_VERSION}`, 'data.version', o.version);
    if (o.scorer === undefined) throw rankingError('ERR_FORMAT', 'a scorer', 'data.scorer', o.scorer);
    const scorer = LinearScorer.fromJSON(o.scorer);
    const searchScorer = o.searchScorer === undefined ? undefined : LinearScorer.fromJSON(o.searchScorer);
    this.scorer = scorer;
    this.searchScorer = searchScorer;
  }

  /** Feature rows of a request's candidates. */
  features(request: Pick<RankRequest, 'user' | 'candidates' | 'now'>): FeatureMatrix {
    return extractFeatures(this.catalog, request.user, request.candidates, request.now === undefined ? {} : { now: request.now });
  }

  /** The scorer a request uses: the search scorer when it has a query and one is set. */
  scorerFor(request: Pick<RankRequest, 'query'>): LinearScorer {
    return request.query !== undefined && this.searchScorer ? this.searchScorer : this.scorer;
  }

  /** Scores of a request's candidates (candidate order). */
  score(request: Pick<RankRequest, 'user' | 'candidates' | 'now' | 'query'>): Float64Array {
    return this.scorerFor(request).score(this.features(request));
  }

  /** Features → scores → selection. */
  rank(request: RankRequest): RankResult {
    if (typeof request !== 'object' || request === null) throw rankingError('ERR_ARGUMENT', 'a request object', 'request', request);
    const scorer = this.scorerFor(request);
    // The latent column costs a dot product per candidate (a cache miss on the item's vector);
    // a scorer that weighs it 0 (the engine's recommendations) gets 0 there instead.
    const at = scorer.features.indexOf('latent');
    const latent = at >= 0 && scorer.weights[at] !== 0;
    const { matrix: features, facts } = featureRows(this.catalog, request.user, request.candidates, { latent, ...(request.now === undefined ? {} : { now: request.now }) });
    const scores = scorer.score(features);
    const depth = this.categoryDepth;
    const scored = facts.map((item, r) => {
      const category = depth === undefined || item.path.length <= depth ? item.category : item.path.slice(0, depth).join('/');
      return { item: item.id, score: scores[r]!, category, ...(item.brand !== undefined ? { brand: item.brand } : {}) };
    });
    const items = selectTop(scored, { ...request, k: request.k ?? 10 });
    return { items, features, scores };
  }
}
