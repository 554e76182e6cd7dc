// Kernels I (retrieval.h): every *_cpu op against its *_ref oracle, over every ISA level this CPU
// has (set_isa_limit), thread counts 1, 2, 3 and both top-K threading modes (item split / query
// split), on random inputs with a printed seed (override: SOUK_TEST_SEED), odd shapes, filters,
// ties, poisoned outputs, NaN/Inf inputs and every argument error code.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../core/src/retrieval/internal.h"
#include "harness.h"
#include "souk/isa.h"
#include "souk/retrieval.h"
#include "souk/rng.h"

using namespace souk;

namespace {

constexpr int32_t kSentinel = 0x5A5A5A5A;
const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

uint64_t base_seed() {
  static uint64_t s = [] {
    const char* e = std::getenv("SOUK_TEST_SEED");
    uint64_t v = e ? std::strtoull(e, nullptr, 10) : std::random_device{}();
    std::printf("  test_retrieval seed: %llu (set SOUK_TEST_SEED to reproduce)\n", static_cast<unsigned long long>(v));
    return v;
  }();
  return s;
}

struct Mat {
  std::vector<float> v;
  int64_t rows = 0, cols = 0, stride = 0;
  MatrixView view() const { return MatrixView{v.data(), rows, cols, stride}; }
  float& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * stride + c)]; }
};

// Random matrix; entries uniform in [-scale, scale] (or small integers when `ints`), with a few
// padding floats per row (stride > cols) filled with NaN to catch reads past cols.
Mat rand_mat(std::mt19937_64& g, int64_t rows, int64_t cols, float scale, bool ints = false, int pad = 3) {
  Mat m;
  m.rows = rows;
  m.cols = cols;
  m.stride = cols + pad;
  m.v.assign(static_cast<size_t>(std::max<int64_t>(rows * m.stride, 1)), kNaN);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::uniform_int_distribution<int> ui(-2, 2);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m.at(r, c) = ints ? static_cast<float>(ui(g)) : u(g);
  return m;
}

struct Csr {
  std::vector<int32_t> indptr{0}, indices;
  int64_t rows = 0, cols = 0;
  CsrView view() const {
    CsrView c;
    c.indptr = indptr.data();
    c.indices = indices.data();
    c.rows = rows;
    c.cols = cols;
    c.nnz = static_cast<int64_t>(indices.size());
    return c;
  }
  bool has(int64_t r, int32_t j) const {
    for (int32_t t = indptr[r]; t < indptr[r + 1]; ++t)
      if (indices[t] == j) return true;
    return false;
  }
};

// Each row: a random subset (prob p) of [0, cols), sorted unless `shuffle`; `dups` repeats some.
Csr rand_csr(std::mt19937_64& g, int64_t rows, int64_t cols, double p, bool shuffle = false, bool dups = false) {
  Csr c;
  c.rows = rows;
  c.cols = cols;
  std::bernoulli_distribution b(p), half(0.5);
  std::uniform_int_distribution<int> kind(0, 5);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int32_t> row;
    const int kd = kind(g);
    for (int64_t j = 0; j < cols; ++j) {
      const bool take = kd == 0 ? false : kd == 1 ? true : b(g);  // empty rows and full rows too
      if (take) row.push_back(static_cast<int32_t>(j));
    }
    if (dups && !row.empty()) {
      const size_t nd = row.size() / 3 + 1;
      for (size_t t = 0; t < nd; ++t) row.push_back(row[t % row.size()]);
    }
    if (shuffle) std::shuffle(row.begin(), row.end(), g);
    c.indices.insert(c.indices.end(), row.begin(), row.end());
    c.indptr.push_back(static_cast<int32_t>(c.indices.size()));
  }
  return c;
}

