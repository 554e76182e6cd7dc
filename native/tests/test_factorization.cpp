// Factorisation kernels (souk/factorization.h, souk/sparse.h) against their references:
// ALS CG / Cholesky half-steps (odd d), normal equations, CG residual, ALS loss (implicit's
// definition) and its monotone decrease on a planted low-rank problem, SGD and BPR parity with the
// reference and convergence, determinism over threads 1/2/3 and every ISA level, CSR transpose,
// and typed errors for bad inputs. Run: souk_native_tests factor
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "harness.h"
#include "souk/factorization.h"
#include "souk/isa.h"
#include "souk/sparse.h"
#include "souk/threads.h"

using namespace souk;

namespace {

ThreadPool& pool() {
  static ThreadPool p(2);  // up to 3 threads
  return p;
}
ExecContext ctx_threads(int t) { return ExecContext{&pool(), t}; }

std::vector<Isa> isa_levels() {
  std::vector<Isa> v{Isa::Scalar};
  if (detected_isa() >= Isa::Avx2) v.push_back(Isa::Avx2);
  if (detected_isa() >= Isa::Avx512) v.push_back(Isa::Avx512);
  return v;
}
struct IsaRestore {
  ~IsaRestore() { set_isa_limit(Isa::Avx512); }
};

struct Csr {
  std::vector<int32_t> indptr, indices;
  std::vector<float> data;
  int64_t rows = 0, cols = 0;
  bool null_data = false;
  CsrView view() const {
    CsrView v;
    v.indptr = indptr.data();
    v.indices = indices.data();
    v.data = null_data ? nullptr : data.data();
    v.rows = rows;
    v.cols = cols;
    v.nnz = static_cast<int64_t>(indices.size());
    return v;
  }
};

// Random CSR, sorted rows, some empty rows; values in [vmin, vmax]; neg_frac of them negated.
Csr random_csr(int64_t rows, int64_t cols, double density, uint32_t seed, float vmin = 1.0f,
               float vmax = 5.0f, double neg_frac = 0.0, double empty_frac = 0.1) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  Csr c;
  c.rows = rows;
  c.cols = cols;
  c.indptr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    if (u01(g) >= empty_frac) {
      for (int64_t j = 0; j < cols; ++j) {
        if (u01(g) < density) {
          c.indices.push_back(static_cast<int32_t>(j));
          float v = static_cast<float>(vmin + (vmax - vmin) * u01(g));
          if (u01(g) < neg_frac) v = -v;
          c.data.push_back(v);
        }
      }
    }
    c.indptr.push_back(static_cast<int32_t>(c.indices.size()));
  }
  return c;
}

std::vector<float> random_matrix(int64_t rows, int64_t cols, uint32_t seed, float scale) {
  std::mt19937 g(seed);
  std::normal_distribution<float> n(0, 1);
  std::vector<float> m(static_cast<size_t>(rows * cols));
  for (auto& v : m) v = n(g) * scale;
  return m;
}

MatrixView mv(const std::vector<float>& m, int64_t rows, int64_t cols) {
  return MatrixView{m.data(), rows, cols, cols};
}
MutMatrixView mmv(std::vector<float>& m, int64_t rows, int64_t cols) {
  return MutMatrixView{m.data(), rows, cols, cols};
}

std::vector<float> gram(const std::vector<float>& y, int64_t rows, int64_t d) {
  std::vector<float> g(static_cast<size_t>(d * d));
  for (int64_t a = 0; a < d; ++a)
    for (int64_t b = 0; b < d; ++b) {
      double s = 0;
      for (int64_t r = 0; r < rows; ++r) s += static_cast<double>(y[r * d + a]) * y[r * d + b];
      g[a * d + b] = static_cast<float>(s);
    }
  return g;
}

// A_u and b_u in double (the system ALS solves for row u).
void normal_equations(const Csr& c, int64_t u, const std::vector<float>& y, const std::vector<float>& yty,
                      int64_t d, double lambda, std::vector<double>* A, std::vector<double>* b) {
  A->assign(d * d, 0);
  b->assign(d, 0);
  for (int64_t i = 0; i < d * d; ++i) (*A)[i] = yty[i];
  for (int64_t i = 0; i < d; ++i) (*A)[i * d + i] += lambda;
  for (int32_t k = c.indptr[u]; k < c.indptr[u + 1]; ++k) {
    const float* yi = &y[static_cast<size_t>(c.indices[k]) * d];
    double cf = c.null_data ? 1.0 : c.data[k];
    if (cf > 0) for (int64_t j = 0; j < d; ++j) (*b)[j] += cf * yi[j];
    cf = std::fabs(cf);
    for (int64_t a = 0; a < d; ++a)
      for (int64_t bb = 0; bb < d; ++bb) (*A)[a * d + bb] += (cf - 1) * yi[a] * yi[bb];
  }
}

double rel_residual(const std::vector<double>& A, const std::vector<double>& b, const float* x, int64_t d) {
  double rn = 0, bn = 0;
  for (int64_t i = 0; i < d; ++i) {
    double v = -b[i];
    for (int64_t j = 0; j < d; ++j) v += A[i * d + j] * x[j];
    rn += v * v;
    bn += b[i] * b[i];
  }
  return std::sqrt(rn) / std::max(std::sqrt(bn), 1e-30);
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float f : v) m = std::max(m, static_cast<double>(std::fabs(f)));
  return m;
}

