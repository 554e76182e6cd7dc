// cuda/tests/kernels/emu_kernels.cuh: small CUDA kernels that exercise one emulator feature each
// (shuffles, votes, barriers, shared memory, atomics, grid-stride loops, index variables), plus the
// deliberately buggy kernels the emulator and the sanitizers must catch. Written in the portable
// subset (cuda/README.md): they compile with nvcc (the compile check in cuda/CMakeLists.txt) and with
// g++ against the emulator. Results are written to global memory and checked by the host tests in
// cuda/tests/test_*.cpp against plain C++ references. Limits: block sizes up to 1024; shuffle probes
// expect blockDim.x to be a multiple of 32 unless a test says otherwise.
#pragma once

#include "../../simt/compat.cuh"

namespace emu {

constexpr unsigned kFull = 0xffffffffu;

// ---- shuffles ---------------------------------------------------------------------------------
// variant: 0 __shfl_sync with srcLane = arg, 1 __shfl_sync with srcLane = lane * 7 + arg (per-lane
// sources), 2 __shfl_up_sync(arg), 3 __shfl_down_sync(arg), 4 __shfl_xor_sync(arg).
// Every thread's value is 1000 * blockIdx.x + threadIdx.x; out[global thread] receives the result.
template <class T>
__global__ void shfl_probe(int variant, int width, int arg, T* out) {
  const int tid = (int)threadIdx.x;
  const int lane = tid & 31;
  const T v = (T)(1000 * (int)blockIdx.x + tid);
  T r = v;
  switch (variant) {
    case 0: r = __shfl_sync(kFull, v, arg, width); break;
    case 1: r = __shfl_sync(kFull, v, lane * 7 + arg, width); break;
    case 2: r = __shfl_up_sync(kFull, v, (unsigned)arg, width); break;
    case 3: r = __shfl_down_sync(kFull, v, (unsigned)arg, width); break;
    case 4: r = __shfl_xor_sync(kFull, v, arg, width); break;
  }
  out[blockIdx.x * blockDim.x + threadIdx.x] = r;
}

// Two disjoint half-warps in collectives with different masks at the same time (legal CUDA).
__global__ void half_warp_shuffles(int* out) {
  const int lane = (int)(threadIdx.x & 31);
  int v = (int)threadIdx.x;
  if (lane < 16) v = __shfl_down_sync(0x0000ffffu, v, 1, 16);
  else v = __shfl_up_sync(0xffff0000u, v, 1, 16);
  out[threadIdx.x] = v;
}

// ---- votes ------------------------------------------------------------------------------------
// pred(t) = ((t * 2654435761u) >> pattern_shift) & 1, or all-true / all-false patterns.
__device__ __forceinline__ int vote_pred(int tid, int pattern) {
  if (pattern == 0) return 0;
  if (pattern == 1) return 1;
  if (pattern == 2) return (tid & 31) == 5;
  return (int)((((unsigned)tid * 2654435761u) >> (pattern & 15)) & 1u);
}
__global__ void vote_probe(int pattern, unsigned* ballot, int* any, int* all) {
  const int tid = (int)threadIdx.x;
  const int p = vote_pred(tid, pattern);
  ballot[tid] = __ballot_sync(kFull, p);
  any[tid] = __any_sync(kFull, p);
  all[tid] = __all_sync(kFull, p);
}

// A block whose size is not a multiple of 32: the last warp computes its own mask.
__global__ void partial_warp_vote(unsigned* ballot, unsigned* active, int* sum) {
  const int tid = (int)threadIdx.x;
  const int warp_base = tid & ~31;
  const int n_in_warp = min(32, (int)blockDim.x - warp_base);
  const unsigned mask = n_in_warp == 32 ? kFull : ((1u << n_in_warp) - 1u);
  ballot[tid] = __ballot_sync(mask, tid & 1);
  active[tid] = __activemask();
  // Sum of the warp's thread ids, then a rotation that stays inside the mask.
  const int v = __reduce_add_sync(mask, tid);
  __syncwarp(mask);
  const int next = __shfl_sync(mask, tid, ((tid & 31) + 1) % n_in_warp);
  sum[tid] = __shfl_sync(mask, v, 0) * 10000 + next;
}

// __syncwarp with a sub-mask, warp reductions (sm_80), 64-bit shuffles.
__global__ void warp_misc(unsigned* red, int* redi, double* dbl, long long* ll) {
  const int tid = (int)threadIdx.x;
  const int lane = tid & 31;
  if (lane < 8) __syncwarp(0x000000ffu);
  red[tid] = __reduce_add_sync(kFull, (unsigned)tid) + __reduce_max_sync(kFull, (unsigned)lane);
  redi[tid] = __reduce_min_sync(kFull, lane - 7) + __reduce_max_sync(kFull, -lane);
  dbl[tid] = __shfl_xor_sync(kFull, 0.5 + tid, 3);
  ll[tid] = __shfl_down_sync(kFull, (long long)tid << 40, 2);
}

// ---- barriers + shared memory -------------------------------------------------------------------
// Block sum of x over a grid-stride loop: warp shuffle reduction, per-warp partials in static shared
// memory, __syncthreads, second-level reduction by warp 0. Works for any multiple of 32 up to 1024.
__device__ __forceinline__ float warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(kFull, v, off);
  return v;
}
__global__ void block_sum(const float* __restrict__ x, int n, float* __restrict__ out) {
  __shared__ float partial[32];
  const int tid = (int)threadIdx.x;
  float acc = 0.0f;
  for (int i = (int)blockIdx.x * (int)blockDim.x + tid; i < n; i += (int)(gridDim.x * blockDim.x)) acc += x[i];
  acc = warp_sum(acc);
  if ((tid & 31) == 0) partial[tid >> 5] = acc;
  __syncthreads();
  if (tid < 32) {
    const int nw = (int)blockDim.x >> 5;
    float v = tid < nw ? partial[tid] : 0.0f;
    v = warp_sum(v);
    if (tid == 0) out[blockIdx.x] = v;
  }
}

