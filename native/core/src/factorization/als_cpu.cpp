// als_solve_cpu and als_loss_cpu: the multithreaded drivers over the SIMD inner loops
// (kernels.inl). They validate, build the padded d x d matrix A0 = YtY + lambda I once (dp x dp,
// dp = d rounded up to 64, zero padding; NaN/Inf in YtY found while copying), split the rows
// into ~16 tasks per thread of equal estimated cost (nnz + row_cost per row, by binary search on
// indptr: no sort, no scan) and hand them out dynamically; each thread owns one scratch block
// (als_scratch_floats(dp): vectors, A_u, packed items). Rows are independent, so the result does
// not depend on the thread count. Complexity: see souk/factorization.h. Memory O(threads d^2).
#include <cmath>
#include <vector>

#include "common_internal.h"
#include "kernels.h"
#include "souk/factorization.h"
#include "souk/retrieval.h"

namespace souk {

using namespace fact;

namespace {

// A0 (dp x dp) = src + shift I, checking finiteness while copying.
Status build_a0(const MatrixView& src, double shift, int64_t d, int64_t dp, AlignedBuf* a0,
                const char* name) {
  a0->reset(static_cast<size_t>(dp * dp));
  for (int64_t i = 0; i < d; ++i) {
    const float* row = src.row(i);
    float* out = a0->ptr + i * dp;
    float acc = 0;
    for (int64_t j = 0; j < d; ++j) {
      out[j] = row[j];
      acc += row[j] * 0.0f;
    }
    if (acc != 0.0f)
      return Status(Code::NonFinite, std::string("Expected finite values for ") + name +
                                         " but received NaN or Infinity in row " + std::to_string(i));
    out[i] = static_cast<float>(out[i] + shift);
  }
  return Status::ok();
}

AlsArgs make_args(const CsrView& c, const MatrixView& y, const float* xdata, int64_t xstride,
                  const AlignedBuf& a0, int64_t d, int64_t dp) {
  AlsArgs a;
  a.indptr = c.indptr;
  a.indices = c.indices;
  a.conf = c.data;
  a.y = y.data;
  a.y_stride = y.stride;
  a.x = const_cast<float*>(xdata);
  a.x_stride = xstride;
  a.a0 = a0.ptr;
  a.d = d;
  a.dp = dp;
  return a;
}

}  // namespace

Status als_solve_cpu(const ExecContext& ctx, const CsrView& c, const MatrixView& y,
                     const MatrixView& yty, const MutMatrixView& x, const AlsParams& p) {
  SOUK_RETURN_IF_ERROR(validate_als_solve(c, y, yty, x, p));
  if (x.rows == 0) return Status::ok();
  try {
    const int64_t d = x.cols, dp = padded_dim(d);
    AlignedBuf a0;
    SOUK_RETURN_IF_ERROR(build_a0(yty, p.regularization, d, dp, &a0, "YtY"));
    AlsArgs args = make_args(c, y, x.data, x.stride, a0, d, dp);
    args.solver = p.solver == AlsSolver::Cholesky ? 1 : 0;
    args.cg_steps = p.cg_steps;
    const int threads = ctx.effective_threads();
    std::vector<AlignedBuf> scratch;
    scratch.reserve(threads);
    for (int t = 0; t < threads; ++t) scratch.emplace_back(static_cast<size_t>(als_scratch_floats(dp)));
    // Cost of a row in units of "one stored item": CG ~ d/2 (two symv of d^2 vs 4d per item),
    // Cholesky ~ d (d^3/3 factorisation vs d^2/2 per item).
    const double row_cost = p.solver == AlsSolver::Cholesky ? static_cast<double>(d) : d / 2.0;
    const std::vector<int64_t> ranges =
        balanced_ranges(c.indptr, x.rows, row_cost, threads > 1 ? threads * 16 : 1);
    const KernelTable& k = active_kernels();
    return ctx.parallel_for(static_cast<int64_t>(ranges.size()) - 1, [&](int64_t t, int slot) -> Status {
      int kind = 0;
      const int64_t bad = k.als_rows(args, ranges[t], ranges[t + 1], scratch[slot].ptr, &kind);
      if (bad < 0) return Status::ok();
      Status st = diagnose_row(c, bad, y, x.row(bad), d, "X", "Y");
      if (kind == 2 && st.code() != Code::NonFinite)
        return Status(Code::Diverged, "Expected a positive definite system for row " + std::to_string(bad) +
                                          " of X but received a non-positive pivot (increase the regularization)");
      return st;
    });
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in als_solve_cpu");
  }
}

Status als_loss_cpu(const ExecContext& ctx, const CsrView& c, const MatrixView& x,
                    const MatrixView& y, const AlsLossParams& p, AlsLossOut* out) {
  SOUK_RETURN_IF_ERROR(validate_als_loss(c, x, y, p));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  try {
    const int64_t d = x.cols, dp = padded_dim(d);
    std::vector<float> yty(static_cast<size_t>(d * d));
    SOUK_RETURN_IF_ERROR(gram_cpu(ctx, y, MutMatrixView{yty.data(), d, d, d}));
    AlignedBuf a0;
    SOUK_RETURN_IF_ERROR(build_a0(MatrixView{yty.data(), d, d, d}, 0.0, d, dp, &a0, "Y"));
    const AlsArgs args = make_args(c, y, x.data, x.stride, a0, d, dp);
    const int threads = ctx.effective_threads();
    std::vector<AlignedBuf> scratch;
    for (int t = 0; t < threads; ++t) scratch.emplace_back(static_cast<size_t>(als_scratch_floats(dp)));
    const std::vector<int64_t> ranges = balanced_ranges(c.indptr, x.rows, d / 2.0, threads * 16);
    const int64_t ntasks = static_cast<int64_t>(ranges.size()) - 1;
    std::vector<LossPartial> parts(static_cast<size_t>(ntasks));
    const KernelTable& k = active_kernels();
    SOUK_RETURN_IF_ERROR(ctx.parallel_for(ntasks, [&](int64_t t, int slot) -> Status {
      const int64_t bad = k.loss_rows(args, ranges[t], ranges[t + 1], scratch[slot].ptr, &parts[t]);
      if (bad < 0) return Status::ok();
      return diagnose_row(c, bad, y, x.row(bad), d, "X", "Y");
    }));
    // Item norms in double, in fixed blocks (deterministic for any thread count).
    const int64_t iblocks = (y.rows + 4095) / 4096;
    std::vector<double> inorm(static_cast<size_t>(iblocks), 0.0);
    SOUK_RETURN_IF_ERROR(ctx.parallel_for(iblocks, [&](int64_t b, int) -> Status {
      double s = 0;
      for (int64_t i = b * 4096; i < std::min<int64_t>(y.rows, (b + 1) * 4096); ++i) {
        const float* yi = y.row(i);
        float acc = 0;
        for (int64_t j = 0; j < d; ++j) acc += yi[j] * yi[j];
        s += acc;
      }
      inorm[b] = s;
      return Status::ok();
    }));
    double loss = 0, total_conf = 0, user_norm = 0, item_norm = 0;
    for (const LossPartial& q : parts) {
      loss += q.loss;
      total_conf += q.total_conf;
      user_norm += q.user_norm;
    }
    for (double v : inorm) item_norm += v;
    loss += p.regularization * (item_norm + user_norm);
    out->numerator = loss;
    out->denominator = total_conf + static_cast<double>(c.rows) * c.cols - c.nnz;
    out->loss = out->denominator != 0 ? loss / out->denominator : 0.0;
    if (!std::isfinite(out->loss))
      return Status(Code::NonFinite, "Expected finite values for Y but received NaN or Infinity");
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in als_loss_cpu");
  }
  return Status::ok();
}

}  // namespace souk
