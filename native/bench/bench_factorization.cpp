// bench_factorization — times the shipped factorisation kernels (souk/factorization.h) on a
// seeded synthetic power-law implicit dataset: 100,000 users x 50,000 items x 5,000,000
// interactions (top 1% of items ~29% of interactions, user degrees 7 .. ~10,000 with median 33,
// event counts with mean ~1.07, confidence 1 + alpha * count).
//   * validates first: cpu vs reference on a slice (ALS CG + Cholesky, loss, SGD, BPR), and the
//     ALS loss curve of cpu vs reference on a 10x smaller dataset of the same shape;
//   * then times one full ALS iteration (gram Y, user half-step, gram X, item half-step; the CSR
//     transpose is done once and reported separately) with CG (3 steps) and Cholesky at 64 and
//     128 factors, one BPR epoch (5,000,000 samples, verified negatives) and one SGD epoch at 64
//     factors, each on 1 and 2 threads; best of several repetitions (the machine is shared, so
//     timings are noisy); GFLOP/s against a measured peak FP32 FMA throughput, and the loss after
//     every iteration next to its time.
// Usage: bench_factorization [--quick] [--iters N] [--no-ref] [--only als,cg,cholesky,bpr,sgd]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "souk/factorization.h"
#include "souk/isa.h"
#include "souk/retrieval.h"
#include "souk/sparse.h"
#include "souk/threads.h"

#if defined(SOUK_X86)
#include <immintrin.h>
#endif

using namespace souk;
using Clock = std::chrono::steady_clock;

namespace {

double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }
// Process CPU time (all threads): cpu / wall below the thread count means the cores were shared.
double cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void die_if(const Status& st, const char* what) {
  if (!st.is_ok()) {
    std::fprintf(stderr, "FAILED %s: %s (%s)\n", what, st.message().c_str(), code_name(st.code()));
    std::exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Peak FP32 FMA throughput: 12 independent accumulator chains per thread.
#if defined(SOUK_X86)
__attribute__((target("avx512f,fma"))) double fma_loop_avx512(int64_t iters) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) a[i] = _mm512_fmadd_ps(a[i], m, c);
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, a[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}
__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) a[i] = _mm256_fmadd_ps(a[i], m, c);
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, a[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}
#endif

// GFLOP/s of the widest FMA the kernels use, on `threads` threads at once (best of 3).
double peak_gflops(int threads) {
  const int64_t iters = 20000000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<std::thread> ts;
    std::vector<double> sink(threads);
    const double t0 = now_s();
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
#if defined(SOUK_X86)
        if (active_isa() == Isa::Avx512) sink[t] = fma_loop_avx512(iters);
        else if (active_isa() == Isa::Avx2) sink[t] = fma_loop_avx2(iters);
#endif
      });
    for (auto& t : ts) t.join();
    const double dt = now_s() - t0;
    const int lanes = active_isa() == Isa::Avx512 ? 16 : active_isa() == Isa::Avx2 ? 8 : 1;
    best = std::max(best, 2.0 * lanes * 12 * iters * threads / dt / 1e9);
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
struct Dataset {
  int64_t users = 0, items = 0;
  std::vector<int32_t> indptr, indices;
  std::vector<float> counts;  // event counts
  CsrView view(const std::vector<float>& values) const {
    CsrView v;
    v.indptr = indptr.data();
    v.indices = indices.data();
    v.data = values.data();
    v.rows = users;
    v.cols = items;
    v.nnz = static_cast<int64_t>(indices.size());
    return v;
  }
};

