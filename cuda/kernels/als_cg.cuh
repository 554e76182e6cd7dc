// cuda/kernels/als_cg.cuh: implicit-ALS conjugate gradient, one block of NT threads per row u of X
// (grid-stride over rows), the algorithm of souk::als_solve_ref / implicit's least_squares_cg in
// float arithmetic:
//   r = b - A x   (A x = (YtY + lambda I) x + sum_i (|c|-1)(y_i . x) y_i, b = sum_{c>0} c y_i)
//   p = r; rsold = r.r; unless rsold < 1e-20: cg_steps times { Ap; alpha = rsold / p.Ap;
//   x += alpha p; r -= alpha Ap; rsnew = r.r; stop if rsnew < 1e-20; p = r + (rsnew/rsold) p }
// Products: the dense part (YtY + lambda I) v by thread per factor f, reading column f of YtY
// (symmetric, so row j's entry f; coalesced), v broadcast from shared memory; the sparse part
// by warp per item (lanes split the factors; dot by shuffle sum) into per-warp partial vectors in
// shared memory, summed in warp order (no atomics: deterministic). Rows without items: x_u = 0.
// Flags: NaN/Inf read (YtY, warm start, confidences, item rows) -> kDevNonFinite; a non-finite
// result from finite inputs -> kDevDiverged (the row of X is left as it was); bad indptr/index ->
// kDevCsrRange (the row is skipped). Dynamic shared memory: (4 + NT/32) d + 32 floats.
// Complexity per row: (cg_steps + 1)(2 d^2 + 4 d nnz_u) flops.
#pragma once

#include "kernels/factor_common.cuh"

