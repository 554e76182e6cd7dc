// native/addon/addon.cc — module init, instance data, argument readers and the sync/async runner.
#include "addon.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace souk_addon {

InstanceData* Instance(Napi::Env env) { return env.GetInstanceData<InstanceData>(); }

Napi::Error MakeKernelError(Napi::Env env, souk::Code code, const std::string& message) {
  InstanceData* data = Instance(env);
  Napi::String msg = Napi::String::New(env, message);
  Napi::String code_str = Napi::String::New(env, souk::code_name(code));
  if (data && !data->kernel_error.IsEmpty()) {
    Napi::Object err = data->kernel_error.New({msg, code_str});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", code_str);
  return err;
}

void ThrowKernelError(Napi::Env env, souk::Code code, const std::string& message) {
  throw MakeKernelError(env, code, message);
}

static std::string Describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) {
    std::ostringstream os;
    os << v.As<Napi::Number>().DoubleValue();
    return os.str();
  }
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint32_array: return "a Uint32Array";
      case napi_uint8_array: return "a Uint8Array";
      default: return "another typed array";
    }
  }
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsBigInt()) return "a bigint";
  if (v.IsArray()) return "an Array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

[[noreturn]] static void Bad(souk::Code code, const char* what, const char* name, const std::string& got) {
  throw ArgError{code, std::string("Expected ") + what + " for " + name + " but received " + got};
}

int64_t Args::Int(size_t i, const char* name) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) Bad(souk::Code::Argument, "an integer", name, i < info_.Length() ? Describe(info_[i]) : "nothing");
  double v = info_[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740991.0)
    Bad(souk::Code::Argument, "an integer", name, Describe(info_[i]));
  return static_cast<int64_t>(v);
}

double Args::Number(size_t i, const char* name) const {
  if (i >= info_.Length() || !info_[i].IsNumber()) Bad(souk::Code::Argument, "a number", name, i < info_.Length() ? Describe(info_[i]) : "nothing");
  return info_[i].As<Napi::Number>().DoubleValue();
}

bool Args::Bool(size_t i, const char* name) const {
  if (i >= info_.Length() || !info_[i].IsBoolean()) Bad(souk::Code::Argument, "a boolean", name, i < info_.Length() ? Describe(info_[i]) : "nothing");
  return info_[i].As<Napi::Boolean>().Value();
}

