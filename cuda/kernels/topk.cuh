// cuda/kernels/topk.cuh: fused top-K (dot products fused with warp-level selection; no score matrix
// in global memory). Semantics of souk::topk_ref: rows sorted by score descending, ties to the
// smaller index, padding (-inf, -1), counts = real entries; admissible = (in candidates, if given)
// and allowed (bitset) and not excluded (per-query sorted CSR row, binary search).
//
// Kernels (K = queue bucket, a power of two in [32, 1024]; W = warps per block = queries per block):
//  * topk_dense_kernel<K, W>: grid (nchunks, ceil(m / W)), block 32 W. Warp w owns query
//    blockIdx.y * W + w; the block walks the items [chunk * bx, +chunk) 32 at a time. Per 32-item
//    tile and per slice of 32 dimensions, the block stages the items (32 x 33 floats) and its W
//    query slices (W x 32) in static shared memory (coalesced loads, NaN/Inf checked there), so each
//    item element read from global memory serves W queries; lane l accumulates the score of item
//    tile + l for its warp's query in a register. The 32 scores then go to the warp's register
//    queue (WarpQueue<K>::insert32: threshold vote, sort 32, bitonic merge). With one chunk the
//    warp writes its row (first k entries + count) directly; otherwise it writes its K sorted
//    entries to scratch (m x nchunks x K pairs) for the merge pass.
//  * topk_merge_kernel<K, W>: grid ceil(m / W), block 32 W: warp per query merges the nchunks
//    sorted lists (stops reading a list at its first 32 that cannot enter the queue).
//  * topk_candidates_kernel<K, W>: grid ceil(m / W), block 32 W: warp per query; lanes take the
//    query's candidates 32 at a time and compute each dot product from global memory (a gather:
//    no tiling is possible). Duplicate candidates count once: a candidate passing the threshold
//    is dropped if its index is already queued or an earlier lane of the batch has it (a duplicate
//    of an item not in the queue cannot pass, since the threshold only improves). Indices outside
//    [0, n) raise kFlagCsrRange and are skipped.
//  * topk_fill_empty_kernel: rows of padding (n == 0 without candidates).
// Softmax top-K (SoftmaxArgs::probs non-null) reuses the dense and merge kernels: each lane also keeps
// an online log-sum-exp (max, sum) of score / T over its admissible items (float, max-shifted),
// warps reduce it by butterfly, chunks leave partials in scratch (m x nchunks x 2 floats) that the
// merge pass combines; probabilities exp(score / T - log Z) are written with the row.
// Sampled top-K (SoftmaxArgs::sample): the same, but the queue orders by the Gumbel key
// score / T - log(-log(u)), u = souk::uniform_open01(seed, query, item) (souk/rng.h, SOUK_HD), and
// topk_rescore_kernel then puts the raw scores and the probabilities in the rows.
// __launch_bounds__(32 W, 1): without the min-blocks hint ptxas (CUDA 13, sm_90) capped the
// candidates kernel at 32 registers and spilled; with it the queue stays in registers.
// Limits: d, n < 2^31; static shared memory (32 * 33 + 32 W) * 4 bytes (dense). Registers: 2 K / 32
// per lane for the queue. Complexity: 2 m n d flops + O(m n) threshold votes + O(m * inserts *
// (15 + log2 K * K / 32)) shuffles; scratch m * nchunks * K * 8 bytes when nchunks > 1.
#pragma once

#include "kernels/warp_select.cuh"
#include "souk/rng.h"

