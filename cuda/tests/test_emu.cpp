// cuda/tests/test_emu.cpp: the SIMT emulator's own unit tests (CUDA-TESTING.md 3.3 and 4.5): shuffle
// semantics for every width and variant (out-of-range sources included) against a reference written
// from the PTX shfl.sync pseudocode, votes, partial warps, barriers with shared-memory reductions for
// blocks of 32..1024 threads, dynamic shared memory sizes, index variables, contended atomics,
// grid-stride loops, math intrinsics, schedule seeds, engines, the SIMT_LAUNCH/ErrorCapture contract,
// and the deliberate bugs with the exact report each must produce. Kernels: kernels/emu_kernels.cuh.
// Sizes shrink in the TSan build (kSlow): one OS thread per CUDA thread there.
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/emu_kernels.cuh"
#include "simt_test.h"

using simt_test::contains;
using simt_test::kSlow;
using simt_test::opts;

namespace {

// ---- shuffle reference, transcribed from the PTX ISA's shfl.sync pseudocode --------------------
// c = ((32 - width) << 8) | (up ? 0 : 31); bval = b[4:0]; segmask = c[12:8]; cval = c[4:0].
int ref_shfl_src(int variant, int lane, int width, int arg) {
  const int b = (variant == 1 ? lane * 7 + arg : arg) & 31;
  const int segmask = (32 - width) & 31;
  const int cval = variant == 2 ? 0 : 31;
  const int maxLane = (lane & segmask) | (cval & ~segmask);
  const int minLane = lane & segmask;
  int j = lane;
  bool p = true;
  switch (variant) {
    case 0: case 1: j = minLane | (b & ~segmask); p = j <= maxLane; break;
    case 2: j = lane - b; p = j >= maxLane; break;
    case 3: j = lane + b; p = j <= maxLane; break;
    case 4: j = lane ^ b; p = j <= maxLane; break;
  }
  return p ? j : lane;
}

template <class T>
void check_shuffles(const char* tname) {
  const int widths[] = {1, 2, 4, 8, 16, 32};
  const std::vector<int> args = kSlow ? std::vector<int>{1, 17, 40, -3}
                                      : std::vector<int>{0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 40, -1, -3};
  const std::vector<int> blocks = kSlow ? std::vector<int>{32} : std::vector<int>{32, 96};
  const int grid = kSlow ? 1 : 2;
  const char* names[] = {"__shfl_sync", "__shfl_sync(per-lane src)", "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync"};
  for (int block : blocks)
    for (int variant = 0; variant < 5; ++variant)
      for (int width : widths)
        for (int arg : args) {
          std::vector<T> out((size_t)grid * block, (T)-1);
          auto r = simt::run(opts(), "shfl_probe", emu::shfl_probe<T>, dim3(grid), dim3(block), 0, variant, width, arg, out.data());
          int bad = -1;
          for (int b = 0; b < grid && bad < 0; ++b)
            for (int t = 0; t < block; ++t) {
              const int lane = t & 31;
              const int src = (t & ~31) + ref_shfl_src(variant, lane, width, arg);
              if (out[(size_t)b * block + t] != (T)(1000 * b + src)) { bad = b * block + t; break; }
            }
          EXPECT(r.ok && bad < 0, "%s<%s> width %d arg %d block %d: %s thread %d got %g", names[variant], tname, width, arg,
                 block, r.message.c_str(), bad, bad >= 0 ? (double)out[(size_t)bad] : 0.0);
        }
}

}  // namespace

SIMT_TEST(shuffle_int_every_width_and_variant) { check_shuffles<int>("int"); }
SIMT_TEST(shuffle_float_every_width_and_variant) {
  if (!kSlow) check_shuffles<float>("float");
}
SIMT_TEST(shuffle_64bit_and_warp_reductions) {
  const int n = 64;
  std::vector<unsigned> red(n);
  std::vector<int> redi(n);
  std::vector<double> dbl(n);
  std::vector<long long> ll(n);
  auto r = simt::run(opts(), "warp_misc", emu::warp_misc, dim3(1), dim3(n), 0, red.data(), redi.data(), dbl.data(), ll.data());
  EXPECT(r.ok, "%s", r.message.c_str());
  bool ok = true;
  for (int t = 0; t < n; ++t) {
    const int w = t / 32, lane = t % 32;
    unsigned sum = 0;
    for (int l = 0; l < 32; ++l) sum += (unsigned)(w * 32 + l);
    ok &= red[t] == sum + 31u;
    ok &= redi[t] == -7 + 0;
    ok &= dbl[t] == 0.5 + (w * 32 + (lane ^ 3));
    ok &= ll[t] == ((long long)(lane + 2 < 32 ? t + 2 : t) << 40);
  }
  EXPECT(ok, "64-bit shuffles / __reduce_*_sync results differ");
}

