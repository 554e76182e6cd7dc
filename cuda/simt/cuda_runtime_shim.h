// cuda/simt/cuda_runtime_shim.h: the subset of the CUDA runtime API that Souk's host launchers
// (cuda/src/*.cu) use, implemented on the host for emulated builds, so those files compile unchanged
// with g++ against the SIMT emulator. Included by compat.cuh when __CUDACC__ is not defined.
//
// Rules and limits:
//   * It reuses CUDA's names (cudaMalloc, cudaError_t, ...). An emulated build must NEVER be linked
//     together with the real cudart (libcudart / cudart_static): build emulated tests and the emulated
//     addon as separate binaries.
//   * Error codes carry CUDA's names and values for the ones used here.
//   * One emulated device (0), described as an sm_80-like GPU named "SIMT emulator".
//   * "Device" memory is host memory from malloc, filled with 0xFF (NaN as float) so reads of
//     unwritten device memory show up; cudaMemcpy/cudaMemset check that the device side lies inside
//     one live cudaMalloc allocation (cudaErrorInvalidValue otherwise). Host and device pointers are
//     interchangeable here, so a kernel given a host pointer works in emulation but not on a GPU.
//   * Everything is synchronous: streams and events exist for API compatibility; events time on the
//     host's steady clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "simt_cpu.h"

enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidSymbol = 13,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorInvalidDeviceFunction = 98,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchOutOfResources = 701,
  cudaErrorLaunchTimeout = 702,
  cudaErrorAssert = 710,
  cudaErrorLaunchFailure = 719,
  cudaErrorNotSupported = 801,
  cudaErrorUnknown = 999
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};

enum cudaFuncAttribute {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
  cudaFuncAttributePreferredSharedMemoryCarveout = 9
};

enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97
};

struct CUstream_st { int id; };
struct CUevent_st {
  std::chrono::steady_clock::time_point t;
  bool recorded;
};
typedef CUstream_st* cudaStream_t;
typedef CUevent_st* cudaEvent_t;

#define cudaStreamDefault 0x00
#define cudaStreamNonBlocking 0x01
#define cudaEventDefault 0x00
#define cudaEventBlockingSync 0x01
#define cudaEventDisableTiming 0x02
#define cudaHostAllocDefault 0x00

// The fields Souk reads (a subset of CUDA 13's cudaDeviceProp, same names and types).
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int regsPerBlock;
  int warpSize;
  size_t memPitch;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  size_t totalConstMem;
  int major;
  int minor;
  int multiProcessorCount;
  int integrated;
  int concurrentKernels;
  int l2CacheSize;
  int maxThreadsPerMultiProcessor;
  size_t sharedMemPerMultiprocessor;
  int regsPerMultiprocessor;
  size_t sharedMemPerBlockOptin;
  int maxBlocksPerMultiProcessor;
  int memoryBusWidth;
};

namespace simt {
namespace shim {
// Live allocations: base -> size (checked by copies, memsets and frees).
struct Heap {
  std::mutex m;
  std::map<const char*, size_t> blocks;
};
inline Heap& heap() {
  static Heap h;
  return h;
}
inline cudaError_t set(cudaError_t e) {
  if (e != cudaSuccess) ::simt::detail::last_error() = (int)e;
  return e;
}
// True when [p, p + n) lies inside one live allocation.
inline bool inside(const void* p, size_t n) {
  Heap& h = heap();
  std::lock_guard<std::mutex> lk(h.m);
  const char* c = static_cast<const char*>(p);
  auto it = h.blocks.upper_bound(c);
  if (it == h.blocks.begin()) return false;
  --it;
  return c >= it->first && c + n <= it->first + it->second;
}
inline bool known(const void* p) {
  Heap& h = heap();
  std::lock_guard<std::mutex> lk(h.m);
  return h.blocks.count(static_cast<const char*>(p)) != 0;
}
}  // namespace shim
}  // namespace simt

