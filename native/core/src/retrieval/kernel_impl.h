// retrieval/kernel_impl.h — the register-tiled score micro-kernel and its epilogues, written once
// against a tiny SIMD traits type `T` and included by each per-ISA translation unit inside its own
// namespace (so every ISA gets its own symbols).
//
// T provides: F (vector of W floats), W, MR, NR (NR = NV * W), zero(), set1(x), load(p) (aligned),
// loadu(p), storeu(p, v), fmadd(a, b, c) (a * b + c), mul, sub, add, max, ge/gt(a, b) -> lane bits,
// sel(bits, a, b) (a where bit set, else b), hsum, hmax, exp (float exp, ~1e-7 relative), and
// kSamplePrune / sample_keep(acc, ka, j0, inv_t, root) (vector Gumbel bound, or a no-op).
//
// Modes (ScanArgs::mode): TopK (threshold compare, survivors to on_tile), Softmax (+ online
// log-sum-exp), Sample (log-sum-exp + Gumbel prune, survivors to on_tile), Scores (store tile),
// GramAcc (add tile into doubles).
//
// Layout: qp is d x MR (k-step p: qp[p * ldq .. + MR), ldq = MR when packed), a panel is d x NR
// (k-step p: NR contiguous floats, 64-byte aligned). The tile acc[i][v] holds the scores of query i against items
// v * W .. v * W + W - 1 of the panel; every score is one FMA chain over p = 0 .. d-1 in order, so a
// score does not depend on where its item or query sits in a tile (same result for every split).
// Cost: 2 * MRv * NR * d flops per panel; epilogue O(MR * NV) vector ops (+ callbacks for the rare
// survivors).
//
// Expected surroundings: <cmath>, <cstdint>, "internal.h" included; ScanArgs etc. visible.

