// The search-quality chain: one query set, four cumulative steps, each measured against the
// synthetic shop's ground truth.
//
//   1. text       BM25F only: every query term must match exactly (no typos, no synonyms).
//   2. +typos/syn the same index with typo tolerance and the shop's synonym rules.
//   3. +personal  step 2's top candidates re-ranked by the hand-weighted ranker
//                 (`DEFAULT_WEIGHTS` of @souk/ranking: text, category/brand affinity and price
//                 fit from the user's profile, popularity, ...).
//   4. +learned   the same candidates ranked by a learned scorer, logistic or pairwise, trained
//                 on the training split of logged sessions only.
//
// The query set is the shop's logged search sessions: the event stream is replayed in time
// order; each session that starts with a search is one request (user, query, time). A third of the
// sessions keep the clean query, a third get a typo'd query (English: two adjacent letters of every
// 6+ letter word swapped; Chinese catalogs get no typos: the index does not correct Han
// characters), a third a synonym in place of the product word, where the query allows it; the
// rest stay clean. Two ground truths per request:
//   - graded: the generator's judgements for the query (3 exact, 2 close, 1 same category);
//   - engagement: what the user did in that session (1 click, 2 cart, 3 purchase; views are
//     impressions and count 0) — personalised: clicks and purchases follow the user's price
//     sensitivity and the item's quality, so two users with the same query engage differently.
//     Engagement metrics are over the requests with at least one click.
// nDCG@10 uses gain 2^g − 1 and the ideal order of all judged / engaged items (so an item never
// retrieved still counts against recall); MRR is the reciprocal rank of the first grade-3 item
// (graded) or the first engaged item (engagement); the zero-result rate is the share of requests
// with no hit (re-ranking does not change it, so steps 3 and 4 repeat step 2's).
//
// No leakage: sessions are split in time (`trainFraction`, default 0.7). Profiles and popularity
// are updated with a session's events only after its request is answered, so every request sees
// only the past; the learned scorers are fitted on training-split requests only and every metric
// is over the held-out requests.
import { createSyntheticShop, seededRandom, type EventRecord, type SyntheticQuery, type SyntheticShop } from '../../packages/data/src/index.js';
import { ProfileStore } from '../../packages/profiles/src/index.js';
import {
  DEFAULT_WEIGHTS,
  FEATURE_NAMES,
  LinearScorer,
  RankingCatalog,
  extractFeatures,
  liftSessions,
  ndcgAt,
  orderByScore,
  stackFeatures,
  trainLogistic,
  trainPairwise,
  type FeatureMatrix,
} from '../../packages/ranking/src/index.js';
import { TextIndex, type SearchRequest, type SynonymRule } from '../../packages/retrieval/src/index.js';

/**
 * Synonym rules a shop would configure; the left-hand words never occur in the catalogs, so only
 * the rules connect them to the products.
 */
export const SYNONYMS: Record<'en' | 'zh', ReadonlyArray<readonly [string, string]>> = {
  en: [['cellphone', 'smartphone'], ['headset', 'headphones'], ['trainers', 'sneakers'], ['coat', 'jacket'], ['rucksack', 'backpack'], ['skillet', 'wok'], ['lotion', 'moisturizer'], ['crisps', 'chips'], ['biscuits', 'cookies'], ['helmet', 'bike helmet'], ['computer', 'laptop'], ['doona', 'duvet']],
  zh: [['跑鞋', '跑步鞋'], ['背包', '双肩包'], ['电脑', '笔记本电脑'], ['耳麦', '蓝牙耳机'], ['炒菜锅', '炒锅'], ['口红', '唇膏'], ['零嘴', '坚果'], ['单车', '山地车'], ['枕芯', '枕头'], ['冲锋外套', '冲锋衣']],
};

/** The synonym rules whose two sides are single terms for the analyzer (multi-word sides are dropped). */
export function singleTermSynonyms(locale: 'en' | 'zh'): { rules: SynonymRule[]; pairs: Array<readonly [string, string]> } {
  const probe = new TextIndex({ protectedWords: SYNONYMS[locale].flat() });
  const single = (t: string) => probe.textAnalyzer.analyzeQuery(t).length === 1;
  const pairs = SYNONYMS[locale].filter(([from, to]) => single(from) && single(to));
  return { rules: pairs.map(([from, to]) => ({ from, to: [to] })), pairs };
}