struct Bits {
  std::vector<uint8_t> bytes;
  int64_t n = 0;
  BitsetView view() const { return BitsetView{bytes.data(), n}; }
  bool test(int64_t i) const { return (bytes[i >> 3] >> (i & 7)) & 1; }
};
Bits rand_bits(std::mt19937_64& g, int64_t n, double p) {
  Bits b;
  b.n = n;
  b.bytes.assign(static_cast<size_t>((n + 7) / 8), 0);
  std::bernoulli_distribution d(p);
  for (int64_t i = 0; i < n; ++i)
    if (d(g)) b.bytes[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  // Garbage in the unused high bits of the last byte must be ignored.
  if (n % 8) b.bytes.back() |= static_cast<uint8_t>(0xFFu << (n % 8));
  return b;
}

struct Res {
  std::vector<int32_t> idx, cnt;
  std::vector<float> sc, probs, logz;
  int64_t m = 0, k = 0;
  Res(int64_t m_, int64_t k_) : m(m_), k(k_) {
    idx.assign(static_cast<size_t>(std::max<int64_t>(m * k, 1)), kSentinel);
    sc.assign(static_cast<size_t>(std::max<int64_t>(m * k, 1)), kNaN);
    cnt.assign(static_cast<size_t>(std::max<int64_t>(m, 1)), kSentinel);
    probs.assign(static_cast<size_t>(std::max<int64_t>(m * k, 1)), kNaN);
    logz.assign(static_cast<size_t>(std::max<int64_t>(m, 1)), kNaN);
  }
  TopKOut out() { return TopKOut{idx.data(), sc.data(), cnt.data(), m, k}; }
  SoftmaxOut sm() { return SoftmaxOut{probs.data(), logz.data()}; }
};

double dot_d(const Mat& q, int64_t r, const Mat& it, int64_t j) {
  double s = 0;
  for (int64_t t = 0; t < q.cols; ++t) s += static_cast<double>(q.v[r * q.stride + t]) * it.v[j * it.stride + t];
  return s;
}

struct Filters {
  const Csr* exclude = nullptr;
  const Bits* allow = nullptr;
  const Csr* cand = nullptr;
  bool admissible(int64_t r, int32_t j) const {
    if (exclude && exclude->has(r, j)) return false;
    if (allow && !allow->test(j)) return false;
    if (cand && !cand->has(r, j)) return false;
    return true;
  }
};

// Tie-aware top-K comparison. key(r, t, res) gives the ordering key of entry t (score, or the
// Gumbel key); tol bounds |cpu key - ref key|.
template <class KeyFn>
void compare_rows(const Res& cpu, const Res& ref, const Mat& q, const Mat& it, const Filters& f, double tol,
                  KeyFn key, const std::string& ctx, bool softmax, double temp = 1.0) {
  int reported = 0;
  auto report = [&](const std::string& what) {
    if (reported++ < 3) CHECK(false) << ctx << ": " << what;
  };
  const int64_t k = cpu.k;
  for (int64_t r = 0; r < cpu.m; ++r) {
    const int32_t c = cpu.cnt[r];
    if (c != ref.cnt[r]) {
      report("row " + std::to_string(r) + " count " + std::to_string(c) + " vs ref " + std::to_string(ref.cnt[r]));
      continue;
    }
    std::set<int32_t> seen;
    for (int64_t t = 0; t < k; ++t) {
      const int32_t j = cpu.idx[r * k + t];
      const float s = cpu.sc[r * k + t];
      if (t >= c) {
        if (j != -1 || !(std::isinf(s) && s < 0)) report("row " + std::to_string(r) + " bad padding at " + std::to_string(t));
        if (softmax && cpu.probs[r * k + t] != 0.0f) report("padding prob not 0");
        continue;
      }
      if (j < 0 || j >= it.rows) { report("index out of range " + std::to_string(j)); continue; }
      if (!seen.insert(j).second) report("duplicate index " + std::to_string(j) + " in row " + std::to_string(r));
      if (!f.admissible(r, j)) report("inadmissible index " + std::to_string(j) + " in row " + std::to_string(r));
      const double exact = dot_d(q, r, it, j);
      if (!(std::fabs(s - exact) <= tol * (1 + std::fabs(exact))))
        report("score of index " + std::to_string(j) + " is " + std::to_string(s) + ", its dot is " + std::to_string(exact));
      const double kc = key(r, t, cpu), kr = key(r, t, ref);
      if (!(std::fabs(kc - kr) <= tol * (1 + std::fabs(kr))))
        report("row " + std::to_string(r) + " pos " + std::to_string(t) + " key " + std::to_string(kc) + " vs ref " + std::to_string(kr));
      // Indices must agree where the ref key is separated from its neighbours by more than tol.
      const double sep = 2 * tol * (1 + std::fabs(kr));
      bool separated = true;
      if (t > 0 && std::fabs(key(r, t - 1, ref) - kr) <= sep) separated = false;
      if (t + 1 < ref.cnt[r] && std::fabs(key(r, t + 1, ref) - kr) <= sep) separated = false;
      if (t + 1 == ref.cnt[r] && ref.cnt[r] == k) separated = false;  // the (k+1)-th is unknown
      if (separated && j != ref.idx[r * k + t])
        report("row " + std::to_string(r) + " pos " + std::to_string(t) + " index " + std::to_string(j) + " vs ref " +
               std::to_string(ref.idx[r * k + t]));
      // Order: keys descending, exact ties by ascending index.
      if (t > 0) {
        const double kp = key(r, t - 1, cpu);
        if (kp < kc || (kp == kc && cpu.idx[r * k + t - 1] > j)) report("row " + std::to_string(r) + " out of order at " + std::to_string(t));
      }
      if (softmax) {
        // Positionwise when the same item is there; otherwise through the item's own score.
        const float p = cpu.probs[r * k + t];
        const double pr = j == ref.idx[r * k + t] ? static_cast<double>(ref.probs[r * k + t])
                                                   : std::exp(exact / temp - static_cast<double>(ref.logz[r]));
        const double rt = std::max(2e-4, 2 * tol);
        if (!(std::fabs(p - pr) <= 1e-7 + rt * pr)) report("prob " + std::to_string(p) + " vs ref " + std::to_string(pr));
      }
    }
    if (softmax) {
      const float lz = cpu.logz[r], lr = ref.logz[r];
      if (std::isinf(lr) ? lz != lr : !(std::fabs(lz - lr) <= std::max(1e-5, tol) * (1 + std::fabs(lr))))
        report("row " + std::to_string(r) + " logZ " + std::to_string(lz) + " vs ref " + std::to_string(lr));
    }
  }
}

std::vector<Isa> isas() {
  std::vector<Isa> v{Isa::Scalar};
  if (detected_isa() >= Isa::Avx2) v.push_back(Isa::Avx2);
  if (detected_isa() >= Isa::Avx512) v.push_back(Isa::Avx512);
  return v;
}

// Runs fn(ctx, label) for every ISA x threads {1,2,3} x top-K mode; restores the ISA limit.
template <class Fn>
void for_each_config(ThreadPool& pool, Fn fn, bool both_modes = true) {
  const Isa saved = active_isa();
  for (Isa isa : isas()) {
    set_isa_limit(isa);
    for (int th : {1, 2, 3}) {
      for (int mode = 0; mode < (both_modes ? 2 : 1); ++mode) {
        retrieval::set_topk_item_split_budget(mode == 0 ? -1 : 0);
        ExecContext ctx{&pool, th};
        fn(ctx, std::string(isa_name(isa)) + "/t" + std::to_string(th) + (mode ? "/qsplit" : "/isplit"));
      }
    }
  }
  retrieval::set_topk_item_split_budget(-1);
  set_isa_limit(saved);
}

struct Case {
  int64_t m, n, d, k;
  bool excl, allow, cand, ints;
};

std::string case_name(const Case& c) {
  return "m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) + " d=" + std::to_string(c.d) +
         " k=" + std::to_string(c.k) + (c.excl ? " exclude" : "") + (c.allow ? " allow" : "") +
         (c.cand ? " candidates" : "") + (c.ints ? " ints" : "");
}

std::vector<Case> random_cases(std::mt19937_64& g, int count, bool with_cand) {
  const int64_t ds[] = {1, 3, 17, 33, 127, 257};
  const int64_t ns[] = {1, 5, 31, 37, 100, 333, 1201, 2900};
  const int64_t ms[] = {1, 2, 7, 13, 29, 40};
  std::vector<Case> v;
  for (int t = 0; t < count; ++t) {
    Case c;
    c.d = ds[g() % 6];
    c.n = ns[g() % 8];
    c.m = ms[g() % 6];
    if (c.n * c.d > 400000) c.n = 400000 / c.d;
    const int kk = static_cast<int>(g() % 5);
    c.k = kk == 0 ? 1 : kk == 1 ? c.n : kk == 2 ? c.n + 3 : kk == 3 ? 10 : 1 + static_cast<int64_t>(g() % 40);
    c.k = std::min<int64_t>(std::max<int64_t>(c.k, 1), kMaxK);
    c.excl = g() % 2;
    c.allow = g() % 3 == 0;
    c.cand = with_cand && g() % 3 == 0;
    c.ints = g() % 4 == 0;
    v.push_back(c);
  }
  return v;
}

}  // namespace

