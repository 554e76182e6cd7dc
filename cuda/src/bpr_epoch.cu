// cuda/src/bpr_epoch.cu: launch_bpr_epoch_cuda (souk/cuda/factorization.h), one BPR epoch on the
// GPU. Validates like souk::validate_bpr_epoch (without reading the CSR's contents: sorted rows for
// verify_negatives are the caller's), picks T chunks of the S samples (argument, or
// min(S / 64, 32 * SMs), at least 1, at most S), takes one scratch block (T chunk-stat records +
// nnz ints), launches csr_rows_kernel (rows_of) and bpr_chunk_kernel (block of 32 = one warp per
// chunk, grid T), copies the per-chunk statistics back and adds them in chunk order. One synchronise.
// O(T) host work.
#include <algorithm>
#include <string>
#include <vector>

#include "factorization_common.h"
#include "kernels/bpr.cuh"
#include "souk/cuda/factorization.h"

namespace souk {
namespace cuda {

Status launch_bpr_epoch_cuda(CudaContext& ctx, const CsrView& c, const MutMatrixView& p, const MutMatrixView& q,
                             const MutVectorView& item_bias, const BprParams& params, BprOut* out, int64_t chunks) {
  SOUK_RETURN_IF_ERROR(check_positive_arg(params.learning_rate, "learningRate"));
  SOUK_RETURN_IF_ERROR(check_nonneg_arg(params.regularization, "regularization"));
  if (params.negatives != BprNegatives::Popularity && params.negatives != BprNegatives::Uniform)
    return Status(Code::Argument, "Expected 'popularity' or 'uniform' for negatives but received " +
                                      std::to_string(static_cast<int>(params.negatives)));
  SOUK_RETURN_IF_ERROR(check_factors(p.cols, "P"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(p.view(), p.rows, p.cols, "P"));
  SOUK_RETURN_IF_ERROR(check_dense_dev(q.view(), q.rows, p.cols, "Q"));
  SOUK_RETURN_IF_ERROR(check_vector_dev(item_bias, q.rows, "itemBias"));
  SOUK_RETURN_IF_ERROR(check_csr_dev(c, p.rows, q.rows, "C"));
  if (params.samples > 0 && c.nnz == 0)
    return Status(Code::Argument, "Expected at least one stored interaction in C for samples > 0 but received nnz 0");
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  if (chunks < 0) return Status(Code::Argument, "Expected chunks >= 0 (0 = automatic) but received " + std::to_string(chunks));
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  *out = BprOut();
  const int64_t samples = params.samples > 0 ? params.samples : c.nnz;
  if (samples == 0) return Status::ok();
  int64_t T = chunks > 0 ? chunks : std::min<int64_t>(samples / 64, 32LL * ctx.sm_count());
  T = std::max<int64_t>(1, std::min<int64_t>({T, samples, 2147483647LL}));
  using souk_cuda::BprChunkStats;
  void* scratch = nullptr;
  SOUK_RETURN_IF_ERROR(ctx.scratch((size_t)T * sizeof(BprChunkStats) + (size_t)c.nnz * sizeof(int), &scratch));
  BprChunkStats* stats = static_cast<BprChunkStats*>(scratch);
  int* rows_of = reinterpret_cast<int*>(stats + T);
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  SOUK_RETURN_IF_ERROR(launch_csr_rows(ctx, c, rows_of));
  souk_cuda::BprKernelArgs a{c.indptr, c.indices, rows_of, p.data, (long long)p.stride, q.data, (long long)q.stride,
                             item_bias.data, (long long)samples, (long long)T, (unsigned long long)params.seed,
                             (int)p.rows, (int)q.rows, (int)c.nnz, (int)p.cols, params.verify_negatives ? 1 : 0,
                             params.negatives == BprNegatives::Uniform ? 1 : 0, (float)params.learning_rate,
                             (float)params.regularization};
  SIMT_LAUNCH(souk_cuda::bpr_chunk_kernel<0>, dim3((unsigned)T), dim3(32), 0, ctx.stream(), a, stats, ctx.status_word());
  SOUK_RETURN_IF_ERROR(ctx.check_launch("bpr_chunk_kernel"));
  std::vector<BprChunkStats> parts((size_t)T);
  SOUK_RETURN_IF_ERROR(status_from_cuda(cudaMemcpyAsync(parts.data(), stats, (size_t)T * sizeof(BprChunkStats),
                                                        cudaMemcpyDeviceToHost, ctx.stream()),
                                        "cudaMemcpyAsync(bpr partials)"));
  SOUK_RETURN_IF_ERROR(status_from_flags(ctx, "bpr_epoch", "P, Q and itemBias"));
  double loss = 0;
  for (const BprChunkStats& s : parts) {
    loss += s.loss;
    out->processed += s.processed;
    out->skipped += s.skipped;
    out->correct += s.correct;
  }
  out->loss = out->processed > 0 ? loss / (double)out->processed : 0.0;
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
