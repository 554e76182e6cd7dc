#!/usr/bin/env node
// The benchmark harness entry: `pnpm bench <suite> [options]`.
//   kernels   every kernel op x backend x size, validated before timed, with machine limits and
//             peers (numpy, faiss) where Debian's python3-numpy / python3-faiss are installed
//   data      ingest + clean + matrix build (benchmarks/data.ts)
//   models    fit time and quality per model (benchmarks/models.ts)
//   retrieval search index build, size, latency and relevance (benchmarks/retrieval.ts)
//   search    quality chain text → +typos/synonyms → +personalisation → +learned ranker (benchmarks/search-quality.ts)
//   service   the HTTP server under a mixed load (autocannon) and SIGKILL durability
//             (benchmarks/service.ts; --quick for a smoke run)
//   reads     the engine's reads in-process with 0, 1 and 2 read workers (benchmarks/reads.ts;
//             needs the service benchmark's built data directory)
//   norm-order how much of the catalogue the norm-ordered recommendation scan scores (benchmarks/norm-order.ts)
// Results go to benchmarks/results/ as JSON plus an SVG chart.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [suite, ...rest] = process.argv.slice(2);
const suites = {
  kernels: ['node', [join(here, 'kernels', 'main.mjs'), ...rest]],
  data: ['node', ['--import', 'tsx', join(here, 'data.ts'), ...rest]],
  models: ['node', ['--import', 'tsx', join(here, 'models.ts'), ...rest]],
  retrieval: ['node', ['--import', 'tsx', join(here, 'retrieval.ts'), ...rest]],
  search: ['node', ['--import', 'tsx', join(here, 'search-quality.ts'), ...rest]],
  service: ['node', ['--import', 'tsx', join(here, 'service.ts'), ...rest]],
  'service-attach': ['node', ['--import', 'tsx', join(here, 'service-attach.ts'), ...rest]],
  reads: ['node', ['--import', 'tsx', join(here, 'reads.ts'), ...rest]],
  startup: ['node', ['--import', 'tsx', join(here, 'startup.ts'), ...rest]],
  'norm-order': ['node', ['--import', 'tsx', join(here, 'norm-order.ts'), ...rest]],
};
if (!suite || !suites[suite]) {
  process.stderr.write(`usage: pnpm bench <${Object.keys(suites).join('|')}> [options]\n`);
  process.exit(2);
}
const [cmd, args] = suites[suite];
const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: dirname(here) });
process.exit(r.status ?? 1);