/** A query with a typo: two adjacent letters swapped in every English word of 6+ letters (undefined when none). */
export function typoVariant(text: string): string | undefined {
  const words = text.split(' ');
  if (!words.some((w) => /^[a-z]{6,}$/.test(w))) return undefined;
  return words.map((w) => (/^[a-z]{6,}$/.test(w) ? w.slice(0, 2) + w[3] + w[2] + w.slice(4) : w)).join(' ');
}

/** The query with its product word replaced by a synonym from `pairs` (undefined when none applies). */
export function synonymVariant(text: string, pairs: ReadonlyArray<readonly [string, string]>): string | undefined {
  // Longest catalog word first, so 笔记本电脑 is replaced before 电脑 could be.
  const pair = [...pairs].sort((a, b) => b[1].length - a[1].length).find(([, word]) => text.includes(word) && !text.includes(word + word.slice(-1)));
  return pair ? text.replace(pair[1], pair[0]) : undefined;
}

/** The typo'd variants of the queries that have one. */
export function typoQueries(queries: readonly SyntheticQuery[]): SyntheticQuery[] {
  return queries.flatMap((q) => {
    const text = typoVariant(q.text);
    return text ? [{ ...q, text }] : [];
  });
}

/** The synonym variants of the queries that have one. */
export function synonymQueries(queries: readonly SyntheticQuery[], pairs: ReadonlyArray<readonly [string, string]>): SyntheticQuery[] {
  return queries.flatMap((q) => {
    const text = synonymVariant(q.text, pairs);
    return text ? [{ ...q, text }] : [];
  });
}

/** The steps of the chain, in order. */
export const CHAIN_STEPS = ['text', 'typosSynonyms', 'personalised', 'learnedLogistic', 'learnedPairwise'] as const;
/** One step of the chain. */
export type ChainStep = (typeof CHAIN_STEPS)[number];

/** What each step adds, for reports. */
export const CHAIN_STEP_LABELS: Record<ChainStep, string> = {
  text: '1 text only (BM25F)',
  typosSynonyms: '2 + typos and synonyms',
  personalised: '3 + personalisation (hand-weighted)',
  learnedLogistic: '4a + learned ranker (logistic)',
  learnedPairwise: '4b + learned ranker (pairwise)',
};

/** Options of {@link runSearchQualityChain}. */
export interface ChainOptions {
  /** Catalog language. */
  readonly locale: 'en' | 'zh';
  /** Shop seed (default 2026). */
  readonly seed?: number;
  /** Catalog size (default 5,000). */
  readonly items?: number;
  /** Users (default 1,000). */
  readonly users?: number;
  /** Ground-truth queries the sessions search for (default 300). */
  readonly queries?: number;
  /** Events replayed (default 200,000). */
  readonly events?: number;
  /** Share of sessions, in time order, whose requests train the learned ranker (default 0.7). */
  readonly trainFraction?: number;
  /** Text hits re-ranked by steps 3 and 4 (default 100). */
  readonly candidates?: number;
  /** Training epochs of the learned scorers (default 10). */
  readonly epochs?: number;
  /** Measure per-request latency (default true). */
  readonly timing?: boolean;
}

/** nDCG@10, MRR and zero-result rate of one step on one request subset. */
export interface StepMetrics {
  readonly ndcg: number;
  readonly mrr: number;
  readonly zeroResultRate: number;
  readonly requests: number;
}

/** Per ground truth, per step. */
export type ChainTable = Record<'graded' | 'engagement', Record<ChainStep, StepMetrics>>;

/** Latency percentiles of one stage (ms). */
export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

