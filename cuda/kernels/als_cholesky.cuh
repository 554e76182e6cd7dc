// cuda/kernels/als_cholesky.cuh: implicit-ALS exact solve, one block of NT threads per row u of X
// (grid-stride over rows), the algorithm of souk::als_solve_ref's Cholesky branch in float:
//   A = YtY + lambda I + sum_i (|c| - 1) y_i y_i^T (lower triangle), b = sum_{c > 0} c y_i,
//   A = L L^T (right-looking, one pivot column per step), L z = b, L^T x = z.
// Everything lives in shared memory: A (d x (d + 1) floats, the odd pitch spreads a column over the
// banks), b/z, x, and a stage of kCholItems item rows with their coefficients. Forming A: per stage,
// thread per lower-triangle entry adds the staged items' rank-1 terms (each entry owned by one
// thread: no atomics). Factorisation: pivot j read by every thread (block-uniform test), column j
// scaled by thread per row, trailing lower triangle updated by thread per entry, 3 barriers per
// pivot. Substitutions: one barrier per step, column-oriented. Rows without items: x_u = 0.
// Flags: NaN/Inf read -> kDevNonFinite; a non-positive / non-finite pivot or a non-finite x ->
// kDevDiverged (row of X left as it was); bad indptr/index -> kDevCsrRange (row skipped).
// Dynamic shared memory: (d (d + 1) + 2 d + kCholItems (d + 2)) floats; d <= 128 (about 71 KiB:
// the launcher raises the kernel's dynamic shared memory limit above 48 KiB).
// Complexity per row: d^2 nnz_u + d^3 / 3 flops.
#pragma once

#include "kernels/factor_common.cuh"

namespace souk_cuda {

constexpr int kCholItems = 8;

struct AlsCholArgs {
  const int* indptr;
  const int* indices;
  const float* conf;  // null = all ones
  const float* y;
  long long ldy;
  const float* yty;
  long long ldg;
  float* x;
  long long ldx;
  long long rows;
  int items;
  int nnz;
  int d;
  float lambda;
};

template <int NT>
__global__ void __launch_bounds__(NT) als_cholesky_kernel(AlsCholArgs a, int* __restrict__ status) {
  static_assert(NT % 32 == 0 && NT / 32 <= kCholItems, "ck doubles as block_sum's scratch");
  SIMT_DYN_SHARED(float, sm);
  const int d = a.d, P = d + 1;
  const int tid = (int)threadIdx.x;
  float* A = sm;                 // d x P
  float* b = A + (long long)d * P;  // b, then z
  float* xs = b + d;
  float* ys = xs + d;            // kCholItems x d
  float* wk = ys + kCholItems * d;  // |c| - 1
  float* ck = wk + kCholItems;      // c+ (c for c > 0, else 0)
  bool bad = false, csr_bad = false, diverged = false;
  for (long long u = blockIdx.x; u < a.rows; u += gridDim.x) {  // block-uniform
    int s, e;
    if (!csr_row(a.indptr, u, a.nnz, s, e)) {
      csr_bad = true;
      continue;
    }
    float* xu = a.x + u * a.ldx;
    if (s == e) {
      for (int f = tid; f < d; f += NT) xu[f] = 0.0f;
      continue;
    }
    __syncthreads();  // the previous row is completely done with A, b, xs
    for (int t = tid; t < d * d; t += NT) {
      const int i = t / d, j = t - i * d;
      if (j <= i) {
        const float g = a.yty[(long long)i * a.ldg + j];
        bad = bad || !finite_bits(g);
        A[i * P + j] = g + (i == j ? a.lambda : 0.0f);
      }
    }
    for (int f = tid; f < d; f += NT) b[f] = 0.0f;
    for (int k0 = s; k0 < e; k0 += kCholItems) {  // block-uniform
      const int nb = min(kCholItems, e - k0);
      __syncthreads();  // the previous stage's readers are done
      for (int t = tid; t < nb * d; t += NT) {
        const int kk = t / d, f = t - kk * d;
        const int it = a.indices[k0 + kk];
        float v = 0.0f;
        if (it >= 0 && it < a.items) {
          v = a.y[(long long)it * a.ldy + f];
          bad = bad || !finite_bits(v);
        } else {
          csr_bad = true;
        }
        ys[kk * d + f] = v;
      }
      if (tid < nb) {
        const float cf = a.conf ? a.conf[k0 + tid] : 1.0f;
        bad = bad || !finite_bits(cf);
        wk[tid] = fabsf(cf) - 1.0f;
        ck[tid] = cf > 0.0f ? cf : 0.0f;
      }
      __syncthreads();
      for (int t = tid; t < d * d; t += NT) {
        const int i = t / d, j = t - i * d;
        if (j <= i) {
          float acc = A[i * P + j];
          for (int kk = 0; kk < nb; ++kk) acc = fmaf(wk[kk] * ys[kk * d + i], ys[kk * d + j], acc);
          A[i * P + j] = acc;
        }
      }
      for (int f = tid; f < d; f += NT) {
        float acc = b[f];
        for (int kk = 0; kk < nb; ++kk) acc = fmaf(ck[kk], ys[kk * d + f], acc);
        b[f] = acc;
      }
    }
    // A = L L^T, lower triangle in place.
    bool ok = true;
    for (int j = 0; j < d; ++j) {
      __syncthreads();
      const float diag = A[j * P + j];
      if (!(diag > 0.0f) || !finite_bits(diag)) {  // block-uniform
        ok = false;
        break;
      }
      const float ljj = sqrtf(diag);
      __syncthreads();  // every thread has read the pivot
      for (int i = j + 1 + tid; i < d; i += NT) A[i * P + j] /= ljj;
      if (tid == 0) A[j * P + j] = ljj;
      __syncthreads();
      const int m = d - j - 1;
      for (int t = tid; t < m * m; t += NT) {
        const int ii = t / m, kk = t - ii * m;
        if (kk <= ii) {
          const int i = j + 1 + ii, k = j + 1 + kk;
          A[i * P + k] = fmaf(-A[i * P + j], A[k * P + j], A[i * P + k]);
        }
      }
    }
    if (!ok) {
      diverged = true;
      continue;
    }
    // L z = b (z overwrites b), then L^T x = z.
    for (int i = 0; i < d; ++i) {
      __syncthreads();
      const float zi = b[i] / A[i * P + i];
      for (int k = i + 1 + tid; k < d; k += NT) b[k] = fmaf(-A[k * P + i], zi, b[k]);
      if (tid == 0) xs[i] = zi;  // z kept in xs until the back substitution
    }
    __syncthreads();
    for (int f = tid; f < d; f += NT) b[f] = xs[f];
    for (int i = d - 1; i >= 0; --i) {
      __syncthreads();
      const float xi = b[i] / A[i * P + i];
      for (int k = tid; k < i; k += NT) b[k] = fmaf(-A[i * P + k], xi, b[k]);
      if (tid == 0) xs[i] = xi;
    }
    __syncthreads();
    float probe = 0.0f;
    for (int f = tid; f < d; f += NT) probe += xs[f] * 0.0f;
    if (finite_bits(block_sum<NT>(probe, ck))) {
      for (int f = tid; f < d; f += NT) xu[f] = xs[f];
    } else {
      diverged = true;
    }
  }
  if (bad) atomicOr(status, kDevNonFinite);
  if (csr_bad) atomicOr(status, kDevCsrRange);
  if (diverged) atomicOr(status, kDevDiverged);
}

}  // namespace souk_cuda
