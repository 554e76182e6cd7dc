// cuda/tests/nvcc_check.cu: compile-only proof that the emulator's test kernels are real CUDA. Built
// by the simt_nvcc_check target (cuda/CMakeLists.txt) with nvcc for 80-real;89-real;90-real;90-virtual,
// -Xptxas -warn-spills,-warn-lmem-usage,-Werror and --Werror all-warnings. It includes the same kernel
// headers the emulator tests run (kernels/*.cuh), instantiates every template the tests use, and
// launches every kernel through SIMT_LAUNCH, so the launch macro's nvcc side is compiled too.
// Limits: nothing here runs (no GPU in CI); run the emulator tests for behaviour.
#include "kernels/emu_kernels.cuh"
#include "kernels/topk.cuh"

void simt_nvcc_check_launch_all(cudaStream_t s, void* p, int n) {
  int* i = static_cast<int*>(p);
  float* f = static_cast<float*>(p);
  unsigned* u = static_cast<unsigned*>(p);
  SIMT_LAUNCH(emu::shfl_probe<int>, 1, 64, 0, s, 0, 32, 1, i);
  SIMT_LAUNCH(emu::shfl_probe<float>, 1, 64, 0, s, 0, 32, 1, f);
  SIMT_LAUNCH(emu::half_warp_shuffles, 1, 64, 0, s, i);
  SIMT_LAUNCH(emu::vote_probe, 1, 64, 0, s, 3, u, i, i);
  SIMT_LAUNCH(emu::partial_warp_vote, 1, 48, 0, s, u, u, i);
  SIMT_LAUNCH(emu::warp_misc, 1, 64, 0, s, u, i, static_cast<double*>(p), static_cast<long long*>(p));
  SIMT_LAUNCH(emu::block_sum, 3, 256, 0, s, f, n, f);
  SIMT_LAUNCH(emu::barrier_votes, 1, 100, 0, s, 1, i);
  SIMT_LAUNCH(emu::dyn_smem_reverse, 2, 64, n * sizeof(int), s, i, n, i, u);
  SIMT_LAUNCH(emu::index_probe, dim3(3, 2, 2), dim3(4, 3, 2), 0, s, i);
  SIMT_LAUNCH(emu::atomics_probe, 4, 256, 0, s, i, 7, f, static_cast<double*>(p), i, i,
              static_cast<unsigned long long*>(p), u, i, u);
  SIMT_LAUNCH(emu::saxpy_grid_stride, 7, 128, 0, s, n, 2.0f, f, f);
  SIMT_LAUNCH(emu::math_probe, 1, 64, 0, s, f, f, i);
  SIMT_LAUNCH(emu::bug_missing_syncthreads, 1, 256, 8 * sizeof(float), s, f, n, f);
  SIMT_LAUNCH(emu::bug_divergent_shuffle, 1, 64, 0, s, f);
  SIMT_LAUNCH(emu::bug_early_exit_barrier, 1, 64, 0, s, 40, f);
  SIMT_LAUNCH(emu::bug_half_warp_deadlock, 1, 64, 0, s, f);
  SIMT_LAUNCH(emu::bug_smem_overflow, 1, 64, 48 * sizeof(float), s, f);
  SIMT_LAUNCH(emu::bug_static_smem_overflow, 1, 40, 0, s, f);
  SIMT_LAUNCH(emu::bug_mask_nonexistent_lanes, 1, 48, 0, s, i);
  SIMT_LAUNCH(emu::bug_shuffle_reads_outside_mask, 1, 32, 0, s, i);
  SIMT_LAUNCH(emu::bug_mixed_collectives, 1, 32, 0, s, i);
  SIMT_LAUNCH(emu::bug_split_barrier, 1, 64, 0, s, i);
  SIMT_LAUNCH(emu::bug_caller_not_in_mask, 1, 32, 0, s, i);
  SIMT_LAUNCH(emu::bug_bad_width, 1, 32, 0, s, i);
  SIMT_LAUNCH(emu::bug_spin_forever, 1, 64, 0, s, static_cast<volatile int*>(i));
}

cudaError_t simt_nvcc_check_topk(const float* Q, const float* X, const float* bias, int nq, int n, int d, int k,
                                 float* ss, int* si, float* os, int* oi, cudaStream_t s) {
  cudaError_t e = topk::launch_fused_topk<64>(Q, X, bias, nq, n, d, k, 256, ss, si, os, oi, s);
  if (e == cudaSuccess) e = topk::launch_fused_topk<128>(Q, X, bias, nq, n, d, k, 256, ss, si, os, oi, s);
  if (e == cudaSuccess) e = topk::launch_fused_topk<1024>(Q, X, bias, nq, n, d, k, 2048, ss, si, os, oi, s);
  return e;
}
