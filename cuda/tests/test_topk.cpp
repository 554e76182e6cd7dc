// cuda/tests/test_topk.cpp: the realistic kernel (kernels/topk.cuh: fused dot product + warp bitonic
// top-k, two passes, launched through its host launcher with SIMT_LAUNCH and the runtime shim) against
// a plain C++ reference, on random inputs with odd sizes (n not a multiple of 32 or of the block),
// k = 1 / 5 / 32, k > n, duplicate rows (ties), -inf biases (filtered items) and an empty item set.
// Comparison is tie-aware (CONVENTIONS.md 18): scores within a tolerance, every returned index
// re-scored by the reference, no duplicates, and indices compared only where scores are separated.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/topk.cuh"
#include "simt_test.h"

using simt_test::kSlow;

namespace {

struct Case {
  int nq, n, d, k, chunk;
  bool ties, neg_inf, bias;
};

// Reference: double accumulation, sort by (score desc, index asc), pad with (-inf, -1).
void ref_topk(const std::vector<float>& Q, const std::vector<float>& X, const std::vector<float>& bias, const Case& c,
              std::vector<double>& all_scores, std::vector<float>& rs, std::vector<int>& ri) {
  all_scores.assign((size_t)c.nq * c.n, 0.0);
  rs.assign((size_t)c.nq * c.k, -INFINITY);
  ri.assign((size_t)c.nq * c.k, -1);
  for (int q = 0; q < c.nq; ++q) {
    std::vector<std::pair<double, int>> v;
    for (int i = 0; i < c.n; ++i) {
      double acc = 0;
      for (int j = 0; j < c.d; ++j) acc += (double)Q[(size_t)q * c.d + j] * X[(size_t)i * c.d + j];
      if (c.bias) acc += bias[i];
      all_scores[(size_t)q * c.n + i] = acc;
      v.push_back({acc, i});
    }
    std::sort(v.begin(), v.end(), [](const std::pair<double, int>& a, const std::pair<double, int>& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    for (int r = 0; r < c.k && r < (int)v.size(); ++r) {
      rs[(size_t)q * c.k + r] = (float)v[r].first;
      ri[(size_t)q * c.k + r] = v[r].second;
    }
  }
}

bool close(double a, double b, double tol) {
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= tol * (1.0 + std::fabs(b));
}

template <int BLOCK>
void run_case(const Case& c, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  std::vector<float> Q((size_t)c.nq * c.d), X((size_t)std::max(1, c.n) * c.d), bias(std::max(1, c.n), 0.0f);
  for (float& v : Q) v = U(rng);
  for (float& v : X) v = U(rng);
  if (c.ties)  // copy earlier rows: exactly equal scores
    for (int i = 3; i < c.n; i += 3) std::copy(&X[(size_t)(i / 3) * c.d], &X[(size_t)(i / 3) * c.d] + c.d, &X[(size_t)i * c.d]);
  if (c.bias)
    for (int i = 0; i < c.n; ++i) bias[i] = c.neg_inf && (i % 4 == 1 || c.n < 8) ? -INFINITY : 0.01f * (float)(i % 5);

  // Device buffers through the shim, as a host launcher in cuda/src would use them.
  const size_t scratch = topk::scratch_count(c.nq, c.n, c.chunk, c.k);
  float *dQ, *dX, *dB, *ss, *os;
  int *si, *oi;
  cudaMalloc(&dQ, Q.size() * 4);
  cudaMalloc(&dX, X.size() * 4);
  cudaMalloc(&dB, bias.size() * 4);
  cudaMalloc(&ss, scratch * 4);
  cudaMalloc(&si, scratch * 4);
  cudaMalloc(&os, (size_t)c.nq * c.k * 4);
  cudaMalloc(&oi, (size_t)c.nq * c.k * 4);
  cudaMemcpy(dQ, Q.data(), Q.size() * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(dX, X.data(), X.size() * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(dB, bias.data(), bias.size() * 4, cudaMemcpyHostToDevice);
  cudaError_t e = topk::launch_fused_topk<BLOCK>(dQ, dX, c.bias ? dB : nullptr, c.nq, c.n, c.d, c.k, c.chunk, ss, si, os, oi, 0);
  std::vector<float> gs((size_t)c.nq * c.k, NAN);
  std::vector<int> gi((size_t)c.nq * c.k, -7);
  cudaMemcpy(gs.data(), os, gs.size() * 4, cudaMemcpyDeviceToHost);
  cudaMemcpy(gi.data(), oi, gi.size() * 4, cudaMemcpyDeviceToHost);
  for (void* p : {(void*)dQ, (void*)dX, (void*)dB, (void*)ss, (void*)si, (void*)os, (void*)oi}) cudaFree(p);

  std::vector<double> all;
  std::vector<float> rs;
  std::vector<int> ri;
  ref_topk(Q, X, bias, c, all, rs, ri);
  const double tol = 1e-5 * c.d;
  std::string why;
  for (int q = 0; q < c.nq && why.empty(); ++q) {
    std::vector<int> seen;
    for (int r = 0; r < c.k; ++r) {
      const size_t o = (size_t)q * c.k + r;
      if (!close(gs[o], rs[o], tol)) { why = "score rank " + std::to_string(r); break; }
      if (gi[o] < 0) {
        if (ri[o] != -1) why = "missing index at rank " + std::to_string(r);
        if (!why.empty()) break;
        continue;
      }
      if (gi[o] >= c.n) { why = "index out of range"; break; }
      if (!close(gs[o], all[(size_t)q * c.n + gi[o]], tol)) { why = "returned score does not match its index"; break; }
      if (std::find(seen.begin(), seen.end(), gi[o]) != seen.end()) { why = "duplicate index"; break; }
      seen.push_back(gi[o]);
      const bool sep_prev = r == 0 || !close(rs[o - 1], rs[o], 10 * tol);
      const bool sep_next = r + 1 >= c.k || !close(rs[o + 1], rs[o], 10 * tol);
      if (sep_prev && sep_next && gi[o] != ri[o]) { why = "index at separated rank " + std::to_string(r); break; }
      // Exact ties (duplicate rows) are broken by index in both: check that too.
      if (c.ties && rs[o] == (float)all[(size_t)q * c.n + ri[o]] && gs[o] == rs[o] && gi[o] != ri[o] &&
          all[(size_t)q * c.n + gi[o]] == all[(size_t)q * c.n + ri[o]]) {
        why = "tie not broken by the smaller index at rank " + std::to_string(r);
        break;
      }
    }
  }
  EXPECT(e == cudaSuccess && why.empty(), "topk<%d> nq %d n %d d %d k %d chunk %d ties %d -inf %d: %s (cuda %d)", BLOCK, c.nq, c.n,
         c.d, c.k, c.chunk, (int)c.ties, (int)c.neg_inf, why.c_str(), (int)e);
}

}  // namespace

SIMT_TEST(fused_topk_matches_reference) {
  std::vector<Case> cases;
  if (kSlow) {
    cases = {{1, 45, 5, 5, 64, true, true, true}, {2, 70, 3, 32, 32, false, false, false}};
  } else {
    cases = {
        {3, 1000, 24, 10, 256, false, false, false},  // the common shape
        {2, 1, 17, 1, 256, false, false, false},      // one item
        {2, 31, 1, 32, 64, false, false, false},      // k > n, d = 1
        {3, 33, 33, 32, 32, true, false, true},       // n just over a warp, ties
        {2, 257, 17, 1, 128, true, true, true},       // k = 1, -inf filtered items
        {2, 777, 13, 32, 200, true, true, true},      // chunk not a multiple of 32
        {1, 0, 8, 4, 128, false, false, false},       // no items at all
        {1, 6, 4, 8, 128, false, true, true},         // every item filtered (-inf), k > n
    };
  }
  unsigned seed = 1;
  for (const Case& c : cases) {
    run_case<128>(c, seed++);
    if (!kSlow) run_case<64>(c, seed++);
  }
  if (!kSlow) run_case<1024>(Case{1, 3001, 7, 32, 2048, true, true, true}, 99);
}

SIMT_TEST(fused_topk_launcher_validates) {
  float* p = nullptr;
  int* ip = nullptr;
  EXPECT(topk::launch_fused_topk<128>(p, p, p, 1, 10, 4, 33, 64, p, ip, p, ip, 0) == cudaErrorInvalidValue, "k = 33 rejected");
  EXPECT(topk::launch_fused_topk<128>(p, p, p, 1, 10, 0, 3, 64, p, ip, p, ip, 0) == cudaErrorInvalidValue, "d = 0 rejected");
}
