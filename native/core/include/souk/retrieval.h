// souk/retrieval.h — Kernels I: scores, fused top-K, softmax top-K, sampled top-K, Gram matrix.
//
// Every op exists as <op>_ref (scalar, double accumulation, obviously right: the oracle) and
// <op>_cpu (cache-blocked, register-tiled SIMD with run-time ISA dispatch, multithreaded), with
// one signature. cuda/ adds <op>_cuda later with the same semantics.
//
// Semantics every implementation keeps (ARCHITECTURE.md, Kernels):
//   * Q is m x d (queries / users), I is n x d (items); scores are q . i.
//   * top-K rows are sorted by score descending; ties go to the smaller item index; an item
//     appears at most once per row; when fewer than k items are admissible the row is padded
//     with index -1 and score -Infinity, and counts[q] says how many entries are real.
//   * exclude (CSR, m rows, n cols): items never returned for that query (e.g. already bought).
//     allow (bitset over n items, shared by all queries): only those items are admissible.
//     candidates (CSR, m rows, n cols): score only these items for that query (instead of all).
//     They combine: admissible = (candidate or no candidates) and allowed and not excluded.
//     Duplicate candidate indices in one row count once.
//   * NaN or +-Infinity in Q or I: Code::NonFinite, found while the data is read (packing or
//     the dot products), not by an extra pass. Outputs are then unspecified.
//   * Argument checks (shapes, k in [1, kMaxK], CSR well-formed and in range, temperature > 0 and
//     finite) happen before any work, in validate_* below, which every backend calls first.
//
// Complexity: scores and top-K cost 2*m*n*d flops (candidates: 2*d per candidate). top-K extra
// memory is O(threads * tile + m * k), never O(m * n).
#pragma once

#include <cstdint>

#include "souk/common.h"
#include "souk/threads.h"

namespace souk {

// Options for the top-K family. Pointers to views that are not present are allowed
// (view.present() == false means "not given").
struct TopKParams {
  int64_t k = 10;
  CsrView exclude;     // m rows x n cols, or absent
  BitsetView allow;    // n bits, or absent
  CsrView candidates;  // m rows x n cols, or absent (top-K only)
};

struct SoftmaxParams {
  int64_t k = 10;
  double temperature = 1.0;  // > 0; probabilities are softmax(score / temperature)
  CsrView exclude;
  BitsetView allow;
};

struct SampleParams {
  int64_t k = 10;
  double temperature = 1.0;
  uint64_t seed = 0;
  CsrView exclude;
  BitsetView allow;
};

// Extra outputs of softmax / sampled top-K.
struct SoftmaxOut {
  float* probs = nullptr;  // m * k: probability of each returned item under the softmax over all
                           // admissible items (0 for padding)
  float* log_z = nullptr;  // m: log of the softmax normaliser (-Infinity when nothing is admissible)
};

// ---- validation (shared by all backends; cheap, O(m + nnz)) ----
Status validate_scores(const MatrixView& q, const MatrixView& items, const MutMatrixView& out);
Status validate_topk(const MatrixView& q, const MatrixView& items, const TopKParams& p, const TopKOut& out);
Status validate_softmax(const MatrixView& q, const MatrixView& items, const SoftmaxParams& p,
                        const TopKOut& out, const SoftmaxOut& sm);
Status validate_sample(const MatrixView& q, const MatrixView& items, const SampleParams& p,
                       const TopKOut& out, const SoftmaxOut& sm);
Status validate_gram(const MatrixView& y, const MutMatrixView& out);
// A CSR over `rows` x `cols`: indptr[0] == 0, non-decreasing, indptr[rows] == nnz, every index in
// [0, cols). If require_sorted, indices strictly increase within each row.
Status validate_csr(const CsrView& csr, int64_t rows, int64_t cols, bool require_sorted, const char* name);

// ---- scores: out (m x n) = Q . I^T ----
Status scores_ref(const MatrixView& q, const MatrixView& items, const MutMatrixView& out);
Status scores_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items,
                  const MutMatrixView& out);

// ---- fused top-K ----
Status topk_ref(const MatrixView& q, const MatrixView& items, const TopKParams& p, const TopKOut& out);
Status topk_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items,
                const TopKParams& p, const TopKOut& out);

// ---- softmax top-K: the k best by score, with softmax probabilities and logZ (one pass) ----
Status softmax_topk_ref(const MatrixView& q, const MatrixView& items, const SoftmaxParams& p,
                        const TopKOut& out, const SoftmaxOut& sm);
Status softmax_topk_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items,
                        const SoftmaxParams& p, const TopKOut& out, const SoftmaxOut& sm);

// ---- sampled top-K: k items drawn without replacement from the softmax (Gumbel top-K) ----
// Key of item i for query r: score/temperature + g, g = -log(-log(u)), u = uniform_open01(seed, r, i)
// (souk/rng.h: a counter-based hash, so the draw does not depend on threads, tiling or backend).
// Rows are sorted by key descending (the order of the draw); out.scores hold the raw scores q.i,
// sm.probs the softmax probability of each drawn item, sm.log_z the normaliser.
Status sample_topk_ref(const MatrixView& q, const MatrixView& items, const SampleParams& p,
                       const TopKOut& out, const SoftmaxOut& sm);
Status sample_topk_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items,
                       const SampleParams& p, const TopKOut& out, const SoftmaxOut& sm);

// ---- Gram matrix: out (d x d, float) = Y^T Y, accumulated in double ----
Status gram_ref(const MatrixView& y, const MutMatrixView& out);
Status gram_cpu(const ExecContext& ctx, const MatrixView& y, const MutMatrixView& out);

}  // namespace souk