namespace souk_cuda {

struct AlsCgArgs {
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
  int cg_steps;
};

// out = (YtY + lambda I) v (negated when `neg`), thread per factor. Returns kDevNonFinite on NaN/Inf
// in YtY (this thread's reads), else 0.
template <int NT>
__device__ __forceinline__ int cg_dense(const AlsCgArgs& a, const float* v, float* out, bool neg) {
  bool bad = false;
  for (int f = (int)threadIdx.x; f < a.d; f += NT) {
    float acc = a.lambda * v[f];
    for (int j = 0; j < a.d; ++j) {
      const float g = a.yty[(long long)j * a.ldg + f];
      bad = bad || !finite_bits(g);
      acc = fmaf(g, v[j], acc);
    }
    out[f] = neg ? -acc : acc;
  }
  return bad ? kDevNonFinite : 0;
}

// out += sum_k (ka * c+ + sg * (|c| - 1) * (y_k . v)) y_k over the row's items [s, e): warp per item,
// partials part[warp][d], then summed (ends with a barrier; out complete for every thread). Returns
// this thread's flags (kDevNonFinite, kDevCsrRange).
template <int NT>
__device__ __forceinline__ int cg_sparse(const AlsCgArgs& a, int s, int e, const float* v, float* out, float* part,
                                         float ka, float sg) {
  int flags = 0;
  const int lane = (int)(threadIdx.x & 31), warp = (int)(threadIdx.x >> 5);
  float* mine = part + (long long)warp * a.d;
  for (int f = lane; f < a.d; f += 32) mine[f] = 0.0f;
  for (int k = s + warp; k < e; k += NT / 32) {  // warp-uniform bounds
    const int it = a.indices[k];
    if (it < 0 || it >= a.items) {
      flags |= kDevCsrRange;
      continue;
    }
    const float* yk = a.y + (long long)it * a.ldy;
    float dot = 0.0f;
    for (int f = lane; f < a.d; f += 32) dot = fmaf(yk[f], v[f], dot);
    dot = warp_sum(dot);
    const float cf = a.conf ? a.conf[k] : 1.0f;
    if (!finite_bits(cf) || !finite_bits(dot)) flags |= kDevNonFinite;
    const float w = (cf > 0.0f ? ka * cf : 0.0f) + sg * (fabsf(cf) - 1.0f) * dot;
    for (int f = lane; f < a.d; f += 32) mine[f] = fmaf(w, yk[f], mine[f]);
  }
  __syncthreads();
  for (int f = (int)threadIdx.x; f < a.d; f += NT) {
    float acc = out[f];
#pragma unroll
    for (int w = 0; w < NT / 32; ++w) acc += part[(long long)w * a.d + f];
    out[f] = acc;
  }
  __syncthreads();
  return flags;
}

template <int NT>
__global__ void __launch_bounds__(NT, 4) als_cg_kernel(AlsCgArgs a, int* __restrict__ status) {
  SIMT_DYN_SHARED(float, sm);
  const int d = a.d;
  float* xs = sm;
  float* r = xs + d;
  float* p = r + d;
  float* ap = p + d;
  float* part = ap + d;
  float* red = part + (long long)(NT / 32) * d;
  int flags = 0;
  for (long long u = blockIdx.x; u < a.rows; u += gridDim.x) {  // block-uniform
    int s, e;
    if (!csr_row(a.indptr, u, a.nnz, s, e)) {
      flags |= kDevCsrRange;
      continue;
    }
    float* xu = a.x + u * a.ldx;
    if (s == e) {
      for (int f = (int)threadIdx.x; f < d; f += NT) xu[f] = 0.0f;
      continue;
    }
    __syncthreads();  // the previous row's readers of xs are done
    for (int f = (int)threadIdx.x; f < d; f += NT) {
      const float v = xu[f];
      if (!finite_bits(v)) flags |= kDevNonFinite;
      xs[f] = v;
    }
    __syncthreads();
    flags |= cg_dense<NT>(a, xs, r, true);
    flags |= cg_sparse<NT>(a, s, e, xs, r, part, 1.0f, -1.0f);
    for (int f = (int)threadIdx.x; f < d; f += NT) p[f] = r[f];
    float part_rr = 0.0f;
    for (int f = (int)threadIdx.x; f < d; f += NT) part_rr = fmaf(r[f], r[f], part_rr);
    float rsold = block_sum<NT>(part_rr, red);
    if (!(rsold < 1e-20f)) {
      for (int it = 0; it < a.cg_steps; ++it) {
        flags |= cg_dense<NT>(a, p, ap, false);
        flags |= cg_sparse<NT>(a, s, e, p, ap, part, 0.0f, 1.0f);
        float pap = 0.0f;
        for (int f = (int)threadIdx.x; f < d; f += NT) pap = fmaf(p[f], ap[f], pap);
        const float alpha = rsold / block_sum<NT>(pap, red);
        float rr = 0.0f;
        for (int f = (int)threadIdx.x; f < d; f += NT) {
          xs[f] = fmaf(alpha, p[f], xs[f]);
          const float rn = fmaf(-alpha, ap[f], r[f]);
          r[f] = rn;
          rr = fmaf(rn, rn, rr);
        }
        const float rsnew = block_sum<NT>(rr, red);
        if (rsnew < 1e-20f) break;
        const float beta = rsnew / rsold;
        for (int f = (int)threadIdx.x; f < d; f += NT) p[f] = fmaf(beta, p[f], r[f]);
        rsold = rsnew;
        __syncthreads();  // p complete before the next products read it
      }
    }
    __syncthreads();
    // Finite check of the whole solution (block-uniform), then store.
    float probe = 0.0f;
    for (int f = (int)threadIdx.x; f < d; f += NT) probe += xs[f] * 0.0f;
    const bool fin = finite_bits(block_sum<NT>(probe, red));
    if (fin) {
      for (int f = (int)threadIdx.x; f < d; f += NT) xu[f] = xs[f];
    } else {
      flags |= kDevDiverged;
    }
  }
  if (flags) atomicOr(status, flags);
}

}  // namespace souk_cuda