namespace souk_cuda {

constexpr int kTopKSlice = 32;  // dimensions per shared-memory slice

struct TopKFilters {
  const int* ex_indptr;   // m + 1, or null
  const int* ex_indices;  // sorted within each row
  const unsigned char* allow;  // n bits, or null
};

// Softmax top-K extras (all null / unused for plain top-K): probabilities of the returned entries
// and log Z over all admissible items, from an online log-sum-exp of score * inv_t per lane.
struct SoftmaxArgs {
  float inv_t;
  float* probs;      // m x k, or null (plain top-K)
  float* log_z;      // m
  float* lse_part;   // m x nchunks x 2 (max, sum) when nchunks > 1
  int sample;        // 1: sampled top-K: the queue orders by the Gumbel key, not the score
  double temperature;
  unsigned long long seed;
};

// Gumbel key of (query, item): score / T - log(-log(u)), u = souk::uniform_open01(seed, query, item)
// in double as in souk::sample_topk_ref, then rounded to float for the queue.
__device__ __forceinline__ float gumbel_key(float score, const SoftmaxArgs& sm, int q, int item) {
  const double u = souk::uniform_open01(sm.seed, (unsigned long long)q, (unsigned long long)item);
  return (float)((double)score / sm.temperature - log(-log(u)));
}

__device__ __forceinline__ bool allowed(const unsigned char* allow, int item) {
  return allow == nullptr || ((allow[item >> 3] >> (item & 7)) & 1) != 0;
}

// Is `item` in the sorted range indices[b, e)?
__device__ __forceinline__ bool in_sorted(const int* indices, int b, int e, int item) {
  while (b < e) {
    const int mid = b + ((e - b) >> 1);
    const int v = indices[mid];
    if (v == item) return true;
    if (v < item) b = mid + 1;
    else e = mid;
  }
  return false;
}

template <int K, int W>
__global__ void __launch_bounds__(32 * W, 1)
    topk_dense_kernel(const float* __restrict__ Q, long long ldq, const float* __restrict__ X, long long ldx, int m,
                      int n, int d, int chunk, TopKFilters f, SoftmaxArgs sm, int k, float* __restrict__ out_s,
                      int* __restrict__ out_i, int* __restrict__ counts, float* __restrict__ cand_s,
                      int* __restrict__ cand_i, int* __restrict__ status) {
  __shared__ float xt[32][kTopKSlice + 1];
  __shared__ float qt[W][kTopKSlice];
  const int tid = (int)threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int q0 = (int)blockIdx.y * W;
  const int q = q0 + warp;
  const bool qvalid = q < m;
  const int begin = (int)blockIdx.x * chunk;
  const int end = min(n, begin + chunk);
  int eb = 0, ee = 0;
  if (f.ex_indptr != nullptr && qvalid) {
    eb = f.ex_indptr[q];
    ee = f.ex_indptr[q + 1];
  }
  WarpQueue<K> queue;
  queue.init();
  Lse lse{-INFINITY, 0.0f};
  bool bad = false;
  for (int base = begin; base < end; base += 32) {  // block-uniform bounds
    float acc = 0.0f;
    for (int d0 = 0; d0 < d; d0 += kTopKSlice) {
      for (int t = tid; t < 32 * kTopKSlice; t += 32 * W) {
        const int r = t / kTopKSlice, c = t % kTopKSlice;
        const int item = base + r, col = d0 + c;
        const float v = (item < end && col < d) ? X[(long long)item * ldx + col] : 0.0f;
        bad = bad || !finite_bits(v);
        xt[r][c] = v;
      }
      for (int t = tid; t < W * kTopKSlice; t += 32 * W) {
        const int r = t / kTopKSlice, c = t % kTopKSlice;
        const int qq = q0 + r, col = d0 + c;
        const float v = (qq < m && col < d) ? Q[(long long)qq * ldq + col] : 0.0f;
        bad = bad || !finite_bits(v);
        qt[r][c] = v;
      }
      __syncthreads();
#pragma unroll 8
      for (int c = 0; c < kTopKSlice; ++c) acc += qt[warp][c] * xt[lane][c];
      __syncthreads();
    }
    const int item = base + lane;
    bool ok = qvalid && item < end;
    if (ok) ok = allowed(f.allow, item);
    if (ok && ee > eb) ok = !in_sorted(f.ex_indices, eb, ee, item);
    if (sm.probs != nullptr && ok) lse = lse_add(lse, acc * sm.inv_t);
    const float key = (sm.sample && ok) ? gumbel_key(acc, sm, q, item) : acc;
    queue.insert32(ok ? key : -INFINITY, ok ? item : -1);
  }
  if (bad) atomicOr(status, (int)1);
  if (!qvalid) return;  // no barrier follows
  if (sm.probs != nullptr) lse = lse_warp_reduce(lse);
  if (gridDim.x == 1) {
    const int c = queue.write(out_s + (long long)q * k, out_i + (long long)q * k, k);
    if (lane == 0) counts[q] = c;
    if (sm.probs != nullptr) {
      const float lz = lse_value(lse);
      if (!sm.sample) queue.write_probs(sm.probs + (long long)q * k, k, sm.inv_t, lz);
      if (lane == 0) sm.log_z[q] = lz;
    }
  } else {
    const long long o = ((long long)q * gridDim.x + blockIdx.x) * K;
    queue.write(cand_s + o, cand_i + o, K);
    if (sm.probs != nullptr && lane == 0) {
      const long long po = ((long long)q * gridDim.x + blockIdx.x) * 2;
      sm.lse_part[po] = lse.mx;
      sm.lse_part[po + 1] = lse.sum;
    }
  }
}

template <int K, int W>
__global__ void __launch_bounds__(32 * W, 1)
    topk_merge_kernel(const float* __restrict__ cand_s, const int* __restrict__ cand_i, int m, int nchunks, int k,
                      SoftmaxArgs sm, float* __restrict__ out_s, int* __restrict__ out_i, int* __restrict__ counts) {
  const int lane = (int)threadIdx.x & 31;
  const int q = (int)blockIdx.x * W + ((int)threadIdx.x >> 5);
  if (q >= m) return;  // whole warps only (no barrier in this kernel)
  WarpQueue<K> queue;
  queue.init();
  for (int c = 0; c < nchunks; ++c) {
    const long long o = ((long long)q * nchunks + c) * K;
    for (int r = 0; r < K / 32; ++r) {
      // Each list is sorted: once 32 of them cannot enter, the rest cannot either.
      if (!queue.insert32(cand_s[o + r * 32 + lane], cand_i[o + r * 32 + lane])) break;
    }
  }
  const int cnt = queue.write(out_s + (long long)q * k, out_i + (long long)q * k, k);
  if (lane == 0) counts[q] = cnt;
  if (sm.probs != nullptr) {
    Lse lse{-INFINITY, 0.0f};
    for (int c = lane; c < nchunks; c += 32) {
      const long long po = ((long long)q * nchunks + c) * 2;
      lse = lse_combine(lse, Lse{sm.lse_part[po], sm.lse_part[po + 1]});
    }
    lse = lse_warp_reduce(lse);
    const float lz = lse_value(lse);
    if (!sm.sample) queue.write_probs(sm.probs + (long long)q * k, k, sm.inv_t, lz);
    if (lane == 0) sm.log_z[q] = lz;
  }
}

// Sampled top-K, after the selection: the rows hold Gumbel keys; replace them by the raw scores
// q . i (recomputed, float, d multiply-adds per returned entry) and write the probabilities
// exp(score / T - log Z). Grid ceil(m / W), block 32 W, warp per query, lanes over the k entries.
template <int W>
__global__ void __launch_bounds__(32 * W)
    topk_rescore_kernel(const float* __restrict__ Q, long long ldq, const float* __restrict__ X, long long ldx, int m,
                        int d, int k, SoftmaxArgs sm, float* __restrict__ out_s, const int* __restrict__ out_i) {
  const int lane = (int)threadIdx.x & 31;
  const int q = (int)blockIdx.x * W + ((int)threadIdx.x >> 5);
  if (q >= m) return;
  const float lz = sm.log_z[q];
  const float* qrow = Q + (long long)q * ldq;
  for (int e = lane; e < k; e += 32) {
    const long long o = (long long)q * k + e;
    const int item = out_i[o];
    if (item < 0) {
      sm.probs[o] = 0.0f;
      continue;
    }
    const float* x = X + (long long)item * ldx;
    float acc = 0.0f;
    for (int c = 0; c < d; ++c) acc += qrow[c] * x[c];
    out_s[o] = acc;
    sm.probs[o] = expf(acc * sm.inv_t - lz);
  }
}

template <int K, int W>
__global__ void __launch_bounds__(32 * W, 1)
    topk_candidates_kernel(const float* __restrict__ Q, long long ldq, const float* __restrict__ X, long long ldx,
                           int m, int n, int d, const int* __restrict__ c_indptr, const int* __restrict__ c_indices,
                           TopKFilters f, int k, float* __restrict__ out_s, int* __restrict__ out_i,
                           int* __restrict__ counts, int* __restrict__ status) {
  const int lane = (int)threadIdx.x & 31;
  const int q = (int)blockIdx.x * W + ((int)threadIdx.x >> 5);
  if (q >= m) return;  // whole warps only (no barrier in this kernel)
  const int cb = c_indptr[q], ce = c_indptr[q + 1];
  int eb = 0, ee = 0;
  if (f.ex_indptr != nullptr) {
    eb = f.ex_indptr[q];
    ee = f.ex_indptr[q + 1];
  }
  const float* qrow = Q + (long long)q * ldq;
  bool bad = false;
  for (int c = lane; c < d; c += 32) bad = bad || !finite_bits(qrow[c]);  // as topk_ref: always read
  bool range = false;
  WarpQueue<K> queue;
  queue.init();
  for (int base = cb; base < ce; base += 32) {  // warp-uniform bounds
    const int t = base + lane;
    int item = t < ce ? c_indices[t] : -1;
    if (item >= n || item < -1) {
      range = true;
      item = -1;
    }
    float s = -INFINITY;
    if (item >= 0) {
      const float* x = X + (long long)item * ldx;
      float acc = 0.0f;
      for (int c = 0; c < d; ++c) {
        const float xv = x[c];
        bad = bad || !finite_bits(xv);
        acc += qrow[c] * xv;
      }
      s = acc;
    }
    bool ok = item >= 0 && allowed(f.allow, item);
    if (ok && ee > eb) ok = !in_sorted(f.ex_indices, eb, ee, item);
    float ts;
    int ti;
    queue.threshold(ts, ti);
    bool pass = ok && better(s, item, ts, ti);
    // Duplicates: drop a passing candidate already queued, or held by an earlier passing lane.
    unsigned todo = __ballot_sync(kFullMask, pass);
    while (todo != 0u) {  // warp-uniform
      const int p = __ffs((int)todo) - 1;
      const int pid = __shfl_sync(kFullMask, item, p);
      const bool queued = queue.contains(pid);
      if ((lane == p && queued) || (lane > p && item == pid)) pass = false;
      todo &= __ballot_sync(kFullMask, pass) & ~((2u << p) - 1u);
    }
    queue.insert_passed(s, item, pass);
  }
  if (bad) atomicOr(status, (int)1);
  if (range) atomicOr(status, (int)2);
  const int cnt = queue.write(out_s + (long long)q * k, out_i + (long long)q * k, k);
  if (lane == 0) counts[q] = cnt;
}

// Padding rows: (-inf, -1), count 0. Grid-stride over m * k entries. (A template so that every
// translation unit including this header may instantiate it without a duplicate symbol.)
template <int Unused>
__global__ void __launch_bounds__(256)
    topk_fill_empty_kernel(int m, int k, float* __restrict__ out_s, int* __restrict__ out_i, int* __restrict__ counts,
                           float* __restrict__ probs, float* __restrict__ log_z) {
  const long long total = (long long)m * k;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
    out_s[t] = -INFINITY;
    out_i[t] = -1;
    if (probs != nullptr) probs[t] = 0.0f;
    if (t % k == 0) {
      counts[t / k] = 0;
      if (log_z != nullptr) log_z[t / k] = -INFINITY;
    }
  }
}

}  // namespace souk_cuda
