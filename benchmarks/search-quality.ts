// Search-quality benchmark: the chain text only → + typos and synonyms → + personalisation →
// + learned ranker (benchmarks/lib/search-quality.ts describes the protocol), on English and
// Chinese synthetic shops: nDCG@10, MRR and zero-result rate per step with the lift over the
// previous step, on held-out logged search requests (engagement and graded ground truth, all /
// clean / noisy queries), the text steps on the shop's whole query set, search latency p50/p99
// and the index's build time, memory and on-disk size.
//
//   node benchmarks/run.mjs search [--items N] [--users N] [--queries N] [--events N] [--candidates N] [--out DIR]
//
// Each locale runs in a fresh process (clean memory figures). Results: benchmarks/results/search-quality-<date>.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainMarkdown, runSearchQualityChain, type ChainReport } from './lib/search-quality.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const value = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const numberOption = (flag: string, fallback: number) => {
  const v = Number(value(flag) ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} needs a positive integer`);
  return v;
};
const sizes = {
  items: numberOption('--items', 5_000),
  users: numberOption('--users', 1_000),
  queries: numberOption('--queries', 300),
  events: numberOption('--events', 200_000),
  candidates: numberOption('--candidates', 100),
};
const outDir = value('--out') ?? join(here, 'results');
const child = value('--child') as 'en' | 'zh' | undefined;

if (child) {
  process.stdout.write(JSON.stringify(runSearchQualityChain({ locale: child, ...sizes })));
  process.exit(0);
}

const reports: ChainReport[] = [];
for (const locale of ['en', 'zh'] as const) {
  const run = spawnSync(process.execPath, [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--child', locale, ...Object.entries(sizes).flatMap(([k, v]) => [`--${k}`, String(v)])], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`the ${locale} search-quality process failed with status ${run.status}`);
  const report = JSON.parse(run.stdout) as ChainReport;
  reports.push(report);
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`\n${chainMarkdown(report)}\n`);
  console.log(`index: ${report.index.items} items, ${report.index.terms} terms, build ${report.index.buildSeconds.toFixed(2)} s, memory ${mb(report.index.memoryBytes)} MiB, on disk ${mb(report.index.diskBytes)} MiB`);
  const l = report.latency!;
  console.log(`latency per request (ms): text only p50 ${l.text.p50Ms.toFixed(3)} p99 ${l.text.p99Ms.toFixed(3)}; typos+synonyms (k=${report.options.candidates}) p50 ${l.typosSynonyms.p50Ms.toFixed(3)} p99 ${l.typosSynonyms.p99Ms.toFixed(3)}; search + features + scoring p50 ${l.ranked.p50Ms.toFixed(3)} p99 ${l.ranked.p99Ms.toFixed(3)}`);
  for (const [set, byStep] of Object.entries(report.querySet)) {
    if (byStep.text.requests === 0) continue;
    console.log(`query set ${set} (${byStep.text.requests}): nDCG@10 ${byStep.text.ndcg.toFixed(4)} → ${byStep.typosSynonyms.ndcg.toFixed(4)}, MRR ${byStep.text.mrr.toFixed(4)} → ${byStep.typosSynonyms.mrr.toFixed(4)}, zero-result ${(byStep.text.zeroResultRate * 100).toFixed(1)}% → ${(byStep.typosSynonyms.zeroResultRate * 100).toFixed(1)}%`);
  }
}

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
mkdirSync(outDir, { recursive: true });
const path = join(outDir, `search-quality-${new Date().toISOString().slice(0, 10)}.json`);
writeFileSync(
  path,
  JSON.stringify(
    {
      suite: 'search-quality',
      date: new Date().toISOString(),
      commit,
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryBytes: totalmem(), node: process.version, platform: `${process.platform}-${process.arch}`, loadAverage: loadavg() },
      options: sizes,
      results: reports,
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${path}`);