uint64_t Args::Seed(size_t i, const char* name) const {
  if (i < info_.Length() && info_[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info_[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) Bad(souk::Code::Argument, "a seed in [0, 2^64)", name, "a bigint out of range");
    return v;
  }
  int64_t v = Int(i, name);
  if (v < 0) Bad(souk::Code::Argument, "a non-negative seed", name, std::to_string(v));
  return static_cast<uint64_t>(v);
}

Napi::TypedArray Args::Typed(size_t i, const char* name, napi_typedarray_type type, const char* type_name,
                             int64_t min_len) {
  if (i >= info_.Length() || !info_[i].IsTypedArray() || info_[i].As<Napi::TypedArray>().TypedArrayType() != type)
    Bad(souk::Code::Argument, type_name, name, i < info_.Length() ? Describe(info_[i]) : "nothing");
  Napi::TypedArray arr = info_[i].As<Napi::TypedArray>();
  if (static_cast<int64_t>(arr.ElementLength()) < min_len) {
    throw ArgError{souk::Code::Shape, std::string("Expected ") + type_name + " of at least " + std::to_string(min_len) +
                                          " elements for " + name + " but received " +
                                          std::to_string(arr.ElementLength())};
  }
  pins.emplace_back(Napi::Persistent(info_[i]));
  return arr;
}

const float* Args::F32(size_t i, const char* name, int64_t min_len) {
  auto a = Typed(i, name, napi_float32_array, "a Float32Array", min_len);
  return reinterpret_cast<const float*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}
float* Args::F32Out(size_t i, const char* name, int64_t min_len) { return const_cast<float*>(F32(i, name, min_len)); }
const int32_t* Args::I32(size_t i, const char* name, int64_t min_len, int64_t* len) {
  auto a = Typed(i, name, napi_int32_array, "an Int32Array", min_len);
  if (len) *len = static_cast<int64_t>(a.ElementLength());
  return reinterpret_cast<const int32_t*>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
}
int32_t* Args::I32Out(size_t i, const char* name, int64_t min_len) {
  return const_cast<int32_t*>(I32(i, name, min_len));
}
const uint8_t* Args::U8(size_t i, const char* name, int64_t min_len) {
  auto a = Typed(i, name, napi_uint8_array, "a Uint8Array", min_len);
  return static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
}

souk::CsrView Args::Csr(size_t i, const char* name, int64_t rows, int64_t cols, bool with_data) {
  souk::CsrView v;
  if (IsNullish(i)) return v;
  std::string n(name);
  std::string n_indptr = n + ".indptr", n_indices = n + ".indices", n_data = n + ".data";
  int64_t indptr_len = 0, nnz = 0;
  v.indptr = I32(i, n_indptr.c_str(), rows + 1, &indptr_len);
  if (indptr_len != rows + 1)
    throw ArgError{souk::Code::Csr, "Expected " + std::to_string(rows + 1) + " entries for " + n_indptr +
                                        " but received " + std::to_string(indptr_len)};
  v.indices = I32(i + 1, n_indices.c_str(), 0, &nnz);
  // The last offset must fit the indices array: checked here so no kernel can read past it.
  if (v.indptr[rows] < 0 || v.indptr[rows] > nnz || v.indptr[0] != 0)
    throw ArgError{souk::Code::Csr, "Expected " + n_indptr + " to start at 0 and end at most at " +
                                        std::to_string(nnz) + " but received [" + std::to_string(v.indptr[0]) +
                                        " .. " + std::to_string(v.indptr[rows]) + "]"};
  v.nnz = v.indptr[rows];
  if (with_data && !IsNullish(i + 2)) v.data = F32(i + 2, n_data.c_str(), v.nnz);
  v.rows = rows;
  v.cols = cols;
  return v;
}

int ReadBackend(Args& a, size_t i, bool cuda_supported, const char* op) {
  int64_t b = a.Int(i, "backend");
  if (b != kBackendCpu && b != kBackendRef && b != kBackendCuda)
    throw ArgError{souk::Code::Argument, "Expected backend 0 (cpu), 1 (ref) or 2 (cuda) for backend but received " + std::to_string(b)};
  if (b == kBackendCuda) {
    const souk_cuda_bridge::DeviceInfo& dev = souk_cuda_bridge::device_info();
    if (!dev.available) throw ArgError{souk::Code::NoDevice, "backend 'cuda' was asked for but " + dev.reason};
    if (!cuda_supported)
      throw ArgError{souk::Code::NoDevice, std::string("backend 'cuda' was asked for but ") + (op ? op : "this op") +
                                               " has no CUDA kernel in this build (use backend 'cpu' or 'auto')"};
  }
  return static_cast<int>(b);
}

int64_t ReadSize(Args& a, size_t i, const char* name, int64_t max) {
  int64_t v = a.Int(i, name);
  if (v < 0 || v > max)
    throw ArgError{souk::Code::Shape, std::string("Expected a size in [0, ") + std::to_string(max) + "] for " + name + " but received " + std::to_string(v)};
  return v;
}

// ---- sync / async runner ----

class Worker : public Napi::AsyncWorker {
 public:
  Worker(Napi::Env env, std::unique_ptr<Job> job, std::vector<Napi::Reference<Napi::Value>> pins,
         std::shared_ptr<souk::ThreadPool> pool, int threads)
      : Napi::AsyncWorker(env, "souk:kernel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        job_(std::move(job)),
        pins_(std::move(pins)),
        pool_(std::move(pool)),
        threads_(threads) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    // No N-API calls here: the job only touches the pinned buffers and the pool.
    souk::ExecContext ctx{pool_.get(), threads_};
    status_ = job_->Run(ctx);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!status_.is_ok()) {
      deferred_.Reject(MakeKernelError(env, status_.code(), status_.message()).Value());
      return;
    }
    try {
      deferred_.Resolve(job_->Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<Job> job_;
  std::vector<Napi::Reference<Napi::Value>> pins_;
  std::shared_ptr<souk::ThreadPool> pool_;  // shared: outlives the env's cleanup if still running
  int threads_;
  souk::Status status_;
};

Napi::Value Dispatch(const Napi::CallbackInfo& info, std::unique_ptr<Job> job, Args& args, int threads, bool async) {
  Napi::Env env = info.Env();
  InstanceData* data = Instance(env);
  if (!async) {
    souk::ExecContext ctx{data->pool.get(), threads};
    souk::Status st = job->Run(ctx);
    if (!st.is_ok()) ThrowKernelError(env, st.code(), st.message());
    return job->Result(env);
  }
  auto* worker = new Worker(env, std::move(job), std::move(args.pins), data->pool, threads);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// ---- module init ----

static Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction())
    ThrowKernelError(env, souk::Code::Argument, "Expected the KernelError class for init but received " + Describe(info[0]));
  Instance(env)->kernel_error = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

static Napi::Object ModuleInit(Napi::Env env, Napi::Object exports) {
  auto* data = new InstanceData();
  int workers = souk::hardware_threads() - 1;
  if (const char* env_threads = std::getenv("SOUK_THREADS")) {
    int t = std::atoi(env_threads);
    if (t >= 1 && t <= 1024) workers = t - 1;
  }
  data->pool = std::make_shared<souk::ThreadPool>(workers);
  // Freed (and the pool's workers joined once no async job holds it) when this environment is
  // torn down: the main thread at exit, or a worker thread when it ends or is terminated.
  env.SetInstanceData<InstanceData>(data);
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  RegisterMachine(env, exports);
  RegisterRetrieval(env, exports);
  RegisterFactorization(env, exports);
  RegisterDevice(env, exports);
  souk_cuda_bridge::device_info();  // the device probe runs once, at the first load
  return exports;
}

}  // namespace souk_addon

static Napi::Object SoukInit(Napi::Env env, Napi::Object exports) { return souk_addon::ModuleInit(env, exports); }
NODE_API_MODULE(souk, SoukInit)
