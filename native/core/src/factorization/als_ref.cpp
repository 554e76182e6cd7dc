// Scalar references for implicit ALS: als_solve_ref (CG and Cholesky) and als_loss_ref.
// Everything in double (factors read from float, results stored as float); single thread; the
// same algorithm, step for step, as implicit's _als.pyx so the CPU kernel and implicit can be
// held to it. Layout: row-major views; A_u is a dense d x d double matrix per row.
// Complexity: CG (steps + 1)(4 d nnz + 2 d^2 rows); Cholesky d^2 nnz + d^3/3 rows; loss
// 4 d nnz + 2 d^2 users + d^2 items (its own YtY).
#include <cmath>
#include <vector>

#include "common_internal.h"
#include "souk/factorization.h"

namespace souk {

using namespace fact;

namespace {

double dotf(const float* a, const double* b, int64_t d) {
  double s = 0;
  for (int64_t i = 0; i < d; ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace

Status als_solve_ref(const CsrView& c, const MatrixView& y, const MatrixView& yty,
                     const MutMatrixView& x, const AlsParams& p) {
  SOUK_RETURN_IF_ERROR(validate_als_solve(c, y, yty, x, p));
  try {
    const int64_t d = x.cols;
    std::vector<double> a0(d * d);
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < d; ++j) {
        const float v = yty.row(i)[j];
        if (!std::isfinite(v))
          return Status(Code::NonFinite, "Expected finite values for YtY but received " + fmt(v));
        a0[i * d + j] = v + (i == j ? p.regularization : 0.0);
      }
    std::vector<double> a(d * d), b(d), xv(d), r(d), pv(d), ap(d);
    for (int64_t u = 0; u < x.rows; ++u) {
      float* xu = x.row(u);
      const int32_t s = c.indptr[u], e = c.indptr[u + 1];
      if (s == e) {
        for (int64_t j = 0; j < d; ++j) xu[j] = 0.0f;
        continue;
      }
      if (p.solver == AlsSolver::Cholesky) {
        a = a0;
        std::fill(b.begin(), b.end(), 0.0);
        for (int32_t k = s; k < e; ++k) {
          const float* yi = y.row(c.indices[k]);
          double cf = conf_at(c, k);
          if (cf > 0) {
            for (int64_t j = 0; j < d; ++j) b[j] += cf * yi[j];
          } else {
            cf = -cf;
          }
          for (int64_t i = 0; i < d; ++i)
            for (int64_t j = 0; j < d; ++j) a[i * d + j] += (cf - 1) * yi[i] * yi[j];
        }
        // A = L L^T (lower), then L z = b, L^T x = z.
        bool ok = true;
        for (int64_t j = 0; j < d && ok; ++j) {
          double diag = a[j * d + j];
          for (int64_t k = 0; k < j; ++k) diag -= a[j * d + k] * a[j * d + k];
          if (!(diag > 0) || !std::isfinite(diag)) { ok = false; break; }
          const double ljj = std::sqrt(diag);
          a[j * d + j] = ljj;
          for (int64_t i = j + 1; i < d; ++i) {
            double v = a[i * d + j];
            for (int64_t k = 0; k < j; ++k) v -= a[i * d + k] * a[j * d + k];
            a[i * d + j] = v / ljj;
          }
        }
        if (!ok) {
          Status st = diagnose_row(c, u, y, nullptr, d, "X", "Y");
          if (st.code() == Code::NonFinite) return st;
          return Status(Code::Diverged, "Expected a positive definite system for row " + std::to_string(u) +
                                            " of X but received a non-positive pivot (increase the regularization)");
        }
        for (int64_t i = 0; i < d; ++i) {
          double v = b[i];
          for (int64_t k = 0; k < i; ++k) v -= a[i * d + k] * xv[k];
          xv[i] = v / a[i * d + i];
        }
        for (int64_t i = d - 1; i >= 0; --i) {
          double v = xv[i];
          for (int64_t k = i + 1; k < d; ++k) v -= a[k * d + i] * xv[k];
          xv[i] = v / a[i * d + i];
        }
      } else {
        for (int64_t j = 0; j < d; ++j) xv[j] = xu[j];
        // r = b - A x
        for (int64_t i = 0; i < d; ++i) {
          double v = 0;
          for (int64_t j = 0; j < d; ++j) v += a0[i * d + j] * xv[j];
          r[i] = -v;
        }
        for (int32_t k = s; k < e; ++k) {
          const float* yi = y.row(c.indices[k]);
          const double cf = conf_at(c, k);
          const double w = (cf > 0 ? cf : 0.0) - (std::fabs(cf) - 1) * dotf(yi, xv.data(), d);
          for (int64_t j = 0; j < d; ++j) r[j] += w * yi[j];
        }
        pv = r;
        double rsold = 0;
        for (int64_t j = 0; j < d; ++j) rsold += r[j] * r[j];
        if (!(rsold < 1e-20)) {
          for (int32_t it = 0; it < p.cg_steps; ++it) {
            for (int64_t i = 0; i < d; ++i) {
              double v = 0;
              for (int64_t j = 0; j < d; ++j) v += a0[i * d + j] * pv[j];
              ap[i] = v;
            }
            for (int32_t k = s; k < e; ++k) {
              const float* yi = y.row(c.indices[k]);
              const double w = (std::fabs(static_cast<double>(conf_at(c, k))) - 1) * dotf(yi, pv.data(), d);
              for (int64_t j = 0; j < d; ++j) ap[j] += w * yi[j];
            }
            double pap = 0;
            for (int64_t j = 0; j < d; ++j) pap += pv[j] * ap[j];
            const double alpha = rsold / pap;
            double rsnew = 0;
            for (int64_t j = 0; j < d; ++j) {
              xv[j] += alpha * pv[j];
              r[j] -= alpha * ap[j];
              rsnew += r[j] * r[j];
            }
            if (rsnew < 1e-20) break;
            const double beta = rsnew / rsold;
            for (int64_t j = 0; j < d; ++j) pv[j] = r[j] + beta * pv[j];
            rsold = rsnew;
          }
        }
      }
      bool fin = true;
      for (int64_t j = 0; j < d; ++j) fin = fin && std::isfinite(xv[j]) && std::fabs(xv[j]) < 3.4e38;
      if (!fin) return diagnose_row(c, u, y, xu, d, "X", "Y");
      for (int64_t j = 0; j < d; ++j) xu[j] = static_cast<float>(xv[j]);
    }
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in als_solve_ref");
  }
  return Status::ok();
}

Status als_loss_ref(const CsrView& c, const MatrixView& x, const MatrixView& y,
                    const AlsLossParams& p, AlsLossOut* out) {
  SOUK_RETURN_IF_ERROR(validate_als_loss(c, x, y, p));
  if (!out) return Status(Code::Argument, "Expected an output struct for out but received null");
  try {
    const int64_t d = x.cols;
    std::vector<double> yty(d * d, 0.0);
    double item_norm = 0;
    for (int64_t i = 0; i < y.rows; ++i) {
      const float* yi = y.row(i);
      if (!finite_row(yi, d))
        return Status(Code::NonFinite, "Expected finite values for Y but received NaN or Infinity in row " + std::to_string(i));
      for (int64_t a = 0; a < d; ++a) {
        item_norm += static_cast<double>(yi[a]) * yi[a];
        for (int64_t b = 0; b < d; ++b) yty[a * d + b] += static_cast<double>(yi[a]) * yi[b];
      }
    }
    double loss = 0, total_conf = 0, user_norm = 0;
    std::vector<double> xv(d), r(d);
    for (int64_t u = 0; u < x.rows; ++u) {
      const float* xu = x.row(u);
      if (!finite_row(xu, d))
        return Status(Code::NonFinite, "Expected finite values for X but received NaN or Infinity in row " + std::to_string(u));
      for (int64_t j = 0; j < d; ++j) xv[j] = xu[j];
      for (int64_t a = 0; a < d; ++a) {
        double v = 0;
        for (int64_t b = 0; b < d; ++b) v += yty[a * d + b] * xv[b];
        r[a] = v;
      }
      for (int32_t k = c.indptr[u]; k < c.indptr[u + 1]; ++k) {
        const float* yi = y.row(c.indices[k]);
        double cf = conf_at(c, k);
        if (!std::isfinite(cf))
          return Status(Code::NonFinite, "Expected finite confidences for C but received " + fmt(cf) +
                                             " at row " + std::to_string(u));
        double w = 0;
        if (cf > 0) w = -2 * cf; else cf = -cf;
        w += (cf - 1) * dotf(yi, xv.data(), d);
        for (int64_t j = 0; j < d; ++j) r[j] += w * yi[j];
        total_conf += cf;
        loss += cf;
      }
      for (int64_t j = 0; j < d; ++j) {
        loss += r[j] * xv[j];
        user_norm += xv[j] * xv[j];
      }
    }
    loss += p.regularization * (item_norm + user_norm);
    out->numerator = loss;
    out->denominator = total_conf + static_cast<double>(c.rows) * c.cols - c.nnz;
    out->loss = out->denominator != 0 ? loss / out->denominator : 0.0;
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory in als_loss_ref");
  }
  return Status::ok();
}

}  // namespace souk
