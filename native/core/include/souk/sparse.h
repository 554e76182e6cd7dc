// souk/sparse.h — sparse-matrix utilities shared by the kernels.
//
// transpose_csr: (rows x cols CSR) -> (cols x rows CSR), i.e. the CSC of the input, so the item
// half-step of ALS can run on items x users. Parallel counting sort: each task counts the column
// indices of its contiguous block of rows, a prefix sum over (column, task) gives every task its
// write offsets, then each task scatters its rows in order. The result is stable: within each
// output row the (old) row indices strictly increase, so its rows are sorted. O(nnz + cols *
// tasks) time, O(nnz + rows + cols * tasks) memory. Values are copied (or left null when the
// input's data is null).
//
// validate_csr_shape: the cheap structural check every kernel runs on CSR inputs (indptr[0] == 0,
// non-decreasing, indptr[rows] == nnz, indices in [0, cols), strictly increasing within a row if
// require_sorted). O(rows + nnz).
#pragma once

#include <cstdint>
#include <vector>

#include "souk/common.h"
#include "souk/threads.h"

namespace souk {

// An owning CSR matrix (e.g. the result of a transpose).
struct CsrMatrix {
  std::vector<int32_t> indptr;
  std::vector<int32_t> indices;
  std::vector<float> data;  // empty when the source had no data (all ones)
  int64_t rows = 0;
  int64_t cols = 0;
  CsrView view() const {
    CsrView v;
    v.indptr = indptr.data();
    v.indices = indices.data();
    v.data = data.empty() ? nullptr : data.data();
    v.rows = rows;
    v.cols = cols;
    v.nnz = static_cast<int64_t>(indices.size());
    return v;
  }
};

// Checks `csr` as a rows x cols CSR (see above). `name` goes into the message.
Status validate_csr_shape(const CsrView& csr, int64_t rows, int64_t cols, bool require_sorted,
                          const char* name);

// out = csr^T (validated first; Code::OutOfMemory if the result cannot be allocated).
Status transpose_csr(const ExecContext& ctx, const CsrView& csr, CsrMatrix* out);

}  // namespace souk