/** What {@link runSearchQualityChain} returns. */
export interface ChainReport {
  readonly locale: 'en' | 'zh';
  readonly options: Required<Omit<ChainOptions, 'timing'>>;
  /** Index facts. */
  readonly index: { readonly items: number; readonly terms: number; readonly buildSeconds: number; readonly memoryBytes: number; readonly diskBytes: number };
  /** Requests per split and per query form. */
  readonly requests: { readonly train: number; readonly heldOut: number; readonly clean: number; readonly typo: number; readonly synonym: number };
  /** Held-out metrics for all requests, the clean ones and the noisy (typo or synonym) ones. */
  readonly heldOut: Record<'all' | 'clean' | 'noisy', ChainTable>;
  /** Text search alone over the shop's full query set (clean, typo'd, synonym), graded ground truth. */
  readonly querySet: Record<'clean' | 'typo' | 'synonym', Record<'text' | 'typosSynonyms', StepMetrics>>;
  /** Per-request latency of the text search (steps 1–2) and of search + features + scoring (steps 3–4). */
  readonly latency?: { readonly text: LatencySummary; readonly typosSynonyms: LatencySummary; readonly ranked: LatencySummary };
  /** Learned weights (feature → weight), for inspection. */
  readonly weights: { readonly logistic: Record<string, number>; readonly pairwise: Record<string, number> };
}

const LEVEL: Partial<Record<EventRecord['type'], number>> = { click: 1, cart: 2, purchase: 3 };
/** Events that count as an item's popularity (every interaction, views included). */
const INTERACTIONS = new Set<EventRecord['type']>(['view', 'click', 'cart', 'purchase']);
const TEXT_ONLY: Partial<SearchRequest> = { typos: false, synonyms: false, fallback: false };
const TYPOS_SYNONYMS: Partial<SearchRequest> = { typos: true, synonyms: true, fallback: false };

/** One request as replayed: what each step ranked (item ids, best first) and both ground truths. */
interface Request {
  readonly train: boolean;
  readonly form: 'clean' | 'typo' | 'synonym';
  readonly textRanking: readonly string[];
  readonly candidates: readonly string[];
  readonly features: FeatureMatrix;
  readonly engagement: ReadonlyMap<string, number>;
  readonly graded: ReadonlyMap<string, number>;
}

/** Mean nDCG@10 / MRR / zero-result rate of rankings against one ground truth. */
function score(rankings: ReadonlyArray<readonly string[]>, truths: ReadonlyArray<ReadonlyMap<string, number>>, relevantFrom: number, k: number): StepMetrics {
  let ndcg = 0;
  let mrr = 0;
  let zero = 0;
  rankings.forEach((ranking, i) => {
    const truth = truths[i]!;
    if (ranking.length === 0) zero++;
    const gains = ranking.slice(0, k).map((id) => truth.get(id) ?? 0);
    ndcg += ndcgAt(gains, k, [...truth.values()]);
    const first = ranking.findIndex((id) => (truth.get(id) ?? 0) >= relevantFrom);
    mrr += first >= 0 ? 1 / (first + 1) : 0;
  });
  const n = Math.max(1, rankings.length);
  return { ndcg: ndcg / n, mrr: mrr / n, zeroResultRate: zero / n, requests: rankings.length };
}

function percentiles(times: number[]): LatencySummary {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return { p50Ms: at(0.5), p99Ms: at(0.99), samples: sorted.length };
}

const heapBytes = () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * Builds the shop's index, replays its sessions and measures the four steps of the chain (see
 * the module comment). Deterministic for given options (apart from the timings).
 */