inline cudaError_t cudaGetLastError() {
  int e = ::simt::detail::last_error();
  ::simt::detail::last_error() = ::simt::detail::sticky_error();
  return (cudaError_t)e;
}
inline cudaError_t cudaPeekAtLastError() { return (cudaError_t)::simt::detail::last_error(); }
inline const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidSymbol: return "cudaErrorInvalidSymbol";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorInvalidDeviceFunction: return "cudaErrorInvalidDeviceFunction";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchTimeout: return "cudaErrorLaunchTimeout";
    case cudaErrorAssert: return "cudaErrorAssert";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorNotSupported: return "cudaErrorNotSupported";
    default: return "cudaErrorUnknown";
  }
}
inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorLaunchFailure: return "unspecified launch failure (SIMT emulator: see the emulator's report)";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    default: return cudaGetErrorName(e);
  }
}

// ---- memory -------------------------------------------------------------------------------------
inline cudaError_t cudaMalloc(void** p, size_t bytes) {
  if (!p) return simt::shim::set(cudaErrorInvalidValue);
  char* m = static_cast<char*>(std::malloc(bytes ? bytes : 1));
  if (!m) { *p = nullptr; return simt::shim::set(cudaErrorMemoryAllocation); }
  std::memset(m, 0xff, bytes);
  {
    simt::shim::Heap& h = simt::shim::heap();
    std::lock_guard<std::mutex> lk(h.m);
    h.blocks[m] = bytes;
  }
  *p = m;
  return cudaSuccess;
}
template <class T>
inline cudaError_t cudaMalloc(T** p, size_t bytes) { return cudaMalloc(reinterpret_cast<void**>(p), bytes); }
inline cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  simt::shim::Heap& h = simt::shim::heap();
  {
    std::lock_guard<std::mutex> lk(h.m);
    auto it = h.blocks.find(static_cast<const char*>(p));
    if (it == h.blocks.end()) return simt::shim::set(cudaErrorInvalidValue);
    h.blocks.erase(it);
  }
  std::free(p);
  return cudaSuccess;
}
inline cudaError_t cudaMallocHost(void** p, size_t bytes) {
  *p = std::malloc(bytes ? bytes : 1);
  return *p ? cudaSuccess : simt::shim::set(cudaErrorMemoryAllocation);
}
template <class T>
inline cudaError_t cudaMallocHost(T** p, size_t bytes) { return cudaMallocHost(reinterpret_cast<void**>(p), bytes); }
inline cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned) { return cudaMallocHost(p, bytes); }
inline cudaError_t cudaFreeHost(void* p) { std::free(p); return cudaSuccess; }

inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  if (!dst || !src) return simt::shim::set(cudaErrorInvalidValue);
  bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if ((int)kind < 0 || (int)kind > 4) return simt::shim::set(cudaErrorInvalidMemcpyDirection);
  if ((dst_dev && !simt::shim::inside(dst, bytes)) || (src_dev && !simt::shim::inside(src, bytes)))
    return simt::shim::set(cudaErrorInvalidValue);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t = nullptr) {
  return cudaMemcpy(dst, src, bytes, kind);
}
inline cudaError_t cudaMemset(void* p, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!simt::shim::inside(p, bytes)) return simt::shim::set(cudaErrorInvalidValue);
  std::memset(p, value, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t = nullptr) { return cudaMemset(p, value, bytes); }
template <class T>
inline cudaError_t cudaMemcpyToSymbol(T& symbol, const void* src, size_t bytes, size_t offset = 0,
                                      cudaMemcpyKind = cudaMemcpyHostToDevice) {
  if (offset + bytes > sizeof(T)) return simt::shim::set(cudaErrorInvalidValue);
  std::memcpy(reinterpret_cast<char*>(&symbol) + offset, src, bytes);
  return cudaSuccess;
}
template <class T>
inline cudaError_t cudaMemcpyFromSymbol(void* dst, const T& symbol, size_t bytes, size_t offset = 0,
                                        cudaMemcpyKind = cudaMemcpyDeviceToHost) {
  if (offset + bytes > sizeof(T)) return simt::shim::set(cudaErrorInvalidValue);
  std::memcpy(dst, reinterpret_cast<const char*>(&symbol) + offset, bytes);
  return cudaSuccess;
}
inline cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  *total_bytes = (size_t)16 << 30;
  *free_bytes = (size_t)15 << 30;
  return cudaSuccess;
}