TEST(retrieval_topk_matches_ref) {
  std::mt19937_64 g(base_seed() + 1);
  ThreadPool pool(2);
  auto cases = random_cases(g, 36, true);
  cases.push_back({1, 1, 1, 1, false, false, false, false});
  cases.push_back({3, 2000, 64, 10, false, false, false, false});  // several chunks
  cases.push_back({25, 1500, 33, kMaxK, true, true, false, false});
  // The one-query scan (m <= 2): rows a whole number of SIMD widths long, several chunks, ties.
  cases.push_back({1, 4099, 64, 50, true, true, false, false});
  cases.push_back({2, 2900, 16, 7, true, false, false, true});
  cases.push_back({1, 5000, 48, 100, false, false, false, true});
  cases.push_back({2, 333, 8, 10, false, true, false, false});
  cases.push_back({1, 37, 32, kMaxK, true, false, false, false});
  for (const Case& c : cases) {
    Mat q = rand_mat(g, c.m, c.d, 1.0f, c.ints), it = rand_mat(g, c.n, c.d, 1.0f, c.ints);
    if (c.ints) {  // exact duplicates of earlier rows: equal scores, smaller index must win
      for (int64_t j = 1; j < c.n; j += 3)
        for (int64_t t = 0; t < c.d; ++t) it.at(j, t) = it.at(j / 2, t);
    }
    Csr ex = rand_csr(g, c.m, c.n, 0.3);
    Bits al = rand_bits(g, c.n, 0.7);
    Csr ca = rand_csr(g, c.m, c.n, 0.2, true, true);
    Filters f{c.excl ? &ex : nullptr, c.allow ? &al : nullptr, c.cand ? &ca : nullptr};
    TopKParams p;
    p.k = c.k;
    if (c.excl) p.exclude = ex.view();
    if (c.allow) p.allow = al.view();
    if (c.cand) p.candidates = ca.view();
    Res ref(c.m, c.k);
    CHECK_OK(topk_ref(q.view(), it.view(), p, ref.out()));
    const double tol = c.ints ? 0.0 : 2e-6 * std::sqrt(static_cast<double>(c.d));
    auto key = [](int64_t r, int64_t t, const Res& x) { return static_cast<double>(x.sc[r * x.k + t]); };
    for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
      Res cpu(c.m, c.k);
      Status st = topk_cpu(ctx, q.view(), it.view(), p, cpu.out());
      CHECK_OK(st) << " " << case_name(c) << " " << label;
      if (!st.is_ok()) return;
      compare_rows(cpu, ref, q, it, f, tol, key, case_name(c) + " " + label, false);
      if (c.ints) {  // exact arithmetic: the whole result is determined
        CHECK(cpu.idx == ref.idx) << case_name(c) << " " << label << " exact indices differ";
      }
    });
  }
}

