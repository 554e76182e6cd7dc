// retrieval/kernels_avx512.cpp — AVX-512 instantiation of the score micro-kernel (kernel_impl.h).
// Register tile: MR = 12 queries x NR = 32 items (2 zmm per query) = 24 zmm accumulators, 2 zmm
// for the item panel and one broadcast: 27 of the 32 zmm registers. Per k-step: 2 aligned loads,
// 12 broadcasts, 24 FMAs. Compiled with -mavx512f/bw/dq/vl -mfma (CMake, by file suffix); used only
// when active_isa() == Isa::Avx512. Contains no std:: templates (see internal.h).
#include <cmath>
#include <cstdint>

#include "internal.h"

#if SOUK_X86
#include <immintrin.h>

// GCC 12 reports false "may be used uninitialized" inside its own AVX-512 reduce intrinsics.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace souk {
namespace retrieval {
namespace k_avx512 {

struct T {
  using F = __m512;
  static constexpr int W = 16;
  static constexpr int NR = 32;
  static constexpr int MR = 12;
  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float x) { return _mm512_set1_ps(x); }
  static F load(const float* p) { return _mm512_load_ps(p); }
  static F loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, F v) { _mm512_storeu_ps(p, v); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static uint32_t ge(F a, F b) { return static_cast<uint32_t>(_mm512_cmp_ps_mask(a, b, _CMP_GE_OQ)); }
  static uint32_t gt(F a, F b) { return static_cast<uint32_t>(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)); }
  // Gumbel prune for 32 items (acc[0..1]) of one query: keeps item j when its noise could lift
  // z = s / T to the current k-th key `root`. u = uniform_open01(seed, row, j) via the same
  // splitmix64 steps as souk/rng.h in 64-bit lanes (ka = the per-row part); g >= root - z needs
  // -log(u) <= exp(z - root), and -log(u) >= 1 - u >= 2^getexp(1 - u), so drop the item when
  // getexp(1 - u) * ln2 > z - root (+ slack). Survivors are re-checked exactly in double.
  static constexpr bool kSamplePrune = true;
  static uint32_t sample_keep(const F* acc, uint64_t ka, int64_t j0, double inv_t, double root) {
    const __m512i cb = _mm512_set1_epi64(static_cast<long long>(0xD6E8FEB86659FD93ull));
    const __m512i g0 = _mm512_set1_epi64(static_cast<long long>(0x9E3779B97F4A7C15ull));
    const __m512i c1 = _mm512_set1_epi64(static_cast<long long>(0xBF58476D1CE4E5B9ull));
    const __m512i c2 = _mm512_set1_epi64(static_cast<long long>(0x94D049BB133111EBull));
    const __m512i kv = _mm512_set1_epi64(static_cast<long long>(ka));
    const __m512i step = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512d half = _mm512_set1_pd(0.5), scale = _mm512_set1_pd(1.0 / 9007199254740992.0);
    const __m512d one = _mm512_set1_pd(1.0), ln2 = _mm512_set1_pd(0.6931471805599453);
    const __m512d it = _mm512_set1_pd(inv_t), rt = _mm512_set1_pd(root - 1e-9 * (1.0 + (root < 0 ? -root : root)));
    uint32_t keep = 0;
    for (int q = 0; q < 4; ++q) {
      const __m512i j = _mm512_add_epi64(_mm512_set1_epi64(j0 + 8 * q), step);
      __m512i x = _mm512_xor_si512(kv, _mm512_mullo_epi64(j, cb));
      x = _mm512_add_epi64(x, g0);
      x = _mm512_mullo_epi64(_mm512_xor_si512(x, _mm512_srli_epi64(x, 30)), c1);
      x = _mm512_mullo_epi64(_mm512_xor_si512(x, _mm512_srli_epi64(x, 27)), c2);
      x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 31));
      const __m512d u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(x, 11)), half), scale);
      const __m512d e = _mm512_getexp_pd(_mm512_sub_pd(one, u));
      const __m256 s8 = (q & 1) ? _mm512_extractf32x8_ps(acc[q >> 1], 1) : _mm512_castps512_ps256(acc[q >> 1]);
      const __m512d z = _mm512_mul_pd(_mm512_cvtps_pd(s8), it);
      // keep when e * ln2 <= z - root (+ slack)
      const __mmask8 k = _mm512_cmp_pd_mask(_mm512_mul_pd(e, ln2), _mm512_sub_pd(z, rt), _CMP_LE_OQ);
      keep |= static_cast<uint32_t>(k) << (8 * q);
    }
    return keep;
  }
  static F sel(uint32_t bits, F a, F b) { return _mm512_mask_blend_ps(static_cast<__mmask16>(bits), b, a); }
  static float hsum(F v) { return _mm512_reduce_add_ps(v); }
  static F reduce_rows(const F* acc);  // defined below (dots)
  static float hmax(F v) { return _mm512_reduce_max_ps(v); }
  // exp(x): range reduction x = n ln2 + r (|r| <= ln2/2, Cody-Waite split), degree-6 polynomial
  // (Cephes expf coefficients), scaled by 2^n with scalef. Relative error ~1e-7 on [-87, 88].
  static F exp(F x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.0f));
    const F n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    F r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    F y = _mm512_set1_ps(1.9875691500e-4f);
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_fmadd_ps(y, r, _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_fmadd_ps(y, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(y, n);
  }
};

