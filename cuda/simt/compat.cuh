// cuda/simt/compat.cuh: the one header every Souk kernel and host launcher includes, and the ONLY file
// in the project that tests __CUDACC__. Under nvcc it is CUDA; under g++/clang++ it pulls in the SIMT
// emulator (simt_cpu.h) and the CUDA runtime shim (cuda_runtime_shim.h), so the same source runs on
// the CPU in tests. Rules (cuda/README.md "portable subset"):
//   * dynamic shared memory only through SIMT_DYN_SHARED(T, name) (never `extern __shared__`);
//   * kernels are launched only through SIMT_LAUNCH(kernel, grid, block, smem_bytes, stream, args...)
//     (never `<<<>>>`); a template kernel whose arguments contain commas is written in parentheses:
//     SIMT_LAUNCH((topk<128, 32>), grid, block, smem, stream, args...);
//   * functions shared by kernels and host code (the CPU fallback) are SIMT_HD.
// Limits: emulated builds must be separate binaries from real-CUDA builds (the shim reuses CUDA's
// names and cannot be linked next to cudart).
#pragma once

#if defined(__CUDACC__)

#include <cuda_runtime.h>

#define SIMT_HD __host__ __device__
// One extern array per kernel translation unit, aligned for any element type, viewed as T.
#define SIMT_DYN_SHARED(T, name)                                      \
  extern __shared__ __align__(16) unsigned char simt_dyn_smem_raw_[]; \
  T* name = reinterpret_cast<T*>(simt_dyn_smem_raw_)
#define SIMT_LAUNCH(kernel, grid, block, smem, stream, ...) \
  kernel<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__)
#define SIMT_EMULATED 0

#else  // host compiler: the SIMT emulator

#include "simt_cpu.h"
#include "cuda_runtime_shim.h"

#define SIMT_HD
#define SIMT_DYN_SHARED(T, name) T* name = reinterpret_cast<T*>(::simt::detail::dynamic_shared())
#define SIMT_LAUNCH(kernel, grid, block, smem, stream, ...) \
  ::simt::make_launcher(#kernel, kernel, (grid), (block), (smem), (stream))(__VA_ARGS__)
#define SIMT_EMULATED 1

#endif
