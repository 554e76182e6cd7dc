// Machine limits: peak FP32 FMA throughput and read bandwidth (see souk/machine.h).
#include "souk/machine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "souk/isa.h"

namespace souk {

namespace {
double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double fma_block(int64_t iters, float* sink) {
  switch (active_isa()) {
    case Isa::Avx512: return detail::fma_block_avx512(iters, sink);
    case Isa::Avx2: return detail::fma_block_avx2(iters, sink);
    default: return detail::fma_block_scalar(iters, sink);
  }
}
}  // namespace

namespace detail {
double fma_block_scalar(int64_t iters, float* sink) {
  // 8 independent chains; the compiler may vectorise, which is fine for a "scalar" build.
  float a[8], b = 1.0000001f, c = 1e-7f;
  for (int i = 0; i < 8; ++i) a[i] = static_cast<float>(i);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 8; ++i) a[i] = a[i] * b + c;
  float s = 0;
  for (float v : a) s += v;
  *sink += s;
  return 2.0 * 8.0 * static_cast<double>(iters);
}
}  // namespace detail

PeakResult measure_peak_fma(const ExecContext& ctx, double seconds) {
  int threads = ctx.effective_threads();
  // Calibrate iterations on one thread.
  float sink = 0;
  int64_t iters = 1 << 16;
  for (;;) {
    double t0 = now();
    fma_block(iters, &sink);
    double dt = now() - t0;
    if (dt > 0.02 || iters > (int64_t{1} << 40)) {
      iters = static_cast<int64_t>(iters * (seconds / 5.0) / std::max(dt, 1e-6));
      if (iters < 1024) iters = 1024;
      break;
    }
    iters *= 4;
  }
  PeakResult best;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<double> flops(threads, 0.0);
    std::vector<float> sinks(threads, 0.f);
    double t0 = now();
    Status st = ctx.parallel_for(threads, [&](int64_t t, int) {
      flops[t] = fma_block(iters, &sinks[t]);
      return Status::ok();
    });
    double dt = now() - t0;
    (void)st;
    double total = 0;
    for (double f : flops) total += f;
    double g = total / dt / 1e9;
    if (g > best.gflops) best = PeakResult{g, dt};
  }
  return best;
}

double measure_read_bandwidth(const ExecContext& ctx, int64_t bytes, int repeats) {
  int threads = ctx.effective_threads();
  int64_t n = bytes / static_cast<int64_t>(sizeof(float));
  std::unique_ptr<float[]> buf(new float[n]);
  // First touch in parallel, chunked the same way as the reads.
  int64_t chunk = (n + threads - 1) / threads;
  ctx.parallel_for(threads, [&](int64_t t, int) {
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    for (int64_t i = b; i < e; ++i) buf[i] = static_cast<float>(i & 1023);
    return Status::ok();
  });
  double best = 0;
  std::vector<double> sums(threads);
  for (int r = 0; r < repeats; ++r) {
    double t0 = now();
    ctx.parallel_for(threads, [&](int64_t t, int) {
      int64_t b = t * chunk, e = std::min(n, b + chunk);
      float acc[16] = {0};
      int64_t i = b;
      for (; i + 16 <= e; i += 16)
        for (int j = 0; j < 16; ++j) acc[j] += buf[i + j];
      for (; i < e; ++i) acc[0] += buf[i];
      double s = 0;
      for (float v : acc) s += v;
      sums[t] = s;
      return Status::ok();
    });
    double dt = now() - t0;
    best = std::max(best, static_cast<double>(n) * sizeof(float) / dt / 1e9);
  }
  return best;
}

}  // namespace souk
