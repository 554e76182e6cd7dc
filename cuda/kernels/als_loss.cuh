// cuda/kernels/als_loss.cuh: the implicit-ALS loss of souk::als_loss_ref, per-row terms.
// als_loss_rows_kernel: one warp per row u of X (NW warps per block), x_u staged in shared memory:
//   term_u = x_u^T YtY x_u + sum_{i in I_u} ((|c| - 1)(x_u . y_i)^2 - 2 c+ (x_u . y_i) + |c|)
// (dot products in float, the per-row and per-block sums in double, as the reference's loss),
// plus sum |c| and ||x_u||^2. The block's warps are combined in warp order and written as one
// partial triple per block (no atomics). als_loss_reduce_kernel: one block adds the partials in a
// fixed order and the regularisation term's item part, trace(YtY) = ||Y||_F^2 (YtY from the gram
// kernel), giving {numerator (without the lambda term), total confidence, ||X||^2 + ||Y||^2}.
// Flags: NaN/Inf in X or C -> kDevNonFinite; bad indptr/index -> kDevCsrRange (row skipped).
// Dynamic shared memory (rows kernel): NW d floats. Complexity: 2 d^2 users + 4 d nnz flops.
#pragma once

#include "kernels/factor_common.cuh"

namespace souk_cuda {

struct AlsLossArgs {
  const int* indptr;
  const int* indices;
  const float* conf;  // null = all ones
  const float* x;
  long long ldx;
  const float* y;
  long long ldy;
  const float* yty;  // d x d, row stride d
  long long rows;
  int items;
  int nnz;
  int d;
};

__device__ __forceinline__ double warp_sum_d(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// part: 3 doubles per block {loss terms, sum |c|, ||x||^2}.
template <int NW>
__global__ void __launch_bounds__(NW * 32, 2) als_loss_rows_kernel(AlsLossArgs a, double* __restrict__ part,
                                                                 int* __restrict__ status) {
  SIMT_DYN_SHARED(float, sm);
  __shared__ double wsum[NW][3];
  const int lane = (int)(threadIdx.x & 31), warp = (int)(threadIdx.x >> 5);
  const int d = a.d;
  float* xs = sm + (long long)warp * d;
  const long long u = (long long)blockIdx.x * NW + warp;
  double loss = 0.0, conf = 0.0, norm = 0.0;
  bool bad = false, csr_bad = false;
  int s = 0, e = 0;
  if (u < a.rows && !csr_row(a.indptr, u, a.nnz, s, e)) {  // warp-uniform
    csr_bad = true;
    s = e = 0;
  }
  if (u < a.rows) {
    const float* xu = a.x + u * a.ldx;
    for (int f = lane; f < d; f += 32) {
      const float v = xu[f];
      bad = bad || !finite_bits(v);
      xs[f] = v;
      norm += (double)v * v;
    }
    __syncwarp(kFullMask);
    // x^T YtY x: lane per factor f, (YtY x)_f from column f (symmetric: row j's entry f).
    double q = 0.0;
    for (int f = lane; f < d; f += 32) {
      float acc = 0.0f;
      for (int j = 0; j < d; ++j) acc = fmaf(a.yty[(long long)j * d + f], xs[j], acc);
      q += (double)acc * xs[f];
    }
    loss += q;
    for (int k = s; k < e; ++k) {  // warp-uniform
      const int it = a.indices[k];
      if (it < 0 || it >= a.items) {
        csr_bad = true;
        continue;
      }
      const float* yk = a.y + (long long)it * a.ldy;
      float dot = 0.0f;
      for (int f = lane; f < d; f += 32) dot = fmaf(yk[f], xs[f], dot);
      dot = warp_sum(dot);
      double cf = a.conf ? a.conf[k] : 1.0f;
      bad = bad || !finite_bits((float)cf) || !finite_bits(dot);
      if (lane == 0) {
        double w = 0.0;
        if (cf > 0) w = -2.0 * cf; else cf = -cf;
        w += (cf - 1.0) * dot;
        loss += w * dot + cf;
        conf += cf;
      }
    }
  }
  loss = warp_sum_d(loss);
  norm = warp_sum_d(norm);
  conf = warp_sum_d(conf);
  if (lane == 0) {
    wsum[warp][0] = loss;
    wsum[warp][1] = conf;
    wsum[warp][2] = norm;
  }
  __syncthreads();
  if (threadIdx.x < 3) {
    double t = 0.0;
    for (int w = 0; w < NW; ++w) t += wsum[w][threadIdx.x];
    part[(long long)blockIdx.x * 3 + threadIdx.x] = t;
  }
  if (bad) atomicOr(status, kDevNonFinite);
  if (csr_bad) atomicOr(status, kDevCsrRange);
}

// One block of NT threads: out[0..3) = sums of the nblocks partial triples (thread t adds blocks
// t, t + NT, ... in order; then thread 0 adds the NT sums in order), out[2] += trace(YtY).
template <int NT>
__global__ void __launch_bounds__(NT) als_loss_reduce_kernel(const double* __restrict__ part, long long nblocks,
                                                             const float* __restrict__ yty, int d,
                                                             double* __restrict__ out) {
  __shared__ double acc[NT][3];
  double t0 = 0.0, t1 = 0.0, t2 = 0.0;
  for (long long b = threadIdx.x; b < nblocks; b += NT) {
    t0 += part[b * 3];
    t1 += part[b * 3 + 1];
    t2 += part[b * 3 + 2];
  }
  acc[threadIdx.x][0] = t0;
  acc[threadIdx.x][1] = t1;
  acc[threadIdx.x][2] = t2;
  __syncthreads();
  if (threadIdx.x == 0) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, tr = 0.0;
    for (int t = 0; t < NT; ++t) {
      s0 += acc[t][0];
      s1 += acc[t][1];
      s2 += acc[t][2];
    }
    for (int f = 0; f < d; ++f) tr += yty[(long long)f * d + f];
    out[0] = s0;
    out[1] = s1;
    out[2] = s2 + tr;
  }
}

}  // namespace souk_cuda
