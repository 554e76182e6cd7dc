// souk/machine.h — measures this machine's limits, so benchmarks report fractions of them.
//
//   peak FP32 FMA throughput: independent FMA chains on the widest active ISA, per thread and
//   for `threads` threads at once (2 flops per lane per FMA);
//   memory bandwidth: a read-only streaming sum over a buffer far larger than the caches.
#pragma once

#include <cstdint>

#include "souk/threads.h"

namespace souk {

struct PeakResult {
  double gflops = 0;   // total over all threads
  double seconds = 0;  // wall time of the measurement
};

// Runs for about `seconds` on `ctx.effective_threads()` threads; returns the best of a few runs.
PeakResult measure_peak_fma(const ExecContext& ctx, double seconds);
// Streams `bytes` (at least 64 MiB is sensible) `repeats` times; returns GB/s (1e9 bytes/s).
double measure_read_bandwidth(const ExecContext& ctx, int64_t bytes, int repeats);

namespace detail {
// One thread: `iters` iterations of the ISA's FMA block; returns flops done. Result is
// accumulated into *sink so the compiler keeps the work.
double fma_block_avx512(int64_t iters, float* sink);
double fma_block_avx2(int64_t iters, float* sink);
double fma_block_scalar(int64_t iters, float* sink);
}  // namespace detail

}  // namespace souk
