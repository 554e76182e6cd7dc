// cuda/src/als_loss.cu: launch_als_loss_cuda (souk/cuda/factorization.h), implicit's ALS loss on
// the GPU. Validates like souk::validate_als_loss (without reading the CSR's contents), takes one
// scratch block (YtY d x d floats, per-block partial triples, the 3 totals), computes YtY with
// launch_gram_cuda (double accumulation; it synchronises once and reports NaN/Inf in Y), then
// als_loss_rows_kernel<8> (a warp per row: grid ceil(rows / 8), 256 threads, 8 d floats of dynamic
// shared memory) and als_loss_reduce_kernel<256> (one block, fixed order: deterministic), and
// copies the 3 totals back. Host: numerator = terms + lambda (||X||^2 + ||Y||^2), denominator =
// sum |c| + users * items - nnz, loss = numerator / denominator (0 when the denominator is 0).
// Limits: rows <= 8 * (2^31 - 1). O(1) host work.
#include <cmath>
#include <string>

#include "factorization_common.h"
#include "kernels/als_loss.cuh"
#include "souk/cuda/factorization.h"
#include "souk/cuda/retrieval.h"

namespace souk {
namespace cuda {

namespace {

constexpr int kLossWarps = 8;
constexpr int kLossReduceThreads = 256;

}  // namespace

Status launch_als_loss_cuda(CudaContext& ctx, const CsrView& c, const MatrixView& x, const MatrixView& y,
                            const AlsLossParams& p, AlsLossOut* out) {
  SOUK_RETURN_IF_ERROR(check_nonneg_arg(p.regularization, "regularization"));
  SOUK_RETURN_IF_ERROR(check_factors(x.cols, "X"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(x, x.rows, x.cols, "X"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(y, y.rows, x.cols, "Y"));
  SOUK_RETURN_IF_ERROR(check_csr_dev(c, x.rows, y.rows, "C"));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  const int64_t d = x.cols, rows = x.rows;
  const int64_t blocks = std::max<int64_t>(1, (rows + kLossWarps - 1) / kLossWarps);
  if (blocks > 2147483647) return Status(Code::Shape, "Expected at most 8 * (2^31 - 1) rows for X on the CUDA path");
  const size_t yty_bytes = ((size_t)(d * d) * sizeof(float) + 15) / 16 * 16;
  void* scratch = nullptr;
  SOUK_RETURN_IF_ERROR(ctx.scratch(yty_bytes + (size_t)(blocks + 1) * 3 * sizeof(double), &scratch));
  float* yty = static_cast<float*>(scratch);
  double* part = reinterpret_cast<double*>(static_cast<char*>(scratch) + yty_bytes);
  double* totals = part + blocks * 3;
  Status gs = launch_gram_cuda(ctx, y, MutMatrixView{yty, d, d, d});
  if (gs.code() == Code::NonFinite) return Status(Code::NonFinite, "Expected finite values for Y but received NaN or Infinity");
  SOUK_RETURN_IF_ERROR(gs);
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  souk_cuda::AlsLossArgs a{c.indptr, c.indices, c.data, x.data, (long long)x.stride, y.data, (long long)y.stride,
                           yty, (long long)rows, (int)y.rows, (int)c.nnz, (int)d};
  SIMT_LAUNCH(souk_cuda::als_loss_rows_kernel<kLossWarps>, dim3((unsigned)blocks), dim3(32 * kLossWarps),
              (size_t)(kLossWarps * d) * sizeof(float), ctx.stream(), a, part, ctx.status_word());
  SOUK_RETURN_IF_ERROR(ctx.check_launch("als_loss_rows_kernel"));
  SIMT_LAUNCH(souk_cuda::als_loss_reduce_kernel<kLossReduceThreads>, dim3(1), dim3(kLossReduceThreads), 0, ctx.stream(),
              part, (long long)blocks, yty, (int)d, totals);
  SOUK_RETURN_IF_ERROR(ctx.check_launch("als_loss_reduce_kernel"));
  double host[3] = {0, 0, 0};
  SOUK_RETURN_IF_ERROR(status_from_cuda(
      cudaMemcpyAsync(host, totals, sizeof host, cudaMemcpyDeviceToHost, ctx.stream()), "cudaMemcpyAsync(loss totals)"));
  SOUK_RETURN_IF_ERROR(status_from_flags(ctx, "als_loss", "X and C"));  // synchronises: host[] is ready
  out->numerator = host[0] + p.regularization * host[2];
  out->denominator = host[1] + static_cast<double>(c.rows) * c.cols - c.nnz;
  out->loss = out->denominator != 0 ? out->numerator / out->denominator : 0.0;
  if (!std::isfinite(out->loss)) return Status(Code::NonFinite, "Expected finite values for X and Y but received NaN or Infinity");
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
