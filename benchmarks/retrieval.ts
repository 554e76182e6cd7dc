// Retrieval benchmark: the BM25F text index of @souk/retrieval on synthetic catalogs (English and
// Chinese, 100,000 products by default): build time, memory and on-disk size, load time, query
// latency (p50/p99, one thread: the index is single-threaded JavaScript), and quality (nDCG@10,
// MRR, zero-result rate) on the generator's ground truth — on clean queries, on queries with a
// typo (English: two adjacent letters swapped in every word of 6+ letters) and on queries where a
// product word is replaced by a synonym — with typo tolerance and synonyms off and on.
//
//   cd /work/main && pnpm exec tsx benchmarks/retrieval.ts [--items N] [--queries N] [--out DIR]
//
// It also times typo search on a 200,000-term dictionary (the synthetic vocabularies are small).
//
// Validate, then time (CONVENTIONS.md 20): the index loaded from its bytes must answer every
// benchmark query exactly like the index it was saved from, and the typo search must find every
// one-edit typo's source word, before anything is timed. Each locale runs in a fresh process.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSyntheticShop, type SyntheticQuery } from '../packages/data/src/index.js';
import { TermDictionary, TextIndex, type SearchRequest } from '../packages/retrieval/src/index.js';
import { SYNONYMS, singleTermSynonyms, synonymQueries, typoQueries } from './lib/search-quality.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const value = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const itemCount = Number(value('--items') ?? 100_000);
const queryCount = Number(value('--queries') ?? 500);
const outDir = value('--out') ?? join(here, 'results');
/** Set in the child process that measures one locale (each locale runs in a fresh process). */
const childLocale = value('--child') as 'en' | 'zh' | undefined;

interface Quality {
  ndcg: number;
  mrr: number;
  zeroResultRate: number;
  queries: number;
}

function quality(index: TextIndex, queries: ReadonlyArray<SyntheticQuery>, extra: Partial<SearchRequest>): Quality {
  let ndcg = 0;
  let mrr = 0;
  let zero = 0;
  for (const q of queries) {
    const hits = index.search({ ...extra, query: q.text, k: 10 }).hits;
    if (hits.length === 0) zero++;
    const grades = new Map(q.relevance.map((r) => [r.item, r.grade as number]));
    const dcg = hits.reduce((s, h, r) => s + (2 ** (grades.get(h.id) ?? 0) - 1) / Math.log2(r + 2), 0);
    const ideal = q.relevance.map((r) => r.grade as number).sort((a, b) => b - a).slice(0, 10);
    const idcg = ideal.reduce((s, g, r) => s + (2 ** g - 1) / Math.log2(r + 2), 0);
    ndcg += idcg > 0 ? dcg / idcg : 0;
    const first = hits.findIndex((h) => grades.get(h.id) === 3);
    mrr += first >= 0 ? 1 / (first + 1) : 0;
  }
  const n = Math.max(1, queries.length);
  return { ndcg: ndcg / n, mrr: mrr / n, zeroResultRate: zero / n, queries: queries.length };
}

/**
 * Latency of one search at a time on one thread. `p50Ms`/`p99Ms` are over every timed call (all
 * repeats); `bestOf*` take each query's fastest of the repeats first, which removes interference
 * from other processes on a shared machine (but also hides this process's own GC pauses).
 */
