// cuda/src/als_solve.cu: launch_als_solve_cuda (souk/cuda/factorization.h), the implicit-ALS
// half-step on the GPU. Validates like souk::validate_als_solve (without reading the CSR's
// contents), checks YtY for NaN/Inf (finite_matrix_kernel, as the reference does up front), then:
//   CG:       als_cg_kernel<128>, one block per row (grid min(rows, 65535 * 32), grid-stride),
//             dynamic shared memory (4 + 4) d + 32 floats (<= 32.1 KiB at d = 1024);
//   Cholesky: als_cholesky_kernel<128>, one block per row, dynamic shared memory
//             d (d + 1) + 2 d + 8 (d + 2) floats (opt-in above 48 KiB; d <= kCudaMaxCholeskyFactors).
// One synchronise at the end reads the status word (NonFinite > Csr > Diverged). O(1) host work.
#include <algorithm>
#include <string>

#include "factorization_common.h"
#include "kernels/als_cg.cuh"
#include "kernels/als_cholesky.cuh"
#include "souk/cuda/factorization.h"

namespace souk {
namespace cuda {

namespace {

constexpr int kAlsThreads = 128;
constexpr int64_t kAlsMaxBlocks = 65535LL * 32;

}  // namespace

Status launch_als_solve_cuda(CudaContext& ctx, const CsrView& c, const MatrixView& y, const MatrixView& yty,
                             const MutMatrixView& x, const AlsParams& p) {
  SOUK_RETURN_IF_ERROR(check_nonneg_arg(p.regularization, "regularization"));
  if (p.solver != AlsSolver::CG && p.solver != AlsSolver::Cholesky)
    return Status(Code::Argument, "Expected 'cg' or 'cholesky' for solver but received " +
                                      std::to_string(static_cast<int>(p.solver)));
  if (p.solver == AlsSolver::CG && (p.cg_steps < 1 || p.cg_steps > 1000))
    return Status(Code::Argument, "Expected an integer in [1, 1000] for cgSteps but received " + std::to_string(p.cg_steps));
  SOUK_RETURN_IF_ERROR(check_factors(x.cols, "X"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(x.view(), x.rows, x.cols, "X"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(y, y.rows, x.cols, "Y"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(yty, x.cols, x.cols, "YtY"));
  SOUK_RETURN_IF_ERROR(check_csr_dev(c, x.rows, y.rows, "C"));
  const int64_t d = x.cols;
  if (p.solver == AlsSolver::Cholesky && d > kCudaMaxCholeskyFactors)
    return Status(Code::Shape, "Expected at most " + std::to_string(kCudaMaxCholeskyFactors) +
                                   " factors for X with the CUDA Cholesky solver (use 'cg') but received " +
                                   std::to_string(d));
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  SOUK_RETURN_IF_ERROR(launch_finite_check(ctx, yty));
  const unsigned grid = (unsigned)std::max<int64_t>(1, std::min<int64_t>(x.rows, kAlsMaxBlocks));
  if (x.rows > 0 && p.solver == AlsSolver::CG) {
    souk_cuda::AlsCgArgs a{c.indptr, c.indices, c.data, y.data, (long long)y.stride, yty.data, (long long)yty.stride,
                           x.data, (long long)x.stride, (long long)x.rows, (int)y.rows, (int)c.nnz, (int)d,
                           (float)p.regularization, (int)p.cg_steps};
    const size_t smem = (size_t)((4 + kAlsThreads / 32) * d + 32) * sizeof(float);
    SIMT_LAUNCH(souk_cuda::als_cg_kernel<kAlsThreads>, dim3(grid), dim3(kAlsThreads), smem, ctx.stream(), a,
                ctx.status_word());
    SOUK_RETURN_IF_ERROR(ctx.check_launch("als_cg_kernel"));
  } else if (x.rows > 0) {
    souk_cuda::AlsCholArgs a{c.indptr, c.indices, c.data, y.data, (long long)y.stride, yty.data, (long long)yty.stride,
                             x.data, (long long)x.stride, (long long)x.rows, (int)y.rows, (int)c.nnz, (int)d,
                             (float)p.regularization};
    const size_t smem =
        (size_t)(d * (d + 1) + 2 * d + souk_cuda::kCholItems * (d + 2)) * sizeof(float);
    if (smem > 48 * 1024)
      SOUK_RETURN_IF_ERROR(status_from_cuda(
          cudaFuncSetAttribute(souk_cuda::als_cholesky_kernel<kAlsThreads>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               (int)smem),
          "cudaFuncSetAttribute(als_cholesky_kernel)"));
    SIMT_LAUNCH(souk_cuda::als_cholesky_kernel<kAlsThreads>, dim3(grid), dim3(kAlsThreads), smem, ctx.stream(), a,
                ctx.status_word());
    SOUK_RETURN_IF_ERROR(ctx.check_launch("als_cholesky_kernel"));
  }
  return status_from_flags(ctx, "als_solve", "YtY, Y, X and C");
}

}  // namespace cuda
}  // namespace souk
