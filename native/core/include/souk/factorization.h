// souk/factorization.h — Kernels II: matrix-factorisation training steps.
//
//   als_solve   one implicit-ALS half-step (Hu, Koren, Volinsky 2008), CG or Cholesky
//   als_loss    the implicit-ALS objective exactly as the Python library `implicit` (0.7.x)
//               computes it in calculate_loss
//   sgd_epoch   one epoch of biased matrix factorisation on explicit ratings (Hogwild SGD)
//   bpr_epoch   one epoch of Bayesian Personalised Ranking (Rendle 2009) as `implicit` does it
//
// Every op exists as <op>_ref (scalar, double accumulation, the oracle) and <op>_cpu (SIMD with
// run-time ISA dispatch, multithreaded on the ExecContext's pool), with one signature; cuda/ adds
// <op>_cuda later. All dense matrices are row-major float32 views (souk/common.h); sparse inputs
// are CSR (indptr rows + 1, indices nnz, data nnz or null = all ones). Outputs are written in
// place into caller-owned buffers; scalar results come back through an out-struct.
//
// Argument checks happen before any work, in validate_* (every backend calls them first):
// shapes, CSR well-formed and in range (sorted rows where a binary search needs them), scalar
// options in their domain (regularization >= 0 and finite, learning rate > 0, ...). Messages read
// "Expected <what> for <param> but received <value>". NaN / +-Infinity in factors or confidences
// is found while the kernel reads the data (a non-finite result is traced back to the input that
// caused it) and reported as Code::NonFinite; a numerically failed solve on finite inputs (e.g.
// a singular system with regularization 0) is Code::Diverged. After an error the in/out
// matrices may be partly updated.
//
// Threads: ALS users are independent (result bit-identical for any thread count). SGD and BPR
// are Hogwild: threads update shared factor rows without locks (as `implicit` does; the races on
// individual floats are deliberate and benign on x86/ARM, and make thread counts > 1
// non-deterministic); with threads = 1 and a seed they are bit-for-bit reproducible, and
// ref == cpu(threads = 1) up to float rounding because both visit the same samples in the same
// order. Precision: the CPU kernels compute in float32 like implicit (the references in double);
// "exact" for Cholesky means a direct solve, exact up to float rounding.
#pragma once

#include <cstdint>

#include "souk/common.h"
#include "souk/threads.h"