function latency(index: TextIndex, queries: ReadonlyArray<SyntheticQuery>, extra: Partial<SearchRequest>, repeats = 5) {
  for (const q of queries) index.search({ ...extra, query: q.text, k: 10 }); // warm-up
  const times: number[] = [];
  const best = new Array<number>(queries.length).fill(Number.POSITIVE_INFINITY);
  for (let r = 0; r < repeats; r++) {
    queries.forEach((q, i) => {
      const started = performance.now();
      index.search({ ...extra, query: q.text, k: 10 });
      const elapsed = performance.now() - started;
      times.push(elapsed);
      best[i] = Math.min(best[i]!, elapsed);
    });
  }
  const at = (list: number[], p: number) => list[Math.min(list.length - 1, Math.floor(p * list.length))]!;
  times.sort((a, b) => a - b);
  best.sort((a, b) => a - b);
  return {
    p50Ms: at(times, 0.5),
    p90Ms: at(times, 0.9),
    p99Ms: at(times, 0.99),
    maxMs: times[times.length - 1]!,
    meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    bestOfRepeatsP50Ms: at(best, 0.5),
    bestOfRepeatsP99Ms: at(best, 0.99),
    samples: times.length,
    repeats,
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapBytes = () => {
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

interface LocaleRow {
  locale: string;
  quality: Record<string, Record<string, Quality>>;
  [key: string]: unknown;
}

function measure(locale: 'en' | 'zh'): LocaleRow {
  const shop = createSyntheticShop({ seed: 2026, locale, items: itemCount, users: 1, queries: queryCount });
  // Multi-word right-hand sides (bike helmet) are not single terms; keep the rules that are.
  const { rules: singleTermRules, pairs: usablePairs } = singleTermSynonyms(locale);
  const before = heapBytes();
  const started = performance.now();
  const index = new TextIndex({ synonyms: singleTermRules, protectedWords: SYNONYMS[locale].flat() });
  index.addMany(shop.items);
  const buildSeconds = (performance.now() - started) / 1000;
  const memoryBytes = heapBytes() - before;
  const bytes = index.toBytes();
  const loadStarted = performance.now();
  const loaded = TextIndex.fromBytes(bytes);
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  const sets = { clean: shop.queries, typo: locale === 'en' ? typoQueries(shop.queries) : [], synonym: synonymQueries(shop.queries, usablePairs) };
  // Validate, then time: the loaded index answers like the built one.
  for (const q of [...sets.clean, ...sets.typo, ...sets.synonym]) {
    const a = JSON.stringify(index.search({ query: q.text, k: 10 }));
    const b = JSON.stringify(loaded.search({ query: q.text, k: 10 }));
    if (a !== b) throw new Error(`validation failed: the loaded index answers ${JSON.stringify(q.text)} differently`);
  }
  const configs: Record<string, Partial<SearchRequest>> = {
    plain: { typos: false, synonyms: false },
    typos: { typos: true, synonyms: false },
    synonyms: { typos: false, synonyms: true },
    all: { typos: true, synonyms: true },
  };
  const qualityBySet: Record<string, Record<string, Quality>> = {};
  for (const [setName, queries] of Object.entries(sets)) {
    if (queries.length === 0) continue;
    qualityBySet[setName] = {};
    for (const [configName, extra] of Object.entries(configs)) qualityBySet[setName]![configName] = quality(index, queries, extra);
  }
  // The index's own cost: without the result cache (every timed call repeats a query, so all
  // would be hits); then the same queries with it (the repeats hit), as a second row.
  const uncached = TextIndex.fromBytes(bytes, { resultCache: false });
  const latencyClean = latency(uncached, sets.clean, configs.all!);
  const latencyPlain = latency(uncached, sets.clean, configs.plain!);
  const latencyTypo = sets.typo.length ? latency(uncached, sets.typo, configs.all!) : null;
  const latencyFacets = latency(uncached, sets.clean, { ...configs.all!, facets: { brands: true, categories: true, priceBands: [0, 10, 50, 100, 500, 1000] } });
  const latencyCacheHits = latency(index, sets.clean, configs.all!);
  const row: LocaleRow = {
    locale,
    items: shop.items.length,
    terms: index.termCount,
    buildSeconds,
    itemsPerSecond: shop.items.length / buildSeconds,
    memoryBytes,
    diskBytes: bytes.length,
    loadSeconds,
    latency: { clean: latencyClean, cleanPlain: latencyPlain, typo: latencyTypo, cleanWithFacets: latencyFacets, cleanCacheHits: latencyCacheHits },
    quality: qualityBySet,
    querySets: Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, v.length])),
  };
  return row;
}

/**
 * The synthetic catalogs have small vocabularies (a few hundred terms), so typo search cost at a
 * real catalog's size is measured apart: a dictionary of 200,000 random words (3–10 letters),
 * queried with one-edit typos of its own words of 4+ letters (distance 1) and 8+ letters
 * (distance 2), with the index's limit of 256 candidates.
 */
function typoSearchAtScale() {
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const dictionary = new TermDictionary();
  while (dictionary.size < 200_000) dictionary.intern(Array.from({ length: 3 + Math.floor(random() * 8) }, () => letters[Math.floor(random() * 26)]).join(''));
  const out: Record<string, unknown> = { terms: dictionary.size, trieNodes: dictionary.nodeCount };
  for (const distance of [1, 2]) {
    const times: number[] = [];
    let visited = 0;
    let found = 0;
    const probes = 2000;
    for (let i = 0; i < probes; i++) {
      // Query lengths follow the index's default budget: 1 edit from 4 letters, 2 from 8.
      let word = dictionary.term(Math.floor(random() * dictionary.size));
      while (word.length < (distance === 1 ? 4 : 8)) word = dictionary.term(Math.floor(random() * dictionary.size));
      const at = distance === 2 ? 1 + Math.floor(random() * (word.length - 1)) : Math.floor(random() * word.length);
      const typo = word.slice(0, at) + letters[Math.floor(random() * 26)] + word.slice(at + 1);
      const stats = { visitedNodes: 0 };
      const started = performance.now();
      // As the index searches: one edit anywhere; two edits keeping the first character.
      const matches = dictionary.fuzzy(typo, distance, 256, stats, distance === 2);
      times.push(performance.now() - started);
      visited += stats.visitedNodes;
      if (typo === word || matches.some((m) => dictionary.term(m.termId) === word)) found++;
    }
    if (found !== probes) throw new Error(`validation failed: fuzzy search missed ${probes - found} of ${probes} one-edit typos`);
    times.sort((a, b) => a - b);
    out[`distance${distance}`] = { p50Ms: times[probes >> 1], p99Ms: times[Math.floor(probes * 0.99)], meanVisitedNodes: visited / probes, visitedShare: visited / probes / dictionary.nodeCount };
  }
  return out;
}

