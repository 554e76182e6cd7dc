// cuda/tests/cuda_test_util.h: helpers shared by the CUDA op tests under the emulator
// (test_retrieval_cuda.cpp, test_factorization_cuda.cpp): a device copy of a host vector (Dev), a
// padded row-major host matrix (Mat, random_mat: values in [-1, 1], padding filled with junk on
// purpose), a ready CudaContext with debug_sync (make_ctx), and a relative comparison (close).
// Header-only, test builds only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "simt_test.h"
#include "souk/cuda/context.h"

namespace cuda_test {

// A device copy of a host vector (freed with the object).
template <class T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  Dev() = default;
  explicit Dev(const std::vector<T>& h) : n(h.size()) {
    cudaMalloc(reinterpret_cast<void**>(&p), std::max<size_t>(1, n) * sizeof(T));
    if (n) cudaMemcpy(p, h.data(), n * sizeof(T), cudaMemcpyHostToDevice);
  }
  explicit Dev(size_t count) : n(count) { cudaMalloc(reinterpret_cast<void**>(&p), std::max<size_t>(1, n) * sizeof(T)); }
  ~Dev() {
    if (p) cudaFree(p);
  }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  std::vector<T> get() const {
    std::vector<T> h(n);
    if (n) cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
  }
};

struct Mat {
  int64_t rows = 0, cols = 0, stride = 0;
  std::vector<float> v;
  souk::MatrixView view(const float* base) const { return souk::MatrixView{base, rows, cols, stride}; }
  souk::MutMatrixView mut(float* base) const { return souk::MutMatrixView{base, rows, cols, stride}; }
};

inline Mat random_mat(std::mt19937& rng, int64_t rows, int64_t cols, int64_t pad, float scale = 1.0f) {
  std::uniform_real_distribution<float> U(-scale, scale);
  Mat m;
  m.rows = rows;
  m.cols = cols;
  m.stride = cols + pad;
  m.v.assign((size_t)std::max<int64_t>(1, rows * m.stride), 7.0f);  // padding holds junk on purpose
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m.v[(size_t)(r * m.stride + c)] = U(rng);
  return m;
}

inline std::shared_ptr<souk::cuda::CudaContext> make_ctx() {
  auto c = std::make_shared<souk::cuda::CudaContext>();
  souk::Status st = c->init(0);
  EXPECT(st.is_ok(), "CudaContext::init: %s", st.message().c_str());
  c->debug_sync = true;
  return c;
}

// |a - b| <= tol (1 + |b|); infinities must match exactly.
inline bool close(double a, double b, double tol) {
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= tol * (1.0 + std::fabs(b));
}

}  // namespace cuda_test
