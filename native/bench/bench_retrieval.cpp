// bench_retrieval — Kernels I throughput on this machine, validated first, against measured peak.
//
// 1. Peak FP32 FMA throughput (flop/s) per ISA, on 1 thread and on all threads: 12 independent
//    accumulator chains of vfmadd (zmm for AVX-512, ymm for AVX2) in a tight loop.
// 2. For each op at its target size (topk: m=1000, n=200000, d=64/128, k=10): check a sample of
//    queries against the *_ref oracle, then time on 1 and on all threads, best of R runs (the
//    machine is shared, so the best run is the least disturbed one), and print time, GFLOP/s
//    (2 m n d flops; gram n d (d+1)) and the fraction of the measured peak.
// 3. Peak RSS (getrusage) after topk at m=10000, n=1000000, d=64 (opt-in: --rss), to show extra
//    memory is O(threads * tile + m * k), not O(m * n).
// Usage: bench_retrieval [--quick] [--rss | --rss-only] [--reps R]
//   --rss-only runs just the RSS problem in a fresh process (nothing else allocated before it).
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "souk/isa.h"
#include "souk/retrieval.h"
#include "souk/threads.h"

#if SOUK_X86
#include <immintrin.h>
// GCC 12 reports false "may be used uninitialized" inside its own AVX-512 reduce intrinsics.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

using namespace souk;
using Clock = std::chrono::steady_clock;

static double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

#if SOUK_X86
__attribute__((target("avx512f,fma"))) static double fma_loop_512(int64_t iters) {
  __m512 a[12];
  const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t t = 0; t < iters; ++t) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], x, y);
  }
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s) + static_cast<double>(iters) * 12 * 16 * 2 * 0;  // keep result live
}
__attribute__((target("avx2,fma"))) static double fma_loop_256(int64_t iters) {
  __m256 a[12];
  const __m256 x = _mm256_set1_ps(1.0000001f), y = _mm256_set1_ps(0.9999999f);
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t t = 0; t < iters; ++t) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], x, y);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
  float o[8];
  _mm256_storeu_ps(o, s);
  return o[0];
}
#endif

volatile double g_sink;
static void sample_peak();

// Peak flop/s of `threads` threads running the FMA loop (best of reps).
static double peak_flops(int threads, bool avx512, int reps, int64_t iters) {
#if SOUK_X86
  const double flops_per_thread = static_cast<double>(iters) * 12 * (avx512 ? 16 : 8) * 2;
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    std::vector<std::thread> ts;
    const double t0 = now_s();
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] { g_sink = avx512 ? fma_loop_512(iters) : fma_loop_256(iters); });
    for (auto& t : ts) t.join();
    best = std::min(best, now_s() - t0);
  }
  return flops_per_thread * threads / best;
#else
  return 0;
#endif
}