// First index where |a-b| > atol + rtol |b|, or -1.
int64_t first_mismatch(const std::vector<float>& a, const std::vector<float>& b, double atol, double rtol) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!souk_test::close(a[i], b[i], atol, rtol)) return static_cast<int64_t>(i);
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST(factor_transpose_csr) {
  for (int threads : {1, 2, 3}) {
    for (bool null_data : {false, true}) {
      Csr c = random_csr(301, 157, 0.08, 11 + threads);
      c.null_data = null_data;
      CsrMatrix t;
      CHECK_OK(transpose_csr(ctx_threads(threads), c.view(), &t));
      CHECK(t.rows == 157 && t.cols == 301);
      CHECK_OK(validate_csr_shape(t.view(), 157, 301, true, "t"));
      // Dense comparison.
      std::vector<float> dense(301 * 157, 0), dense_t(301 * 157, 0);
      for (int64_t r = 0; r < 301; ++r)
        for (int32_t k = c.indptr[r]; k < c.indptr[r + 1]; ++k) dense[r * 157 + c.indices[k]] = null_data ? 1.0f : c.data[k];
      for (int64_t r = 0; r < 157; ++r)
        for (int32_t k = t.indptr[r]; k < t.indptr[r + 1]; ++k)
          dense_t[t.indices[k] * 157 + r] = t.data.empty() ? 1.0f : t.data[k];
      CHECK(dense == dense_t);
      CHECK(t.data.empty() == null_data);
    }
  }
  // Large enough for the parallel path (nnz >= 200000).
  Csr big = random_csr(2000, 1500, 0.08, 5);
  CsrMatrix t1, t3, tt;
  CHECK_OK(transpose_csr(ctx_threads(1), big.view(), &t1));
  CHECK_OK(transpose_csr(ctx_threads(3), big.view(), &t3));
  CHECK(t1.indptr == t3.indptr && t1.indices == t3.indices && t1.data == t3.data);
  CHECK_OK(transpose_csr(ctx_threads(3), t3.view(), &tt));
  CHECK(tt.indptr == big.indptr && tt.indices == big.indices && tt.data == big.data);
}

TEST(factor_als_one_step_matches_ref) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    for (int64_t d : {1, 3, 17, 33, 64}) {
      const int64_t users = 40, items = 70;
      Csr c = random_csr(users, items, 0.15, 100 + d, 1.0f, 8.0f, 0.1);
      std::vector<float> y = random_matrix(items, d, 200 + d, 0.3f);
      std::vector<float> yty = gram(y, items, d);
      std::vector<float> x0 = random_matrix(users, d, 300 + d, 0.1f);
      for (int solver = 0; solver < 2; ++solver) {
        for (int steps : {1, 3}) {
          if (solver == 1 && steps == 3) continue;
          AlsParams p;
          p.regularization = 0.5;
          p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
          p.cg_steps = steps;
          std::vector<float> xr = x0;
          CHECK_OK(als_solve_ref(c.view(), mv(y, items, d), mv(yty, d, d), mmv(xr, users, d), p));
          for (int threads : {1, 2, 3}) {
            std::vector<float> xc = x0;
            CHECK_OK(als_solve_cpu(ctx_threads(threads), c.view(), mv(y, items, d), mv(yty, d, d), mmv(xc, users, d), p));
            const double scale = max_abs(xr);
            const int64_t bad = first_mismatch(xc, xr, 2e-4 * scale + 1e-6, 2e-3);
            CHECK(bad < 0) << "isa " << isa_name(isa) << " d " << d << " solver " << solver << " steps " << steps
                           << " threads " << threads << " at " << bad << ": " << (bad >= 0 ? xc[bad] : 0) << " vs "
                           << (bad >= 0 ? xr[bad] : 0);
          }
        }
      }
    }
  }
}

TEST(factor_als_cholesky_normal_equations) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    for (int64_t d : {1, 3, 17, 33, 64, 100}) {
      const int64_t users = 30, items = 90;
      Csr c = random_csr(users, items, 0.3, 7 + d, 1.0f, 20.0f, 0.05);
      std::vector<float> y = random_matrix(items, d, 17 + d, 0.2f);
      std::vector<float> yty = gram(y, items, d);
      std::vector<float> x(users * d, 0.0f);
      AlsParams p;
      p.regularization = 0.1;
      p.solver = AlsSolver::Cholesky;
      CHECK_OK(als_solve_cpu(ctx_threads(2), c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p));
      std::vector<double> A, b;
      for (int64_t u = 0; u < users; ++u) {
        if (c.indptr[u] == c.indptr[u + 1]) {
          for (int64_t j = 0; j < d; ++j) CHECK(x[u * d + j] == 0.0f) << "empty row must be zero";
          continue;
        }
        normal_equations(c, u, y, yty, d, p.regularization, &A, &b);
        const double res = rel_residual(A, b, &x[u * d], d);
        CHECK(res < 1e-4) << "isa " << isa_name(isa) << " d " << d << " row " << u << " relative residual " << res;
      }
    }
  }
}

