// cuda/kernels/gram.cuh: out (d x d) = Y^T Y for Y (n x d, row stride ldy), accumulated in double.
//
// Block 16 x 16 threads computes a 16 x 16 tile of out (thread (tx, ty): out[i0 + ty][j0 + tx]).
// Per slice of 32 rows of Y it stages Y[rows, i0:i0+16] and Y[rows, j0:j0+16] in shared memory
// (float, pitch 17), then each thread adds 32 products in double. Out-of-range entries load as 0.
// NaN/Inf detected while loading (atomicOr kFlagNonFinite). Grid: (ceil(d/16), ceil(d/16)).
// Static shared memory: 2 * 32 * 17 * 4 = 4352 bytes. Complexity: 2 n d^2 flops (no symmetry
// shortcut); Y is read 2 * ceil(d/16) times.
#pragma once

#include "kernels/warp_select.cuh"

namespace souk_cuda {

constexpr int kGramTile = 16;
constexpr int kGramRows = 32;

__global__ void __launch_bounds__(kGramTile * kGramTile)
    gram_kernel(const float* __restrict__ Y, long long ldy, int n, int d, float* __restrict__ out, long long ldo,
                int* __restrict__ status) {
  __shared__ float sa[kGramRows][kGramTile + 1];
  __shared__ float sb[kGramRows][kGramTile + 1];
  const int tx = (int)threadIdx.x, ty = (int)threadIdx.y;
  const int tid = ty * kGramTile + tx;
  const int i0 = (int)blockIdx.y * kGramTile, j0 = (int)blockIdx.x * kGramTile;
  double acc = 0.0;
  bool bad = false;
  for (int r0 = 0; r0 < n; r0 += kGramRows) {
    // 32 x 16 entries per tile, 256 threads: two each.
#pragma unroll
    for (int t = tid; t < kGramRows * kGramTile; t += kGramTile * kGramTile) {
      const int rr = t / kGramTile, cc = t % kGramTile;
      const int r = r0 + rr;
      const float a = (r < n && i0 + cc < d) ? Y[(long long)r * ldy + i0 + cc] : 0.0f;
      const float b = (r < n && j0 + cc < d) ? Y[(long long)r * ldy + j0 + cc] : 0.0f;
      bad = bad || !finite_bits(a) || !finite_bits(b);
      sa[rr][cc] = a;
      sb[rr][cc] = b;
    }
    __syncthreads();
#pragma unroll 8
    for (int rr = 0; rr < kGramRows; ++rr) acc += (double)sa[rr][ty] * (double)sb[rr][tx];
    __syncthreads();
  }
  if (bad) atomicOr(status, (int)1);
  if (i0 + ty < d && j0 + tx < d) out[(long long)(i0 + ty) * ldo + j0 + tx] = (float)acc;
}

}  // namespace souk_cuda
