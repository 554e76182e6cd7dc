// souk/cuda/factorization.h: the CUDA matrix-factorisation training ops, with the semantics of
// souk/factorization.h (<op>_ref / <op>_cpu): implicit-ALS half-step (CG or Cholesky), the
// implicit-ALS loss, one SGD epoch of biased MF, one BPR epoch.
//
// All matrix / CSR / vector views hold DEVICE pointers (layouts of souk/common.h); the parameter
// structs (AlsParams, AlsLossParams, SgdParams, BprParams) and the out-structs (AlsLossOut, SgdOut,
// BprOut) are the core's and live on the host. Every launcher validates what it can without reading
// device memory (shapes, strides, d range, CSR sizes, scalar domains, with the core's messages and
// codes), enqueues on ctx.stream(), then synchronises once to read the kernels' status word:
//   NaN/Inf read from an input (factors, confidences, ratings, YtY)  -> Code::NonFinite
//   a non-finite result from finite inputs, or a non-positive Cholesky pivot -> Code::Diverged
//   an indptr entry outside [0, nnz] or a column index outside [0, cols) -> Code::Csr
// The CONTENTS of a CSR (monotone indptr, sorted rows for BPR's verify_negatives) are the caller's to
// validate on the host (souk::validate_csr_shape) before upload: the kernels range-check indptr and
// indices only to stay memory-safe. After an error the in/out matrices may be partly updated.
// Scratch: ctx.scratch() (rows_of / order arrays, partial sums); nothing is allocated per call
// except through it.
//
// Determinism and agreement with the CPU core (details in cuda/README.md):
//   * ALS solve / loss: rows are independent; float on the device (the reference uses double, the
//     CPU kernel float), results equal the reference within float tolerance and are the same for
//     every run (no atomics on results; the loss reduces per-block partials in a fixed order).
//   * SGD / BPR: the visit order is the core's with T = `chunks`: the samples are split into T
//     contiguous chunks, chunk t uses Rng(seed, t) (souk/rng.h, the same generator on host and
//     device), SGD shuffles chunk t by Fisher-Yates, BPR draws its (u, i, j) triples. One warp
//     processes one chunk in order; chunks run concurrently (Hogwild: plain float loads/stores to
//     shared factor rows, no locks, as the CPU's threads). So chunks = 1 visits exactly the
//     reference's sequence (result = <op>_ref within float tolerance, bit-reproducible), and
//     chunks = T draws exactly the samples <op>_cpu draws with T threads (same BPR skipped count;
//     the factors agree statistically, as two Hogwild runs do).
#pragma once

#include <cstdint>

#include "souk/cuda/context.h"
#include "souk/factorization.h"

namespace souk {
namespace cuda {

// The largest d the CUDA Cholesky solver takes (A_u lives in one block's shared memory: d x (d + 1)
// floats plus staging, about 71 KiB at d = 128, under the opt-in limit of sm_80, sm_89 and sm_90).
// Larger d with AlsSolver::Cholesky is Code::Shape (use CG, which goes to souk::kMaxFactors).
constexpr int64_t kCudaMaxCholeskyFactors = 128;

// Implicit-ALS half-step, as souk::als_solve_ref: for each row u of X (users x d, read as the CG warm
// start and overwritten) solve (YtY + lambda I + sum_i (|c_ui| - 1) y_i y_i^T) x_u = sum_{c_ui > 0}
// c_ui y_i. c: users x items CSR of confidences (data null = all ones), y: items x d, yty: d x d.
// CG: one block per row, p.cg_steps iterations (early stop at r.r < 1e-20). Cholesky: one block per
// row factorises A_u in shared memory (d <= kCudaMaxCholeskyFactors). Rows without items get x_u = 0.
// d in [1, souk::kMaxFactors]; rows <= 2^31 - 1.
Status launch_als_solve_cuda(CudaContext& ctx, const CsrView& c, const MatrixView& y, const MatrixView& yty,
                             const MutMatrixView& x, const AlsParams& p);

// The implicit-ALS loss exactly as souk::als_loss_ref (numerator, denominator = sum |c| + users *
// items - nnz, loss = numerator / denominator; 0 when the denominator is 0). YtY is computed on the
// device (the gram kernel, double accumulation); per-row terms are summed in double, per block, and
// the block partials are reduced in a fixed order (deterministic). `out` is a host pointer.
Status launch_als_loss_cuda(CudaContext& ctx, const CsrView& c, const MatrixView& x, const MatrixView& y,
                            const AlsLossParams& p, AlsLossOut* out);

// One SGD epoch of biased MF, as souk::sgd_epoch_ref / sgd_epoch_cpu (update rule, RMSE before each
// update). chunks: the number of contiguous chunks T of the nnz positions (each shuffled with
// Rng(seed, t) and visited in order by one warp); 0 = automatic (min(nnz / 64, 32 * SMs), at least
// 1); clamped to nnz. chunks = 1 reproduces sgd_epoch_ref's order. `out` is a host pointer.
Status launch_sgd_epoch_cuda(CudaContext& ctx, const CsrView& ratings, const MutMatrixView& p, const MutMatrixView& q,
                             const MutVectorView& user_bias, const MutVectorView& item_bias, const SgdParams& params,
                             SgdOut* out, int64_t chunks = 0);

// One BPR epoch, as souk::bpr_epoch_ref / bpr_epoch_cpu (implicit's sampling and update, loss =
// mean -log sigmoid, correct, skipped). chunks: T contiguous chunks of the sample sequence, chunk t
// drawing from Rng(seed, t); 0 = automatic (min(samples / 64, 32 * SMs), at least 1); clamped to the
// sample count. chunks = 1 reproduces bpr_epoch_ref. `out` is a host pointer.
Status launch_bpr_epoch_cuda(CudaContext& ctx, const CsrView& c, const MutMatrixView& p, const MutMatrixView& q,
                             const MutVectorView& item_bias, const BprParams& params, BprOut* out,
                             int64_t chunks = 0);

}  // namespace cuda
}  // namespace souk
