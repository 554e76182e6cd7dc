// CPUID-based ISA detection and the process-wide level cap (see souk/isa.h).
#include "souk/isa.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace souk {

namespace {

Isa detect() {
#if defined(SOUK_X86) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  // __builtin_cpu_supports checks CPUID and the OS's XSAVE state (XGETBV) for AVX/AVX-512.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("fma"))
    return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Scalar;
}

Isa initial_limit() {
  const char* env = std::getenv("SOUK_SIMD");
  Isa isa;
  if (env && parse_isa(env, &isa)) return isa;
  return Isa::Avx512;
}

std::atomic<int>& limit_slot() {
  static std::atomic<int> limit{static_cast<int>(initial_limit())};
  return limit;
}

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa active_isa() {
  int d = static_cast<int>(detected_isa());
  int l = limit_slot().load(std::memory_order_relaxed);
  return static_cast<Isa>(d < l ? d : l);
}

Isa set_isa_limit(Isa limit) {
  limit_slot().store(static_cast<int>(limit), std::memory_order_relaxed);
  return active_isa();
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

bool parse_isa(const char* name, Isa* out) {
  if (!name) return false;
  if (!std::strcmp(name, "scalar")) { *out = Isa::Scalar; return true; }
  if (!std::strcmp(name, "avx2")) { *out = Isa::Avx2; return true; }
  if (!std::strcmp(name, "avx512")) { *out = Isa::Avx512; return true; }
  return false;
}

}  // namespace souk
