// cuda/tests/test_retrieval_cuda.cpp: the CUDA retrieval kernels (cuda/kernels, cuda/src) run under
// the SIMT emulator and compared with the CPU core's references (souk::scores_ref, topk_ref,
// gram_ref, softmax_topk_ref, sample_topk_ref from native/core, linked as souk_core). Inputs are random in [-1, 1] with edge cases:
// n not a multiple of 32 or of the tile, d in {1, 3, 17, 33, 127}, padded row strides, k = 1,
// k = n, k > n (padding), exact ties (duplicate item rows), exclude (all excluded too), allow
// bitsets (none allowed too), candidates with duplicates and empty rows, m = 1 and many blocks,
// forced multi-chunk merges, every queue bucket (32 ... 1024), n = 0, NaN/Inf -> NonFinite, k out
// of range -> KRange, candidate index out of range -> Csr.
// Comparison (CONVENTIONS.md 18, tie-aware): counts equal; padding where the reference pads; scores
// within tol = 1e-5 (d + 1) (float on the device, double in the reference); every returned index
// admissible, unique and re-scored by the reference; indices equal where the reference's scores
// are separated by more than 10 tol; exact ties broken by the smaller index. Softmax: logZ and probs
// within 2e-5 + 4 tol / T. Sampled: the same draw (indices equal unless the reference's two keys are
// within float rounding), raw scores re-scored, probs and logZ as softmax.
// main() (here) also runs test_factorization_cuda.cpp's tests: one line per test, then "N passed, N
// failed". Sizes are small (the emulator is ~150x slower than native code).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "simt_test.h"
#include "souk/cuda/context.h"
#include "souk/cuda/retrieval.h"
#include "souk/retrieval.h"
#include "souk/rng.h"