TEST(factor_als_cg_residual_decreases) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    for (int64_t d : {3, 17, 33}) {
      const int64_t users = 12, items = 60;
      Csr c = random_csr(users, items, 0.3, 40 + d, 1.0f, 4.0f, 0.0, 0.0);
      std::vector<float> y = random_matrix(items, d, 41 + d, 0.3f);
      std::vector<float> yty = gram(y, items, d);
      std::vector<float> x0 = random_matrix(users, d, 42 + d, 0.1f);
      const double lambda = 1.0;
      std::vector<double> prev(users, 1e300);
      for (int steps = 1; steps <= std::min<int64_t>(d, 6); ++steps) {
        AlsParams p;
        p.regularization = lambda;
        p.cg_steps = steps;
        std::vector<float> x = x0;
        CHECK_OK(als_solve_cpu(ctx_threads(1), c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p));
        std::vector<double> A, b;
        for (int64_t u = 0; u < users; ++u) {
          normal_equations(c, u, y, yty, d, lambda, &A, &b);
          const double res = rel_residual(A, b, &x[u * d], d);
          CHECK(res <= prev[u] * 1.0001 + 1e-6) << "isa " << isa_name(isa) << " d " << d << " row " << u
                                                << " steps " << steps << ": " << res << " after " << prev[u];
          prev[u] = res;
        }
      }
      // d steps of CG solve the system (up to float rounding).
      for (int64_t u = 0; u < users; ++u) CHECK(d > 6 || prev[u] < 1e-3) << "row " << u << " residual " << prev[u];
    }
  }
}

TEST(factor_als_empty_rows_and_null_data) {
  const int64_t d = 5, users = 6, items = 9;
  Csr c = random_csr(users, items, 0.5, 3, 1, 1, 0.0, 0.5);
  c.null_data = true;
  std::vector<float> y = random_matrix(items, d, 4, 0.5f), yty = gram(y, items, d);
  for (int solver = 0; solver < 2; ++solver) {
    AlsParams p;
    p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
    std::vector<float> xr = random_matrix(users, d, 5, 1.0f), xc = xr;
    CHECK_OK(als_solve_ref(c.view(), mv(y, items, d), mv(yty, d, d), mmv(xr, users, d), p));
    CHECK_OK(als_solve_cpu(ctx_threads(2), c.view(), mv(y, items, d), mv(yty, d, d), mmv(xc, users, d), p));
    for (int64_t u = 0; u < users; ++u) {
      const bool empty = c.indptr[u] == c.indptr[u + 1];
      for (int64_t j = 0; j < d; ++j) {
        if (empty) CHECK(xc[u * d + j] == 0.0f && xr[u * d + j] == 0.0f);
        CHECK_CLOSE(xc[u * d + j], xr[u * d + j], 1e-4, 1e-3);
      }
    }
  }
}

TEST(factor_als_threads_identical) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    const int64_t d = 33, users = 500, items = 300;
    Csr c = random_csr(users, items, 0.05, 77, 1.0f, 10.0f, 0.05);
    std::vector<float> y = random_matrix(items, d, 78, 0.2f), yty = gram(y, items, d);
    std::vector<float> x0 = random_matrix(users, d, 79, 0.1f);
    for (int solver = 0; solver < 2; ++solver) {
      AlsParams p;
      p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
      std::vector<float> base;
      for (int threads : {1, 2, 3}) {
        std::vector<float> x = x0;
        CHECK_OK(als_solve_cpu(ctx_threads(threads), c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p));
        if (base.empty()) base = x;
        CHECK(std::memcmp(base.data(), x.data(), x.size() * sizeof(float)) == 0)
            << "isa " << isa_name(isa) << " solver " << solver << " threads " << threads;
      }
    }
  }
}

TEST(factor_als_loss_matches_ref) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    for (int64_t d : {1, 3, 17, 33}) {
      const int64_t users = 50, items = 40;
      Csr c = random_csr(users, items, 0.2, 500 + d, 1.0f, 6.0f, 0.1);
      std::vector<float> x = random_matrix(users, d, 501, 0.3f), y = random_matrix(items, d, 502, 0.3f);
      AlsLossParams p;
      p.regularization = 0.05;
      AlsLossOut r, k;
      CHECK_OK(als_loss_ref(c.view(), mv(x, users, d), mv(y, items, d), p, &r));
      // Direct definition: sum over all (u, i) of c (p - x.y)^2, c = 1, p = 0 off the support;
      // implicit adds |c| for dislikes (c <= 0) on top of |c| (x.y)^2.
      double num = 0, den = 0;
      for (int64_t u = 0; u < users; ++u) {
        std::vector<double> conf(items, 1.0), pref(items, 0.0), extra(items, 0.0);
        for (int32_t kk = c.indptr[u]; kk < c.indptr[u + 1]; ++kk) {
          const double cf = c.data[kk];
          conf[c.indices[kk]] = std::fabs(cf);
          pref[c.indices[kk]] = cf > 0 ? 1.0 : 0.0;
          extra[c.indices[kk]] = cf > 0 ? 0.0 : std::fabs(cf);
        }
        for (int64_t i = 0; i < items; ++i) {
          double s = 0;
          for (int64_t j = 0; j < d; ++j) s += static_cast<double>(x[u * d + j]) * y[i * d + j];
          num += conf[i] * (pref[i] - s) * (pref[i] - s) + extra[i];
          den += conf[i];
        }
      }
      double norms = 0;
      for (float v : x) norms += static_cast<double>(v) * v;
      for (float v : y) norms += static_cast<double>(v) * v;
      num += p.regularization * norms;
      CHECK_CLOSE(r.loss, num / den, 1e-9, 1e-9);
      CHECK_CLOSE(r.denominator, den, 1e-6, 1e-9);
      for (int threads : {1, 2, 3}) {
        CHECK_OK(als_loss_cpu(ctx_threads(threads), c.view(), mv(x, users, d), mv(y, items, d), p, &k));
        CHECK_CLOSE(k.loss, r.loss, 1e-6, 1e-4) << "isa " << isa_name(isa) << " d " << d;
      }
    }
  }
}

