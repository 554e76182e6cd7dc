// retrieval/ref_common.h — helpers for the scalar references (*_ref): one query's admissible items
// scored in double, straight from the definitions. O(n d) per query; no cleverness on purpose.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "souk/retrieval.h"

namespace souk {
namespace retrieval {
namespace ref {

struct Scored {
  double key;    // what the selection orders by
  double score;  // q . i in double
  int32_t idx;
};

inline bool ref_better(const Scored& a, const Scored& b) {
  return a.key > b.key || (a.key == b.key && a.idx < b.idx);
}

inline Status ref_non_finite(const char* name, int64_t row) {
  return Status(Code::NonFinite, std::string("Expected finite values for ") + name +
                                     " but received NaN or Infinity in row " + std::to_string(row));
}

// Double-precision dot product; false when either vector holds NaN/Inf.
inline bool ref_dot(const float* a, const float* b, int64_t d, double* out) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t) {
    if (!std::isfinite(a[t]) || !std::isfinite(b[t])) return false;
    s += static_cast<double>(a[t]) * static_cast<double>(b[t]);
  }
  *out = s;
  return true;
}

inline bool ref_excluded(const CsrView& ex, int64_t r, int32_t j) {
  if (!ex.present()) return false;
  for (int64_t t = ex.indptr[r]; t < ex.indptr[r + 1]; ++t)
    if (ex.indices[t] == j) return true;
  return false;
}

// Scores every item for query r (every item is read, so NaN/Inf anywhere in items is found), and
// returns the admissible ones: in candidates (if given, each once), allowed, not excluded.
inline Status ref_admissible(const MatrixView& q, const MatrixView& items, int64_t r, const CsrView& exclude,
                             const BitsetView& allow, const CsrView& candidates, std::vector<Scored>* out) {
  out->clear();
  const int64_t n = items.rows, d = q.cols;
  // The query row is read when there is anything to score it against (as the CPU kernels do).
  if (n > 0 || candidates.present())
    for (int64_t t = 0; t < d; ++t)
      if (!std::isfinite(q.row(r)[t])) return ref_non_finite("q", r);
  std::vector<char> is_cand;
  if (candidates.present()) {
    is_cand.assign(static_cast<size_t>(n), 0);
    for (int64_t t = candidates.indptr[r]; t < candidates.indptr[r + 1]; ++t) is_cand[candidates.indices[t]] = 1;
  }
  for (int64_t j = 0; j < n; ++j) {
    if (candidates.present() && !is_cand[static_cast<size_t>(j)]) continue;
    double s;
    if (!ref_dot(q.row(r), items.row(j), d, &s)) return ref_non_finite("items", j);
    if (allow.present() && !allow.test(j)) continue;
    if (ref_excluded(exclude, r, static_cast<int32_t>(j))) continue;
    out->push_back(Scored{s, s, static_cast<int32_t>(j)});
  }
  return Status::ok();
}

// Writes the best k of `v` (by key, then index) into row r of out, padding with -1 / -Infinity.
inline void ref_write_topk(std::vector<Scored>& v, int64_t r, const TopKOut& out) {
  std::sort(v.begin(), v.end(), ref_better);
  const int64_t k = out.k;
  const int64_t cnt = std::min<int64_t>(k, static_cast<int64_t>(v.size()));
  for (int64_t t = 0; t < k; ++t) {
    out.indices[r * k + t] = t < cnt ? v[static_cast<size_t>(t)].idx : -1;
    out.scores[r * k + t] =
        t < cnt ? static_cast<float>(v[static_cast<size_t>(t)].score) : -std::numeric_limits<float>::infinity();
  }
  out.counts[r] = static_cast<int32_t>(cnt);
}

// log sum_j exp(score_j / T) over v, in double (-Infinity when v is empty).
inline double ref_log_z(const std::vector<Scored>& v, double temperature) {
  if (v.empty()) return -std::numeric_limits<double>::infinity();
  double mx = -std::numeric_limits<double>::infinity();
  for (const auto& e : v) mx = std::max(mx, e.score / temperature);
  double s = 0;
  for (const auto& e : v) s += std::exp(e.score / temperature - mx);
  return mx + std::log(s);
}

// After ref_write_topk: the softmax probability exp(score / T - log_z) of each returned item of row r
// (0 for padding) and log_z itself.
inline void ref_write_probs(const std::vector<Scored>& v, int64_t r, double temperature, double log_z,
                            const TopKOut& out, const SoftmaxOut& sm) {
  const int64_t k = out.k;
  for (int64_t t = 0; t < k; ++t)
    sm.probs[r * k + t] =
        t < out.counts[r] ? static_cast<float>(std::exp(v[static_cast<size_t>(t)].score / temperature - log_z)) : 0.0f;
  sm.log_z[r] = static_cast<float>(log_z);
}

}  // namespace ref
}  // namespace retrieval
}  // namespace souk