namespace {

using souk::Code;

using cuda_test::close;
using cuda_test::Dev;
using cuda_test::make_ctx;
using cuda_test::Mat;
using cuda_test::random_mat;

// ---- scores -------------------------------------------------------------------------------------
void scores_case(int64_t m, int64_t n, int64_t d, int64_t pad, unsigned seed) {
  std::mt19937 rng(seed);
  Mat q = random_mat(rng, m, d, pad), it = random_mat(rng, n, d, pad ? pad + 1 : 0);
  const int64_t ldo = n + pad;
  std::vector<float> ref((size_t)std::max<int64_t>(1, m * ldo), 0.0f);
  souk::Status rs = souk::scores_ref(q.view(q.v.data()), it.view(it.v.data()), souk::MutMatrixView{ref.data(), m, n, ldo});
  auto ctx = make_ctx();
  Dev<float> dq(q.v), di(it.v), dout(ref.size());
  souk::Status st = souk::cuda::launch_scores_cuda(*ctx, q.view(dq.p), it.view(di.p), souk::MutMatrixView{dout.p, m, n, ldo});
  std::vector<float> got = dout.get();
  double worst = 0;
  const double tol = 1e-5 * (double)(d + 1);
  bool ok = rs.is_ok() && st.is_ok();
  for (int64_t r = 0; r < m && ok; ++r)
    for (int64_t j = 0; j < n; ++j) {
      const double a = got[(size_t)(r * ldo + j)], b = ref[(size_t)(r * ldo + j)];
      worst = std::max(worst, std::fabs(a - b));
      if (!close(a, b, tol)) ok = false;
    }
  EXPECT(ok, "scores m %lld n %lld d %lld pad %lld: %s / max err %.3g", (long long)m, (long long)n, (long long)d,
         (long long)pad, st.message().c_str(), worst);
}

// ---- gram ---------------------------------------------------------------------------------------
void gram_case(int64_t n, int64_t d, int64_t pad, unsigned seed) {
  std::mt19937 rng(seed);
  Mat y = random_mat(rng, n, d, pad);
  std::vector<float> ref((size_t)std::max<int64_t>(1, d * d), 0.0f);
  souk::Status rs = souk::gram_ref(y.view(y.v.data()), souk::MutMatrixView{ref.data(), d, d, d});
  auto ctx = make_ctx();
  Dev<float> dy(y.v), dout(ref.size());
  souk::Status st = souk::cuda::launch_gram_cuda(*ctx, y.view(dy.p), souk::MutMatrixView{dout.p, d, d, d});
  std::vector<float> got = dout.get();
  bool ok = rs.is_ok() && st.is_ok();
  double worst = 0;
  for (int64_t t = 0; t < d * d && ok; ++t) {
    worst = std::max(worst, (double)std::fabs(got[(size_t)t] - ref[(size_t)t]));
    if (!close(got[(size_t)t], ref[(size_t)t], 1e-6)) ok = false;  // both round a double to float
  }
  EXPECT(ok, "gram n %lld d %lld pad %lld: %s / max err %.3g", (long long)n, (long long)d, (long long)pad,
         st.message().c_str(), worst);
}

// ---- top-K --------------------------------------------------------------------------------------
struct TopKCase {
  const char* what;
  int64_t m, n, d, k;
  int64_t chunk = 0;        // ctx.topk_chunk (0 = automatic)
  bool ties = false;        // rows i (i % 3 == 0, i >= 3) copy row i / 3
  int exclude = 0;          // 0 none, 1 random ~20 %, 2 row 0 excludes everything
  int allow = 0;            // 0 none, 1 random ~70 %, 2 nothing allowed
  int cand = 0;             // 0 none, 1 random with duplicates (row 1 empty)
  int64_t pad = 0;          // extra stride
  double temp = 0;          // > 0: softmax top-K at this temperature (no candidates)
  bool sample = false;      // with temp > 0: sampled top-K (Gumbel keys, seed = 42 + m)
};

void topk_case(const TopKCase& c, unsigned seed) {
  std::mt19937 rng(seed);
  Mat q = random_mat(rng, c.m, c.d, c.pad), it = random_mat(rng, c.n, c.d, c.pad);
  if (c.ties)
    for (int64_t i = 3; i < c.n; i += 3)
      std::copy(&it.v[(size_t)((i / 3) * it.stride)], &it.v[(size_t)((i / 3) * it.stride)] + c.d, &it.v[(size_t)(i * it.stride)]);
  std::uniform_int_distribution<int> pct(0, 99);
  // exclude CSR (sorted rows)
  std::vector<int32_t> ex_ptr(1, 0), ex_idx;
  for (int64_t r = 0; r < c.m && c.exclude; ++r) {
    for (int64_t j = 0; j < c.n; ++j)
      if ((c.exclude == 2 && r == 0) || pct(rng) < 20) ex_idx.push_back((int32_t)j);
    ex_ptr.push_back((int32_t)ex_idx.size());
  }
  std::vector<uint8_t> allow((size_t)std::max<int64_t>(1, (c.n + 7) / 8), 0);
  for (int64_t j = 0; j < c.n && c.allow; ++j)
    if (c.allow == 1 && pct(rng) < 70) allow[(size_t)(j >> 3)] |= (uint8_t)(1u << (j & 7));
  std::vector<int32_t> cd_ptr(1, 0), cd_idx;
  for (int64_t r = 0; r < c.m && c.cand; ++r) {
    if (r != 1 && c.n > 0) {
      const int len = 1 + (int)(rng() % (unsigned)(std::min<int64_t>(c.n, 90)));
      for (int t = 0; t < len; ++t) {
        const int32_t j = (int32_t)(rng() % (unsigned)c.n);
        cd_idx.push_back(j);
        if (t % 4 == 0) cd_idx.push_back(j);  // duplicates, adjacent
        if (t % 7 == 0 && !cd_idx.empty()) cd_idx.push_back(cd_idx[(size_t)(rng() % cd_idx.size())] % (int32_t)c.n);
      }
    }
    cd_ptr.push_back((int32_t)cd_idx.size());
  }
  auto csr = [&](const std::vector<int32_t>& ptr, const std::vector<int32_t>& idx, const int32_t* dptr, const int32_t* didx) {
    souk::CsrView v;
    v.indptr = dptr;
    v.indices = didx;
    v.rows = c.m;
    v.cols = c.n;
    v.nnz = (int64_t)idx.size();
    (void)ptr;
    return v;
  };
  // Reference on host views.
  souk::TopKParams hp;
  hp.k = c.k;
  if (c.exclude) hp.exclude = csr(ex_ptr, ex_idx, ex_ptr.data(), ex_idx.data());
  if (c.allow) hp.allow = souk::BitsetView{allow.data(), c.n};
  if (c.cand) hp.candidates = csr(cd_ptr, cd_idx, cd_ptr.data(), cd_idx.data());
  std::vector<int32_t> ri((size_t)std::max<int64_t>(1, c.m * c.k)), rc((size_t)std::max<int64_t>(1, c.m));
  std::vector<float> rsc(ri.size()), rprob(ri.size()), rlz(rc.size());
  souk::SoftmaxParams hsp;
  hsp.k = c.k;
  hsp.temperature = c.temp;
  hsp.exclude = hp.exclude;
  hsp.allow = hp.allow;
  souk::SampleParams hsa;
  hsa.k = c.k;
  hsa.temperature = c.temp;
  hsa.seed = 42 + (uint64_t)c.m;
  hsa.exclude = hp.exclude;
  hsa.allow = hp.allow;
  souk::Status rst = c.sample ? souk::sample_topk_ref(q.view(q.v.data()), it.view(it.v.data()), hsa,
                                                      souk::TopKOut{ri.data(), rsc.data(), rc.data(), c.m, c.k},
                                                      souk::SoftmaxOut{rprob.data(), rlz.data()})
                     : c.temp > 0 ? souk::softmax_topk_ref(q.view(q.v.data()), it.view(it.v.data()), hsp,
                                                         souk::TopKOut{ri.data(), rsc.data(), rc.data(), c.m, c.k},
                                                         souk::SoftmaxOut{rprob.data(), rlz.data()})
                                : souk::topk_ref(q.view(q.v.data()), it.view(it.v.data()), hp,
                                                 souk::TopKOut{ri.data(), rsc.data(), rc.data(), c.m, c.k});
  // CUDA on device copies.
  auto ctx = make_ctx();
  ctx->topk_chunk = c.chunk;
  Dev<float> dq(q.v), di(it.v);
  Dev<int32_t> dexp(ex_ptr), dexi(ex_idx), dcp(cd_ptr), dci(cd_idx), doi(ri.size()), doc(rc.size());
  Dev<uint8_t> dal(allow);
  Dev<float> dos(rsc.size());
  souk::TopKParams dp;
  dp.k = c.k;
  if (c.exclude) dp.exclude = csr(ex_ptr, ex_idx, dexp.p, dexi.p);
  if (c.allow) dp.allow = souk::BitsetView{dal.p, c.n};
  if (c.cand) dp.candidates = csr(cd_ptr, cd_idx, dcp.p, dci.p);
  Dev<float> dprob(rprob.size()), dlz(rlz.size());
  souk::Status st;
  if (c.sample) {
    souk::SampleParams sp = hsa;
    sp.exclude = dp.exclude;
    sp.allow = dp.allow;
    st = souk::cuda::launch_sample_topk_cuda(*ctx, q.view(dq.p), it.view(di.p), sp, souk::TopKOut{doi.p, dos.p, doc.p, c.m, c.k},
                                             souk::SoftmaxOut{dprob.p, dlz.p});
  } else if (c.temp > 0) {
    souk::SoftmaxParams sp;
    sp.k = c.k;
    sp.temperature = c.temp;
    sp.exclude = dp.exclude;
    sp.allow = dp.allow;
    st = souk::cuda::launch_softmax_topk_cuda(*ctx, q.view(dq.p), it.view(di.p), sp, souk::TopKOut{doi.p, dos.p, doc.p, c.m, c.k},
                                              souk::SoftmaxOut{dprob.p, dlz.p});
  } else {
    st = souk::cuda::launch_topk_cuda(*ctx, q.view(dq.p), it.view(di.p), dp, souk::TopKOut{doi.p, dos.p, doc.p, c.m, c.k});
  }
  std::vector<int32_t> gi = doi.get(), gc = doc.get();
  std::vector<float> gs = dos.get(), gprob = dprob.get(), glz = dlz.get();

  // Admissibility and double scores, straight from the definitions.
  const double tol = 1e-5 * (double)(c.d + 1);
  auto dot = [&](int64_t r, int64_t j) {
    double s = 0;
    for (int64_t t = 0; t < c.d; ++t) s += (double)q.v[(size_t)(r * q.stride + t)] * it.v[(size_t)(j * it.stride + t)];
    return s;
  };
  auto admissible = [&](int64_t r, int64_t j) {
    if (c.cand && std::find(cd_idx.data() + cd_ptr[r], cd_idx.data() + cd_ptr[r + 1], (int32_t)j) == cd_idx.data() + cd_ptr[r + 1])
      return false;
    if (c.allow && !((allow[(size_t)(j >> 3)] >> (j & 7)) & 1)) return false;
    if (c.exclude && std::binary_search(ex_idx.begin() + ex_ptr[r], ex_idx.begin() + ex_ptr[r + 1], (int32_t)j)) return false;
    return true;
  };
  std::string why;
  if (!rst.is_ok() || !st.is_ok()) why = "status: ref '" + rst.message() + "', cuda '" + st.message() + "'";
  for (int64_t r = 0; r < c.m && why.empty(); ++r) {
    if (gc[(size_t)r] != rc[(size_t)r]) {
      why = "row " + std::to_string(r) + ": count " + std::to_string(gc[(size_t)r]) + " vs " + std::to_string(rc[(size_t)r]);
      break;
    }
    if (c.temp > 0) {
      const double ptol = 2e-5 + 4 * tol / c.temp;  // float scores and float log-sum-exp on the device
      if (!close(glz[(size_t)r], rlz[(size_t)r], ptol)) {
        why = "row " + std::to_string(r) + ": logZ " + std::to_string(glz[(size_t)r]) + " vs " + std::to_string(rlz[(size_t)r]);
        break;
      }
      for (int64_t t = 0; t < c.k && why.empty(); ++t) {
        const size_t o = (size_t)(r * c.k + t);
        if (std::fabs(gprob[o] - rprob[o]) > ptol * (1e-3 + rprob[o]))
          why = "row " + std::to_string(r) + " rank " + std::to_string(t) + ": prob " + std::to_string(gprob[o]) + " vs " +
                std::to_string(rprob[o]);
      }
      if (!why.empty()) break;
    }
    std::set<int32_t> seen;
    for (int64_t t = 0; t < c.k; ++t) {
      const size_t o = (size_t)(r * c.k + t);
      const std::string at = "row " + std::to_string(r) + " rank " + std::to_string(t);
      if (ri[o] < 0) {
        if (gi[o] != -1 || !(std::isinf(gs[o]) && gs[o] < 0)) why = at + ": padding expected";
        if (!why.empty()) break;
        continue;
      }
      if (gi[o] < 0 || gi[o] >= c.n) { why = at + ": index " + std::to_string(gi[o]) + " out of range"; break; }
      if (!admissible(r, gi[o])) { why = at + ": index " + std::to_string(gi[o]) + " not admissible"; break; }
      if (!seen.insert(gi[o]).second) { why = at + ": duplicate index " + std::to_string(gi[o]); break; }
      if (c.sample) {  // key order: the same draw unless two keys are within float rounding
        auto key = [&](int32_t j) {
          return dot(r, j) / c.temp - std::log(-std::log(souk::uniform_open01(hsa.seed, (uint64_t)r, (uint64_t)j)));
        };
        if (gi[o] != ri[o] && std::fabs(key(gi[o]) - key(ri[o])) > 1e-5 * (1.0 + std::fabs(key(ri[o]))) + 10 * tol / c.temp) {
          why = at + ": drew " + std::to_string(gi[o]) + " vs " + std::to_string(ri[o]);
          break;
        }
        if (!close(gs[o], dot(r, gi[o]), tol)) { why = at + ": score does not match its index"; break; }
        continue;
      }
      if (!close(gs[o], rsc[o], tol)) { why = at + ": score " + std::to_string(gs[o]) + " vs " + std::to_string(rsc[o]); break; }
      const double own = dot(r, gi[o]);
      if (!close(gs[o], own, tol)) { why = at + ": score does not match its index"; break; }
      const bool sep_prev = t == 0 || !close(rsc[o - 1], rsc[o], 10 * tol);
      const bool sep_next = t + 1 >= c.k || ri[o + 1] < 0 || !close(rsc[o + 1], rsc[o], 10 * tol);
      if (sep_prev && sep_next && gi[o] != ri[o]) { why = at + ": index " + std::to_string(gi[o]) + " vs " + std::to_string(ri[o]); break; }
      if (own == dot(r, ri[o]) && gi[o] != ri[o]) { why = at + ": exact tie not broken by the smaller index"; break; }
    }
  }
  EXPECT(why.empty(), "%s [%s] m %lld n %lld d %lld k %lld chunk %lld: %s", c.sample ? "sample" : c.temp > 0 ? "softmax" : "topk", c.what, (long long)c.m, (long long)c.n,
         (long long)c.d, (long long)c.k, (long long)c.chunk, why.c_str());
}

// Expected error codes, through the same launchers.
Code topk_code(int64_t m, int64_t n, int64_t d, int64_t k, int poison, bool cand, bool bad_cand) {
  std::mt19937 rng(5);
  Mat q = random_mat(rng, m, d, 0), it = random_mat(rng, n, d, 0);
  if (poison == 1) it.v[(size_t)((n - 1) * d + d / 2)] = NAN;
  if (poison == 2) q.v[(size_t)((m - 1) * d)] = INFINITY;
  if (poison == 3) it.v[(size_t)((n / 2) / 2 * 2 * d)] = -INFINITY;  // an even item: a candidate
  std::vector<int32_t> cp(1, 0), ci;
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; j += 2) ci.push_back((int32_t)j);
    if (bad_cand && r == m - 1) ci.push_back((int32_t)n);
    cp.push_back((int32_t)ci.size());
  }
  auto ctx = make_ctx();
  ctx->topk_chunk = 64;
  Dev<float> dq(q.v), di(it.v), ds((size_t)std::max<int64_t>(1, m * std::max<int64_t>(k, 1)));
  Dev<int32_t> dcp(cp), dci(ci), doi((size_t)std::max<int64_t>(1, m * std::max<int64_t>(k, 1))), doc((size_t)m);
  souk::TopKParams p;
  p.k = k;
  if (cand) {
    p.candidates.indptr = dcp.p;
    p.candidates.indices = dci.p;
    p.candidates.rows = m;
    p.candidates.cols = n;
    p.candidates.nnz = (int64_t)ci.size();
  }
  return souk::cuda::launch_topk_cuda(*ctx, q.view(dq.p), it.view(di.p), p, souk::TopKOut{doi.p, ds.p, doc.p, m, k}).code();
}

}  // namespace

