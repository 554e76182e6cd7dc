// The service benchmark's data set: a bilingual shop built from two synthetic shops of
// @souk/data (half the items and users English, half Chinese), with the two event streams merged
// in time order, written as the files the engine ingests (items.jsonl, users.jsonl, events.csv)
// plus meta.json (what the load generator samples from: query texts, brands, categories, item
// ids, active users). Generated once per parameter set and cached under benchmarks/.cache/.
//
// User and session ids of the Chinese shop get a `zh-` prefix (both generators number users
// u0000000…); item ids already carry the locale (`en-…`, `zh-…`).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createSyntheticShop, writeItemsJsonl, writeSyntheticEventsCsv, type EventRecord, type UserRecord } from '@souk/data';

/** Size and seed of the bilingual shop. */
export interface ServiceShopParams {
  readonly items: number;
  readonly users: number;
  readonly events: number;
  readonly seed: number;
}

/** What the load generator samples from, saved next to the data files. */
export interface ServiceShopMeta {
  readonly params: ServiceShopParams;
  readonly generateSeconds: number;
  readonly counts: { items: number; users: number; events: number; activeUsers: number };
  /** Ground-truth query texts of each locale's generator (a noun, optionally with brand or adjective). */
  readonly queries: { en: string[]; zh: string[] };
  readonly brands: { en: string[]; zh: string[] };
  /** Category paths (root → leaf) per locale. */
  readonly categories: { en: string[][]; zh: string[][] };
  /** Adjectives and nouns (the catalogs' vocabulary) per locale, for one-word queries. */
  readonly words: { en: string[]; zh: string[] };
  /** Up to 20,000 users that have events (known to the model after training). */
  readonly activeUsers: string[];
  /** Up to 20,000 item ids, uniformly sampled. */
  readonly itemIds: string[];
}

/** Paths of a generated shop. */
export interface ServiceShopFiles {
  readonly dir: string;
  readonly items: string;
  readonly users: string;
  readonly events: string;
  readonly meta: ServiceShopMeta;
  /** Whether the files came from the cache. */
  readonly cached: boolean;
}

const VERSION = 1;

/** Merges two time-ordered event streams into one, in time order. */
function* mergeByTime(a: Iterator<EventRecord>, b: Iterator<EventRecord>): Generator<EventRecord> {
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.timestamp <= y.value.timestamp)) {
      yield x.value as EventRecord;
      x = a.next();
    } else {
      yield y.value;
      y = b.next();
    }
  }
}

function sampleEvenly<T>(list: readonly T[], n: number): T[] {
  if (list.length <= n) return [...list];
  const step = list.length / n;
  return Array.from({ length: n }, (_, i) => list[Math.floor(i * step)]!);
}

async function writeJsonl(path: string, rows: Iterable<unknown>): Promise<void> {
  const out = createWriteStream(path);
  for (const row of rows) if (!out.write(JSON.stringify(row) + '\n')) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/**
 * Returns the bilingual shop's files for `params`, generating them into
 * `<cacheRoot>/shop-<items>-<users>-<events>-<seed>-v<N>/` when not cached yet.
 */
export async function serviceShop(params: ServiceShopParams, cacheRoot: string, log: (s: string) => void): Promise<ServiceShopFiles> {
  const dir = join(cacheRoot, `shop-${params.items}-${params.users}-${params.events}-${params.seed}-v${VERSION}`);
  const files = { dir, items: join(dir, 'items.jsonl'), users: join(dir, 'users.jsonl'), events: join(dir, 'events.csv') };
  const metaPath = join(dir, 'meta.json');
  if (existsSync(metaPath)) {
    return { ...files, meta: JSON.parse(readFileSync(metaPath, 'utf8')) as ServiceShopMeta, cached: true };
  }
  log(`generating the bilingual shop (${params.items} items, ${params.users} users, ${params.events} events) into ${dir}`);
  const started = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const half = (n: number) => [Math.ceil(n / 2), Math.floor(n / 2)] as const;
  const [enItems, zhItems] = half(params.items);
  const [enUsers, zhUsers] = half(params.users);
  const [enEvents, zhEvents] = half(params.events);
  const en = createSyntheticShop({ seed: params.seed, locale: 'en', items: enItems, users: enUsers, queries: 300 });
  const zh = createSyntheticShop({ seed: params.seed + 1, locale: 'zh', items: zhItems, users: zhUsers, queries: 300 });
  await writeItemsJsonl(join(tmp, 'items.jsonl'), [...en.items, ...zh.items]);
  const zhUser = (u: UserRecord): UserRecord => ({ ...u, id: `zh-${u.id}` });
  await writeJsonl(join(tmp, 'users.jsonl'), [...en.users, ...zh.users.map(zhUser)]);
  const active = new Set<string>();
  function* tagged(events: Iterable<EventRecord>, prefix: string): Generator<EventRecord> {
    for (const e of events) {
      const out = prefix ? { ...e, user: prefix + e.user, ...(e.session ? { session: prefix + e.session } : {}) } : e;
      active.add(out.user);
      yield out;
    }
  }
  const merged = mergeByTime(tagged(en.events({ events: enEvents }), ''), tagged(zh.events({ events: zhEvents }), 'zh-'));
  const written = await writeSyntheticEventsCsv(join(tmp, 'events.csv'), merged);

  const vocabulary = (shop: typeof en) => {
    const brands = new Set<string>();
    const categories = new Map<string, string[]>();
    const words = new Set<string>();
    for (const item of shop.items) {
      if (item.brand) brands.add(item.brand);
      categories.set(item.categoryPath.join('\u0000'), item.categoryPath);
      for (const t of item.tags) words.add(t);
    }
    return { brands: [...brands], categories: [...categories.values()], words: [...words] };
  };
  const ven = vocabulary(en);
  const vzh = vocabulary(zh);
  const allItemIds = [...en.items, ...zh.items].map((i) => i.id);
  const meta: ServiceShopMeta = {
    params,
    generateSeconds: (performance.now() - started) / 1000,
    counts: { items: params.items, users: params.users, events: written, activeUsers: active.size },
    queries: { en: [...new Set(en.queries.map((q) => q.text))], zh: [...new Set(zh.queries.map((q) => q.text))] },
    brands: { en: ven.brands, zh: vzh.brands },
    categories: { en: ven.categories, zh: vzh.categories },
    words: { en: ven.words, zh: vzh.words },
    activeUsers: sampleEvenly([...active], 20_000),
    itemIds: sampleEvenly(allItemIds, 20_000),
  };
  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(meta));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`  generated in ${meta.generateSeconds.toFixed(1)} s (${written} events, ${active.size} active users)`);
  return { ...files, meta, cached: false };
}
