// AVX2 + FMA (W = 8) instantiation of the factorisation inner loops (kernels.inl). CMake compiles
// *_avx2.cpp with -mavx2 -mfma; chosen at run time by active_kernels().
#if defined(SOUK_X86)
#define SOUK_FACT_V VAvx2
#define SOUK_FACT_NS avx2
#include "kernels.inl"

namespace souk {
namespace fact {
const KernelTable& kernels_avx2() { return avx2::table(); }
}  // namespace fact
}  // namespace souk
#endif