SIMT_TEST(cuda_context_and_errors) {
  EXPECT(souk::cuda::status_from_cuda(cudaSuccess, "x").is_ok(), "success maps to Ok");
  EXPECT(souk::cuda::status_from_cuda(cudaErrorMemoryAllocation, "x").code() == Code::DeviceOom, "OOM maps to DeviceOom");
  EXPECT(souk::cuda::status_from_cuda(cudaErrorLaunchFailure, "x").code() == Code::Cuda, "others map to Cuda");
  souk::cuda::CudaContext ctx;
  void* p = nullptr;
  EXPECT(ctx.scratch(16, &p).code() == Code::Internal, "scratch before init is an error, not a crash");
  EXPECT(ctx.init(0).is_ok() && ctx.stream() != nullptr && ctx.sm_count() > 0, "init");
  void* a = nullptr;
  void* b = nullptr;
  EXPECT(ctx.scratch(100, &a).is_ok() && a != nullptr && ctx.scratch(50, &b).is_ok() && b == a, "scratch reused");
  EXPECT(ctx.scratch(1 << 20, &b).is_ok() && b != nullptr, "scratch grows");
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // sanitizers abort on the huge malloc
  EXPECT(ctx.scratch((size_t)1 << 62, &b).code() == Code::DeviceOom && cudaGetLastError() == cudaSuccess,
         "an impossible scratch size is DeviceOom, and not sticky");
#endif
  int flags = -1;
  EXPECT(ctx.reset_status().is_ok() && ctx.read_status(&flags).is_ok() && flags == 0, "status word");
}