// Planted low-rank implicit data: ALS loss decreases monotonically (both solvers), the cpu and
// reference loss curves agree, and the factors rank held positives above the rest.
TEST(factor_als_converges_planted) {
  const int64_t users = 300, items = 200, rank = 4, d = 8;
  std::vector<float> xs = random_matrix(users, rank, 901, 1.0f), ys = random_matrix(items, rank, 902, 1.0f);
  Csr c;
  c.rows = users;
  c.cols = items;
  c.indptr.push_back(0);
  std::vector<std::vector<char>> pos(users, std::vector<char>(items, 0));
  for (int64_t u = 0; u < users; ++u) {
    for (int64_t i = 0; i < items; ++i) {
      double s = 0;
      for (int64_t j = 0; j < rank; ++j) s += xs[u * rank + j] * ys[i * rank + j];
      if (s > 1.5) {
        c.indices.push_back(static_cast<int32_t>(i));
        c.data.push_back(1.0f + 10.0f);  // 1 + alpha * count, alpha = 10
        pos[u][i] = 1;
      }
    }
    c.indptr.push_back(static_cast<int32_t>(c.indices.size()));
  }
  CsrMatrix ct;
  CHECK_OK(transpose_csr(ctx_threads(2), c.view(), &ct));
  for (int solver = 0; solver < 2; ++solver) {
    AlsParams p;
    p.regularization = 0.1;
    p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
    std::vector<float> x = random_matrix(users, d, 903, 0.01f), y = random_matrix(items, d, 904, 0.01f);
    std::vector<float> xr = x, yr = y;
    double prev = 1e300;
    for (int it = 0; it < 12; ++it) {
      std::vector<float> yty = gram(y, items, d);
      CHECK_OK(als_solve_cpu(ctx_threads(3), c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p));
      std::vector<float> xtx = gram(x, users, d);
      CHECK_OK(als_solve_cpu(ctx_threads(3), ct.view(), mv(x, users, d), mv(xtx, d, d), mmv(y, items, d), p));
      std::vector<float> ytyr = gram(yr, items, d);
      CHECK_OK(als_solve_ref(c.view(), mv(yr, items, d), mv(ytyr, d, d), mmv(xr, users, d), p));
      std::vector<float> xtxr = gram(xr, users, d);
      CHECK_OK(als_solve_ref(ct.view(), mv(xr, users, d), mv(xtxr, d, d), mmv(yr, items, d), p));
      AlsLossOut l, lr;
      CHECK_OK(als_loss_cpu(ctx_threads(2), c.view(), mv(x, users, d), mv(y, items, d), AlsLossParams{p.regularization}, &l));
      CHECK_OK(als_loss_ref(c.view(), mv(xr, users, d), mv(yr, items, d), AlsLossParams{p.regularization}, &lr));
      CHECK(l.loss <= prev * (1 + 1e-5)) << "solver " << solver << " iteration " << it << ": " << l.loss << " after " << prev;
      CHECK_CLOSE(l.loss, lr.loss, 0.0, 0.01) << "loss curve vs reference, solver " << solver << " iteration " << it;
      prev = l.loss;
    }
    // Recovery: per user, the share of positives among its top-|positives| scored items.
    double hits = 0, total = 0;
    for (int64_t u = 0; u < users; ++u) {
      const int64_t np = c.indptr[u + 1] - c.indptr[u];
      if (np == 0) continue;
      std::vector<std::pair<double, int64_t>> sc;
      for (int64_t i = 0; i < items; ++i) {
        double s = 0;
        for (int64_t j = 0; j < d; ++j) s += x[u * d + j] * y[i * d + j];
        sc.push_back({-s, i});
      }
      std::partial_sort(sc.begin(), sc.begin() + np, sc.end());
      for (int64_t t = 0; t < np; ++t) hits += pos[u][sc[t].second];
      total += np;
    }
    CHECK(hits / total > 0.85) << "solver " << solver << " recall " << hits / total;
  }
}

// ---------------------------------------------------------------------------------------------
namespace {
struct SgdModel {
  std::vector<float> p, q, bu, bi;
};
SgdModel sgd_init(int64_t users, int64_t items, int64_t d, uint32_t seed) {
  return SgdModel{random_matrix(users, d, seed, 0.1f), random_matrix(items, d, seed + 1, 0.1f),
                  std::vector<float>(users, 0.0f), std::vector<float>(items, 0.0f)};
}
Status run_sgd(bool ref, int threads, const Csr& r, SgdModel& m, int64_t d, const SgdParams& sp, SgdOut* out) {
  const int64_t users = r.rows, items = r.cols;
  MutVectorView ub{m.bu.data(), users}, ib{m.bi.data(), items};
  if (ref) return sgd_epoch_ref(r.view(), mmv(m.p, users, d), mmv(m.q, items, d), ub, ib, sp, out);
  return sgd_epoch_cpu(ctx_threads(threads), r.view(), mmv(m.p, users, d), mmv(m.q, items, d), ub, ib, sp, out);
}
}  // namespace

