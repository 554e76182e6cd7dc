// cuda/tests/kernels/topk.cuh: a realistic kernel in the shape Souk's GPU kernels will take, used to
// test the emulator end to end: fused scores + top-k.
//
//   score(q, i) = dot(Q[q, :], X[i, :]) + bias[i]      (bias may be -inf: a filtered item)
//   out(q)      = the k best (score, index) pairs, best first; ties broken by the smaller index;
//                 slots beyond the number of items hold (-inf, -1).
//
// Layout: Q is nq x d, X is n x d, both row-major and dense; bias has n entries (or is null).
// Pass 1, fused_scores_topk<BLOCK>: grid (nchunks, nq); each block caches its query in dynamic shared
//   memory, each warp scores 32 items per step (one per lane, serial dot product), sorts them with a
//   bitonic network of __shfl_xor_sync, merges them into a register-resident sorted top-32 (reverse by
//   __shfl_sync, element-wise best, bitonic clean); then the warps merge through shared memory after
//   __syncthreads and the block writes its chunk's top-k candidates.
// Pass 2, merge_topk: one warp per query merges the nchunks candidate lists the same way.
// Limits: 1 <= k <= 32, BLOCK a multiple of 32 up to 1024, d >= 1; NaN scores are not ordered.
// Complexity: O(n d) multiply-adds per query plus O(n log^2 32) shuffle steps.
#pragma once

#include "../../simt/compat.cuh"

