// cuda/src/topk.cu: launch_topk_cuda, the fused top-K entry point: validates (shapes, strides, k in
// [1, kCudaMaxK], output, exclude/candidates CSR and allow bitset SIZES; CSR contents are the
// caller's, see souk/cuda/retrieval.h), then dispatches to the smallest queue bucket K >= k
// (32, 64, ..., 1024; one translation unit each). dispatch_topk is shared with src/softmax_topk.cu
// (declared in src/topk_dispatch.h); the CSR size check is factorization_common's. O(1) host work
// before the launches.
#include "souk/cuda/retrieval.h"
#include "factorization_common.h"
#include "topk_dispatch.h"

namespace souk {
namespace cuda {

extern template Status launch_topk_bucket<32>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&, const TopKOut&, const SoftmaxMode&);
extern template Status launch_topk_bucket<64>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&, const TopKOut&, const SoftmaxMode&);
extern template Status launch_topk_bucket<128>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&, const TopKOut&, const SoftmaxMode&);
extern template Status launch_topk_bucket<256>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&, const TopKOut&, const SoftmaxMode&);
extern template Status launch_topk_bucket<512>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&, const TopKOut&, const SoftmaxMode&);
extern template Status launch_topk_bucket<1024>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&, const TopKOut&, const SoftmaxMode&);

Status dispatch_topk(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                     const TopKOut& out, const SoftmaxMode& mode) {
  if (q.rows == 0) return Status::ok();
  const int64_t k = p.k;
  if (k <= 32) return launch_topk_bucket<32>(ctx, q, items, p, out, mode);
  if (k <= 64) return launch_topk_bucket<64>(ctx, q, items, p, out, mode);
  if (k <= 128) return launch_topk_bucket<128>(ctx, q, items, p, out, mode);
  if (k <= 256) return launch_topk_bucket<256>(ctx, q, items, p, out, mode);
  if (k <= 512) return launch_topk_bucket<512>(ctx, q, items, p, out, mode);
  return launch_topk_bucket<1024>(ctx, q, items, p, out, mode);
}

Status check_topk_args(const CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                       const TopKOut& out) {
  SOUK_RETURN_IF_ERROR(check_device_matrix(q, "q"));
  SOUK_RETURN_IF_ERROR(check_device_matrix(items, "items"));
  if (items.cols != q.cols)
    return Status(Code::Shape, "Expected " + std::to_string(q.cols) + " columns (the columns of q) for items but received " +
                                   std::to_string(items.cols) + " columns");
  if (p.k < 1 || p.k > kCudaMaxK)
    return Status(Code::KRange, "Expected an integer k in [1, " + std::to_string(kCudaMaxK) +
                                    "] (the CUDA top-K maxK) for k but received " + std::to_string(p.k));
  if (out.rows != q.rows) return Status(Code::Shape, "Expected " + std::to_string(q.rows) + " rows (the rows of q) for out");
  if (out.k != p.k) return Status(Code::Shape, "Expected k = " + std::to_string(p.k) + " columns for out");
  if (q.rows > 0 && (out.indices == nullptr || out.scores == nullptr || out.counts == nullptr))
    return Status(Code::Shape, "Expected indices, scores and counts buffers for out but received a null buffer");
  if (p.exclude.present()) SOUK_RETURN_IF_ERROR(check_csr_dev(p.exclude, q.rows, items.rows, "exclude"));
  if (p.candidates.present()) SOUK_RETURN_IF_ERROR(check_csr_dev(p.candidates, q.rows, items.rows, "candidates"));
  if (p.allow.present() && p.allow.bits != items.rows)
    return Status(Code::Shape, "Expected " + std::to_string(items.rows) + " bits (one per item) for allow but received " +
                                   std::to_string(p.allow.bits) + " bits");
  if (!ctx.ready()) return Status(Code::Internal, "CudaContext used before init()");
  return Status::ok();
}

Status launch_topk_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                        const TopKOut& out) {
  SOUK_RETURN_IF_ERROR(check_topk_args(ctx, q, items, p, out));
  return dispatch_topk(ctx, q, items, p, out, SoftmaxMode{});
}

}  // namespace cuda
}  // namespace souk