namespace souk {

// Published limit on the factor count d of every op here (Cholesky scratch is d^2 floats per
// thread); larger d is Code::Shape. Report it through capabilities().
constexpr int64_t kMaxFactors = 1024;

// A writable float vector with its length (biases). Lengths are re-checked in native.
struct MutVectorView {
  float* data = nullptr;
  int64_t size = 0;
};

// ------------------------------------------------------------------------------------------------
// Implicit ALS half-step.
//
// C: users x items CSR of confidences c_ui (the caller applies 1 + alpha * count or alpha * count;
//    `implicit` passes alpha * user_items). Y: items x d. YtY: d x d (= Y^T Y, e.g. from gram_cpu).
// X: users x d, read (CG warm start) and overwritten. For each row u with items I_u:
//    A_u = YtY + lambda I + sum_{i in I_u} (|c_ui| - 1) y_i y_i^T
//    b_u = sum_{i in I_u, c_ui > 0} c_ui y_i
//    x_u = A_u^{-1} b_u
// A negative confidence is an explicit dislike: preference 0 with confidence |c| (contributes to
// A_u, not to b_u), exactly as implicit's _als.pyx. Zero confidences count as dislikes of
// confidence 0 (implicit's `c > 0` test), which is what implicit does too.
//   Cholesky: forms A_u (d x d) and solves it exactly with a blocked SIMD Cholesky (A = U^T U).
//             A non-positive pivot (only possible with lambda = 0) is Code::Diverged, where
//             implicit raises "posv failed ... increase the regularization".
//   CG:       cg_steps iterations of conjugate gradients warm-started from the current x_u; the
//             product A_u p = (YtY + lambda I) p + sum (|c|-1)(y_i . p) y_i uses the user's own
//             items only. Stops early when r.r < 1e-20 (like implicit).
// Rows without items: x_u = 0 for both solvers (implicit's behaviour for both; for Cholesky it is
// the exact solution of (YtY + lambda I) x = 0, for CG it is the same answer, not a warm-started
// iterate).
// Complexity per half-step: CG (cg_steps + 1) * (4 d nnz + 2 d^2 rows) flops; Cholesky
// about d^2 nnz + rows d^3 / 3 flops. Extra memory O(threads * d^2).
enum class AlsSolver : int32_t { CG = 0, Cholesky = 1 };

struct AlsParams {
  double regularization = 0.01;  // lambda >= 0, finite
  AlsSolver solver = AlsSolver::CG;
  int32_t cg_steps = 3;  // CG iterations per row, in [1, 1000]
};

Status validate_als_solve(const CsrView& c, const MatrixView& y, const MatrixView& yty,
                          const MutMatrixView& x, const AlsParams& p);
Status als_solve_ref(const CsrView& c, const MatrixView& y, const MatrixView& yty,
                     const MutMatrixView& x, const AlsParams& p);
Status als_solve_cpu(const ExecContext& ctx, const CsrView& c, const MatrixView& y,
                     const MatrixView& yty, const MutMatrixView& x, const AlsParams& p);

// ------------------------------------------------------------------------------------------------
// Implicit-ALS loss, as implicit's calculate_loss (C: users x items, X: users x d, Y: items x d):
//   numerator = sum_u [ x_u^T YtY x_u + sum_{i in I_u} ( (|c|-1)(x_u.y_i)^2 - 2 c+ (x_u.y_i) + |c| ) ]
//             + lambda (||X||_F^2 + ||Y||_F^2)
//   denominator = sum |c_ui| + users * items - nnz
//   loss = numerator / denominator
// where c+ = c for c > 0 and 0 otherwise. For c > 0 this is sum over all (u, i) of
// c_ui (p_ui - x_u.y_i)^2 with c = 1, p = 0 off the support; for c <= 0 implicit also adds the
// constant |c| (a quirk kept for parity). The denominator is the total confidence mass, so the
// value is a confidence-weighted mean squared error plus regularisation.
// Complexity: 4 d nnz + 2 d^2 users + 2 d (users + items) flops (+ d^2 items for YtY).
struct AlsLossParams {
  double regularization = 0.01;  // >= 0, finite
};
struct AlsLossOut {
  double loss = 0;         // numerator / denominator
  double numerator = 0;
  double denominator = 0;
};
Status validate_als_loss(const CsrView& c, const MatrixView& x, const MatrixView& y,
                         const AlsLossParams& p);
Status als_loss_ref(const CsrView& c, const MatrixView& x, const MatrixView& y,
                    const AlsLossParams& p, AlsLossOut* out);
// Computes YtY with gram_cpu.
Status als_loss_cpu(const ExecContext& ctx, const CsrView& c, const MatrixView& x,
                    const MatrixView& y, const AlsLossParams& p, AlsLossOut* out);

// ------------------------------------------------------------------------------------------------
// Biased MF, one SGD epoch on explicit ratings.
// ratings: users x items CSR, data = ratings (null = all 1). P: users x d, Q: items x d,
// user_bias (users), item_bias (items) updated in place. Prediction mu + b_u + b_i + p_u . q_i,
// error e = r - prediction (measured before the update, summed into the RMSE), then
//   b_u += lr (e - reg b_u); b_i += lr (e - reg b_i)
//   p_u += lr (e q_i - reg p_u); q_i += lr (e p_u(old) - reg q_i)
// Order: the nnz positions are split into T contiguous chunks (T = threads used; the ref uses
// T = 1); chunk t is shuffled by Fisher-Yates with Rng(seed, t) and visited in that order by one
// task. With T = 1 this is a uniform shuffle of all ratings. Complexity 6 d nnz flops, O(nnz)
// extra memory (the order and the row of each rating).
struct SgdParams {
  double learning_rate = 0.01;   // > 0, finite
  double regularization = 0.02;  // >= 0, finite
  double global_mean = 0.0;      // mu, finite
  uint64_t seed = 0;
};
struct SgdOut {
  double rmse = 0;      // sqrt(mean of e^2 over the epoch, before each update)
  int64_t samples = 0;  // = nnz
};
Status validate_sgd_epoch(const CsrView& ratings, const MutMatrixView& p, const MutMatrixView& q,
                          const MutVectorView& user_bias, const MutVectorView& item_bias,
                          const SgdParams& params);
Status sgd_epoch_ref(const CsrView& ratings, const MutMatrixView& p, const MutMatrixView& q,
                     const MutVectorView& user_bias, const MutVectorView& item_bias,
                     const SgdParams& params, SgdOut* out);
Status sgd_epoch_cpu(const ExecContext& ctx, const CsrView& ratings, const MutMatrixView& p,
                     const MutMatrixView& q, const MutVectorView& user_bias,
                     const MutVectorView& item_bias, const SgdParams& params, SgdOut* out);

// ------------------------------------------------------------------------------------------------
// BPR, one epoch, as implicit's bpr_update (values of C are ignored: any stored entry is a
// positive). Per sample (samples draws, default nnz):
//   k = below(nnz); u = row of k; i = indices[k]            (positive uniform over nnz)
//   j = indices[below(nnz)] (Popularity, implicit's only mode) or below(items) (Uniform)
//   if verify_negatives and j in row u (binary search, rows must be sorted): skipped++, next
//   x = p_u . (q_i - q_j) + b_i - b_j;  z = 1 / (1 + exp(x))
//   p_u += lr (z (q_i - q_j) - reg p_u); q_i += lr (z p_u(old) - reg q_i);
//   q_j += lr (-z p_u(old) - reg q_j); b_i += lr (z - reg b_i); b_j += lr (-z - reg b_j)
// (implicit keeps the item bias as an extra factor column with the user's column fixed at 1;
// here it is a separate array, the arithmetic is the same.) Without verification j may equal i;
// the updates then apply in the order above, as in implicit.
// Reported: loss = mean of -log sigmoid(x) over processed samples (x before the update), and
// implicit's own numbers: correct = processed samples with z < 0.5 (train AUC = correct /
// processed) and skipped. Samples are split into T contiguous chunks (T = threads used, ref
// T = 1); chunk t draws from Rng(seed, t).
// Complexity 8 d flops per processed sample (+ log(row length) for verification).
enum class BprNegatives : int32_t { Popularity = 0, Uniform = 1 };
struct BprParams {
  double learning_rate = 0.01;   // > 0, finite
  double regularization = 0.01;  // >= 0, finite
  int64_t samples = 0;           // <= 0 = nnz
  uint64_t seed = 0;
  bool verify_negatives = true;
  BprNegatives negatives = BprNegatives::Popularity;
};
struct BprOut {
  double loss = 0;        // mean -log sigmoid(x_uij) over processed samples (0 if none)
  int64_t processed = 0;  // samples - skipped
  int64_t skipped = 0;    // negatives that were positives (verify_negatives)
  int64_t correct = 0;    // processed samples with x_uij > 0 (implicit's "correct")
};
Status validate_bpr_epoch(const CsrView& c, const MutMatrixView& p, const MutMatrixView& q,
                          const MutVectorView& item_bias, const BprParams& params);
Status bpr_epoch_ref(const CsrView& c, const MutMatrixView& p, const MutMatrixView& q,
                     const MutVectorView& item_bias, const BprParams& params, BprOut* out);
Status bpr_epoch_cpu(const ExecContext& ctx, const CsrView& c, const MutMatrixView& p,
                     const MutMatrixView& q, const MutVectorView& item_bias,
                     const BprParams& params, BprOut* out);

}  // namespace souk
