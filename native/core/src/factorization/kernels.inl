// Inner loops of the factorisation kernels, written once over a SIMD vocabulary V (simd.h) and
// instantiated per ISA by kernels_{scalar,avx2,avx512}.cpp, which define SOUK_FACT_V (the vector
// struct) and SOUK_FACT_NS (the namespace of the resulting table) before including this file.
//
// ALS (per row u, d factors, dp = padded_dim(d), scratch = als_scratch_floats(dp) floats):
//   sparse_pass   out += sum_{i in I_u} (ka c+ + sg (|c| - 1)(y_i . v)) y_i      4 d flops / item
//                 (one gather of y_i serves the dot and the axpy; for d <= 8 W the vectors live
//                 in registers: sparse_pass_fixed<NC>)
//   symv          out = A0 v, A0 symmetric, column form (broadcast v_j, no reductions)  2 d^2
//   CG            implicit's algorithm: r = b - A x, cg_steps of p/Ap updates, float arithmetic
//   Cholesky      pack the user's items in blocks of kAlsItemBlock (padded rows, coefficients
//                 |c| - 1, b accumulated while packing), register-tiled SYRK (8 rows x 2 vectors,
//                 upper triangle only) into A = A0 + Y^T (C - I) Y, then a right-looking Cholesky
//                 A = U^T U blocked by 16 pivots (each trailing row gets 16 FMAs per load/store)
//                 with the forward substitution fused in, then back substitution. d^2 nnz +
//                 d^3/3 flops per row.
//   Only the upper triangle (row-major) of A is meaningful; lanes below the diagonal are scratch.
//   Factor rows are gathered at random, so every pass prefetches the rows of items a few
//   positions ahead (and the first items of the next row).
// SGD / BPR: one sample at a time, rows of P and Q updated in place (Hogwild by the caller);
// the rows of a sample kPrefetch positions ahead are prefetched.
#ifndef SOUK_FACT_V
#error "define SOUK_FACT_V and SOUK_FACT_NS before including kernels.inl"
#endif

// GCC 12 flags _mm512_extractf32x8_ps / _mm512_undefined_ps as "maybe uninitialized" (a false
// positive in its own headers).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cmath>
#include <cstring>

#include "kernels.h"
#include "simd.h"

