// souk/cuda/retrieval.h: the CUDA retrieval ops, with the semantics of souk/retrieval.h
// (<op>_ref / <op>_cpu): scores, fused top-K (exclude / allow / candidates), softmax top-K,
// sampled top-K, Gram matrix.
//
// All views hold DEVICE pointers (layouts of souk/common.h). Every launcher validates what it can
// without reading device memory (shapes, strides, k range, null buffers, CSR/bitset sizes), enqueues
// on ctx.stream(), and then synchronises once to read the kernels' status word: NaN/Inf in an input
// -> Code::NonFinite; a candidate index outside [0, n) -> Code::Csr. The CONTENTS of exclude /
// candidates CSRs (monotone indptr, sorted exclude rows) are the caller's to validate on the host
// (souk::validate_csr) before upload: the kernels assume them (and range-check candidate indices to
// stay memory-safe). Outputs are unspecified when a launcher returns an error.
// Limits: k <= kCudaMaxK (the CUDA path's published maxK; the CPU core goes to souk::kMaxK);
// m <= 65535 * 8 for top-K (grid y), m <= 65535 * 32 for scores. Complexity as in the core.
#pragma once

#include <cstdint>

#include "souk/cuda/context.h"
#include "souk/retrieval.h"

namespace souk {
namespace cuda {

// The largest k the CUDA top-K supports (the biggest compiled queue bucket). Published: check
// before launch; never grown silently.
constexpr int64_t kCudaMaxK = 1024;
// The compiled register-queue sizes (one translation unit each: src/topk_k<K>.cu).
constexpr int kTopKBuckets[] = {32, 64, 128, 256, 512, 1024};

// out (m x n) = Q . I^T (float accumulation on the device; the reference accumulates in double).
Status launch_scores_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const MutMatrixView& out);

// Fused top-K: no m x n score matrix is ever stored; see kernels/topk.cuh.
Status launch_topk_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                        const TopKOut& out);

// Softmax top-K: the k best by score plus probs = exp(score / T - log Z) and log Z over every
// admissible item (online log-sum-exp in the same pass; float on the device, double in the reference).
Status launch_softmax_topk_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const SoftmaxParams& p,
                                const TopKOut& out, const SoftmaxOut& sm);

// Sampled top-K (Gumbel keys from souk/rng.h; the same draw as the CPU backends for a seed).
Status launch_sample_topk_cuda(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const SampleParams& p,
                               const TopKOut& out, const SoftmaxOut& sm);

// out (d x d) = Y^T Y, accumulated in double, stored as float.
Status launch_gram_cuda(CudaContext& ctx, const MatrixView& y, const MutMatrixView& out);

// Shape checks shared by the launchers (no device memory is read).
Status check_device_matrix(const MatrixView& v, const char* name);

}  // namespace cuda
}  // namespace souk