// ---- device -------------------------------------------------------------------------------------
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaGetDevice(int* d) { *d = 0; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : simt::shim::set(cudaErrorInvalidDevice); }
inline cudaError_t cudaDeviceSynchronize() { return (cudaError_t)::simt::detail::sticky_error(); }
inline cudaError_t cudaDeviceReset() {
  ::simt::detail::sticky_error() = 0;
  ::simt::detail::last_error() = 0;
  return cudaSuccess;
}
inline cudaError_t cudaRuntimeGetVersion(int* v) { *v = 13000; return cudaSuccess; }
inline cudaError_t cudaDriverGetVersion(int* v) { *v = 13000; return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d) {
  if (d != 0) return simt::shim::set(cudaErrorInvalidDevice);
  std::memset(p, 0, sizeof *p);
  std::strncpy(p->name, "SIMT emulator", sizeof p->name - 1);
  p->totalGlobalMem = (size_t)16 << 30;
  p->sharedMemPerBlock = 48 * 1024;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->memPitch = (size_t)2147483647;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = 1024; p->maxThreadsDim[1] = 1024; p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 2147483647; p->maxGridSize[1] = 65535; p->maxGridSize[2] = 65535;
  p->totalConstMem = 65536;
  p->major = 8;
  p->minor = 0;
  p->multiProcessorCount = 108;
  p->concurrentKernels = 1;
  p->l2CacheSize = 40 * 1024 * 1024;
  p->maxThreadsPerMultiProcessor = 2048;
  p->sharedMemPerMultiprocessor = 167936;
  p->regsPerMultiprocessor = 65536;
  p->sharedMemPerBlockOptin = 166912;
  p->maxBlocksPerMultiProcessor = 32;
  p->memoryBusWidth = 5120;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceGetAttribute(int* v, cudaDeviceAttr attr, int d) {
  if (d != 0) return simt::shim::set(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *v = 1024; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlock: *v = 48 * 1024; return cudaSuccess;
    case cudaDevAttrWarpSize: *v = 32; return cudaSuccess;
    case cudaDevAttrMultiProcessorCount: *v = 108; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMajor: *v = 8; return cudaSuccess;
    case cudaDevAttrComputeCapabilityMinor: *v = 0; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = 166912; return cudaSuccess;
  }
  return simt::shim::set(cudaErrorInvalidValue);
}
template <class T>
inline cudaError_t cudaFuncSetAttribute(T* kernel, cudaFuncAttribute attr, int value) {
  if (attr == cudaFuncAttributeMaxDynamicSharedMemorySize) {
    if (value < 0 || value > 166912) return simt::shim::set(cudaErrorInvalidValue);
    ::simt::detail::set_max_dynamic_smem(reinterpret_cast<const void*>(kernel), value);
  }
  return cudaSuccess;
}

// ---- streams and events (synchronous) ---------------------------------------------------------
inline cudaError_t cudaStreamCreate(cudaStream_t* s) { *s = new CUstream_st{1}; return cudaSuccess; }
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) { return cudaStreamCreate(s); }
inline cudaError_t cudaStreamDestroy(cudaStream_t s) { delete s; return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return (cudaError_t)::simt::detail::sticky_error(); }
inline cudaError_t cudaStreamQuery(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaEventCreate(cudaEvent_t* e) { *e = new CUevent_st{{}, false}; return cudaSuccess; }
inline cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned) { return cudaEventCreate(e); }
inline cudaError_t cudaEventDestroy(cudaEvent_t e) { delete e; return cudaSuccess; }
inline cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t = nullptr) {
  if (!e) return simt::shim::set(cudaErrorInvalidResourceHandle);
  e->t = std::chrono::steady_clock::now();
  e->recorded = true;
  return cudaSuccess;
}
inline cudaError_t cudaEventSynchronize(cudaEvent_t e) { return e ? cudaSuccess : simt::shim::set(cudaErrorInvalidResourceHandle); }
inline cudaError_t cudaEventQuery(cudaEvent_t e) { return e ? cudaSuccess : simt::shim::set(cudaErrorInvalidResourceHandle); }
inline cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned = 0) { return cudaSuccess; }
inline cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end || !start->recorded || !end->recorded) return simt::shim::set(cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(end->t - start->t).count();
  return cudaSuccess;
}
