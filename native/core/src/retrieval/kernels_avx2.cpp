// retrieval/kernels_avx2.cpp — AVX2 + FMA instantiation of the score micro-kernel (kernel_impl.h).
// Register tile: MR = 6 queries x NR = 16 items (2 ymm per query) = 12 ymm accumulators, 2 ymm for
// the item panel and one broadcast: 15 of the 16 ymm registers. Per k-step: 2 aligned loads,
// 6 broadcasts, 12 FMAs. Compiled with -mavx2 -mfma (CMake, by file suffix); used only when
// active_isa() == Isa::Avx2. Contains no std:: templates (see internal.h).
#include <cmath>
#include <cstdint>

#include "internal.h"

#if SOUK_X86
#include <immintrin.h>

namespace souk {
namespace retrieval {
namespace k_avx2 {

struct T {
  using F = __m256;
  static constexpr int W = 8;
  static constexpr int NR = 16;
  static constexpr int MR = 6;
  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float x) { return _mm256_set1_ps(x); }
  static F load(const float* p) { return _mm256_load_ps(p); }
  static F loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, F v) { _mm256_storeu_ps(p, v); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  // Lane i = the sum of acc[i]'s 8 lanes (dots): horizontal adds pairwise, then the two 128-bit
  // halves of each sum added across.
  static F reduce_rows(const F* acc) {
    const F t0 = _mm256_hadd_ps(acc[0], acc[1]), t1 = _mm256_hadd_ps(acc[2], acc[3]);
    const F t2 = _mm256_hadd_ps(acc[4], acc[5]), t3 = _mm256_hadd_ps(acc[6], acc[7]);
    const F u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
  }
  static uint32_t ge(F a, F b) {
    return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GE_OQ)));
  }
  static uint32_t gt(F a, F b) {
    return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_GT_OQ)));
  }
  // Gumbel prune for 16 items (acc[0..1]) of one query; see kernels_avx512.cpp. AVX2 has no
  // 64-bit multiply or u64 -> double conversion, so: mul64 from three 32 x 32 products, and a
  // lower bound on log2(1 - u) from the exponent of v >> 1, v = 2^53 - (hash >> 11) (an integer
  // below 2^52, converted exactly with the 2^52 magic constant): 1 - u = (v - 0.5) 2^-53 >= v 2^-54,
  // so e_lb = floor(log2(v >> 1)) - 53 <= log2(1 - u) (v = 1 gives a huge negative bound: kept).
  static constexpr bool kSamplePrune = true;
  static __m256i mul64(__m256i a, __m256i b) {
    const __m256i lo = _mm256_mul_epu32(a, b);
    const __m256i c1 = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), b);
    const __m256i c2 = _mm256_mul_epu32(a, _mm256_srli_epi64(b, 32));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(_mm256_add_epi64(c1, c2), 32));
  }
  static uint32_t sample_keep(const F* acc, uint64_t ka, int64_t j0, double inv_t, double root) {
    const __m256i cb = _mm256_set1_epi64x(static_cast<long long>(0xD6E8FEB86659FD93ull));
    const __m256i g0 = _mm256_set1_epi64x(static_cast<long long>(0x9E3779B97F4A7C15ull));
    const __m256i c1 = _mm256_set1_epi64x(static_cast<long long>(0xBF58476D1CE4E5B9ull));
    const __m256i c2 = _mm256_set1_epi64x(static_cast<long long>(0x94D049BB133111EBull));
    const __m256i kv = _mm256_set1_epi64x(static_cast<long long>(ka));
    const __m256i two53 = _mm256_set1_epi64x(static_cast<long long>(1ull << 53));
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000ll);
    const __m256d magic_d = _mm256_set1_pd(4503599627370496.0);  // 2^52
    const __m256d ln2 = _mm256_set1_pd(0.6931471805599453), it = _mm256_set1_pd(inv_t);
    const __m256d rt = _mm256_set1_pd(root - 1e-9 * (1.0 + (root < 0 ? -root : root)));
    const __m256i step = _mm256_setr_epi64x(0, 1, 2, 3);
    uint32_t keep = 0;
    for (int q = 0; q < 4; ++q) {
      const __m256i j = _mm256_add_epi64(_mm256_set1_epi64x(j0 + 4 * q), step);
      __m256i x = _mm256_xor_si256(kv, mul64(j, cb));
      x = _mm256_add_epi64(x, g0);
      x = mul64(_mm256_xor_si256(x, _mm256_srli_epi64(x, 30)), c1);
      x = mul64(_mm256_xor_si256(x, _mm256_srli_epi64(x, 27)), c2);
      x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 31));
      const __m256i v = _mm256_sub_epi64(two53, _mm256_srli_epi64(x, 11));  // in [1, 2^53]
      const __m256d vh = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(v, 1), magic)), magic_d);
      // floor(log2(vh)) - 53 as a double: biased exponent - 1023 - 53, converted with the same trick.
      const __m256i ebias = _mm256_srli_epi64(_mm256_castpd_si256(vh), 52);
      const __m256d e = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(ebias, magic)),
                                      _mm256_set1_pd(4503599627370496.0 + 1023.0 + 53.0));
      const __m128 s4 = (q & 1) ? _mm256_extractf128_ps(acc[q >> 1], 1) : _mm256_castps256_ps128(acc[q >> 1]);
      const __m256d z = _mm256_mul_pd(_mm256_cvtps_pd(s4), it);
      const __m256d k = _mm256_cmp_pd(_mm256_mul_pd(e, ln2), _mm256_sub_pd(z, rt), _CMP_LE_OQ);
      keep |= static_cast<uint32_t>(_mm256_movemask_pd(k)) << (4 * q);
    }
    return keep;
  }
  static F sel(uint32_t bits, F a, F b) {
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i m = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), lanes), lanes);
    return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(m));
  }
  static float hsum(F v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  static float hmax(F v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  }
  // exp(x): as in kernels_avx512.cpp, with 2^n built in the exponent field.
  static F exp(F x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.0f)), _mm256_set1_ps(-87.0f));
    const F n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    F r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    F y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // n in [-126, 127]: 2^n = (n + 127) << 23. Split in two factors so n = 128 cannot overflow.
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i h = _mm256_srai_epi32(ni, 1);
    const F s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
    const F s2 = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
  }
};

#define SOUK_HAVE_REDUCE_ROWS 1
#include "kernel_impl.h"

const KernelTable kTable = {Isa::Avx2, T::MR, T::NR, &scan, &pack, &dot, &dots};

}  // namespace k_avx2

const KernelTable* kernels_avx2() { return &k_avx2::kTable; }

}  // namespace retrieval
}  // namespace souk

#else
namespace souk {
namespace retrieval {
const KernelTable* kernels_avx2() { return nullptr; }
}  // namespace retrieval
}  // namespace souk
#endif