SIMT_TEST(cuda_scores_match_ref) {
  unsigned seed = 11;
  scores_case(33, 40, 17, 2, seed++);
  scores_case(3, 45, 3, 0, seed++);
  if (simt_test::kSlow) return;  // the thread engine (TSan): keep it small
  scores_case(1, 1, 1, 0, seed++);
  scores_case(5, 70, 33, 1, seed++);
  scores_case(2, 31, 127, 0, seed++);
  scores_case(0, 5, 3, 0, seed++);
  scores_case(4, 0, 3, 0, seed++);
}

SIMT_TEST(cuda_scores_non_finite) {
  std::mt19937 rng(3);
  for (int which = 0; which < 2; ++which) {
    Mat q = random_mat(rng, 5, 7, 0), it = random_mat(rng, 40, 7, 0);
    (which ? q.v[20] : it.v[250]) = NAN;
    auto ctx = make_ctx();
    Dev<float> dq(q.v), di(it.v), dout(5 * 40);
    souk::Status st = souk::cuda::launch_scores_cuda(*ctx, q.view(dq.p), it.view(di.p), souk::MutMatrixView{dout.p, 5, 40, 40});
    EXPECT(st.code() == Code::NonFinite, "scores: NaN in %s -> NonFinite (got %s)", which ? "q" : "items", st.message().c_str());
  }
  auto ctx = make_ctx();
  souk::Status st = souk::cuda::launch_scores_cuda(*ctx, souk::MatrixView{nullptr, 2, 3, 3}, souk::MatrixView{nullptr, 0, 3, 3},
                                                   souk::MutMatrixView{nullptr, 2, 0, 0});
  EXPECT(st.code() == Code::Shape, "scores: null q with 2 rows -> Shape");
}