namespace souk {
namespace fact {
namespace SOUK_FACT_NS {
namespace {

using V = SOUK_FACT_V;
using R = typename V::R;
constexpr int W = V::W;

constexpr int kPrefetch = 8;     // samples ahead whose factor rows are prefetched (SGD, BPR)
constexpr int kAlsPrefetch = 8;      // items ahead whose factor rows the sparse passes prefetch
constexpr int kAlsPackPrefetch = 16; // items ahead in the Cholesky packing loop
constexpr int kAlsRowPrefetch = 32;  // first items of the next row, prefetched one row ahead

SOUK_INLINE float conf_of(const AlsArgs& a, int64_t k) { return a.conf ? a.conf[k] : 1.0f; }

// out (padded, dp) += sum_k (ka * max(c, 0 if c<=0) + sg * (|c| - 1) * (y_k . v)) * y_k
template <int NC>
void sparse_pass_fixed(const AlsArgs& a, int32_t s, int32_t e, const float* v, float* out,
                       float ka, float sg) {
  const int tail = static_cast<int>(a.d - (NC - 1) * W);  // 1..W lanes in the last vector
  R vv[NC], acc[NC];
  for (int c = 0; c < NC; ++c) {
    vv[c] = V::load(v + c * W);
    acc[c] = V::zero();
  }
  const float* y = a.y;
  const int64_t ys = a.y_stride;
  constexpr int kLines = (NC * W * 4 + 63) / 64;
  for (int32_t k = s; k < e; ++k) {
    if (k + kAlsPrefetch < e) {  // the gathered rows are random: fetch a few items ahead
      const char* f = reinterpret_cast<const char*>(y + static_cast<int64_t>(a.indices[k + kAlsPrefetch]) * ys);
      for (int l = 0; l < kLines; ++l) __builtin_prefetch(f + 64 * l);
    }
    const float* yk = y + static_cast<int64_t>(a.indices[k]) * ys;
    R yr[NC];
    for (int c = 0; c < NC - 1; ++c) yr[c] = V::load(yk + c * W);
    yr[NC - 1] = V::load_n(yk + (NC - 1) * W, tail);
    R d0 = V::mul(yr[0], vv[0]);
    R d1 = V::zero();
    for (int c = 1; c < NC; ++c) {
      if (c & 1) d1 = V::fmadd(yr[c], vv[c], d1); else d0 = V::fmadd(yr[c], vv[c], d0);
    }
    const float dot = V::reduce(V::add(d0, d1));
    const float cf = conf_of(a, k);
    const float w = (cf > 0 ? ka * cf : 0.0f) + sg * (std::fabs(cf) - 1.0f) * dot;
    const R wv = V::set1(w);
    for (int c = 0; c < NC; ++c) acc[c] = V::fmadd(wv, yr[c], acc[c]);
  }
  for (int c = 0; c < NC; ++c) V::store(out + c * W, V::add(V::load(out + c * W), acc[c]));
}

void sparse_pass_dyn(const AlsArgs& a, int32_t s, int32_t e, const float* v, float* out, float ka,
                     float sg) {
  const int64_t nc = (a.d + W - 1) / W;
  const int tail = static_cast<int>(a.d - (nc - 1) * W);
  const int lines = static_cast<int>((a.d * 4 + 63) / 64);
  for (int32_t k = s; k < e; ++k) {
    if (k + kAlsPrefetch < e) {
      const char* f = reinterpret_cast<const char*>(a.y + static_cast<int64_t>(a.indices[k + kAlsPrefetch]) * a.y_stride);
      for (int l = 0; l < lines; ++l) __builtin_prefetch(f + 64 * l);
    }
    const float* yk = a.y + static_cast<int64_t>(a.indices[k]) * a.y_stride;
    R d0 = V::zero(), d1 = V::zero();
    int64_t c = 0;
    for (; c + 2 <= nc - 1; c += 2) {
      d0 = V::fmadd(V::load(yk + c * W), V::load(v + c * W), d0);
      d1 = V::fmadd(V::load(yk + (c + 1) * W), V::load(v + (c + 1) * W), d1);
    }
    for (; c < nc - 1; ++c) d0 = V::fmadd(V::load(yk + c * W), V::load(v + c * W), d0);
    d1 = V::fmadd(V::load_n(yk + (nc - 1) * W, tail), V::load(v + (nc - 1) * W), d1);
    const float dot = V::reduce(V::add(d0, d1));
    const float cf = conf_of(a, k);
    const float w = (cf > 0 ? ka * cf : 0.0f) + sg * (std::fabs(cf) - 1.0f) * dot;
    const R wv = V::set1(w);
    for (c = 0; c < nc - 1; ++c)
      V::store(out + c * W, V::fmadd(wv, V::load(yk + c * W), V::load(out + c * W)));
    V::store(out + (nc - 1) * W, V::fmadd(wv, V::load_n(yk + (nc - 1) * W, tail), V::load(out + (nc - 1) * W)));
  }
}

void sparse_pass(const AlsArgs& a, int32_t s, int32_t e, const float* v, float* out, float ka, float sg) {
  switch ((a.d + W - 1) / W) {
    case 1: return sparse_pass_fixed<1>(a, s, e, v, out, ka, sg);
    case 2: return sparse_pass_fixed<2>(a, s, e, v, out, ka, sg);
    case 3: return sparse_pass_fixed<3>(a, s, e, v, out, ka, sg);
    case 4: return sparse_pass_fixed<4>(a, s, e, v, out, ka, sg);
    case 5: return sparse_pass_fixed<5>(a, s, e, v, out, ka, sg);
    case 6: return sparse_pass_fixed<6>(a, s, e, v, out, ka, sg);
    case 7: return sparse_pass_fixed<7>(a, s, e, v, out, ka, sg);
    case 8: return sparse_pass_fixed<8>(a, s, e, v, out, ka, sg);
    default: return sparse_pass_dyn(a, s, e, v, out, ka, sg);
  }
}

// out = sign * A0 v (A0 symmetric dp x dp, zero padded; v padded). Blocks of 4 vectors.
void symv(const float* a0, int64_t dp, int64_t d, const float* v, float* out, bool negate) {
  const int64_t nc = dp / W;
  for (int64_t c0 = 0; c0 < nc; c0 += 4) {
    R acc0 = V::zero(), acc1 = V::zero(), acc2 = V::zero(), acc3 = V::zero();
    const float* col = a0 + c0 * W;
    for (int64_t j = 0; j < d; ++j) {
      const R bj = V::set1(negate ? -v[j] : v[j]);
      const float* rowj = col + j * dp;
      acc0 = V::fmadd(bj, V::load(rowj), acc0);
      acc1 = V::fmadd(bj, V::load(rowj + W), acc1);
      acc2 = V::fmadd(bj, V::load(rowj + 2 * W), acc2);
      acc3 = V::fmadd(bj, V::load(rowj + 3 * W), acc3);
    }
    V::store(out + c0 * W, acc0);
    V::store(out + (c0 + 1) * W, acc1);
    V::store(out + (c0 + 2) * W, acc2);
    V::store(out + (c0 + 3) * W, acc3);
  }
}

float dotp(const float* a, const float* b, int64_t dp) {
  R s0 = V::zero(), s1 = V::zero();
  for (int64_t c = 0; c < dp; c += 2 * W) {
    s0 = V::fmadd(V::load(a + c), V::load(b + c), s0);
    s1 = V::fmadd(V::load(a + c + W), V::load(b + c + W), s1);
  }
  return V::reduce(V::add(s0, s1));
}

bool finite_vec(const float* v, int64_t d) {
  float acc = 0.0f;
  for (int64_t i = 0; i < d; ++i) acc += v[i] * 0.0f;
  return acc == 0.0f;
}

// ---- CG (implicit's least_squares_cg, one row) ----
int cg_row(const AlsArgs& a, int64_t u, float* sc) {
  const int64_t d = a.d, dp = a.dp;
  float* x = sc;
  float* r = sc + dp;
  float* p = sc + 2 * dp;
  float* ap = sc + 3 * dp;
  float* xu = a.x + u * a.x_stride;
  const int32_t s = a.indptr[u], e = a.indptr[u + 1];
  std::memcpy(x, xu, sizeof(float) * d);  // padding lanes of x stay zero
  symv(a.a0, dp, d, x, r, true);
  sparse_pass(a, s, e, x, r, 1.0f, -1.0f);
  std::memcpy(p, r, sizeof(float) * dp);
  float rsold = dotp(r, r, dp);
  if (!(rsold < 1e-20f)) {
    for (int it = 0; it < a.cg_steps; ++it) {
      symv(a.a0, dp, d, p, ap, false);
      sparse_pass(a, s, e, p, ap, 0.0f, 1.0f);
      const float alpha = rsold / dotp(p, ap, dp);
      const R av = V::set1(alpha);
      R rs0 = V::zero(), rs1 = V::zero();
      for (int64_t c = 0; c < dp; c += 2 * W) {
        V::store(x + c, V::fmadd(av, V::load(p + c), V::load(x + c)));
        V::store(x + c + W, V::fmadd(av, V::load(p + c + W), V::load(x + c + W)));
        const R r0 = V::fnmadd(av, V::load(ap + c), V::load(r + c));
        const R r1 = V::fnmadd(av, V::load(ap + c + W), V::load(r + c + W));
        V::store(r + c, r0);
        V::store(r + c + W, r1);
        rs0 = V::fmadd(r0, r0, rs0);
        rs1 = V::fmadd(r1, r1, rs1);
      }
      const float rsnew = V::reduce(V::add(rs0, rs1));
      if (rsnew < 1e-20f) break;
      const R bv = V::set1(rsnew / rsold);
      for (int64_t c = 0; c < dp; c += W) V::store(p + c, V::fmadd(bv, V::load(p + c), V::load(r + c)));
      rsold = rsnew;
    }
  }
  if (!finite_vec(x, d)) {
    std::memset(x, 0, sizeof(float) * dp);
    return 1;
  }
  std::memcpy(xu, x, sizeof(float) * d);
  return 0;
}

// ---- Cholesky (one row) ----
// A (dp x dp) += sum over a packed block of nb items of (coef_k y_k) y_k^T, upper part. pack holds
// y_k (rows of dp floats, zero padded), packw holds coef_k y_k, so the row scalars are broadcast
// straight from memory. Register tile: 8 rows x 2 vectors (16 accumulators).
void syrk_block(float* A, int64_t dp, int64_t d, const float* pack, const float* packw, int64_t nb) {
  const int64_t ncd = (d + W - 1) / W;
  const int64_t rows8 = (d + 7) / 8 * 8;
  for (int64_t j0 = 0; j0 < rows8; j0 += 8) {
    const int64_t cs = j0 / W;
    int64_t c = cs;
    for (; c + 2 <= ncd; c += 2) {
      R acc[8][2];
      for (int rr = 0; rr < 8; ++rr) {
        acc[rr][0] = V::load(A + (j0 + rr) * dp + c * W);
        acc[rr][1] = V::load(A + (j0 + rr) * dp + (c + 1) * W);
      }
      for (int64_t k = 0; k < nb; ++k) {
        const float* yk = pack + k * dp;
        const float* wk = packw + k * dp + j0;
        const R y0 = V::load(yk + c * W), y1 = V::load(yk + (c + 1) * W);
        for (int rr = 0; rr < 8; ++rr) {
          const R sv = V::set1(wk[rr]);
          acc[rr][0] = V::fmadd(sv, y0, acc[rr][0]);
          acc[rr][1] = V::fmadd(sv, y1, acc[rr][1]);
        }
      }
      for (int rr = 0; rr < 8; ++rr) {
        V::store(A + (j0 + rr) * dp + c * W, acc[rr][0]);
        V::store(A + (j0 + rr) * dp + (c + 1) * W, acc[rr][1]);
      }
    }
    for (; c < ncd; ++c) {
      R acc[8];
      for (int rr = 0; rr < 8; ++rr) acc[rr] = V::load(A + (j0 + rr) * dp + c * W);
      for (int64_t k = 0; k < nb; ++k) {
        const R y0 = V::load(pack + k * dp + c * W);
        const float* wk = packw + k * dp + j0;
        for (int rr = 0; rr < 8; ++rr) acc[rr] = V::fmadd(V::set1(wk[rr]), y0, acc[rr]);
      }
      for (int rr = 0; rr < 8; ++rr) V::store(A + (j0 + rr) * dp + c * W, acc[rr]);
    }
  }
}

// A = U^T U in place (upper triangle, row-major, stride dp), right-looking, blocked by KB = 16
// pivots: the panel rows are factored among themselves, then every trailing row takes the 16
// rank-1 updates in one pass (16 FMAs per load/store, two accumulator chains; KB = 16 measured
// fastest at d = 64 among 2, 4, 8, 16, 64). The forward substitution U^T z = b rides
// along (b is the extra column: z_k = b_k / u_kk, b_i -= u_ki z_k). inv[k] = 1 / u_kk.
// False on a non-positive or non-finite pivot.
bool cholesky_upper(float* A, int64_t dp, int64_t d, float* b, float* inv) {
  const int64_t ncd = (d + W - 1) / W;
  constexpr int KB = 16;
  for (int64_t k0 = 0; k0 < d; k0 += KB) {
    const int kb = static_cast<int>(d - k0 < KB ? d - k0 : KB);
    for (int t = 0; t < kb; ++t) {
      const int64_t k = k0 + t;
      float* rk = A + k * dp;
      const float akk = rk[k];
      if (!(akk > 0.0f) || !std::isfinite(akk)) return false;
      const float ukk = std::sqrt(akk);
      const float ik = 1.0f / ukk;
      inv[k] = ik;
      const R iv = V::set1(ik);
      for (int64_t c = k / W; c < ncd; ++c) V::store(rk + c * W, V::mul(iv, V::load(rk + c * W)));
      rk[k] = ukk;
      b[k] *= ik;  // z_k
      for (int t2 = t + 1; t2 < kb; ++t2) {
        const int64_t i = k0 + t2;
        float* ri = A + i * dp;
        const R sv = V::set1(rk[i]);
        for (int64_t c = i / W; c < ncd; ++c) V::store(ri + c * W, V::fnmadd(sv, V::load(rk + c * W), V::load(ri + c * W)));
        b[i] -= rk[i] * b[k];
      }
    }
    const float* u0 = A + k0 * dp;
    if (kb == KB) {
      float z[KB];
      for (int t = 0; t < KB; ++t) z[t] = b[k0 + t];
      for (int64_t i = k0 + KB; i < d; ++i) {
        float* ri = A + i * dp;
        R sv[KB];
        float bi = b[i];
        for (int t = 0; t < KB; ++t) {
          const float f = u0[t * dp + i];
          sv[t] = V::set1(f);
          bi -= f * z[t];
        }
        b[i] = bi;
        for (int64_t c = i / W; c < ncd; ++c) {
          R acc0 = V::load(ri + c * W), acc1 = V::zero();
          for (int t = 0; t < KB; t += 2) {
            acc0 = V::fnmadd(sv[t], V::load(u0 + t * dp + c * W), acc0);
            acc1 = V::fnmadd(sv[t + 1], V::load(u0 + (t + 1) * dp + c * W), acc1);
          }
          V::store(ri + c * W, V::add(acc0, acc1));
        }
      }
    } else {
      for (int64_t i = k0 + kb; i < d; ++i) {
        float* ri = A + i * dp;
        for (int t = 0; t < kb; ++t) {
          const float f = u0[t * dp + i];
          const R sv = V::set1(f);
          for (int64_t c = i / W; c < ncd; ++c)
            V::store(ri + c * W, V::fnmadd(sv, V::load(u0 + t * dp + c * W), V::load(ri + c * W)));
          b[i] -= f * b[k0 + t];
        }
      }
    }
  }
  return true;
}

int chol_row(const AlsArgs& a, int64_t u, float* sc) {
  const int64_t d = a.d, dp = a.dp;
  float* x = sc;
  float* inv = sc + 2 * dp;
  float* b = sc + 4 * dp;
  float* A = sc + 8 * dp;
  float* pack = A + dp * dp;
  float* packw = pack + kAlsItemBlock * dp;
  float* xu = a.x + u * a.x_stride;
  const int32_t s = a.indptr[u], e = a.indptr[u + 1];
  std::memcpy(A, a.a0, sizeof(float) * dp * ((d + 7) / 8 * 8));
  std::memset(b, 0, sizeof(float) * dp);
  const int64_t ncd = (d + W - 1) / W;
  const int tail = static_cast<int>(d - (ncd - 1) * W);
  const int lines = static_cast<int>((d * 4 + 63) / 64);
  for (int32_t k0 = s; k0 < e; k0 += static_cast<int32_t>(kAlsItemBlock)) {
    const int64_t nb = (e - k0) < kAlsItemBlock ? (e - k0) : kAlsItemBlock;
    for (int64_t k = 0; k < nb; ++k) {
      if (k0 + k + kAlsPackPrefetch < e) {
        const char* f = reinterpret_cast<const char*>(a.y + static_cast<int64_t>(a.indices[k0 + k + kAlsPackPrefetch]) * a.y_stride);
        for (int l = 0; l < lines; ++l) __builtin_prefetch(f + 64 * l);
      }
      const float* yk = a.y + static_cast<int64_t>(a.indices[k0 + k]) * a.y_stride;
      float* pk = pack + k * dp;
      float* wk = packw + k * dp;
      const float cf = conf_of(a, k0 + k);
      const R cv = V::set1(cf > 0 ? cf : 0.0f);
      const R wv = V::set1(std::fabs(cf) - 1.0f);
      for (int64_t c = 0; c < ncd; ++c) {
        const R yv = c + 1 < ncd ? V::load(yk + c * W) : V::load_n(yk + c * W, tail);
        V::store(pk + c * W, yv);
        V::store(wk + c * W, V::mul(wv, yv));
        V::store(b + c * W, V::fmadd(cv, yv, V::load(b + c * W)));
      }
    }
    syrk_block(A, dp, d, pack, packw, nb);
  }
  if (!cholesky_upper(A, dp, d, b, inv)) return 2;  // b now holds z (U^T z = b)
  // U x = z, back substitution (x padded with zeros; lanes <= k of row k are masked off). The
  // chunk being solved stays in a register (xcur) and is stored once complete, so no vector load
  // ever waits on a just-stored scalar (a store-forwarding stall per step otherwise).
  std::memset(x, 0, sizeof(float) * dp);
  R xcur = V::zero();
  for (int64_t k = d - 1; k >= 0; --k) {
    const float* rk = A + k * dp;
    const int64_t c0 = k / W;
    const int lane = static_cast<int>(k - c0 * W);
    R acc0 = V::mul(V::load_from(rk + c0 * W, lane + 1), xcur);
    R acc1 = V::zero();
    int64_t c = c0 + 1;
    for (; c + 2 <= ncd; c += 2) {
      acc0 = V::fmadd(V::load(rk + c * W), V::load(x + c * W), acc0);
      acc1 = V::fmadd(V::load(rk + (c + 1) * W), V::load(x + (c + 1) * W), acc1);
    }
    if (c < ncd) acc1 = V::fmadd(V::load(rk + c * W), V::load(x + c * W), acc1);
    const float xk = (b[k] - V::reduce(V::add(acc0, acc1))) * inv[k];
    xcur = V::insert(xcur, lane, xk);
    if (lane == 0) {
      V::store(x + c0 * W, xcur);
      xcur = V::zero();
    }
  }
  if (!finite_vec(x, d)) return 1;
  std::memcpy(xu, x, sizeof(float) * d);
  return 0;
}

// Prefetches the rows of the first items of row u (called one row ahead).
void prefetch_row_items(const AlsArgs& a, int64_t u) {
  const int32_t s = a.indptr[u], e = a.indptr[u + 1];
  const int lines = static_cast<int>((a.d * 4 + 63) / 64);
  for (int32_t k = s; k < e && k < s + kAlsRowPrefetch; ++k) {
    const char* f = reinterpret_cast<const char*>(a.y + static_cast<int64_t>(a.indices[k]) * a.y_stride);
    for (int l = 0; l < lines; ++l) __builtin_prefetch(f + 64 * l);
  }
}

int64_t als_rows(const AlsArgs& a, int64_t r0, int64_t r1, float* sc, int* kind) {
  if (r0 < r1) prefetch_row_items(a, r0);
  for (int64_t u = r0; u < r1; ++u) {
    if (u + 1 < r1) prefetch_row_items(a, u + 1);
    if (a.indptr[u] == a.indptr[u + 1]) {
      std::memset(a.x + u * a.x_stride, 0, sizeof(float) * a.d);
      continue;
    }
    const int st = a.solver == 1 ? chol_row(a, u, sc) : cg_row(a, u, sc);
    if (st != 0) {
      *kind = st;
      return u;
    }
  }
  return -1;
}

int64_t loss_rows(const AlsArgs& a, int64_t r0, int64_t r1, float* sc, LossPartial* out) {
  const int64_t d = a.d, dp = a.dp;
  float* x = sc;
  float* r = sc + dp;
  for (int64_t u = r0; u < r1; ++u) {
    const float* xu = a.x + u * a.x_stride;
    std::memcpy(x, xu, sizeof(float) * d);
    symv(a.a0, dp, d, x, r, false);
    const int32_t s = a.indptr[u], e = a.indptr[u + 1];
    sparse_pass(a, s, e, x, r, -2.0f, 1.0f);
    double conf_sum = 0;
    for (int32_t k = s; k < e; ++k) conf_sum += std::fabs(conf_of(a, k));
    const double rx = dotp(r, x, dp), xx = dotp(x, x, dp);
    if (!std::isfinite(rx) || !std::isfinite(xx) || !std::isfinite(conf_sum)) return u;
    out->loss += conf_sum + rx;
    out->total_conf += conf_sum;
    out->user_norm += xx;
  }
  return -1;
}

// ---- SGD ----
double sgd_run(const SgdArgs& a, const int32_t* order, int64_t n, int64_t* bad) {
  const int64_t d = a.d;
  const int64_t nc = (d + W - 1) / W;
  const int tail = static_cast<int>(d - (nc - 1) * W);
  const float lr = a.lr, reg = a.reg;
  const R lrv = V::set1(lr), regv = V::set1(reg);
  double sq = 0;
  *bad = -1;
  const int lines = static_cast<int>(d * 4 + 63) / 64 < 8 ? static_cast<int>(d * 4 + 63) / 64 : 8;
  for (int64_t t = 0; t < n; ++t) {
    if (t + 2 * kPrefetch < n) {  // entry of a later sample, then the rows of a nearer one
      const int32_t kf = order[t + 2 * kPrefetch];
      __builtin_prefetch(a.rows_of + kf);
      __builtin_prefetch(a.indices + kf);
      if (a.ratings) __builtin_prefetch(a.ratings + kf);
    }
    if (t + kPrefetch < n) {
      const int32_t kf = order[t + kPrefetch];
      const char* fp = reinterpret_cast<const char*>(a.p + a.rows_of[kf] * a.p_stride);
      const char* fq = reinterpret_cast<const char*>(a.q + a.indices[kf] * a.q_stride);
      for (int l = 0; l < lines; ++l) {
        __builtin_prefetch(fp + 64 * l, 1);
        __builtin_prefetch(fq + 64 * l, 1);
      }
      __builtin_prefetch(a.user_bias + a.rows_of[kf], 1);
      __builtin_prefetch(a.item_bias + a.indices[kf], 1);
    }
    const int32_t k = order[t];
    const int32_t u = a.rows_of[k], i = a.indices[k];
    float* pu = a.p + u * a.p_stride;
    float* qi = a.q + i * a.q_stride;
    R d0 = V::zero(), d1 = V::zero();
    int64_t c = 0;
    for (; c + 2 <= nc - 1; c += 2) {
      d0 = V::fmadd(V::load(pu + c * W), V::load(qi + c * W), d0);
      d1 = V::fmadd(V::load(pu + (c + 1) * W), V::load(qi + (c + 1) * W), d1);
    }
    for (; c < nc - 1; ++c) d0 = V::fmadd(V::load(pu + c * W), V::load(qi + c * W), d0);
    d1 = V::fmadd(V::load_n(pu + c * W, tail), V::load_n(qi + c * W, tail), d1);
    const float pred = a.mu + a.user_bias[u] + a.item_bias[i] + V::reduce(V::add(d0, d1));
    const float rating = a.ratings ? a.ratings[k] : 1.0f;
    const float err = rating - pred;
    if (!std::isfinite(err)) {
      *bad = t;
      return sq;
    }
    sq += static_cast<double>(err) * err;
    a.user_bias[u] += lr * (err - reg * a.user_bias[u]);
    a.item_bias[i] += lr * (err - reg * a.item_bias[i]);
    const R ev = V::set1(err);
    for (c = 0; c < nc; ++c) {
      const bool last = c + 1 == nc;
      const R pv = last ? V::load_n(pu + c * W, tail) : V::load(pu + c * W);
      const R qv = last ? V::load_n(qi + c * W, tail) : V::load(qi + c * W);
      // p += lr (e q - reg p); q += lr (e p_old - reg q)
      const R pn = V::fmadd(lrv, V::fnmadd(regv, pv, V::mul(ev, qv)), pv);
      const R qn = V::fmadd(lrv, V::fnmadd(regv, qv, V::mul(ev, pv)), qv);
      if (last) {
        V::store_n(pu + c * W, pn, tail);
        V::store_n(qi + c * W, qn, tail);
      } else {
        V::store(pu + c * W, pn);
        V::store(qi + c * W, qn);
      }
    }
  }
  return sq;
}

// ---- BPR ----
void bpr_run(const BprArgs& a, const BprTriple* smp, int64_t n, double* loss, int64_t* correct,
             int64_t* bad) {
  const int64_t d = a.d;
  const int64_t nc = (d + W - 1) / W;
  const int tail = static_cast<int>(d - (nc - 1) * W);
  const float lr = a.lr, reg = a.reg;
  const R lrv = V::set1(lr), regv = V::set1(reg);
  double lsum = 0;
  int64_t corr = 0;
  *bad = -1;
  const int lines = static_cast<int>(d * 4 + 63) / 64 < 8 ? static_cast<int>(d * 4 + 63) / 64 : 8;
  for (int64_t t = 0; t < n; ++t) {
    if (t + kPrefetch < n) {  // rows of a later sample: their misses overlap this update
      const BprTriple f = smp[t + kPrefetch];
      const char* fp = reinterpret_cast<const char*>(a.p + f.u * a.p_stride);
      const char* fi = reinterpret_cast<const char*>(a.q + f.i * a.q_stride);
      const char* fj = reinterpret_cast<const char*>(a.q + f.j * a.q_stride);
      for (int l = 0; l < lines; ++l) {
        __builtin_prefetch(fp + 64 * l, 1);
        __builtin_prefetch(fi + 64 * l, 1);
        __builtin_prefetch(fj + 64 * l, 1);
      }
      __builtin_prefetch(a.item_bias + f.i, 1);
      __builtin_prefetch(a.item_bias + f.j, 1);
    }
    const BprTriple sm = smp[t];
    float* pu = a.p + sm.u * a.p_stride;
    float* qi = a.q + sm.i * a.q_stride;
    float* qj = a.q + sm.j * a.q_stride;
    R d0 = V::zero(), d1 = V::zero();
    int64_t c = 0;
    for (; c + 2 <= nc - 1; c += 2) {
      d0 = V::fmadd(V::load(pu + c * W), V::sub(V::load(qi + c * W), V::load(qj + c * W)), d0);
      d1 = V::fmadd(V::load(pu + (c + 1) * W), V::sub(V::load(qi + (c + 1) * W), V::load(qj + (c + 1) * W)), d1);
    }
    for (; c < nc - 1; ++c) d0 = V::fmadd(V::load(pu + c * W), V::sub(V::load(qi + c * W), V::load(qj + c * W)), d0);
    d1 = V::fmadd(V::load_n(pu + c * W, tail), V::sub(V::load_n(qi + c * W, tail), V::load_n(qj + c * W, tail)), d1);
    const float xuij = V::reduce(V::add(d0, d1)) + a.item_bias[sm.i] - a.item_bias[sm.j];
    if (!std::isfinite(xuij)) {
      *bad = t;
      break;
    }
    const float ex = std::exp(xuij);
    const float z = 1.0f / (1.0f + ex);
    if (z < 0.5f) ++corr;
    // -log sigmoid(x) = -log(1 - z) (accurate while z < 1/2) = -x + log(1 + e^x) (otherwise)
    lsum += z < 0.5f ? -std::log1p(-z) : -xuij + std::log1p(ex);
    const R zv = V::set1(z);
    for (c = 0; c < nc; ++c) {
      const bool last = c + 1 == nc;
      const R pv = last ? V::load_n(pu + c * W, tail) : V::load(pu + c * W);
      const R iv = last ? V::load_n(qi + c * W, tail) : V::load(qi + c * W);
      const R jv = last ? V::load_n(qj + c * W, tail) : V::load(qj + c * W);
      const R pn = V::fmadd(lrv, V::fnmadd(regv, pv, V::mul(zv, V::sub(iv, jv))), pv);
      const R in = V::fmadd(lrv, V::fnmadd(regv, iv, V::mul(zv, pv)), iv);
      if (last) { V::store_n(pu + c * W, pn, tail); V::store_n(qi + c * W, in, tail); }
      else { V::store(pu + c * W, pn); V::store(qi + c * W, in); }
      // q_j read after q_i is written (i == j without verification: implicit's order)
      const R jv2 = last ? V::load_n(qj + c * W, tail) : V::load(qj + c * W);
      const R jn = V::fnmadd(lrv, V::fmadd(regv, jv2, V::mul(zv, pv)), jv2);
      if (last) V::store_n(qj + c * W, jn, tail); else V::store(qj + c * W, jn);
      (void)jv;
    }
    a.item_bias[sm.i] += lr * (z - reg * a.item_bias[sm.i]);
    a.item_bias[sm.j] += lr * (-z - reg * a.item_bias[sm.j]);
  }
  *loss += lsum;
  *correct += corr;
}

}  // namespace

const KernelTable& table() {
  static const KernelTable t = {als_rows, loss_rows, sgd_run, bpr_run};
  return t;
}

}  // namespace SOUK_FACT_NS
}  // namespace fact
}  // namespace souk