template <int MRv>
static void scan_mr(const ScanArgs& a) {
  using F = typename T::F;
  static_assert(T::NR / T::W <= 8, "tile width");
  constexpr int W = T::W;
  constexpr int NR = T::NR;
  constexpr int NV = NR / W;
  constexpr int MR = T::MR;
  const int d = a.d;
  const int64_t ldq = a.ldq > 0 ? a.ldq : MR;
  const int64_t panel_stride = static_cast<int64_t>(d) * NR;
  alignas(64) float buf[MR * NR];
  uint32_t masks[MR];
  F vsum[MRv];
#pragma GCC unroll 16
  for (int i = 0; i < MRv; ++i) vsum[i] = T::zero();
  auto flush = [&]() {
    for (int i = 0; i < MRv && i < a.mr; ++i) {
      a.lsum[i] += static_cast<double>(T::hsum(vsum[i]));
      vsum[i] = T::zero();
    }
  };
  const uint32_t lane_bits = static_cast<uint32_t>((1ull << W) - 1u);
  const uint32_t full = static_cast<uint32_t>((1ull << NR) - 1u);

  for (int p = 0; p < a.npanels; ++p) {
    const float* panel = a.chunk + p * panel_stride;
    F acc[MRv][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MRv; ++i) {
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] = T::zero();
    }
    const float* qk = a.qp;
    const float* pk = panel;
    for (int k = 0; k < d; ++k, qk += ldq, pk += NR) {
      F b[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) b[v] = T::load(pk + v * W);
#pragma GCC unroll 16
      for (int i = 0; i < MRv; ++i) {
        const F qv = T::set1(qk[i]);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] = T::fmadd(qv, b[v], acc[i][v]);
      }
    }
    const uint32_t valid = (p == a.npanels - 1 && a.last_valid < NR) ? static_cast<uint32_t>((1ull << a.last_valid) - 1u) : full;

    if (a.mode == ScanMode::Scores || a.mode == ScanMode::GramAcc) {
      const int ncol = (valid == full) ? NR : a.last_valid;
#pragma GCC unroll 16
      for (int i = 0; i < MRv; ++i) {
        if (i >= a.mr) break;
        if (a.mode == ScanMode::Scores && ncol == NR) {
          float* o = a.out + i * a.ldo + static_cast<int64_t>(p) * NR;
#pragma GCC unroll 8
          for (int v = 0; v < NV; ++v) T::storeu(o + v * W, acc[i][v]);
        } else {
#pragma GCC unroll 8
          for (int v = 0; v < NV; ++v) T::storeu(buf + v * W, acc[i][v]);
          if (a.mode == ScanMode::Scores) {
            float* o = a.out + i * a.ldo + static_cast<int64_t>(p) * NR;
            for (int c = 0; c < ncol; ++c) o[c] = buf[c];
          } else {
            double* o = a.dout + i * a.ldo + static_cast<int64_t>(p) * NR;
            for (int c = 0; c < ncol; ++c) o[c] += static_cast<double>(buf[c]);
          }
        }
      }
      continue;
    }

    if (a.mode != ScanMode::TopK) {
      // Online log-sum-exp of z = score * inv_t over the admissible items of the tile: exp(z - lmax)
      // summed per lane in vsum (flushed to the double lsum every 16 panels and at the end); a new
      // maximum (rare after the first tiles) flushes, rescales lsum in double and moves lmax.
      const F it = T::set1(a.inv_t);
#pragma GCC unroll 16
      for (int i = 0; i < MRv; ++i) {
        if (i >= a.mr) break;
        const uint32_t am = a.adm[i * a.adm_ld + p] & valid;
        if (!am) continue;
        F z[NV];
        F sh = T::set1(a.lmax[i]);
        uint32_t over = 0;
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) {
          z[v] = T::mul(acc[i][v], it);
          over |= T::gt(z[v], sh) << (v * W);
        }
        if (over & am) {
          F vm = T::set1(-INFINITY);
#pragma GCC unroll 8
          for (int v = 0; v < NV; ++v) vm = T::max(vm, T::sel((am >> (v * W)) & lane_bits, z[v], T::set1(-INFINITY)));
          const float mx = T::hmax(vm);
          a.lsum[i] += static_cast<double>(T::hsum(vsum[i]));
          vsum[i] = T::zero();
          a.lsum[i] *= std::exp(static_cast<double>(a.lmax[i]) - static_cast<double>(mx));
          a.lmax[i] = mx;
          sh = T::set1(mx);
        }
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
          vsum[i] = T::add(vsum[i], T::sel((am >> (v * W)) & lane_bits, T::exp(T::sub(z[v], sh)), T::zero()));
      }
      if ((p & 15) == 15) flush();
    }

    if (a.mode == ScanMode::Sample) {
      uint32_t any = 0;
#pragma GCC unroll 16
      for (int i = 0; i < MRv; ++i) {
        if (i >= a.mr) { masks[i] = 0; continue; }
        uint32_t m = a.adm[i * a.adm_ld + p] & valid;
        if (m) {
          if constexpr (T::kSamplePrune) {
            if (a.root[i] != -INFINITY)
              m &= T::sample_keep(acc[i], a.ka[i], a.item_base + static_cast<int64_t>(p) * NR, a.inv_t_d, a.root[i]);
          } else {
            // Cheap bound without the noise: g < 37.5 always (thr[i] is (root - 37.5) * T).
            const F t = T::set1(a.thr[i]);
            uint32_t g = 0;
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) g |= T::ge(acc[i][v], t) << (v * W);
            m &= g;
          }
        }
        masks[i] = m;
        any |= m;
      }
      if (any) {
#pragma GCC unroll 16
        for (int i = 0; i < MRv; ++i) {
#pragma GCC unroll 8
          for (int v = 0; v < NV; ++v) T::storeu(buf + i * NR + v * W, acc[i][v]);
        }
        a.on_tile(a.ctx, p, masks, buf);
      }
      continue;
    }

    // Threshold test: one vector compare per W items and query.
    uint32_t any = 0;
#pragma GCC unroll 16
    for (int i = 0; i < MRv; ++i) {
      if (i >= a.mr) { masks[i] = 0; continue; }
      const F t = T::set1(a.thr[i]);
      uint32_t m = 0;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) m |= T::ge(acc[i][v], t) << (v * W);
      m &= a.adm[i * a.adm_ld + p] & valid;
      masks[i] = m;
      any |= m;
    }
    if (any) {
#pragma GCC unroll 16
      for (int i = 0; i < MRv; ++i) {
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) T::storeu(buf + i * NR + v * W, acc[i][v]);
      }
      a.on_tile(a.ctx, p, masks, buf);
    }
  }
  if (a.mode == ScanMode::Softmax || a.mode == ScanMode::Sample) flush();
}