SIMT_TEST(cuda_gram_match_ref) {
  unsigned seed = 21;
  gram_case(50, 17, 0, seed++);
  gram_case(0, 5, 0, seed++);  // empty Y: zeros
  if (!simt_test::kSlow) {
    gram_case(3, 33, 2, seed++);
    gram_case(100, 1, 0, seed++);
    gram_case(40, 3, 1, seed++);
    gram_case(70, 127, 0, seed++);
  }
  std::mt19937 rng(4);
  Mat y = random_mat(rng, 9, 5, 0);
  y.v[44] = INFINITY;
  auto ctx = make_ctx();
  Dev<float> dy(y.v), dout(25);
  souk::Status st = souk::cuda::launch_gram_cuda(*ctx, y.view(dy.p), souk::MutMatrixView{dout.p, 5, 5, 5});
  EXPECT(st.code() == Code::NonFinite, "gram: Inf -> NonFinite (got '%s')", st.message().c_str());
}

SIMT_TEST(cuda_topk_dense_match_ref) {
  std::vector<TopKCase> cases = {
      {"basic", 3, 100, 17, 10},
      {"k > n padding", 2, 20, 33, 40, 0, false, 0, 0, 0, 3},
      {"many blocks + merge, ties, exclude, allow", 9, 300, 5, 32, 64, true, 1, 1},
      {"all excluded in row 0", 3, 40, 3, 8, 0, false, 2, 1},
      {"n = 0", 3, 0, 4, 6},
  };
  if (!simt_test::kSlow) cases = {
      {"basic", 3, 100, 17, 10},
      {"m=1 d=1 k=1", 1, 45, 1, 1},
      {"k = n", 2, 33, 3, 33},
      {"k > n padding", 2, 20, 33, 40, 0, false, 0, 0, 0, 3},
      {"many blocks + merge, ties, exclude, allow", 9, 300, 5, 32, 64, true, 1, 1},
      {"K=128 merge d=127", 2, 200, 127, 100, 64, false, 1, 0},
      {"all excluded in row 0", 3, 40, 3, 8, 0, false, 2, 1},
      {"nothing allowed", 2, 40, 3, 5, 0, false, 0, 2},
      {"ties k=1 merge", 4, 130, 3, 1, 32, true, 0, 0},
      {"n = 0", 3, 0, 4, 6},
      {"m = 0", 0, 10, 4, 6},
      {"K=256", 1, 250, 3, 200, 96, true, 1, 0},
  };
  if (!simt_test::kSlow) {
    cases.push_back({"K=512 k=n", 1, 300, 3, 300, 128});
    cases.push_back({"K=1024 k>n", 1, 1050, 1, 1000, 512});
    cases.push_back({"d=33 many query blocks", 17, 70, 33, 7, 0, false, 1, 1, 0, 1});
  }
  unsigned seed = 100;
  for (const TopKCase& c : cases) topk_case(c, seed++);
}

