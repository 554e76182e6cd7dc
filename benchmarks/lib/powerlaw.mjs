// The seeded power-law implicit dataset the training benchmarks use (Kernels II, models), shaped
// like the one the implicit comparison targets were measured on: the top 1% of items hold about
// 29% of the interactions, user degrees run from 7 to about 10,000 with median 33, and values are
// event counts with mean about 1.07.
//
// Item weights are (rank + 1)^-s with s chosen so the top 1% carry `headWeight`; item ids are a
// seeded permutation of ranks. User degrees are log-normal (median 33, sigma 0.75) for 99.4% of
// users and Pareto (x_min 300, alpha 1) for 0.6%, clipped to [7, 10,000] and scaled to the total.
// Each user draws distinct items, which lowers the realised head share (heavy users exhaust the
// head), so `powerLawInteractions` corrects headWeight once to realise the target. Counts are
// 1 + Geometric(0.0654): mean 1.07.

function mulberry(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(users, items, total, seed, headWeight) {
  const random = mulberry(seed);
  const head = Math.max(1, Math.round(items / 100));
  const share = (s) => {
    let h = 0, all = 0;
    for (let i = 0; i < items; i++) {
      const w = (i + 1) ** -s;
      all += w;
      if (i < head) h += w;
    }
    return h / all;
  };
  let lo = 0, hi = 2;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (share(mid) < headWeight) lo = mid;
    else hi = mid;
  }
  const s = (lo + hi) / 2;
  const cumulative = new Float64Array(items);
  let acc = 0;
  for (let i = 0; i < items; i++) {
    acc += (i + 1) ** -s;
    cumulative[i] = acc;
  }
  const perm = Int32Array.from({ length: items }, (_, i) => i);
  for (let i = items - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-300))) * Math.cos(2 * Math.PI * random());
  const raw = Float64Array.from({ length: users }, () =>
    random() < 0.006 ? 300 * (1 - random()) ** -1 : Math.exp(Math.log(33) + 0.75 * normal()),
  );
  let sum = 0;
  for (const d of raw) sum += Math.min(10_000, Math.max(7, d));
  const scale = total / sum;
  const degrees = Int32Array.from(raw, (d) => Math.round(Math.min(10_000, Math.max(7, d * scale))));
  const indptr = new Int32Array(users + 1);
  for (let u = 0; u < users; u++) indptr[u + 1] = indptr[u] + Math.min(degrees[u], items);
  const nnz = indptr[users];
  const indices = new Int32Array(nnz);
  const stamp = new Int32Array(items);
  for (let u = 0; u < users; u++) {
    const b = indptr[u], e = indptr[u + 1];
    let n = b;
    while (n < e) {
      const x = random() * acc;
      let l = 0, r = items - 1;
      while (l < r) {
        const m = (l + r) >> 1;
        if (cumulative[m] < x) l = m + 1;
        else r = m;
      }
      const item = perm[l];
      if (stamp[item] === u + 1) continue;
      stamp[item] = u + 1;
      indices[n++] = item;
    }
    indices.subarray(b, e).sort();
  }
  const data = new Float32Array(nnz);
  let countSum = 0;
  for (let j = 0; j < nnz; j++) {
    let c = 1;
    while (random() < 0.0654) c++;
    data[j] = c;
    countSum += c;
  }
  const sorted = Int32Array.from(degrees).sort();
  const counts = new Int32Array(items);
  for (const i of indices) counts[i]++;
  const byCount = Int32Array.from(counts).sort().reverse();
  let headCount = 0;
  for (let i = 0; i < head; i++) headCount += byCount[i];
  return {
    csr: { indptr, indices, data, rows: users, cols: items },
    stats: {
      users, items, interactions: nnz, zipfExponent: s, headWeight, headShare: headCount / nnz,
      degreeMin: sorted[0], degreeMedian: sorted[users >> 1], degreeMax: sorted[users - 1], meanCount: countSum / nnz,
    },
  };
}

/**
 * Seeded power-law interactions (users x items CSR, sorted rows, values = event counts) and
 * statistics of what was generated.
 */
export function powerLawInteractions({ users = 100_000, items = 50_000, total = 5_000_000, seed = 42, headShare = 0.29 } = {}) {
  const first = generate(users, items, total, seed, headShare);
  const corrected = Math.min(0.95, headShare * (headShare / first.stats.headShare));
  return generate(users, items, total, seed, corrected);
}
