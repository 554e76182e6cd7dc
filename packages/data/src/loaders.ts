/**
 * Loaders for public datasets: MovieLens (latest-small and 100K), Groceries baskets (arules) and
 * Amazon Review Data 2018 (ratings CSV, 5-core reviews, product metadata). Each loader streams
 * the files through {@link ingest}, so quarantine, idempotency and lineage apply as for any
 * source. The data is never bundled: pass its folder, or set `SOUK_DATASETS`.
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from './errors.js';
import { ingest, toEvent, toItem, toTransaction, type IngestSummary } from './ingest.js';
import type { DataStore } from './store.js';
import { decodeHtmlEntities } from './text.js';

/**
 * The folder holding the public datasets: `$SOUK_DATASETS` when set, else `../shared/datasets`
 * relative to the repository root.
 */
export function defaultDatasetsDir(): string {
  const fromEnv = process.env.SOUK_DATASETS;
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return resolve(dir, '..', 'shared', 'datasets');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(process.cwd(), '..', 'shared', 'datasets');
}

function requireFiles(dir: string, files: readonly string[], dataset: string): void {
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new DataError(
      'ERR_DATASET_MISSING',
      `Expected the ${dataset} files ${missing.join(', ')} in dir but received a folder without them: ${dir} (set SOUK_DATASETS or pass dir)`,
    );
  }
}

/** Common options of the loaders. */
export interface LoaderOptions {
  /** Folder with the dataset's files (default: the dataset's folder under {@link defaultDatasetsDir}). */
  readonly dir?: string;
  /** Progress callback. */
  readonly onProgress?: import('./records.js').ProgressHook;
}

/** The files of MovieLens `ml-latest-small`. */
export const MOVIELENS_LATEST_SMALL_FILES = ['ratings.csv', 'movies.csv'] as const;

/**
 * Loads MovieLens `ml-latest-small`: `movies.csv` → items (genres as tags), `ratings.csv` →
 * rating events. CRLF line ends and quoted titles are handled by the CSV reader.
 */