SIMT_TEST(cuda_topk_candidates_match_ref) {
  std::vector<TopKCase> cases = {
      {"candidates with duplicates", 5, 200, 17, 8, 0, false, 0, 0, 1},
      {"candidates + exclude + allow, ties", 4, 120, 3, 20, 0, true, 1, 1, 1},
      {"candidates k=1", 3, 64, 1, 1, 0, true, 0, 0, 1},
      {"candidates K=128", 3, 150, 33, 70, 0, false, 0, 0, 1, 2},
  };
  unsigned seed = 200;
  for (const TopKCase& c : cases) topk_case(c, seed++);
}

SIMT_TEST(cuda_softmax_topk_match_ref) {
  std::vector<TopKCase> cases = {
      {"softmax basic", 3, 100, 17, 10, 0, false, 0, 0, 0, 0, 1.0},
      {"softmax merge, exclude, allow, T=0.3", 9, 300, 5, 40, 64, true, 1, 1, 0, 1, 0.3},
      {"softmax all excluded row 0, T=2", 3, 40, 3, 8, 0, false, 2, 0, 0, 0, 2.0},
      {"softmax nothing allowed", 2, 40, 3, 5, 32, false, 0, 2, 0, 0, 1.0},
      {"softmax n = 0", 2, 0, 3, 4, 0, false, 0, 0, 0, 0, 1.0},
  };
  if (!simt_test::kSlow) {
    cases.push_back({"softmax k > n d=127", 2, 50, 127, 70, 32, false, 1, 0, 0, 0, 5.0});
    cases.push_back({"softmax many chunks k=1", 4, 260, 33, 1, 32, false, 0, 1, 0, 2, 0.7});
  }
  unsigned seed = 300;
  for (const TopKCase& c : cases) topk_case(c, seed++);
  // Errors: temperature out of its domain, NaN in items.
  std::mt19937 rng(9);
  Mat q = random_mat(rng, 2, 4, 0), it = random_mat(rng, 30, 4, 0);
  auto ctx = make_ctx();
  Dev<float> dq(q.v), di(it.v), ds(2 * 3), dp(2 * 3), dl(2);
  Dev<int32_t> doi(2 * 3), doc(2);
  souk::SoftmaxParams sp;
  sp.k = 3;
  sp.temperature = 0.0;
  souk::Status st = souk::cuda::launch_softmax_topk_cuda(*ctx, q.view(dq.p), it.view(di.p), sp, souk::TopKOut{doi.p, ds.p, doc.p, 2, 3},
                                                         souk::SoftmaxOut{dp.p, dl.p});
  EXPECT(st.code() == Code::Argument, "softmax: temperature 0 -> Argument (got '%s')", st.message().c_str());
  it.v[77] = NAN;
  Dev<float> di2(it.v);
  sp.temperature = 1.0;
  st = souk::cuda::launch_softmax_topk_cuda(*ctx, q.view(dq.p), it.view(di2.p), sp, souk::TopKOut{doi.p, ds.p, doc.p, 2, 3},
                                            souk::SoftmaxOut{dp.p, dl.p});
  EXPECT(st.code() == Code::NonFinite, "softmax: NaN -> NonFinite (got '%s')", st.message().c_str());
}