TEST(factor_sgd_matches_ref_threads1) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    for (int64_t d : {1, 3, 17, 33}) {
      Csr r = random_csr(60, 50, 0.2, 600 + d, 1.0f, 5.0f);
      SgdParams sp;
      sp.learning_rate = 0.02;
      sp.regularization = 0.05;
      sp.global_mean = 3.0;
      sp.seed = 42 + d;
      SgdModel a = sgd_init(60, 50, d, 7), b = a;
      SgdOut oa, ob;
      CHECK_OK(run_sgd(true, 1, r, a, d, sp, &oa));
      CHECK_OK(run_sgd(false, 1, r, b, d, sp, &ob));
      CHECK_CLOSE(ob.rmse, oa.rmse, 1e-6, 1e-4);
      CHECK(first_mismatch(b.p, a.p, 1e-5, 1e-3) < 0) << "isa " << isa_name(isa) << " d " << d;
      CHECK(first_mismatch(b.q, a.q, 1e-5, 1e-3) < 0);
      CHECK(first_mismatch(b.bu, a.bu, 1e-5, 1e-3) < 0);
      CHECK(first_mismatch(b.bi, a.bi, 1e-5, 1e-3) < 0);
      // Bit-for-bit reproducible with threads = 1.
      SgdModel c = sgd_init(60, 50, d, 7);
      SgdOut oc;
      CHECK_OK(run_sgd(false, 1, r, c, d, sp, &oc));
      CHECK(c.p == b.p && c.q == b.q && c.bu == b.bu && c.bi == b.bi && oc.rmse == ob.rmse);
    }
  }
}

TEST(factor_sgd_conflict_free_threads) {
  // Each user rates one item and each item is rated once: updates never touch shared rows, so the
  // order (and the thread count) does not matter.
  const int64_t n = 500, d = 17;
  Csr r;
  r.rows = r.cols = n;
  for (int64_t u = 0; u <= n; ++u) r.indptr.push_back(static_cast<int32_t>(u));
  for (int64_t u = 0; u < n; ++u) {
    r.indices.push_back(static_cast<int32_t>((u * 7) % n));
    r.data.push_back(1.0f + (u % 5));
  }
  SgdParams sp;
  sp.learning_rate = 0.05;
  sp.global_mean = 3.0;
  SgdModel ref = sgd_init(n, n, d, 9);
  SgdOut oref;
  CHECK_OK(run_sgd(true, 1, r, ref, d, sp, &oref));
  for (int threads : {1, 2, 3}) {
    SgdModel m = sgd_init(n, n, d, 9);
    SgdOut o;
    CHECK_OK(run_sgd(false, threads, r, m, d, sp, &o));
    CHECK_CLOSE(o.rmse, oref.rmse, 1e-6, 1e-5) << "threads " << threads;
    CHECK(first_mismatch(m.p, ref.p, 1e-6, 1e-4) < 0) << "threads " << threads;
    CHECK(first_mismatch(m.q, ref.q, 1e-6, 1e-4) < 0) << "threads " << threads;
  }
}

TEST(factor_sgd_converges) {
  const int64_t users = 400, items = 300, d = 8;
  std::vector<float> ps = random_matrix(users, 3, 31, 0.7f), qs = random_matrix(items, 3, 32, 0.7f);
  std::mt19937 g(33);
  std::normal_distribution<float> noise(0, 0.1f);
  Csr r = random_csr(users, items, 0.1, 34, 1, 1, 0, 0.0);
  for (int64_t u = 0; u < users; ++u)
    for (int32_t k = r.indptr[u]; k < r.indptr[u + 1]; ++k) {
      double s = 3.0 + 0.3 * std::sin(u) + 0.2 * std::cos(r.indices[k]);
      for (int j = 0; j < 3; ++j) s += ps[u * 3 + j] * qs[r.indices[k] * 3 + j];
      r.data[k] = static_cast<float>(s + noise(g));
    }
  for (int threads : {1, 2, 3}) {
    SgdModel m = sgd_init(users, items, d, 35);
    SgdParams sp;
    sp.learning_rate = 0.02;
    sp.regularization = 0.01;
    sp.global_mean = 3.0;
    double first = 0, last = 0;
    for (int e = 0; e < 60; ++e) {
      sp.seed = e;
      SgdOut o;
      CHECK_OK(run_sgd(false, threads, r, m, d, sp, &o));
      if (e == 0) first = o.rmse;
      last = o.rmse;
    }
    CHECK(last < 0.5 * first && last < 0.3) << "threads " << threads << " rmse " << first << " -> " << last;
  }
}

// ---------------------------------------------------------------------------------------------
namespace {
struct BprModel {
  std::vector<float> p, q, b;
};
Status run_bpr(bool ref, int threads, const Csr& c, BprModel& m, int64_t d, const BprParams& bp, BprOut* out) {
  MutVectorView ib{m.b.data(), c.cols};
  if (ref) return bpr_epoch_ref(c.view(), mmv(m.p, c.rows, d), mmv(m.q, c.cols, d), ib, bp, out);
  return bpr_epoch_cpu(ctx_threads(threads), c.view(), mmv(m.p, c.rows, d), mmv(m.q, c.cols, d), ib, bp, out);
}
}  // namespace