TEST(retrieval_topk_same_for_every_thread_count) {
  std::mt19937_64 g(base_seed() + 2);
  ThreadPool pool(2);
  Mat q = rand_mat(g, 30, 40, 1.0f), it = rand_mat(g, 5000, 40, 1.0f);
  TopKParams p;
  p.k = 17;
  Res first(30, 17);
  bool have = false;
  for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
    if (active_isa() != detected_isa()) return;
    Res cpu(30, 17);
    CHECK_OK(topk_cpu(ctx, q.view(), it.view(), p, cpu.out()));
    if (!have) {
      first = cpu;
      have = true;
    } else {
      CHECK(cpu.idx == first.idx && cpu.sc == first.sc) << label << " differs from the first run";
    }
  });
}

TEST(retrieval_topk_every_item_excluded_and_n_less_than_k) {
  std::mt19937_64 g(base_seed() + 3);
  ThreadPool pool(2);
  const int64_t m = 4, n = 70, d = 5, k = 100;
  Mat q = rand_mat(g, m, d, 1.0f), it = rand_mat(g, n, d, 1.0f);
  Csr ex;
  ex.rows = m;
  ex.cols = n;
  for (int64_t r = 0; r < m; ++r) {
    if (r != 2)  // row 2: nothing excluded
      for (int32_t j = 0; j < n; ++j) ex.indices.push_back(j);
    ex.indptr.push_back(static_cast<int32_t>(ex.indices.size()));
  }
  TopKParams p;
  p.k = k;
  p.exclude = ex.view();
  for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
    Res cpu(m, k);
    CHECK_OK(topk_cpu(ctx, q.view(), it.view(), p, cpu.out()));
    for (int64_t r = 0; r < m; ++r) {
      CHECK(cpu.cnt[r] == (r == 2 ? n : 0)) << label << " row " << r << " count " << cpu.cnt[r];
      for (int64_t t = cpu.cnt[r]; t < k; ++t)
        CHECK(cpu.idx[r * k + t] == -1 && std::isinf(cpu.sc[r * k + t])) << label;
    }
  });
  // Zero items: every row is padding.
  Mat none = rand_mat(g, 0, d, 1.0f);
  TopKParams p2;
  p2.k = 3;
  Res cpu(m, 3);
  ExecContext ctx{&pool, 2};
  CHECK_OK(topk_cpu(ctx, q.view(), none.view(), p2, cpu.out()));
  for (int64_t r = 0; r < m; ++r) CHECK(cpu.cnt[r] == 0 && cpu.idx[r * 3] == -1);
}

TEST(retrieval_topk_all_ties) {
  ThreadPool pool(2);
  const int64_t m = 5, n = 300, d = 7, k = 20;
  Mat q, it;
  q.rows = m; q.cols = d; q.stride = d; q.v.assign(m * d, 0.5f);
  it.rows = n; it.cols = d; it.stride = d; it.v.assign(n * d, 0.25f);
  TopKParams p;
  p.k = k;
  for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
    Res cpu(m, k);
    CHECK_OK(topk_cpu(ctx, q.view(), it.view(), p, cpu.out()));
    for (int64_t r = 0; r < m; ++r)
      for (int64_t t = 0; t < k; ++t) CHECK(cpu.idx[r * k + t] == t) << label << " ties must go to smaller indices";
  });
}

TEST(retrieval_softmax_matches_ref) {
  std::mt19937_64 g(base_seed() + 4);
  ThreadPool pool(2);
  auto cases = random_cases(g, 24, false);
  cases.push_back({3, 2000, 64, 10, true, true, false, false});
  for (const Case& c : cases) {
    for (double temp : {0.7, 2.0}) {
      Mat q = rand_mat(g, c.m, c.d, 1.5f), it = rand_mat(g, c.n, c.d, 1.5f);
      Csr ex = rand_csr(g, c.m, c.n, 0.3);
      Bits al = rand_bits(g, c.n, 0.7);
      Filters f{c.excl ? &ex : nullptr, c.allow ? &al : nullptr, nullptr};
      SoftmaxParams p;
      p.k = c.k;
      p.temperature = temp;
      if (c.excl) p.exclude = ex.view();
      if (c.allow) p.allow = al.view();
      Res ref(c.m, c.k);
      CHECK_OK(softmax_topk_ref(q.view(), it.view(), p, ref.out(), ref.sm()));
      const double tol = 4e-6 * std::sqrt(static_cast<double>(c.d));
      auto key = [](int64_t r, int64_t t, const Res& x) { return static_cast<double>(x.sc[r * x.k + t]); };
      for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
        Res cpu(c.m, c.k);
        Status st = softmax_topk_cpu(ctx, q.view(), it.view(), p, cpu.out(), cpu.sm());
        CHECK_OK(st) << case_name(c) << " " << label;
        if (st.is_ok()) compare_rows(cpu, ref, q, it, f, tol, key, case_name(c) + " T=" + std::to_string(temp) + " " + label, true, temp);
      });
    }
  }
}