export function runSearchQualityChain(options: ChainOptions): ChainReport {
  const o = {
    locale: options.locale,
    seed: options.seed ?? 2026,
    items: options.items ?? 5_000,
    users: options.users ?? 1_000,
    queries: options.queries ?? 300,
    events: options.events ?? 200_000,
    trainFraction: options.trainFraction ?? 0.7,
    candidates: options.candidates ?? 100,
    epochs: options.epochs ?? 10,
  };
  const timing = options.timing ?? true;
  const k = 10;
  const shop: SyntheticShop = createSyntheticShop({ seed: o.seed, locale: o.locale, items: o.items, users: o.users, queries: o.queries });
  const { rules, pairs } = singleTermSynonyms(o.locale);

  const before = heapBytes();
  const started = performance.now();
  const index = new TextIndex({ synonyms: rules, protectedWords: SYNONYMS[o.locale].flat() });
  index.addMany(shop.items);
  const buildSeconds = (performance.now() - started) / 1000;
  const memoryBytes = heapBytes() - before;
  const diskBytes = index.toBytes().length;

  // The static query set: text steps only (no user to personalise for).
  const sets = { clean: [...shop.queries], typo: o.locale === 'en' ? typoQueries(shop.queries) : [], synonym: synonymQueries(shop.queries, pairs) };
  const querySet = {} as ChainReport['querySet'];
  for (const [name, queries] of Object.entries(sets) as Array<[keyof typeof sets, SyntheticQuery[]]>) {
    const truths = queries.map((q) => new Map(q.relevance.map((r) => [r.item, r.grade as number])));
    const run = (extra: Partial<SearchRequest>) => queries.map((q) => index.search({ ...extra, query: q.text, k }).hits.map((h) => h.id));
    querySet[name] = { text: score(run(TEXT_ONLY), truths, 3, k), typosSynonyms: score(run(TYPOS_SYNONYMS), truths, 3, k) };
  }

  // Replay the sessions in time order.
  const profiles = new ProfileStore({ catalog: shop.items });
  const catalog = new RankingCatalog(shop.items);
  const queryByText = new Map<string, SyntheticQuery>();
  for (const q of shop.queries) if (!queryByText.has(q.text)) queryByText.set(q.text, q);
  const { sessions, trainCount } = liftSessions(shop, { events: o.events, seed: o.seed, trainFraction: o.trainFraction });
  const manual = LinearScorer.manual(FEATURE_NAMES, DEFAULT_WEIGHTS);
  const requests: Request[] = [];
  const times = { text: [] as number[], typosSynonyms: [] as number[], ranked: [] as number[] };
  const forms = seededRandom((o.seed ^ 0x51a7) >>> 0);
  sessions.forEach((session, s) => {
    const first = session[0]!;
    const query = first.type === 'search' && first.query !== undefined ? queryByText.get(first.query) : undefined;
    if (query) {
      const engagement = new Map<string, number>();
      for (const e of session) {
        const level = LEVEL[e.type];
        if (e.item !== undefined && level !== undefined) engagement.set(e.item, Math.max(engagement.get(e.item) ?? 0, level));
      }
      const roll = forms();
      const typo = o.locale === 'en' && roll < 1 / 3 ? typoVariant(query.text) : undefined;
      const synonym = roll >= 1 / 3 && roll < 2 / 3 ? synonymVariant(query.text, pairs) : undefined;
      const text = typo ?? synonym ?? query.text;
      const form = typo ? 'typo' : synonym ? 'synonym' : 'clean';

      const t0 = performance.now();
      const textRanking = index.search({ ...TEXT_ONLY, query: text, k }).hits.map((h) => h.id);
      const t1 = performance.now();
      const hits = index.search({ ...TYPOS_SYNONYMS, query: text, k: o.candidates }).hits;
      const t2 = performance.now();
      const features = extractFeatures(catalog, profiles.get(first.user), hits.map((h) => ({ item: h.id, textScore: h.score })), { now: first.timestamp });
      manual.score(features); // scored again below with every step; here for the latency of a ranked request
      const t3 = performance.now();
      if (timing && s >= trainCount) {
        times.text.push(t1 - t0);
        times.typosSynonyms.push(t2 - t1);
        times.ranked.push(t3 - t1);
      }
      requests.push({
        train: s < trainCount,
        form,
        textRanking,
        candidates: hits.map((h) => h.id),
        features,
        engagement,
        graded: new Map(query.relevance.map((r) => [r.item, r.grade as number])),
      });
    }
    // The session's events reach profiles and popularity only after its request.
    for (const e of session) {
      profiles.update(e);
      if (e.item !== undefined && INTERACTIONS.has(e.type)) catalog.addPopularity(e.item);
    }
  });

  // Step 4: fit on training-split requests with at least one engaged candidate.
  const train = requests.filter((r) => r.train && r.candidates.some((id) => r.engagement.has(id)));
  const heldOut = requests.filter((r) => !r.train);
  if (train.length === 0 || heldOut.length === 0) throw new Error(`too few search sessions: ${train.length} to train on, ${heldOut.length} held out (raise events)`);
  const stacked = stackFeatures(train.map((r) => r.features));
  const gains = Float64Array.from(train.flatMap((r) => r.candidates.map((id) => r.engagement.get(id) ?? 0)));
  const groups = Int32Array.from(train.flatMap((r, g) => r.candidates.map(() => g)));
  const logistic = trainLogistic(
    { features: stacked, labels: Float64Array.from(gains, (g) => (g > 0 ? 1 : 0)), weights: Float64Array.from(gains, (g) => (g > 0 ? g : 1)) },
    { epochs: o.epochs, learningRate: 0.01, seed: o.seed },
  ).scorer;
  const pairwise = trainPairwise({ features: stacked, groups, gains }, { epochs: o.epochs, learningRate: 0.02, seed: o.seed, maxPairsPerGroup: 100 }).scorer;

  const rankBy = (r: Request, scorer: LinearScorer) => orderByScore(scorer.score(r.features)).map((i) => r.candidates[i]!);
  const rankings = (r: Request): Record<ChainStep, readonly string[]> => ({
    text: r.textRanking,
    typosSynonyms: r.candidates.slice(0, k),
    personalised: rankBy(r, manual),
    learnedLogistic: rankBy(r, logistic),
    learnedPairwise: rankBy(r, pairwise),
  });
  const table = (subset: Request[]): ChainTable => {
    const ranked = subset.map(rankings);
    const out = { graded: {}, engagement: {} } as ChainTable;
    for (const step of CHAIN_STEPS) {
      const lists = ranked.map((r) => r[step]);
      out.graded[step] = score(lists, subset.map((r) => r.graded), 3, k);
      const engaged = subset.flatMap((r, i) => (r.engagement.size > 0 ? [i] : []));
      out.engagement[step] = score(engaged.map((i) => lists[i]!), engaged.map((i) => subset[i]!.engagement), 1, k);
    }
    return out;
  };
  const weightsOf = (s: LinearScorer) => {
    const json = s.toJSON();
    return Object.fromEntries(json.features.map((f, i) => [f, json.weights[i]!]));
  };
  return {
    locale: o.locale,
    options: o,
    index: { items: shop.items.length, terms: index.termCount, buildSeconds, memoryBytes, diskBytes },
    requests: {
      train: requests.length - heldOut.length,
      heldOut: heldOut.length,
      clean: heldOut.filter((r) => r.form === 'clean').length,
      typo: heldOut.filter((r) => r.form === 'typo').length,
      synonym: heldOut.filter((r) => r.form === 'synonym').length,
    },
    heldOut: { all: table(heldOut), clean: table(heldOut.filter((r) => r.form === 'clean')), noisy: table(heldOut.filter((r) => r.form !== 'clean')) },
    querySet,
    ...(timing ? { latency: { text: percentiles(times.text), typosSynonyms: percentiles(times.typosSynonyms), ranked: percentiles(times.ranked) } } : {}),
    weights: { logistic: weightsOf(logistic), pairwise: weightsOf(pairwise) },
  };
}

