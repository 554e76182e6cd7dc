// cuda/kernels/sgd.cuh: one SGD epoch of biased MF (souk::sgd_epoch_ref's update rule) on the GPU.
// sgd_shuffle_kernel: thread per chunk t of the nnz positions [nnz t / T, nnz (t + 1) / T): writes the
// positions in the Fisher-Yates order drawn from souk::Rng(seed, t), exactly the core's
// shuffled_range (souk/rng.h is shared by host and device).
// sgd_chunk_kernel: one warp (block of 32 threads) per chunk, visiting its positions in that order.
// Lanes split the factors (f = lane + 32 n), so every lane reads and writes only its own slice of
// p_u and q_i; the dot product is a shuffle sum (every lane gets it); lane 0 alone reads (and
// broadcasts) and writes the biases. Per sample (float, as the CPU):
//   e = r - (mu + b_u + b_i + p_u . q_i); b_u += lr (e - reg b_u); b_i += lr (e - reg b_i);
//   p_u += lr (e q_i - reg p_u); q_i += lr (e p_u(old) - reg q_i)
// Chunks run concurrently and share factor rows without locks (Hogwild, as the CPU's threads).
// A non-finite error stops the chunk: kDevNonFinite when the sample's inputs (rating, p_u, b_u,
// q_i, b_i) hold NaN/Inf, else kDevDiverged. Bad user/item index -> kDevCsrRange (chunk stops).
// sq[t] = sum of e^2 over the chunk (double). Complexity 6 d flops per sample.
#pragma once

#include "kernels/factor_common.cuh"
#include "souk/rng.h"

namespace souk_cuda {

struct SgdKernelArgs {
  const int* indices;
  const float* ratings;  // null = all ones
  const int* rows_of;
  const int* order;
  float* p;
  long long ldp;
  float* q;
  long long ldq;
  float* user_bias;
  float* item_bias;
  long long nnz;
  long long chunks;
  int users;
  int items;
  int d;
  float lr, reg, mu;
};

template <int Unused>
__global__ void __launch_bounds__(128) sgd_shuffle_kernel(long long nnz, long long chunks, unsigned long long seed,
                                                          int* __restrict__ order) {
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < chunks; t += (long long)gridDim.x * blockDim.x) {
    const long long b = nnz * t / chunks, e = nnz * (t + 1) / chunks;
    int* out = order + b;
    const long long n = e - b;
    souk::Rng rng(seed, (unsigned long long)t);
    for (long long i = 0; i < n; ++i) out[i] = (int)(b + i);
    for (long long i = n - 1; i > 0; --i) {
      const long long j = (long long)rng.below((unsigned long long)(i + 1));
      const int tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
  }
}

// True in every lane when any lane's slice of row v (d floats) holds NaN/Inf.
__device__ __forceinline__ bool warp_row_nonfinite(const float* v, int d) {
  bool bad = false;
  for (int f = (int)(threadIdx.x & 31); f < d; f += 32) bad = bad || !finite_bits(v[f]);
  return __any_sync(kFullMask, bad);
}

template <int Unused>
__global__ void __launch_bounds__(32) sgd_chunk_kernel(SgdKernelArgs a, double* __restrict__ sq_out,
                                                       int* __restrict__ status) {
  const int lane = (int)threadIdx.x;
  const int d = a.d;
  for (long long t = blockIdx.x; t < a.chunks; t += gridDim.x) {  // warp-uniform
    const long long b = a.nnz * t / a.chunks, e = a.nnz * (t + 1) / a.chunks;
    double sq = 0.0;
    int flag = 0;
    for (long long pos = b; pos < e; ++pos) {
      const int k = a.order[pos];
      const int u = a.rows_of[k], i = a.indices[k];
      if (u < 0 || u >= a.users || i < 0 || i >= a.items) {
        flag = kDevCsrRange;
        break;
      }
      float* pu = a.p + (long long)u * a.ldp;
      float* qi = a.q + (long long)i * a.ldq;
      // Lane 0 alone reads and writes the biases (broadcast), so the lanes never race on them.
      const float bu = __shfl_sync(kFullMask, lane == 0 ? a.user_bias[u] : 0.0f, 0);
      const float bi = __shfl_sync(kFullMask, lane == 0 ? a.item_bias[i] : 0.0f, 0);
      float dot = 0.0f;
      for (int f = lane; f < d; f += 32) dot = fmaf(pu[f], qi[f], dot);
      dot = warp_sum(dot);
      const float rating = a.ratings ? a.ratings[k] : 1.0f;
      const float err = rating - (a.mu + bu + bi + dot);
      if (!finite_bits(err)) {  // warp-uniform
        const bool in_bad = !finite_bits(rating) || !finite_bits(bu) || !finite_bits(bi) ||
                            warp_row_nonfinite(pu, d) || warp_row_nonfinite(qi, d);
        flag = in_bad ? kDevNonFinite : kDevDiverged;
        break;
      }
      sq += (double)err * err;
      for (int f = lane; f < d; f += 32) {
        const float pv = pu[f], qv = qi[f];
        pu[f] = fmaf(a.lr, fmaf(-a.reg, pv, err * qv), pv);
        qi[f] = fmaf(a.lr, fmaf(-a.reg, qv, err * pv), qv);
      }
      if (lane == 0) {
        a.user_bias[u] = bu + a.lr * (err - a.reg * bu);
        a.item_bias[i] = bi + a.lr * (err - a.reg * bi);
      }
    }
    if (lane == 0) {
      sq_out[t] = sq;
      if (flag) atomicOr(status, flag);
    }
  }
}

}  // namespace souk_cuda