static std::vector<float> rand_vec(size_t n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

static double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
static double g_last_cpu = 0;  // best process CPU seconds of the last best_time() call

template <class Fn>
static double best_time(int reps, Fn fn) {
  sample_peak();
  double best = 1e30;
  g_last_cpu = 1e30;
  for (int r = 0; r < reps; ++r) {
    const double c0 = cpu_s();
    const double t0 = now_s();
    Status st = fn();
    const double t = now_s() - t0;
    g_last_cpu = std::min(g_last_cpu, cpu_s() - c0);
    if (!st.is_ok()) {
      std::printf("ERROR %s: %s\n", code_name(st.code()), st.message().c_str());
      std::exit(1);
    }
    best = std::min(best, t);
  }
  return best;
}

// Rows are collected and printed at the end, against the highest peak seen in the whole run:
// the peak is re-sampled (short runs) before every timed op, so a busy moment at start-up does
// not understate it.
struct Row {
  std::string op, size;
  int threads;
  double secs, flops, cpu;
};
static std::vector<Row> g_rows;
static double g_peak1 = 0, g_peakN = 0;
static int g_all = 1;
static bool g_avx512 = false, g_scalar = false;
static double peak_flops(int threads, bool avx512, int reps, int64_t iters);
static void sample_peak() {
  if (g_scalar) return;
  g_peak1 = std::max(g_peak1, peak_flops(1, g_avx512, 3, 2000000));
  g_peakN = std::max(g_peakN, peak_flops(g_all, g_avx512, 3, 2000000));
}
static void row(const char* op, const std::string& size, int threads, double secs, double flops, double) {
  g_rows.push_back({op, size, threads, secs, flops, g_last_cpu});
  std::printf("  %-8s %-28s th=%d %.4f s\n", op, size.c_str(), threads, secs);
  std::fflush(stdout);
}

// Validates `sample` queries of a top-K result against topk_ref (tie-aware: scores within tol,
// indices where the reference separates them).
static bool validate_topk(const MatrixView& q, const MatrixView& it, int64_t k, const std::vector<int32_t>& idx,
                          const std::vector<float>& sc, int sample) {
  bool ok = true;
  for (int s = 0; s < sample; ++s) {
    const int64_t r = (q.rows - 1) * s / std::max(sample - 1, 1);
    std::vector<int32_t> ri(k), rc(1);
    std::vector<float> rs(k);
    TopKParams p;
    p.k = k;
    MatrixView q1{q.row(r), 1, q.cols, q.stride};
    if (!topk_ref(q1, it, p, TopKOut{ri.data(), rs.data(), rc.data(), 1, k}).is_ok()) return false;
    for (int64_t t = 0; t < k; ++t) {
      const double tol = 1e-4 * (1 + std::fabs(rs[t]));
      if (std::fabs(rs[t] - sc[r * k + t]) > tol) ok = false;
      const bool sep = (t == 0 || rs[t - 1] - rs[t] > tol) && (t + 1 >= k || rs[t] - rs[t + 1] > tol);
      if (sep && t + 1 < k && ri[t] != idx[r * k + t]) ok = false;
    }
  }
  return ok;
}

int main(int argc, char** argv) {
  bool quick = false, rss = false, rss_only = false;
  int reps = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--rss")) rss = true;
    if (!std::strcmp(argv[i], "--rss-only")) rss = rss_only = true;
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
  }
  ThreadPool pool(-1);
  const int all = pool.max_threads();
  const Isa isa = active_isa();
  std::printf("bench_retrieval: isa=%s threads=%d (hardware %d), best of %d runs each (shared machine)\n",
              isa_name(isa), all, hardware_threads(), reps);
  const bool avx512 = isa == Isa::Avx512;
  g_all = all;
  g_avx512 = avx512;
  g_scalar = isa == Isa::Scalar;
  double peak1 = 1e9, peakN = 1e9;
  if (!g_scalar) {
    g_peak1 = peak_flops(1, avx512, 5, 20000000);
    g_peakN = peak_flops(all, avx512, 5, 20000000);
  }
  const int64_t m = quick ? 200 : 1000, n = quick ? 50000 : 200000, k = 10;
  for (int64_t d : {64, 128}) {
    if (rss_only) break;
    auto Q = rand_vec(m * d, 1), I = rand_vec(n * d, 2);
    MatrixView q{Q.data(), m, d, d}, it{I.data(), n, d, d};
    std::vector<int32_t> idx(m * k), cnt(m);
    std::vector<float> sc(m * k), probs(m * k), logz(m);
    TopKOut out{idx.data(), sc.data(), cnt.data(), m, k};
    SoftmaxOut sm{probs.data(), logz.data()};
    const double flops = 2.0 * m * n * d;
    const std::string size = "m=" + std::to_string(m) + " n=" + std::to_string(n) + " d=" + std::to_string(d);
    TopKParams p;
    p.k = k;
    {
      ExecContext ctx{&pool, all};
      if (!topk_cpu(ctx, q, it, p, out).is_ok() || !validate_topk(q, it, k, idx, sc, 8)) {
        std::printf("VALIDATION FAILED: topk d=%lld\n", static_cast<long long>(d));
        return 1;
      }
    }
    for (int th : {1, all}) {
      ExecContext ctx{&pool, th};
      row("topk", size + " k=10", th, best_time(reps, [&] { return topk_cpu(ctx, q, it, p, out); }), flops,
          th == 1 ? peak1 : peakN);
    }
    SoftmaxParams sp;
    sp.k = k;
    {  // validate: a few rows against softmax_topk_ref (logZ, top score, its probability)
      ExecContext ctx{&pool, all};
      if (!softmax_topk_cpu(ctx, q, it, sp, out, sm).is_ok()) return 1;
      for (int64_t r : {int64_t(0), m / 2, m - 1}) {
        std::vector<int32_t> ri(k), rc(1);
        std::vector<float> rs(k), rp(k), rl(1);
        softmax_topk_ref(MatrixView{q.row(r), 1, d, d}, it, sp, TopKOut{ri.data(), rs.data(), rc.data(), 1, k},
                         SoftmaxOut{rp.data(), rl.data()});
        if (std::fabs(rl[0] - logz[r]) > 1e-4 * (1 + std::fabs(rl[0])) || std::fabs(rp[0] - probs[r * k]) > 1e-4 * rp[0] + 1e-7) {
          std::printf("VALIDATION FAILED: softmax row %lld logZ %g vs %g\n", (long long)r, logz[r], rl[0]);
          return 1;
        }
      }
    }
    for (int th : {1, all}) {
      ExecContext ctx{&pool, th};
      row("softmax", size + " k=10", th, best_time(reps, [&] { return softmax_topk_cpu(ctx, q, it, sp, out, sm); }),
          flops, th == 1 ? peak1 : peakN);
    }
    SampleParams pp;
    pp.k = k;
    pp.seed = 7;
    {  // validate: row 0 (the hash uses the row index) against sample_topk_ref
      ExecContext ctx{&pool, all};
      if (!sample_topk_cpu(ctx, q, it, pp, out, sm).is_ok()) return 1;
      std::vector<int32_t> ri(k), rc(1);
      std::vector<float> rs(k), rp(k), rl(1);
      sample_topk_ref(MatrixView{q.row(0), 1, d, d}, it, pp, TopKOut{ri.data(), rs.data(), rc.data(), 1, k},
                      SoftmaxOut{rp.data(), rl.data()});
      int same = 0;
      for (int64_t t = 0; t < k; ++t) same += ri[t] == idx[t];
      if (same < k - 1) {
        std::printf("VALIDATION FAILED: sample row 0 matches %d of %lld\n", same, (long long)k);
        return 1;
      }
    }
    for (int th : {1, all}) {
      ExecContext ctx{&pool, th};
      row("sample", size + " k=10", th, best_time(std::max(1, reps / 2), [&] { return sample_topk_cpu(ctx, q, it, pp, out, sm); }),
          flops, th == 1 ? peak1 : peakN);
    }
    {
      const int64_t ns = quick ? 20000 : 50000;  // m x ns output: 200 MB at full size
      std::vector<float> S(static_cast<size_t>(m * ns));
      MatrixView its{I.data(), ns, d, d};
      {  // validate a few entries against double dot products
        ExecContext ctx{&pool, all};
        if (!scores_cpu(ctx, q, its, MutMatrixView{S.data(), m, ns, ns}).is_ok()) return 1;
        for (int64_t r : {int64_t(0), m - 1})
          for (int64_t j : {int64_t(0), ns / 3, ns - 1}) {
            double e = 0;
            for (int64_t t = 0; t < d; ++t) e += double(Q[r * d + t]) * I[j * d + t];
            if (std::fabs(e - S[r * ns + j]) > 1e-4 * (1 + std::fabs(e))) {
              std::printf("VALIDATION FAILED: scores\n");
              return 1;
            }
          }
      }
      for (int th : {1, all}) {
        ExecContext ctx{&pool, th};
        row("scores", "m=" + std::to_string(m) + " n=" + std::to_string(ns) + " d=" + std::to_string(d), th,
            best_time(reps, [&] { return scores_cpu(ctx, q, its, MutMatrixView{S.data(), m, ns, ns}); }),
            2.0 * m * ns * d, th == 1 ? peak1 : peakN);
      }
    }
    {
      std::vector<float> G(d * d), Gr(d * d);
      MatrixView y{I.data(), n, d, d};
      ExecContext ctx{&pool, all};
      gram_cpu(ctx, y, MutMatrixView{G.data(), d, d, d});
      gram_ref(MatrixView{I.data(), 20000, d, d}, MutMatrixView{Gr.data(), d, d, d});
      std::vector<float> G2(d * d);
      gram_cpu(ctx, MatrixView{I.data(), 20000, d, d}, MutMatrixView{G2.data(), d, d, d});
      double maxrel = 0;
      for (int64_t i = 0; i < d * d; ++i) maxrel = std::max<double>(maxrel, std::fabs(G2[i] - Gr[i]) / (1 + std::fabs(Gr[i])));
      if (maxrel > 1e-4) {
        std::printf("VALIDATION FAILED: gram rel err %g\n", maxrel);
        return 1;
      }
      for (int th : {1, all}) {
        ExecContext c2{&pool, th};
        row("gram", "n=" + std::to_string(n) + " d=" + std::to_string(d), th,
            best_time(reps, [&] { return gram_cpu(c2, y, MutMatrixView{G.data(), d, d, d}); }),
            static_cast<double>(n) * d * (d + 1), th == 1 ? peak1 : peakN);
      }
    }
  }
  if (rss) {
    const int64_t M = 10000, N = 1000000, D = 64;
    auto Q = rand_vec(M * D, 3), I = rand_vec(N * D, 4);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const double before = ru.ru_maxrss / 1024.0;
    std::vector<int32_t> idx(M * k), cnt(M);
    std::vector<float> sc(M * k);
    TopKParams p;
    p.k = k;
    ExecContext ctx{&pool, all};
    const double t = best_time(1, [&] {
      return topk_cpu(ctx, MatrixView{Q.data(), M, D, D}, MatrixView{I.data(), N, D, D}, p,
                      TopKOut{idx.data(), sc.data(), cnt.data(), M, k});
    });
    getrusage(RUSAGE_SELF, &ru);
    const double inputs = (M * D + N * D) * 4.0 / (1 << 20);
    std::printf("\nRSS: topk m=%lld n=%lld d=%lld k=10 on %d threads: %.2f s, %.1f GFLOP/s; peak RSS %.1f MiB "
                "(before the call %.1f MiB; inputs %.1f MiB; an m x n score matrix would be %.0f MiB)\n",
                (long long)M, (long long)N, (long long)D, all, t, 2.0 * M * N * D / t / 1e9, ru.ru_maxrss / 1024.0, before,
                inputs, M * 1.0 * N * 4 / (1 << 20));
  }
  sample_peak();
  if (!g_scalar) {
    peak1 = g_peak1;
    peakN = g_peakN;
    std::printf("\npeak FP32 FMA (%s FMA loop, 12 chains; highest seen in this run): 1 thread %.1f GFLOP/s, %d threads %.1f GFLOP/s\n",
                avx512 ? "zmm" : "ymm", peak1 / 1e9, all, peakN / 1e9);
  } else {
    std::printf("\nscalar build: fractions are relative to 1 GFLOP/s\n");
  }
  if (!g_rows.empty()) {
    std::printf("\n%% peak: GFLOP/s (wall) over the measured peak for that thread count. cpu-eff: flops over the\n"
                "process CPU seconds, over the 1-thread peak (per-core efficiency; robust to time-sharing).\n");
    std::printf("\n| op       | size                         | th |  time (s) |  GFLOP/s | %% peak | cpu-eff |\n");
    std::printf("|----------|------------------------------|----|-----------|----------|--------|---------|\n");
  }
  for (const Row& r : g_rows) {
    const double gf = r.flops / r.secs / 1e9;
    std::printf("| %-8s | %-28s | %2d | %9.4f | %8.1f | %5.1f%% |  %5.1f%% |\n", r.op.c_str(), r.size.c_str(), r.threads,
                r.secs, gf, 100.0 * gf * 1e9 / (r.threads == 1 ? peak1 : peakN), 100.0 * r.flops / r.cpu / peak1);
  }
  return 0;
}
