// cuda/src/topk_dispatch.h: internal to cuda/src: the top-K bucket dispatcher shared by
// launch_topk_cuda (src/topk.cu) and launch_softmax_topk_cuda (src/softmax_topk.cu). Arguments must be
// validated already.
#pragma once

#include "souk/cuda/retrieval.h"

namespace souk {
namespace cuda {

// What the top-K kernels compute besides the rows: nothing (out == null), softmax top-K (probs and
// logZ at `temperature`), or sampled top-K (Gumbel keys from `seed`, then probs and logZ).
struct SoftmaxMode {
  const SoftmaxOut* out = nullptr;
  double temperature = 1.0;
  bool sample = false;
  uint64_t seed = 0;
};

template <int K>
Status launch_topk_bucket(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                          const TopKOut& out, const SoftmaxMode& mode);

Status dispatch_topk(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                     const TopKOut& out, const SoftmaxMode& mode);
// Every top-K check that needs no device memory (shapes, k in [1, kCudaMaxK], output, CSR/bitset sizes).
Status check_topk_args(const CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                       const TopKOut& out);
// The softmax / sampled top-K launchers' shared checks: check_topk_args on (k, exclude, allow),
// then temperature finite and > 0 and the probs/logZ buffers present. Fills *tp for dispatch.
Status check_softmax_args(const CudaContext& ctx, const MatrixView& q, const MatrixView& items, int64_t k,
                          const CsrView& exclude, const BitsetView& allow, double temperature, const TopKOut& out,
                          const SoftmaxOut& sm, TopKParams* tp);

}  // namespace cuda
}  // namespace souk