// __syncthreads_count/_and/_or.
__global__ void barrier_votes(int pattern, int* out) {
  const int tid = (int)threadIdx.x;
  const int p = vote_pred(tid, pattern);
  const int c = __syncthreads_count(p);
  const int a = __syncthreads_and(p);
  const int o = __syncthreads_or(p);
  if (tid == 0) { out[0] = c; out[1] = a; out[2] = o; }
}

// Dynamic shared memory: stage n values (n may exceed blockDim), reverse them, and report whether the
// staging area was garbage before the writes (first element read before any write, as bits).
__global__ void dyn_smem_reverse(const int* in, int n, int* out, unsigned* first_bits) {
  SIMT_DYN_SHARED(int, buf);
  const int tid = (int)threadIdx.x;
  if (tid == 0) first_bits[blockIdx.x] = (unsigned)buf[0];
  __syncthreads();
  for (int i = tid; i < n; i += (int)blockDim.x) buf[i] = in[blockIdx.x * n + i];
  __syncthreads();
  for (int i = tid; i < n; i += (int)blockDim.x) out[blockIdx.x * n + i] = buf[n - 1 - i];
}

// 2D/3D blocks and grids: every thread records its coordinates.
__global__ void index_probe(int* out) {
  const int bx = (int)blockIdx.x, by = (int)blockIdx.y, bz = (int)blockIdx.z;
  const int block_lin = bx + (int)gridDim.x * (by + (int)gridDim.y * bz);
  const int tlin = (int)threadIdx.x + (int)blockDim.x * ((int)threadIdx.y + (int)blockDim.y * (int)threadIdx.z);
  const int per_block = (int)(blockDim.x * blockDim.y * blockDim.z);
  int* o = out + 4 * (block_lin * per_block + tlin);
  o[0] = (int)threadIdx.x + 100 * (int)threadIdx.y + 10000 * (int)threadIdx.z;
  o[1] = bx + 100 * by + 10000 * bz;
  o[2] = (int)blockDim.x + 100 * (int)blockDim.y + 10000 * (int)blockDim.z + 1000000 * warpSize;
  o[3] = (int)gridDim.x + 100 * (int)gridDim.y + 10000 * (int)gridDim.z;
}