SIMT_TEST(cuda_sample_topk_match_ref) {
  std::vector<TopKCase> cases = {
      {"sample basic", 3, 100, 17, 10, 0, false, 0, 0, 0, 0, 1.0, true},
      {"sample merge, exclude, allow, T=0.5", 9, 300, 5, 40, 64, true, 1, 1, 0, 1, 0.5, true},
      {"sample k > n, row 0 all excluded", 3, 40, 3, 50, 0, false, 2, 0, 0, 0, 2.0, true},
      {"sample n = 0", 2, 0, 3, 4, 0, false, 0, 0, 0, 0, 1.0, true},
  };
  if (!simt_test::kSlow) cases.push_back({"sample d=127 k=1 chunks", 4, 200, 127, 1, 32, false, 0, 1, 0, 2, 3.0, true});
  unsigned seed = 400;
  for (const TopKCase& c : cases) topk_case(c, seed++);
}

// Random shapes and options (deterministic): every bucket up to 256, chunking, strides, filters.
SIMT_TEST(cuda_topk_random_sweep) {
  std::mt19937 rng(777);
  const int64_t ds[] = {1, 3, 17, 33, 127};
  const int iters = simt_test::kSlow ? 4 : 40;
  for (int it = 0; it < iters; ++it) {
    TopKCase c{"random", 0, 0, 0, 0};
    c.m = 1 + (int64_t)(rng() % 12);
    c.n = (int64_t)(rng() % 261);
    c.d = ds[rng() % 5];
    const int64_t ks[] = {1, 2, 31, 32, 33, 64, 65, 128, 129, 256, c.n, c.n + 3};
    c.k = std::max<int64_t>(1, ks[rng() % 12]);
    const int64_t chunks[] = {0, 32, 64, 96};
    c.chunk = chunks[rng() % 4];
    c.ties = rng() % 2;
    c.exclude = (int)(rng() % 3);
    c.allow = (int)(rng() % 2);
    c.cand = (int)(rng() % 3 == 0);
    c.pad = (int64_t)(rng() % 3);
    if (!c.cand && rng() % 3 == 0) c.temp = 0.5 + (double)(rng() % 4);
    if (c.temp > 0 && rng() % 2 == 0) c.sample = true;
    topk_case(c, 1000u + (unsigned)it);
  }
}

