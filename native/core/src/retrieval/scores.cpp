// retrieval/scores.cpp — dense scores: out (m x n, row stride out.stride) = Q . I^T, with Q m x d and
// I n x d row-major. Limits: n < 2^31; out must be m x n. Complexity: 2 m n d flops, m n stores.
// scores_cpu: items in chunks of NC (packed into NR-item panels, ~160 KiB per chunk), queries MR at
// a time through the register-tiled micro-kernel (ScanMode::Scores stores each tile straight to
// out); threads take chunks. NaN/Inf detected while packing. scores_ref: double accumulation.
#include <algorithm>
#include <vector>

#include "fused.h"
#include "ref_common.h"

namespace souk {

Status scores_ref(const MatrixView& q, const MatrixView& items, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(validate_scores(q, items, out));
  for (int64_t r = 0; r < q.rows; ++r) {
    for (int64_t j = 0; j < items.rows; ++j) {
      double s;
      if (!retrieval::ref::ref_dot(q.row(r), items.row(j), q.cols, &s)) {
        for (int64_t t = 0; t < q.cols; ++t)
          if (!std::isfinite(q.row(r)[t])) return retrieval::ref::ref_non_finite("q", r);
        return retrieval::ref::ref_non_finite("items", j);
      }
      out.row(r)[j] = static_cast<float>(s);
    }
  }
  return Status::ok();
}

Status scores_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(validate_scores(q, items, out));
  using namespace retrieval;
  try {
    const KernelTable& kt = active_kernels();
    const int64_t m = q.rows, n = items.rows, d = q.cols;
    int64_t nc = (160 * 1024) / (4 * std::max<int64_t>(d, 1));
    nc = std::max<int64_t>(kChunkAlign, std::min<int64_t>(nc, 8192)) / kChunkAlign * kChunkAlign;
    struct S {
      AlignedBuf chunk, qp;
    };
    std::vector<S> scratch(static_cast<size_t>(ctx.effective_threads()));
    const int64_t nchunks = m > 0 ? (n + nc - 1) / nc : 0;
    return ctx.parallel_for(nchunks, [&](int64_t task, int slot) -> Status {
      S& s = scratch[static_cast<size_t>(slot)];
      const int64_t c0 = task * nc, c1 = std::min(n, c0 + nc);
      const int np = static_cast<int>((c1 - c0 + kt.nr - 1) / kt.nr);
      float* chunk = s.chunk.get(static_cast<int64_t>(np) * kt.nr * std::max<int64_t>(d, 1));
      SOUK_RETURN_IF_ERROR(pack_panels(kt, items, c0, c1, chunk, "items"));
      float* qp = s.qp.get(static_cast<int64_t>(kt.mr) * std::max<int64_t>(d, 1));
      ScanArgs a;
      a.d = static_cast<int>(d);
      a.chunk = chunk;
      a.npanels = np;
      a.last_valid = static_cast<int>((c1 - c0) - static_cast<int64_t>(np - 1) * kt.nr);
      a.mode = ScanMode::Scores;
      a.ldo = out.stride;
      for (int64_t mb = 0; mb < m; mb += kt.mr) {
        const int mr = static_cast<int>(std::min<int64_t>(kt.mr, m - mb));
        SOUK_RETURN_IF_ERROR(pack_queries(q, kt.mr, mb, mr, qp, "q"));
        a.qp = qp;
        a.mr = mr;
        a.out = out.row(mb) + c0;
        kt.scan(a);
      }
      return Status::ok();
    });
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in scores_cpu");
  }
}

}  // namespace souk