static void scan(const ScanArgs& a) {
  // Smaller register tiles for the last, partial micro-block (m = 1 must not pay for MR queries).
  constexpr int A = (T::MR * 2) / 3 > 0 ? (T::MR * 2) / 3 : 1;
  constexpr int B = T::MR / 2 > 0 ? T::MR / 2 : 1;
  constexpr int C = T::MR / 4 > 0 ? T::MR / 4 : 1;
  if (a.mr > A) return scan_mr<T::MR>(a);
  if (a.mr > B) return scan_mr<A>(a);
  if (a.mr > C) return scan_mr<B>(a);
  if (a.mr > 1) return scan_mr<C>(a);
  return scan_mr<1>(a);
}

static float dot(const float* x, const float* y, int64_t d, bool* finite) {
  using F = typename T::F;
  constexpr int W = T::W;
  F s0 = T::zero(), s1 = T::zero(), bad = T::zero();
  int64_t p = 0;
  for (; p + 2 * W <= d; p += 2 * W) {
    const F y0 = T::loadu(y + p), y1 = T::loadu(y + p + W);
    s0 = T::fmadd(T::loadu(x + p), y0, s0);
    s1 = T::fmadd(T::loadu(x + p + W), y1, s1);
    bad = T::add(bad, T::add(T::mul(y0, T::zero()), T::mul(y1, T::zero())));  // NaN iff non-finite
  }
  float s = T::hsum(T::add(s0, s1));
  float b = T::hsum(bad);
  for (; p < d; ++p) {
    s += x[p] * y[p];
    b += y[p] * 0.0f;
  }
  if (b != b) *finite = false;
  return s;
}

// One query against n item rows (see KernelTable::dots). With T::reduce_rows (lane i of the result
// = the sum of acc[i]'s lanes) W items go at a time, each into its own accumulator of W lanes
// (d / W FMAs per row), then one transpose-and-add; the rest of a row past the
// last full W floats, and the last n % W items, are added in scalar.
static void dots(const float* q, const float* items, int64_t ld, int64_t n, int64_t d, float* out) {
  int64_t j = 0;
#ifdef SOUK_HAVE_REDUCE_ROWS
  using F = typename T::F;
  constexpr int W = T::W;
  const int64_t dv = d / W * W;
  for (; j + W <= n; j += W) {
    const float* x = items + j * ld;
    F acc[W];
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i) acc[i] = T::zero();
    // Row by row (the rows are read in memory order; the W chains still overlap).
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i)
      for (int64_t p = 0; p < dv; p += W) acc[i] = T::fmadd(T::loadu(q + p), T::loadu(x + i * ld + p), acc[i]);
    const F s = T::reduce_rows(acc);
    if (dv == d) {
      T::storeu(out + j, s);
      continue;
    }
    alignas(64) float buf[W];
    T::storeu(buf, s);
    for (int i = 0; i < W; ++i) {
      float t = buf[i];
      for (int64_t p = dv; p < d; ++p) t += q[p] * x[i * ld + p];
      out[j + i] = t;
    }
  }
#endif
  for (; j < n; ++j) {
    bool finite = true;
    out[j] = dot(q, items + j * ld, d, &finite);
  }
}

#ifndef SOUK_HAVE_PACK
static bool pack(const float* src, int64_t ld, int rows, int64_t d, float* panel) {
  constexpr int NR = T::NR;
  uint32_t bad = 0;
  for (int c = 0; c < rows; ++c) {
    const float* row = src + c * ld;
    for (int64_t t = 0; t < d; ++t) {
      const float v = row[t];
      uint32_t u;
      __builtin_memcpy(&u, &v, 4);
      bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
      panel[t * NR + c] = v;
    }
  }
  for (int c = rows; c < NR; ++c)
    for (int64_t t = 0; t < d; ++t) panel[t * NR + c] = 0.0f;
  return bad == 0;
}
#endif
