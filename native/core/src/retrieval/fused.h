// retrieval/fused.h — the fused score + select engine shared by topk_cpu, softmax_topk_cpu and
// sample_topk_cpu (see fused.cpp), plus small helpers shared by the op files.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "internal.h"
#include "souk/retrieval.h"

namespace souk {
namespace retrieval {

enum class FusedKind { TopK, Softmax, Sample };

struct FusedProblem {
  MatrixView q;
  MatrixView items;
  int64_t k = 0;
  CsrView exclude;
  BitsetView allow;
  CsrView candidates;  // TopK only
  FusedKind kind = FusedKind::TopK;
  double temperature = 1.0;
  uint64_t seed = 0;
  TopKOut out;
  SoftmaxOut sm;  // Softmax / Sample
};

// Runs the problem (arguments already validated). Never throws.
Status run_fused(const ExecContext& ctx, const FusedProblem& pr);

// One selected item. key orders the selection (the score, or score / T + Gumbel noise).
struct Entry {
  double key;
  int32_t idx;
  float score;
};
// Total order used everywhere: higher key first, then smaller item index.
inline bool better(const Entry& a, const Entry& b) { return a.key > b.key || (a.key == b.key && a.idx < b.idx); }

// Packs rows [c0, c1) of src into panels of kt.nr rows, transposed (panel p: d x nr at
// buf + p * nr * d, zero-padded) with kt.pack; NonFinite (naming `name` and the row) on NaN/Inf.
Status pack_panels(const KernelTable& kt, const MatrixView& src, int64_t c0, int64_t c1, float* buf, const char* name);
// Packs rows r0 .. r0 + mr - 1 of q as d x mr_cap (qp[t * mr_cap + i], zero-padded); NonFinite on NaN/Inf.
Status pack_queries(const MatrixView& q, int mr_cap, int64_t r0, int mr, float* qp, const char* name);

// 64-byte aligned float buffer that only grows.
struct AlignedBuf {
  std::unique_ptr<float[]> raw;
  float* ptr = nullptr;
  int64_t cap = 0;
  float* get(int64_t n) {
    if (n > cap) {
      raw.reset(new float[n + 16]);
      uintptr_t p = reinterpret_cast<uintptr_t>(raw.get());
      ptr = reinterpret_cast<float*>((p + 63) & ~uintptr_t(63));
      cap = n;
    }
    return ptr;
  }
};

// Message for a NaN/Inf found in `name` row `row`.
Status non_finite(const char* name, int64_t row);

}  // namespace retrieval
}  // namespace souk
