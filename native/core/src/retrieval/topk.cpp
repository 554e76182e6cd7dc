// retrieval/topk.cpp — fused top-K: per query the k best items by q . i (ties: smaller index),
// with optional exclude (CSR per query), allow (item bitset) and candidates (CSR per query).
// Layout: Q m x d and I n x d row-major (stride >= d); out.indices/out.scores m x k, out.counts m.
// Limits: 1 <= k <= kMaxK, n < 2^31. Complexity: 2 m n d flops (candidates: 2 d per candidate);
// extra memory O(threads * tile + m * k) (see fused.cpp). topk_ref: O(m n (d + log n)), double.
#include "fused.h"
#include "ref_common.h"

namespace souk {

Status topk_ref(const MatrixView& q, const MatrixView& items, const TopKParams& p, const TopKOut& out) {
  SOUK_RETURN_IF_ERROR(validate_topk(q, items, p, out));
  try {
    std::vector<retrieval::ref::Scored> v;
    for (int64_t r = 0; r < q.rows; ++r) {
      SOUK_RETURN_IF_ERROR(retrieval::ref::ref_admissible(q, items, r, p.exclude, p.allow, p.candidates, &v));
      retrieval::ref::ref_write_topk(v, r, out);
    }
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in topk_ref");
  }
  return Status::ok();
}

Status topk_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                const TopKOut& out) {
  SOUK_RETURN_IF_ERROR(validate_topk(q, items, p, out));
  retrieval::FusedProblem pr;
  pr.q = q;
  pr.items = items;
  pr.k = p.k;
  pr.exclude = p.exclude;
  pr.allow = p.allow;
  pr.candidates = p.candidates;
  pr.kind = retrieval::FusedKind::TopK;
  pr.out = out;
  return retrieval::run_fused(ctx, pr);
}

}  // namespace souk
