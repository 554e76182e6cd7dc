// retrieval/sample_topk.cpp — k items drawn without replacement from softmax(score / T) over the
// admissible items, by Gumbel top-K: key_j = s_j / T + g_j, g_j = -log(-log(u_j)),
// u_j = uniform_open01(seed, query row, j) (souk/rng.h; independent of threads, tiling, backend).
// Rows sorted by key descending (ties: smaller index); out.scores = raw s_j; probs and logZ as in
// softmax_topk. Layout and limits as softmax_topk. Complexity: 2 m n d flops + the online
// log-sum-exp; the Gumbel noise (double) only for items passing cheap bounds (fused.cpp).
#include "fused.h"
#include "ref_common.h"
#include "souk/rng.h"

namespace souk {

Status sample_topk_ref(const MatrixView& q, const MatrixView& items, const SampleParams& p, const TopKOut& out,
                       const SoftmaxOut& sm) {
  SOUK_RETURN_IF_ERROR(validate_sample(q, items, p, out, sm));
  try {
    std::vector<retrieval::ref::Scored> v;
    for (int64_t r = 0; r < q.rows; ++r) {
      SOUK_RETURN_IF_ERROR(retrieval::ref::ref_admissible(q, items, r, p.exclude, p.allow, CsrView{}, &v));
      const double log_z = retrieval::ref::ref_log_z(v, p.temperature);
      for (auto& e : v) {
        const double u = uniform_open01(p.seed, static_cast<uint64_t>(r), static_cast<uint64_t>(e.idx));
        e.key = e.score / p.temperature - std::log(-std::log(u));
      }
      retrieval::ref::ref_write_topk(v, r, out);  // sorts v by key, best first
      retrieval::ref::ref_write_probs(v, r, p.temperature, log_z, out, sm);
    }
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in sample_topk_ref");
  }
  return Status::ok();
}

Status sample_topk_cpu(const ExecContext& ctx, const MatrixView& q, const MatrixView& items, const SampleParams& p,
                       const TopKOut& out, const SoftmaxOut& sm) {
  SOUK_RETURN_IF_ERROR(validate_sample(q, items, p, out, sm));
  retrieval::FusedProblem pr;
  pr.q = q;
  pr.items = items;
  pr.k = p.k;
  pr.exclude = p.exclude;
  pr.allow = p.allow;
  pr.kind = retrieval::FusedKind::Sample;
  pr.temperature = p.temperature;
  pr.seed = p.seed;
  pr.out = out;
  pr.sm = sm;
  return retrieval::run_fused(ctx, pr);
}

}  // namespace souk
