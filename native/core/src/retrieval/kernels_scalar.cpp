// retrieval/kernels_scalar.cpp — portable instantiation of the score micro-kernel (kernel_impl.h)
// with a one-lane "vector" (plain float), for CPUs without AVX2 and for SOUK_SIMD=scalar.
// Register tile: MR = 4 queries x NR = 8 items = 32 scalar accumulators (the compiler may keep them
// in SSE registers). Also selects the active table (active_kernels()).
#include <cmath>
#include <cstdint>

#include "internal.h"

namespace souk {
namespace retrieval {
namespace k_scalar {

struct T {
  using F = float;
  static constexpr int W = 1;
  static constexpr int NR = 8;
  static constexpr int MR = 4;
  static F zero() { return 0.0f; }
  static F set1(float x) { return x; }
  static F load(const float* p) { return *p; }
  static F loadu(const float* p) { return *p; }
  static void storeu(float* p, F v) { *p = v; }
  static F fmadd(F a, F b, F c) { return a * b + c; }
  static F mul(F a, F b) { return a * b; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F max(F a, F b) { return a > b ? a : b; }
  static uint32_t ge(F a, F b) { return a >= b ? 1u : 0u; }
  static uint32_t gt(F a, F b) { return a > b ? 1u : 0u; }
  static constexpr bool kSamplePrune = false;
  static uint32_t sample_keep(const F*, uint64_t, int64_t, double, double) { return ~0u; }
  static F sel(uint32_t bits, F a, F b) { return (bits & 1u) ? a : b; }
  static float hsum(F v) { return v; }
  static float hmax(F v) { return v; }
  static F exp(F x) { return std::exp(x); }
};

#include "kernel_impl.h"

const KernelTable kTable = {Isa::Scalar, T::MR, T::NR, &scan, &pack, &dot, &dots};

}  // namespace k_scalar

const KernelTable* kernels_scalar() { return &k_scalar::kTable; }

const KernelTable& active_kernels() {
  const Isa isa = active_isa();
  if (isa == Isa::Avx512) {
    if (const KernelTable* t = kernels_avx512()) return *t;
  }
  if (isa >= Isa::Avx2) {
    if (const KernelTable* t = kernels_avx2()) return *t;
  }
  return *kernels_scalar();
}

}  // namespace retrieval
}  // namespace souk
