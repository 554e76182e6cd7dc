// retrieval/fused.cpp — the fused score + select engine behind topk_cpu, softmax_topk_cpu and
// sample_topk_cpu. The m x n score matrix is never materialised.
//
// Work decomposition (GEMM style):
//   * items are cut into chunks of NC items (NC * d * 4 bytes ~ 160 KiB, so a packed chunk sits in
//     L2); a chunk is packed into panels of NR items, transposed (d x NR) so each k-step of the
//     micro-kernel loads NR contiguous floats. Packing checks every value for NaN/Inf (bit test).
//   * queries are taken MR at a time (packed d x MR, checked the same way); the ISA micro-kernel
//     computes the MR x NR tile in registers, compares each query's scores with that query's
//     running k-th best (one vector compare) and hands only the survivors to on_tile(), which
//     pushes them into a bounded heap per query (root = worst kept). exclude rows are merged into
//     per-(query, panel) admissibility bit masks with a binary search per (query, chunk); the allow
//     bitset is read 8 items per byte.
//   * threads: "item split" — tasks are chunks, each thread keeps top-K state for all m queries,
//     merged at the end (threads * m * k * 16 bytes) — while that fits the budget (default 64 MiB);
//     otherwise "query split" — tasks are blocks of queries scanning all items, state per block.
//     Extra memory: O(threads * (NC * d + MR * d + k * block)) + O(threads * m * k) bounded as above.
//   * softmax / sampling also fold exp(score / T - running max) into a per-query online
//     log-sum-exp inside the kernel (vector exp), in double across tiles.
//   * sampling (Gumbel top-K): key = score / T + g, g = -log(-log(u)), u = uniform_open01(seed,
//     row, item). The AVX-512 kernel hashes u for the whole tile in 64-bit lanes and drops items
//     whose key provably cannot reach the current k-th key (-log u >= 1 - u >= 2^getexp(1 - u));
//     other ISAs use the bound g < 37.5 in the kernel and the same exponent test here. Survivors get
//     g in double and the exact comparison.
// Results are identical for every thread count: each score is one FMA chain in a fixed order and
// selection uses the total order (key desc, index asc).
// Complexity: 2 m n d flops (+ O(survivors log k)); candidates: 2 d per candidate + sort of the row.
#include "fused.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "souk/rng.h"

