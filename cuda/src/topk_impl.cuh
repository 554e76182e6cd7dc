// cuda/src/topk_impl.cuh: the host side of the fused top-K for one queue bucket K (included by
// src/topk_k<K>.cu, one translation unit per bucket; the dispatcher is src/topk.cu).
// launch_topk_bucket<K>: arguments already validated by launch_topk_cuda / launch_softmax_topk_cuda
// (smo non-null: softmax top-K with `temperature`, never with candidates). Chooses the path:
//   candidates present -> topk_candidates_kernel<K, 8>, grid ceil(m/8), block 256;
//   otherwise          -> topk_dense_kernel<K, 8>, grid (nchunks, ceil(m/8)), block 256, and when
//                         nchunks > 1 topk_merge_kernel<K, 8>, grid ceil(m/8), block 256;
//                         sampled top-K adds topk_rescore_kernel<8>, grid ceil(m/8), block 256.
// nchunks: ctx.topk_chunk if set, else enough chunks for ~2 blocks per SM, each chunk >= max(4K, 256)
// items (a multiple of 32). Scratch: m * nchunks * (K * 8 + 8 for softmax) bytes. Then one synchronise to read flags.
#pragma once

#include <algorithm>
#include <string>

#include "kernels/topk.cuh"
#include "souk/cuda/retrieval.h"
#include "topk_dispatch.h"

namespace souk {
namespace cuda {

constexpr int kTopKWarps = 8;

template <int K>
Status launch_topk_bucket(CudaContext& ctx, const MatrixView& q, const MatrixView& items, const TopKParams& p,
                          const TopKOut& out, const SoftmaxMode& mode) {
  const SoftmaxOut* smo = mode.out;
  const double temperature = mode.temperature;
  constexpr int W = kTopKWarps;
  const int64_t m = q.rows, n = items.rows, d = q.cols, k = p.k;
  const int64_t qblocks = (m + W - 1) / W;
  souk_cuda::TopKFilters f;
  f.ex_indptr = p.exclude.present() ? p.exclude.indptr : nullptr;
  f.ex_indices = p.exclude.present() ? p.exclude.indices : nullptr;
  f.allow = p.allow.present() ? p.allow.bytes : nullptr;
  souk_cuda::SoftmaxArgs sm;
  sm.inv_t = (float)(1.0 / temperature);
  sm.probs = smo ? smo->probs : nullptr;
  sm.log_z = smo ? smo->log_z : nullptr;
  sm.lse_part = nullptr;
  sm.sample = mode.sample ? 1 : 0;
  sm.temperature = temperature;
  sm.seed = (unsigned long long)mode.seed;
  SOUK_RETURN_IF_ERROR(ctx.reset_status());
  if (p.candidates.present()) {
    if (qblocks > 2147483647) return Status(Code::Shape, "too many queries for one launch");
    SIMT_LAUNCH((souk_cuda::topk_candidates_kernel<K, W>), dim3((unsigned)qblocks), dim3(32 * W), 0, ctx.stream(),
                q.data, (long long)q.stride, items.data, (long long)items.stride, (int)m, (int)n, (int)d,
                p.candidates.indptr, p.candidates.indices, f, (int)k, out.scores, out.indices, out.counts,
                ctx.status_word());
    SOUK_RETURN_IF_ERROR(ctx.check_launch("topk_candidates_kernel"));
  } else if (n == 0) {
    const int64_t blocks = std::min<int64_t>((m * k + 255) / 256, 4096);
    SIMT_LAUNCH(souk_cuda::topk_fill_empty_kernel<0>, dim3((unsigned)blocks), dim3(256), 0, ctx.stream(), (int)m, (int)k,
                out.scores, out.indices, out.counts, sm.probs, sm.log_z);
    SOUK_RETURN_IF_ERROR(ctx.check_launch("topk_fill_empty_kernel"));
  } else {
    if (qblocks > 65535)
      return Status(Code::Shape, "Expected at most " + std::to_string(65535 * W) +
                                     " rows for q on the CUDA top-K path but received " + std::to_string(m));
    int64_t chunk;
    if (ctx.topk_chunk > 0) {
      chunk = (ctx.topk_chunk + 31) / 32 * 32;
    } else {
      const int64_t min_chunk = std::max<int64_t>(4 * K, 256);
      const int64_t want_chunks = std::max<int64_t>(1, (2 * (int64_t)ctx.sm_count() + qblocks - 1) / qblocks);
      chunk = std::max<int64_t>(min_chunk, (n + want_chunks - 1) / want_chunks);
      chunk = (chunk + 31) / 32 * 32;
    }
    const int64_t nchunks = (n + chunk - 1) / chunk;
    if (nchunks > 2147483647) return Status(Code::Shape, "too many item chunks");
    float* cand_s = nullptr;
    int* cand_i = nullptr;
    if (nchunks > 1) {
      const size_t entries = (size_t)m * (size_t)nchunks * (size_t)K;
      const size_t parts = sm.probs ? (size_t)m * (size_t)nchunks * 2 : 0;
      void* s = nullptr;
      SOUK_RETURN_IF_ERROR(ctx.scratch(entries * (sizeof(float) + sizeof(int)) + parts * sizeof(float), &s));
      cand_s = static_cast<float*>(s);
      cand_i = reinterpret_cast<int*>(cand_s + entries);
      if (sm.probs) sm.lse_part = reinterpret_cast<float*>(cand_i + entries);
    }
    SIMT_LAUNCH((souk_cuda::topk_dense_kernel<K, W>), dim3((unsigned)nchunks, (unsigned)qblocks), dim3(32 * W), 0,
                ctx.stream(), q.data, (long long)q.stride, items.data, (long long)items.stride, (int)m, (int)n, (int)d,
                (int)chunk, f, sm, (int)k, out.scores, out.indices, out.counts, cand_s, cand_i, ctx.status_word());
    SOUK_RETURN_IF_ERROR(ctx.check_launch("topk_dense_kernel"));
    if (nchunks > 1) {
      SIMT_LAUNCH((souk_cuda::topk_merge_kernel<K, W>), dim3((unsigned)qblocks), dim3(32 * W), 0, ctx.stream(), cand_s,
                  cand_i, (int)m, (int)nchunks, (int)k, sm, out.scores, out.indices, out.counts);
      SOUK_RETURN_IF_ERROR(ctx.check_launch("topk_merge_kernel"));
    }
    if (mode.sample) {
      SIMT_LAUNCH((souk_cuda::topk_rescore_kernel<W>), dim3((unsigned)qblocks), dim3(32 * W), 0, ctx.stream(), q.data,
                  (long long)q.stride, items.data, (long long)items.stride, (int)m, (int)d, (int)k, sm, out.scores,
                  out.indices);
      SOUK_RETURN_IF_ERROR(ctx.check_launch("topk_rescore_kernel"));
    }
  }
  int flags = 0;
  SOUK_RETURN_IF_ERROR(ctx.read_status(&flags));
  if (flags & kFlagNonFinite)
    return Status(Code::NonFinite, "Expected finite values for q and items but received NaN or Infinity");
  if (flags & kFlagCsrRange)
    return Status(Code::Csr, "Expected candidates.indices in [0, " + std::to_string(n) + ") but received an index outside");
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