// Seeded synthetic power-law data (see the file comment).
Dataset make_dataset(int64_t users, int64_t items, int64_t nnz, uint64_t seed) {
  Dataset ds;
  ds.users = users;
  ds.items = items;
  std::mt19937_64 g(seed);
  // User degrees from a quantile function: log-linear from 7 to 33 over the lower half, then
  // ln 33 + (ln dmax - ln 33) * t^gamma over the upper half; gamma is found by bisection so the
  // degrees sum to nnz (mean 50 for the full size).
  const double dmin = 7, dmed = 33, dmax = std::min<double>(10000, items / 2.0);
  auto degree = [&](double p, double gamma) {
    if (p <= 0.5) return std::exp(std::log(dmin) + (std::log(dmed) - std::log(dmin)) * (p / 0.5));
    return std::exp(std::log(dmed) + (std::log(dmax) - std::log(dmed)) * std::pow((p - 0.5) / 0.5, gamma));
  };
  auto total = [&](double gamma) {
    double s = 0;
    for (int64_t r = 0; r < users; ++r) s += std::floor(degree((r + 0.5) / users, gamma) + 0.5);
    return s;
  };
  double lo = 1, hi = 200;
  for (int it = 0; it < 60; ++it) {
    const double mid = std::sqrt(lo * hi);
    if (total(mid) > nnz) lo = mid; else hi = mid;
  }
  std::vector<int64_t> deg(users);
  int64_t sum = 0;
  for (int64_t r = 0; r < users; ++r) {
    deg[r] = static_cast<int64_t>(std::floor(degree((r + 0.5) / users, hi) + 0.5));
    sum += deg[r];
  }
  for (int64_t r = users - 1; sum < nnz; r = (r == 0 ? users - 1 : r - 1)) { deg[r]++; sum++; }
  for (int64_t r = users / 2; sum > nnz; r = (r + 1) % users) if (deg[r] > dmin) { deg[r]--; sum--; }
  std::shuffle(deg.begin(), deg.end(), g);
  // Item popularity ~ 1 / (rank + 10)^s over a seeded random ranking. A user's items are drawn
  // from it without repetition (redraw duplicates), which flattens the head; s is calibrated by
  // secant steps (each a full draw with a side generator) so that the top 1% of items hold ~29% of the
  // interactions after deduplication.
  std::vector<int32_t> rank_to_item(items);
  std::iota(rank_to_item.begin(), rank_to_item.end(), 0);
  std::shuffle(rank_to_item.begin(), rank_to_item.end(), g);
  std::vector<double> cdf(items);
  std::vector<int32_t> row;
  auto fill_cdf = [&](double s) {
    double acc = 0;
    for (int64_t r = 0; r < items; ++r) cdf[r] = (acc += std::pow(r + 10.0, -s));
    for (auto& v : cdf) v /= acc;
  };
  auto draw_row = [&](std::mt19937_64& rg, int64_t n) {
    std::uniform_real_distribution<double> u01(0, 1);
    row.clear();
    while (static_cast<int64_t>(row.size()) < n) {
      while (static_cast<int64_t>(row.size()) < n) {
        const int64_t r = std::lower_bound(cdf.begin(), cdf.end(), u01(rg)) - cdf.begin();
        row.push_back(static_cast<int32_t>(std::min<int64_t>(r, items - 1)));  // ranks
      }
      std::sort(row.begin(), row.end());
      row.erase(std::unique(row.begin(), row.end()), row.end());
    }
  };
  auto head_share = [&](double s) {
    fill_cdf(s);
    std::mt19937_64 rg(seed ^ 0x5EEDull);
    int64_t head = 0, all = 0;
    const int64_t sample = users;
    for (int64_t u = 0; u < sample; ++u) {
      draw_row(rg, deg[u]);
      for (int32_t r : row) head += r < items / 100;
      all += static_cast<int64_t>(row.size());
    }
    return static_cast<double>(head) / all;
  };
  double s0 = 0.8, s1 = 1.0, f0 = head_share(s0) - 0.29, f1 = head_share(s1) - 0.29;
  for (int it = 0; it < 8 && std::fabs(f1) > 0.003 && f1 != f0; ++it) {
    const double s2 = std::min(3.0, std::max(0.05, s1 - f1 * (s1 - s0) / (f1 - f0)));
    s0 = s1;
    f0 = f1;
    s1 = s2;
    f1 = head_share(s1) - 0.29;
  }
  fill_cdf(s1);
  std::uniform_real_distribution<double> u01(0, 1);
  ds.indptr.assign(users + 1, 0);
  ds.indices.reserve(nnz);
  ds.counts.reserve(nnz);
  for (int64_t u = 0; u < users; ++u) {
    draw_row(g, deg[u]);
    for (int32_t& r : row) r = rank_to_item[r];
    std::sort(row.begin(), row.end());
    for (int32_t i : row) {
      ds.indices.push_back(i);
      float c = 1;
      while (u01(g) < 0.0654) c += 1;  // mean ~1.07
      ds.counts.push_back(c);
    }
    ds.indptr[u + 1] = static_cast<int32_t>(ds.indices.size());
  }
  return ds;
}

