// Argument validation for the factorisation ops (souk/factorization.h), shared by every backend.
// Shapes, CSR structure (O(rows + nnz)), scalar domains. No factor values are scanned here:
// NaN / Inf are found while the kernels read the data.
#include <cmath>
#include <string>

#include "common_internal.h"
#include "souk/factorization.h"
#include "souk/sparse.h"

namespace souk {
namespace fact {

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

Status check_dense(const MatrixView& m, int64_t rows, int64_t cols, const char* name) {
  const std::string n(name);
  if (m.rows != rows || m.cols != cols)
    return Status(Code::Shape, "Expected a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                   " matrix for " + n + " but received " + std::to_string(m.rows) +
                                   " x " + std::to_string(m.cols));
  if (m.stride < m.cols)
    return Status(Code::Shape, "Expected a row stride >= " + std::to_string(m.cols) + " for " + n +
                                   " but received " + std::to_string(m.stride));
  if (rows > 0 && cols > 0 && !m.data)
    return Status(Code::Shape, "Expected a data buffer for " + n + " but received null");
  return Status::ok();
}

Status check_vector(const MutVectorView& v, int64_t size, const char* name) {
  if (v.size != size)
    return Status(Code::Shape, "Expected a vector of length " + std::to_string(size) + " for " +
                                   std::string(name) + " but received length " + std::to_string(v.size));
  if (size > 0 && !v.data)
    return Status(Code::Shape, "Expected a data buffer for " + std::string(name) + " but received null");
  return Status::ok();
}

Status check_nonneg(double v, const char* name) {
  if (!(v >= 0) || !std::isfinite(v))
    return Status(Code::Argument, "Expected a finite number >= 0 for " + std::string(name) +
                                      " but received " + fmt(v));
  return Status::ok();
}

Status check_positive(double v, const char* name) {
  if (!(v > 0) || !std::isfinite(v))
    return Status(Code::Argument, "Expected a finite number > 0 for " + std::string(name) +
                                      " but received " + fmt(v));
  return Status::ok();
}

}  // namespace fact

using namespace fact;

Status validate_als_solve(const CsrView& c, const MatrixView& y, const MatrixView& yty,
                          const MutMatrixView& x, const AlsParams& p) {
  SOUK_RETURN_IF_ERROR(check_nonneg(p.regularization, "regularization"));
  if (p.solver != AlsSolver::CG && p.solver != AlsSolver::Cholesky)
    return Status(Code::Argument, "Expected 'cg' or 'cholesky' for solver but received " +
                                      std::to_string(static_cast<int>(p.solver)));
  if (p.solver == AlsSolver::CG && (p.cg_steps < 1 || p.cg_steps > 1000))
    return Status(Code::Argument, "Expected an integer in [1, 1000] for cgSteps but received " +
                                      std::to_string(p.cg_steps));
  if (x.cols < 1 || x.cols > kMaxFactors)
    return Status(Code::Shape, "Expected between 1 and " + std::to_string(kMaxFactors) +
                                   " factors for X but received " + std::to_string(x.cols));
  SOUK_RETURN_IF_ERROR(check_dense(x.view(), x.rows, x.cols, "X"));
  SOUK_RETURN_IF_ERROR(check_dense(y, y.rows, x.cols, "Y"));
  SOUK_RETURN_IF_ERROR(check_dense(yty, x.cols, x.cols, "YtY"));
  return validate_csr_shape(c, x.rows, y.rows, false, "C");
}

Status validate_als_loss(const CsrView& c, const MatrixView& x, const MatrixView& y,
                         const AlsLossParams& p) {
  SOUK_RETURN_IF_ERROR(check_nonneg(p.regularization, "regularization"));
  if (x.cols < 1 || x.cols > kMaxFactors)
    return Status(Code::Shape, "Expected between 1 and " + std::to_string(kMaxFactors) +
                                   " factors for X but received " + std::to_string(x.cols));
  SOUK_RETURN_IF_ERROR(check_dense(x, x.rows, x.cols, "X"));
  SOUK_RETURN_IF_ERROR(check_dense(y, y.rows, x.cols, "Y"));
  return validate_csr_shape(c, x.rows, y.rows, false, "C");
}

Status validate_sgd_epoch(const CsrView& ratings, const MutMatrixView& p, const MutMatrixView& q,
                          const MutVectorView& user_bias, const MutVectorView& item_bias,
                          const SgdParams& params) {
  SOUK_RETURN_IF_ERROR(check_positive(params.learning_rate, "learningRate"));
  SOUK_RETURN_IF_ERROR(check_nonneg(params.regularization, "regularization"));
  if (!std::isfinite(params.global_mean))
    return Status(Code::Argument, "Expected a finite number for globalMean but received " + fmt(params.global_mean));
  if (p.cols < 1 || p.cols > kMaxFactors)
    return Status(Code::Shape, "Expected between 1 and " + std::to_string(kMaxFactors) +
                                   " factors for P but received " + std::to_string(p.cols));
  SOUK_RETURN_IF_ERROR(check_dense(p.view(), p.rows, p.cols, "P"));
  SOUK_RETURN_IF_ERROR(check_dense(q.view(), q.rows, p.cols, "Q"));
  SOUK_RETURN_IF_ERROR(check_vector(user_bias, p.rows, "userBias"));
  SOUK_RETURN_IF_ERROR(check_vector(item_bias, q.rows, "itemBias"));
  return validate_csr_shape(ratings, p.rows, q.rows, false, "ratings");
}

Status validate_bpr_epoch(const CsrView& c, const MutMatrixView& p, const MutMatrixView& q,
                          const MutVectorView& item_bias, const BprParams& params) {
  SOUK_RETURN_IF_ERROR(check_positive(params.learning_rate, "learningRate"));
  SOUK_RETURN_IF_ERROR(check_nonneg(params.regularization, "regularization"));
  if (params.negatives != BprNegatives::Popularity && params.negatives != BprNegatives::Uniform)
    return Status(Code::Argument, "Expected 'popularity' or 'uniform' for negatives but received " +
                                      std::to_string(static_cast<int>(params.negatives)));
  if (p.cols < 1 || p.cols > kMaxFactors)
    return Status(Code::Shape, "Expected between 1 and " + std::to_string(kMaxFactors) +
                                   " factors for P but received " + std::to_string(p.cols));
  SOUK_RETURN_IF_ERROR(check_dense(p.view(), p.rows, p.cols, "P"));
  SOUK_RETURN_IF_ERROR(check_dense(q.view(), q.rows, p.cols, "Q"));
  SOUK_RETURN_IF_ERROR(check_vector(item_bias, q.rows, "itemBias"));
  SOUK_RETURN_IF_ERROR(validate_csr_shape(c, p.rows, q.rows, params.verify_negatives, "C"));
  if (params.samples > 0 && c.nnz == 0)
    return Status(Code::Argument, "Expected at least one stored interaction in C for samples > 0 but received nnz 0");
  return Status::ok();
}

}  // namespace souk
