// bpr_epoch_ref / bpr_epoch_cpu: one epoch of BPR (Rendle 2009) the way implicit's bpr_update
// does it (see souk/factorization.h). The cpu path finds the row of a sampled entry by a
// lock-step binary search over indptr instead of a row-id array. The samples are split into T contiguous chunks (T = threads
// used; the reference is T = 1); chunk t draws from Rng(seed, t) with the shared bpr_draw, so the
// reference and cpu(threads = 1) visit the same triples in the same order. cpu: one task per
// thread, draws batched (256 triples, sampling does not depend on the factors) and handed to the
// SIMD update loop; Hogwild updates. Complexity: 8 d flops per processed sample + a binary search
// in the user's row when verifying, + log(rows) for the row of the positive; memory O(threads)
// (the reference keeps a 4 nnz byte row-id array).
#include <algorithm>
#include <cmath>
#include <vector>

#include "common_internal.h"
#include "kernels.h"
#include "souk/factorization.h"

namespace souk {

using namespace fact;

namespace {

Status nonfinite_triple(const BprDraw& s, const MutMatrixView& p, const MutMatrixView& q,
                        const MutVectorView& ib) {
  if (!finite_row(p.row(s.u), p.cols))
    return Status(Code::NonFinite, "Expected finite values for P but received NaN or Infinity in row " + std::to_string(s.u));
  for (int32_t it : {s.i, s.j})
    if (!finite_row(q.row(it), q.cols) || !std::isfinite(ib.data[it]))
      return Status(Code::NonFinite, "Expected finite values for Q but received NaN or Infinity in row " + std::to_string(it));
  return Status(Code::Diverged, "Expected finite scores but received NaN or Infinity (learning rate too large?)");
}

int64_t sample_count(const CsrView& c, const BprParams& params) {
  return params.samples > 0 ? params.samples : c.nnz;
}

}  // namespace

Status bpr_epoch_ref(const CsrView& c, const MutMatrixView& p, const MutMatrixView& q,
                     const MutVectorView& item_bias, const BprParams& params, BprOut* out) {
  SOUK_RETURN_IF_ERROR(validate_bpr_epoch(c, p, q, item_bias, params));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  try {
    *out = BprOut();
    const int64_t samples = sample_count(c, params), d = p.cols;
    if (samples == 0) return Status::ok();
    std::vector<int32_t> rows_of(static_cast<size_t>(c.nnz));
    for (int64_t r = 0; r < c.rows; ++r)
      for (int32_t k = c.indptr[r]; k < c.indptr[r + 1]; ++k) rows_of[k] = static_cast<int32_t>(r);
    const double lr = static_cast<float>(params.learning_rate), reg = static_cast<float>(params.regularization);
    const bool uniform = params.negatives == BprNegatives::Uniform;
    Rng rng(params.seed, 0);
    double loss = 0;
    for (int64_t s = 0; s < samples; ++s) {
      BprDraw t;
      if (!bpr_draw(c, rows_of.data(), params.verify_negatives, uniform, rng, &t)) {
        out->skipped++;
        continue;
      }
      float* pu = p.row(t.u);
      float* qi = q.row(t.i);
      float* qj = q.row(t.j);
      double x = static_cast<double>(item_bias.data[t.i]) - item_bias.data[t.j];
      for (int64_t f = 0; f < d; ++f) x += static_cast<double>(pu[f]) * (static_cast<double>(qi[f]) - qj[f]);
      if (!std::isfinite(x)) return nonfinite_triple(t, p, q, item_bias);
      const double z = 1.0 / (1.0 + std::exp(x));
      if (z < 0.5) out->correct++;
      loss += neg_log_sigmoid(x);
      out->processed++;
      for (int64_t f = 0; f < d; ++f) {
        const double uf = pu[f];
        pu[f] = static_cast<float>(uf + lr * (z * (static_cast<double>(qi[f]) - qj[f]) - reg * uf));
        qi[f] = static_cast<float>(qi[f] + lr * (z * uf - reg * qi[f]));
        qj[f] = static_cast<float>(qj[f] + lr * (-z * uf - reg * qj[f]));
      }
      item_bias.data[t.i] = static_cast<float>(item_bias.data[t.i] + lr * (z - reg * item_bias.data[t.i]));
      item_bias.data[t.j] = static_cast<float>(item_bias.data[t.j] + lr * (-z - reg * item_bias.data[t.j]));
    }
    out->loss = out->processed > 0 ? loss / out->processed : 0.0;
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in bpr_epoch_ref");
  }
  return Status::ok();
}

Status bpr_epoch_cpu(const ExecContext& ctx, const CsrView& c, const MutMatrixView& p,
                     const MutMatrixView& q, const MutVectorView& item_bias,
                     const BprParams& params, BprOut* out) {
  SOUK_RETURN_IF_ERROR(validate_bpr_epoch(c, p, q, item_bias, params));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  try {
    *out = BprOut();
    const int64_t samples = sample_count(c, params);
    if (samples == 0) return Status::ok();
    int64_t T = ctx.effective_threads();
    if (T > samples) T = samples;
    struct Part {
      double loss = 0;
      int64_t correct = 0, skipped = 0, processed = 0;
    };
    std::vector<Part> parts(static_cast<size_t>(T));
    BprArgs a;
    a.p = p.data;
    a.p_stride = p.stride;
    a.q = q.data;
    a.q_stride = q.stride;
    a.item_bias = item_bias.data;
    a.d = p.cols;
    a.lr = static_cast<float>(params.learning_rate);
    a.reg = static_cast<float>(params.regularization);
    const bool uniform = params.negatives == BprNegatives::Uniform;
    const KernelTable& k = active_kernels();
    const uint64_t nnz = static_cast<uint64_t>(c.nnz), cols = static_cast<uint64_t>(c.cols);
    const bool verify = params.verify_negatives;
    SOUK_RETURN_IF_ERROR(ctx.parallel_for(T, [&](int64_t t, int) -> Status {
      const int64_t b = samples * t / T, e = samples * (t + 1) / T;
      Rng rng(params.seed, static_cast<uint64_t>(t));
      // Staged batches so the cache misses of many samples overlap: draw the random entries
      // (same draws, same order as bpr_draw) and prefetch them, resolve u / i / j and prefetch
      // u's row bounds, then verify and compact. Sampling does not depend on the factors, so
      // drawing a batch ahead of its updates visits exactly the reference's sequence.
      constexpr int kBatch = 256;
      int64_t k1[kBatch], k2[kBatch];
      BprTriple cand[kBatch], batch[kBatch];
      Part& part = parts[t];
      for (int64_t s = b; s < e;) {
        const int n = static_cast<int>(std::min<int64_t>(kBatch, e - s));
        for (int q = 0; q < n; ++q) {
          k1[q] = static_cast<int64_t>(rng.below(nnz));
          k2[q] = static_cast<int64_t>(uniform ? rng.below(cols) : rng.below(nnz));
          __builtin_prefetch(c.indices + k1[q]);
          if (!uniform) __builtin_prefetch(c.indices + k2[q]);
        }
        // The row of entry k1: the last r with indptr[r] <= k1, by branchless binary searches
        // over indptr (small, cache resident) advancing 16 samples in lock step. This replaces a
        // per-call nnz-long row-id array and its random reads.
        for (int g0 = 0; g0 < n; g0 += 16) {
          const int gn = std::min(16, n - g0);
          const int32_t* base[16];
          for (int l = 0; l < gn; ++l) base[l] = c.indptr;
          for (int64_t len = c.rows + 1; len > 1; len -= len >> 1) {
            const int64_t half = len >> 1;
            for (int l = 0; l < gn; ++l) base[l] += (base[l][half] <= k1[g0 + l]) ? half : 0;
          }
          for (int l = 0; l < gn; ++l) {
            const int32_t u = static_cast<int32_t>(base[l] - c.indptr);
            cand[g0 + l].u = u;
            if (verify) __builtin_prefetch(c.indptr + u);
          }
        }
        for (int q = 0; q < n; ++q) {
          cand[q].i = c.indices[k1[q]];
          cand[q].j = uniform ? static_cast<int32_t>(k2[q]) : c.indices[k2[q]];
        }
        // Verification: the binary searches of 16 samples advance in lock step (branchless), so 16
        // independent loads are in flight per step instead of one dependent chain at a time.
        bool skip[kBatch];
        if (verify) {
          for (int q = 0; q < n; ++q) {
            const int32_t lo = c.indptr[cand[q].u], hi = c.indptr[cand[q].u + 1];
            __builtin_prefetch(c.indices + lo + (hi - lo) / 2);
          }
          for (int g0 = 0; g0 < n; g0 += 16) {
            const int gn = std::min(16, n - g0);
            const int32_t* base[16];
            int64_t len[16];
            int32_t key[16];
            int64_t maxlen = 0;
            for (int l = 0; l < gn; ++l) {
              const BprTriple& cq = cand[g0 + l];
              base[l] = c.indices + c.indptr[cq.u];
              len[l] = c.indptr[cq.u + 1] - c.indptr[cq.u];
              key[l] = cq.j;
              maxlen = std::max(maxlen, len[l]);
            }
            while (maxlen > 1) {
              for (int l = 0; l < gn; ++l) {
                const int64_t half = len[l] >> 1;
                base[l] += (base[l][half] <= key[l]) ? half : 0;
                len[l] -= half;
              }
              maxlen -= maxlen >> 1;
            }
            for (int l = 0; l < gn; ++l) skip[g0 + l] = len[l] > 0 && *base[l] == key[l];
          }
        }
        int m = 0;
        for (int q = 0; q < n; ++q) {
          if (verify && skip[q]) {
            part.skipped++;
            continue;
          }
          batch[m++] = cand[q];
        }
        s += n;
        int64_t bad = -1;
        k.bpr_run(a, batch, m, &part.loss, &part.correct, &bad);
        if (bad >= 0) {
          const BprDraw dr{batch[bad].u, batch[bad].i, batch[bad].j};
          return nonfinite_triple(dr, p, q, item_bias);
        }
        part.processed += m;
      }
      return Status::ok();
    }));
    double loss = 0;
    for (const Part& pt : parts) {
      loss += pt.loss;
      out->correct += pt.correct;
      out->skipped += pt.skipped;
      out->processed += pt.processed;
    }
    out->loss = out->processed > 0 ? loss / out->processed : 0.0;
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in bpr_epoch_cpu");
  }
  return Status::ok();
}

}  // namespace souk
