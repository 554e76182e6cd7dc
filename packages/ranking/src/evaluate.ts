/**
 * Offline lift of personalisation and of the learned ranker on the synthetic shop.
 *
 * Protocol (leak-free, online): the shop's event stream is replayed session by session in time
 * order. Before each session, the candidates are built and their features taken from the user's
 * profile *as it stands* (the profile source is updated with the session's events only after),
 * and popularity counts likewise. A session that starts with a search for a generated query is a
 * search request: the candidates are the query's judged items plus random distractors, with a
 * retrieval-like text score = graded relevance + Gaussian noise (distractors grade 0). Any other
 * session is a recommendation request: the items the user engaged with plus random catalog
 * items, without text. The ground truth of a session is what the user did in it: gain 1 view,
 * 2 click, 3 cart, 4 purchase. The first `trainFraction` of sessions (after an optional warm-up
 * share that only feeds profiles and popularity) train the scorers — logistic: label
 * engaged-or-not with the gain as sample weight; pairwise: gains within each session — one set for
 * search and one for recommendations (a `Ranker` holds a scorer and a search scorer); the rest
 * are held out and report nDCG@k and MRR per component. A latent model must not have seen the
 * ranker's training sessions (fit it on the warm-up share), or the learned latent weight is
 * inflated by leakage and hurts held-out search.
 * @packageDocumentation
 */
import { seededRandom, type EventRecord, type SyntheticShop } from '@souk/data';
import { rankingError } from './errors.js';
import { extractFeatures, FEATURE_NAMES, RankingCatalog, stackFeatures, type Candidate, type FeatureMatrix, type RankingCatalogOptions, type UserSignals } from './features.js';
import { LinearScorer, trainLogistic, trainPairwise, type ScorerJson } from './linear.js';
import { ndcgAt, orderByScore, reciprocalRank } from './metrics.js';
import { DEFAULT_WEIGHTS } from './ranker.js';

/** Where user signals come from: a `@souk/profiles` `ProfileStore` fits as is. */
export interface ProfileSource {
  /** Applies one event. */
  update(event: EventRecord): unknown;
  /** The user's signals, if any. */
  get(user: string): UserSignals | undefined;
}

/** Options of {@link evaluateRankingLift}. */
export interface LiftOptions {
  /** A fresh, empty profile source (e.g. `new ProfileStore({catalog: shop.items})`). */
  readonly profiles: ProfileSource;
  /** Events replayed (default 40,000). */
  readonly events?: number;
  /** Share of sessions used for training, in time order (default 0.7). */
  readonly trainFraction?: number;
  /**
   * Share of the first sessions only replayed into profiles and popularity, not used as training
   * sessions (default 0): fit a latent model on them (`liftSessions(shop, {trainFraction:
   * warmupFraction})`) so that its factors have not seen the ranker's training sessions.
   */
  readonly warmupFraction?: number;
  /** Seed of the event stream, noise and distractors (default 1). */
  readonly seed?: number;
  /** Cut-off of nDCG (default 10). */
  readonly k?: number;
  /** Standard deviation of the text-score noise (default 1). */
  readonly textNoise?: number;
  /** Random distractors added to each search's candidates (default 20). */
  readonly distractors?: number;
  /** Random catalog items added to each recommendation's candidates (default 100). */
  readonly recommendCandidates?: number;
  /** Training epochs (default 10). */
  readonly epochs?: number;
  /**
   * Item vectors for the latent feature (e.g. ALS item factors fitted on {@link liftSessions}'
   * training events; the profile source then needs the same model for the users' fold-in).
   */
  readonly itemVectors?: RankingCatalogOptions['itemVectors'];
}

/** The replayed sessions of {@link evaluateRankingLift}, and the split. */
export interface LiftSessions {
  /** Sessions in time order, each its events. */
  readonly sessions: EventRecord[][];
  /** The first `trainCount` sessions train; the rest are held out. */
  readonly trainCount: number;
  /** Events of the training sessions (to fit a model without touching held-out data). */
  readonly trainEvents: EventRecord[];
}