if (value('--child') === 'typo-scale') {
  process.stdout.write(JSON.stringify(typoSearchAtScale()));
  process.exit(0);
}

if (childLocale) {
  process.stdout.write(JSON.stringify(measure(childLocale)));
  process.exit(0);
}

const results: LocaleRow[] = [];
const table: string[][] = [];
for (const locale of ['en', 'zh'] as const) {
  const child = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--child', locale, '--items', String(itemCount), '--queries', String(queryCount)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.status !== 0) throw new Error(`the ${locale} benchmark process failed with status ${child.status}`);
  const row = JSON.parse(child.stdout) as LocaleRow & {
    items: number; terms: number; buildSeconds: number; itemsPerSecond: number; memoryBytes: number; diskBytes: number; loadSeconds: number;
    latency: Record<string, { p50Ms: number; p99Ms: number; bestOfRepeatsP99Ms: number; meanMs: number } | null>;
  };
  results.push(row);
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  const l = row.latency;
  console.log(`\n== ${locale}: ${row.items} items, ${row.terms} terms ==`);
  console.log(`build ${row.buildSeconds.toFixed(2)} s (${Math.round(row.itemsPerSecond)} items/s), memory ${mb(row.memoryBytes)} MiB, on disk ${mb(row.diskBytes)} MiB, load ${(row.loadSeconds * 1000).toFixed(0)} ms`);
  console.log(`latency, all features: p50 ${l.clean!.p50Ms.toFixed(3)} ms, p99 ${l.clean!.p99Ms.toFixed(3)} ms (best of repeats per query: p99 ${l.clean!.bestOfRepeatsP99Ms.toFixed(3)} ms), mean ${l.clean!.meanMs.toFixed(3)} ms; no typos/synonyms: p99 ${l.cleanPlain!.p99Ms.toFixed(3)} ms; with facets: p99 ${l.cleanWithFacets!.p99Ms.toFixed(3)} ms${l.typo ? `; typo queries: p99 ${l.typo.p99Ms.toFixed(3)} ms` : ''}; repeats with the result cache: p50 ${l.cleanCacheHits!.p50Ms.toFixed(3)} ms, p99 ${l.cleanCacheHits!.p99Ms.toFixed(3)} ms`);
  for (const [setName, byConfig] of Object.entries(row.quality)) {
    for (const [configName, q] of Object.entries(byConfig)) {
      table.push([locale, setName, String(q.queries), configName, q.ndcg.toFixed(3), q.mrr.toFixed(3), (q.zeroResultRate * 100).toFixed(1) + '%']);
    }
  }
}

const typoChild = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', 'typo-scale'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (typoChild.status !== 0) throw new Error('the typo-search benchmark process failed');
const typoScale = JSON.parse(typoChild.stdout) as { terms: number; trieNodes: number; distance1: { p50Ms: number; p99Ms: number; visitedShare: number }; distance2: { p50Ms: number; p99Ms: number; visitedShare: number } };
console.log(`\n== typo search on a ${typoScale.terms}-term dictionary (${typoScale.trieNodes} trie nodes) ==`);
for (const d of [1, 2] as const) {
  const r = typoScale[`distance${d}`];
  console.log(`distance ${d}: p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms, visits ${(r.visitedShare * 100).toFixed(2)}% of the trie`);
}

const header = ['locale', 'queries', 'n', 'features', 'nDCG@10', 'MRR', 'zero-result'];
const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
console.log('\n' + line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table) console.log(line(r));

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const date = new Date().toISOString().slice(0, 10);
mkdirSync(outDir, { recursive: true });
const path = join(outDir, `retrieval-${date}.json`);
writeFileSync(
  path,
  JSON.stringify(
    {
      suite: 'retrieval',
      date: new Date().toISOString(),
      commit,
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(), node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage: loadavg() },
      options: { items: itemCount, queries: queryCount, seed: 2026, threads: 1 },
      results,
      typoSearchAtScale: typoScale,
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${path}`);