SIMT_TEST(cuda_topk_errors) {
  EXPECT(topk_code(3, 50, 5, 4, 1, false, false) == Code::NonFinite, "NaN in items -> NonFinite");
  EXPECT(topk_code(9, 50, 5, 4, 2, false, false) == Code::NonFinite, "Inf in q -> NonFinite");
  EXPECT(topk_code(3, 50, 5, 4, 3, true, false) == Code::NonFinite, "-Inf in a candidate item -> NonFinite");
  EXPECT(topk_code(3, 50, 5, 4, 0, true, true) == Code::Csr, "candidate index n -> Csr");
  EXPECT(topk_code(2, 10, 3, 0, 0, false, false) == Code::KRange, "k = 0 -> KRange");
  EXPECT(topk_code(2, 10, 3, souk::cuda::kCudaMaxK + 1, 0, false, false) == Code::KRange, "k = maxK + 1 -> KRange");
  EXPECT(topk_code(2, 10, 3, 4, 0, false, false) == Code::Ok, "a clean run is Ok");
}

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : "";
  if (std::strcmp(filter, "--list") == 0) {
    for (const auto& t : simt_test::registry()) std::printf("%s\n", t.name);
    return 0;
  }
  for (const auto& t : simt_test::registry()) {
    if (*filter && !std::strstr(t.name, filter)) continue;
    simt_test::counters().current = t.name;
    const int before = simt_test::counters().failed;
    const auto t0 = std::chrono::steady_clock::now();
    t.fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s %s (%.2f s)\n", simt_test::counters().failed == before ? "ok  " : "FAIL", t.name, s);
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", simt_test::counters().passed, simt_test::counters().failed);
  return simt_test::counters().failed ? 1 : 0;
}
