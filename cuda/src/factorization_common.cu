// cuda/src/factorization_common.cu: the host helpers of src/factorization_common.h (argument
// checks with the core's messages, the COO row array and finiteness launches, flag mapping).
// O(1) host work per call; the launches are O(rows + nnz) and O(rows * cols) on the device.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "factorization_common.h"
#include "kernels/factor_prep.cuh"

namespace souk {
namespace cuda {

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Status check_factors(int64_t d, const char* name) {
  if (d < 1 || d > kMaxFactors)
    return Status(Code::Shape, "Expected between 1 and " + std::to_string(kMaxFactors) + " factors for " +
                                   std::string(name) + " but received " + std::to_string(d));
  return Status::ok();
}

Status check_dense_dev(const MatrixView& m, int64_t rows, int64_t cols, const char* name) {
  const std::string n(name);
  if (m.rows != rows || m.cols != cols)
    return Status(Code::Shape, "Expected a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix for " + n +
                                   " but received " + std::to_string(m.rows) + " x " + std::to_string(m.cols));
  if (m.stride < m.cols)
    return Status(Code::Shape, "Expected a row stride >= " + std::to_string(m.cols) + " for " + n + " but received " +
                                   std::to_string(m.stride));
  if (rows > 0 && cols > 0 && !m.data)
    return Status(Code::Shape, "Expected a device buffer for " + n + " but received null");
  if (rows > 2147483647) return Status(Code::Shape, "Expected at most 2^31-1 rows for " + n);
  return Status::ok();
}

Status check_vector_dev(const MutVectorView& v, int64_t size, const char* name) {
  if (v.size != size)
    return Status(Code::Shape, "Expected a vector of length " + std::to_string(size) + " for " + std::string(name) +
                                   " but received length " + std::to_string(v.size));
  if (size > 0 && !v.data)
    return Status(Code::Shape, "Expected a device buffer for " + std::string(name) + " but received null");
  return Status::ok();
}

Status check_nonneg_arg(double v, const char* name) {
  if (!(v >= 0) || !std::isfinite(v))
    return Status(Code::Argument, "Expected a finite number >= 0 for " + std::string(name) + " but received " + num(v));
  return Status::ok();
}

Status check_positive_arg(double v, const char* name) {
  if (!(v > 0) || !std::isfinite(v))
    return Status(Code::Argument, "Expected a finite number > 0 for " + std::string(name) + " but received " + num(v));
  return Status::ok();
}

Status check_csr_dev(const CsrView& c, int64_t rows, int64_t cols, const char* name) {
  const std::string nm(name);
  if (c.rows != rows)
    return Status(Code::Csr, "Expected indptr of length " + std::to_string(rows + 1) + " for " + nm +
                                 ".indptr but received length " + std::to_string(c.rows + 1));
  if (c.cols != cols)
    return Status(Code::Shape, "Expected " + std::to_string(cols) + " columns for " + nm + " but received " +
                                   std::to_string(c.cols));
  if (c.nnz < 0 || c.nnz > 2147483647) return Status(Code::Csr, "Expected 0 <= nnz < 2^31 for " + nm);
  if (c.indptr == nullptr) return Status(Code::Csr, "Expected an indptr buffer for " + nm + ".indptr but received null");
  if (c.nnz > 0 && c.indices == nullptr)
    return Status(Code::Csr, "Expected an indices buffer for " + nm + ".indices but received null");
  return Status::ok();
}

Status launch_csr_rows(CudaContext& ctx, const CsrView& c, int* rows_of) {
  if (c.rows == 0) return Status::ok();
  const int64_t blocks = std::min<int64_t>((c.rows + 255) / 256, 4096);
  SIMT_LAUNCH(souk_cuda::csr_rows_kernel<0>, dim3((unsigned)blocks), dim3(256), 0, ctx.stream(), c.indptr,
              (long long)c.rows, (int)c.nnz, rows_of, ctx.status_word());
  return ctx.check_launch("csr_rows_kernel");
}

Status launch_finite_check(CudaContext& ctx, const MatrixView& m) {
  if (m.rows == 0 || m.cols == 0) return Status::ok();
  const int64_t blocks = std::min<int64_t>((m.rows * m.cols + 255) / 256, 1024);
  SIMT_LAUNCH(souk_cuda::finite_matrix_kernel<0>, dim3((unsigned)blocks), dim3(256), 0, ctx.stream(), m.data,
              (long long)m.stride, (int)m.rows, (int)m.cols, ctx.status_word());
  return ctx.check_launch("finite_matrix_kernel");
}

Status status_from_flags(CudaContext& ctx, const char* op, const char* inputs) {
  int flags = 0;
  SOUK_RETURN_IF_ERROR(ctx.read_status(&flags));
  if (flags & kFlagNonFinite)
    return Status(Code::NonFinite, std::string("Expected finite values for ") + inputs + " but received NaN or Infinity");
  if (flags & kFlagCsrRange)
    return Status(Code::Csr, std::string("Expected a well-formed CSR (monotone indptr from 0 to nnz, indices in range) for ") +
                                 op + " but received an entry out of range");
  if (flags & kFlagDiverged)
    return Status(Code::Diverged, std::string("Expected finite results from ") + op +
                                      " but received NaN or Infinity or a non-positive pivot (increase the "
                                      "regularization or lower the learning rate)");
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
