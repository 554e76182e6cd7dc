// sgd_epoch_ref / sgd_epoch_cpu: one epoch of biased matrix factorisation by SGD on explicit
// ratings (CSR users x items, values = ratings). See souk/factorization.h for the update rule and
// the visiting order (T contiguous chunks of the nnz positions, chunk t shuffled with
// Rng(seed, t); the reference is T = 1). cpu: one task per thread, Hogwild (rows of P, Q and the
// biases are shared without locks). Complexity 6 d nnz flops; memory 8 nnz bytes (order + row of
// each entry).
#include <cmath>
#include <vector>

#include "common_internal.h"
#include "kernels.h"
#include "souk/factorization.h"

namespace souk {

using namespace fact;

namespace {

Status nonfinite_sample(const CsrView& r, int64_t k, int32_t u, const MutMatrixView& p,
                        const MutMatrixView& q, const MutVectorView& ub, const MutVectorView& ib) {
  const int32_t i = r.indices[k];
  if (r.data && !std::isfinite(r.data[k]))
    return Status(Code::NonFinite, "Expected finite ratings but received " + fmt(r.data[k]) + " at entry " + std::to_string(k));
  if (!finite_row(p.row(u), p.cols) || !std::isfinite(ub.data[u]))
    return Status(Code::NonFinite, "Expected finite values for P but received NaN or Infinity in row " + std::to_string(u));
  if (!finite_row(q.row(i), q.cols) || !std::isfinite(ib.data[i]))
    return Status(Code::NonFinite, "Expected finite values for Q but received NaN or Infinity in row " + std::to_string(i));
  return Status(Code::Diverged, "Expected finite predictions but received NaN or Infinity (learning rate too large?)");
}

}  // namespace

Status sgd_epoch_ref(const CsrView& ratings, const MutMatrixView& p, const MutMatrixView& q,
                     const MutVectorView& user_bias, const MutVectorView& item_bias,
                     const SgdParams& params, SgdOut* out) {
  SOUK_RETURN_IF_ERROR(validate_sgd_epoch(ratings, p, q, user_bias, item_bias, params));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  try {
    const int64_t nnz = ratings.nnz, d = p.cols;
    std::vector<int32_t> rows_of(static_cast<size_t>(nnz)), order(static_cast<size_t>(nnz));
    for (int64_t r = 0; r < ratings.rows; ++r)
      for (int32_t k = ratings.indptr[r]; k < ratings.indptr[r + 1]; ++k) rows_of[k] = static_cast<int32_t>(r);
    shuffled_range(order.data(), 0, nnz, params.seed, 0);
    const double lr = static_cast<float>(params.learning_rate), reg = static_cast<float>(params.regularization);
    const double mu = static_cast<float>(params.global_mean);
    double sq = 0;
    for (int64_t t = 0; t < nnz; ++t) {
      const int32_t k = order[t], u = rows_of[k], i = ratings.indices[k];
      float* pu = p.row(u);
      float* qi = q.row(i);
      double dot = 0;
      for (int64_t f = 0; f < d; ++f) dot += static_cast<double>(pu[f]) * qi[f];
      const double pred = mu + user_bias.data[u] + item_bias.data[i] + dot;
      const double e = (ratings.data ? ratings.data[k] : 1.0f) - pred;
      if (!std::isfinite(e)) return nonfinite_sample(ratings, k, u, p, q, user_bias, item_bias);
      sq += e * e;
      user_bias.data[u] = static_cast<float>(user_bias.data[u] + lr * (e - reg * user_bias.data[u]));
      item_bias.data[i] = static_cast<float>(item_bias.data[i] + lr * (e - reg * item_bias.data[i]));
      for (int64_t f = 0; f < d; ++f) {
        const double pold = pu[f], qold = qi[f];
        pu[f] = static_cast<float>(pold + lr * (e * qold - reg * pold));
        qi[f] = static_cast<float>(qold + lr * (e * pold - reg * qold));
      }
    }
    out->samples = nnz;
    out->rmse = nnz > 0 ? std::sqrt(sq / nnz) : 0.0;
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in sgd_epoch_ref");
  }
  return Status::ok();
}

Status sgd_epoch_cpu(const ExecContext& ctx, const CsrView& ratings, const MutMatrixView& p,
                     const MutMatrixView& q, const MutVectorView& user_bias,
                     const MutVectorView& item_bias, const SgdParams& params, SgdOut* out) {
  SOUK_RETURN_IF_ERROR(validate_sgd_epoch(ratings, p, q, user_bias, item_bias, params));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  try {
    const int64_t nnz = ratings.nnz;
    out->samples = nnz;
    out->rmse = 0;
    if (nnz == 0) return Status::ok();
    std::vector<int32_t> rows_of, order(static_cast<size_t>(nnz));
    SOUK_RETURN_IF_ERROR(fill_row_ids(ctx, ratings, &rows_of));
    int64_t T = ctx.effective_threads();
    if (T > nnz) T = nnz;
    std::vector<double> sq(static_cast<size_t>(T), 0.0);
    SgdArgs a;
    a.indices = ratings.indices;
    a.ratings = ratings.data;
    a.rows_of = rows_of.data();
    a.p = p.data;
    a.p_stride = p.stride;
    a.q = q.data;
    a.q_stride = q.stride;
    a.user_bias = user_bias.data;
    a.item_bias = item_bias.data;
    a.d = p.cols;
    a.lr = static_cast<float>(params.learning_rate);
    a.reg = static_cast<float>(params.regularization);
    a.mu = static_cast<float>(params.global_mean);
    const KernelTable& k = active_kernels();
    SOUK_RETURN_IF_ERROR(ctx.parallel_for(T, [&](int64_t t, int) -> Status {
      const int64_t b = nnz * t / T, e = nnz * (t + 1) / T;
      int32_t* ord = order.data() + b;
      shuffled_range(ord, b, e, params.seed, static_cast<uint64_t>(t));
      int64_t bad = -1;
      sq[t] = k.sgd_run(a, ord, e - b, &bad);
      if (bad < 0) return Status::ok();
      const int32_t kk = ord[bad];
      return nonfinite_sample(ratings, kk, rows_of[kk], p, q, user_bias, item_bias);
    }));
    double total = 0;
    for (double v : sq) total += v;
    out->rmse = std::sqrt(total / nnz);
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in sgd_epoch_cpu");
  }
  return Status::ok();
}

}  // namespace souk
