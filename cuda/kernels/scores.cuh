// cuda/kernels/scores.cuh: out (m x n) = Q (m x d) . I (n x d)^T, a tiled shared-memory GEMM.
//
// Layout: Q, I, out row-major with strides ldq, ldi, ldo (elements). Block 32 x 8 threads computes a
// 32 x 32 output tile: per slice of 32 dimensions it stages a 32 x 32 tile of Q and of I in shared
// memory (row pitch 33: conflict-free column reads), then each thread accumulates 4 outputs
// (rows ty, ty+8, ty+16, ty+24; column tx) in float. Out-of-range rows/dimensions load as 0.
// NaN/Inf is detected while the tiles are loaded (atomicOr of kFlagNonFinite into *status).
// Grid: (ceil(n / 32), ceil(m / 32)). Static shared memory: 2 * 32 * 33 * 4 = 8448 bytes.
// Complexity: 2 m n d flops; each input element is read ceil(n/32) (Q) or ceil(m/32) (I) times.
#pragma once

#include "kernels/warp_select.cuh"

namespace souk_cuda {

constexpr int kScoresTile = 32;
constexpr int kScoresRowsPerPass = 8;

__global__ void __launch_bounds__(kScoresTile * kScoresRowsPerPass)
    scores_kernel(const float* __restrict__ Q, long long ldq, const float* __restrict__ I, long long ldi, int m, int n,
                  int d, float* __restrict__ out, long long ldo, int* __restrict__ status) {
  __shared__ float sq[kScoresTile][kScoresTile + 1];
  __shared__ float sx[kScoresTile][kScoresTile + 1];
  const int tx = (int)threadIdx.x, ty = (int)threadIdx.y;
  const int row0 = (int)blockIdx.y * kScoresTile, col0 = (int)blockIdx.x * kScoresTile;
  float acc[kScoresTile / kScoresRowsPerPass];
#pragma unroll
  for (int t = 0; t < kScoresTile / kScoresRowsPerPass; ++t) acc[t] = 0.0f;
  bool bad = false;
  for (int d0 = 0; d0 < d; d0 += kScoresTile) {
    const int c = d0 + tx;
#pragma unroll
    for (int t = ty; t < kScoresTile; t += kScoresRowsPerPass) {
      const int r = row0 + t, j = col0 + t;
      const float qv = (r < m && c < d) ? Q[(long long)r * ldq + c] : 0.0f;
      const float xv = (j < n && c < d) ? I[(long long)j * ldi + c] : 0.0f;
      bad = bad || !finite_bits(qv) || !finite_bits(xv);
      sq[t][tx] = qv;
      sx[t][tx] = xv;
    }
    __syncthreads();
#pragma unroll 8
    for (int cc = 0; cc < kScoresTile; ++cc) {
      const float xv = sx[tx][cc];
#pragma unroll
      for (int t = 0; t < kScoresTile / kScoresRowsPerPass; ++t) acc[t] += sq[ty + t * kScoresRowsPerPass][cc] * xv;
    }
    __syncthreads();
  }
  if (bad) atomicOr(status, (int)1);
  const int j = col0 + tx;
#pragma unroll
  for (int t = 0; t < kScoresTile / kScoresRowsPerPass; ++t) {
    const int r = row0 + ty + t * kScoresRowsPerPass;
    if (r < m && j < n) out[(long long)r * ldo + j] = acc[t];
  }
}

}  // namespace souk_cuda
