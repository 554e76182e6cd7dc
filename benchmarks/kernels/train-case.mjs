// One Kernels II benchmark case in a fresh process: the power-law dataset (benchmarks/lib/
// powerlaw.mjs), validated against the scalar reference on a slice of users first, then timed.
// Prints one JSON line with the time and the loss after each iteration / epoch.
//
//   node train-case.mjs '{"op":"als","solver":"cg","d":64,"threads":2,"iterations":4}'
//   node train-case.mjs '{"op":"bpr","d":64,"threads":2,"iterations":3}'
//   node train-case.mjs '{"op":"sgd","d":64,"threads":2,"iterations":3}'
import * as K from '@souk/kernels';

import { powerLawInteractions } from '../lib/powerlaw.mjs';

const spec = JSON.parse(process.argv[2]);
const { op, d, threads, iterations = 3, solver = 'cg', cgSteps = 3, alpha = 10, regularization = 0.01 } = spec;

function factors(rows, cols, seed, scale) {
  let a = seed >>> 0;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) - 0.5) * scale;
  }
  return { data, rows, cols };
}

/** The first `rows` rows of a CSR (a slice for validation against the slow reference). */
function headRows(c, rows) {
  const nnz = c.indptr[rows];
  return { indptr: c.indptr.slice(0, rows + 1), indices: c.indices.slice(0, nnz), data: c.data.slice(0, nnz), rows, cols: c.cols };
}
function headFactors(m, rows) {
  return { data: m.data.slice(0, rows * m.cols), rows, cols: m.cols };
}
function worstRelative(a, b) {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const { csr: counts, stats } = powerLawInteractions({ seed: 42 });
const nnz = counts.indices.length;
const exec = { backend: 'cpu', threads };
const out = { ...spec, dataset: stats, iterationsSeconds: [], losses: [] };
const now = () => performance.now() / 1000;

if (op === 'als') {
  const conf = { ...counts, data: counts.data.map((v) => 1 + alpha * v) };
  const t0 = now();
  const confT = K.transposeCsrSync(conf, exec);
  out.transposeSeconds = now() - t0;
  const x = factors(conf.rows, d, 1, 0.01), y = factors(conf.cols, d, 2, 0.01);
  const opts = { regularization, solver, cgSteps, ...exec };
  // Validate: one user half-step on the first 3,000 users against the reference.
  {
    const sub = headRows(conf, 3000), xs = headFactors(x, 3000), xr = headFactors(x, 3000);
    const yty = K.gramSync(y, exec);
    K.alsSolveSync(sub, y, yty, xs, opts);
    K.alsSolveSync(sub, y, yty, xr, { ...opts, backend: 'ref' });
    out.validationRelativeError = worstRelative(xs.data, xr.data);
    if (!(out.validationRelativeError < 1e-3)) throw new Error(`ALS differs from the reference: ${out.validationRelativeError}`);
  }
  for (let it = 0; it < iterations; it++) {
    const t = now();
    K.alsSolveSync(conf, y, K.gramSync(y, exec), x, opts);
    K.alsSolveSync(confT, x, K.gramSync(x, exec), y, opts);
    out.iterationsSeconds.push(now() - t);
    out.losses.push(K.alsLossSync(conf, x, y, { regularization, ...exec }).loss);
  }
  const rows = conf.rows + conf.cols;
  const gramFlops = 2 * rows * d * d;
  out.flopsPerIteration =
    solver === 'cg'
      ? (cgSteps + 1) * (2 * 4 * d * nnz + 2 * d * d * rows) + gramFlops
      : 2 * d * d * nnz + (rows * d ** 3) / 3 + gramFlops;
} else if (op === 'bpr') {
  const p = factors(counts.rows, d, 3, 0.1), q = factors(counts.cols, d, 4, 0.1), b = new Float32Array(counts.cols);
  {
    const sub = headRows(counts, 3000);
    const args = () => [headFactors(p, 3000), factors(counts.cols, d, 4, 0.1), new Float32Array(counts.cols)];
    const [pa, qa, ba] = args(), [pb, qb, bb] = args();
    K.bprEpochSync(sub, pa, qa, ba, { seed: 1, threads: 1, backend: 'cpu' });
    K.bprEpochSync(sub, pb, qb, bb, { seed: 1, backend: 'ref' });
    out.validationRelativeError = worstRelative(qa.data, qb.data);
    if (!(out.validationRelativeError < 1e-4)) throw new Error(`BPR differs from the reference: ${out.validationRelativeError}`);
  }
  for (let it = 0; it < iterations; it++) {
    const t = now();
    const r = K.bprEpochSync(counts, p, q, b, { learningRate: 0.05, regularization, seed: it, verifyNegatives: true, ...exec });
    out.iterationsSeconds.push(now() - t);
    out.losses.push(r.loss);
    out.skipped = r.skipped;
    out.trainAuc = r.correct / r.processed;
  }
  out.flopsPerIteration = 8 * d * nnz;
} else if (op === 'sgd') {
  const ratings = { ...counts, data: counts.data.map((v, j) => 1 + ((v * 7 + j) % 5)) };
  let mean = 0;
  for (const v of ratings.data) mean += v;
  mean /= nnz;
  const p = factors(ratings.rows, d, 5, 0.1), q = factors(ratings.cols, d, 6, 0.1);
  const biases = { user: new Float32Array(ratings.rows), item: new Float32Array(ratings.cols), globalMean: mean };
  {
    const sub = headRows(ratings, 3000);
    const mk = () => ({ p: headFactors(p, 3000), q: factors(ratings.cols, d, 6, 0.1), b: { user: new Float32Array(3000), item: new Float32Array(ratings.cols), globalMean: mean } });
    const a = mk(), c = mk();
    K.sgdEpochSync(sub, a.p, a.q, a.b, { seed: 1, threads: 1, backend: 'cpu' });
    K.sgdEpochSync(sub, c.p, c.q, c.b, { seed: 1, backend: 'ref' });
    out.validationRelativeError = worstRelative(a.q.data, c.q.data);
    if (!(out.validationRelativeError < 1e-4)) throw new Error(`SGD differs from the reference: ${out.validationRelativeError}`);
  }
  for (let it = 0; it < iterations; it++) {
    const t = now();
    const r = K.sgdEpochSync(ratings, p, q, biases, { learningRate: 0.005, regularization: 0.02, seed: it, ...exec });
    out.iterationsSeconds.push(now() - t);
    out.losses.push(r.rmse);
  }
  out.flopsPerIteration = 6 * d * nnz;
} else {
  throw new Error(`unknown op ${op}`);
}
out.bestSeconds = Math.min(...out.iterationsSeconds);
out.gflops = out.flopsPerIteration / out.bestSeconds / 1e9;
process.stdout.write(`${JSON.stringify(out)}\n`);