TEST(factor_bpr_matches_ref_threads1) {
  IsaRestore restore;
  for (Isa isa : isa_levels()) {
    set_isa_limit(isa);
    for (int64_t d : {1, 3, 17, 33}) {
      for (int mode = 0; mode < 4; ++mode) {
        Csr c = random_csr(50, 40, 0.2, 700 + d, 1, 1, 0.0, 0.1);
        BprParams bp;
        bp.learning_rate = 0.05;
        bp.regularization = 0.01;
        bp.seed = 5 + d;
        bp.verify_negatives = mode & 1;
        bp.negatives = (mode & 2) ? BprNegatives::Uniform : BprNegatives::Popularity;
        BprModel a{random_matrix(50, d, 1, 0.1f), random_matrix(40, d, 2, 0.1f), std::vector<float>(40, 0.0f)};
        BprModel b = a, c2 = a;
        BprOut oa, ob, oc;
        CHECK_OK(run_bpr(true, 1, c, a, d, bp, &oa));
        CHECK_OK(run_bpr(false, 1, c, b, d, bp, &ob));
        CHECK(oa.skipped == ob.skipped && oa.processed == ob.processed) << oa.skipped << " " << ob.skipped;
        CHECK(oa.processed + oa.skipped == c.view().nnz);
        CHECK(bp.verify_negatives || oa.skipped == 0);
        CHECK_CLOSE(ob.loss, oa.loss, 1e-6, 1e-4);
        CHECK(std::abs(ob.correct - oa.correct) <= 1);
        CHECK(first_mismatch(b.p, a.p, 1e-5, 1e-3) < 0) << "isa " << isa_name(isa) << " d " << d << " mode " << mode;
        CHECK(first_mismatch(b.q, a.q, 1e-5, 1e-3) < 0);
        CHECK(first_mismatch(b.b, a.b, 1e-5, 1e-3) < 0);
        CHECK_OK(run_bpr(false, 1, c, c2, d, bp, &oc));
        CHECK(c2.p == b.p && c2.q == b.q && c2.b == b.b && oc.loss == ob.loss) << "threads=1 must be bit-for-bit reproducible";
      }
    }
  }
}

TEST(factor_bpr_converges_threads) {
  // Two communities: users of group g like items of group g.
  const int64_t users = 400, items = 200, d = 16;
  Csr c;
  c.rows = users;
  c.cols = items;
  c.indptr.push_back(0);
  std::mt19937 g(3);
  for (int64_t u = 0; u < users; ++u) {
    const int64_t grp = u % 4;
    for (int64_t i = 0; i < items; ++i)
      if (i % 4 == grp && g() % 3 == 0) {
        c.indices.push_back(static_cast<int32_t>(i));
        c.data.push_back(1.0f);
      }
    c.indptr.push_back(static_cast<int32_t>(c.indices.size()));
  }
  for (int threads : {1, 2, 3}) {
    BprModel m{random_matrix(users, d, 11, 0.05f), random_matrix(items, d, 12, 0.05f), std::vector<float>(items, 0.0f)};
    BprParams bp;
    bp.learning_rate = 0.05;
    bp.regularization = 0.001;
    bp.negatives = BprNegatives::Uniform;
    double first = 0, last = 0, auc = 0;
    for (int e = 0; e < 30; ++e) {
      bp.seed = 100 + e;
      BprOut o;
      CHECK_OK(run_bpr(false, threads, c, m, d, bp, &o));
      CHECK(o.skipped > 0 && o.processed + o.skipped == c.view().nnz);
      if (e == 0) first = o.loss;
      last = o.loss;
      auc = static_cast<double>(o.correct) / o.processed;
    }
    CHECK(last < 0.5 * first && auc > 0.9) << "threads " << threads << " loss " << first << " -> " << last << " auc " << auc;
  }
}