SIMT_TEST(shuffle_disjoint_half_warps) {
  std::vector<int> out(64);
  auto r = simt::run(opts(), "half_warp_shuffles", emu::half_warp_shuffles, dim3(1), dim3(64), 0, out.data());
  bool ok = r.ok;
  for (int t = 0; t < 64; ++t) {
    const int lane = t & 31;
    const int want = lane < 16 ? (lane < 15 ? t + 1 : t) : (lane > 16 ? t - 1 : t);
    ok &= out[t] == want;
  }
  EXPECT(ok, "two half-warps with different masks: %s", r.message.c_str());
}

SIMT_TEST(votes_ballot_any_all) {
  const std::vector<int> blocks = kSlow ? std::vector<int>{64} : std::vector<int>{32, 128};
  for (int block : blocks)
    for (int pattern = 0; pattern < 9; ++pattern) {
      if (kSlow && pattern > 4) break;
      std::vector<unsigned> ballot(block);
      std::vector<int> any(block), all(block);
      auto r = simt::run(opts(), "vote_probe", emu::vote_probe, dim3(1), dim3(block), 0, pattern, ballot.data(), any.data(), all.data());
      bool ok = r.ok;
      for (int t = 0; t < block; ++t) {
        unsigned want = 0;
        for (int l = 0; l < 32; ++l) if (emu::vote_pred((t & ~31) + l, pattern)) want |= 1u << l;
        ok &= ballot[t] == want && any[t] == (want != 0) && all[t] == (want == 0xffffffffu);
      }
      EXPECT(ok, "votes, block %d pattern %d: %s", block, pattern, r.message.c_str());
    }
}

SIMT_TEST(partial_warps_with_computed_masks) {
  for (int block : {1, 33, 48, 100}) {
    std::vector<unsigned> ballot(block), active(block);
    std::vector<int> sum(block);
    auto r = simt::run(opts(), "partial_warp_vote", emu::partial_warp_vote, dim3(1), dim3(block), 0, ballot.data(), active.data(), sum.data());
    bool ok = r.ok;
    for (int t = 0; t < block; ++t) {
      const int base = t & ~31, nin = std::min(32, block - base);
      const unsigned mask = nin == 32 ? 0xffffffffu : ((1u << nin) - 1u);
      unsigned b = 0;
      int s = 0;
      for (int l = 0; l < nin; ++l) { if ((base + l) & 1) b |= 1u << l; s += base + l; }
      const int next = base + ((t & 31) + 1) % nin;
      ok &= ballot[t] == b && active[t] == mask && sum[t] == s * 10000 + next;
    }
    EXPECT(ok, "partial warp, block %d: %s", block, r.message.c_str());
  }
}

SIMT_TEST(block_reduction_32_to_1024_threads) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const std::vector<int> blocks = kSlow ? std::vector<int>{32, 1024} : std::vector<int>{32, 64, 96, 128, 256, 512, 1024};
  for (int block : blocks)
    for (int grid : {1, 3}) {
      if (kSlow && grid * block > 1024) continue;
      const int n = kSlow ? 777 : 10007;
      std::vector<float> x(n);
      for (float& v : x) v = U(rng);
      std::vector<float> out(grid, NAN);
      auto r = simt::run(opts(), "block_sum", emu::block_sum, dim3(grid), dim3(block), 0, x.data(), n, out.data());
      bool ok = r.ok;
      for (int b = 0; b < grid; ++b) {
        double ref = 0;
        for (int i = b * block; i < n; i += grid * block)
          for (int t = 0; t < block && i + t < n; ++t) ref += x[i + t];
        ok &= std::fabs(out[b] - ref) <= 1e-3 + 1e-4 * std::fabs(ref);
      }
      EXPECT(ok, "block_sum block %d grid %d: got %g (%s)", block, grid, (double)out[0], r.message.c_str());
    }
}

