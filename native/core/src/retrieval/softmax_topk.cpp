// retrieval/softmax_topk.cpp — top-K by score plus the softmax over all admissible items:
// probs[r][t] = exp(s_t / T - logZ_r), logZ_r = log sum_{j admissible} exp(s_j / T).
// Layout: as topk (out m x k), sm.probs m x k, sm.log_z m. Padding: index -1, score -Infinity,
// prob 0; logZ -Infinity when nothing is admissible. Limits: 1 <= k <= kMaxK, T finite > 0.
// Complexity: 2 m n d flops + n m exp (vectorised, online log-sum-exp in the same pass as the
// scores; double across tiles). softmax_topk_ref: double throughout.
#include "fused.h"
#include "ref_common.h"

namespace souk {

Status softmax_topk_ref(const MatrixView& q, const MatrixView& items, const SoftmaxParams& p, const TopKOut& out,
                        const SoftmaxOut& sm) {
  SOUK_RETURN_IF_ERROR(validate_softmax(q, items, p, out, sm));
  try {
    std::vector<retrieval::ref::Scored> v;
    for (int64_t r = 0; r < q.rows; ++r) {
      SOUK_RETURN_IF_ERROR(retrieval::ref::ref_admissible(q, items, r, p.exclude, p.allow, CsrView{}, &v));
      const double log_z = retrieval::ref::ref_log_z(v, p.temperature);
      retrieval::ref::ref_write_topk(v, r, out);  // sorts v best-first
      retrieval::ref::ref_write_probs(v, r, p.temperature, log_z, out, sm);
    }
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in softmax_topk_ref");
  }
  return Status::ok();
}

Status softmax_topk_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items, const SoftmaxParams& p,
                        const TopKOut& out, const SoftmaxOut& sm) {
  SOUK_RETURN_IF_ERROR(validate_softmax(q, items, p, out, sm));
  retrieval::FusedProblem pr;
  pr.q = q;
  pr.items = items;
  pr.k = p.k;
  pr.exclude = p.exclude;
  pr.allow = p.allow;
  pr.kind = retrieval::FusedKind::Softmax;
  pr.temperature = p.temperature;
  pr.out = out;
  pr.sm = sm;
  return retrieval::run_fused(ctx, pr);
}

}  // namespace souk
