// souk/common.h — the vocabulary shared by every kernel in native/core (and cuda/).
//
// The core is plain C++17: no N-API, no exceptions across its boundary. Every op returns a
// souk::Status; the addon turns a failed Status into a KernelError with the same code.
//
// Layout conventions (ARCHITECTURE.md, Kernels):
//   * dense matrices are row-major float32 with an explicit row stride (in elements);
//   * sparse matrices are CSR: indptr (rows + 1, int32), indices (nnz, int32), data (nnz, f32
//     or null when every value is 1);
//   * item sets shared by all queries are bitsets of bytes: bit i is (bytes[i >> 3] >> (i & 7)) & 1;
//   * ids are dense int32 indices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace souk {

// Stable error codes. The strings (code_name) are part of the public API: JS sees them as
// KernelError.code. Append only; never renumber.
enum class Code : int32_t {
  Ok = 0,
  Shape = 1,        // ERR_SHAPE: dimensions disagree, or a buffer is too short for its shape
  KRange = 2,       // ERR_K_RANGE: k <= 0 or k > maxK
  NonFinite = 3,    // ERR_NON_FINITE: NaN or +-Infinity in an input matrix
  Csr = 4,          // ERR_CSR: indptr not monotone / wrong length, column index out of range or unsorted
  Argument = 5,     // ERR_ARGUMENT: a scalar option out of its domain (temperature <= 0, lambda < 0, ...)
  IndexRange = 6,   // ERR_INDEX_RANGE: an index argument (user id, item id) outside its table
  NoDevice = 7,     // ERR_NO_DEVICE: backend 'cuda' asked for, no usable device
  DeviceOom = 8,    // ERR_DEVICE_OOM: device allocation failed (recoverable)
  Cuda = 9,         // ERR_CUDA: any other CUDA runtime error
  Internal = 10,    // ERR_INTERNAL: a bug in Souk; please report it
  OutOfMemory = 11, // ERR_OOM: host allocation failed
  Diverged = 12,    // ERR_DIVERGED: training produced NaN/Inf factors
};

inline const char* code_name(Code c) {
  switch (c) {
    case Code::Ok: return "OK";
    case Code::Shape: return "ERR_SHAPE";
    case Code::KRange: return "ERR_K_RANGE";
    case Code::NonFinite: return "ERR_NON_FINITE";
    case Code::Csr: return "ERR_CSR";
    case Code::Argument: return "ERR_ARGUMENT";
    case Code::IndexRange: return "ERR_INDEX_RANGE";
    case Code::NoDevice: return "ERR_NO_DEVICE";
    case Code::DeviceOom: return "ERR_DEVICE_OOM";
    case Code::Cuda: return "ERR_CUDA";
    case Code::Internal: return "ERR_INTERNAL";
    case Code::OutOfMemory: return "ERR_OOM";
    case Code::Diverged: return "ERR_DIVERGED";
  }
  return "ERR_INTERNAL";
}

// The result of every core entry point. Cheap when ok (no allocation).
class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == Code::Ok; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::Ok;
  std::string message_;
};

#define SOUK_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::souk::Status _souk_st = (expr);     \
    if (!_souk_st.is_ok()) return _souk_st; \
  } while (0)

// Read-only row-major matrix view. stride >= cols (elements between row starts).
struct MatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;
  const float* row(int64_t r) const { return data + r * stride; }
};

// Writable row-major matrix view.
struct MutMatrixView {
  float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t stride = 0;
  float* row(int64_t r) const { return data + r * stride; }
  MatrixView view() const { return MatrixView{data, rows, cols, stride}; }
};

// CSR view. data may be null, meaning every stored value is 1.
struct CsrView {
  const int32_t* indptr = nullptr;   // rows + 1 entries, indptr[0] == 0, non-decreasing
  const int32_t* indices = nullptr;  // nnz entries, each in [0, cols)
  const float* data = nullptr;       // nnz entries or null
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t nnz = 0;
  bool present() const { return indptr != nullptr; }
};

// A set of column indices shared by all rows: bit i set = admissible.
struct BitsetView {
  const uint8_t* bytes = nullptr;
  int64_t bits = 0;  // number of valid bits (== number of items)
  bool present() const { return bytes != nullptr; }
  bool test(int64_t i) const { return (bytes[i >> 3] >> (i & 7)) & 1; }
};

// Top-K output: m rows of k entries, row-major. Padding: index -1, score -Infinity.
struct TopKOut {
  int32_t* indices = nullptr;  // m * k
  float* scores = nullptr;     // m * k
  int32_t* counts = nullptr;   // m (how many entries of each row are real)
  int64_t rows = 0;
  int64_t k = 0;
};

// Published limits (capabilities().maxK). Checked before any work starts.
constexpr int64_t kMaxK = 4096;

}  // namespace souk