namespace topk {

constexpr unsigned kFull = 0xffffffffu;
constexpr int kMaxK = 32;

// Strict order: a is better than b. Empty slots (index -1) are worst among equal scores.
SIMT_HD inline bool better(float as, int ai, float bs, int bi) {
  return as > bs || (as == bs && (unsigned)ai < (unsigned)bi);
}

// Keep the better (or worse) of my pair and my partner's.
__device__ __forceinline__ void exchange(float& s, int& i, int partner_xor, bool keep_better) {
  const float os = __shfl_xor_sync(kFull, s, partner_xor);
  const int oi = __shfl_xor_sync(kFull, i, partner_xor);
  const bool mine_better = better(s, i, os, oi);
  if (mine_better != keep_better) {
    s = os;
    i = oi;
  }
}

// Sort the warp's 32 (score, index) pairs, best in lane 0.
__device__ __forceinline__ void warp_bitonic_sort(float& s, int& i) {
  const int lane = (int)(threadIdx.x & 31);
  for (int k = 2; k <= 32; k <<= 1) {
    for (int j = k >> 1; j > 0; j >>= 1) {
      const bool descending = (lane & k) == 0;
      const bool lower = (lane & j) == 0;
      exchange(s, i, j, lower == descending);
    }
  }
}

// best: sorted, best first. cand: sorted, best first. Result: the best 32 of both, sorted, in best.
__device__ __forceinline__ void warp_merge(float& bs, int& bi, float cs, int ci) {
  const int lane = (int)(threadIdx.x & 31);
  const float rs = __shfl_sync(kFull, cs, 31 - lane);
  const int ri = __shfl_sync(kFull, ci, 31 - lane);
  if (better(rs, ri, bs, bi)) {
    bs = rs;
    bi = ri;
  }
  // bitonic now: clean it
  for (int j = 16; j > 0; j >>= 1) exchange(bs, bi, j, (lane & j) == 0);
}

template <int BLOCK>
__global__ void __launch_bounds__(BLOCK) fused_scores_topk(const float* __restrict__ Q, const float* __restrict__ X,
                                                           const float* __restrict__ bias, int n, int d,
                                                           int chunk, int k, float* __restrict__ cand_s,
                                                           int* __restrict__ cand_i) {
  constexpr int kWarps = BLOCK / 32;
  SIMT_DYN_SHARED(float, smem);
  float* q = smem;                                  // d floats
  float* ws = smem + d;                             // kWarps * 32 scores
  int* wi = reinterpret_cast<int*>(ws + kWarps * 32);  // kWarps * 32 indices
  const int tid = (int)threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int qi = (int)blockIdx.y;
  const int begin = (int)blockIdx.x * chunk;
  const int end = min(n, begin + chunk);

  for (int j = tid; j < d; j += BLOCK) q[j] = Q[(size_t)qi * d + j];
  __syncthreads();

  float bs = -INFINITY;
  int bi = -1;
  // Every warp runs the same number of steps (warp-uniform loop bound), lanes past `end` hold empties.
  for (int base = begin + warp * 32; base < end; base += BLOCK) {
    const int item = base + lane;
    float s = -INFINITY;
    int idx = -1;
    if (item < end) {
      const float* x = X + (size_t)item * d;
      float acc = 0.0f;
      for (int j = 0; j < d; ++j) acc += q[j] * x[j];
      s = acc + (bias ? bias[item] : 0.0f);
      idx = item;
    }
    warp_bitonic_sort(s, idx);
    warp_merge(bs, bi, s, idx);
  }
  ws[warp * 32 + lane] = bs;
  wi[warp * 32 + lane] = bi;
  __syncthreads();
  if (warp == 0) {
    for (int w = 1; w < kWarps; ++w) warp_merge(bs, bi, ws[w * 32 + lane], wi[w * 32 + lane]);
    if (lane < k) {
      const size_t o = ((size_t)qi * gridDim.x + blockIdx.x) * k + lane;
      cand_s[o] = bs;
      cand_i[o] = bi;
    }
  }
}

// One warp per query: merge nchunks sorted lists of k candidates.
__global__ void __launch_bounds__(32) merge_topk(const float* __restrict__ cand_s, const int* __restrict__ cand_i,
                                                 int nchunks, int k, float* __restrict__ out_s, int* __restrict__ out_i) {
  const int lane = (int)threadIdx.x;
  const int qi = (int)blockIdx.x;
  float bs = -INFINITY;
  int bi = -1;
  for (int c = 0; c < nchunks; ++c) {
    const size_t o = ((size_t)qi * nchunks + c) * k;
    const float s = lane < k ? cand_s[o + lane] : -INFINITY;
    const int i = lane < k ? cand_i[o + lane] : -1;
    warp_merge(bs, bi, s, i);
  }
  if (lane < k) {
    out_s[(size_t)qi * k + lane] = bs;
    out_i[(size_t)qi * k + lane] = bi;
  }
}

// Host launcher (the shape of cuda/src/*.cu launchers): validates, sizes the grid and shared memory,
// launches both passes on `stream`, and returns the first CUDA error. scratch_s/scratch_i hold
// nq * nchunks(n, chunk) * k candidates (see scratch_count).
inline int nchunks_for(int n, int chunk) { return n <= 0 ? 1 : (n + chunk - 1) / chunk; }
inline size_t scratch_count(int nq, int n, int chunk, int k) { return (size_t)nq * nchunks_for(n, chunk) * k; }

template <int BLOCK>
cudaError_t launch_fused_topk(const float* Q, const float* X, const float* bias, int nq, int n, int d, int k,
                              int chunk, float* scratch_s, int* scratch_i, float* out_s, int* out_i,
                              cudaStream_t stream) {
  if (nq < 0 || n < 0 || d < 1 || k < 1 || k > kMaxK || chunk < 1) return cudaErrorInvalidValue;
  if (nq == 0) return cudaSuccess;
  const int nchunks = nchunks_for(n, chunk);
  const size_t smem = sizeof(float) * (size_t)d + (sizeof(float) + sizeof(int)) * (size_t)BLOCK;
  SIMT_LAUNCH((fused_scores_topk<BLOCK>), dim3((unsigned)nchunks, (unsigned)nq), dim3(BLOCK), smem, stream, Q, X,
              bias, n, d, chunk, k, scratch_s, scratch_i);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  SIMT_LAUNCH(merge_topk, dim3((unsigned)nq), dim3(32), 0, stream, scratch_s, scratch_i, nchunks, k, out_s, out_i);
  return cudaGetLastError();
}

}  // namespace topk