// ---- atomics ----------------------------------------------------------------------------------
// Contended atomics: every thread of every block hits a handful of addresses.
__global__ void atomics_probe(int* hist, int nbins, float* fsum, double* dsum, int* imax, int* imin,
                              unsigned long long* usum, unsigned* cas_count, int* exch_seen, unsigned* wrap) {
  const int g = (int)(blockIdx.x * blockDim.x + threadIdx.x);
  atomicAdd(&hist[g % nbins], 1);
  atomicAdd(fsum, 1.0f);
  atomicAdd(dsum, 0.5);
  atomicMax(imax, (g * 37) % 1001);
  atomicMin(imin, 500 - (g * 37) % 1001);
  atomicAdd(usum, (unsigned long long)g);
  // A CAS loop increment (the pattern for operations CUDA has no atomic for). The first read is
  // atomic too: a plain `*cas_count` here is a data race (the TSan build reports it).
  unsigned old = atomicAdd(cas_count, 0u), assumed;
  do {
    assumed = old;
    old = atomicCAS(cas_count, assumed, assumed + 1u);
  } while (old != assumed);
  // Exchange: each value is seen by exactly one later thread (or left at the end).
  const int prev = atomicExch(&exch_seen[0], g + 1);
  atomicAdd(&exch_seen[1 + prev], 1);
  atomicInc(wrap, 9u);
}

// Grid-stride saxpy with fewer threads than elements.
__global__ void saxpy_grid_stride(int n, float a, const float* __restrict__ x, float* __restrict__ y) {
  for (int i = (int)(blockIdx.x * blockDim.x + threadIdx.x); i < n; i += (int)(blockDim.x * gridDim.x))
    y[i] = fmaf(a, x[i], y[i]);
}

// Math intrinsics the kernels use (compared with libm on the host; the GPU's fast versions differ).
__global__ void math_probe(const float* x, float* out, int* iout) {
  const int t = (int)threadIdx.x;
  const float v = x[t];
  out[8 * t + 0] = __expf(v);
  out[8 * t + 1] = __logf(fabsf(v) + 1.0f);
  out[8 * t + 2] = __fdividef(v, 3.0f);
  out[8 * t + 3] = rsqrtf(fabsf(v) + 1.0f);
  out[8 * t + 4] = fmaf(v, 2.0f, 1.0f);
  out[8 * t + 5] = __int_as_float(__float_as_int(v));
  out[8 * t + 6] = max(v, 0.25f) + min(v, -0.25f);
  out[8 * t + 7] = __saturatef(v);
  iout[4 * t + 0] = __ffs(t << 3);
  iout[4 * t + 1] = __popc((unsigned)t * 2654435761u);
  iout[4 * t + 2] = __clz(t);
  iout[4 * t + 3] = max(t, 7) - min(t, 7);
}

// ---- deliberate bugs ---------------------------------------------------------------------------
// Missing __syncthreads between writing the per-warp partials and reading them. Partials live in
// dynamic shared memory (garbage at start), so reading one too early gives a wrong sum.
__global__ void bug_missing_syncthreads(const float* __restrict__ x, int n, float* __restrict__ out) {
  SIMT_DYN_SHARED(float, partial);
  const int tid = (int)threadIdx.x;
  float acc = 0.0f;
  for (int i = tid; i < n; i += (int)blockDim.x) acc += x[i];
  acc = warp_sum(acc);
  if ((tid & 31) == 0) partial[tid >> 5] = acc;
  // BUG: __syncthreads() missing here.
  if (tid == 0) {
    float s = 0.0f;
    for (int w = 0; w < (int)blockDim.x / 32; ++w) s += partial[w];
    out[blockIdx.x] = s;
  }
}