TEST(retrieval_sample_matches_ref) {
  std::mt19937_64 g(base_seed() + 5);
  ThreadPool pool(2);
  auto cases = random_cases(g, 20, false);
  cases.push_back({4, 3000, 16, 10, false, false, false, false});
  for (const Case& c : cases) {
    for (double temp : {0.05, 1.0}) {
      Mat q = rand_mat(g, c.m, c.d, 1.5f), it = rand_mat(g, c.n, c.d, 1.5f);
      Csr ex = rand_csr(g, c.m, c.n, 0.3);
      Bits al = rand_bits(g, c.n, 0.7);
      Filters f{c.excl ? &ex : nullptr, c.allow ? &al : nullptr, nullptr};
      SampleParams p;
      p.k = c.k;
      p.temperature = temp;
      p.seed = g();
      if (c.excl) p.exclude = ex.view();
      if (c.allow) p.allow = al.view();
      Res ref(c.m, c.k);
      CHECK_OK(sample_topk_ref(q.view(), it.view(), p, ref.out(), ref.sm()));
      const double tol = 4e-6 * std::sqrt(static_cast<double>(c.d)) / temp;
      auto key = [&](int64_t r, int64_t t, const Res& x) {
        const int32_t j = x.idx[r * x.k + t];
        return static_cast<double>(x.sc[r * x.k + t]) / temp - std::log(-std::log(uniform_open01(p.seed, r, j)));
      };
      for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
        Res cpu(c.m, c.k);
        Status st = sample_topk_cpu(ctx, q.view(), it.view(), p, cpu.out(), cpu.sm());
        CHECK_OK(st) << case_name(c) << " " << label;
        if (st.is_ok()) compare_rows(cpu, ref, q, it, f, tol, key, case_name(c) + " T=" + std::to_string(temp) + " " + label, true, temp);
      });
    }
  }
}

TEST(retrieval_sample_frequencies_follow_softmax) {
  // k = 1 draws over many seeds: frequencies ~ softmax probabilities.
  ThreadPool pool(2);
  const int64_t n = 6, d = 2;
  Mat q, it;
  q.rows = 1; q.cols = d; q.stride = d; q.v = {1.0f, 0.0f};
  it.rows = n; it.cols = d; it.stride = d;
  it.v = {0.0f, 0, 0.5f, 0, 1.0f, 0, 1.5f, 0, -1.0f, 0, 2.0f, 0};
  std::vector<int> hits(n, 0);
  const int trials = 20000;
  SampleParams p;
  p.k = 1;
  p.temperature = 1.0;
  ExecContext ctx{&pool, 2};
  float probs_ref[6];
  for (int s = 0; s < trials; ++s) {
    p.seed = 1000 + s;
    Res cpu(1, 1);
    CHECK_OK(sample_topk_cpu(ctx, q.view(), it.view(), p, cpu.out(), cpu.sm()));
    hits[cpu.idx[0]]++;
    if (s == 0) {
      for (int64_t j = 0; j < n; ++j) probs_ref[j] = std::exp(it.v[j * 2] - cpu.logz[0]);
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    const double f = static_cast<double>(hits[j]) / trials;
    const double sd = std::sqrt(probs_ref[j] * (1 - probs_ref[j]) / trials);
    CHECK(std::fabs(f - probs_ref[j]) < 5 * sd + 1e-3) << "item " << j << " freq " << f << " vs p " << probs_ref[j];
  }
}

TEST(retrieval_scores_matches_ref) {
  std::mt19937_64 g(base_seed() + 6);
  ThreadPool pool(2);
  for (const Case& c : random_cases(g, 20, false)) {
    Mat q = rand_mat(g, c.m, c.d, 1.0f), it = rand_mat(g, c.n, c.d, 1.0f);
    Mat ref = rand_mat(g, c.m, c.n, 0.0f, false, 2);
    CHECK_OK(scores_ref(q.view(), it.view(), MutMatrixView{ref.v.data(), c.m, c.n, ref.stride}));
    for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
      Mat out;
      out.rows = c.m; out.cols = c.n; out.stride = c.n + 2;
      out.v.assign(static_cast<size_t>(c.m * out.stride), kNaN);
      CHECK_OK(scores_cpu(ctx, q.view(), it.view(), MutMatrixView{out.v.data(), c.m, c.n, out.stride}));
      int bad = 0;
      for (int64_t r = 0; r < c.m; ++r) {
        for (int64_t j = 0; j < c.n; ++j)
          if (!(std::fabs(out.at(r, j) - ref.at(r, j)) <= 2e-6 * std::sqrt(static_cast<double>(c.d)) * (1 + std::fabs(ref.at(r, j)))))
            if (bad++ < 3) CHECK(false) << case_name(c) << " " << label << " (" << r << "," << j << ") " << out.at(r, j) << " vs " << ref.at(r, j);
        for (int64_t j = c.n; j < out.stride; ++j) CHECK(std::isnan(out.at(r, j))) << "wrote past cols";
      }
    }, false);
  }
}

