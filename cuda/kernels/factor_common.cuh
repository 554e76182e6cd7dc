// cuda/kernels/factor_common.cuh: device helpers shared by the factorisation kernels (als_cg.cuh,
// als_cholesky.cuh, als_loss.cuh, sgd.cuh, bpr.cuh, csr_rows.cuh): warp and block sums with a fixed
// reduction order (every lane / thread gets the same value, so branches on it are uniform), the
// status-word flags, and the per-row CSR bounds check. Every collective uses the full mask: call
// them warp-uniformly (block_sum: block-uniformly, every thread of the block).
#pragma once

#include "kernels/warp_select.cuh"

namespace souk_cuda {

// Bits of CudaContext::status_word() (same values as souk::cuda::DeviceFlag).
constexpr int kDevNonFinite = 1;
constexpr int kDevCsrRange = 2;
constexpr int kDevDiverged = 4;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// Sum over the block (NT threads, a multiple of 32), returned to every thread. red: >= NT / 32
// floats of shared memory, owned by this helper between calls (the leading barrier protects the
// previous call's reads). Warp partials are added in warp order: deterministic.
template <int NT>
__device__ __forceinline__ float block_sum(float v, float* red) {
  v = warp_sum(v);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  float s = 0.0f;
#pragma unroll
  for (int w = 0; w < NT / 32; ++w) s += red[w];
  return s;
}

// Bounds of CSR row r, checked against [0, nnz]: false (and kDevCsrRange raised by the caller's
// thread 0 if `report`) when the row is malformed; the caller then skips it.
__device__ __forceinline__ bool csr_row(const int* __restrict__ indptr, long long r, int nnz, int& s, int& e) {
  s = indptr[r];
  e = indptr[r + 1];
  return 0 <= s && s <= e && e <= nnz;
}

}  // namespace souk_cuda
