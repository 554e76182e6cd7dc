// native/addon/device.cc — resident device matrices (the native half of DeviceMatrix), device memory
// and the device microbenchmarks. A handle is an External tagged with kDeviceTag that owns a
// shared_ptr to the bridge's DeviceMatrix: an op in flight holds its own reference, so dispose()
// or the N-API finalizer (the GC backstop) frees the device memory only once no op uses it.
#include "addon.h"

namespace souk_addon {

namespace {

// Identifies Souk's device handles (napi_type_tag_object, N-API 8).
constexpr napi_type_tag kDeviceTag = {0x736f756b64657631ULL, 0x9c1e5a7b3d2f4e61ULL};

struct Handle {
  std::shared_ptr<souk_cuda_bridge::DeviceMatrix> m;
};

Napi::Value NewHandle(Napi::Env env, std::shared_ptr<souk_cuda_bridge::DeviceMatrix> m) {
  auto ext = Napi::External<Handle>::New(env, new Handle{std::move(m)}, [](Napi::Env, Handle* h) { delete h; });
  ext.TypeTag(&kDeviceTag);
  return ext;
}

Handle* HandleOf(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  Napi::Object o = v.As<Napi::Object>();
  if (!o.CheckTypeTag(&kDeviceTag)) return nullptr;
  return v.As<Napi::External<Handle>>().Data();
}

// deviceUpload(data, rows, cols, async) -> handle (or a Promise of one)
struct UploadJob : Job {
  const float* host = nullptr;
  int64_t rows = 0, cols = 0;
  std::shared_ptr<souk_cuda_bridge::DeviceMatrix> m;
  souk::Status Run(const souk::ExecContext&) override { return souk_cuda_bridge::upload_matrix(host, rows, cols, &m); }
  Napi::Value Result(Napi::Env env) override { return NewHandle(env, std::move(m)); }
};

Napi::Value DeviceUpload(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<UploadJob>();
    job->rows = ReadSize(a, 1, "rows", INT32_MAX);
    job->cols = ReadSize(a, 2, "cols", INT32_MAX);
    if (job->rows > 0 && job->cols > INT64_MAX / job->rows) throw ArgError{souk::Code::Shape, "size overflow in deviceUpload"};
    job->host = a.F32(0, "data", job->rows * job->cols);
    const bool async = a.Bool(3, "async");
    const souk_cuda_bridge::DeviceInfo& dev = souk_cuda_bridge::device_info();
    if (!dev.available) throw ArgError{souk::Code::NoDevice, "a DeviceMatrix on 'cuda' was asked for but " + dev.reason};
    return Dispatch(info, std::move(job), a, 1, async);
  });
}

// deviceDownload(handle, out, async)
struct DownloadJob : Job {
  std::shared_ptr<souk_cuda_bridge::DeviceMatrix> m;
  float* out = nullptr;
  souk::Status Run(const souk::ExecContext&) override { return souk_cuda_bridge::download_matrix(*m, out); }
};

Napi::Value DeviceDownload(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<DownloadJob>();
    job->m = DeviceHandleOf(info.Length() > 0 ? info[0] : info.Env().Undefined(), "handle");
    if (!job->m) throw ArgError{souk::Code::Argument, "Expected a DeviceMatrix handle for handle but received another value"};
    job->out = a.F32Out(1, "out", job->m->rows * job->m->cols);
    return Dispatch(info, std::move(job), a, 1, a.Bool(2, "async"));
  });
}

// deviceDispose(handle): drops the handle's reference (idempotent).
Napi::Value DeviceDispose(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Handle* h = info.Length() > 0 ? HandleOf(info[0]) : nullptr;
    if (!h) throw ArgError{souk::Code::Argument, "Expected a DeviceMatrix handle for handle but received another value"};
    h->m.reset();
    return info.Env().Undefined();
  });
}

// deviceMemory() -> { free, total } in bytes
Napi::Value DeviceMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t free_bytes = 0, total_bytes = 0;
  souk::Status st = souk_cuda_bridge::memory_info(&free_bytes, &total_bytes);
  if (!st.is_ok()) ThrowKernelError(env, st.code(), st.message());
  Napi::Object o = Napi::Object::New(env);
  o.Set("free", static_cast<double>(free_bytes));
  o.Set("total", static_cast<double>(total_bytes));
  return o;
}

// measureDevice(bytes, repeats, seconds) -> { readGBps, fmaGflops }
Napi::Value MeasureDevice(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    const int64_t bytes = a.Int(0, "bytes");
    const int64_t repeats = a.Int(1, "repeats");
    const double seconds = a.Number(2, "seconds");
    if (repeats < 1 || repeats > 1000) throw ArgError{souk::Code::Argument, "Expected repeats in [1, 1000] for repeats"};
    souk_cuda_bridge::DeviceLimits lim;
    souk::Status st = souk_cuda_bridge::measure_limits(bytes, static_cast<int>(repeats), seconds, &lim);
    if (!st.is_ok()) ThrowKernelError(info.Env(), st.code(), st.message());
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("readGBps", lim.read_gbps);
    o.Set("fmaGflops", lim.fma_gflops);
    return o;
  });
}

}  // namespace

std::shared_ptr<souk_cuda_bridge::DeviceMatrix> DeviceHandleOf(const Napi::Value& v, const char* name) {
  Handle* h = HandleOf(v);
  if (!h) return nullptr;
  if (!h->m)
    throw ArgError{souk::Code::Argument, std::string("Expected a live DeviceMatrix for ") + name + " but received a disposed one"};
  return h->m;
}

void RegisterDevice(Napi::Env env, Napi::Object exports) {
  exports.Set("deviceUpload", Napi::Function::New(env, DeviceUpload, "deviceUpload"));
  exports.Set("deviceDownload", Napi::Function::New(env, DeviceDownload, "deviceDownload"));
  exports.Set("deviceDispose", Napi::Function::New(env, DeviceDispose, "deviceDispose"));
  exports.Set("deviceMemory", Napi::Function::New(env, DeviceMemory, "deviceMemory"));
  exports.Set("measureDevice", Napi::Function::New(env, MeasureDevice, "measureDevice"));
}

}  // namespace souk_addon