SIMT_TEST(syncthreads_count_and_or) {
  for (int block : {32, 100, 256}) {
    for (int pattern = 0; pattern < 5; ++pattern) {
      if (kSlow && (block == 256 || pattern > 2)) continue;
      int out[3] = {-1, -1, -1};
      auto r = simt::run(opts(), "barrier_votes", emu::barrier_votes, dim3(1), dim3(block), 0, pattern, out);
      int c = 0;
      for (int t = 0; t < block; ++t) c += emu::vote_pred(t, pattern) != 0;
      EXPECT(r.ok && out[0] == c && out[1] == (c == block) && out[2] == (c > 0),
             "__syncthreads_count/and/or block %d pattern %d: %d %d %d (%s)", block, pattern, out[0], out[1], out[2], r.message.c_str());
    }
  }
}

SIMT_TEST(dynamic_shared_memory_sizes) {
  const std::vector<int> sizes = kSlow ? std::vector<int>{1, 33, 1000} : std::vector<int>{1, 7, 32, 100, 1000, 4096, 12288};
  for (int n : sizes) {
    const int grid = 2, block = 64;
    std::vector<int> in((size_t)grid * n), out((size_t)grid * n, -1);
    std::iota(in.begin(), in.end(), 5);
    std::vector<unsigned> first(grid, 0);
    auto r = simt::run(opts(), "dyn_smem_reverse", emu::dyn_smem_reverse, dim3(grid), dim3(block), sizeof(int) * n,
                       in.data(), n, out.data(), first.data());
    bool ok = r.ok;
    for (int b = 0; b < grid; ++b) {
      for (int i = 0; i < n; ++i) ok &= out[(size_t)b * n + i] == in[(size_t)b * n + n - 1 - i];
      ok &= first[b] == 0xffffffffu;  // garbage-filled, not zero
    }
    EXPECT(ok, "dynamic smem of %d ints: %s", n, r.message.c_str());
  }
  // More than 48 KiB needs the opt-in attribute, as on the GPU.
  const int big = 16384;  // 64 KiB
  std::vector<int> in(big), out(big);
  std::iota(in.begin(), in.end(), 0);
  std::vector<unsigned> first(1);
  auto r = simt::run(opts(), "dyn_smem_reverse", emu::dyn_smem_reverse, dim3(1), dim3(32), sizeof(int) * big, in.data(), big, out.data(), first.data());
  EXPECT(!r.ok && r.cuda_error == 1 && contains(r.message, "cudaFuncSetAttribute"), "64 KiB without opt-in: %s", r.message.c_str());
  EXPECT(cudaFuncSetAttribute(emu::dyn_smem_reverse, cudaFuncAttributeMaxDynamicSharedMemorySize, 65536) == cudaSuccess, "opt-in");
  r = simt::run(opts(), "dyn_smem_reverse", emu::dyn_smem_reverse, dim3(1), dim3(32), sizeof(int) * big, in.data(), big, out.data(), first.data());
  EXPECT(r.ok && out[0] == big - 1 && out[big - 1] == 0, "64 KiB with opt-in: %s", r.message.c_str());
}

SIMT_TEST(index_variables_2d_3d) {
  struct Cfg { dim3 grid, block; };
  const Cfg cfgs[] = {{dim3(3, 2, 2), dim3(4, 3, 2)}, {dim3(1, 1, 3), dim3(32, 2, 1)}, {dim3(2), dim3(5, 7)}};
  for (const Cfg& c : cfgs) {
    const int per = (int)(c.block.x * c.block.y * c.block.z), nb = (int)(c.grid.x * c.grid.y * c.grid.z);
    std::vector<int> out((size_t)4 * per * nb, -1);
    auto r = simt::run(opts(), "index_probe", emu::index_probe, c.grid, c.block, 0, out.data());
    bool ok = r.ok;
    for (unsigned bz = 0; bz < c.grid.z; ++bz) for (unsigned by = 0; by < c.grid.y; ++by) for (unsigned bx = 0; bx < c.grid.x; ++bx)
      for (unsigned tz = 0; tz < c.block.z; ++tz) for (unsigned ty = 0; ty < c.block.y; ++ty) for (unsigned tx = 0; tx < c.block.x; ++tx) {
        const size_t bl = bx + c.grid.x * (by + c.grid.y * bz), tl = tx + c.block.x * (ty + c.block.y * tz);
        const int* o = &out[4 * (bl * per + tl)];
        ok &= o[0] == (int)(tx + 100 * ty + 10000 * tz) && o[1] == (int)(bx + 100 * by + 10000 * bz) &&
              o[2] == (int)(c.block.x + 100 * c.block.y + 10000 * c.block.z + 32000000) &&
              o[3] == (int)(c.grid.x + 100 * c.grid.y + 10000 * c.grid.z);
      }
    EXPECT(ok, "index variables for block (%u,%u,%u): %s", c.block.x, c.block.y, c.block.z, r.message.c_str());
  }
}

