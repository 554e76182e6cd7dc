// One benchmark case in a fresh process (CONVENTIONS.md 20): build the inputs from a seed,
// validate the backend's answer against a reference, then time it. Prints one JSON line.
//
//   node case.mjs '{"kind":"machine"}'
//   node case.mjs '{"kind":"op","op":"topK","backend":"cpu","threads":2,"m":1000,"n":200000,"d":64,"k":10}'
//   node case.mjs '{"kind":"op","op":"topK","backend":"cuda","resident":true,"m":1000,"n":200000,"d":64,"k":10}'
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as K from '@souk/kernels';
import * as R from '@souk/kernels/reference';

const spec = JSON.parse(process.argv[2]);

function randomMatrix(rows, cols, seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = next() + next() + next() - 1.5;
  return { data, rows, cols };
}

function rowsOf(mat, from, to) {
  return { data: mat.data.subarray(from * mat.cols, to * mat.cols), rows: to - from, cols: mat.cols };
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

if (spec.kind === 'machine') {
  const limits = K.measureMachine({ seconds: spec.seconds ?? 0.5 });
  emit({ ...limits, caps: K.capabilities() });
  process.exit(0);
}

const { op, backend, threads = 0, m, n, d, k = 10 } = spec;
const q = randomMatrix(m, d, 1000 + d);
const items = randomMatrix(n, d, 2000 + d);
const rssInputs = process.memoryUsage().rss;
const execOpts = backend === 'ts-ref' ? null : { backend, threads };
// spec.resident: the items are uploaded once (a DeviceMatrix, as a server keeps them on the GPU) and
// only the queries travel per call; validation below still reads the host copy.
const itemsArg = spec.resident ? K.DeviceMatrix.from(items, { backend }) : items;
const opts = { k, temperature: 0.5, seed: 7 };

function runOnce() {
  switch (op) {
    case 'topK':
      return backend === 'ts-ref' ? R.topKRef(q, items, opts) : K.topKSync(q, itemsArg, { k, ...execOpts });
    case 'softmaxTopK':
      return backend === 'ts-ref' ? R.softmaxTopKRef(q, items, opts) : K.softmaxTopKSync(q, itemsArg, { ...opts, ...execOpts });
    case 'sampleTopK':
      return backend === 'ts-ref' ? R.sampleTopKRef(q, items, opts) : K.sampleTopKSync(q, itemsArg, { ...opts, ...execOpts });
    case 'scores':
      return backend === 'ts-ref' ? R.scoresRef(q, items) : K.scoresSync(q, itemsArg, execOpts);
    case 'gram':
      return backend === 'ts-ref' ? R.gramRef(items) : K.gramSync(itemsArg, execOpts);
    default:
      throw new Error(`unknown op ${op}`);
  }
}

// ---- validate first: a sample of rows against the native scalar reference ----
function validate(result) {
  if (backend === 'ts-ref' || backend === 'ref') return 'reference';
  const sample = Math.min(m, 4);
  if (op === 'gram') {
    const ref = K.gramSync(items, { backend: 'ref' });
    // Error relative to sqrt(G_aa G_bb), the natural scale of entry (a, b) (Cauchy-Schwarz).
    let worst = 0;
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        const scale = Math.sqrt(ref.data[a * d + a] * ref.data[b * d + b]) || 1;
        worst = Math.max(worst, Math.abs(ref.data[a * d + b] - result.data[a * d + b]) / scale);
      }
    if (worst > 1e-5) throw new Error(`gram differs from the reference by ${worst} (relative to sqrt(G_aa G_bb))`);
    return 'ok';
  }
  if (op === 'scores') {
    const ref = K.scoresSync(rowsOf(q, 0, sample), items, { backend: 'ref' });
    for (let i = 0; i < ref.data.length; i++) {
      if (Math.abs(ref.data[i] - result.data[i]) > 1e-3 + 1e-4 * Math.abs(ref.data[i])) throw new Error(`scores[${i}] ${result.data[i]} vs ${ref.data[i]}`);
    }
    return 'ok';
  }
  const refFn = op === 'topK' ? K.topKSync : op === 'softmaxTopK' ? K.softmaxTopKSync : K.sampleTopKSync;
  const ref = refFn(rowsOf(q, 0, sample), items, { ...opts, backend: 'ref' });
  for (let r = 0; r < sample; r++) {
    for (let j = 0; j < k; j++) {
      const a = result.scores[r * k + j], b = ref.scores[r * k + j];
      if (Math.abs(a - b) > 1e-3 + 1e-4 * Math.abs(b)) throw new Error(`row ${r} position ${j}: score ${a} vs reference ${b}`);
    }
  }
  return 'ok';
}

const t0 = performance.now();
const first = runOnce();
const firstMs = performance.now() - t0;
const validated = validate(first);
if (spec.dump) {
  mkdirSync(spec.dump, { recursive: true });
  writeFileSync(join(spec.dump, 'queries.f32'), q.data);
  writeFileSync(join(spec.dump, 'items.f32'), items.data);
  writeFileSync(join(spec.dump, 'souk-indices.i32'), first.indices);
}

// ---- time: repeat until ~minSeconds or maxReps, report best and median ----
const times = [firstMs];
const minMs = (spec.minSeconds ?? 1.5) * 1000;
const maxReps = spec.maxReps ?? 10;
let total = firstMs;
while (times.length < maxReps && total < minMs) {
  const t = performance.now();
  runOnce();
  const dt = performance.now() - t;
  times.push(dt);
  total += dt;
}
times.sort((a, b) => a - b);
// gram computes the upper triangle: n * d * (d + 1) flops.
const flops = op === 'gram' ? n * d * (d + 1) : 2 * m * n * d;
const usage = process.resourceUsage();
emit({
  ...spec,
  validated,
  reps: times.length,
  bestMs: times[0],
  medianMs: times[Math.floor(times.length / 2)],
  gflops: flops / (times[0] / 1000) / 1e9,
  inputMiB: (q.data.byteLength + items.data.byteLength) / 2 ** 20,
  rssInputsMiB: rssInputs / 2 ** 20,
  maxRssMiB: usage.maxRSS / 1024,
  simd: K.capabilities().simd,
});
