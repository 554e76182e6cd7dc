// souk/cuda/context.h: the state a CUDA entry point runs with, and the error mapping.
//
// CudaContext owns one stream, a growable device scratch buffer (top-K candidate lists between the
// two passes) and a small device status word the kernels raise flags in (non-finite input, CSR
// index out of range). Device views: the CUDA launchers take the core's own view structs
// (souk::MatrixView, CsrView, BitsetView, TopKOut from souk/common.h) whose pointers are DEVICE
// pointers; the layout (row-major with a stride, CSR int32, bitset of bytes) is the core's.
// Errors: status_from_cuda maps cudaErrorMemoryAllocation to Code::DeviceOom and every other CUDA
// error to Code::Cuda. Nothing here throws or exits. Not thread-safe: one context per host thread.
// The stream is created non-blocking: it does not order against the legacy default stream, so
// enqueue uploads on ctx.stream() (or synchronise) before calling a launcher.
// Limits: scratch grows (never shrinks) to the largest request; growing synchronises the stream.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simt/compat.cuh"
#include "souk/common.h"

namespace souk {
namespace cuda {

// Flags the kernels raise in CudaContext::status_word() (bitwise OR, atomics).
// kFlagDiverged: a training kernel produced a non-finite result from finite inputs (or a
// non-positive Cholesky pivot).
enum DeviceFlag : int { kFlagNonFinite = 1, kFlagCsrRange = 2, kFlagDiverged = 4 };

// cudaSuccess -> Ok; cudaErrorMemoryAllocation -> DeviceOom; other errors -> Cuda. `what` names the call.
Status status_from_cuda(cudaError_t e, const char* what);

class CudaContext {
 public:
  CudaContext() = default;
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  // Selects `device`, creates the stream and the status word, reads the SM count. Call once.
  Status init(int device = 0);
  bool ready() const { return stream_ != nullptr; }
  cudaStream_t stream() const { return stream_; }
  int sm_count() const { return sm_count_; }

  // A device buffer of at least `bytes` (16-byte aligned), valid until the next scratch() call.
  Status scratch(size_t bytes, void** out);

  // The kernels' status word: reset() before a launch sequence, read() after (synchronises the stream).
  int* status_word() const { return status_; }
  Status reset_status();
  Status read_status(int* flags);

  // cudaGetLastError after a launch; with debug_sync, also synchronises (finds faults at their launch).
  Status check_launch(const char* what);

  bool debug_sync = false;
  // Tuning knobs (0 = automatic). topk_chunk: items per block in the dense top-K pass (rounded up to
  // 32); tests set it small to force many chunks and the merge pass.
  int64_t topk_chunk = 0;

 private:
  cudaStream_t stream_ = nullptr;
  int* status_ = nullptr;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  int sm_count_ = 1;
  int device_ = 0;
};

}  // namespace cuda
}  // namespace souk