TEST(retrieval_gram_matches_ref) {
  std::mt19937_64 g(base_seed() + 7);
  ThreadPool pool(2);
  const int64_t ns[] = {0, 1, 5, 255, 256, 1000, 4099};
  const int64_t ds[] = {1, 3, 17, 33, 64, 127};
  for (int64_t n : ns) {
    for (int64_t d : ds) {
      Mat y = rand_mat(g, n, d, 1.0f);
      std::vector<float> ref(static_cast<size_t>(d * d), kNaN);
      CHECK_OK(gram_ref(y.view(), MutMatrixView{ref.data(), d, d, d}));
      for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
        std::vector<float> out(static_cast<size_t>(d * d), kNaN);
        CHECK_OK(gram_cpu(ctx, y.view(), MutMatrixView{out.data(), d, d, d}));
        int bad = 0;
        for (int64_t i = 0; i < d; ++i)
          for (int64_t j = 0; j < d; ++j) {
            // Bound: float partial sums of <= 256 products, flushed to double.
            const double scale = std::sqrt(static_cast<double>(ref[i * d + i]) * ref[j * d + j]) + 1e-30;
            if (!(std::fabs(out[i * d + j] - ref[i * d + j]) <= 2e-6 * scale + 1e-30) || out[i * d + j] != out[j * d + i])
              if (bad++ < 3) CHECK(false) << "n=" << n << " d=" << d << " " << label << " (" << i << "," << j << ") " << out[i * d + j] << " vs " << ref[i * d + j];
          }
      }, false);
    }
  }
}

TEST(retrieval_non_finite_inputs) {
  std::mt19937_64 g(base_seed() + 8);
  ThreadPool pool(2);
  const int64_t n = 700, k = 5;
  // m = 9: the packed scan; m <= 2: the one-query scan (dots), with d a multiple of the SIMD width.
  const int64_t shapes[][2] = {{9, 19}, {1, 64}, {2, 32}, {1, 19}};
  for (const auto& shape : shapes)
  for (float bad : {kNaN, kInf, -kInf}) {
    const int64_t m = shape[0], d = shape[1];
    for (int where = 0; where < 2; ++where) {
      Mat q = rand_mat(g, m, d, 1.0f), it = rand_mat(g, n, d, 1.0f);
      if (where == 0) it.at(n - 3, d / 2) = bad; else q.at(m - 1, d - 1) = bad;
      for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
        Res r(m, k);
        TopKParams tp;
        tp.k = k;
        CHECK_CODE(topk_cpu(ctx, q.view(), it.view(), tp, r.out()), Code::NonFinite) << label;
        SoftmaxParams sp;
        sp.k = k;
        CHECK_CODE(softmax_topk_cpu(ctx, q.view(), it.view(), sp, r.out(), r.sm()), Code::NonFinite) << label;
        SampleParams pp;
        pp.k = k;
        CHECK_CODE(sample_topk_cpu(ctx, q.view(), it.view(), pp, r.out(), r.sm()), Code::NonFinite) << label;
        std::vector<float> s(static_cast<size_t>(m * n));
        CHECK_CODE(scores_cpu(ctx, q.view(), it.view(), MutMatrixView{s.data(), m, n, n}), Code::NonFinite) << label;
        // Candidates path: a candidate row holding the bad item (or the bad query).
        Csr ca;
        ca.rows = m; ca.cols = n;
        for (int64_t rr = 0; rr < m; ++rr) {
          ca.indices.push_back(static_cast<int32_t>(n - 3));
          ca.indptr.push_back(static_cast<int32_t>(ca.indices.size()));
        }
        tp.candidates = ca.view();
        CHECK_CODE(topk_cpu(ctx, q.view(), it.view(), tp, r.out()), Code::NonFinite) << label;
        std::vector<float> gm(static_cast<size_t>(d * d));
        const Mat& y = where == 0 ? it : q;
        CHECK_CODE(gram_cpu(ctx, y.view(), MutMatrixView{gm.data(), d, d, d}), Code::NonFinite) << label;
      }, false);
      Res r(m, k);
      TopKParams tp;
      tp.k = k;
      CHECK_CODE(topk_ref(q.view(), it.view(), tp, r.out()), Code::NonFinite);
      std::vector<float> gm(static_cast<size_t>(d * d));
      CHECK_CODE(gram_ref((where == 0 ? it : q).view(), MutMatrixView{gm.data(), d, d, d}), Code::NonFinite);
    }
  }
}