/** The sessions {@link evaluateRankingLift} replays and where it splits them (same options, same result). */
export function liftSessions(shop: SyntheticShop, options: Pick<LiftOptions, 'events' | 'seed' | 'trainFraction'> = {}): LiftSessions {
  const eventCount = options.events ?? 40_000;
  const trainFraction = options.trainFraction ?? 0.7;
  if (!(trainFraction > 0 && trainFraction < 1)) throw rankingError('ERR_ARGUMENT', 'a fraction in (0, 1)', 'trainFraction', trainFraction);
  // Sessions are contiguous in the stream.
  const sessions: EventRecord[][] = [];
  for (const e of shop.events({ events: eventCount, seed: options.seed ?? 1 })) {
    const last = sessions[sessions.length - 1];
    if (last && last[0]!.session === e.session) last.push(e);
    else sessions.push([e]);
  }
  const trainCount = Math.floor(sessions.length * trainFraction);
  return { sessions, trainCount, trainEvents: sessions.slice(0, trainCount).flat() };
}

/** The weights learned for one scenario. */
export interface LearnedWeights {
  /** Logistic regression on all features. */
  readonly logistic: ScorerJson;
  /** Logistic regression without the user features (the non-personalised learned ranker). */
  readonly logisticNoUser: ScorerJson;
  /** Pairwise LambdaRank-style model on all features. */
  readonly pairwise: ScorerJson;
}

/** One line of the lift table. */
export interface LiftRow {
  /** `'search'` or `'recommend'`. */
  readonly scenario: 'search' | 'recommend';
  /** What ranked the candidates. */
  readonly component: string;
  /** Mean nDCG@k over held-out sessions. */
  readonly ndcg: number;
  /** Mean reciprocal rank over held-out sessions. */
  readonly mrr: number;
  /** Held-out sessions. */
  readonly sessions: number;
}

/** What {@link evaluateRankingLift} returns. */
export interface LiftReport {
  /** Component → metrics, per scenario. */
  readonly rows: LiftRow[];
  /** The rows as a Markdown table. */
  readonly table: string;
  /** Sessions used for training and held out. */
  readonly trainSessions: number;
  /** Held-out sessions (both scenarios). */
  readonly testSessions: number;
  /** The learned weights per scenario (one scorer set for search, one for recommendations). */
  readonly weights: Readonly<Partial<Record<'search' | 'recommend', LearnedWeights>>>;
}

/** Component names, in table order. */
export const LIFT_COMPONENTS = {
  text: 'text only (baseline)',
  popularity: 'popularity only',
  latent: 'latent dot product only',
  manual: 'hand-weighted, personalised',
  learnedNoUser: 'learned logistic, no user features',
  logistic: 'learned logistic, personalised',
  pairwise: 'learned pairwise, personalised',
} as const;

const USER_FEATURES = new Set(['latent', 'category', 'brand', 'priceFit']);

interface Group {
  scenario: 'search' | 'recommend';
  train: boolean;
  features: FeatureMatrix;
  gains: Float64Array;
}

const LEVEL: Partial<Record<EventRecord['type'], number>> = { view: 1, click: 2, cart: 3, purchase: 4 };

/** A sub-matrix with the named columns. */
function columns(f: FeatureMatrix, names: readonly string[]): FeatureMatrix {
  const idx = names.map((n) => f.names.indexOf(n));
  const data = new Float64Array(f.rows * names.length);
  for (let r = 0; r < f.rows; r++) for (let j = 0; j < idx.length; j++) data[r * names.length + j] = f.data[r * f.cols + idx[j]!]!;
  return { names, rows: f.rows, cols: names.length, data, items: f.items };
}