// BUG: a full-mask shuffle reached by half the warp.
__global__ void bug_divergent_shuffle(float* out) {
  const int lane = (int)(threadIdx.x & 31);
  float v = (float)threadIdx.x;
  if (lane < 16) v += __shfl_down_sync(kFull, v, 16);
  out[threadIdx.x] = v;
}

// BUG: early exit before a barrier.
__global__ void bug_early_exit_barrier(int n, float* out) {
  const int tid = (int)threadIdx.x;
  if (tid >= n) return;
  out[tid] = 1.0f;
  __syncthreads();
  out[tid] += out[(tid + 1) % n];
}

// BUG: half the warp in a shuffle, the other half at __syncthreads (a deadlock on the GPU too).
__global__ void bug_half_warp_deadlock(float* out) {
  const int lane = (int)(threadIdx.x & 31);
  float v = (float)threadIdx.x;
  if (lane < 16) v = __shfl_down_sync(kFull, v, 1);
  else __syncthreads();
  out[threadIdx.x] = v;
}

// BUG: dynamic shared memory sized for `cap` floats, every thread writes one (blockDim.x > cap).
__global__ void bug_smem_overflow(float* out) {
  SIMT_DYN_SHARED(float, buf);
  buf[threadIdx.x] = (float)threadIdx.x;
  __syncthreads();
  out[threadIdx.x] = buf[threadIdx.x];
}

// BUG: static shared memory for 32 floats, every thread writes one (blockDim.x > 32).
__global__ void bug_static_smem_overflow(float* out) {
  __shared__ float tile[32];
  tile[threadIdx.x] = (float)threadIdx.x;
  __syncthreads();
  out[threadIdx.x] = tile[threadIdx.x % 32];
}

// BUG: a full mask in a block whose last warp has fewer than 32 threads.
__global__ void bug_mask_nonexistent_lanes(int* out) {
  out[threadIdx.x] = __shfl_down_sync(kFull, (int)threadIdx.x, 1);
}

// BUG: a half-warp mask, but lanes 8..15 read lanes 16..23 (outside the mask).
__global__ void bug_shuffle_reads_outside_mask(int* out) {
  const int lane = (int)(threadIdx.x & 31);
  int v = lane;
  if (lane < 16) v = __shfl_down_sync(0x0000ffffu, v, 8);
  out[threadIdx.x] = v;
}

// BUG: lanes of one warp in different collectives with the same mask.
__global__ void bug_mixed_collectives(int* out) {
  const int lane = (int)(threadIdx.x & 31);
  if (lane < 16) out[threadIdx.x] = (int)__ballot_sync(kFull, 1);
  else out[threadIdx.x] = __any_sync(kFull, 1);
}

// BUG: the two halves of the block wait at different __syncthreads.
__global__ void bug_split_barrier(int* out) {
  const int tid = (int)threadIdx.x;
  if (tid < 32) {
    out[tid] = 1;
    __syncthreads();
  } else {
    out[tid] = 2;
    __syncthreads();
  }
}

// BUG: every lane calls a shuffle whose mask names only lane 0.
__global__ void bug_caller_not_in_mask(int* out) {
  out[threadIdx.x] = __shfl_sync(0x1u, (int)threadIdx.x, 0);
}

// BUG: width 12 is not a power of two.
__global__ void bug_bad_width(int* out) {
  out[threadIdx.x] = __shfl_xor_sync(kFull, (int)threadIdx.x, 1, 12);
}

// BUG: thread 0 spin-waits for a flag nobody sets (a spin outside the emulator's primitives; the
// watchdog must end it). The others wait at the barrier.
__global__ void bug_spin_forever(volatile int* flag) {
  if (threadIdx.x == 0)
    while (*flag == 0) {
    }
  __syncthreads();
}

}  // namespace emu