namespace souk {
namespace retrieval {

Status non_finite(const char* name, int64_t row) {
  return Status(Code::NonFinite, std::string("Expected finite values for ") + name +
                                     " but received NaN or Infinity in row " + std::to_string(row));
}

Status pack_panels(const KernelTable& kt, const MatrixView& src, int64_t c0, int64_t c1, float* buf,
                   const char* name) {
  const int64_t d = src.cols;
  const int nr = kt.nr;
  const int np = static_cast<int>((c1 - c0 + nr - 1) / nr);
  bool ok = true;
  for (int p = 0; p < np; ++p) {
    const int64_t j0 = c0 + static_cast<int64_t>(p) * nr;
    const int rows = static_cast<int>(std::min<int64_t>(nr, c1 - j0));
    ok &= kt.pack(src.row(j0), src.stride, rows, d, buf + static_cast<int64_t>(p) * nr * d);
  }
  if (!ok) {
    for (int64_t j = c0; j < c1; ++j)
      for (int64_t t = 0; t < d; ++t)
        if (!std::isfinite(src.row(j)[t])) return non_finite(name, j);
  }
  return Status::ok();
}

Status pack_queries(const MatrixView& q, int mr_cap, int64_t r0, int mr, float* qp, const char* name) {
  const int64_t d = q.cols;
  uint32_t bad = 0;
  for (int i = 0; i < mr_cap; ++i) {
    if (i < mr) {
      const float* src = q.row(r0 + i);
      for (int64_t t = 0; t < d; ++t) {
        const float v = src[t];
        uint32_t u;
        std::memcpy(&u, &v, 4);
        bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
        qp[t * mr_cap + i] = v;
      }
    } else {
      for (int64_t t = 0; t < d; ++t) qp[t * mr_cap + i] = 0.0f;
    }
  }
  if (bad) {
    for (int i = 0; i < mr; ++i)
      for (int64_t t = 0; t < d; ++t)
        if (!std::isfinite(q.row(r0 + i)[t])) return non_finite(name, r0 + i);
  }
  return Status::ok();
}

namespace {

std::atomic<int64_t> g_budget{-1};
constexpr int64_t kDefaultBudget = int64_t(64) << 20;

constexpr double kGumbelMax = 37.5;

// Top-K with at most this many queries takes the unpacked path (run_small_m).
constexpr int64_t kSmallM = 2;  // -log(-log(u)) < 37.43 for every u < 1 - 2^-54

// Selection state for a range of queries.
struct QState {
  std::vector<Entry> heap;  // cap * k
  std::vector<int32_t> size;
  std::vector<float> thr;
  std::vector<float> lmax;
  std::vector<double> lsum;
  std::vector<double> root;  // Sample: the k-th best key once the heap is full, else -inf
  bool used = false;
  void reset(int64_t cap, int64_t k) {
    heap.resize(static_cast<size_t>(cap * k));
    size.assign(static_cast<size_t>(cap), 0);
    thr.assign(static_cast<size_t>(cap), -std::numeric_limits<float>::infinity());
    lmax.assign(static_cast<size_t>(cap), -std::numeric_limits<float>::infinity());
    lsum.assign(static_cast<size_t>(cap), 0.0);
    root.assign(static_cast<size_t>(cap), -std::numeric_limits<double>::infinity());
    used = true;
  }
};

struct Scratch {
  AlignedBuf chunk;
  AlignedBuf qp;
  std::vector<uint32_t> shared_adm;
  std::vector<uint32_t> adm;
  std::vector<Entry> merge;
  QState st;
};

// Bounded heap: h[0] is the worst kept entry (min under better()).
inline void heap_sift_down(Entry* h, int64_t n, int64_t i) {
  const Entry e = h[i];
  for (;;) {
    int64_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && better(h[c], h[c + 1])) ++c;  // the worse child
    if (!better(e, h[c])) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = e;
}
inline void heap_sift_up(Entry* h, int64_t i) {
  const Entry e = h[i];
  while (i > 0) {
    int64_t p = (i - 1) / 2;
    if (!better(h[p], e)) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = e;
}
// Returns true when the heap is full afterwards (the caller then refreshes the threshold).
inline bool heap_push(Entry* h, int32_t& size, int64_t k, const Entry& e) {
  if (size < k) {
    h[size] = e;
    heap_sift_up(h, size);
    ++size;
    return size == k;
  }
  if (better(e, h[0])) {
    h[0] = e;
    heap_sift_down(h, k, 0);
  }
  return true;
}

struct TileCtx {
  Entry* heap = nullptr;  // heap of query 0 of the micro-block; query i at heap + i * k
  int32_t* size = nullptr;
  float* thr = nullptr;
  double* root = nullptr;
  int64_t k = 0;
  int mr = 0;
  int nr = 0;
  int64_t item_base = 0;
  int64_t qrow0 = 0;
  FusedKind kind = FusedKind::TopK;
  double temperature = 1.0;
  uint64_t seed = 0;
};

inline float sample_threshold(double root_key, double t) {
  const double v = (root_key - kGumbelMax) * t;
  float f = static_cast<float>(v);
  if (static_cast<double>(f) > v) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

void on_tile(void* c, int panel, const uint32_t* masks, const float* tile) {
  TileCtx& x = *static_cast<TileCtx*>(c);
  const int64_t base = x.item_base + static_cast<int64_t>(panel) * x.nr;
  for (int i = 0; i < x.mr; ++i) {
    uint32_t m = masks[i];
    if (!m) continue;
    Entry* h = x.heap + i * x.k;
    int32_t& size = x.size[i];
    while (m) {
      const int b = __builtin_ctz(m);
      m &= m - 1;
      const int32_t j = static_cast<int32_t>(base + b);
      const float s = tile[i * x.nr + b];
      if (x.kind != FusedKind::Sample) {
        if (heap_push(h, size, x.k, Entry{static_cast<double>(s), j, s})) x.thr[i] = h[0].score;
        continue;
      }
      const double z = static_cast<double>(s) / x.temperature;
      const bool full = size == x.k;
      const double u = uniform_open01(x.seed, static_cast<uint64_t>(x.qrow0 + i), static_cast<uint64_t>(j));
      if (full) {
        // key >= root needs g >= c := root - z, i.e. -log(u) <= exp(-c); since -log(u) >= 1 - u =: t,
        // t <= exp(-c) is necessary, and log(t) >= e * ln2 with e = exponent of t.
        const double cgap = h[0].key - z;
        const double t = 1.0 - u;
        uint64_t bits;
        std::memcpy(&bits, &t, sizeof bits);
        const int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
        if (e * 0.6931471805599453 > -cgap + 1e-12) continue;
      }
      const double key = z - std::log(-std::log(u));
      if (heap_push(h, size, x.k, Entry{key, j, s})) {
        x.thr[i] = sample_threshold(h[0].key, x.temperature);
        x.root[i] = h[0].key;
      }
    }
  }
}

struct Engine {
  const FusedProblem& pr;
  const KernelTable& kt;
  int64_t m, n, d, k;
  int64_t nc;  // chunk size (items), multiple of kChunkAlign

  Engine(const FusedProblem& p, const KernelTable& t) : pr(p), kt(t) {
    m = p.q.rows;
    n = p.items.rows;
    d = p.q.cols;
    k = p.k;
    int64_t target = (160 * 1024) / (4 * std::max<int64_t>(d, 1));
    target = std::max<int64_t>(kChunkAlign, std::min<int64_t>(target, 8192));
    target = target / kChunkAlign * kChunkAlign;
    nc = target;
  }

  Status pack_chunk(Scratch& s, int64_t c0, int64_t c1, float** out_chunk, int* npanels, int* last_valid) const {
    const int np = static_cast<int>((c1 - c0 + kt.nr - 1) / kt.nr);
    float* buf = s.chunk.get(static_cast<int64_t>(np) * kt.nr * std::max<int64_t>(d, 1));
    SOUK_RETURN_IF_ERROR(pack_panels(kt, pr.items, c0, c1, buf, "items"));
    *out_chunk = buf;
    *npanels = np;
    *last_valid = static_cast<int>((c1 - c0) - static_cast<int64_t>(np - 1) * kt.nr);
    return Status::ok();
  }

  // Scans queries [qa, qb) against the packed chunk of items [c0, c1); query qa uses state slot s0.
  Status scan_chunk(Scratch& s, QState& st, int64_t s0, const float* chunk, int np, int last_valid, int64_t c0,
                    int64_t c1, int64_t qa, int64_t qb) const {
    const int MR = kt.mr, nr = kt.nr;
    // Admissibility shared by all queries: valid items and the allow bitset.
    s.shared_adm.resize(static_cast<size_t>(np));
    const uint32_t full = nr >= 32 ? 0xFFFFFFFFu : ((1u << nr) - 1u);
    const int64_t nbytes = (n + 7) / 8;
    for (int p = 0; p < np; ++p) {
      uint32_t msk = (p == np - 1 && last_valid < nr) ? ((1u << last_valid) - 1u) : full;
      if (pr.allow.present()) {
        const int64_t j0 = c0 + static_cast<int64_t>(p) * nr;  // multiple of 8
        uint32_t bits = 0;
        for (int b = 0; b < nr / 8; ++b) {
          const int64_t byte = j0 / 8 + b;
          if (byte < nbytes) bits |= static_cast<uint32_t>(pr.allow.bytes[byte]) << (8 * b);
        }
        msk &= bits;
      }
      s.shared_adm[static_cast<size_t>(p)] = msk;
    }
    const bool excl = pr.exclude.present();
    if (excl) s.adm.resize(static_cast<size_t>(MR) * np);
    float* qp = s.qp.get(static_cast<int64_t>(MR) * std::max<int64_t>(d, 1));

    ScanArgs a;
    a.d = static_cast<int>(d);
    a.chunk = chunk;
    a.npanels = np;
    a.last_valid = last_valid;
    a.mode = pr.kind == FusedKind::TopK ? ScanMode::TopK
             : pr.kind == FusedKind::Softmax ? ScanMode::Softmax
                                              : ScanMode::Sample;
    a.inv_t = static_cast<float>(1.0 / pr.temperature);
    a.inv_t_d = 1.0 / pr.temperature;
    a.item_base = c0;
    uint64_t ka[kMaxMR];
    a.ka = ka;
    TileCtx x;
    x.k = k;
    x.nr = nr;
    x.item_base = c0;
    x.kind = pr.kind;
    x.temperature = pr.temperature;
    x.seed = pr.seed;
    a.on_tile = &on_tile;
    a.ctx = &x;

    for (int64_t mb = qa; mb < qb; mb += MR) {
      const int mr = static_cast<int>(std::min<int64_t>(MR, qb - mb));
      SOUK_RETURN_IF_ERROR(pack_queries(pr.q, MR, mb, mr, qp, "q"));
      if (excl) {
        for (int i = 0; i < mr; ++i) {
          uint32_t* row = s.adm.data() + static_cast<size_t>(i) * np;
          std::memcpy(row, s.shared_adm.data(), sizeof(uint32_t) * np);
          const int32_t* b = pr.exclude.indices + pr.exclude.indptr[mb + i];
          const int32_t* e = pr.exclude.indices + pr.exclude.indptr[mb + i + 1];
          for (const int32_t* it = std::lower_bound(b, e, static_cast<int32_t>(c0)); it != e && *it < c1; ++it) {
            const int64_t off = *it - c0;
            row[off / nr] &= ~(1u << (off % nr));
          }
        }
        a.adm = s.adm.data();
        a.adm_ld = np;
      } else {
        a.adm = s.shared_adm.data();
        a.adm_ld = 0;
      }
      const int64_t si = s0 + (mb - qa);
      a.qp = qp;
      a.mr = mr;
      a.thr = st.thr.data() + si;
      a.lmax = st.lmax.data() + si;
      a.lsum = st.lsum.data() + si;
      x.heap = st.heap.data() + si * k;
      x.size = st.size.data() + si;
      x.thr = st.thr.data() + si;
      x.root = st.root.data() + si;
      a.root = st.root.data() + si;
      if (pr.kind == FusedKind::Sample)
        for (int i = 0; i < mr; ++i) ka[i] = splitmix64(pr.seed ^ splitmix64(static_cast<uint64_t>(mb + i)));
      x.mr = mr;
      x.qrow0 = mb;
      kt.scan(a);
    }
    return Status::ok();
  }

  // Writes query r's result from `count` gathered entries (any order) and the LSE parts.
  void finalize(int64_t r, Entry* ents, int64_t count, double lmax, double lsum) const {
    const int64_t kk = std::min<int64_t>(count, k);
    std::partial_sort(ents, ents + kk, ents + count, better);
    int32_t* oi = pr.out.indices + r * k;
    float* os = pr.out.scores + r * k;
    double log_z = -std::numeric_limits<double>::infinity();
    if (pr.kind != FusedKind::TopK && lsum > 0) log_z = lmax + std::log(lsum);
    for (int64_t t = 0; t < k; ++t) {
      if (t < kk) {
        oi[t] = ents[t].idx;
        os[t] = ents[t].score;
      } else {
        oi[t] = -1;
        os[t] = -std::numeric_limits<float>::infinity();
      }
    }
    pr.out.counts[r] = static_cast<int32_t>(kk);
    if (pr.kind != FusedKind::TopK) {
      float* op = pr.sm.probs + r * k;
      for (int64_t t = 0; t < k; ++t)
        op[t] = t < kk ? static_cast<float>(std::exp(static_cast<double>(ents[t].score) / pr.temperature - log_z)) : 0.0f;
      pr.sm.log_z[r] = static_cast<float>(log_z);
    }
  }

  Status run(const ExecContext& ctx) {
    const int slots = ctx.effective_threads();
    std::vector<Scratch> scratch(static_cast<size_t>(slots));
    const int64_t nchunks = (n + nc - 1) / nc;
    const int64_t budget = topk_item_split_budget();
    const int64_t per_slot = m * k * static_cast<int64_t>(sizeof(Entry));
    const bool item_split = per_slot <= budget / std::max(slots, 1);

    if (item_split) {
      Status st = ctx.parallel_for(nchunks, [&](int64_t task, int slot) -> Status {
        Scratch& s = scratch[static_cast<size_t>(slot)];
        if (!s.st.used) s.st.reset(m, k);
        const int64_t c0 = task * nc, c1 = std::min(n, c0 + nc);
        float* chunk;
        int np, lv;
        SOUK_RETURN_IF_ERROR(pack_chunk(s, c0, c1, &chunk, &np, &lv));
        return scan_chunk(s, s.st, 0, chunk, np, lv, c0, c1, 0, m);
      });
      SOUK_RETURN_IF_ERROR(st);
      // Merge the per-slot states, a block of queries per task.
      const int64_t qb = 64;
      return ctx.parallel_for((m + qb - 1) / qb, [&](int64_t task, int slot) -> Status {
        Scratch& s = scratch[static_cast<size_t>(slot)];
        s.merge.resize(static_cast<size_t>(slots * k));
        for (int64_t r = task * qb; r < std::min(m, (task + 1) * qb); ++r) {
          int64_t cnt = 0;
          double mx = -std::numeric_limits<double>::infinity();
          for (auto& sc : scratch)
            if (sc.st.used && sc.st.lsum[static_cast<size_t>(r)] > 0) mx = std::max<double>(mx, sc.st.lmax[static_cast<size_t>(r)]);
          double sum = 0;
          for (auto& sc : scratch) {
            if (!sc.st.used) continue;
            const int32_t sz = sc.st.size[static_cast<size_t>(r)];
            std::copy(sc.st.heap.begin() + r * k, sc.st.heap.begin() + r * k + sz, s.merge.begin() + cnt);
            cnt += sz;
            if (sc.st.lsum[static_cast<size_t>(r)] > 0)
              sum += sc.st.lsum[static_cast<size_t>(r)] * std::exp(sc.st.lmax[static_cast<size_t>(r)] - mx);
          }
          finalize(r, s.merge.data(), cnt, mx, sum);
        }
        return Status::ok();
      });
    }

    // Query split: blocks of queries, each scanning every chunk.
    int64_t mb = (m + 4 * slots - 1) / (4 * slots);
    mb = std::min<int64_t>(mb, std::max<int64_t>(1, budget / (slots * k * static_cast<int64_t>(sizeof(Entry)))));
    mb = std::max<int64_t>(kt.mr, (mb + kt.mr - 1) / kt.mr * kt.mr);
    const int64_t nblocks = (m + mb - 1) / mb;
    return ctx.parallel_for(nblocks, [&](int64_t task, int slot) -> Status {
      Scratch& s = scratch[static_cast<size_t>(slot)];
      const int64_t qa = task * mb, qe = std::min(m, qa + mb);
      s.st.reset(qe - qa, k);
      for (int64_t c = 0; c < nchunks; ++c) {
        const int64_t c0 = c * nc, c1 = std::min(n, c0 + nc);
        float* chunk;
        int np, lv;
        SOUK_RETURN_IF_ERROR(pack_chunk(s, c0, c1, &chunk, &np, &lv));
        SOUK_RETURN_IF_ERROR(scan_chunk(s, s.st, 0, chunk, np, lv, c0, c1, qa, qe));
      }
      for (int64_t r = qa; r < qe; ++r) {
        const size_t si = static_cast<size_t>(r - qa);
        finalize(r, s.st.heap.data() + si * k, s.st.size[si], s.st.lmax[si], s.st.lsum[si]);
      }
      return Status::ok();
    });
  }
};

// Top-K over explicit candidate lists: a task per block of queries; each row is sorted and
// de-duplicated in scratch, filtered (allow bit, exclude merge cursor) and scored with kt.dot.
Status run_candidates(const ExecContext& ctx, const FusedProblem& pr, const KernelTable& kt) {
  const int64_t m = pr.q.rows, d = pr.q.cols, k = pr.k;
  const int slots = ctx.effective_threads();
  struct CScratch {
    std::vector<int32_t> row;
    std::vector<Entry> heap;
  };
  std::vector<CScratch> scratch(static_cast<size_t>(slots));
  const int64_t qb = 16;
  return ctx.parallel_for((m + qb - 1) / qb, [&](int64_t task, int slot) -> Status {
    CScratch& s = scratch[static_cast<size_t>(slot)];
    s.heap.resize(static_cast<size_t>(k));
    for (int64_t r = task * qb; r < std::min(m, (task + 1) * qb); ++r) {
      const float* qr = pr.q.row(r);
      for (int64_t t = 0; t < d; ++t)
        if (!std::isfinite(qr[t])) return non_finite("q", r);
      const int32_t* cb = pr.candidates.indices + pr.candidates.indptr[r];
      const int32_t* ce = pr.candidates.indices + pr.candidates.indptr[r + 1];
      s.row.assign(cb, ce);
      std::sort(s.row.begin(), s.row.end());
      s.row.erase(std::unique(s.row.begin(), s.row.end()), s.row.end());
      const int32_t* eb = nullptr;
      const int32_t* ee = nullptr;
      if (pr.exclude.present()) {
        eb = pr.exclude.indices + pr.exclude.indptr[r];
        ee = pr.exclude.indices + pr.exclude.indptr[r + 1];
      }
      int32_t size = 0;
      for (int32_t j : s.row) {
        if (pr.allow.present() && !pr.allow.test(j)) continue;
        if (eb) {
          while (eb != ee && *eb < j) ++eb;
          if (eb != ee && *eb == j) continue;
        }
        bool finite = true;
        const float sc = kt.dot(qr, pr.items.row(j), d, &finite);
        if (!finite) return non_finite("items", j);
        heap_push(s.heap.data(), size, k, Entry{static_cast<double>(sc), j, sc});
      }
      // Sort best-first and write (same layout as Engine::finalize, TopK only).
      std::sort(s.heap.begin(), s.heap.begin() + size, better);
      for (int64_t t = 0; t < k; ++t) {
        pr.out.indices[r * k + t] = t < size ? s.heap[static_cast<size_t>(t)].idx : -1;
        pr.out.scores[r * k + t] = t < size ? s.heap[static_cast<size_t>(t)].score : -std::numeric_limits<float>::infinity();
      }
      pr.out.counts[r] = size;
    }
    return Status::ok();
  });
}

// Top-K for one or two queries over all items, without packing. Packing costs a full write of
// the items (as much memory traffic as the scan itself) and the register tile would be mostly
// idle with m <= 2, so here each item row is read once, in place, and scored with kt.dot (the
// serving path: one user's recommendations, one item's neighbours). Every item is scored, admissible
// or not, so NaN/Inf anywhere in items is reported exactly as the packed path reports it.
// Threads take chunks of items; per-slot heaps are merged as in Engine::run's item split.
Status run_small_m(const ExecContext& ctx, const FusedProblem& pr, const KernelTable& kt) {
  const int64_t m = pr.q.rows, n = pr.items.rows, d = pr.q.cols, k = pr.k;
  for (int64_t r = 0; r < m; ++r) {
    const float* qr = pr.q.row(r);
    for (int64_t t = 0; t < d; ++t)
      if (!std::isfinite(qr[t])) return non_finite("q", r);
  }
  const int slots = ctx.effective_threads();
  std::vector<Scratch> scratch(static_cast<size_t>(slots));
  constexpr int64_t kChunk = 2048;
  Status st = ctx.parallel_for((n + kChunk - 1) / kChunk, [&](int64_t task, int slot) -> Status {
    QState& q = scratch[static_cast<size_t>(slot)].st;
    if (!q.used) q.reset(m, k);
    const int64_t c0 = task * kChunk, c1 = std::min(n, c0 + kChunk);
    const int32_t* ex[kSmallM] = {nullptr, nullptr};
    const int32_t* ex_end[kSmallM] = {nullptr, nullptr};
    if (pr.exclude.present())
      for (int64_t r = 0; r < m; ++r) {
        const int32_t* b = pr.exclude.indices + pr.exclude.indptr[r];
        ex_end[r] = pr.exclude.indices + pr.exclude.indptr[r + 1];
        ex[r] = std::lower_bound(b, ex_end[r], static_cast<int32_t>(c0));
      }
    // Scores of the chunk (kt.dots), then one compare per item and query: only a possible
    // survivor, or a non-finite score (NaN, +-Inf: a bad item value or an overflow), takes the
    // slow path with the finiteness check, the exclusions, the allow list and the heap.
    alignas(64) float sbuf[kSmallM][kChunk];
    for (int64_t r = 0; r < m; ++r) kt.dots(pr.q.row(r), pr.items.row(c0), pr.items.stride, c1 - c0, d, sbuf[r]);
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    for (int64_t j = c0; j < c1; ++j) {
      for (int64_t r = 0; r < m; ++r) {
        const size_t ri = static_cast<size_t>(r);
        const float sc = sbuf[r][j - c0];
        if (sc < q.thr[ri] && sc != kNegInf) continue;
        if (!std::isfinite(sc)) {
          const float* item = pr.items.row(j);
          for (int64_t t = 0; t < d; ++t)
            if (!std::isfinite(item[t])) return non_finite("items", j);
        }
        if (ex[r]) {
          while (ex[r] != ex_end[r] && *ex[r] < j) ++ex[r];
          if (ex[r] != ex_end[r] && *ex[r] == j) continue;
        }
        if ((pr.allow.present() && !pr.allow.test(j)) || sc < q.thr[ri]) continue;
        Entry* h = q.heap.data() + r * k;
        if (heap_push(h, q.size[ri], k, Entry{static_cast<double>(sc), static_cast<int32_t>(j), sc})) q.thr[ri] = h[0].score;
      }
    }
    return Status::ok();
  });
  SOUK_RETURN_IF_ERROR(st);
  Engine e(pr, kt);
  std::vector<Entry> merged(static_cast<size_t>(slots * k));
  for (int64_t r = 0; r < m; ++r) {
    int64_t cnt = 0;
    for (auto& sc : scratch) {
      if (!sc.st.used) continue;
      const int32_t sz = sc.st.size[static_cast<size_t>(r)];
      std::copy(sc.st.heap.begin() + r * k, sc.st.heap.begin() + r * k + sz, merged.begin() + cnt);
      cnt += sz;
    }
    e.finalize(r, merged.data(), cnt, 0.0, 0.0);
  }
  return Status::ok();
}

}  // namespace

int64_t topk_item_split_budget() {
  const int64_t b = g_budget.load(std::memory_order_relaxed);
  return b < 0 ? kDefaultBudget : b;
}
void set_topk_item_split_budget(int64_t bytes) { g_budget.store(bytes, std::memory_order_relaxed); }

Status run_fused(const ExecContext& ctx, const FusedProblem& pr) {
  try {
    const KernelTable& kt = active_kernels();
    if (pr.kind == FusedKind::TopK && pr.candidates.present()) return run_candidates(ctx, pr, kt);
    if (pr.q.rows == 0) return Status::ok();
    if (pr.kind == FusedKind::TopK && pr.q.rows <= kSmallM) return run_small_m(ctx, pr, kt);
    Engine e(pr, kt);
    return e.run(ctx);
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in a retrieval kernel");
  } catch (const std::exception& ex) {
    return Status(Code::Internal, std::string("unexpected exception in a retrieval kernel: ") + ex.what());
  }
}

}  // namespace retrieval
}  // namespace souk
