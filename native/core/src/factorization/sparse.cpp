// CSR validation and parallel CSR transpose (see souk/sparse.h).
// transpose: counting sort by column, split over T contiguous row blocks; per-block histograms
// (cols x T int64 offsets) make the scatter stable and race-free. O(nnz + T cols).
#include "souk/sparse.h"

#include <algorithm>
#include <new>
#include <string>

namespace souk {

namespace {
std::string num(int64_t v) { return std::to_string(v); }
}  // namespace

Status validate_csr_shape(const CsrView& csr, int64_t rows, int64_t cols, bool require_sorted,
                          const char* name) {
  const std::string n(name);
  if (csr.rows != rows)
    return Status(Code::Shape, "Expected " + num(rows) + " rows for " + n + " but received " + num(csr.rows));
  if (csr.cols != cols)
    return Status(Code::Shape, "Expected " + num(cols) + " columns for " + n + " but received " + num(csr.cols));
  if (csr.nnz < 0 || csr.nnz > INT32_MAX)
    return Status(Code::Csr, "Expected nnz in [0, 2^31) for " + n + " but received " + num(csr.nnz));
  if (!csr.indptr)
    return Status(Code::Csr, "Expected an indptr array for " + n + " but received null");
  if (csr.nnz > 0 && !csr.indices)
    return Status(Code::Csr, "Expected an indices array for " + n + " but received null");
  if (csr.indptr[0] != 0)
    return Status(Code::Csr, "Expected indptr[0] == 0 for " + n + " but received " + num(csr.indptr[0]));
  if (csr.indptr[rows] != csr.nnz)
    return Status(Code::Csr, "Expected indptr[rows] == nnz (" + num(csr.nnz) + ") for " + n +
                                 " but received " + num(csr.indptr[rows]));
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t s = csr.indptr[r], e = csr.indptr[r + 1];
    if (e < s)
      return Status(Code::Csr, "Expected non-decreasing indptr for " + n + " but received indptr[" +
                                   num(r + 1) + "] = " + num(e) + " < " + num(s));
    int64_t prev = -1;
    for (int32_t k = s; k < e; ++k) {
      const int32_t c = csr.indices[k];
      if (c < 0 || c >= cols)
        return Status(Code::Csr, "Expected column indices in [0, " + num(cols) + ") for " + n +
                                     " but received " + num(c) + " in row " + num(r));
      if (require_sorted && c <= prev)
        return Status(Code::Csr, "Expected strictly increasing (sorted) column indices in each row for " +
                                     n + " but received " + num(c) + " after " + num(prev) + " in row " + num(r));
      prev = c;
    }
  }
  return Status::ok();
}

Status transpose_csr(const ExecContext& ctx, const CsrView& csr, CsrMatrix* out) {
  if (!out) return Status(Code::Argument, "Expected an output matrix for out but received null");
  if (csr.rows < 0 || csr.cols < 0)
    return Status(Code::Shape, "Expected non-negative dimensions for csr but received " + num(csr.rows) +
                                   " x " + num(csr.cols));
  SOUK_RETURN_IF_ERROR(validate_csr_shape(csr, csr.rows, csr.cols, false, "csr"));
  try {
    const int64_t rows = csr.rows, cols = csr.cols, nnz = csr.nnz;
    const bool has_data = csr.data != nullptr;
    out->rows = cols;
    out->cols = rows;
    out->indptr.assign(static_cast<size_t>(cols + 1), 0);
    out->indices.resize(static_cast<size_t>(nnz));
    if (has_data) out->data.resize(static_cast<size_t>(nnz)); else out->data.clear();
    // Blocks of rows with about equal nnz; at most one block per thread (histograms are cols each).
    int blocks = ctx.effective_threads();
    if (nnz < 200000) blocks = 1;
    std::vector<int64_t> start(blocks + 1);
    for (int b = 0; b <= blocks; ++b) {
      const int64_t target = nnz * b / blocks;
      start[b] = std::lower_bound(csr.indptr, csr.indptr + rows + 1, target) - csr.indptr;
    }
    start[blocks] = rows;
    std::vector<int32_t> hist(static_cast<size_t>(blocks) * cols, 0);
    SOUK_RETURN_IF_ERROR(ctx.parallel_for(blocks, [&](int64_t b, int) {
      int32_t* h = hist.data() + b * cols;
      for (int64_t k = csr.indptr[start[b]]; k < csr.indptr[start[b + 1]]; ++k) h[csr.indices[k]]++;
      return Status::ok();
    }));
    // Column-major prefix over (column, block): block b of column c writes at hist[b][c].
    int64_t run = 0;
    for (int64_t c = 0; c < cols; ++c) {
      out->indptr[c] = static_cast<int32_t>(run);
      for (int b = 0; b < blocks; ++b) {
        const int32_t cnt = hist[b * cols + c];
        hist[b * cols + c] = static_cast<int32_t>(run);
        run += cnt;
      }
    }
    out->indptr[cols] = static_cast<int32_t>(run);
    SOUK_RETURN_IF_ERROR(ctx.parallel_for(blocks, [&](int64_t b, int) {
      int32_t* h = hist.data() + b * cols;
      for (int64_t r = start[b]; r < start[b + 1]; ++r) {
        for (int32_t k = csr.indptr[r]; k < csr.indptr[r + 1]; ++k) {
          const int32_t pos = h[csr.indices[k]]++;
          out->indices[pos] = static_cast<int32_t>(r);
          if (has_data) out->data[pos] = csr.data[k];
        }
      }
      return Status::ok();
    }));
  } catch (const std::bad_alloc&) {
    return Status(Code::OutOfMemory, "out of host memory while transposing a CSR matrix");
  }
  return Status::ok();
}

}  // namespace souk
