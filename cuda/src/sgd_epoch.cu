// cuda/src/sgd_epoch.cu: launch_sgd_epoch_cuda (souk/cuda/factorization.h), one SGD epoch of biased
// MF on the GPU. Validates like souk::validate_sgd_epoch (without reading the CSR's contents),
// picks T chunks (argument, or min(nnz / 64, 32 * SMs), at least 1, at most nnz), takes one scratch
// block (T doubles + 2 nnz ints), then launches csr_rows_kernel (rows_of), sgd_shuffle_kernel (thread
// per chunk: the core's Fisher-Yates order with Rng(seed, t)) and sgd_chunk_kernel (block of 32 =
// one warp per chunk, grid T), copies the T squared-error sums back and adds them in chunk order:
// rmse = sqrt(sum / nnz). One synchronise. O(T) host work.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "factorization_common.h"
#include "kernels/sgd.cuh"
#include "souk/cuda/factorization.h"

namespace souk {
namespace cuda {

Status launch_sgd_epoch_cuda(CudaContext& ctx, const CsrView& ratings, const MutMatrixView& p, const MutMatrixView& q,
                             const MutVectorView& user_bias, const MutVectorView& item_bias, const SgdParams& params,
                             SgdOut* out, int64_t chunks) {
  SOUK_RETURN_IF_ERROR(check_positive_arg(params.learning_rate, "learningRate"));
  SOUK_RETURN_IF_ERROR(check_nonneg_arg(params.regularization, "regularization"));
  if (!std::isfinite(params.global_mean))
    return Status(Code::Argument, "Expected a finite number for globalMean but received " + std::to_string(params.global_mean));
  SOUK_RETURN_IF_ERROR(check_factors(p.cols, "P"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(p.view(), p.rows, p.cols, "P"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(q.view(), q.rows, p.cols, "Q"));
  SOUK_RETURN_IF_ERROR(check_vector_dev(user_bias, p.rows, "userBias"));
  SOUK_RETURN_IF_ERROR(check_vector_dev(item_bias, q.rows, "itemBias"));
  SOUK_RETURN_IF_ERROR(check_csr_dev(ratings, p.rows, q.rows, "ratings"));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  if (chunks < 0) return Status(Code::Argument, "Expected chunks >= 0 (0 = automatic) but received " + std::to_string(chunks));
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  const int64_t nnz = ratings.nnz;
  out->samples = nnz;
  out->rmse = 0;
  if (nnz == 0) return Status::ok();
  int64_t T = chunks > 0 ? chunks : std::min<int64_t>(nnz / 64, 32LL * ctx.sm_count());
  T = std::max<int64_t>(1, std::min<int64_t>(T, nnz));
  void* scratch = nullptr;
  SOUK_RETURN_IF_ERROR(ctx.scratch((size_t)T * sizeof(double) + 2 * (size_t)nnz * sizeof(int), &scratch));
  double* sq = static_cast<double*>(scratch);
  int* rows_of = reinterpret_cast<int*>(sq + T);
  int* order = rows_of + nnz;
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  SOUK_RETURN_IF_ERROR(launch_csr_rows(ctx, ratings, rows_of));
  const int64_t sblocks = std::min<int64_t>((T + 127) / 128, 4096);
  SIMT_LAUNCH(souk_cuda::sgd_shuffle_kernel<0>, dim3((unsigned)sblocks), dim3(128), 0, ctx.stream(), (long long)nnz,
              (long long)T, (unsigned long long)params.seed, order);
  SOUK_RETURN_IF_ERROR(ctx.check_launch("sgd_shuffle_kernel"));
  souk_cuda::SgdKernelArgs a{ratings.indices, ratings.data, rows_of, order, p.data, (long long)p.stride, q.data,
                             (long long)q.stride, user_bias.data, item_bias.data, (long long)nnz, (long long)T,
                             (int)p.rows, (int)q.rows, (int)p.cols, (float)params.learning_rate,
                             (float)params.regularization, (float)params.global_mean};
  SIMT_LAUNCH(souk_cuda::sgd_chunk_kernel<0>, dim3((unsigned)T), dim3(32), 0, ctx.stream(), a, sq, ctx.status_word());
  SOUK_RETURN_IF_ERROR(ctx.check_launch("sgd_chunk_kernel"));
  std::vector<double> parts((size_t)T);
  SOUK_RETURN_IF_ERROR(status_from_cuda(
      cudaMemcpyAsync(parts.data(), sq, (size_t)T * sizeof(double), cudaMemcpyDeviceToHost, ctx.stream()),
      "cudaMemcpyAsync(sgd partials)"));
  SOUK_RETURN_IF_ERROR(status_from_flags(ctx, "sgd_epoch", "ratings, P, Q and the biases"));
  double total = 0;
  for (double v : parts) total += v;
  out->rmse = std::sqrt(total / (double)nnz);
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
