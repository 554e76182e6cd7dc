// cuda/src/scores.cu: host launcher of scores_kernel (kernels/scores.cuh): out (m x n) = Q . I^T.
// Validates shapes, launches grid (ceil(n/32), ceil(m/32)) x block (32, 8) on ctx.stream(), checks
// cudaGetLastError, then reads the status word (one synchronise) to report NaN/Inf as NonFinite.
// Limits: m <= 65535 * 32 (grid y). O(1) host work.
#include <string>

#include "kernels/scores.cuh"
#include "souk/cuda/retrieval.h"

namespace souk {
namespace cuda {

Status launch_scores_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(check_device_matrix(q, "q"));
  SOUK_RETURN_IF_ERROR(check_device_matrix(items, "items"));
  if (items.cols != q.cols)
    return Status(Code::Shape, "Expected " + std::to_string(q.cols) + " columns (the columns of q) for items but received " +
                                   std::to_string(items.cols) + " columns");
  if (out.rows != q.rows || out.cols != items.rows)
    return Status(Code::Shape, "Expected a " + std::to_string(q.rows) + " x " + std::to_string(items.rows) +
                                   " output for out but received " + std::to_string(out.rows) + " x " +
                                   std::to_string(out.cols));
  SOUK_RETURN_IF_ERROR(check_device_matrix(out.view(), "out"));
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  const int64_t m = q.rows, n = items.rows, d = q.cols;
  if (m == 0 || n == 0) return Status::ok();
  const int64_t gy = (m + souk_cuda::kScoresTile - 1) / souk_cuda::kScoresTile;
  const int64_t gx = (n + souk_cuda::kScoresTile - 1) / souk_cuda::kScoresTile;
  if (gy > 65535) return Status(Code::Shape, "Expected at most 65535 * 32 rows for q on the CUDA path but received " + std::to_string(m));
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  SIMT_LAUNCH(souk_cuda::scores_kernel, dim3((unsigned)gx, (unsigned)gy),
              dim3(souk_cuda::kScoresTile, souk_cuda::kScoresRowsPerPass), 0, ctx.stream(), q.data, (long long)q.stride,
              items.data, (long long)items.stride, (int)m, (int)n, (int)d, out.data, (long long)out.stride,
              ctx.status_word());
  SOUK_RETURN_IF_ERROR(ctx.check_launch("scores_kernel"));
  int flags = 0;
  SOUK_RETURN_IF_ERROR(ctx.read_status(&flags));
  if (flags & kFlagNonFinite)
    return Status(Code::NonFinite, "Expected finite values for q and items but received NaN or Infinity");
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