/** Trains the three scorers of one scenario on its training sessions. */
function trainScorers(train: Group[], epochs: number, seed: number): { logistic: LinearScorer; logisticNoUser: LinearScorer; pairwise: LinearScorer } {
  const stacked = stackFeatures(train.map((g) => g.features));
  const gains = Float64Array.from(train.flatMap((g) => Array.from(g.gains)));
  const groupIds = Int32Array.from(train.flatMap((g, i) => Array.from(g.gains, () => i)));
  const labels = Float64Array.from(gains, (g) => (g > 0 ? 1 : 0));
  const sampleWeights = Float64Array.from(gains, (g) => (g > 0 ? g : 1));
  const logistic = trainLogistic({ features: stacked, labels, weights: sampleWeights }, { epochs, learningRate: 0.01, seed }).scorer;
  const noUserNames = FEATURE_NAMES.filter((n) => !USER_FEATURES.has(n));
  const logisticNoUser = trainLogistic({ features: columns(stacked, noUserNames), labels, weights: sampleWeights }, { epochs, learningRate: 0.01, seed }).scorer;
  const pairwise = trainPairwise({ features: stacked, groups: groupIds, gains }, { epochs, learningRate: 0.02, seed, maxPairsPerGroup: 100 }).scorer;
  return { logistic, logisticNoUser, pairwise };
}

/**
 * Replays the shop's events, trains the scorers on the first sessions and reports nDCG@k and
 * MRR on the held-out ones: text-only and popularity baselines, hand-weighted personalisation,
 * learned logistic without and with user features, learned pairwise (see the module
 * description for the protocol).
 */
