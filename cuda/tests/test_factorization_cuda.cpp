// cuda/tests/test_factorization_cuda.cpp: the CUDA factorisation kernels (cuda/kernels/als_*.cuh,
// sgd.cuh, bpr.cuh; launchers cuda/src/als_solve.cu, als_loss.cu, sgd_epoch.cu, bpr_epoch.cu) run
// under the SIMT emulator and compared with the CPU core (native/core, linked as souk_core).
//   * ALS solve (CG and Cholesky) and ALS loss against als_solve_ref / als_loss_ref on random
//     problems: d in {1, 3, 17, 33, 64, 128 (Cholesky's limit), 200 (CG)}, padded strides, positive,
//     negative and zero confidences, null data (all ones), rows without items, one row, no rows,
//     items without users. Tolerance: float on the device vs double in the reference.
//   * SGD / BPR with chunks = 1: the reference's exact visit order, so P, Q, biases, RMSE / loss,
//     processed and skipped match sgd_epoch_ref / bpr_epoch_ref within float tolerance (correct
//     within a couple of z ~ 0.5 ties). With chunks = T: SGD on a block-diagonal problem whose blocks
//     are the chunks (conflict-free, so the Hogwild result is order-independent) matches
//     sgd_epoch_cpu with T threads; BPR draws exactly bpr_epoch_cpu(T threads)'s samples (skipped
//     and processed equal) and its loss/AUC agree statistically; a few epochs of training on a planted
//     problem lower the loss / raise the AUC like the CPU does (automatic chunking).
//   * Errors: NaN/Inf -> NonFinite, singular system -> Diverged, bad index -> Csr, bad options ->
//     Argument, d too large -> Shape (the core's codes).
// The TSan build (kSlow, thread engine) runs the smallest cases only. main() is test_retrieval_cuda.cpp's.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "simt_test.h"
#include "souk/cuda/factorization.h"
#include "souk/factorization.h"
#include "souk/retrieval.h"
#include "souk/threads.h"