TEST(retrieval_argument_errors) {
  std::mt19937_64 g(base_seed() + 9);
  ThreadPool pool(1);
  ExecContext ctx{&pool, 2};
  const int64_t m = 3, n = 10, d = 4;
  Mat q = rand_mat(g, m, d, 1.0f), it = rand_mat(g, n, d, 1.0f);
  Res r(m, 5);
  auto topk_both = [&](const MatrixView& qv, const MatrixView& iv, const TopKParams& p, const TopKOut& o, Code c,
                       const char* what) {
    Status a = topk_ref(qv, iv, p, o), b = topk_cpu(ctx, qv, iv, p, o);
    CHECK_CODE(a, c) << what;
    CHECK_CODE(b, c) << what;
    CHECK(a.message() == b.message()) << what;
    CHECK(a.message().rfind("Expected ", 0) == 0 && a.message().find(" but received ") != std::string::npos)
        << what << ": message shape: " << a.message();
  };
  TopKParams p;
  p.k = 5;
  CHECK_OK(topk_cpu(ctx, q.view(), it.view(), p, r.out()));
  p.k = 0;
  topk_both(q.view(), it.view(), p, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m, 0}, Code::KRange, "k=0");
  p.k = -3;
  topk_both(q.view(), it.view(), p, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m, -3}, Code::KRange, "k<0");
  p.k = kMaxK + 1;
  topk_both(q.view(), it.view(), p, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m, kMaxK + 1}, Code::KRange, "k>max");
  p.k = 5;
  Mat it3 = rand_mat(g, n, d - 1, 1.0f);
  topk_both(q.view(), it3.view(), p, r.out(), Code::Shape, "d mismatch");
  topk_both(q.view(), it.view(), p, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m - 1, 5}, Code::Shape, "out rows");
  topk_both(q.view(), it.view(), p, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m, 4}, Code::Shape, "out k");
  topk_both(q.view(), it.view(), p, TopKOut{nullptr, r.sc.data(), r.cnt.data(), m, 5}, Code::Shape, "null out");
  topk_both(MatrixView{q.v.data(), m, d, d - 1}, it.view(), p, r.out(), Code::Shape, "stride < cols");
  topk_both(MatrixView{nullptr, m, d, d}, it.view(), p, r.out(), Code::Shape, "null q");
  // CSR errors.
  Csr ex = rand_csr(g, m, n, 0.5);
  auto with_ex = [&](const Csr& c, Code code, const char* what) {
    TopKParams pe;
    pe.k = 5;
    pe.exclude = c.view();
    topk_both(q.view(), it.view(), pe, r.out(), code, what);
  };
  {
    Csr c = ex; c.rows = m - 1; with_ex(c, Code::Csr, "indptr length");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 2, 1, 2}; c.indices = {1, 2}; with_ex(c, Code::Csr, "non-monotone indptr");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {1, 2, 2, 2}; c.indices = {1, 2}; with_ex(c, Code::Csr, "indptr[0] != 0");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 1, 1, 3}; c.indices = {1, 2}; with_ex(c, Code::Csr, "indptr past nnz");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 1, 1, 2}; c.indices = {1, static_cast<int32_t>(n)}; with_ex(c, Code::Csr, "index >= n");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 1, 1, 2}; c.indices = {-1, 2}; with_ex(c, Code::Csr, "index < 0");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 2, 2, 2}; c.indices = {5, 3}; with_ex(c, Code::Csr, "unsorted exclude row");
  }
  {
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 2, 2, 2}; c.indices = {3, 3}; with_ex(c, Code::Csr, "duplicate in exclude row");
  }
  {
    Csr c = ex; c.cols = n + 1; with_ex(c, Code::Shape, "exclude cols");
  }
  {  // candidates may be unsorted and hold duplicates, but not out of range
    TopKParams pc;
    pc.k = 5;
    Csr c; c.rows = m; c.cols = n; c.indptr = {0, 3, 3, 4}; c.indices = {5, 3, 5, 1};
    pc.candidates = c.view();
    CHECK_OK(topk_cpu(ctx, q.view(), it.view(), pc, r.out()));
    CHECK(r.cnt[0] == 2 && r.cnt[1] == 0 && r.cnt[2] == 1) << "candidate duplicates count once";
    c.indices[3] = static_cast<int32_t>(n + 5);
    pc.candidates = c.view();
    topk_both(q.view(), it.view(), pc, r.out(), Code::Csr, "candidate out of range");
  }
  {
    Bits b = rand_bits(g, n + 1, 0.5);
    TopKParams pa;
    pa.k = 5;
    pa.allow = b.view();
    topk_both(q.view(), it.view(), pa, r.out(), Code::Shape, "allow bits");
  }
  // Temperature.
  for (double t : {0.0, -1.0, static_cast<double>(kNaN), static_cast<double>(kInf)}) {
    SoftmaxParams sp;
    sp.k = 5;
    sp.temperature = t;
    CHECK_CODE(softmax_topk_ref(q.view(), it.view(), sp, r.out(), r.sm()), Code::Argument) << t;
    CHECK_CODE(softmax_topk_cpu(ctx, q.view(), it.view(), sp, r.out(), r.sm()), Code::Argument) << t;
    SampleParams pp;
    pp.k = 5;
    pp.temperature = t;
    CHECK_CODE(sample_topk_ref(q.view(), it.view(), pp, r.out(), r.sm()), Code::Argument) << t;
    CHECK_CODE(sample_topk_cpu(ctx, q.view(), it.view(), pp, r.out(), r.sm()), Code::Argument) << t;
  }
  {
    SoftmaxParams sp;
    sp.k = 0;
    CHECK_CODE(softmax_topk_cpu(ctx, q.view(), it.view(), sp, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m, 0}, r.sm()), Code::KRange);
    sp.k = 5;
    CHECK_CODE(softmax_topk_cpu(ctx, q.view(), it.view(), sp, r.out(), SoftmaxOut{nullptr, r.logz.data()}), Code::Shape);
    SampleParams pp;
    pp.k = kMaxK + 1;
    CHECK_CODE(sample_topk_cpu(ctx, q.view(), it.view(), pp, TopKOut{r.idx.data(), r.sc.data(), r.cnt.data(), m, kMaxK + 1}, r.sm()), Code::KRange);
  }
  // Scores and Gram shapes.
  std::vector<float> s(static_cast<size_t>(m * n));
  CHECK_CODE(scores_cpu(ctx, q.view(), it.view(), MutMatrixView{s.data(), m, n - 1, n}), Code::Shape);
  CHECK_CODE(scores_ref(q.view(), it.view(), MutMatrixView{s.data(), m + 1, n, n}), Code::Shape);
  CHECK_CODE(scores_cpu(ctx, q.view(), it3.view(), MutMatrixView{s.data(), m, n, n}), Code::Shape);
  CHECK_CODE(scores_cpu(ctx, q.view(), it.view(), MutMatrixView{s.data(), m, n, n - 1}), Code::Shape);
  std::vector<float> gm(static_cast<size_t>(d * d));
  CHECK_CODE(gram_cpu(ctx, it.view(), MutMatrixView{gm.data(), d, d - 1, d}), Code::Shape);
  CHECK_CODE(gram_ref(it.view(), MutMatrixView{gm.data(), d + 1, d, d}), Code::Shape);
  CHECK_CODE(gram_cpu(ctx, MatrixView{it.v.data(), -1, d, d}, MutMatrixView{gm.data(), d, d, d}), Code::Shape);
}

