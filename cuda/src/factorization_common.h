// cuda/src/factorization_common.h: host helpers shared by the CUDA factorisation launchers
// (als_solve.cu, als_loss.cu, sgd_epoch.cu, bpr_epoch.cu; the CSR size check also serves the
// top-K launchers); defined in factorization_common.cu.
// Argument checks that read no device memory, with the core's codes and messages (souk/
// factorization.h: "Expected <what> for <param> but received <value>"), the COO row array and
// YtY finiteness launches, and the mapping from the status word's flags to a Status.
#pragma once

#include <cstdint>

#include "souk/cuda/context.h"
#include "souk/factorization.h"

namespace souk {
namespace cuda {

// Factor count d in [1, souk::kMaxFactors] (Code::Shape).
Status check_factors(int64_t d, const char* name);
// A rows x cols device matrix with stride >= cols and a buffer when non-empty (Code::Shape).
Status check_dense_dev(const MatrixView& m, int64_t rows, int64_t cols, const char* name);
// A device vector of `size` floats (Code::Shape).
Status check_vector_dev(const MutVectorView& v, int64_t size, const char* name);
// Finite and >= 0 / > 0 (Code::Argument).
Status check_nonneg_arg(double v, const char* name);
Status check_positive_arg(double v, const char* name);
// A rows x cols CSR: sizes only (rows, cols, 0 <= nnz < 2^31, indptr / indices buffers present);
// the contents are range-checked by the kernels (Code::Csr / Code::Shape).
Status check_csr_dev(const CsrView& c, int64_t rows, int64_t cols, const char* name);

// rows_of[k] = row of entry k (nnz ints, device). Raises kFlagCsrRange on a malformed indptr.
Status launch_csr_rows(CudaContext& ctx, const CsrView& c, int* rows_of);
// Raises kFlagNonFinite when the device matrix m holds NaN/Inf.
Status launch_finite_check(CudaContext& ctx, const MatrixView& m);

// Reads the status word (synchronises) and maps its flags: NonFinite (naming `inputs`) before Csr
// before Diverged. `op` names the operation in the messages.
Status status_from_flags(CudaContext& ctx, const char* op, const char* inputs);

}  // namespace cuda
}  // namespace souk