namespace {

using cuda_test::close;
using cuda_test::Dev;
using cuda_test::make_ctx;
using cuda_test::Mat;
using cuda_test::random_mat;
using souk::Code;

// A host CSR with sorted unique column indices per row.
struct Csr {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> indptr{0}, indices;
  std::vector<float> data;  // empty = null (all ones)
  souk::CsrView view(const int32_t* ip, const int32_t* ix, const float* dt) const {
    souk::CsrView v;
    v.indptr = ip;
    v.indices = ix;
    v.data = data.empty() ? nullptr : dt;
    v.rows = rows;
    v.cols = cols;
    v.nnz = (int64_t)indices.size();
    return v;
  }
  souk::CsrView host() const { return view(indptr.data(), indices.data(), data.data()); }
};

// conf: 0 = null data, 1 = positive confidences 1 + 4 u, 2 = mixed (~15 % negative, ~5 % zero).
// Every 5th row is empty.
Csr random_csr(std::mt19937& rng, int64_t rows, int64_t cols, double density, int conf) {
  Csr c;
  c.rows = rows;
  c.cols = cols;
  std::uniform_real_distribution<double> U(0.0, 1.0);
  for (int64_t r = 0; r < rows; ++r) {
    if (r % 5 != 4)
      for (int64_t j = 0; j < cols; ++j)
        if (U(rng) < density) {
          c.indices.push_back((int32_t)j);
          if (conf == 1) c.data.push_back(1.0f + 4.0f * (float)U(rng));
          if (conf == 2) {
            const double t = U(rng);
            c.data.push_back(t < 0.15 ? -(float)(0.5 + 3 * U(rng)) : t < 0.2 ? 0.0f : 1.0f + 4.0f * (float)U(rng));
          }
        }
    c.indptr.push_back((int32_t)c.indices.size());
  }
  return c;
}

// Device copies of a Csr.
struct DevCsr {
  Dev<int32_t> ip, ix;
  Dev<float> dt;
  souk::CsrView v;
  explicit DevCsr(const Csr& c) : ip(c.indptr), ix(c.indices), dt(c.data) { v = c.view(ip.p, ix.p, dt.p); }
};

// max |a - b| over the rows x cols entries, relative to 1 + max |b|.
double rel_err(const std::vector<float>& got, const Mat& ref) {
  double worst = 0, scale = 0;
  for (int64_t r = 0; r < ref.rows; ++r)
    for (int64_t c = 0; c < ref.cols; ++c) {
      const size_t t = (size_t)(r * ref.stride + c);
      worst = std::max(worst, std::fabs((double)got[t] - ref.v[t]));
      scale = std::max(scale, std::fabs((double)ref.v[t]));
    }
  return worst / (1.0 + scale);
}

double vec_err(const std::vector<float>& got, const std::vector<float>& ref) {
  double worst = 0, scale = 0;
  for (size_t t = 0; t < ref.size(); ++t) {
    worst = std::max(worst, std::fabs((double)got[t] - ref[t]));
    scale = std::max(scale, std::fabs((double)ref[t]));
  }
  return worst / (1.0 + scale);
}

// ---- ALS solve ----------------------------------------------------------------------------------
struct AlsCase {
  const char* what;
  int64_t users, items, d;
  double density;
  int conf;
  souk::AlsSolver solver;
  int cg_steps = 3;
  double lambda = 0.1;
  int64_t pad = 0;
};

void als_case(const AlsCase& k, unsigned seed) {
  std::mt19937 rng(seed);
  Csr c = random_csr(rng, k.users, k.items, k.density, k.conf);
  Mat y = random_mat(rng, k.items, k.d, k.pad, 0.5f);
  Mat x = random_mat(rng, k.users, k.d, k.pad ? k.pad + 1 : 0, 0.5f);
  std::vector<float> yty((size_t)(k.d * k.d));
  souk::gram_ref(y.view(y.v.data()), souk::MutMatrixView{yty.data(), k.d, k.d, k.d});
  souk::AlsParams p;
  p.regularization = k.lambda;
  p.solver = k.solver;
  p.cg_steps = k.cg_steps;
  Mat ref = x;
  const souk::MatrixView hyty{yty.data(), k.d, k.d, k.d};
  souk::Status rs = souk::als_solve_ref(c.host(), y.view(y.v.data()), hyty, ref.mut(ref.v.data()), p);
  auto ctx = make_ctx();
  DevCsr dc(c);
  Dev<float> dy(y.v), dg(yty), dx(x.v);
  souk::Status st = souk::cuda::launch_als_solve_cuda(*ctx, dc.v, y.view(dy.p), souk::MatrixView{dg.p, k.d, k.d, k.d},
                                                      x.mut(dx.p), p);
  const std::vector<float> got = dx.get();
  const double err = rs.is_ok() && st.is_ok() ? rel_err(got, ref) : 1e9;
  // Padding columns of X must be untouched.
  bool pad_ok = true;
  for (int64_t r = 0; r < x.rows; ++r)
    for (int64_t t = x.cols; t < x.stride; ++t) pad_ok = pad_ok && got[(size_t)(r * x.stride + t)] == 7.0f;
  // Rows without items are exactly zero.
  bool empty_ok = true;
  for (int64_t r = 0; r < c.rows; ++r)
    if (c.indptr[r] == c.indptr[r + 1])
      for (int64_t t = 0; t < x.cols; ++t) empty_ok = empty_ok && got[(size_t)(r * x.stride + t)] == 0.0f;
  EXPECT(err < 2e-4 && pad_ok && empty_ok, "als %s (%s d %lld): ref '%s' cuda '%s' rel err %.3g pad %d empty %d", k.what,
         k.solver == souk::AlsSolver::CG ? "cg" : "cholesky", (long long)k.d, rs.message().c_str(), st.message().c_str(),
         err, (int)pad_ok, (int)empty_ok);
}

SIMT_TEST(cuda_als_cg_match_ref) {
  const auto CG = souk::AlsSolver::CG;
  std::vector<AlsCase> cases = {
      {"basic mixed conf", 3, 12, 17, 0.4, 2, CG},
      {"one row d=1", 1, 9, 1, 0.5, 1, CG},
      {"no rows", 0, 9, 3, 0.5, 1, CG},
  };
  if (!simt_test::kSlow) {
    cases.push_back({"mixed conf, more rows", 12, 30, 17, 0.25, 2, CG});
    cases.push_back({"null data d=33 pad", 20, 40, 33, 0.2, 0, CG, 3, 0.05, 2});
    cases.push_back({"1 step", 15, 25, 3, 0.3, 1, CG, 1});
    cases.push_back({"10 steps lambda 1", 10, 30, 20, 0.3, 2, CG, 10, 1.0});
    cases.push_back({"d=64 dense rows", 6, 80, 64, 0.6, 1, CG, 3, 0.5});
    cases.push_back({"d=200 (> Cholesky's limit)", 2, 30, 200, 0.5, 1, CG, 2, 0.5});
    cases.push_back({"items without users", 8, 60, 9, 0.05, 2, CG});
  }
  unsigned seed = 500;
  for (const AlsCase& k : cases) als_case(k, seed++);
}

SIMT_TEST(cuda_als_cholesky_match_ref) {
  const auto CH = souk::AlsSolver::Cholesky;
  std::vector<AlsCase> cases = {
      {"basic mixed conf", 3, 12, 17, 0.4, 2, CH},
      {"one row d=1", 1, 9, 1, 0.5, 1, CH},
      {"no rows", 0, 5, 4, 0.5, 1, CH},
  };
  if (!simt_test::kSlow) {
    cases.push_back({"mixed conf, more rows", 10, 30, 17, 0.25, 2, CH});
    cases.push_back({"null data d=33 pad", 14, 40, 33, 0.2, 0, CH, 3, 0.05, 3});
    cases.push_back({"d=5 lambda 0 (well-posed)", 9, 20, 5, 0.6, 1, CH, 3, 0.0});
    cases.push_back({"d=64", 5, 70, 64, 0.5, 2, CH, 3, 0.3});
    cases.push_back({"d=128 (the CUDA limit, > 48 KiB smem)", 2, 60, 128, 0.4, 1, CH, 3, 0.5});
  }
  unsigned seed = 600;
  for (const AlsCase& k : cases) als_case(k, seed++);
}

SIMT_TEST(cuda_als_solve_errors) {
  std::mt19937 rng(3);
  const int64_t users = simt_test::kSlow ? 2 : 6;  // the thread engine starts 128 OS threads per row
  Csr c = random_csr(rng, users, 10, 0.5, 1);
  const int64_t d = 4;
  Mat y = random_mat(rng, 10, d, 0), x = random_mat(rng, users, d, 0);
  std::vector<float> yty((size_t)(d * d));
  souk::gram_ref(y.view(y.v.data()), souk::MutMatrixView{yty.data(), d, d, d});
  auto ctx = make_ctx();
  auto run = [&](const Csr& cc, const Mat& yy, const std::vector<float>& g, const souk::AlsParams& p, int64_t dd = 0) {
    if (dd == 0) dd = d;
    DevCsr dc(cc);
    std::mt19937 xr(9);
    const Mat xx = dd == d ? x : random_mat(xr, x.rows, dd, 0);
    Dev<float> dy(yy.v), dg(g), dx(xx.v);
    return souk::cuda::launch_als_solve_cuda(*ctx, dc.v, yy.view(dy.p), souk::MatrixView{dg.p, dd, dd, dd}, xx.mut(dx.p), p);
  };
  souk::AlsParams p;
  for (auto solver : {souk::AlsSolver::CG, souk::AlsSolver::Cholesky}) {
    p.solver = solver;
    const char* nm = solver == souk::AlsSolver::CG ? "cg" : "cholesky";
    // Inf in an item row a user reads.
    Mat yb = y;
    yb.v[(size_t)(c.indices[0] * yb.stride + 1)] = INFINITY;
    EXPECT(run(c, yb, yty, p).code() == Code::NonFinite, "%s: Inf in Y -> NonFinite", nm);
    // Column index out of range (the contents are the caller's; the kernel stays memory-safe).
    Csr ci = c;
    ci.indices[1] = 10;
    const souk::Status sci = run(ci, y, yty, p);
    EXPECT(sci.code() == Code::Csr, "%s: index = items -> Csr (got '%s')", nm, sci.message().c_str());
    if (simt_test::kSlow) continue;  // the thread engine: the two cases above are enough
    // NaN in YtY (found up front, as the reference does).
    std::vector<float> bad = yty;
    bad[5] = NAN;
    EXPECT(run(c, y, bad, p).code() == Code::NonFinite, "%s: NaN in YtY -> NonFinite", nm);
    // NaN confidence.
    Csr cb = c;
    cb.data[2] = NAN;
    EXPECT(run(cb, y, yty, p).code() == Code::NonFinite, "%s: NaN confidence -> NonFinite", nm);
    Csr cp = c;
    cp.indptr[1] = 1000;
    const souk::Status scp = run(cp, y, yty, p);
    EXPECT(scp.code() == Code::Csr, "%s: indptr beyond nnz -> Csr (got '%s')", nm, scp.message().c_str());
  }
  // Singular system: Y = 0, lambda = 0, confidences 1 -> A = 0: the reference and the device agree.
  Mat y0 = y;
  std::fill(y0.v.begin(), y0.v.end(), 0.0f);
  std::vector<float> g0((size_t)(d * d), 0.0f);
  Csr c1 = c;
  c1.data.clear();
  p.solver = souk::AlsSolver::Cholesky;
  p.regularization = 0.0;
  Mat xr = x;
  const souk::Status rs = souk::als_solve_ref(c1.host(), y0.view(y0.v.data()), souk::MatrixView{g0.data(), d, d, d},
                                              xr.mut(xr.v.data()), p);
  const souk::Status gs = run(c1, y0, g0, p);
  EXPECT(rs.code() == Code::Diverged && gs.code() == Code::Diverged, "singular Cholesky -> Diverged (ref '%s', cuda '%s')",
         rs.message().c_str(), gs.message().c_str());
  // Options and shapes.
  p = souk::AlsParams();
  p.cg_steps = 0;
  EXPECT(run(c, y, yty, p).code() == Code::Argument, "cg_steps 0 -> Argument");
  p = souk::AlsParams();
  p.regularization = -1;
  EXPECT(run(c, y, yty, p).code() == Code::Argument, "lambda < 0 -> Argument");
  p = souk::AlsParams();
  p.solver = souk::AlsSolver::Cholesky;
  const int64_t big = souk::cuda::kCudaMaxCholeskyFactors + 1;
  Mat yl = random_mat(rng, 10, big, 0);
  std::vector<float> gl((size_t)(big * big), 0.0f);
  EXPECT(run(c, yl, gl, p, big).code() == Code::Shape, "Cholesky d = limit + 1 -> Shape");
  p.solver = souk::AlsSolver::CG;
  Mat wrong = y;
  wrong.rows = 9;
  EXPECT(run(c, wrong, yty, p).code() == Code::Shape, "C columns != Y rows -> Shape");
}

// ---- ALS loss -----------------------------------------------------------------------------------
void loss_case(const char* what, int64_t users, int64_t items, int64_t d, double density, int conf, double lambda,
               int64_t pad, unsigned seed) {
  std::mt19937 rng(seed);
  Csr c = random_csr(rng, users, items, density, conf);
  Mat y = random_mat(rng, items, d, pad, 0.7f), x = random_mat(rng, users, d, pad, 0.7f);
  souk::AlsLossParams p;
  p.regularization = lambda;
  souk::AlsLossOut ref, got;
  souk::Status rs = souk::als_loss_ref(c.host(), x.view(x.v.data()), y.view(y.v.data()), p, &ref);
  auto ctx = make_ctx();
  DevCsr dc(c);
  Dev<float> dy(y.v), dx(x.v);
  souk::Status st = souk::cuda::launch_als_loss_cuda(*ctx, dc.v, x.view(dx.p), y.view(dy.p), p, &got);
  const bool ok = rs.is_ok() && st.is_ok() && close(got.loss, ref.loss, 2e-5) &&
                  close(got.numerator, ref.numerator, 2e-5) && close(got.denominator, ref.denominator, 1e-9);
  EXPECT(ok, "als loss %s (d %lld): ref '%s' %.9g (%.9g / %.9g) cuda '%s' %.9g (%.9g / %.9g)", what, (long long)d,
         rs.message().c_str(), ref.loss, ref.numerator, ref.denominator, st.message().c_str(), got.loss, got.numerator,
         got.denominator);
}

SIMT_TEST(cuda_als_loss_match_ref) {
  unsigned seed = 700;
  loss_case("mixed conf", 9, 25, 17, 0.3, 2, 0.1, 0, seed++);
  if (!simt_test::kSlow) {
    loss_case("one row d=1", 1, 7, 1, 0.5, 1, 0.0, 0, seed++);
    loss_case("no rows", 0, 7, 3, 0.5, 1, 0.2, 0, seed++);
    loss_case("null data, padded, many blocks", 41, 30, 33, 0.2, 0, 0.05, 2, seed++);
    loss_case("no items (denominator 0 -> loss 0)", 0, 0, 4, 0.5, 1, 0.1, 0, seed++);
    loss_case("d=130", 9, 20, 130, 0.4, 1, 0.01, 1, seed++);
    loss_case("d=8 sparse", 24, 50, 8, 0.05, 2, 1.0, 0, seed++);
  }
  // NaN in X -> NonFinite; Inf in Y (gram) -> NonFinite; bad lambda -> Argument.
  std::mt19937 rng(8);
  Csr c = random_csr(rng, 5, 6, 0.5, 1);
  Mat y = random_mat(rng, 6, 3, 0), x = random_mat(rng, 5, 3, 0);
  auto ctx = make_ctx();
  DevCsr dc(c);
  souk::AlsLossOut o;
  souk::AlsLossParams p;
  Mat xb = x;
  xb.v[4] = NAN;
  Dev<float> dy(y.v), dxb(xb.v);
  EXPECT(souk::cuda::launch_als_loss_cuda(*ctx, dc.v, xb.view(dxb.p), y.view(dy.p), p, &o).code() == Code::NonFinite,
         "loss: NaN in X -> NonFinite");
  Mat yb = y;
  yb.v[7] = -INFINITY;
  Dev<float> dyb(yb.v), dx(x.v);
  EXPECT(souk::cuda::launch_als_loss_cuda(*ctx, dc.v, x.view(dx.p), yb.view(dyb.p), p, &o).code() == Code::NonFinite,
         "loss: -Inf in Y -> NonFinite");
  p.regularization = NAN;
  EXPECT(souk::cuda::launch_als_loss_cuda(*ctx, dc.v, x.view(dx.p), y.view(dy.p), p, &o).code() == Code::Argument,
         "loss: NaN lambda -> Argument");
  p.regularization = 0.1;
  EXPECT(souk::cuda::launch_als_loss_cuda(*ctx, dc.v, x.view(dx.p), y.view(dy.p), p, nullptr).code() == Code::Argument,
         "loss: null out -> Argument");
}

// ---- SGD ----------------------------------------------------------------------------------------
struct Factors {
  Mat p, q;
  std::vector<float> ub, ib;
};

Factors random_factors(std::mt19937& rng, int64_t users, int64_t items, int64_t d, int64_t pad) {
  Factors f;
  f.p = random_mat(rng, users, d, pad, 0.1f);
  f.q = random_mat(rng, items, d, pad ? pad + 1 : 0, 0.1f);
  std::uniform_real_distribution<float> U(-0.1f, 0.1f);
  f.ub.resize((size_t)users);
  f.ib.resize((size_t)items);
  for (float& v : f.ub) v = U(rng);
  for (float& v : f.ib) v = U(rng);
  return f;
}

// Ratings in [1, 5] (explicit) on a random CSR; null data when `ones`.
Csr random_ratings(std::mt19937& rng, int64_t users, int64_t items, double density, bool ones) {
  Csr c = random_csr(rng, users, items, density, ones ? 0 : 1);
  for (float& v : c.data) v = std::round(v);  // 1 + 4u rounded: 1..5
  return c;
}

// Runs the device epoch on copies of f; returns the status and leaves the results in f.
souk::Status sgd_cuda(souk::cuda::CudaContext& ctx, const Csr& c, Factors& f, const souk::SgdParams& sp, int64_t chunks,
                      souk::SgdOut* out) {
  DevCsr dc(c);
  Dev<float> dp(f.p.v), dq(f.q.v), dub(f.ub), dib(f.ib);
  souk::Status st = souk::cuda::launch_sgd_epoch_cuda(ctx, dc.v, f.p.mut(dp.p), f.q.mut(dq.p),
                                                      souk::MutVectorView{dub.p, (int64_t)f.ub.size()},
                                                      souk::MutVectorView{dib.p, (int64_t)f.ib.size()}, sp, out, chunks);
  f.p.v = dp.get();
  f.q.v = dq.get();
  f.ub = dub.get();
  f.ib = dib.get();
  return st;
}

souk::Status sgd_host(const souk::ExecContext* ex, const Csr& c, Factors& f, const souk::SgdParams& sp, souk::SgdOut* out) {
  const souk::MutVectorView ub{f.ub.data(), (int64_t)f.ub.size()}, ib{f.ib.data(), (int64_t)f.ib.size()};
  if (!ex) return souk::sgd_epoch_ref(c.host(), f.p.mut(f.p.v.data()), f.q.mut(f.q.v.data()), ub, ib, sp, out);
  return souk::sgd_epoch_cpu(*ex, c.host(), f.p.mut(f.p.v.data()), f.q.mut(f.q.v.data()), ub, ib, sp, out);
}

double factors_err(const Factors& a, const Factors& b) {
  return std::max({rel_err(a.p.v, b.p), rel_err(a.q.v, b.q), vec_err(a.ub, b.ub), vec_err(a.ib, b.ib)});
}

void sgd_single_chunk_case(const char* what, int64_t users, int64_t items, int64_t d, double density, bool ones,
                           int64_t pad, unsigned seed) {
  std::mt19937 rng(seed);
  Csr c = random_ratings(rng, users, items, density, ones);
  Factors f = random_factors(rng, users, items, d, pad), g = f;
  souk::SgdParams sp;
  sp.learning_rate = 0.02;
  sp.regularization = 0.05;
  sp.global_mean = ones ? 0.5 : 3.0;
  sp.seed = 11 + seed;
  souk::SgdOut ro, go;
  souk::Status rs = sgd_host(nullptr, c, f, sp, &ro);
  auto ctx = make_ctx();
  souk::Status st = sgd_cuda(*ctx, c, g, sp, 1, &go);
  const double err = factors_err(g, f);
  EXPECT(rs.is_ok() && st.is_ok() && err < 1e-5 && close(go.rmse, ro.rmse, 1e-5) && go.samples == ro.samples,
         "sgd chunks=1 %s: ref '%s' rmse %.9g cuda '%s' rmse %.9g samples %lld/%lld err %.3g", what, rs.message().c_str(),
         ro.rmse, st.message().c_str(), go.rmse, (long long)go.samples, (long long)ro.samples, err);
}

SIMT_TEST(cuda_sgd_epoch_single_chunk_matches_ref) {
  unsigned seed = 800;
  sgd_single_chunk_case("basic d=17", 9, 14, 17, 0.4, false, 0, seed++);
  sgd_single_chunk_case("one user d=1", 1, 6, 1, 0.9, false, 0, seed++);
  if (!simt_test::kSlow) {
    sgd_single_chunk_case("null data, padded d=40", 20, 25, 40, 0.2, true, 3, seed++);
    sgd_single_chunk_case("d=3", 30, 40, 3, 0.15, false, 1, seed++);
  }
  // Empty ratings: nothing to do, RMSE 0, samples 0.
  std::mt19937 rng(1);
  Csr empty = random_ratings(rng, 4, 5, 0.0, false);
  Factors f = random_factors(rng, 4, 5, 3, 0), g = f;
  auto ctx = make_ctx();
  souk::SgdOut o;
  o.rmse = 9;
  souk::Status st = sgd_cuda(*ctx, empty, g, souk::SgdParams(), 0, &o);
  EXPECT(st.is_ok() && o.rmse == 0 && o.samples == 0 && factors_err(g, f) == 0, "sgd: empty ratings -> no-op ('%s')",
         st.message().c_str());
}

// Block-diagonal ratings: T blocks of `per` users x `per` items with exactly `per * per / 2` ratings
// each (every other cell), so the chunks of the T-chunk split are the blocks and never share a row.
Csr block_diagonal(int64_t T, int64_t per) {
  Csr c;
  c.rows = c.cols = T * per;
  for (int64_t b = 0; b < T; ++b)
    for (int64_t u = 0; u < per; ++u) {
      for (int64_t j = 0; j < per; ++j)
        if ((u + j) % 2 == 0) {
          c.indices.push_back((int32_t)(b * per + j));
          c.data.push_back((float)(1 + (u * 7 + j * 3 + b) % 5));
        }
      c.indptr.push_back((int32_t)c.indices.size());
    }
  return c;
}

SIMT_TEST(cuda_sgd_epoch_chunks_match_cpu_threads) {
  if (simt_test::kSlow) return;  // the CPU pool's threads + the thread engine: too slow for TSan here
  const int64_t T = 3, per = 6, d = 9;
  Csr c = block_diagonal(T, per);
  std::mt19937 rng(5);
  Factors f = random_factors(rng, c.rows, c.cols, d, 1), g = f;
  souk::SgdParams sp;
  sp.learning_rate = 0.03;
  sp.regularization = 0.02;
  sp.global_mean = 3.0;
  sp.seed = 99;
  souk::ThreadPool pool((int)T - 1);
  souk::ExecContext ex{&pool, (int)T};
  souk::SgdOut co, go;
  souk::Status cs = sgd_host(&ex, c, f, sp, &co);
  auto ctx = make_ctx();
  souk::Status gs = sgd_cuda(*ctx, c, g, sp, T, &go);
  const double err = factors_err(g, f);
  EXPECT(cs.is_ok() && gs.is_ok() && err < 1e-5 && close(go.rmse, co.rmse, 1e-5),
         "sgd chunks=%lld vs cpu %lld threads (conflict-free): cpu '%s' rmse %.9g cuda '%s' rmse %.9g err %.3g",
         (long long)T, (long long)T, cs.message().c_str(), co.rmse, gs.message().c_str(), go.rmse, err);
}

// A planted low-rank rating problem; RMSE over a few epochs, device (automatic chunks) vs CPU ref.
SIMT_TEST(cuda_sgd_training_tracks_cpu) {
  const int64_t users = simt_test::kSlow ? 12 : 30, items = simt_test::kSlow ? 10 : 25, d = 4;
  const int epochs = simt_test::kSlow ? 2 : 6;
  std::mt19937 rng(17);
  Mat pu = random_mat(rng, users, 2, 0), qi = random_mat(rng, items, 2, 0);
  Csr c;
  c.rows = users;
  c.cols = items;
  std::uniform_real_distribution<double> U(0, 1);
  for (int64_t u = 0; u < users; ++u) {
    for (int64_t j = 0; j < items; ++j)
      if (U(rng) < 0.35) {
        const double r = 3.0 + 1.5 * (pu.v[(size_t)(u * 2)] * qi.v[(size_t)(j * 2)] + pu.v[(size_t)(u * 2 + 1)] * qi.v[(size_t)(j * 2 + 1)]);
        c.indices.push_back((int32_t)j);
        c.data.push_back((float)r);
      }
    c.indptr.push_back((int32_t)c.indices.size());
  }
  Factors f = random_factors(rng, users, items, d, 0), g = f;
  souk::SgdParams sp;
  sp.learning_rate = 0.05;
  sp.regularization = 0.01;
  sp.global_mean = 3.0;
  auto ctx = make_ctx();
  double first_c = 0, first_g = 0, last_c = 0, last_g = 0;
  bool ok = true;
  for (int e = 0; e < epochs; ++e) {
    sp.seed = 1000 + (uint64_t)e;
    souk::SgdOut co, go;
    ok = ok && sgd_host(nullptr, c, f, sp, &co).is_ok();
    ok = ok && sgd_cuda(*ctx, c, g, sp, simt_test::kSlow ? 2 : 0, &go).is_ok();
    if (e == 0) first_c = co.rmse, first_g = go.rmse;
    last_c = co.rmse;
    last_g = go.rmse;
  }
  EXPECT(ok && last_g < first_g && last_c < first_c && std::fabs(last_g - last_c) < 0.05 * last_c + 0.01,
         "sgd training: cpu rmse %.4f -> %.4f, cuda %.4f -> %.4f", first_c, last_c, first_g, last_g);
}

SIMT_TEST(cuda_sgd_epoch_errors) {
  std::mt19937 rng(2);
  Csr c = random_ratings(rng, 5, 6, 0.5, false);
  Factors f = random_factors(rng, 5, 6, 3, 0);
  auto ctx = make_ctx();
  souk::SgdOut o;
  souk::SgdParams sp;
  Factors g = f;
  std::fill(g.p.v.begin(), g.p.v.end(), NAN);
  EXPECT(sgd_cuda(*ctx, c, g, sp, 1, &o).code() == Code::NonFinite, "sgd: NaN in P -> NonFinite");
  g = f;
  Csr cb = c;
  cb.data[3] = INFINITY;
  EXPECT(sgd_cuda(*ctx, cb, g, sp, 2, &o).code() == Code::NonFinite, "sgd: Inf rating -> NonFinite");
  g = f;
  sp.learning_rate = 0;
  EXPECT(sgd_cuda(*ctx, c, g, sp, 0, &o).code() == Code::Argument, "sgd: learning rate 0 -> Argument");
  sp = souk::SgdParams();
  sp.global_mean = INFINITY;
  EXPECT(sgd_cuda(*ctx, c, g, sp, 0, &o).code() == Code::Argument, "sgd: Inf global mean -> Argument");
  sp = souk::SgdParams();
  EXPECT(sgd_cuda(*ctx, c, g, sp, -1, &o).code() == Code::Argument, "sgd: chunks -1 -> Argument");
  Csr ci = c;
  ci.indices.back() = 6;
  EXPECT(sgd_cuda(*ctx, ci, g, sp, 1, &o).code() == Code::Csr, "sgd: item index = items -> Csr");
  Factors wrong = f;
  wrong.ub.pop_back();
  EXPECT(sgd_cuda(*ctx, c, wrong, sp, 1, &o).code() == Code::Shape, "sgd: short user bias -> Shape");
  g = f;
  g.ib.assign(g.ib.size(), -INFINITY);
  EXPECT(sgd_cuda(*ctx, c, g, sp, 3, &o).code() == Code::NonFinite, "sgd: -Inf item bias, 3 chunks -> NonFinite");
}

// ---- BPR ----------------------------------------------------------------------------------------
souk::Status bpr_cuda(souk::cuda::CudaContext& ctx, const Csr& c, Factors& f, const souk::BprParams& bp, int64_t chunks,
                      souk::BprOut* out) {
  DevCsr dc(c);
  Dev<float> dp(f.p.v), dq(f.q.v), dib(f.ib);
  souk::Status st = souk::cuda::launch_bpr_epoch_cuda(ctx, dc.v, f.p.mut(dp.p), f.q.mut(dq.p),
                                                      souk::MutVectorView{dib.p, (int64_t)f.ib.size()}, bp, out, chunks);
  f.p.v = dp.get();
  f.q.v = dq.get();
  f.ib = dib.get();
  return st;
}

souk::Status bpr_host(const souk::ExecContext* ex, const Csr& c, Factors& f, const souk::BprParams& bp, souk::BprOut* out) {
  const souk::MutVectorView ib{f.ib.data(), (int64_t)f.ib.size()};
  if (!ex) return souk::bpr_epoch_ref(c.host(), f.p.mut(f.p.v.data()), f.q.mut(f.q.v.data()), ib, bp, out);
  return souk::bpr_epoch_cpu(*ex, c.host(), f.p.mut(f.p.v.data()), f.q.mut(f.q.v.data()), ib, bp, out);
}

void bpr_single_chunk_case(const char* what, int64_t users, int64_t items, int64_t d, double density, bool verify,
                           souk::BprNegatives neg, int64_t samples, int64_t pad, unsigned seed) {
  std::mt19937 rng(seed);
  Csr c = random_csr(rng, users, items, density, 0);
  Factors f = random_factors(rng, users, items, d, pad), g = f;
  g.ub = f.ub = {};
  souk::BprParams bp;
  bp.learning_rate = 0.05;
  bp.regularization = 0.01;
  bp.samples = samples;
  bp.seed = 21 + seed;
  bp.verify_negatives = verify;
  bp.negatives = neg;
  souk::BprOut ro, go;
  souk::Status rs = bpr_host(nullptr, c, f, bp, &ro);
  auto ctx = make_ctx();
  souk::Status st = bpr_cuda(*ctx, c, g, bp, 1, &go);
  const double err = factors_err(g, f);
  const bool ok = rs.is_ok() && st.is_ok() && err < 1e-5 && close(go.loss, ro.loss, 1e-5) && go.processed == ro.processed &&
                  go.skipped == ro.skipped && std::llabs(go.correct - ro.correct) <= 2;
  EXPECT(ok, "bpr chunks=1 %s: ref '%s' loss %.9g p/s/c %lld/%lld/%lld, cuda '%s' loss %.9g p/s/c %lld/%lld/%lld err %.3g",
         what, rs.message().c_str(), ro.loss, (long long)ro.processed, (long long)ro.skipped, (long long)ro.correct,
         st.message().c_str(), go.loss, (long long)go.processed, (long long)go.skipped, (long long)go.correct, err);
}

SIMT_TEST(cuda_bpr_epoch_single_chunk_matches_ref) {
  const auto POP = souk::BprNegatives::Popularity, UNI = souk::BprNegatives::Uniform;
  unsigned seed = 900;
  bpr_single_chunk_case("popularity verify d=17", 8, 12, 17, 0.4, true, POP, 0, 0, seed++);
  bpr_single_chunk_case("one user, uniform", 1, 5, 3, 0.6, true, UNI, 30, 0, seed++);
  if (!simt_test::kSlow) {
    bpr_single_chunk_case("no verification (j may equal i)", 10, 8, 5, 0.5, false, POP, 0, 0, seed++);
    bpr_single_chunk_case("uniform, padded d=40, 2 nnz samples", 15, 20, 40, 0.3, true, UNI, 0, 2, seed++);
    bpr_single_chunk_case("dense rows: many skips", 6, 7, 1, 0.9, true, POP, 200, 0, seed++);
  }
  // samples = 0 with nnz = 0: nothing happens.
  std::mt19937 rng(4);
  Csr empty = random_csr(rng, 3, 4, 0.0, 0);
  Factors f = random_factors(rng, 3, 4, 2, 0), g = f;
  auto ctx = make_ctx();
  souk::BprOut o;
  o.loss = 5;
  souk::Status st = bpr_cuda(*ctx, empty, g, souk::BprParams(), 0, &o);
  EXPECT(st.is_ok() && o.loss == 0 && o.processed == 0 && o.skipped == 0 && factors_err(g, f) == 0,
         "bpr: empty C -> no-op ('%s')", st.message().c_str());
}

SIMT_TEST(cuda_bpr_epoch_chunks_draw_cpu_samples) {
  if (simt_test::kSlow) return;  // the CPU pool's threads + the thread engine: too slow for TSan here
  const int64_t T = 4;
  std::mt19937 rng(31);
  Csr c = random_csr(rng, 30, 40, 0.2, 0);
  Factors f = random_factors(rng, 30, 40, 8, 0), g = f;
  souk::BprParams bp;
  bp.learning_rate = 0.05;
  bp.samples = 3 * (int64_t)c.indices.size();
  bp.seed = 77;
  souk::ThreadPool pool((int)T - 1);
  souk::ExecContext ex{&pool, (int)T};
  souk::BprOut co, go;
  souk::Status cs = bpr_host(&ex, c, f, bp, &co);
  auto ctx = make_ctx();
  souk::Status gs = bpr_cuda(*ctx, c, g, bp, T, &go);
  // The draws depend only on (seed, chunk): the same skips; the Hogwild interleaving differs, so
  // the loss and AUC agree statistically.
  const double auc_c = (double)co.correct / (double)co.processed, auc_g = (double)go.correct / (double)go.processed;
  EXPECT(cs.is_ok() && gs.is_ok() && go.skipped == co.skipped && go.processed == co.processed &&
             std::fabs(go.loss - co.loss) < 0.02 * co.loss && std::fabs(auc_g - auc_c) < 0.05,
         "bpr chunks=%lld vs cpu: skipped %lld/%lld processed %lld/%lld loss %.6f/%.6f auc %.4f/%.4f ('%s' '%s')",
         (long long)T, (long long)go.skipped, (long long)co.skipped, (long long)go.processed, (long long)co.processed,
         go.loss, co.loss, auc_g, auc_c, gs.message().c_str(), cs.message().c_str());
}

// Two taste groups (users 2k like even items, 2k+1 odd items): a few epochs on the device (automatic
// chunks) and with the reference lower the loss and raise the train AUC alike.
SIMT_TEST(cuda_bpr_training_tracks_cpu) {
  const int64_t users = simt_test::kSlow ? 8 : 40, items = simt_test::kSlow ? 10 : 30, d = 8;
  const int epochs = simt_test::kSlow ? 2 : 10;
  std::mt19937 rng(23);
  Csr c;
  c.rows = users;
  c.cols = items;
  std::uniform_real_distribution<double> U(0, 1);
  for (int64_t u = 0; u < users; ++u) {
    for (int64_t j = 0; j < items; ++j)
      if ((j % 2) == (u % 2) && U(rng) < 0.5) c.indices.push_back((int32_t)j);
    c.indptr.push_back((int32_t)c.indices.size());
  }
  Factors f = random_factors(rng, users, items, d, 0), g = f;
  souk::BprParams bp;
  bp.learning_rate = 0.1;
  bp.regularization = 0.005;
  auto ctx = make_ctx();
  double lc0 = 0, lg0 = 0, lc = 0, lg = 0, ac = 0, ag = 0;
  bool ok = true;
  for (int e = 0; e < epochs; ++e) {
    bp.seed = 50 + (uint64_t)e;
    souk::BprOut co, go;
    ok = ok && bpr_host(nullptr, c, f, bp, &co).is_ok();
    ok = ok && bpr_cuda(*ctx, c, g, bp, simt_test::kSlow ? 2 : 0, &go).is_ok();
    if (e == 0) lc0 = co.loss, lg0 = go.loss;
    lc = co.loss;
    lg = go.loss;
    ac = (double)co.correct / (double)std::max<int64_t>(1, co.processed);
    ag = (double)go.correct / (double)std::max<int64_t>(1, go.processed);
  }
  const bool learned = simt_test::kSlow || (lg < lg0 && lc < lc0 && ag > 0.6 && std::fabs(ag - ac) < 0.1 &&
                                            std::fabs(lg - lc) < 0.1 * lc);
  EXPECT(ok && learned, "bpr training: cpu loss %.4f -> %.4f auc %.3f, cuda loss %.4f -> %.4f auc %.3f", lc0, lc, ac, lg0,
         lg, ag);
}

SIMT_TEST(cuda_bpr_epoch_errors) {
  std::mt19937 rng(6);
  Csr c = random_csr(rng, 6, 8, 0.5, 0);
  Factors f = random_factors(rng, 6, 8, 4, 0);
  auto ctx = make_ctx();
  souk::BprOut o;
  souk::BprParams bp;
  Factors g = f;
  std::fill(g.q.v.begin(), g.q.v.end(), NAN);
  EXPECT(bpr_cuda(*ctx, c, g, bp, 2, &o).code() == Code::NonFinite, "bpr: NaN in Q -> NonFinite");
  g = f;
  g.ib.assign(g.ib.size(), INFINITY);
  EXPECT(bpr_cuda(*ctx, c, g, bp, 1, &o).code() == Code::NonFinite, "bpr: Inf item bias -> NonFinite");
  g = f;
  bp.negatives = static_cast<souk::BprNegatives>(7);
  EXPECT(bpr_cuda(*ctx, c, g, bp, 1, &o).code() == Code::Argument, "bpr: negatives 7 -> Argument");
  bp = souk::BprParams();
  bp.regularization = -0.5;
  EXPECT(bpr_cuda(*ctx, c, g, bp, 1, &o).code() == Code::Argument, "bpr: regularization < 0 -> Argument");
  bp = souk::BprParams();
  Csr empty = random_csr(rng, 6, 8, 0.0, 0);
  bp.samples = 10;
  EXPECT(bpr_cuda(*ctx, empty, g, bp, 1, &o).code() == Code::Argument, "bpr: samples > 0 with nnz 0 -> Argument");
  bp = souk::BprParams();
  Csr ci = c;
  ci.indices[0] = -3;
  EXPECT(bpr_cuda(*ctx, ci, g, bp, 1, &o).code() == Code::Csr, "bpr: negative index -> Csr");
  Factors wrong = f;
  wrong.q.cols = 3;
  EXPECT(bpr_cuda(*ctx, c, wrong, bp, 1, &o).code() == Code::Shape, "bpr: Q with another d -> Shape");
  EXPECT(bpr_cuda(*ctx, c, g, bp, 1, nullptr).code() == Code::Argument, "bpr: null out -> Argument");
}

}  // namespace
