// souk/isa.h — run-time instruction-set dispatch for the CPU kernels.
//
// Kernels are compiled once per ISA (files named *_avx512.cpp / *_avx2.cpp get the matching
// -m flags; see CMakeLists.txt) and chosen at run time from CPUID. The environment variable
// SOUK_SIMD=scalar|avx2|avx512 caps the level at start-up (useful to test every path on one
// machine), and set_isa_limit() does the same from code (tests, capabilities override).
#pragma once

namespace souk {

enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// What the CPU (and OS, for AVX state) supports.
Isa detected_isa();
// What the kernels use now: min(detected, limit).
Isa active_isa();
// Caps the level the kernels use (never raises it above detected_isa()). Returns the new level.
Isa set_isa_limit(Isa limit);
// "scalar", "avx2", "avx512".
const char* isa_name(Isa isa);
// Parses a name as above; returns false on an unknown name.
bool parse_isa(const char* name, Isa* out);

}  // namespace souk