// ---------------------------------------------------------------------------------------------
TEST(factor_bad_inputs) {
  const int64_t users = 6, items = 5, d = 3;
  Csr c = random_csr(users, items, 0.6, 1, 1, 3, 0.0, 0.0);
  std::vector<float> x = random_matrix(users, d, 2, 0.1f), y = random_matrix(items, d, 3, 0.1f);
  std::vector<float> yty = gram(y, items, d);
  AlsParams p;
  auto solve = [&](bool ref, const CsrView& cv, MatrixView yv, MatrixView g, MutMatrixView xv, const AlsParams& pp) {
    return ref ? als_solve_ref(cv, yv, g, xv, pp) : als_solve_cpu(ctx_threads(2), cv, yv, g, xv, pp);
  };
  for (bool ref : {true, false}) {
    // Shapes.
    CHECK_CODE(solve(ref, c.view(), mv(y, items, d), mv(yty, d, d), MutMatrixView{x.data(), users - 1, d, d}, p), Code::Shape);
    CHECK_CODE(solve(ref, c.view(), MatrixView{y.data(), items, d - 1, d}, mv(yty, d, d), mmv(x, users, d), p), Code::Shape);
    CHECK_CODE(solve(ref, c.view(), mv(y, items - 1, d), mv(yty, d, d), mmv(x, users, d), p), Code::Shape);
    CHECK_CODE(solve(ref, c.view(), mv(y, items, d), MatrixView{yty.data(), d, d - 1, d}, mmv(x, users, d), p), Code::Shape);
    CHECK_CODE(solve(ref, c.view(), mv(y, items, d), mv(yty, d, d), MutMatrixView{x.data(), users, d, d - 1}, p), Code::Shape);
    // Lambda and options.
    AlsParams bad = p;
    bad.regularization = -0.1;
    Status st = solve(ref, c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), bad);
    CHECK_CODE(st, Code::Argument);
    CHECK(st.message().rfind("Expected ", 0) == 0 && st.message().find("regularization") != std::string::npos &&
          st.message().find("but received -0.1") != std::string::npos) << st.message();
    bad.regularization = NAN;
    CHECK_CODE(solve(ref, c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), bad), Code::Argument);
    bad = p;
    bad.cg_steps = 0;
    CHECK_CODE(solve(ref, c.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), bad), Code::Argument);
    // CSR structure.
    Csr broken = c;
    broken.indices[1] = static_cast<int32_t>(items);
    CHECK_CODE(solve(ref, broken.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p), Code::Csr);
    broken = c;
    std::swap(broken.indptr[2], broken.indptr[3]);
    CHECK_CODE(solve(ref, broken.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p), Code::Csr);
    broken = c;
    broken.indptr[0] = 1;
    CHECK_CODE(solve(ref, broken.view(), mv(y, items, d), mv(yty, d, d), mmv(x, users, d), p), Code::Csr);
    // Non-finite values, found while reading: Y, X (CG warm start), YtY, confidences.
    for (int solver = 0; solver < 2; ++solver) {
      AlsParams ps = p;
      ps.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
      std::vector<float> yn = y, xn = x, gn = yty;
      yn[c.indices[0] * d + 1] = NAN;
      std::vector<float> xs = x;
      CHECK_CODE(solve(ref, c.view(), mv(yn, items, d), mv(yty, d, d), mmv(xs, users, d), ps), Code::NonFinite);
      gn[4] = INFINITY;
      xs = x;
      CHECK_CODE(solve(ref, c.view(), mv(y, items, d), mv(gn, d, d), mmv(xs, users, d), ps), Code::NonFinite);
      Csr cn = c;
      cn.data[0] = NAN;
      xs = x;
      CHECK_CODE(solve(ref, cn.view(), mv(y, items, d), mv(yty, d, d), mmv(xs, users, d), ps), Code::NonFinite);
      if (solver == 0) {
        xn[0] = NAN;
        CHECK_CODE(solve(ref, c.view(), mv(y, items, d), mv(yty, d, d), mmv(xn, users, d), ps), Code::NonFinite);
      }
    }
    // Singular system with lambda = 0: Cholesky reports Diverged.
    {
      std::vector<float> y0(items * d, 0.0f), g0(d * d, 0.0f), xs = x;
      AlsParams ps;
      ps.regularization = 0.0;
      ps.solver = AlsSolver::Cholesky;
      CHECK_CODE(solve(ref, c.view(), mv(y0, items, d), mv(g0, d, d), mmv(xs, users, d), ps), Code::Diverged);
    }
    // Loss.
    AlsLossOut lo;
    std::vector<float> yn = y;
    yn[2] = INFINITY;
    if (ref) {
      CHECK_CODE(als_loss_ref(c.view(), mv(x, users, d), mv(yn, items, d), AlsLossParams{0.1}, &lo), Code::NonFinite);
      CHECK_CODE(als_loss_ref(c.view(), mv(x, users, d), mv(y, items, d), AlsLossParams{-1}, &lo), Code::Argument);
      CHECK_CODE(als_loss_ref(c.view(), mv(x, users, d), mv(y, items - 1, d), AlsLossParams{0.1}, &lo), Code::Shape);
    } else {
      CHECK_CODE(als_loss_cpu(ctx_threads(2), c.view(), mv(x, users, d), mv(yn, items, d), AlsLossParams{0.1}, &lo), Code::NonFinite);
      CHECK_CODE(als_loss_cpu(ctx_threads(2), c.view(), mv(x, users, d), mv(y, items, d), AlsLossParams{-1}, &lo), Code::Argument);
      CHECK_CODE(als_loss_cpu(ctx_threads(2), c.view(), mv(x, users, d), mv(y, items - 1, d), AlsLossParams{0.1}, &lo), Code::Shape);
    }
  }
  // SGD.
  {
    SgdModel m = sgd_init(users, items, d, 1);
    SgdParams sp;
    SgdOut o;
    for (bool ref : {true, false}) {
      SgdParams b = sp;
      b.learning_rate = 0;
      CHECK_CODE(run_sgd(ref, 2, c, m, d, b, &o), Code::Argument);
      b = sp;
      b.regularization = -1;
      CHECK_CODE(run_sgd(ref, 2, c, m, d, b, &o), Code::Argument);
      SgdModel mb = m;
      mb.bu.pop_back();
      MutVectorView ub{mb.bu.data(), users - 1}, ib{mb.bi.data(), items};
      Status st = ref ? sgd_epoch_ref(c.view(), mmv(mb.p, users, d), mmv(mb.q, items, d), ub, ib, sp, &o)
                      : sgd_epoch_cpu(ctx_threads(2), c.view(), mmv(mb.p, users, d), mmv(mb.q, items, d), ub, ib, sp, &o);
      CHECK_CODE(st, Code::Shape);
      SgdModel mn = m;
      mn.q[c.indices[0] * d] = NAN;
      CHECK_CODE(run_sgd(ref, 2, c, mn, d, sp, &o), Code::NonFinite);
    }
  }
  // BPR.
  {
    BprModel m{random_matrix(users, d, 1, 0.1f), random_matrix(items, d, 2, 0.1f), std::vector<float>(items, 0.0f)};
    BprParams bp;
    BprOut o;
    for (bool ref : {true, false}) {
      Csr unsorted = c;
      std::swap(unsorted.indices[0], unsorted.indices[1]);
      CHECK_CODE(run_bpr(ref, 2, unsorted, m, d, bp, &o), Code::Csr);
      BprParams nv = bp;
      nv.verify_negatives = false;
      BprModel m2 = m;
      CHECK_OK(run_bpr(ref, 2, unsorted, m2, d, nv, &o));  // sorted rows are only needed to verify
      BprParams b = bp;
      b.learning_rate = -1;
      CHECK_CODE(run_bpr(ref, 2, c, m, d, b, &o), Code::Argument);
      b = bp;
      b.regularization = -1;
      CHECK_CODE(run_bpr(ref, 2, c, m, d, b, &o), Code::Argument);
      BprModel mn = m;
      for (auto& v : mn.p) v = NAN;
      CHECK_CODE(run_bpr(ref, 2, c, mn, d, bp, &o), Code::NonFinite);
      BprModel ms = m;
      ms.b.pop_back();
      MutVectorView ib{ms.b.data(), items - 1};
      Status st = ref ? bpr_epoch_ref(c.view(), mmv(ms.p, users, d), mmv(ms.q, items, d), ib, bp, &o)
                      : bpr_epoch_cpu(ctx_threads(2), c.view(), mmv(ms.p, users, d), mmv(ms.q, items, d), ib, bp, &o);
      CHECK_CODE(st, Code::Shape);
    }
  }
  // Transpose of a broken CSR.
  Csr broken = c;
  broken.indices[0] = -1;
  CsrMatrix t;
  CHECK_CODE(transpose_csr(ctx_threads(2), broken.view(), &t), Code::Csr);
}

