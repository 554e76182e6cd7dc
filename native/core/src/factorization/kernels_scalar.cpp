// Scalar (W = 1) instantiation of the factorisation inner loops (kernels.inl), plus the ISA
// dispatch (active_kernels). Baseline flags; the reference path for machines without AVX2.
#include "souk/isa.h"

#define SOUK_FACT_V VScalar
#define SOUK_FACT_NS scalar
#include "kernels.inl"

namespace souk {
namespace fact {

const KernelTable& kernels_scalar() { return scalar::table(); }

const KernelTable& active_kernels() {
#if defined(SOUK_X86)
  switch (active_isa()) {
    case Isa::Avx512: return kernels_avx512();
    case Isa::Avx2: return kernels_avx2();
    default: break;
  }
#endif
  return kernels_scalar();
}

}  // namespace fact
}  // namespace souk