TEST(retrieval_softmax_nothing_admissible) {
  std::mt19937_64 g(base_seed() + 10);
  ThreadPool pool(2);
  const int64_t m = 3, n = 40, d = 8, k = 4;
  Mat q = rand_mat(g, m, d, 1.0f), it = rand_mat(g, n, d, 1.0f);
  Bits none;
  none.n = n;
  none.bytes.assign((n + 7) / 8, 0);
  SoftmaxParams p;
  p.k = k;
  p.allow = none.view();
  for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
    Res cpu(m, k);
    CHECK_OK(softmax_topk_cpu(ctx, q.view(), it.view(), p, cpu.out(), cpu.sm()));
    for (int64_t r = 0; r < m; ++r) {
      CHECK(cpu.cnt[r] == 0 && std::isinf(cpu.logz[r]) && cpu.logz[r] < 0) << label;
      for (int64_t t = 0; t < k; ++t) CHECK(cpu.probs[r * k + t] == 0.0f && cpu.idx[r * k + t] == -1) << label;
    }
  });
}

TEST(retrieval_softmax_exp_accuracy) {
  // Integer inputs make every score exact, so logZ and probs measure only the vector exp and the
  // online log-sum-exp: required ~1e-6 relative against double.
  std::mt19937_64 g(base_seed() + 11);
  ThreadPool pool(2);
  const int64_t m = 13, n = 3001, d = 9, k = 7;
  Mat q = rand_mat(g, m, d, 1.0f, true), it = rand_mat(g, n, d, 1.0f, true);
  for (double temp : {1.0, 0.5, 4.0}) {  // powers of two: s / T exact in float too
    SoftmaxParams p;
    p.k = k;
    p.temperature = temp;
    Res ref(m, k);
    CHECK_OK(softmax_topk_ref(q.view(), it.view(), p, ref.out(), ref.sm()));
    for_each_config(pool, [&](const ExecContext& ctx, const std::string& label) {
      Res cpu(m, k);
      CHECK_OK(softmax_topk_cpu(ctx, q.view(), it.view(), p, cpu.out(), cpu.sm()));
      CHECK(cpu.idx == ref.idx) << label;
      for (int64_t r = 0; r < m; ++r) {
        CHECK(std::fabs(cpu.logz[r] - ref.logz[r]) <= 1e-6 * std::fabs(ref.logz[r]) + 1e-6) << label << " logZ " << cpu.logz[r] << " vs " << ref.logz[r];
        for (int64_t t = 0; t < k; ++t)
          CHECK(std::fabs(cpu.probs[r * k + t] - ref.probs[r * k + t]) <= 2e-6 * ref.probs[r * k + t] + 1e-9)
              << label << " prob " << cpu.probs[r * k + t] << " vs " << ref.probs[r * k + t];
      }
    });
  }
}

TEST(retrieval_empty_query_set) {
  std::mt19937_64 g(base_seed() + 12);
  ThreadPool pool(2);
  ExecContext ctx{&pool, 3};
  Mat q = rand_mat(g, 0, 8, 1.0f), it = rand_mat(g, 50, 8, 1.0f);
  TopKParams p;
  p.k = 4;
  CHECK_OK(topk_cpu(ctx, q.view(), it.view(), p, TopKOut{nullptr, nullptr, nullptr, 0, 4}));
  CHECK_OK(topk_ref(q.view(), it.view(), p, TopKOut{nullptr, nullptr, nullptr, 0, 4}));
  SoftmaxParams sp;
  sp.k = 4;
  CHECK_OK(softmax_topk_cpu(ctx, q.view(), it.view(), sp, TopKOut{nullptr, nullptr, nullptr, 0, 4}, SoftmaxOut{}));
  CHECK_OK(scores_cpu(ctx, q.view(), it.view(), MutMatrixView{nullptr, 0, 50, 50}));
}