export async function loadMovieLensLatestSmall(store: DataStore, options: LoaderOptions = {}): Promise<{ items: IngestSummary; ratings: IngestSummary }> {
  const dir = options.dir ?? join(defaultDatasetsDir(), 'movielens-latest-small');
  requireFiles(dir, MOVIELENS_LATEST_SMALL_FILES, 'MovieLens latest-small');
  const items = await ingest(store, {
    asset: 'items',
    source: join(dir, 'movies.csv'),
    format: { kind: 'delimited', delimiter: ',' },
    mapRow: (v) =>
      toItem({
        id: v.movieId,
        title: v.title,
        categoryPath: ['Movies'],
        tags: String(v.genres ?? '').split('|').filter((g) => g !== '(no genres listed)'),
      }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const ratings = await ingest(store, {
    asset: 'events',
    source: join(dir, 'ratings.csv'),
    format: { kind: 'delimited', delimiter: ',' },
    fields: { user: 'userId', item: 'movieId', value: 'rating' },
    defaults: { type: 'rating' },
    timestampUnit: 's',
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { items, ratings };
}

/** The 19 genres of MovieLens 100K, in `u.genre` order (used when `u.genre` is absent). */
export const MOVIELENS_100K_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/**
 * Loads the MovieLens 100K format: `u.data` (tab-separated user, item, rating, timestamp; no
 * header) → rating events, `u.item` (pipe-separated, Latin-1) → items with genre flags as tags.
 */
export async function loadMovieLens100k(store: DataStore, options: LoaderOptions): Promise<{ items: IngestSummary; ratings: IngestSummary }> {
  const dir = options.dir ?? join(defaultDatasetsDir(), 'ml-100k');
  requireFiles(dir, ['u.data', 'u.item'], 'MovieLens 100K');
  const itemColumns = ['id', 'title', 'releaseDate', 'videoReleaseDate', 'imdbUrl', ...MOVIELENS_100K_GENRES.map((_, i) => `genre${i}`)];
  const items = await ingest(store, {
    asset: 'items',
    source: join(dir, 'u.item'),
    format: { kind: 'delimited', delimiter: '|', quote: null, header: false, columns: itemColumns, encoding: 'latin1' },
    mapRow: (v) =>
      toItem({
        id: v.id,
        title: v.title,
        categoryPath: ['Movies'],
        tags: MOVIELENS_100K_GENRES.filter((_, i) => v[`genre${i}`] === '1'),
        attributes: JSON.stringify({ releaseDate: v.releaseDate ?? '', imdbUrl: v.imdbUrl ?? '' }),
      }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const ratings = await ingest(store, {
    asset: 'events',
    source: join(dir, 'u.data'),
    format: { kind: 'delimited', delimiter: '\t', quote: null, header: false, columns: ['user', 'item', 'value', 'timestamp'] },
    defaults: { type: 'rating' },
    timestampUnit: 's',
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { items, ratings };
}

/**
 * Loads Groceries (arules) baskets: one line per transaction, items separated by commas, no
 * header. Each line becomes a transaction `basket-<line>` with one line per item (quantity 1).
 * Item labels are trimmed (two arules labels end in a space).
 */
export async function loadGroceries(store: DataStore, options: LoaderOptions = {}): Promise<{ transactions: IngestSummary }> {
  const dir = options.dir ?? join(defaultDatasetsDir(), 'groceries-arules');
  requireFiles(dir, ['groceries.csv'], 'Groceries');
  const transactions = await ingest(store, {
    asset: 'transactions',
    source: join(dir, 'groceries.csv'),
    format: { kind: 'delimited', delimiter: '\u0000', quote: null, header: false, columns: ['basket'] },
    mapRow: (v, line) =>
      toTransaction({
        id: `basket-${line}`,
        lines: String(v.basket)
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
          .map((item) => ({ item, quantity: 1 })),
      }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { transactions };
}

/** Which parts of an Amazon 2018 category to load. */
export type AmazonPart = 'ratings' | 'five-core' | 'metadata';

/** Options of {@link loadAmazonReviews2018}. */
export interface AmazonLoaderOptions extends LoaderOptions {
  /** Category file stem (default `Magazine_Subscriptions`). */
  readonly category?: string;
  /** Parts to load (default ratings and metadata; the 5-core reviews repeat ratings, load them into their own store). */
  readonly parts?: readonly AmazonPart[];
}

/** Parses an Amazon price string (`$12.99`, `$10.00 - $20.00`: the lower bound) or returns undefined. */
export function parseAmazonPrice(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /\$\s*([0-9][0-9,]*(?:\.[0-9]+)?)/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Loads Amazon Review Data (2018) for one category: the ratings-only CSV (`item,user,rating,
 * timestamp`, no header) → rating events; `<category>_5.json.gz` → rating events from the 5-core
 * reviews; `meta_<category>.json.gz` → items (title kept as published: its broken markup is for
 * cleaning to find; category entities decoded; repeated `asin`s deduplicated).
 */
export async function loadAmazonReviews2018(store: DataStore, options: AmazonLoaderOptions = {}): Promise<Partial<Record<AmazonPart, IngestSummary>>> {
  const category = options.category ?? 'Magazine_Subscriptions';
  const dir = options.dir ?? join(defaultDatasetsDir(), 'amazon2018-magazine-subscriptions');
  const parts = options.parts ?? ['ratings', 'metadata'];
  const files: Record<AmazonPart, string> = {
    ratings: `${category}.csv`,
    'five-core': `${category}_5.json.gz`,
    metadata: `meta_${category}.json.gz`,
  };
  requireFiles(dir, parts.map((p) => files[p]), `Amazon 2018 ${category}`);
  const progress = options.onProgress ? { onProgress: options.onProgress } : {};
  const out: Partial<Record<AmazonPart, IngestSummary>> = {};
  if (parts.includes('metadata')) {
    out.metadata = await ingest(store, {
      asset: 'items',
      source: join(dir, files.metadata),
      format: { kind: 'jsonl' },
      maxRowBytes: 8 << 20,
      mapRow: (v) => {
        const price = parseAmazonPrice(v.price);
        const categories = Array.isArray(v.category) ? (v.category as unknown[]).map((c) => decodeHtmlEntities(String(c))) : [];
        return toItem({
          id: v.asin,
          title: typeof v.title === 'string' ? v.title : '',
          brand: typeof v.brand === 'string' && v.brand.trim() !== '' ? v.brand : undefined,
          categoryPath: categories,
          price,
          currency: price === undefined ? undefined : 'USD',
          attributes: JSON.stringify({ mainCategory: typeof v.main_cat === 'string' ? v.main_cat : '', rawPrice: typeof v.price === 'string' ? v.price : '' }),
        });
      },
      ...progress,
    });
  }
  if (parts.includes('ratings')) {
    out.ratings = await ingest(store, {
      asset: 'events',
      source: join(dir, files.ratings),
      format: { kind: 'delimited', delimiter: ',', header: false, columns: ['item', 'user', 'value', 'timestamp'] },
      defaults: { type: 'rating' },
      timestampUnit: 's',
      ...progress,
    });
  }
  if (parts.includes('five-core')) {
    out['five-core'] = await ingest(store, {
      asset: 'events',
      source: join(dir, files['five-core']),
      format: { kind: 'jsonl' },
      mapRow: (v) => toEvent({ user: v.reviewerID, item: v.asin, value: v.overall, timestamp: v.unixReviewTime, type: 'rating' }, { timestampUnit: 's' }),
      ...progress,
    });
  }
  return out;
}

/** The documented cleaning of Amazon ratings: 1–5 stars, repeated (user, item) ratings collapse to the latest. */
export const AMAZON_CLEANING = { ratingRange: [1, 5] as const, keepLatestRating: true, requireKnownItems: false } as const;
