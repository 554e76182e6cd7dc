// cuda/kernels/factor_prep.cuh: small preparation kernels of the factorisation ops.
// csr_rows_kernel: rows_of[k] = r for every stored entry k of CSR row r (the COO row array SGD and
// BPR need to map a sampled entry to its user), thread per row, grid-stride; checks the indptr
// bounds (indptr[0] = 0, monotone, indptr[rows] = nnz, else kDevCsrRange; a bad row writes nothing).
// finite_matrix_kernel: raises kDevNonFinite when a rows x cols matrix holds NaN/Inf (YtY before
// an ALS solve, as the reference checks it up front). Templates (instantiated with 0) so the
// kernels may appear in several translation units without clashing at link time.
#pragma once

#include "kernels/factor_common.cuh"

namespace souk_cuda {

template <int Unused>
__global__ void __launch_bounds__(256) csr_rows_kernel(const int* __restrict__ indptr, long long rows, int nnz,
                                                       int* __restrict__ rows_of, int* __restrict__ status) {
  bool csr_bad = false;
  for (long long r = (long long)blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += (long long)gridDim.x * blockDim.x) {
    int s, e;
    if (!csr_row(indptr, r, nnz, s, e) || (r == 0 && s != 0) || (r == rows - 1 && e != nnz)) {
      csr_bad = true;
      continue;
    }
    for (int k = s; k < e; ++k) rows_of[k] = (int)r;
  }
  if (csr_bad) atomicOr(status, kDevCsrRange);
}

template <int Unused>
__global__ void __launch_bounds__(256) finite_matrix_kernel(const float* __restrict__ m, long long ld, int rows,
                                                            int cols, int* __restrict__ status) {
  bool bad = false;
  const long long n = (long long)rows * cols;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
    const long long r = t / cols, c = t - r * cols;
    bad = bad || !finite_bits(m[r * ld + c]);
  }
  if (bad) atomicOr(status, kDevNonFinite);
}

}  // namespace souk_cuda