SIMT_TEST(atomics_under_contention) {
  const int grid = kSlow ? 2 : 4, block = kSlow ? 64 : 256, T = grid * block, nbins = 7;
  std::vector<int> hist(nbins, 0), exch(T + 2, 0);
  float fsum = 0;
  double dsum = 0;
  int imax = -1, imin = 1 << 30;
  unsigned long long usum = 0;
  unsigned cas = 0, wrap = 0;
  auto r = simt::run(opts(), "atomics_probe", emu::atomics_probe, dim3(grid), dim3(block), 0, hist.data(), nbins, &fsum, &dsum,
                     &imax, &imin, &usum, &cas, exch.data(), &wrap);
  EXPECT(r.ok, "%s", r.message.c_str());
  bool hist_ok = true;
  for (int b = 0; b < nbins; ++b) hist_ok &= hist[b] == T / nbins + (b < T % nbins ? 1 : 0);
  EXPECT(hist_ok, "atomicAdd(int) histogram");
  EXPECT(fsum == (float)T && dsum == 0.5 * T, "atomicAdd(float/double): %g %g", (double)fsum, dsum);
  int mx = -1, mn = 1 << 30;
  for (int g = 0; g < T; ++g) { mx = std::max(mx, (g * 37) % 1001); mn = std::min(mn, 500 - (g * 37) % 1001); }
  EXPECT(imax == mx && imin == mn, "atomicMax/atomicMin: %d %d vs %d %d", imax, imin, mx, mn);
  EXPECT(usum == (unsigned long long)T * (T - 1) / 2, "atomicAdd(u64)");
  EXPECT(cas == (unsigned)T, "atomicCAS loop: %u", cas);
  int seen = 0, never = 0;
  bool ones = true;
  for (int v = 0; v <= T; ++v) { seen += exch[1 + v]; ones &= exch[1 + v] <= 1; never += exch[1 + v] == 0; }
  EXPECT(ones && seen == T && never == 1 && exch[1 + exch[0]] == 0 && exch[1] == 1, "atomicExch chain");
  EXPECT(wrap == (unsigned)(T % 10), "atomicInc wrap: %u", wrap);
}

SIMT_TEST(grid_stride_loops) {
  const int n = kSlow ? 10007 : 100003;
  std::vector<float> x(n), y(n), y0(n);
  for (int i = 0; i < n; ++i) { x[i] = (float)(i % 97) * 0.5f; y[i] = y0[i] = (float)(i % 13); }
  auto r = simt::run(opts(), "saxpy_grid_stride", emu::saxpy_grid_stride, dim3(kSlow ? 3 : 7), dim3(kSlow ? 64 : 128), 0, n, 2.0f, x.data(), y.data());
  bool ok = r.ok;
  for (int i = 0; i < n; ++i) ok &= y[i] == std::fmaf(2.0f, x[i], y0[i]);
  EXPECT(ok, "grid-stride saxpy: %s", r.message.c_str());
}

