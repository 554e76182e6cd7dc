// native/addon/machine.cc — capabilities(), the SIMD cap, and the machine-limit probes.
#include "addon.h"
#include "souk/isa.h"
#include "souk/machine.h"

namespace souk_addon {

static Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("simd", souk::isa_name(souk::active_isa()));
  o.Set("simdDetected", souk::isa_name(souk::detected_isa()));
  o.Set("threads", Instance(env)->pool->max_threads());
  o.Set("maxK", static_cast<double>(souk::kMaxK));
  const souk_cuda_bridge::DeviceInfo& dev = souk_cuda_bridge::device_info();
  o.Set("cudaCompiled", dev.compiled);
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", dev.compiled);
  cuda.Set("emulated", dev.emulated);
  cuda.Set("available", dev.available);
  cuda.Set("reason", dev.reason);
  cuda.Set("runtimeVersion", dev.runtime_version);
  cuda.Set("driverVersion", dev.driver_version);
  cuda.Set("maxK", static_cast<double>(dev.max_k));
  cuda.Set("memoryCap", static_cast<double>(dev.memory_cap));
  if (!dev.name.empty()) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("name", dev.name);
    d.Set("computeCapability", std::to_string(dev.major) + "." + std::to_string(dev.minor));
    d.Set("multiprocessors", dev.multiprocessors);
    d.Set("totalMemory", static_cast<double>(dev.total_memory));
    d.Set("sharedMemoryPerBlock", static_cast<double>(dev.shared_per_block));
    d.Set("memoryBusWidth", dev.memory_bus_width);
    cuda.Set("device", d);
  }
  o.Set("cuda", cuda);
  o.Set("napiVersion", NAPI_VERSION);
#if defined(__VERSION__)
  o.Set("compiler", __VERSION__);
#endif
  return o;
}

static Napi::Value SetSimd(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString())
      throw ArgError{souk::Code::Argument, "Expected 'scalar', 'avx2' or 'avx512' for simd but received a non-string"};
    std::string name = info[0].As<Napi::String>().Utf8Value();
    souk::Isa isa;
    if (!souk::parse_isa(name.c_str(), &isa))
      throw ArgError{souk::Code::Argument, "Expected 'scalar', 'avx2' or 'avx512' for simd but received '" + name + "'"};
    return Napi::String::New(env, souk::isa_name(souk::set_isa_limit(isa)));
  });
}

static Napi::Value PeakFma(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    int threads = static_cast<int>(a.Int(0, "threads"));
    double seconds = a.Number(1, "seconds");
    souk::ExecContext ctx{Instance(info.Env())->pool.get(), threads};
    souk::PeakResult r = souk::measure_peak_fma(ctx, seconds);
    return Napi::Number::New(info.Env(), r.gflops);
  });
}

static Napi::Value ReadBandwidth(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    int threads = static_cast<int>(a.Int(0, "threads"));
    int64_t bytes = a.Int(1, "bytes");
    int repeats = static_cast<int>(a.Int(2, "repeats"));
    if (bytes < 1024 || repeats < 1) throw ArgError{souk::Code::Argument, "Expected bytes >= 1024 and repeats >= 1 for readBandwidth"};
    souk::ExecContext ctx{Instance(info.Env())->pool.get(), threads};
    return Napi::Number::New(info.Env(), souk::measure_read_bandwidth(ctx, bytes, repeats));
  });
}

void RegisterMachine(Napi::Env env, Napi::Object exports) {
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("setSimd", Napi::Function::New(env, SetSimd, "setSimd"));
  exports.Set("peakFma", Napi::Function::New(env, PeakFma, "peakFma"));
  exports.Set("readBandwidth", Napi::Function::New(env, ReadBandwidth, "readBandwidth"));
}

}  // namespace souk_addon
