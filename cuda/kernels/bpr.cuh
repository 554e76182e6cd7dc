// cuda/kernels/bpr.cuh: one BPR epoch (souk::bpr_epoch_ref's sampling and update, implicit's
// bpr_update) on the GPU. bpr_chunk_kernel: one warp (block of 32 threads) per chunk t of the sample
// sequence [S t / T, S (t + 1) / T); every lane runs the same souk::Rng(seed, t) (souk/rng.h, shared
// with the CPU), so each lane draws the same triple the core draws for that chunk, in the same order:
//   k = below(nnz); u = row of k; i = indices[k]; j = indices[below(nnz)] (popularity) or
//   below(items) (uniform); with verify_negatives, j in u's sorted row (binary search) -> skipped.
// Lanes split the factors (own slice of p_u, q_i, q_j); x = p_u . (q_i - q_j) + b_i - b_j by shuffle
// sum; z = 1 / (1 + e^x); then, in float as the CPU kernel:
//   p_u += lr (z (q_i - q_j) - reg p_u); q_i += lr (z p_u(old) - reg q_i);
//   q_j += lr (-z p_u(old) - reg q_j) (q_j re-read after q_i is written: i == j keeps implicit's order)
//   b_i += lr (z - reg b_i); b_j += lr (-z - reg b_j) (lane 0 alone reads/writes the biases).
// Chunks run concurrently on shared factor rows without locks (Hogwild, as the CPU's threads).
// Per chunk: loss = sum of -log sigmoid(x) (double), processed, skipped, correct (z < 0.5). A
// non-finite x stops the chunk: kDevNonFinite when p_u, q_i, q_j, b_i or b_j hold NaN/Inf, else
// kDevDiverged. Bad row / index -> kDevCsrRange (chunk stops). Complexity 8 d flops per sample.
#pragma once

#include "kernels/factor_common.cuh"
#include "kernels/sgd.cuh"
#include "souk/rng.h"

namespace souk_cuda {

struct BprKernelArgs {
  const int* indptr;
  const int* indices;
  const int* rows_of;
  float* p;
  long long ldp;
  float* q;
  long long ldq;
  float* item_bias;
  long long samples;
  long long chunks;
  unsigned long long seed;
  int users;
  int items;
  int nnz;
  int d;
  int verify;
  int uniform;
  float lr, reg;
};

// Per chunk statistics, written by lane 0.
struct BprChunkStats {
  double loss;
  long long processed, skipped, correct;
};

// Whether sorted a[0..n) holds key (the core's sorted_contains: the same branchless halving).
__device__ __forceinline__ bool sorted_has(const int* a, long long n, int key) {
  if (n <= 0) return false;
  const int* base = a;
  while (n > 1) {
    const long long half = n / 2;
    base += (base[half] <= key) ? half : 0;
    n -= half;
  }
  return *base == key;
}

template <int Unused>
__global__ void __launch_bounds__(32) bpr_chunk_kernel(BprKernelArgs a, BprChunkStats* __restrict__ stats,
                                                       int* __restrict__ status) {
  const int lane = (int)threadIdx.x;
  const int d = a.d;
  const unsigned long long nnz = (unsigned long long)a.nnz, cols = (unsigned long long)a.items;
  for (long long t = blockIdx.x; t < a.chunks; t += gridDim.x) {  // warp-uniform
    const long long b = a.samples * t / a.chunks, e = a.samples * (t + 1) / a.chunks;
    souk::Rng rng(a.seed, (unsigned long long)t);
    BprChunkStats st{0.0, 0, 0, 0};
    int flag = 0;
    for (long long smp = b; smp < e; ++smp) {
      const long long k = (long long)rng.below(nnz);
      const long long k2 = (long long)(a.uniform ? rng.below(cols) : rng.below(nnz));
      const int u = a.rows_of[k];
      const int i = a.indices[k];
      const int j = a.uniform ? (int)k2 : a.indices[k2];
      if (u < 0 || u >= a.users || i < 0 || i >= a.items || j < 0 || j >= a.items) {
        flag = kDevCsrRange;
        break;
      }
      if (a.verify) {
        const int rs = a.indptr[u], re = a.indptr[u + 1];
        if (sorted_has(a.indices + rs, (long long)re - rs, j)) {
          st.skipped++;
          continue;
        }
      }
      float* pu = a.p + (long long)u * a.ldp;
      float* qi = a.q + (long long)i * a.ldq;
      float* qj = a.q + (long long)j * a.ldq;
      const float bi = __shfl_sync(kFullMask, lane == 0 ? a.item_bias[i] : 0.0f, 0);
      const float bj = __shfl_sync(kFullMask, lane == 0 ? a.item_bias[j] : 0.0f, 0);
      float dot = 0.0f;
      for (int f = lane; f < d; f += 32) dot = fmaf(pu[f], qi[f] - qj[f], dot);
      const float x = warp_sum(dot) + bi - bj;
      if (!finite_bits(x)) {  // warp-uniform
        const bool in_bad = !finite_bits(bi) || !finite_bits(bj) || warp_row_nonfinite(pu, d) ||
                            warp_row_nonfinite(qi, d) || warp_row_nonfinite(qj, d);
        flag = in_bad ? kDevNonFinite : kDevDiverged;
        break;
      }
      const float ex = expf(x);
      const float z = 1.0f / (1.0f + ex);
      if (z < 0.5f) st.correct++;
      // -log sigmoid(x) = -log(1 - z) (accurate while z < 1/2) = -x + log(1 + e^x) (otherwise)
      st.loss += z < 0.5f ? -log1pf(-z) : -x + log1pf(ex);
      st.processed++;
      for (int f = lane; f < d; f += 32) {
        const float pv = pu[f], iv = qi[f], jv = qj[f];
        pu[f] = fmaf(a.lr, fmaf(-a.reg, pv, z * (iv - jv)), pv);
        qi[f] = fmaf(a.lr, fmaf(-a.reg, iv, z * pv), iv);
        const float jv2 = qj[f];  // after q_i's store (i == j)
        qj[f] = fmaf(-a.lr, fmaf(a.reg, jv2, z * pv), jv2);
      }
      if (lane == 0) {
        a.item_bias[i] += a.lr * (z - a.reg * a.item_bias[i]);
        a.item_bias[j] += a.lr * (-z - a.reg * a.item_bias[j]);
      }
    }
    if (lane == 0) {
      stats[t] = st;
      if (flag) atomicOr(status, flag);
    }
  }
}

}  // namespace souk_cuda
