// Minimal SIMD vocabulary for the factorisation kernels: one struct per ISA with static,
// always-inlined operations on a register type R of W float lanes. Each struct only exists in a
// translation unit compiled for its ISA (kernels_avx512.cpp, kernels_avx2.cpp); VScalar
// (W = 1) everywhere. load_n / store_n touch lanes [0, n) only (masked), load_from zeroes lanes
// below `off` (used to skip the unused triangle of a matrix row).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(SOUK_X86) && (defined(__AVX2__) || defined(__AVX512F__))
#include <immintrin.h>
#endif

#define SOUK_INLINE inline __attribute__((always_inline))

namespace souk {
namespace fact {

struct VScalar {
  using R = float;
  static constexpr int W = 1;
  static SOUK_INLINE R zero() { return 0.0f; }
  static SOUK_INLINE R set1(float v) { return v; }
  static SOUK_INLINE R load(const float* p) { return *p; }
  static SOUK_INLINE R load_n(const float* p, int n) { return *p; }
  static SOUK_INLINE R load_from(const float* p, int off) { return off > 0 ? 0.0f : *p; }
  static SOUK_INLINE void store(float* p, R v) { *p = v; }
  static SOUK_INLINE void store_n(float* p, R v, int n) { *p = v; }
  static SOUK_INLINE R fmadd(R a, R b, R c) { return a * b + c; }
  static SOUK_INLINE R fnmadd(R a, R b, R c) { return c - a * b; }
  static SOUK_INLINE R add(R a, R b) { return a + b; }
  static SOUK_INLINE R sub(R a, R b) { return a - b; }
  static SOUK_INLINE R mul(R a, R b) { return a * b; }
  static SOUK_INLINE float reduce(R a) { return a; }
  static SOUK_INLINE R insert(R v, int lane, float x) { return x; }
};

#if defined(SOUK_X86) && defined(__AVX512F__)
struct VAvx512 {
  using R = __m512;
  static constexpr int W = 16;
  static SOUK_INLINE R zero() { return _mm512_setzero_ps(); }
  static SOUK_INLINE R set1(float v) { return _mm512_set1_ps(v); }
  static SOUK_INLINE R load(const float* p) { return _mm512_loadu_ps(p); }
  static SOUK_INLINE R load_n(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static SOUK_INLINE R load_from(const float* p, int off) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>(~((1u << off) - 1u)), p);
  }
  static SOUK_INLINE void store(float* p, R v) { _mm512_storeu_ps(p, v); }
  static SOUK_INLINE void store_n(float* p, R v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
  }
  static SOUK_INLINE R fmadd(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static SOUK_INLINE R fnmadd(R a, R b, R c) { return _mm512_fnmadd_ps(a, b, c); }
  static SOUK_INLINE R add(R a, R b) { return _mm512_add_ps(a, b); }
  static SOUK_INLINE R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static SOUK_INLINE R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  // v with lane `lane` replaced by x (no memory round trip).
  static SOUK_INLINE R insert(R v, int lane, float x) {
    return _mm512_mask_mov_ps(v, static_cast<__mmask16>(1u << lane), _mm512_set1_ps(x));
  }
  static SOUK_INLINE float reduce(R a) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
  }
};
#endif

#if defined(SOUK_X86) && defined(__AVX2__) && defined(__FMA__)
struct VAvx2 {
  using R = __m256;
  static constexpr int W = 8;
  static SOUK_INLINE __m256i mask_lt(int n) {  // lanes < n set
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static SOUK_INLINE R zero() { return _mm256_setzero_ps(); }
  static SOUK_INLINE R set1(float v) { return _mm256_set1_ps(v); }
  static SOUK_INLINE R load(const float* p) { return _mm256_loadu_ps(p); }
  static SOUK_INLINE R load_n(const float* p, int n) { return _mm256_maskload_ps(p, mask_lt(n)); }
  static SOUK_INLINE R load_from(const float* p, int off) {
    return _mm256_maskload_ps(p, _mm256_xor_si256(mask_lt(off), _mm256_set1_epi32(-1)));
  }
  static SOUK_INLINE void store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static SOUK_INLINE void store_n(float* p, R v, int n) { _mm256_maskstore_ps(p, mask_lt(n), v); }
  static SOUK_INLINE R fmadd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static SOUK_INLINE R fnmadd(R a, R b, R c) { return _mm256_fnmadd_ps(a, b, c); }
  static SOUK_INLINE R add(R a, R b) { return _mm256_add_ps(a, b); }
  static SOUK_INLINE R sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static SOUK_INLINE R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static SOUK_INLINE R insert(R v, int lane, float x) {
    const __m256i eq = _mm256_cmpeq_epi32(_mm256_set1_epi32(lane), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_blendv_ps(v, _mm256_set1_ps(x), _mm256_castsi256_ps(eq));
  }
  static SOUK_INLINE float reduce(R a) {
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
  }
};
#endif

}  // namespace fact
}  // namespace souk
