// native/cuda_bridge/bridge.h — the addon's device layer: the only interface between the N-API code
// (native/addon, compiled by the host compiler) and the CUDA launchers (cuda/src). No CUDA type
// appears here, so the addon never includes cuda_runtime.h or the emulator's shim.
//
// Three implementations, one per build (root CMakeLists.txt):
//   * bridge.cu compiled by nvcc, linked with cudart_static: the real GPU path (SOUK_CUDA);
//   * bridge.cu compiled by g++ against the SIMT emulator: one emulated device (souk_emu.node, CI);
//   * bridge_none.cc: built without CUDA; every entry reports Code::NoDevice.
//
// Inputs are host views (the core's structs, host pointers) or resident DeviceMatrix buffers; the
// bridge uploads what is on the host, launches on a context leased from a process-wide pool
// (device 0; one stream each, so concurrent calls from several threads are safe), downloads the
// outputs and returns a souk::Status (DeviceOom for a failed device allocation, Cuda for any other
// runtime error, the launchers' NonFinite / Csr / KRange / Shape otherwise). Nothing throws.
// Every entry validates shapes and CSR contents on the host first (the kernels trust them).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "souk/common.h"
#include "souk/factorization.h"
#include "souk/retrieval.h"

namespace souk_cuda_bridge {

// What the probe at load found. `available` means ops may run on device 0.
struct DeviceInfo {
  bool compiled = false;   // built with a CUDA backend (real or emulated)
  bool emulated = false;   // the SIMT emulator stands in for the GPU (test builds)
  bool available = false;  // a usable device was found
  std::string reason;      // why not available ("" when available)
  std::string name;        // device 0's name
  int major = 0, minor = 0;
  int multiprocessors = 0;
  int64_t total_memory = 0;   // bytes
  int64_t shared_per_block = 0;  // bytes, opt-in maximum
  int memory_bus_width = 0;   // bits
  int runtime_version = 0;    // e.g. 13000
  int driver_version = 0;     // 0 when no driver
  int64_t max_k = 0;          // largest k of the CUDA top-K ops
  int64_t memory_cap = 0;     // SOUK_CUDA_MAX_BYTES (0 = none)
};

// Probes once per process (thread-safe): cudaGetDeviceCount with the count preset to 0; any error or
// zero devices gives available = false and a reason ("no CUDA driver ...", "no CUDA device", ...).
const DeviceInfo& device_info();

// Free and total device memory now (bytes).
souk::Status memory_info(int64_t* free_bytes, int64_t* total_bytes);

// A float32 matrix resident on device 0 (row-major, stride = cols). Freed by its destructor (the
// last shared_ptr owner: the JS handle, or an op still running on it).
struct DeviceMatrix {
  float* data = nullptr;  // device pointer
  int64_t rows = 0, cols = 0;
  DeviceMatrix() = default;
  DeviceMatrix(const DeviceMatrix&) = delete;
  DeviceMatrix& operator=(const DeviceMatrix&) = delete;
  ~DeviceMatrix();
};

// Copies rows x cols floats from the host to a new DeviceMatrix.
souk::Status upload_matrix(const float* host, int64_t rows, int64_t cols, std::shared_ptr<DeviceMatrix>* out);
// Copies a DeviceMatrix back to rows x cols floats on the host.
souk::Status download_matrix(const DeviceMatrix& m, float* host);

// An input matrix: a host view, or a resident DeviceMatrix (then `host` only carries the shape).
struct Operand {
  souk::MatrixView host;
  std::shared_ptr<DeviceMatrix> dev;
};

souk::Status scores(const Operand& q, const Operand& items, const souk::MutMatrixView& out);
souk::Status topk(const Operand& q, const Operand& items, const souk::TopKParams& p, const souk::TopKOut& out);
souk::Status softmax_topk(const Operand& q, const Operand& items, const souk::SoftmaxParams& p,
                          const souk::TopKOut& out, const souk::SoftmaxOut& sm);
souk::Status sample_topk(const Operand& q, const Operand& items, const souk::SampleParams& p,
                         const souk::TopKOut& out, const souk::SoftmaxOut& sm);
souk::Status gram(const Operand& y, const souk::MutMatrixView& out);

// Training ops (cuda/include/souk/cuda/factorization.h), on host buffers: inputs are uploaded, the
// factors updated in place on the device and copied back only when the launcher succeeds (after an
// error the host factors are unchanged). `chunks` (SGD/BPR): contiguous sample chunks run in
// parallel, each one warp, with the core's per-chunk generators; 1 reproduces the reference's order,
// 0 = automatic.
souk::Status als_solve(const souk::CsrView& c, const souk::MatrixView& y, const souk::MatrixView& yty,
                       const souk::MutMatrixView& x, const souk::AlsParams& p);
souk::Status als_loss(const souk::CsrView& c, const souk::MatrixView& x, const souk::MatrixView& y,
                      const souk::AlsLossParams& p, souk::AlsLossOut* out);
souk::Status sgd_epoch(const souk::CsrView& ratings, const souk::MutMatrixView& p, const souk::MutMatrixView& q,
                       const souk::MutVectorView& user_bias, const souk::MutVectorView& item_bias,
                       const souk::SgdParams& params, souk::SgdOut* out, int64_t chunks);
souk::Status bpr_epoch(const souk::CsrView& c, const souk::MutMatrixView& p, const souk::MutMatrixView& q,
                       const souk::MutVectorView& item_bias, const souk::BprParams& params, souk::BprOut* out,
                       int64_t chunks);

// The device's measured limits, for benchmarks that report fractions of them: a streaming read of
// `bytes` (best of `repeats`) and independent FMA chains for about `seconds`.
struct DeviceLimits {
  double read_gbps = 0;
  double fma_gflops = 0;
};
souk::Status measure_limits(int64_t bytes, int repeats, double seconds, DeviceLimits* out);

}  // namespace souk_cuda_bridge
