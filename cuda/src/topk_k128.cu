// cuda/src/topk_k128.cu: the fused top-K queue bucket K = 128 (k in (K/2, K], or k <= 32 for K = 32):
// instantiates launch_topk_bucket<128> (src/topk_impl.cuh) and its kernels. One bucket per file keeps
// nvcc's per-file time and the per-kernel ptxas report separate; the dispatcher is src/topk.cu.
#include "topk_impl.cuh"

namespace souk {
namespace cuda {
template Status launch_topk_bucket<128>(CudaContext&, const MatrixView&, const MatrixView&, const TopKParams&,
                                        const TopKOut&, const SoftmaxMode&);
}  // namespace cuda
}  // namespace souk
