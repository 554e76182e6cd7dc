// retrieval/gram.cpp — Gram matrix: out (d x d, float) = Y^T Y for Y n x d row-major, accumulated
// in double. Complexity: n d (d + 1) flops for the upper triangle (+ mirror).
// gram_cpu: rows in blocks of KB = 256; within a block the register-tiled float micro-kernel
// computes MR x NR tiles of the upper triangle (columns of Y play both "queries" and "items"; a
// k-step is a row, so packing is a copy, not a transpose, and the query operand is read from the
// same panels with stride NR) and adds each tile into a per-thread
// double d x d accumulator (ScanMode::GramAcc). Float partial sums cover at most 256 products, so
// |error| <= ~256 * 2^-24 * sum_r |y_ri y_rj| before the double flush (tested against gram_ref).
// Threads take row blocks; the per-thread partials are summed in double at the end.
// Extra memory: threads * (d^2 doubles + KB * d floats). NaN/Inf detected while packing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "fused.h"
#include "ref_common.h"

namespace souk {

Status gram_ref(const MatrixView& y, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(validate_gram(y, out));
  const int64_t d = y.cols;
  for (int64_t r = 0; r < y.rows; ++r)
    for (int64_t t = 0; t < d; ++t)
      if (!std::isfinite(y.row(r)[t])) return retrieval::ref::ref_non_finite("y", r);
  for (int64_t i = 0; i < d; ++i) {
    for (int64_t j = 0; j < d; ++j) {
      double s = 0;
      for (int64_t r = 0; r < y.rows; ++r) s += static_cast<double>(y.row(r)[i]) * static_cast<double>(y.row(r)[j]);
      out.row(i)[j] = static_cast<float>(s);
    }
  }
  return Status::ok();
}

Status gram_cpu(const ExecContext& ctx, const MatrixView& y, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(validate_gram(y, out));
  using namespace retrieval;
  try {
    const KernelTable& kt = active_kernels();
    const int64_t n = y.rows, d = y.cols;
    if (d == 0) return Status::ok();
    const int64_t kb = 256;
    const int nr = kt.nr, mr = kt.mr;
    const int np = static_cast<int>((d + nr - 1) / nr);
    const int64_t dpad = static_cast<int64_t>(np) * nr;  // accumulator row stride
    struct S {
      AlignedBuf panels;
      std::vector<double> acc;
    };
    std::vector<S> scratch(static_cast<size_t>(ctx.effective_threads()));
    const int64_t nblocks = (n + kb - 1) / kb;
    Status st = ctx.parallel_for(nblocks, [&](int64_t task, int slot) -> Status {
      S& s = scratch[static_cast<size_t>(slot)];
      if (s.acc.empty()) s.acc.assign(static_cast<size_t>(dpad * dpad), 0.0);
      const int64_t r0 = task * kb, r1 = std::min(n, r0 + kb);
      const int64_t len = r1 - r0;
      // Panels: columns [p*nr, p*nr + nr) of rows r0..r1, row-major within the panel (a copy).
      float* pan = s.panels.get(static_cast<int64_t>(np) * nr * len);
      uint32_t bad = 0;
      for (int p = 0; p < np; ++p) {
        float* dst = pan + static_cast<int64_t>(p) * nr * len;
        const int64_t j0 = static_cast<int64_t>(p) * nr;
        const int cols = static_cast<int>(std::min<int64_t>(nr, d - j0));
        for (int64_t r = 0; r < len; ++r) {
          const float* src = y.row(r0 + r) + j0;
          float* o = dst + r * nr;
          for (int c = 0; c < cols; ++c) {
            uint32_t u;
            std::memcpy(&u, &src[c], 4);
            bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
            o[c] = src[c];
          }
          for (int c = cols; c < nr; ++c) o[c] = 0.0f;
        }
      }
      if (bad) {
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t t = 0; t < d; ++t)
            if (!std::isfinite(y.row(r)[t])) return non_finite("y", r);
      }
      // "Queries" are read straight from the panels (k-step stride nr): blocks of <= MR columns
      // that stay inside one panel; each block meets the panels from its own to the last.
      ScanArgs a;
      a.d = static_cast<int>(len);
      a.mode = ScanMode::GramAcc;
      a.ldo = dpad;
      a.ldq = nr;
      a.last_valid = static_cast<int>(d - static_cast<int64_t>(np - 1) * nr);
      for (int p0 = 0; p0 < np; ++p0) {
        const float* pp = pan + static_cast<int64_t>(p0) * nr * len;
        const int64_t pcols = std::min<int64_t>(nr, d - static_cast<int64_t>(p0) * nr);
        for (int64_t c = 0; c < pcols; c += mr) {
          const int64_t i0 = static_cast<int64_t>(p0) * nr + c;
          a.qp = pp + c;
          a.mr = static_cast<int>(std::min<int64_t>(mr, pcols - c));
          a.chunk = pp;
          a.npanels = np - p0;
          a.dout = s.acc.data() + i0 * dpad + static_cast<int64_t>(p0) * nr;
          kt.scan(a);
        }
      }
      return Status::ok();
    });
    SOUK_RETURN_IF_ERROR(st);
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = i; j < d; ++j) {
        double v = 0;
        for (auto& s : scratch)
          if (!s.acc.empty()) v += s.acc[static_cast<size_t>(i * dpad + j)];
        out.row(i)[j] = static_cast<float>(v);
        out.row(j)[i] = static_cast<float>(v);
      }
    }
    return Status::ok();
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in gram_cpu");
  }
}

}  // namespace souk