// In-register 16 x 16 transpose: r[i] = row i in, row i of the transpose out.
static inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  // r[4i + c], 128-bit lane L, holds column 4L + c of rows 4i .. 4i + 3.
  __m512 o[16];
  for (int c = 0; c < 4; ++c) {
    const __m512 u0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
    const __m512 u1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
    const __m512 u2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
    const __m512 u3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
    o[c] = _mm512_shuffle_f32x4(u0, u2, 0x88);
    o[8 + c] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
    o[4 + c] = _mm512_shuffle_f32x4(u1, u3, 0x88);
    o[12 + c] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = o[i];
}

// Lane i = the sum of acc[i]'s 16 lanes (dots): transpose, then add the 16 rows.
#define SOUK_HAVE_REDUCE_ROWS 1
static inline __m512 reduce_rows16(const __m512* acc) {
  __m512 r[16];
  for (int i = 0; i < 16; ++i) r[i] = acc[i];
  transpose16(r);
  for (int s = 8; s >= 1; s /= 2)
    for (int i = 0; i < s; ++i) r[i] = _mm512_add_ps(r[i], r[i + s]);
  return r[0];
}
__m512 T::reduce_rows(const __m512* acc) { return reduce_rows16(acc); }

// Panel packing with 16 x 16 register transposes; NaN/Inf found with vfpclassps on the loads.
#define SOUK_HAVE_PACK 1
static bool pack(const float* src, int64_t ld, int rows, int64_t d, float* panel) {
  __mmask16 bad = 0;
  for (int g = 0; g < 2; ++g) {
    for (int64_t t0 = 0; t0 < d; t0 += 16) {
      const int64_t w = d - t0 < 16 ? d - t0 : 16;
      const __mmask16 lm = static_cast<__mmask16>((1u << w) - 1u);
      __m512 r[16];
      for (int i = 0; i < 16; ++i) {
        const int c = g * 16 + i;
        if (c < rows) {
          r[i] = _mm512_maskz_loadu_ps(lm, src + c * ld + t0);
          bad |= _mm512_fpclass_ps_mask(r[i], 0x99);  // QNaN | +Inf | -Inf | SNaN
        } else {
          r[i] = _mm512_setzero_ps();
        }
      }
      transpose16(r);
      for (int64_t x = 0; x < w; ++x) _mm512_store_ps(panel + (t0 + x) * 32 + g * 16, r[x]);
    }
  }
  return bad == 0;
}

#include "kernel_impl.h"

const KernelTable kTable = {Isa::Avx512, T::MR, T::NR, &scan, &pack, &dot, &dots};

}  // namespace k_avx512

const KernelTable* kernels_avx512() { return &k_avx512::kTable; }

}  // namespace retrieval
}  // namespace souk

#else
namespace souk {
namespace retrieval {
const KernelTable* kernels_avx512() { return nullptr; }
}  // namespace retrieval
}  // namespace souk
#endif