SIMT_TEST(math_intrinsics) {
  const int n = 64;
  std::vector<float> x(n), out(8 * n);
  std::vector<int> iout(4 * n);
  for (int i = 0; i < n; ++i) x[i] = (float)(i - 32) * 0.173f;
  auto r = simt::run(opts(), "math_probe", emu::math_probe, dim3(1), dim3(n), 0, x.data(), out.data(), iout.data());
  bool ok = r.ok;
  for (int t = 0; t < n; ++t) {
    const float v = x[t];
    const float want[8] = {std::exp(v), std::log(std::fabs(v) + 1.0f), v / 3.0f, 1.0f / std::sqrt(std::fabs(v) + 1.0f),
                           std::fmaf(v, 2.0f, 1.0f), v, std::fmax(v, 0.25f) + std::fmin(v, -0.25f), std::min(1.0f, std::max(0.0f, v))};
    for (int k = 0; k < 8; ++k) ok &= std::fabs(out[8 * t + k] - want[k]) <= 1e-5f * (1.0f + std::fabs(want[k]));
    ok &= iout[4 * t + 0] == (t == 0 ? 0 : __builtin_ctz((unsigned)t << 3) + 1);
    ok &= iout[4 * t + 1] == __builtin_popcount((unsigned)t * 2654435761u);
    ok &= iout[4 * t + 2] == (t == 0 ? 32 : __builtin_clz((unsigned)t));
    ok &= iout[4 * t + 3] == std::abs(t - 7);
  }
  EXPECT(ok, "math intrinsics: %s", r.message.c_str());
}

SIMT_TEST(seeds_give_identical_correct_results) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> U(-1.0f, 1.0f);
  const int n = 5000, block = kSlow ? 64 : 128, grid = kSlow ? 2 : 5;
  std::vector<float> x(n);
  for (float& v : x) v = U(rng);
  std::vector<float> first;
  for (long long seed : {0LL, 1LL, 2LL, 3LL, 12345LL}) {
    if (kSlow && seed > 2) break;
    std::vector<float> out(grid);
    auto r = simt::run(opts(seed), "block_sum", emu::block_sum, dim3(grid), dim3(block), 0, x.data(), n, out.data());
    EXPECT(r.ok, "%s", r.message.c_str());
    if (first.empty()) first = out;
    EXPECT(out == first, "seed %lld changed a race-free kernel's result", seed);
  }
}

