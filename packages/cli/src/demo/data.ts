/**
 * The demo's data: a bilingual synthetic shop (an English and a Chinese catalog from
 * `createSyntheticShop`, their event streams merged in time order), or a public dataset
 * (MovieLens, Amazon reviews) loaded through `@souk/data`'s loaders. Either way the data is
 * written as the files `souk ingest` takes, plus what the demo needs in memory to choose its
 * searches, its user and its feedback.
 * @packageDocumentation
 */
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { basename, join, resolve } from 'node:path';
import {
  AMAZON_CLEANING,
  cleanStore,
  createSyntheticShop,
  defaultDatasetsDir,
  loadAmazonReviews2018,
  loadMovieLens100k,
  loadMovieLensLatestSmall,
  openSqliteStore,
  writeItemsJsonl,
  writeSyntheticEventsCsv,
  type EventRecord,
  type ItemRecord,
  type UserRecord,
} from '@souk/data';
import type { IngestFiles } from '@souk/engine';
import { CliError } from '../errors.js';

/** Sizes of the demo. */
export type DemoScale = 'tiny' | 'small' | 'full';

/** Items, users and events per locale at each scale. */
export const SCALES: Readonly<Record<DemoScale, { readonly items: number; readonly users: number; readonly events: number }>> = {
  tiny: { items: 150, users: 120, events: 4_000 },
  small: { items: 800, users: 600, events: 30_000 },
  full: { items: 2_500, users: 1_500, events: 100_000 },
};

/** A search the demo runs over HTTP. */
export interface DemoSearch {
  /** What the search shows. */
  readonly label: string;
  /** The query text. */
  readonly query: string;
  /** Extra query parameters (filters, facets). */
  readonly params?: Readonly<Record<string, string>>;
}

/** The demo's data, written to files, with the facts the demo chooses from. */
export interface DemoData {
  /** `synthetic shop (en + zh)` or the dataset's name. */
  readonly label: string;
  /** Files for `engine.ingestFiles`. */
  readonly files: IngestFiles;
  /** The catalog. */
  readonly items: readonly ItemRecord[];
  /** Interactions (events with an item) per item. */
  readonly itemPopularity: ReadonlyMap<string, number>;
  /** Items each user interacted with. */
  readonly userItems: ReadonlyMap<string, ReadonlySet<string>>;
  /** Event type used for positive feedback (`purchase` in a shop, `rating` in rating data). */
  readonly feedbackType: 'purchase' | 'rating';
  /** Searches to show. */
  readonly searches: readonly DemoSearch[];
  /** Counts for the transcript. */
  readonly counts: { readonly items: number; readonly users: number; readonly events: number };
  /** What cleaning did before export (datasets only), one line. */
  readonly cleaning?: string;
}

const DAY = 86_400_000;

/** Merges two time-ordered event streams in time order. */
function* mergeByTime(a: Iterator<EventRecord>, b: Iterator<EventRecord>): Generator<EventRecord> {
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.timestamp <= y.value.timestamp)) {
      yield x.value;
      x = a.next();
    } else {
      yield y.value;
      y = b.next();
    }
  }
}

/** Adds one event to the demo's per-item and per-user facts. */
function record(e: EventRecord, popularity: Map<string, number>, userItems: Map<string, Set<string>>): void {
  if (e.item === undefined) return;
  popularity.set(e.item, (popularity.get(e.item) ?? 0) + 1);
  let set = userItems.get(e.user);
  if (!set) userItems.set(e.user, (set = new Set()));
  set.add(e.item);
}

/** Passes events through while collecting the demo's per-item and per-user facts. */
function* tally(events: Iterable<EventRecord>, popularity: Map<string, number>, userItems: Map<string, Set<string>>): Generator<EventRecord> {
  for (const e of events) {
    record(e, popularity, userItems);
    yield e;
  }
}

