// cuda/kernels/warp_select.cuh: device helpers shared by the top-K kernels: the (score, index)
// order, a 32-element warp bitonic sort, and a register-resident sorted queue of K = 32 * N entries
// per warp (entry e = r * 32 + lane lives in register slot r of lane `lane`), in the spirit of
// faiss's WarpSelect but written from scratch.
//
// Order: a is better than b when a.score > b.score, or equal scores and a.index < b.index as
// UNSIGNED, so an empty slot (-inf, -1) loses to any real entry. NaN never reaches here (inputs
// are checked while loaded). insert32() offers one candidate per lane: candidates not strictly
// better than the queue's K-th entry are dropped first (warp vote); if any remain, the 32 are
// sorted (15 shuffle stages) and merged: the reversed batch meets the queue's last 32 entries
// element-wise (the sequence is then bitonic) and a bitonic clean of K entries (log2 K stages:
// register swaps for strides >= 32, __shfl_xor_sync below) restores the order. All loops have
// compile-time trip counts and are unrolled, so the queue stays in registers (ptxas checks:
// -warn-lmem-usage). Every collective uses the full mask: call warp-uniformly with 32 live lanes.
#pragma once

#include "simt/compat.cuh"

namespace souk_cuda {

constexpr unsigned kFullMask = 0xffffffffu;

// Finite test on the bits (independent of fast-math flags): exponent not all ones.
__device__ __forceinline__ bool finite_bits(float v) { return (__float_as_uint(v) & 0x7f800000u) != 0x7f800000u; }

SIMT_HD inline bool better(float as, int ai, float bs, int bi) {
  return as > bs || (as == bs && (unsigned)ai < (unsigned)bi);
}

// Compare-exchange with lane ^ j: the lower lane keeps the better when `lower_keeps_better`.
__device__ __forceinline__ void shfl_exchange(float& s, int& i, int j, bool lower_keeps_better) {
  const int lane = (int)(threadIdx.x & 31);
  const float os = __shfl_xor_sync(kFullMask, s, j);
  const int oi = __shfl_xor_sync(kFullMask, i, j);
  const bool lower = (lane & j) == 0;
  const bool mine_better = better(s, i, os, oi);
  // The lower lane wants the better one (if lower_keeps_better), the upper one the other.
  const bool want_better = lower == lower_keeps_better;
  if (mine_better != want_better) {
    s = os;
    i = oi;
  }
}

// Sorts one entry per lane across the warp: best in lane 0.
__device__ __forceinline__ void warp_sort32(float& s, int& i) {
  const int lane = (int)(threadIdx.x & 31);
#pragma unroll
  for (int k = 2; k <= 32; k <<= 1) {
#pragma unroll
    for (int j = k >> 1; j > 0; j >>= 1) shfl_exchange(s, i, j, (lane & k) == 0 || k == 32);
  }
}

template <int K>
struct WarpQueue {
  static_assert(K >= 32 && (K & (K - 1)) == 0, "K must be a power of two >= 32");
  static constexpr int N = K / 32;
  float s[N];
  int i[N];

  __device__ __forceinline__ void init() {
#pragma unroll
    for (int r = 0; r < N; ++r) {
      s[r] = -INFINITY;
      i[r] = -1;
    }
  }

  // The K-th (worst kept) entry, broadcast to every lane.
  __device__ __forceinline__ void threshold(float& ts, int& ti) const {
    ts = __shfl_sync(kFullMask, s[N - 1], 31);
    ti = __shfl_sync(kFullMask, i[N - 1], 31);
  }

  // True when `idx` is one of the queue's entries (warp-wide; call uniformly).
  __device__ __forceinline__ bool contains(int idx) const {
    bool mine = false;
#pragma unroll
    for (int r = 0; r < N; ++r) mine = mine || i[r] == idx;
    return __any_sync(kFullMask, mine);
  }

  // Sorts a bitonic K-sequence best-first.
  __device__ __forceinline__ void clean() {
    const int lane = (int)(threadIdx.x & 31);
#pragma unroll
    for (int jr = N >> 1; jr > 0; jr >>= 1) {  // strides >= 32: registers r and r + jr, same lane
#pragma unroll
      for (int r = 0; r < N; ++r) {
        if ((r & jr) == 0) {
          const int p = r + jr;
          if (!better(s[r], i[r], s[p], i[p])) {
            const float ts = s[r];
            const int ti = i[r];
            s[r] = s[p];
            i[r] = i[p];
            s[p] = ts;
            i[p] = ti;
          }
        }
      }
    }
#pragma unroll
    for (int j = 16; j > 0; j >>= 1) {  // strides < 32: across lanes
#pragma unroll
      for (int r = 0; r < N; ++r) shfl_exchange(s[r], i[r], j, true);
    }
    (void)lane;
  }

