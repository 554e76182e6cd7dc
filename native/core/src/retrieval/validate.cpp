// retrieval/validate.cpp — argument checks for every retrieval op (shared by all backends).
// Runs before any work; O(m + nnz) time, no allocation except for error messages. Messages read
// "Expected <what> for <param> but received <value>"; codes: Shape (dimensions, strides, output
// sizes, null buffers), KRange (k outside [1, kMaxK]), Csr (indptr length/monotonicity, index
// range, sort order), Argument (temperature not finite and > 0).
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "souk/retrieval.h"

namespace souk {

namespace {

template <class V>
std::string str(const V& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Status err(Code c, const std::string& what, const std::string& param, const std::string& got) {
  return Status(c, "Expected " + what + " for " + param + " but received " + got);
}

constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();

Status check_matrix(const MatrixView& v, const char* name) {
  if (v.rows < 0) return err(Code::Shape, "rows >= 0", name, str(v.rows) + " rows");
  if (v.cols < 0) return err(Code::Shape, "cols >= 0", name, str(v.cols) + " cols");
  if (v.rows > 0 && v.stride < v.cols)
    return err(Code::Shape, "a row stride >= cols (" + str(v.cols) + ")", name, "stride " + str(v.stride));
  if (v.rows > 0 && v.cols > 0 && v.data == nullptr)
    return err(Code::Shape, "a " + str(v.rows) + " x " + str(v.cols) + " buffer", name, "null");
  return Status::ok();
}

Status check_out_matrix(const MutMatrixView& v, int64_t rows, int64_t cols, const char* name) {
  if (v.rows != rows || v.cols != cols)
    return err(Code::Shape, "a " + str(rows) + " x " + str(cols) + " output", name,
               str(v.rows) + " x " + str(v.cols));
  if (rows > 0 && v.stride < cols)
    return err(Code::Shape, "a row stride >= cols (" + str(cols) + ")", name, "stride " + str(v.stride));
  if (rows > 0 && cols > 0 && v.data == nullptr)
    return err(Code::Shape, "a " + str(rows) + " x " + str(cols) + " buffer", name, "null");
  return Status::ok();
}

Status check_q_items(const MatrixView& q, const MatrixView& items) {
  SOUK_RETURN_IF_ERROR(check_matrix(q, "q"));
  SOUK_RETURN_IF_ERROR(check_matrix(items, "items"));
  if (items.cols != q.cols)
    return err(Code::Shape, str(q.cols) + " columns (the columns of q)", "items", str(items.cols) + " columns");
  if (items.rows > kMaxIndex)
    return err(Code::Shape, "at most " + str(kMaxIndex) + " rows (int32 item ids)", "items", str(items.rows) + " rows");
  return Status::ok();
}

Status check_k(int64_t k) {
  if (k < 1 || k > kMaxK) return err(Code::KRange, "an integer k in [1, " + str(kMaxK) + "]", "k", str(k));
  return Status::ok();
}

Status check_topk_out(const TopKOut& out, int64_t m, int64_t k) {
  if (out.rows != m) return err(Code::Shape, str(m) + " rows (the rows of q)", "out", str(out.rows) + " rows");
  if (out.k != k) return err(Code::Shape, "k = " + str(k) + " columns", "out", str(out.k) + " columns");
  if (m > 0 && (out.indices == nullptr || out.scores == nullptr || out.counts == nullptr))
    return err(Code::Shape, "indices, scores and counts buffers", "out", "a null buffer");
  return Status::ok();
}

Status check_filters(const CsrView& exclude, const BitsetView& allow, int64_t m, int64_t n) {
  if (exclude.present()) SOUK_RETURN_IF_ERROR(validate_csr(exclude, m, n, true, "exclude"));
  if (allow.present() && allow.bits != n)
    return err(Code::Shape, str(n) + " bits (one per item)", "allow", str(allow.bits) + " bits");
  return Status::ok();
}

Status check_temperature(double t) {
  if (!(std::isfinite(t) && t > 0)) return err(Code::Argument, "a finite temperature > 0", "temperature", str(t));
  return Status::ok();
}

Status check_softmax_out(const SoftmaxOut& sm, int64_t m) {
  if (m > 0 && (sm.probs == nullptr || sm.log_z == nullptr))
    return err(Code::Shape, "probs and logZ buffers", "out", "a null buffer");
  return Status::ok();
}

}  // namespace

Status validate_csr(const CsrView& csr, int64_t rows, int64_t cols, bool require_sorted, const char* name) {
  const std::string nm(name);
  if (csr.rows != rows)
    return err(Code::Csr, "indptr of length " + str(rows + 1) + " (one row per query)", nm + ".indptr",
               "length " + str(csr.rows + 1));
  if (csr.cols != cols) return err(Code::Shape, str(cols) + " columns (one per item)", nm, str(csr.cols) + " columns");
  if (csr.nnz < 0) return err(Code::Csr, "nnz >= 0", nm, str(csr.nnz));
  if (csr.indptr == nullptr) return err(Code::Csr, "an indptr buffer", nm + ".indptr", "null");
  if (csr.nnz > 0 && csr.indices == nullptr) return err(Code::Csr, "an indices buffer", nm + ".indices", "null");
  if (csr.indptr[0] != 0) return err(Code::Csr, "indptr[0] == 0", nm + ".indptr", str(csr.indptr[0]));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = csr.indptr[r], e = csr.indptr[r + 1];
    if (e < b)
      return err(Code::Csr, "a non-decreasing indptr", nm + ".indptr",
                 "indptr[" + str(r + 1) + "] = " + str(e) + " < indptr[" + str(r) + "] = " + str(b));
    if (e > csr.nnz)
      return err(Code::Csr, "indptr values <= nnz (" + str(csr.nnz) + ")", nm + ".indptr",
                 "indptr[" + str(r + 1) + "] = " + str(e));
  }
  if (csr.indptr[rows] != csr.nnz)
    return err(Code::Csr, "indptr[" + str(rows) + "] == nnz (" + str(csr.nnz) + ")", nm + ".indptr",
               str(csr.indptr[rows]));
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = csr.indptr[r], e = csr.indptr[r + 1];
    for (int64_t t = b; t < e; ++t) {
      const int64_t j = csr.indices[t];
      if (j < 0 || j >= cols)
        return err(Code::Csr, "indices in [0, " + str(cols) + ")", nm + ".indices",
                   str(j) + " at position " + str(t) + " (row " + str(r) + ")");
      if (require_sorted && t > b && j <= csr.indices[t - 1])
        return err(Code::Csr, "strictly increasing indices within each row", nm + ".indices",
                   str(j) + " after " + str(csr.indices[t - 1]) + " in row " + str(r));
    }
  }
  return Status::ok();
}