void describe(const Dataset& ds) {
  const int64_t nnz = ds.indices.size();
  std::vector<int64_t> deg(ds.users), pop(ds.items, 0);
  for (int64_t u = 0; u < ds.users; ++u) deg[u] = ds.indptr[u + 1] - ds.indptr[u];
  for (int32_t i : ds.indices) pop[i]++;
  std::sort(deg.begin(), deg.end());
  std::sort(pop.begin(), pop.end(), std::greater<int64_t>());
  const int64_t top = std::accumulate(pop.begin(), pop.begin() + ds.items / 100, int64_t{0});
  const double mean_count = std::accumulate(ds.counts.begin(), ds.counts.end(), 0.0) / nnz;
  std::printf("dataset: %lld users x %lld items, %lld interactions; user degree min %lld median %lld max %lld; "
              "top 1%% items hold %.1f%%; mean count %.3f\n",
              (long long)ds.users, (long long)ds.items, (long long)nnz, (long long)deg.front(),
              (long long)deg[deg.size() / 2], (long long)deg.back(), 100.0 * top / nnz, mean_count);
}

std::vector<float> init_factors(int64_t rows, int64_t d, uint64_t seed, float scale) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> m(rows * d);
  for (auto& v : m) v = u(g) * scale;
  return m;
}

// A CSR of the first `rows` rows (all columns).
struct SubCsr {
  std::vector<int32_t> indptr, indices;
  std::vector<float> data;
  CsrView view(int64_t cols) const {
    return CsrView{indptr.data(), indices.data(), data.data(), (int64_t)indptr.size() - 1, cols, (int64_t)indices.size()};
  }
};
SubCsr slice_rows(const CsrView& c, int64_t rows) {
  SubCsr s;
  s.indptr.assign(c.indptr, c.indptr + rows + 1);
  s.indices.assign(c.indices, c.indices + c.indptr[rows]);
  s.data.assign(c.data, c.data + c.indptr[rows]);
  return s;
}

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num = std::max(num, std::fabs(static_cast<double>(a[i]) - b[i]));
    den = std::max(den, std::fabs(static_cast<double>(b[i])));
  }
  return num / std::max(den, 1e-30);
}

// ---------------------------------------------------------------------------------------------
struct AlsRun {
  std::vector<double> times, cpu, losses;
  double transpose_s = 0;
};

double als_flops(const CsrView& c, int64_t d, const AlsParams& p, int64_t rows_nonempty, int64_t n_other) {
  const double nnz = static_cast<double>(c.nnz), dd = static_cast<double>(d);
  const double gram = static_cast<double>(n_other) * dd * (dd + 1);
  if (p.solver == AlsSolver::CG)
    return gram + (p.cg_steps + 1) * (4 * dd * nnz + 2 * dd * dd * rows_nonempty) + 10.0 * dd * p.cg_steps * rows_nonempty;
  return gram + nnz * (dd * (dd + 1) + 2 * dd) + rows_nonempty * (dd * dd * dd / 3 + 2 * dd * dd);
}

int64_t nonempty(const CsrView& c) {
  int64_t n = 0;
  for (int64_t r = 0; r < c.rows; ++r) n += c.indptr[r + 1] > c.indptr[r];
  return n;
}