/** Renders a report's held-out chain as a Markdown table with the lift over the previous step. */
export function chainMarkdown(report: ChainReport): string {
  const lines = [
    `### ${report.locale}: ${report.index.items} items, ${report.requests.heldOut} held-out search requests (${report.requests.clean} clean, ${report.requests.typo} typo, ${report.requests.synonym} synonym), ${report.requests.train} for training`,
    '',
    '| requests | ground truth | step | nDCG@10 | lift | MRR | lift | zero-result |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
  for (const subset of ['all', 'clean', 'noisy'] as const) {
    for (const truth of ['engagement', 'graded'] as const) {
      const t = report.heldOut[subset][truth];
      CHAIN_STEPS.forEach((step, i) => {
        // 4b is compared with step 3, like 4a: both are the learned alternative to it.
        const prev = i === 0 ? undefined : t[CHAIN_STEPS[step === 'learnedPairwise' ? 2 : i - 1]!];
        const m = t[step];
        lines.push(`| ${subset} (${m.requests}) | ${truth} | ${CHAIN_STEP_LABELS[step]} | ${m.ndcg.toFixed(4)} | ${prev ? signed(m.ndcg - prev.ndcg) : ''} | ${m.mrr.toFixed(4)} | ${prev ? signed(m.mrr - prev.mrr) : ''} | ${pct(m.zeroResultRate)} |`);
      });
    }
  }
  lines.push('', 'Lift: over the previous step (4b over step 3, like 4a). Engagement rows: requests with a click; graded rows: all requests.');
  return lines.join('\n');
}
