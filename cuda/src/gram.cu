// cuda/src/gram.cu: host launcher of gram_kernel (kernels/gram.cuh): out (d x d) = Y^T Y in double.
// Validates shapes, launches grid (ceil(d/16), ceil(d/16)) x block (16, 16), checks
// cudaGetLastError, reads the status word (one synchronise) for NonFinite. Limits: d <= 65535 * 16.
#include <string>

#include "kernels/gram.cuh"
#include "souk/cuda/retrieval.h"

namespace souk {
namespace cuda {

Status launch_gram_cuda(CudaContext& ctx, const MatrixView& y, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(check_device_matrix(y, "y"));
  if (out.rows != y.cols || out.cols != y.cols)
    return Status(Code::Shape, "Expected a " + std::to_string(y.cols) + " x " + std::to_string(y.cols) +
                                   " output for out but received " + std::to_string(out.rows) + " x " +
                                   std::to_string(out.cols));
  SOUK_RETURN_IF_ERROR(check_device_matrix(out.view(), "out"));
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  const int64_t n = y.rows, d = y.cols;
  if (d == 0) return Status::ok();
  const int64_t g = (d + souk_cuda::kGramTile - 1) / souk_cuda::kGramTile;
  if (g > 65535) return Status(Code::Shape, "Expected at most 65535 * 16 columns for y on the CUDA path");
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  SIMT_LAUNCH(souk_cuda::gram_kernel, dim3((unsigned)g, (unsigned)g), dim3(souk_cuda::kGramTile, souk_cuda::kGramTile), 0,
              ctx.stream(), y.data, (long long)y.stride, (int)n, (int)d, out.data, (long long)out.stride,
              ctx.status_word());
  SOUK_RETURN_IF_ERROR(ctx.check_launch("gram_kernel"));
  int flags = 0;
  SOUK_RETURN_IF_ERROR(ctx.read_status(&flags));
  if (flags & kFlagNonFinite) return Status(Code::NonFinite, "Expected finite values for y but received NaN or Infinity");
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