// ALS iterations on (users x items) confidences; each iteration = gram Y, user step, gram X, item
// step. Loss (implicit's definition, cpu) after each iteration, outside the timing.
AlsRun run_als(const ExecContext& ctx, const CsrView& cui, int64_t d, const AlsParams& p, int iters, bool ref,
               double* gflop_per_iter) {
  AlsRun run;
  const int64_t users = cui.rows, items = cui.cols;
  std::vector<float> x = init_factors(users, d, 1, 0.01f), y = init_factors(items, d, 2, 0.01f);
  std::vector<float> g(d * d);
  CsrMatrix ciu;
  double t0 = now_s();
  die_if(transpose_csr(ctx, cui, &ciu), "transpose");
  run.transpose_s = now_s() - t0;
  const CsrView civ = ciu.view();
  *gflop_per_iter = (als_flops(cui, d, p, nonempty(cui), items) + als_flops(civ, d, p, nonempty(civ), users)) / 1e9;
  MutMatrixView xv{x.data(), users, d, d}, yv{y.data(), items, d, d}, gv{g.data(), d, d, d};
  for (int it = 0; it < iters; ++it) {
    t0 = now_s();
    const double c0 = cpu_s();
    if (ref) {
      die_if(gram_ref(yv.view(), gv), "gram");
      die_if(als_solve_ref(cui, yv.view(), gv.view(), xv, p), "als users");
      die_if(gram_ref(xv.view(), gv), "gram");
      die_if(als_solve_ref(civ, xv.view(), gv.view(), yv, p), "als items");
    } else {
      die_if(gram_cpu(ctx, yv.view(), gv), "gram");
      die_if(als_solve_cpu(ctx, cui, yv.view(), gv.view(), xv, p), "als users");
      die_if(gram_cpu(ctx, xv.view(), gv), "gram");
      die_if(als_solve_cpu(ctx, civ, xv.view(), gv.view(), yv, p), "als items");
    }
    run.times.push_back(now_s() - t0);
    run.cpu.push_back(cpu_s() - c0);
    AlsLossOut lo;
    die_if(als_loss_cpu(ctx, cui, xv.view(), yv.view(), AlsLossParams{p.regularization}, &lo), "loss");
    run.losses.push_back(lo.loss);
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = false, no_ref = false;
  std::string only;  // comma list of als,cg,cholesky,bpr,sgd (default: all)
  int iters = 3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--no-ref")) no_ref = true;
    else if (!std::strcmp(argv[i], "--iters") && i + 1 < argc) iters = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
  }
  auto want = [&](const char* op) { return only.empty() || only.find(op) != std::string::npos; };
  const int64_t users = quick ? 10000 : 100000, items = quick ? 5000 : 50000, nnz = quick ? 500000 : 5000000;
  const double alpha = 10.0, lambda = 0.01;
  ThreadPool pool(1);  // 2 threads at most (this machine has 2 cores)
  std::printf("souk bench_factorization: isa %s, hardware threads %d, alpha %.1f, lambda %.3g\n",
              isa_name(active_isa()), hardware_threads(), alpha, lambda);
  // The peak is measured now and again before timing (best of both): on a shared machine a single
  // measurement can catch the other tenants' load and understate it.
  double peak1 = peak_gflops(1), peak2 = peak_gflops(2);
  std::printf("measured peak FP32 FMA: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n", peak1, peak2);

  double t0 = now_s();
  Dataset ds = make_dataset(users, items, nnz, 20261124);
  std::printf("generated in %.2f s\n", now_s() - t0);
  describe(ds);
  std::vector<float> conf(ds.counts.size());
  for (size_t k = 0; k < conf.size(); ++k) conf[k] = static_cast<float>(1.0 + alpha * ds.counts[k]);
  const CsrView cui = ds.view(conf);
  ExecContext ctx1{&pool, 1}, ctx2{&pool, 2};

  // ---- validate first ----
  {
    const int64_t d = 64;
    SubCsr sub = slice_rows(cui, 2000);
    std::vector<float> y = init_factors(items, d, 5, 0.1f), g(d * d);
    die_if(gram_cpu(ctx2, MatrixView{y.data(), items, d, d}, MutMatrixView{g.data(), d, d, d}), "gram");
    // CG in float amplifies rounding on ill-conditioned rows after a few steps (as implicit's own
    // float CG does), so factors are compared after one CG step and for Cholesky; after three CG
    // steps the half-step objective (implicit's loss) is compared.
    for (int variant = 0; variant < 3; ++variant) {
      AlsParams p;
      p.regularization = lambda;
      p.solver = variant == 2 ? AlsSolver::Cholesky : AlsSolver::CG;
      p.cg_steps = variant == 0 ? 1 : 3;
      std::vector<float> xr = init_factors(2000, d, 6, 0.01f), xc = xr;
      die_if(als_solve_ref(sub.view(items), MatrixView{y.data(), items, d, d}, MatrixView{g.data(), d, d, d},
                           MutMatrixView{xr.data(), 2000, d, d}, p), "ref");
      die_if(als_solve_cpu(ctx2, sub.view(items), MatrixView{y.data(), items, d, d}, MatrixView{g.data(), d, d, d},
                           MutMatrixView{xc.data(), 2000, d, d}, p), "cpu");
      const char* name = variant == 0 ? "cg(1)" : variant == 1 ? "cg(3)" : "cholesky";
      double diff;
      if (variant == 1) {
        AlsLossOut lr, lc;
        die_if(als_loss_ref(sub.view(items), MatrixView{xr.data(), 2000, d, d}, MatrixView{y.data(), items, d, d},
                            AlsLossParams{lambda}, &lr), "loss ref");
        die_if(als_loss_cpu(ctx2, sub.view(items), MatrixView{xc.data(), 2000, d, d}, MatrixView{y.data(), items, d, d},
                            AlsLossParams{lambda}, &lc), "loss cpu");
        diff = std::fabs(lc.loss - lr.loss) / lr.loss;
        std::printf("validate ALS %-8s d=64 on 2000 users: loss cpu %.7f ref %.7f, rel diff %.2e %s\n", name, lc.loss,
                    lr.loss, diff, diff < 1e-3 ? "ok" : "MISMATCH");
      } else {
        diff = max_rel_diff(xc, xr);
        std::printf("validate ALS %-8s d=64 on 2000 users: max |cpu - ref| / max|ref| = %.2e %s\n", name, diff,
                    diff < 1e-3 ? "ok" : "MISMATCH");
      }
      if (diff >= 1e-3) return 1;
    }
    const int64_t n2 = std::min<int64_t>(20000, users);
    SubCsr sub2 = slice_rows(cui, n2);
    {
      std::vector<float> pr = init_factors(n2, d, 7, 0.1f), qr = init_factors(items, d, 8, 0.1f), br(items, 0.0f);
      std::vector<float> pc = pr, qc = qr, bc = br;
      BprParams bp;
      bp.seed = 3;
      BprOut orf, oc;
      die_if(bpr_epoch_ref(sub2.view(items), MutMatrixView{pr.data(), n2, d, d}, MutMatrixView{qr.data(), items, d, d},
                           MutVectorView{br.data(), items}, bp, &orf), "bpr ref");
      die_if(bpr_epoch_cpu(ctx1, sub2.view(items), MutMatrixView{pc.data(), n2, d, d}, MutMatrixView{qc.data(), items, d, d},
                           MutVectorView{bc.data(), items}, bp, &oc), "bpr cpu");
      const double diff = std::max(max_rel_diff(pc, pr), max_rel_diff(qc, qr));
      std::printf("validate BPR d=64 on %lld users, threads=1: loss ref %.6f cpu %.6f, factors max rel diff %.2e %s\n",
                  (long long)n2, orf.loss, oc.loss, diff, diff < 1e-3 ? "ok" : "MISMATCH");
      if (diff >= 1e-3) return 1;
    }
    {
      std::vector<float> ratings(sub2.data.size());
      for (size_t k = 0; k < ratings.size(); ++k) ratings[k] = static_cast<float>(1 + (k * 2654435761u >> 7) % 5);
      SubCsr rs = sub2;
      rs.data = ratings;
      std::vector<float> pr = init_factors(n2, d, 9, 0.1f), qr = init_factors(items, d, 10, 0.1f), ur(n2, 0.0f), ir(items, 0.0f);
      std::vector<float> pc = pr, qc = qr, uc = ur, ic = ir;
      SgdParams sp;
      sp.global_mean = 3.0;
      SgdOut orf, oc;
      die_if(sgd_epoch_ref(rs.view(items), MutMatrixView{pr.data(), n2, d, d}, MutMatrixView{qr.data(), items, d, d},
                           MutVectorView{ur.data(), n2}, MutVectorView{ir.data(), items}, sp, &orf), "sgd ref");
      die_if(sgd_epoch_cpu(ctx1, rs.view(items), MutMatrixView{pc.data(), n2, d, d}, MutMatrixView{qc.data(), items, d, d},
                           MutVectorView{uc.data(), n2}, MutVectorView{ic.data(), items}, sp, &oc), "sgd cpu");
      const double diff = std::max(max_rel_diff(pc, pr), max_rel_diff(qc, qr));
      std::printf("validate SGD d=64 on %lld users, threads=1: rmse ref %.6f cpu %.6f, factors max rel diff %.2e %s\n",
                  (long long)n2, orf.rmse, oc.rmse, diff, diff < 1e-3 ? "ok" : "MISMATCH");
      if (diff >= 1e-3) return 1;
    }
  }
  if (!no_ref) {
    // Loss curves: cpu vs reference on a 10x smaller dataset of the same shape.
    Dataset small = make_dataset(10000, 5000, 500000, 77);
    std::vector<float> sconf(small.counts.size());
    for (size_t k = 0; k < sconf.size(); ++k) sconf[k] = static_cast<float>(1.0 + alpha * small.counts[k]);
    for (int solver = 0; solver < 2; ++solver) {
      AlsParams p;
      p.regularization = lambda;
      p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
      double gf;
      AlsRun rc = run_als(ctx2, small.view(sconf), 64, p, 3, false, &gf);
      AlsRun rr = run_als(ctx1, small.view(sconf), 64, p, 3, true, &gf);
      double worst = 0;
      std::printf("loss curve %-8s (10k x 5k x 500k, d=64):", solver ? "cholesky" : "cg");
      for (int it = 0; it < 3; ++it) {
        const double rel = std::fabs(rc.losses[it] - rr.losses[it]) / rr.losses[it];
        worst = std::max(worst, rel);
        std::printf("  it%d cpu %.6f ref %.6f", it + 1, rc.losses[it], rr.losses[it]);
      }
      std::printf("  max rel diff %.2e %s; ref %.2f s/it vs cpu(2t) %.3f s/it\n", worst, worst < 0.01 ? "ok" : "MISMATCH",
                  *std::min_element(rr.times.begin(), rr.times.end()), *std::min_element(rc.times.begin(), rc.times.end()));
    }
  }

  // ---- time ----
  peak1 = std::max(peak1, peak_gflops(1));
  peak2 = std::max(peak2, peak_gflops(2));
  std::printf("\npeak FP32 FMA (best of two measurements): %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)\n", peak1,
              peak2);
  std::printf("timings: best of %d iterations/epochs; wall s, with the process CPU s of that run (cpu < threads x wall\n"
              "means the cores were shared with other work)\n", iters);
  std::printf("\n%-34s %7s %9s %7s %9s %8s %7s  %s\n", "op", "threads", "best s", "cpu s", "GFLOP", "GFLOP/s", "%peak",
              "loss per iteration (wall s)");
  for (int64_t d : {64, 128}) {
    for (int solver = 0; solver < 2; ++solver) {
      if (!want("als") && !want(solver ? "cholesky" : "cg")) continue;
      for (int threads : {1, 2}) {
        AlsParams p;
        p.regularization = lambda;
        p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
        double gf = 0;
        AlsRun r = run_als(threads == 1 ? ctx1 : ctx2, cui, d, p, iters, false, &gf);
        const size_t best_i = std::min_element(r.times.begin(), r.times.end()) - r.times.begin();
        const double best = r.times[best_i];
        const double peak = threads == 1 ? peak1 : peak2;
        char name[64];
        std::snprintf(name, sizeof name, "ALS %s d=%lld iteration", solver ? "cholesky" : "cg(3)", (long long)d);
        std::printf("%-34s %7d %9.3f %7.3f %9.2f %8.1f %6.1f%%  ", name, threads, best, r.cpu[best_i], gf, gf / best,
                    100 * gf / best / peak);
        for (size_t i = 0; i < r.times.size(); ++i) std::printf("%.5f (%.3f)  ", r.losses[i], r.times[i]);
        std::printf("[transpose %.3f s]\n", r.transpose_s);
      }
    }
  }
  if (want("bpr")) {
    const int64_t d = 64;
    for (int threads : {1, 2}) {
      std::vector<float> p = init_factors(users, d, 11, 1.0f), q = init_factors(items, d, 12, 1.0f), b(items, 0.0f);
      for (auto& v : p) v = (v - 0.5f) / d;
      for (auto& v : q) v = (v - 0.5f) / d;
      BprParams bp;
      bp.samples = 5000000;
      bp.verify_negatives = true;
      bp.learning_rate = 0.01;
      bp.regularization = 0.01;
      std::vector<double> times, cpus, losses;
      int64_t skipped = 0, correct = 0, processed = 0;
      for (int e = 0; e < iters + 1; ++e) {
        bp.seed = 1000 + e;
        BprOut o;
        const double s = now_s(), cs = cpu_s();
        die_if(bpr_epoch_cpu(threads == 1 ? ctx1 : ctx2, cui, MutMatrixView{p.data(), users, d, d},
                             MutMatrixView{q.data(), items, d, d}, MutVectorView{b.data(), items}, bp, &o), "bpr");
        times.push_back(now_s() - s);
        cpus.push_back(cpu_s() - cs);
        losses.push_back(o.loss);
        skipped = o.skipped;
        correct = o.correct;
        processed = o.processed;
      }
      const size_t best_i = std::min_element(times.begin(), times.end()) - times.begin();
      const double best = times[best_i];
      const double gf = 8.0 * d * processed / 1e9;
      std::printf("%-34s %7d %9.3f %7.3f %9.2f %8.1f %6.1f%%  ", "BPR d=64 epoch (5M, verified)", threads, best,
                  cpus[best_i], gf, gf / best, 100 * gf / best / (threads == 1 ? peak1 : peak2));
      for (size_t i = 0; i < times.size(); ++i) std::printf("%.5f (%.3f)  ", losses[i], times[i]);
      std::printf("[skipped %lld, train auc %.3f]\n", (long long)skipped, double(correct) / processed);
    }
  }
  if (want("sgd")) {
    const int64_t d = 64;
    std::vector<float> ratings(ds.counts.size());
    double mean = 0;
    for (size_t k = 0; k < ratings.size(); ++k) {
      ratings[k] = static_cast<float>(1 + (k * 2654435761u >> 7) % 5);
      mean += ratings[k];
    }
    mean /= ratings.size();
    const CsrView rv = ds.view(ratings);
    for (int threads : {1, 2}) {
      std::vector<float> p = init_factors(users, d, 13, 0.1f), q = init_factors(items, d, 14, 0.1f);
      std::vector<float> bu(users, 0.0f), bi(items, 0.0f);
      SgdParams sp;
      sp.learning_rate = 0.005;
      sp.regularization = 0.02;
      sp.global_mean = mean;
      std::vector<double> times, cpus, rmses;
      for (int e = 0; e < iters + 1; ++e) {
        sp.seed = 2000 + e;
        SgdOut o;
        const double s = now_s(), cs = cpu_s();
        die_if(sgd_epoch_cpu(threads == 1 ? ctx1 : ctx2, rv, MutMatrixView{p.data(), users, d, d},
                             MutMatrixView{q.data(), items, d, d}, MutVectorView{bu.data(), users},
                             MutVectorView{bi.data(), items}, sp, &o), "sgd");
        times.push_back(now_s() - s);
        cpus.push_back(cpu_s() - cs);
        rmses.push_back(o.rmse);
      }
      const size_t best_i = std::min_element(times.begin(), times.end()) - times.begin();
      const double best = times[best_i];
      const double gf = 6.0 * d * rv.nnz / 1e9;
      std::printf("%-34s %7d %9.3f %7.3f %9.2f %8.1f %6.1f%%  ", "SGD d=64 epoch (5M ratings)", threads, best, cpus[best_i],
                  gf, gf / best, 100 * gf / best / (threads == 1 ? peak1 : peak2));
      for (size_t i = 0; i < times.size(); ++i) std::printf("rmse %.5f (%.3f)  ", rmses[i], times[i]);
      std::printf("\n");
    }
  }
  return 0;
}
