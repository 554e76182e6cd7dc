// AVX-512 (W = 16) instantiation of the factorisation inner loops (kernels.inl). CMake compiles
// *_avx512.cpp with -mavx512f/bw/dq/vl; chosen at run time by active_kernels().
#if defined(SOUK_X86)
#define SOUK_FACT_V VAvx512
#define SOUK_FACT_NS avx512
#include "kernels.inl"

namespace souk {
namespace fact {
const KernelTable& kernels_avx512() { return avx512::table(); }
}  // namespace fact
}  // namespace souk
#endif