// Strided views (row stride > cols) give the same results as packed ones.
TEST(factor_strided_views) {
  const int64_t users = 40, items = 30, d = 17, xs = d + 3, ys = d + 5;
  Csr c = random_csr(users, items, 0.2, 91, 1.0f, 5.0f, 0.05);
  std::vector<float> x = random_matrix(users, d, 92, 0.1f), y = random_matrix(items, d, 93, 0.3f);
  std::vector<float> yty = gram(y, items, d);
  auto widen = [](const std::vector<float>& m, int64_t rows, int64_t cols, int64_t stride) {
    std::vector<float> w(rows * stride, NAN);  // padding poisoned: must never be read
    for (int64_t r = 0; r < rows; ++r) std::copy(&m[r * cols], &m[r * cols] + cols, &w[r * stride]);
    return w;
  };
  for (int solver = 0; solver < 2; ++solver) {
    AlsParams p;
    p.solver = solver ? AlsSolver::Cholesky : AlsSolver::CG;
    std::vector<float> xa = x, xw = widen(x, users, d, xs), yw = widen(y, items, d, ys);
    CHECK_OK(als_solve_cpu(ctx_threads(2), c.view(), mv(y, items, d), mv(yty, d, d), mmv(xa, users, d), p));
    CHECK_OK(als_solve_cpu(ctx_threads(2), c.view(), MatrixView{yw.data(), items, d, ys}, mv(yty, d, d),
                           MutMatrixView{xw.data(), users, d, xs}, p));
    for (int64_t u = 0; u < users; ++u)
      for (int64_t j = 0; j < d; ++j) CHECK(xa[u * d + j] == xw[u * xs + j]) << "solver " << solver << " row " << u;
    AlsLossOut la, lw;
    CHECK_OK(als_loss_cpu(ctx_threads(2), c.view(), mv(xa, users, d), mv(y, items, d), AlsLossParams{0.1}, &la));
    CHECK_OK(als_loss_cpu(ctx_threads(2), c.view(), MatrixView{xw.data(), users, d, xs}, MatrixView{yw.data(), items, d, ys},
                          AlsLossParams{0.1}, &lw));
    CHECK_CLOSE(lw.loss, la.loss, 1e-9, 1e-6);
  }
  {
    BprModel a{x, y, std::vector<float>(items, 0.0f)};
    std::vector<float> pw = widen(x, users, d, xs), qw = widen(y, items, d, ys), bw(items, 0.0f);
    BprParams bp;
    bp.seed = 4;
    BprOut oa, ow;
    CHECK_OK(run_bpr(false, 1, c, a, d, bp, &oa));
    CHECK_OK(bpr_epoch_cpu(ctx_threads(1), c.view(), MutMatrixView{pw.data(), users, d, xs},
                           MutMatrixView{qw.data(), items, d, ys}, MutVectorView{bw.data(), items}, bp, &ow));
    CHECK(oa.loss == ow.loss);
    for (int64_t u = 0; u < users; ++u)
      for (int64_t j = 0; j < d; ++j) CHECK(a.p[u * d + j] == pw[u * xs + j]);
  }
  {
    SgdModel a{x, y, std::vector<float>(users, 0.0f), std::vector<float>(items, 0.0f)};
    std::vector<float> pw = widen(x, users, d, xs), qw = widen(y, items, d, ys), bu(users, 0.0f), bi(items, 0.0f);
    SgdParams sp;
    sp.seed = 5;
    SgdOut oa, ow;
    CHECK_OK(run_sgd(false, 1, c, a, d, sp, &oa));
    CHECK_OK(sgd_epoch_cpu(ctx_threads(1), c.view(), MutMatrixView{pw.data(), users, d, xs},
                           MutMatrixView{qw.data(), items, d, ys}, MutVectorView{bu.data(), users},
                           MutVectorView{bi.data(), items}, sp, &ow));
    CHECK(oa.rmse == ow.rmse);
    for (int64_t i = 0; i < items; ++i)
      for (int64_t j = 0; j < d; ++j) CHECK(a.q[i * d + j] == qw[i * ys + j]);
  }
}