export function evaluateRankingLift(shop: SyntheticShop, options: LiftOptions): LiftReport {
  if (typeof options !== 'object' || options === null || !options.profiles) throw rankingError('ERR_ARGUMENT', 'options with a profile source', 'options.profiles', options?.profiles);
  const eventCount = options.events ?? 40_000;
  const seed = options.seed ?? 1;
  const k = options.k ?? 10;
  const noise = options.textNoise ?? 1;
  const distractors = options.distractors ?? 20;
  const recCandidates = options.recommendCandidates ?? 100;
  const epochs = options.epochs ?? 10;
  const profiles = options.profiles;

  const catalog = new RankingCatalog(shop.items, options.itemVectors ? { itemVectors: options.itemVectors } : {});
  const ids = shop.items.map((i) => i.id);
  const queryByText = new Map<string, (typeof shop.queries)[number]>();
  for (const q of shop.queries) if (!queryByText.has(q.text)) queryByText.set(q.text, q);
  const random = seededRandom((seed ^ 0x5eed1234) >>> 0);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());

  const { sessions, trainCount } = liftSessions(shop, options);
  const warmupFraction = options.warmupFraction ?? 0;
  if (!(warmupFraction >= 0 && warmupFraction < (options.trainFraction ?? 0.7))) throw rankingError('ERR_ARGUMENT', 'a fraction in [0, trainFraction)', 'warmupFraction', warmupFraction);
  const warmupCount = Math.floor(sessions.length * warmupFraction);
  const groups: Group[] = [];
  sessions.forEach((session, s) => {
    const first = session[0]!;
    const engaged = new Map<string, number>();
    for (const e of session) {
      const level = LEVEL[e.type];
      if (e.item !== undefined && level !== undefined) engaged.set(e.item, Math.max(engaged.get(e.item) ?? 0, level));
    }
    if (engaged.size > 0 && s >= warmupCount) {
      const query = first.type === 'search' && first.query !== undefined ? queryByText.get(first.query) : undefined;
      const candidates: Candidate[] = [];
      const inList = new Set<string>();
      let scenario: Group['scenario'];
      if (query) {
        scenario = 'search';
        for (const r of query.relevance) {
          candidates.push({ item: r.item, textScore: r.grade + noise * normal() });
          inList.add(r.item);
        }
        for (let d = 0, tries = 0; d < distractors && tries < distractors * 10; tries++) {
          const id = ids[Math.floor(random() * ids.length)]!;
          if (inList.has(id)) continue;
          inList.add(id);
          candidates.push({ item: id, textScore: noise * normal() });
          d++;
        }
      } else {
        scenario = 'recommend';
        for (const id of engaged.keys()) {
          candidates.push({ item: id });
          inList.add(id);
        }
        for (let d = 0, tries = 0; d < recCandidates && tries < recCandidates * 10; tries++) {
          const id = ids[Math.floor(random() * ids.length)]!;
          if (inList.has(id)) continue;
          inList.add(id);
          candidates.push({ item: id });
          d++;
        }
      }
      const features = extractFeatures(catalog, profiles.get(first.user), candidates, { now: first.timestamp });
      const gains = Float64Array.from(candidates, (c) => engaged.get(c.item) ?? 0);
      if (gains.some((g) => g > 0) && s >= warmupCount) groups.push({ scenario, train: s < trainCount, features, gains });
    }
    for (const e of session) {
      profiles.update(e);
      if (e.item !== undefined && LEVEL[e.type] !== undefined) catalog.addPopularity(e.item);
    }
  });

  const train = groups.filter((g) => g.train);
  const test = groups.filter((g) => !g.train);
  if (train.length === 0 || test.length === 0) throw rankingError('ERR_TRAINING_DATA', 'sessions with engagement in both periods', 'events', eventCount);
  const manual = LinearScorer.manual(FEATURE_NAMES, DEFAULT_WEIGHTS);
  const rows: LiftRow[] = [];
  const weights = {} as Record<'search' | 'recommend', LearnedWeights>;
  for (const scenario of ['search', 'recommend'] as const) {
    const held = test.filter((g) => g.scenario === scenario);
    const learnFrom = train.filter((g) => g.scenario === scenario);
    if (held.length === 0 || learnFrom.length === 0) continue;
    const learned = trainScorers(learnFrom, epochs, seed);
    weights[scenario] = { logistic: learned.logistic.toJSON(), logisticNoUser: learned.logisticNoUser.toJSON(), pairwise: learned.pairwise.toJSON() };
    const scorers: Array<[string, (f: FeatureMatrix) => ArrayLike<number>]> = [
      ...(scenario === 'search' ? [[LIFT_COMPONENTS.text, (f: FeatureMatrix) => columns(f, ['text']).data] as [string, (f: FeatureMatrix) => ArrayLike<number>]] : []),
      [LIFT_COMPONENTS.popularity, (f) => columns(f, ['popularity']).data],
      ...(options.itemVectors ? [[LIFT_COMPONENTS.latent, (f: FeatureMatrix) => columns(f, ['latent']).data] as [string, (f: FeatureMatrix) => ArrayLike<number>]] : []),
      [LIFT_COMPONENTS.manual, (f) => manual.score(f)],
      [LIFT_COMPONENTS.learnedNoUser, (f) => learned.logisticNoUser.score(f)],
      [LIFT_COMPONENTS.logistic, (f) => learned.logistic.score(f)],
      [LIFT_COMPONENTS.pairwise, (f) => learned.pairwise.score(f)],
    ];
    for (const [component, score] of scorers) {
      let ndcg = 0;
      let mrr = 0;
      for (const g of held) {
        const ranked = orderByScore(score(g.features)).map((i) => g.gains[i]!);
        ndcg += ndcgAt(ranked, k, g.gains);
        mrr += reciprocalRank(ranked);
      }
      rows.push({ scenario, component, ndcg: ndcg / held.length, mrr: mrr / held.length, sessions: held.length });
    }
  }
  const table = [
    `| scenario | component | nDCG@${k} | MRR | held-out sessions |`,
    '|---|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.scenario} | ${r.component} | ${r.ndcg.toFixed(4)} | ${r.mrr.toFixed(4)} | ${r.sessions} |`),
  ].join('\n');
  return {
    rows,
    table,
    trainSessions: train.length,
    testSessions: test.length,
    weights,
  };
}