SIMT_TEST(engines_per_launch_agree) {
  std::vector<float> x(3000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (float)((i * 7919) % 101) - 50.0f;
  std::vector<float> a(3), b(3);
  simt::LaunchOptions of = opts(), ot = opts();
  of.engine = simt::Engine::Fibers;
  ot.engine = simt::Engine::Threads;
  auto r1 = simt::run(of, "block_sum", emu::block_sum, dim3(3), dim3(64), 0, x.data(), 3000, a.data());
  auto r2 = simt::run(ot, "block_sum", emu::block_sum, dim3(3), dim3(64), 0, x.data(), 3000, b.data());
  EXPECT(r1.ok && r2.ok && a == b, "fibers vs threads: %s %s", r1.message.c_str(), r2.message.c_str());
}

SIMT_TEST(simt_launch_errors_follow_cuda) {
  // A configuration error is reported through cudaGetLastError, without running the kernel.
  std::vector<float> out(4, 0.0f);
  cudaGetLastError();
  SIMT_LAUNCH(emu::bug_divergent_shuffle, dim3(1), dim3(2048), 0, 0, out.data());
  EXPECT(cudaGetLastError() == cudaErrorInvalidConfiguration, "block of 2048 threads");
  EXPECT(cudaGetLastError() == cudaSuccess, "cudaGetLastError resets");
  // A kernel fault inside an ErrorCapture: recorded, sticky cudaErrorLaunchFailure.
  {
    simt::ErrorCapture cap;
    std::vector<float> o(32);
    SIMT_LAUNCH(emu::bug_divergent_shuffle, dim3(1), dim3(32), 0, 0, o.data());
    EXPECT(cap.failed() && contains(cap.message(), "bug_divergent_shuffle"), "capture: %s", cap.message().c_str());
    EXPECT(cudaGetLastError() == cudaErrorLaunchFailure, "last error 719");
    EXPECT(cudaDeviceSynchronize() == cudaErrorLaunchFailure, "sticky 719");
    EXPECT(std::string(cudaGetErrorName(cudaErrorLaunchFailure)) == "cudaErrorLaunchFailure", "error name");
  }
  cudaDeviceReset();
  EXPECT(cudaDeviceSynchronize() == cudaSuccess && cudaGetLastError() == cudaSuccess, "reset clears");
  // The emulator recovers: the next launch runs normally.
  std::vector<float> x(100, 1.0f), s(1);
  SIMT_LAUNCH(emu::block_sum, 1, 64, 0, 0, x.data(), 100, s.data());
  EXPECT(cudaGetLastError() == cudaSuccess && s[0] == 100.0f, "launch after a failure: %g", (double)s[0]);
}

// ---- deliberate bugs: each must be reported with a precise message ------------------------------
SIMT_TEST(bug_missing_syncthreads_gives_wrong_results_in_fibers) {
  if (kSlow) return;  // the TSan build checks this one as a data race (ctest simt_tsan_race_demo)
  const int n = 1000, block = 256;
  std::vector<float> x(n, 1.0f);
  int wrong = 0;
  std::vector<float> again(1), out(1);
  for (long long seed = 1; seed <= 6; ++seed) {
    auto r = simt::run(opts(seed), "bug_missing_syncthreads", emu::bug_missing_syncthreads, dim3(1), dim3(block),
                       sizeof(float) * (block / 32), x.data(), n, out.data());
    auto r2 = simt::run(opts(seed), "bug_missing_syncthreads", emu::bug_missing_syncthreads, dim3(1), dim3(block),
                        sizeof(float) * (block / 32), x.data(), n, again.data());
    EXPECT(r.ok && r2.ok, "no emulator error expected (the race is invisible to it): %s", r.message.c_str());
    EXPECT(std::memcmp(out.data(), again.data(), sizeof(float)) == 0, "seed %lld: fibers are deterministic", seed);
    wrong += out[0] != (float)n;
  }
  EXPECT(wrong > 0, "the missing __syncthreads never changed the result over 6 seeds");
}

SIMT_TEST(bug_divergent_shuffle_reported) {
  std::vector<float> out(64);
  auto r = simt::run(opts(), "bug_divergent_shuffle", emu::bug_divergent_shuffle, dim3(1), dim3(64), 0, out.data());
  EXPECT(!r.ok && r.cuda_error == 719, "must fail");
  EXPECT(contains(r.message, "kernel 'bug_divergent_shuffle'") && contains(r.message, "__shfl_down_sync(mask=0xffffffff)") &&
             contains(r.message, "exited") && contains(r.message, "lane") && contains(r.message, "emu_kernels.cuh:"),
         "message: %s", r.message.c_str());
}

SIMT_TEST(bug_early_exit_before_barrier_reported) {
  std::vector<float> out(64);
  auto r = simt::run(opts(), "bug_early_exit_barrier", emu::bug_early_exit_barrier, dim3(1), dim3(64), 0, 40, out.data());
  EXPECT(!r.ok && contains(r.message, "__syncthreads") && contains(r.message, "exited") &&
             contains(r.message, "barrier in divergent code"),
         "message: %s", r.message.c_str());
}

SIMT_TEST(bug_half_warp_deadlock_reported) {
  for (int block : {32, 64}) {
    std::vector<float> out(block);
    auto r = simt::run(opts(), "bug_half_warp_deadlock", emu::bug_half_warp_deadlock, dim3(1), dim3(block), 0, out.data());
    EXPECT(!r.ok && contains(r.message, "deadlock") && contains(r.message, "lanes 0x0000ffff wait in __shfl_down_sync(mask=0xffffffff)") &&
               contains(r.message, "lanes 0xffff0000 wait in __syncthreads"),
           "block %d message: %s", block, r.message.c_str());
  }
}

SIMT_TEST(bug_mask_names_missing_lanes_reported) {
  std::vector<int> out(48);
  auto r = simt::run(opts(), "bug_mask_nonexistent_lanes", emu::bug_mask_nonexistent_lanes, dim3(1), dim3(48), 0, out.data());
  EXPECT(!r.ok && contains(r.message, "lanes 0xffff0000 that do not exist") && contains(r.message, "warp 1"),
         "message: %s", r.message.c_str());
}

SIMT_TEST(bug_shuffle_reading_outside_mask_reported) {
  std::vector<int> out(32);
  auto r = simt::run(opts(), "bug_shuffle_reads_outside_mask", emu::bug_shuffle_reads_outside_mask, dim3(1), dim3(32), 0, out.data());
  EXPECT(!r.ok && contains(r.message, "reads lane 16, which is not in the mask"), "message: %s", r.message.c_str());
}

SIMT_TEST(bug_mixed_collectives_reported) {
  std::vector<int> out(32);
  auto r = simt::run(opts(), "bug_mixed_collectives", emu::bug_mixed_collectives, dim3(1), dim3(32), 0, out.data());
  EXPECT(!r.ok && contains(r.message, "different collectives") && contains(r.message, "__ballot_sync") && contains(r.message, "__any_sync"),
         "message: %s", r.message.c_str());
}

SIMT_TEST(bug_split_barrier_reported) {
  std::vector<int> out(64);
  auto r = simt::run(opts(), "bug_split_barrier", emu::bug_split_barrier, dim3(1), dim3(64), 0, out.data());
  EXPECT(!r.ok && contains(r.message, "different barriers"), "message: %s", r.message.c_str());
}

SIMT_TEST(bug_caller_not_in_mask_reported) {
  std::vector<int> out(32);
  auto r = simt::run(opts(), "bug_caller_not_in_mask", emu::bug_caller_not_in_mask, dim3(1), dim3(32), 0, out.data());
  EXPECT(!r.ok && contains(r.message, "is not in the mask") && contains(r.message, "__shfl_sync(mask=0x00000001)"),
         "message: %s", r.message.c_str());
}

SIMT_TEST(bug_bad_width_reported) {
  std::vector<int> out(32);
  auto r = simt::run(opts(), "bug_bad_width", emu::bug_bad_width, dim3(1), dim3(32), 0, out.data());
  EXPECT(!r.ok && contains(r.message, "width 12 is not a power of two"), "message: %s", r.message.c_str());
}

SIMT_TEST(errors_under_every_seed) {
  // The reports do not depend on the schedule (only their wording may name a different lane).
  for (long long seed : {0LL, 2LL, 3LL, 99LL}) {
    if (kSlow && seed > 2) break;
    std::vector<float> out(64);
    auto r1 = simt::run(opts(seed), "bug_early_exit_barrier", emu::bug_early_exit_barrier, dim3(1), dim3(64), 0, 40, out.data());
    auto r2 = simt::run(opts(seed), "bug_half_warp_deadlock", emu::bug_half_warp_deadlock, dim3(2), dim3(64), 0, out.data());
    auto r3 = simt::run(opts(seed), "bug_divergent_shuffle", emu::bug_divergent_shuffle, dim3(2), dim3(64), 0, out.data());
    EXPECT(!r1.ok && !r2.ok && contains(r2.message, "deadlock") && !r3.ok && contains(r3.message, "exited"), "seed %lld: %s | %s | %s",
           seed, r1.message.c_str(), r2.message.c_str(), r3.message.c_str());
  }
}

// ---- demos for the sanitizer/watchdog ctests (run by test_main.cpp's --demo) -------------------
int run_demo(const std::string& which) {
  if (which == "race") {  // TSan build: expect "ThreadSanitizer: data race"
    const int n = 512, block = 128;
    std::vector<float> x(n, 1.0f), out(1);
    simt::LaunchOptions o;
    o.engine = simt::Engine::Threads;
    auto r = simt::run(o, "bug_missing_syncthreads", emu::bug_missing_syncthreads, dim3(1), dim3(block), sizeof(float) * (block / 32),
                       x.data(), n, out.data());
    std::printf("race demo: sum %g (expected %d) %s\n", (double)out[0], n, r.message.c_str());
    return 0;
  }
  if (which == "smem-overflow") {  // ASan build: expect "heap-buffer-overflow"
    std::vector<float> out(64);
    auto r = simt::run(simt::LaunchOptions{}, "bug_smem_overflow", emu::bug_smem_overflow, dim3(1), dim3(64), sizeof(float) * 48, out.data());
    std::printf("smem-overflow demo: %s\n", r.ok ? "no report" : r.message.c_str());
    return 0;
  }
  if (which == "static-overflow") {  // ASan build: expect "global-buffer-overflow"
    std::vector<float> out(40);
    auto r = simt::run(simt::LaunchOptions{}, "bug_static_smem_overflow", emu::bug_static_smem_overflow, dim3(1), dim3(40), 0, out.data());
    std::printf("static-overflow demo: %s\n", r.ok ? "no report" : r.message.c_str());
    return 0;
  }
  if (which == "spin") {  // any build, SIMT_TIMEOUT=1: expect the watchdog's "no progress"
    int flag = 0;
    auto r = simt::run(simt::LaunchOptions{}, "bug_spin_forever", emu::bug_spin_forever, dim3(1), dim3(64), 0, &flag);
    std::printf("spin demo returned: %s\n", r.message.c_str());
    return 0;
  }
  std::printf("unknown demo '%s' (race, smem-overflow, static-overflow, spin)\n", which.c_str());
  return 2;
}