  // Merges a best-first sorted batch of 32 (one per lane) into the queue.
  __device__ __forceinline__ void merge_sorted32(float bs, int bi) {
    const int lane = (int)(threadIdx.x & 31);
    const float rs = __shfl_sync(kFullMask, bs, 31 - lane);
    const int ri = __shfl_sync(kFullMask, bi, 31 - lane);
    if (better(rs, ri, s[N - 1], i[N - 1])) {
      s[N - 1] = rs;
      i[N - 1] = ri;
    }
    clean();
  }

  // Offers (cs, ci) from every lane; `pass` must already say whether this lane's candidate is
  // admissible and strictly better than the threshold. Returns whether anything was merged.
  __device__ __forceinline__ bool insert_passed(float cs, int ci, bool pass) {
    if (!__any_sync(kFullMask, pass)) return false;
    if (!pass) {
      cs = -INFINITY;
      ci = -1;
    }
    warp_sort32(cs, ci);
    merge_sorted32(cs, ci);
    return true;
  }

  __device__ __forceinline__ bool insert32(float cs, int ci) {
    float ts;
    int ti;
    threshold(ts, ti);
    return insert_passed(cs, ci, ci >= 0 && better(cs, ci, ts, ti));
  }

  // Writes entries [0, k) of the queue to out_s/out_i (row base pointers) and returns how many are
  // real (index >= 0), the same in every lane.
  __device__ __forceinline__ int write(float* out_s, int* out_i, int k) const {
    const int lane = (int)(threadIdx.x & 31);
    int count = 0;
#pragma unroll
    for (int r = 0; r < N; ++r) {
      const int e = r * 32 + lane;
      const bool in = e < k;
      if (in) {
        out_s[e] = s[r];
        out_i[e] = i[r];
      }
      count += __popc(__ballot_sync(kFullMask, in && i[r] >= 0));
    }
    return count;
  }

  // Softmax probabilities of entries [0, k): exp(score * inv_t - log_z), 0 for padding.
  __device__ __forceinline__ void write_probs(float* probs, int k, float inv_t, float log_z) const {
    const int lane = (int)(threadIdx.x & 31);
#pragma unroll
    for (int r = 0; r < N; ++r) {
      const int e = r * 32 + lane;
      if (e < k) probs[e] = i[r] >= 0 ? expf(s[r] * inv_t - log_z) : 0.0f;
    }
  }
};

// Online log-sum-exp state (max, sum of exp(x - max)); (-inf, 0) is empty.
struct Lse {
  float mx;
  float sum;
};

__device__ __forceinline__ Lse lse_add(Lse a, float x) {
  if (x > a.mx) {
    a.sum = (a.mx == -INFINITY ? 0.0f : a.sum * expf(a.mx - x)) + 1.0f;
    a.mx = x;
  } else {
    a.sum += expf(x - a.mx);
  }
  return a;
}

__device__ __forceinline__ Lse lse_combine(Lse a, Lse b) {
  if (b.mx == -INFINITY) return a;
  if (a.mx == -INFINITY) return b;
  const float m = fmaxf(a.mx, b.mx);
  Lse r;
  r.mx = m;
  r.sum = a.sum * expf(a.mx - m) + b.sum * expf(b.mx - m);
  return r;
}

// Butterfly: every lane ends with the warp's combined state.
__device__ __forceinline__ Lse lse_warp_reduce(Lse a) {
#pragma unroll
  for (int j = 16; j > 0; j >>= 1) {
    Lse o;
    o.mx = __shfl_xor_sync(kFullMask, a.mx, j);
    o.sum = __shfl_xor_sync(kFullMask, a.sum, j);
    a = lse_combine(a, o);
  }
  return a;
}

__device__ __forceinline__ float lse_value(Lse a) { return a.mx == -INFINITY ? -INFINITY : a.mx + logf(a.sum); }

}  // namespace souk_cuda
