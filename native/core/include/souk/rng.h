// souk/rng.h — counter-based random numbers shared by every backend.
//
// sampleTopK needs a uniform number per (seed, query, item) that does not depend on the order
// in which items are visited, the thread count or the backend: a stateless hash of the triple
// (splitmix64 finaliser over a mixed key). The same functions compile for CUDA (SOUK_HD).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define SOUK_HD __host__ __device__ __forceinline__
#else
#define SOUK_HD inline
#endif

namespace souk {

SOUK_HD uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// 64 random bits for (seed, a, b).
SOUK_HD uint64_t hash3(uint64_t seed, uint64_t a, uint64_t b) {
  return splitmix64(splitmix64(seed ^ splitmix64(a)) ^ (b * 0xD6E8FEB86659FD93ull));
}

// Uniform double in the open interval (0, 1): 53 random bits, offset by half a step.
SOUK_HD double uniform_open01(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t bits = hash3(seed, a, b) >> 11;  // 53 bits
  return (static_cast<double>(bits) + 0.5) * (1.0 / 9007199254740992.0);
}

// A small, fast sequential generator for training loops (SGD, BPR): xoshiro-like state seeded
// through splitmix64 so that (seed, stream) pairs give independent streams.
struct Rng {
  uint64_t s0, s1;
  SOUK_HD explicit Rng(uint64_t seed, uint64_t stream = 0) {
    s0 = splitmix64(seed ^ splitmix64(stream + 1));
    s1 = splitmix64(s0 ^ 0xA0761D6478BD642Full);
    if ((s0 | s1) == 0) s1 = 1;
  }
  // xorshift128+
  SOUK_HD uint64_t next() {
    uint64_t x = s0;
    const uint64_t y = s1;
    s0 = y;
    x ^= x << 23;
    s1 = x ^ y ^ (x >> 17) ^ (y >> 26);
    return s1 + y;
  }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  SOUK_HD uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  // Uniform float in [0, 1).
  SOUK_HD float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
};

}  // namespace souk
