// How much of the catalogue the norm-ordered scan (packages/engine/src/norm-order.ts) must score:
// for random users of the service benchmark's ALS model, the share of items, longest vectors
// first, before ‖q‖‖x‖ falls under the user's k-th best score (k = 110 and 200), from a full
// scan in plain JS (the reference). Needs the built data directory of `pnpm bench service`.
//
//   cd /work/main && node benchmarks/run.mjs norm-order [--data-dir DIR]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@souk/data';
import { loadActiveModel } from '../packages/engine/dist/model-files.js';
import { value } from './lib/args.js';

const dataDir = value('--data-dir') ?? join(dirname(fileURLToPath(import.meta.url)), '.cache', 'built-100000-50000-2000000-2026', 'data');
const live = await loadActiveModel(join(dataDir, 'models'));
if (!live) {
  process.stderr.write(`no model under ${dataDir}/models: run \`pnpm bench service\` once first, or pass --data-dir\n`);
  process.exit(2);
}
const m = live.recommender as unknown as { itemFactors: { data: Float32Array; rows: number; cols: number }; userFactors: { data: Float32Array; rows: number; cols: number } };
const I = m.itemFactors, U = m.userFactors;
console.log('items', I.rows, I.cols, 'users', U.rows);
const d = I.cols, n = I.rows;
const norms = new Float64Array(n);
for (let i = 0; i < n; i++) { let s = 0; for (let t = 0; t < d; t++) s += I.data[i * d + t]! ** 2; norms[i] = Math.sqrt(s); }
const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => norms[b]! - norms[a]!);
const sortedNorms = order.map((i) => norms[i]!);
console.log('norm quantiles', [0, 0.01, 0.1, 0.5, 0.9].map((q) => sortedNorms[Math.floor(q * n)]!.toFixed(4)).join(' '));
const random = seededRandom(7);
for (const k of [110, 200]) {
  const fr: number[] = [];
  for (let s = 0; s < 300; s++) {
    const u = Math.floor(random() * U.rows);
    const q = U.data.subarray(u * d, (u + 1) * d);
    let qn = 0; for (let t = 0; t < d; t++) qn += q[t]! ** 2; qn = Math.sqrt(qn);
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) { let s2 = 0; for (let t = 0; t < d; t++) s2 += q[t]! * I.data[i * d + t]!; scores[i] = s2; }
    const sk = Float64Array.from(scores).sort().reverse()[k - 1]!;
    // items needed: first position in norm order where qn*norm < sk
    let p = 0; while (p < n && qn * sortedNorms[p]! >= sk) p++;
    fr.push(p / n);
  }
  fr.sort((a, b) => a - b);
  console.log(`k=${k} scanned fraction: p50 ${fr[150]!.toFixed(3)} p90 ${fr[270]!.toFixed(3)} max ${fr[299]!.toFixed(3)}`);
}
