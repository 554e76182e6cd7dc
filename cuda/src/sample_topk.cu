// cuda/src/sample_topk.cu: launch_sample_topk_cuda, sampled top-K (Gumbel top-K) on the device with the
// semantics of souk::sample_topk_ref: k admissible items drawn without replacement from
// softmax(score / T), i.e. the k largest keys score / T - log(-log(u)), u = uniform_open01(seed, query,
// item) from souk/rng.h (a counter-based hash: the same draw as the CPU backends, whatever the
// tiling). Rows are in key order; scores hold the raw q . i, probs their softmax probability, log_z the
// normaliser. Validation as softmax top-K. Kernels: the top-K bucket kernels with Gumbel keys and the
// online log-sum-exp, then topk_rescore_kernel (kernels/topk.cuh). Complexity: as top-K plus one hash,
// two logs (double) and one expf per admissible (query, item), plus k d per query for the rescore.
// Keys are compared in float on the device (double in the reference): keys closer than ~1e-6
// relative may come out in the other order.
#include <cmath>
#include <string>

#include "souk/cuda/retrieval.h"
#include "topk_dispatch.h"

namespace souk {
namespace cuda {

Status launch_sample_topk_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const SampleParams& p,
                               const TopKOut& out, const SoftmaxOut& sm) {
  TopKParams tp;
  SOUK_RETURN_IF_ERROR(check_softmax_args(ctx, q, items, p.k, p.exclude, p.allow, p.temperature, out, sm, &tp));
  SoftmaxMode mode;
  mode.out = &sm;
  mode.temperature = p.temperature;
  mode.sample = true;
  mode.seed = p.seed;
  return dispatch_topk(ctx, q, items, tp, out, mode);
}

}  // namespace cuda
}  // namespace souk