async function writeJsonl(path: string, rows: Iterable<unknown>): Promise<void> {
  const out = createWriteStream(path);
  for (const row of rows) if (!out.write(JSON.stringify(row) + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Swaps two different adjacent letters near the middle of the longest Latin word of `text` (a realistic typo), or undefined. */
export function typoOf(text: string): string | undefined {
  const words = text.split(/\s+/).filter((w) => /^[a-z]{5,}$/i.test(w));
  if (words.length === 0) return undefined;
  const word = words.reduce((a, b) => (b.length > a.length ? b : a));
  const middle = Math.floor(word.length / 2) - 1;
  for (const i of [middle, middle + 1, middle - 1, middle + 2]) {
    if (i >= 1 && i + 1 < word.length && word[i]!.toLowerCase() !== word[i + 1]!.toLowerCase()) {
      return text.replace(word, word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
    }
  }
  return undefined;
}

/** The most frequent value of `key` over `items`. */
function mostCommon<T>(items: readonly ItemRecord[], key: (item: ItemRecord) => T | undefined): T | undefined {
  const counts = new Map<T, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let best: T | undefined;
  let bestCount = 0;
  for (const [k, n] of counts) if (n > bestCount) [best, bestCount] = [k, n];
  return best;
}

/**
 * Generates the bilingual synthetic shop at `scale` into `dir` (items.jsonl, users.jsonl,
 * events.csv). Sessions span 89 days ending three weeks before `nowMs` (later ratings stay in the past).
 */
export async function syntheticDemoData(dir: string, scale: DemoScale, nowMs: number, seed = 7): Promise<DemoData> {
  const size = SCALES[scale];
  const en = createSyntheticShop({ seed, locale: 'en', items: size.items, users: size.users, queries: 60 });
  const zh = createSyntheticShop({ seed: seed + 1, locale: 'zh', items: size.items, users: size.users, queries: 60 });
  const zhUser = (id: string) => `zh-${id}`;
  // Sessions end three weeks before now: ratings come up to 15 days after a purchase.
  const startMs = Math.floor((nowMs - 110 * DAY) / DAY) * DAY;
  const zhEvents = function* () {
    for (const e of zh.events({ events: size.events, startMs, days: 89 })) {
      yield { ...e, user: zhUser(e.user), ...(e.session !== undefined ? { session: `zh-${e.session}` } : {}) };
    }
  };
  const items = [...en.items, ...zh.items];
  const users: UserRecord[] = [...en.users, ...zh.users.map((u) => ({ ...u, id: zhUser(u.id) }))];
  const files = { items: join(dir, 'items.jsonl'), users: join(dir, 'users.jsonl'), events: join(dir, 'events.csv') };
  await writeItemsJsonl(files.items, items);
  await writeJsonl(files.users, users);
  const popularity = new Map<string, number>();
  const userItems = new Map<string, Set<string>>();
  const events = await writeSyntheticEventsCsv(files.events, tally(mergeByTime(en.events({ events: size.events, startMs, days: 89 }), zhEvents()), popularity, userItems));

  // Searches: a ground-truth query of each locale, one with filters and facets, one with a typo.
  const byRelevant = (q: { relevance: ReadonlyArray<{ grade: number }> }) => q.relevance.filter((r) => r.grade === 3).length;
  const enQuery = [...en.queries].filter((q) => q.text.split(' ').length >= 2).sort((a, b) => byRelevant(b) - byRelevant(a))[0] ?? en.queries[0]!;
  const zhQuery = [...zh.queries].sort((a, b) => byRelevant(b) - byRelevant(a))[0]!;
  const enItems = en.items;
  const topCategory = mostCommon(enItems, (i) => i.categoryPath.slice(0, 2).join(' > '))!;
  const inTop = enItems.filter((i) => i.categoryPath.slice(0, 2).join(' > ') === topCategory);
  const noun = mostCommon(inTop, (i) => i.tags[1]) ?? inTop[0]!.tags[0]!;
  const prices = inTop.filter((i) => i.tags[1] === noun && i.price !== undefined).map((i) => i.price!).sort((a, b) => a - b);
  const priceMax = prices.length > 0 ? Math.ceil(prices[Math.floor(prices.length * 0.6)]!) : 1000;
  const typoSource = typoOf(noun) !== undefined ? noun : (enItems.map((i) => i.tags[1]).find((t) => t !== undefined && typoOf(t) !== undefined) ?? noun);
  const searches: DemoSearch[] = [
    { label: 'English search', query: enQuery.text },
    { label: 'Chinese search (jieba analysis)', query: zhQuery.text },
    {
      label: `Filtered search with facets (category ${topCategory}, in stock, price <= ${priceMax})`,
      query: noun,
      params: { category: topCategory.replace(/ > /g, '>'), inStock: 'true', priceMax: String(priceMax), facets: 'brands,categories,priceBands' },
    },
    { label: 'Search with a typo', query: typoOf(typoSource) ?? typoSource },
  ];
  return {
    label: 'synthetic shop (English + Chinese)',
    files,
    items,
    itemPopularity: popularity,
    userItems,
    feedbackType: 'purchase',
    searches,
    counts: { items: items.length, users: users.length, events },
  };
}

/** The public datasets the demo knows, by short name, and their folders under the datasets directory. */
export const DATASETS: Readonly<Record<string, string>> = {
  movielens: 'movielens-latest-small',
  'ml-100k': 'ml-100k',
  amazon: 'amazon2018-magazine-subscriptions',
};

type DatasetKind = 'movielens-latest-small' | 'ml-100k' | 'amazon';

function datasetKind(dir: string): DatasetKind | undefined {
  if (existsSync(join(dir, 'ratings.csv')) && existsSync(join(dir, 'movies.csv'))) return 'movielens-latest-small';
  if (existsSync(join(dir, 'u.data')) && existsSync(join(dir, 'u.item'))) return 'ml-100k';
  if (readdirSync(dir).some((f) => /^meta_.+\.json\.gz$/.test(f))) return 'amazon';
  return undefined;
}

/** Resolves `--dataset` (a folder, or a short name under the datasets directory) to a folder and its kind. */
export function resolveDataset(spec: string): { dir: string; kind: DatasetKind } {
  const candidates = [resolve(spec), join(defaultDatasetsDir(), DATASETS[spec] ?? spec)];
  for (const dir of candidates) {
    if (existsSync(dir) && statSync(dir).isDirectory()) {
      const kind = datasetKind(dir);
      if (kind) return { dir, kind };
      throw new CliError('ERR_UNKNOWN_DATASET', `Expected a MovieLens (ratings.csv + movies.csv, or u.data + u.item) or Amazon 2018 (meta_<category>.json.gz + <category>.csv) folder for --dataset but received ${JSON.stringify(dir)}`);
    }
  }
  throw new CliError('ERR_UNKNOWN_DATASET', `Expected a dataset folder or one of ${Object.keys(DATASETS).join(', ')} (under ${defaultDatasetsDir()}) for --dataset but received ${JSON.stringify(spec)}`);
}

/**
 * Loads a public dataset through the data package's loader into a staging store in `dir`, cleans
 * it there (the data package's rules: duplicates, out-of-range ratings, markup in titles; for
 * Amazon its documented cleaning), then writes the kept items and events as JSON Lines for the
 * engine. Searches use the catalog's titles.
 */
export async function datasetDemoData(spec: string, dir: string): Promise<DemoData> {
  const { dir: source, kind } = resolveDataset(spec);
  const staging = openSqliteStore(join(dir, 'staging.db'), { synchronous: 'normal' });
  const items: ItemRecord[] = [];
  const popularity = new Map<string, number>();
  const userItems = new Map<string, Set<string>>();
  let events = 0;
  let cleaning = '';
  const files = { items: join(dir, 'items.jsonl'), events: join(dir, 'events.jsonl') };
  try {
    if (kind === 'movielens-latest-small') await loadMovieLensLatestSmall(staging, { dir: source });
    else if (kind === 'ml-100k') await loadMovieLens100k(staging, { dir: source });
    else {
      const meta = readdirSync(source).find((f) => /^meta_.+\.json\.gz$/.test(f))!;
      await loadAmazonReviews2018(staging, { dir: source, category: meta.slice(5, -'.json.gz'.length) });
    }
    const report = await cleanStore(staging, { items: true, ...(kind === 'amazon' ? AMAZON_CLEANING : {}) });
    const removed = Object.entries(report.removedByRule).filter(([, n]) => n > 0).map(([rule, n]) => `${rule} ${n}`);
    const text = report.itemText;
    cleaning =
      `cleaning kept ${report.eventsAfter} of ${report.eventsBefore} events${removed.length > 0 ? ` (removed: ${removed.join(', ')})` : ''}` +
      (text && text.markupRemoved > 0 ? `; markup removed from ${text.markupRemoved} item texts, ${text.brokenTitles} titles were nothing but markup` : '');
    for await (const batch of staging.scanItems()) {
      for (const { sourceId: _s, line: _l, ...item } of batch) items.push(item);
    }
    await writeItemsJsonl(files.items, items);
    const out = createWriteStream(files.events);
    for await (const batch of staging.scanEvents()) {
      let text = '';
      for (const { key: _k, sourceId: _s, line: _l, removedBy: _r, ...e } of batch) {
        text += JSON.stringify(e) + '\n';
        events++;
        record(e, popularity, userItems);
      }
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } finally {
    await staging.close();
  }
  if (items.length === 0 || events === 0) throw new CliError('ERR_BAD_DATA', `Expected items and events in the dataset at ${source} but the loader produced ${items.length} items and ${events} events`);
  return {
    label: `${kind} (${basename(source)})`,
    files,
    items,
    itemPopularity: popularity,
    userItems,
    feedbackType: 'rating',
    searches: datasetSearches(items, popularity),
    counts: { items: items.length, users: userItems.size, events },
    cleaning,
  };
}

const TITLE_STOPWORDS = new Set(['with', 'from', 'that', 'this', 'your', 'their', 'edition', 'magazine', 'subscription']);

/** Searches built from the catalog's most popular titles. */
function datasetSearches(items: readonly ItemRecord[], popularity: ReadonlyMap<string, number>): DemoSearch[] {
  const titled = items.filter((i) => i.title.trim().length > 0);
  const popular = [...titled].sort((a, b) => (popularity.get(b.id) ?? 0) - (popularity.get(a.id) ?? 0));
  const clean = (t: string) => t.replace(/\(\d{4}\)\s*$/, '').replace(/[^\p{L}\p{N}\s'-]/gu, ' ').replace(/\s+/g, ' ').trim();
  const words = (t: string) => clean(t).split(' ').filter((w) => w.length > 2).slice(0, 3).join(' ');
  const first = popular[0] ?? titled[0]!;
  const second = popular.find((i) => words(i.title) !== words(first.title) && words(i.title).length > 0) ?? first;
  const searches: DemoSearch[] = [{ label: 'Title search', query: words(first.title) || clean(first.title) }];
  const cjk = popular.find((i) => /\p{Script=Han}/u.test(i.title));
  if (cjk) searches.push({ label: 'Chinese title search', query: clean(cjk.title).slice(0, 8) });
  // Facets need a query that matches many items: the catalog's most frequent title word.
  const wordCounts = new Map<string, number>();
  for (const item of titled) {
    for (const w of new Set(clean(item.title).toLowerCase().split(' '))) if (/^\p{L}{4,}$/u.test(w) && !TITLE_STOPWORDS.has(w)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const broad = [...wordCounts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? words(second.title);
  const categories = new Set(titled.map((i) => i.categoryPath.slice(0, 2).join('>')));
  const matching = titled.filter((i) => clean(i.title).toLowerCase().split(' ').includes(broad));
  const category = categories.size > 1 ? mostCommon(matching, (i) => (i.categoryPath.length > 0 ? i.categoryPath.slice(0, 2).join('>') : undefined)) : undefined;
  searches.push({
    label: `Search with facets${category ? ` in category ${category.replace(/>/g, ' > ')}` : ''}`,
    query: broad,
    params: { ...(category ? { category } : {}), facets: 'brands,categories,priceBands' },
  });
  const typoTitle = popular.slice(0, 50).map((i) => typoOf(words(i.title))).find((t) => t !== undefined);
  if (typoTitle) searches.push({ label: 'Search with a typo', query: typoTitle });
  return searches;
}
