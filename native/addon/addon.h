// native/addon/addon.h — the shared plumbing of Souk's only N-API code.
//
// What lives here: per-environment instance data (the thread pool and the JS KernelError class),
// argument readers that re-check every length against the shape they claim (a wrong length would
// be an out-of-bounds read in native code, so it is checked here even though the TypeScript
// wrapper validated it first), and one template that runs an op either synchronously or as an
// AsyncWorker that pins its inputs (CONVENTIONS.md 9-12).
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bridge.h"
#include "souk/common.h"
#include "souk/threads.h"

namespace souk_addon {

// Per-environment state (main thread and each worker thread get their own).
struct InstanceData {
  std::shared_ptr<souk::ThreadPool> pool;
  Napi::FunctionReference kernel_error;  // set by init(KernelError)
};

InstanceData* Instance(Napi::Env env);

// Builds a KernelError(message, code) from the class handed over at init (a plain Error with
// .code before init).
Napi::Error MakeKernelError(Napi::Env env, souk::Code code, const std::string& message);
[[noreturn]] void ThrowKernelError(Napi::Env env, souk::Code code, const std::string& message);

// Thrown inside argument parsing; turned into a KernelError by the entry wrappers.
struct ArgError {
  souk::Code code;
  std::string message;
};

// Argument readers. `name` is the parameter name used in messages.
class Args {
 public:
  explicit Args(const Napi::CallbackInfo& info) : info_(info) {}
  size_t size() const { return info_.Length(); }
  Napi::Env env() const { return info_.Env(); }
  bool IsNullish(size_t i) const { return i >= info_.Length() || info_[i].IsNull() || info_[i].IsUndefined(); }
  Napi::Value Value(size_t i) const { return i < info_.Length() ? info_[i] : info_.Env().Undefined(); }
  // Keeps argument i alive for an async op (the typed-array readers pin what they read).
  void Pin(size_t i) { pins.emplace_back(Napi::Persistent(Value(i))); }

  int64_t Int(size_t i, const char* name) const;
  double Number(size_t i, const char* name) const;
  bool Bool(size_t i, const char* name) const;
  uint64_t Seed(size_t i, const char* name) const;  // a Number (safe integer) or a BigInt

  // Typed arrays with a minimum element count; the array is pinned into `pins`.
  const float* F32(size_t i, const char* name, int64_t min_len);
  float* F32Out(size_t i, const char* name, int64_t min_len);
  const int32_t* I32(size_t i, const char* name, int64_t min_len, int64_t* len = nullptr);
  int32_t* I32Out(size_t i, const char* name, int64_t min_len);
  const uint8_t* U8(size_t i, const char* name, int64_t min_len);

  // CSR from (indptr, indices[, data-or-null]) at positions i, i+1[, i+2]; absent when indptr is
  // null. with_data: the op takes values (else every stored value counts as 1).
  souk::CsrView Csr(size_t i, const char* name, int64_t rows, int64_t cols, bool with_data = false);

  // JS values referenced by the op; an async op keeps them alive until it completes.
  std::vector<Napi::Reference<Napi::Value>> pins;

 private:
  Napi::TypedArray Typed(size_t i, const char* name, napi_typedarray_type type, const char* type_name, int64_t min_len);
  const Napi::CallbackInfo& info_;
};

// An op prepared from arguments: run() does the work (no N-API calls), result() builds the JS value.
class Job {
 public:
  virtual ~Job() = default;
  virtual souk::Status Run(const souk::ExecContext& ctx) = 0;
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

// Backend selector shared by every op: 0 = cpu, 1 = ref, 2 = cuda (device 0 through the bridge).
enum BackendCode : int { kBackendCpu = 0, kBackendRef = 1, kBackendCuda = 2 };
// Reads the selector; 2 without a usable device is ERR_NO_DEVICE with the probe's reason.
// `cuda_supported`: the op has a CUDA path (else 2 is ERR_NO_DEVICE naming the op).
int ReadBackend(Args& a, size_t i, bool cuda_supported = true, const char* op = nullptr);

// A resident device matrix handed over as a DeviceMatrix handle (an External tagged by device.cc);
// null when `v` is not one. A disposed handle is ERR_ARGUMENT.
std::shared_ptr<souk_cuda_bridge::DeviceMatrix> DeviceHandleOf(const Napi::Value& v, const char* name);
// A size argument in [0, max].
int64_t ReadSize(Args& a, size_t i, const char* name, int64_t max = INT64_MAX / 4);

// Runs `job` now (sync) or queues it and returns a Promise (async). Pins move into the worker.
Napi::Value Dispatch(const Napi::CallbackInfo& info, std::unique_ptr<Job> job, Args& args, int threads, bool async);

// Wraps an entry point: ArgError and souk Status failures become KernelErrors.
template <class F>
Napi::Value Guard(const Napi::CallbackInfo& info, F&& body) {
  try {
    return body();
  } catch (const ArgError& e) {
    ThrowKernelError(info.Env(), e.code, e.message);
  }
}

// Registration hooks of each op group (one file per group).
void RegisterRetrieval(Napi::Env env, Napi::Object exports);
void RegisterMachine(Napi::Env env, Napi::Object exports);
void RegisterFactorization(Napi::Env env, Napi::Object exports);
void RegisterDevice(Napi::Env env, Napi::Object exports);

}  // namespace souk_addon
