// cuda/src/softmax_topk.cu: launch_softmax_topk_cuda, softmax top-K on the device with the semantics of
// souk::softmax_topk_ref: the k best admissible items by score (as top-K, no candidates), their
// probabilities exp(score / T - log Z) and log Z over all admissible items (-inf and probs 0 when none).
// Validation as top-K plus temperature (finite, > 0: Code::Argument) and the probs / logZ buffers;
// then the top-K bucket kernels run with the online log-sum-exp switched on (kernels/topk.cuh).
// Complexity: as top-K plus one expf per admissible (query, item).
#include <cmath>
#include <string>

#include "souk/cuda/retrieval.h"
#include "topk_dispatch.h"

namespace souk {
namespace cuda {

Status check_softmax_args(const CudaContext& ctx, const MatrixView& q, const MatrixView& items, int64_t k,
                          const CsrView& exclude, const BitsetView& allow, double temperature, const TopKOut& out,
                          const SoftmaxOut& sm, TopKParams* tp) {
  tp->k = k;
  tp->exclude = exclude;
  tp->allow = allow;
  SOUK_RETURN_IF_ERROR(check_topk_args(ctx, q, items, *tp, out));
  if (!(std::isfinite(temperature) && temperature > 0))
    return Status(Code::Argument, "Expected a finite temperature > 0 for temperature but received " + std::to_string(temperature));
  if (q.rows > 0 && (sm.probs == nullptr || sm.log_z == nullptr))
    return Status(Code::Shape, "Expected probs and logZ buffers for out but received a null buffer");
  return Status::ok();
}

Status launch_softmax_topk_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const SoftmaxParams& p,
                                const TopKOut& out, const SoftmaxOut& sm) {
  TopKParams tp;
  SOUK_RETURN_IF_ERROR(check_softmax_args(ctx, q, items, p.k, p.exclude, p.allow, p.temperature, out, sm, &tp));
  SoftmaxMode mode;
  mode.out = &sm;
  mode.temperature = p.temperature;
  return dispatch_topk(ctx, q, items, tp, out, mode);
}

}  // namespace cuda
}  // namespace souk
