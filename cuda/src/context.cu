// cuda/src/context.cu: CudaContext (stream, growable scratch, device status word) and the mapping
// from cudaError_t to souk::Status. Host code only; O(1) per call except scratch growth (one
// cudaFree + cudaMalloc after a stream synchronise). Never throws, never exits.
#include <string>

#include "souk/cuda/context.h"
#include "souk/cuda/retrieval.h"

namespace souk {
namespace cuda {

Status status_from_cuda(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status::ok();
  const std::string msg = std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
  if (e == cudaErrorMemoryAllocation) return Status(Code::DeviceOom, msg);
  return Status(Code::Cuda, msg);
}

CudaContext::~CudaContext() {
  if (stream_) cudaStreamSynchronize(stream_);
  if (scratch_) cudaFree(scratch_);
  if (status_) cudaFree(status_);
  if (stream_) cudaStreamDestroy(stream_);
  cudaGetLastError();  // leave no error behind for the next user of the runtime
}

Status CudaContext::init(int device) {
  if (stream_) return Status::ok();
  device_ = device;
  SOUK_RETURN_IF_ERROR(status_from_cuda(cudaSetDevice(device), "cudaSetDevice"));
  int sms = 0;
  SOUK_RETURN_IF_ERROR(status_from_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
                                        "cudaDeviceGetAttribute"));
  sm_count_ = sms > 0 ? sms : 1;
  int* st = nullptr;
  cudaError_t e = cudaMalloc(reinterpret_cast<void**>(&st), sizeof(int));
  if (e != cudaSuccess) {
    cudaGetLastError();
    return status_from_cuda(e, "cudaMalloc(status word)");
  }
  cudaStream_t s = nullptr;
  e = cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  if (e != cudaSuccess) {
    cudaFree(st);
    cudaGetLastError();
    return status_from_cuda(e, "cudaStreamCreate");
  }
  status_ = st;
  stream_ = s;
  return Status::ok();
}

Status CudaContext::scratch(size_t bytes, void** out) {
  *out = nullptr;
  if (!stream_) return Status(Code::Internal, "CudaContext used before init()");
  if (bytes <= scratch_bytes_) {
    *out = scratch_;
    return Status::ok();
  }
  // Kernels queued earlier may still use the old buffer.
  SOUK_RETURN_IF_ERROR(status_from_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"));
  if (scratch_) cudaFree(scratch_);
  scratch_ = nullptr;
  scratch_bytes_ = 0;
  const size_t want = bytes + bytes / 4;  // some headroom against repeated growth
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, want);
  if (e != cudaSuccess) {
    cudaGetLastError();  // an allocation failure is not sticky: clear it, report it
    return status_from_cuda(e, "cudaMalloc(scratch)");
  }
  scratch_ = p;
  scratch_bytes_ = want;
  *out = p;
  return Status::ok();
}

Status CudaContext::reset_status() {
  if (!stream_) return Status(Code::Internal, "CudaContext used before init()");
  return status_from_cuda(cudaMemsetAsync(status_, 0, sizeof(int), stream_), "cudaMemsetAsync(status word)");
}

Status CudaContext::read_status(int* flags) {
  *flags = 0;
  SOUK_RETURN_IF_ERROR(
      status_from_cuda(cudaMemcpyAsync(flags, status_, sizeof(int), cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync"));
  return status_from_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

Status CudaContext::check_launch(const char* what) {
  SOUK_RETURN_IF_ERROR(status_from_cuda(cudaGetLastError(), what));
  if (debug_sync) return status_from_cuda(cudaStreamSynchronize(stream_), what);
  return Status::ok();
}

Status check_device_matrix(const MatrixView& v, const char* name) {
  const std::string nm(name);
  if (v.rows < 0 || v.cols < 0)
    return Status(Code::Shape, "Expected a non-negative shape for " + nm + " but received " + std::to_string(v.rows) +
                                   " x " + std::to_string(v.cols));
  if (v.rows > 0 && v.stride < v.cols)
    return Status(Code::Shape, "Expected a row stride >= cols for " + nm + " but received stride " +
                                   std::to_string(v.stride));
  if (v.rows > 0 && v.cols > 0 && v.data == nullptr)
    return Status(Code::Shape, "Expected a device buffer for " + nm + " but received null");
  if (v.rows > 2147483647 || v.cols > 2147483647)
    return Status(Code::Shape, "Expected at most 2^31-1 rows and columns for " + nm);
  return Status::ok();
}

}  // namespace cuda
}  // namespace souk
