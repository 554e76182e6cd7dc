// Internal helpers of the factorisation kernels (not installed): validation pieces, aligned
// scratch, cost-balanced row partitions, non-finite diagnosis. Header-only, no ISA flags.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "souk/common.h"
#include "souk/factorization.h"

namespace souk {
namespace fact {

// kMaxFactors (the limit on d) is published in souk/factorization.h.

std::string fmt(double v);
Status check_dense(const MatrixView& m, int64_t rows, int64_t cols, const char* name);
Status check_vector(const MutVectorView& v, int64_t size, const char* name);
Status check_nonneg(double v, const char* name);
Status check_positive(double v, const char* name);

// 64-byte aligned float scratch (zero-filled).
struct AlignedBuf {
  float* ptr = nullptr;
  size_t n = 0;
  AlignedBuf() = default;
  explicit AlignedBuf(size_t count) { reset(count); }
  AlignedBuf(const AlignedBuf&) = delete;
  AlignedBuf& operator=(const AlignedBuf&) = delete;
  AlignedBuf(AlignedBuf&& o) noexcept : ptr(o.ptr), n(o.n) { o.ptr = nullptr; o.n = 0; }
  ~AlignedBuf() { std::free(ptr); }
  void reset(size_t count) {
    std::free(ptr);
    size_t bytes = ((count * sizeof(float) + 63) / 64) * 64;
    if (bytes == 0) bytes = 64;
    ptr = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!ptr) throw std::bad_alloc();
    n = count;
    std::fill(ptr, ptr + bytes / sizeof(float), 0.0f);
  }
};

inline bool finite_row(const float* v, int64_t d) {
  float acc = 0;
  for (int64_t i = 0; i < d; ++i) acc += v[i] * 0.0f;  // NaN iff some v[i] is NaN or Inf
  return acc == 0.0f;
}

// Confidence of stored entry k (null data = 1).
inline float conf_at(const CsrView& c, int64_t k) { return c.data ? c.data[k] : 1.0f; }

// After a row produced a non-finite result: which input was at fault? NonFinite naming the
// input if any read value is NaN/Inf, else Diverged.
inline Status diagnose_row(const CsrView& c, int64_t row, const MatrixView& y, const float* x_in,
                           int64_t d, const char* row_name, const char* y_name) {
  for (int32_t k = c.indptr[row]; k < c.indptr[row + 1]; ++k) {
    const float cv = conf_at(c, k);
    if (!std::isfinite(cv))
      return Status(Code::NonFinite, "Expected finite confidences for C but received " + fmt(cv) +
                                         " at row " + std::to_string(row));
    if (!finite_row(y.row(c.indices[k]), d))
      return Status(Code::NonFinite, std::string("Expected finite values for ") + y_name +
                                         " but received NaN or Infinity in row " + std::to_string(c.indices[k]));
  }
  if (x_in && !finite_row(x_in, d))
    return Status(Code::NonFinite, std::string("Expected finite values for ") + row_name +
                                       " but received NaN or Infinity in row " + std::to_string(row));
  return Status(Code::Diverged, std::string("Expected a finite solution for ") + row_name + " row " +
                                    std::to_string(row) + " but received NaN or Infinity (try a larger regularization)");
}

// Splits rows [0, rows) into about `tasks` ranges of equal cost, cost(r) = nnz(r) + row_cost,
// by binary search on the monotone prefix indptr[r] + row_cost * r (no scan, no sort).
inline std::vector<int64_t> balanced_ranges(const int32_t* indptr, int64_t rows, double row_cost,
                                            int64_t tasks) {
  std::vector<int64_t> b;
  b.push_back(0);
  if (rows <= 0) { b.push_back(0); return b; }
  const double total = indptr[rows] + row_cost * rows;
  tasks = std::max<int64_t>(1, std::min<int64_t>(tasks, rows));
  for (int64_t t = 1; t < tasks; ++t) {
    const double target = total * t / tasks;
    int64_t lo = b.back(), hi = rows;  // first r with cost(r) >= target
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (indptr[mid] + row_cost * mid < target) lo = mid + 1; else hi = mid;
    }
    if (lo > b.back() && lo < rows) b.push_back(lo);
  }
  b.push_back(rows);
  return b;
}

// row of every stored entry (the COO row array), filled in parallel.
inline Status fill_row_ids(const ExecContext& ctx, const CsrView& c, std::vector<int32_t>* rows_of) {
  rows_of->resize(static_cast<size_t>(c.nnz));
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(c.rows, 64));
  std::vector<int64_t> b = balanced_ranges(c.indptr, c.rows, 1.0, tasks);
  int32_t* out = rows_of->data();
  return ctx.parallel_for(static_cast<int64_t>(b.size()) - 1, [&](int64_t t, int) {
    for (int64_t r = b[t]; r < b[t + 1]; ++r)
      for (int32_t k = c.indptr[r]; k < c.indptr[r + 1]; ++k) out[k] = static_cast<int32_t>(r);
    return Status::ok();
  });
}

// -log sigmoid(x), stable.
inline double neg_log_sigmoid(double x) {
  return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x));
}

}  // namespace fact
}  // namespace souk

#include "souk/rng.h"

namespace souk {
namespace fact {

// Positions [begin, end) in a Fisher-Yates order drawn from Rng(seed, stream): out[0..end-begin).
inline void shuffled_range(int32_t* out, int64_t begin, int64_t end, uint64_t seed, uint64_t stream) {
  Rng rng(seed, stream);
  const int64_t n = end - begin;
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(begin + i);
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(rng.below(static_cast<uint64_t>(i + 1)));
    const int32_t t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
}

// Whether the sorted array a[0..n) holds key. Branchless (the step is a conditional move), so the
// searches of consecutive samples overlap in the out-of-order window instead of mispredicting.
inline bool sorted_contains(const int32_t* a, int64_t n, int32_t key) {
  if (n <= 0) return false;
  const int32_t* base = a;
  while (n > 1) {
    const int64_t half = n / 2;
    base += (base[half] <= key) ? half : 0;
    n -= half;
  }
  return *base == key;
}

// implicit's BPR draw: positive (u, i) uniform over the stored entries, negative j from the item
// of another random entry (popularity) or uniform over items; false = skipped (j is a positive
// of u, found by binary search in u's sorted row).
struct BprDraw {
  int32_t u, i, j;
};
inline bool bpr_draw(const CsrView& c, const int32_t* rows_of, bool verify, bool uniform, Rng& rng,
                     BprDraw* out) {
  const uint64_t nnz = static_cast<uint64_t>(c.nnz);
  const int64_t k = static_cast<int64_t>(rng.below(nnz));
  const int32_t u = rows_of[k];
  const int32_t i = c.indices[k];
  const int32_t j = uniform ? static_cast<int32_t>(rng.below(static_cast<uint64_t>(c.cols)))
                            : c.indices[rng.below(nnz)];
  if (verify && sorted_contains(c.indices + c.indptr[u], c.indptr[u + 1] - c.indptr[u], j)) return false;
  out->u = u;
  out->i = i;
  out->j = j;
  return true;
}

}  // namespace fact
}  // namespace souk