Status validate_scores(const MatrixView& q, const MatrixView& items, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(check_q_items(q, items));
  return check_out_matrix(out, q.rows, items.rows, "out");
}

Status validate_topk(const MatrixView& q, const MatrixView& items, const TopKParams& p, const TopKOut& out) {
  SOUK_RETURN_IF_ERROR(check_q_items(q, items));
  SOUK_RETURN_IF_ERROR(check_k(p.k));
  SOUK_RETURN_IF_ERROR(check_topk_out(out, q.rows, p.k));
  SOUK_RETURN_IF_ERROR(check_filters(p.exclude, p.allow, q.rows, items.rows));
  if (p.candidates.present()) SOUK_RETURN_IF_ERROR(validate_csr(p.candidates, q.rows, items.rows, false, "candidates"));
  return Status::ok();
}

namespace {
// softmax and sample top-K take the same arguments (sample adds a seed, which any value may take).
template <class Params>
Status validate_softmax_family(const MatrixView& q, const MatrixView& items, const Params& p, const TopKOut& out,
                               const SoftmaxOut& sm) {
  SOUK_RETURN_IF_ERROR(check_q_items(q, items));
  SOUK_RETURN_IF_ERROR(check_k(p.k));
  SOUK_RETURN_IF_ERROR(check_temperature(p.temperature));
  SOUK_RETURN_IF_ERROR(check_topk_out(out, q.rows, p.k));
  SOUK_RETURN_IF_ERROR(check_softmax_out(sm, q.rows));
  return check_filters(p.exclude, p.allow, q.rows, items.rows);
}
}  // namespace

Status validate_softmax(const MatrixView& q, const MatrixView& items, const SoftmaxParams& p, const TopKOut& out,
                        const SoftmaxOut& sm) {
  return validate_softmax_family(q, items, p, out, sm);
}

Status validate_sample(const MatrixView& q, const MatrixView& items, const SampleParams& p, const TopKOut& out,
                       const SoftmaxOut& sm) {
  return validate_softmax_family(q, items, p, out, sm);
}

Status validate_gram(const MatrixView& y, const MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(check_matrix(y, "y"));
  return check_out_matrix(out, y.cols, y.cols, "out");
}

}  // namespace souk
