// native/addon/retrieval.cc — bindings of the Kernels I ops: scores, topK, softmaxTopK,
// sampleTopK, gram. Each takes positional arguments (see packages/kernels/src/binding.ts),
// re-checks every buffer length against the shape it claims, and runs sync or async.
//
// Backend selector (last-but-two argument): 0 = cpu, 1 = ref, 2 = cuda. With cuda, the query and
// item matrices may also be DeviceMatrix handles (resident on the device); the bridge uploads the
// rest and runs the cuda/src launchers on this (sync) or the AsyncWorker's (async) thread.
#include "addon.h"
#include "souk/retrieval.h"

namespace souk_addon {

namespace {

constexpr int kCpu = kBackendCpu, kRef = kBackendRef, kCuda = kBackendCuda;
int64_t NonNeg(Args& a, size_t i, const char* name) { return ReadSize(a, i, name); }

int64_t Mul(int64_t a, int64_t b, const char* what) {
  if (a != 0 && b > INT64_MAX / a) throw ArgError{souk::Code::Shape, std::string("size overflow in ") + what};
  return a * b;
}

// A Float32Array of rows x cols, or (backend cuda only) a DeviceMatrix handle of that shape.
souk_cuda_bridge::Operand Matrix(Args& a, size_t data_i, int64_t rows, int64_t cols, const char* name, int backend) {
  souk_cuda_bridge::Operand o;
  o.host = souk::MatrixView{nullptr, rows, cols, cols};
  o.dev = DeviceHandleOf(a.Value(data_i), name);
  if (o.dev) {
    if (backend != kCuda)
      throw ArgError{souk::Code::Argument, std::string("Expected a Float32Array for ") + name +
                                               " but received a DeviceMatrix on the device (it needs backend 'cuda')"};
    if (o.dev->rows != rows || o.dev->cols != cols)
      throw ArgError{souk::Code::Shape, "Expected a " + std::to_string(rows) + " x " + std::to_string(cols) + " DeviceMatrix for " +
                                            name + " but received " + std::to_string(o.dev->rows) + " x " + std::to_string(o.dev->cols)};
    a.Pin(data_i);
    return o;
  }
  o.host.data = a.F32(data_i, name, Mul(rows, cols, name));
  return o;
}

souk::BitsetView Bitset(Args& a, size_t i, int64_t bits) {
  souk::BitsetView v;
  if (a.IsNullish(i)) return v;
  v.bytes = a.U8(i, "allow.bytes", (bits + 7) / 8);
  v.bits = bits;
  return v;
}


souk::TopKOut TopKOutputs(Args& a, size_t i, int64_t m, int64_t k) {
  souk::TopKOut o;
  int64_t mk = Mul(m, k, "topK output");
  o.indices = a.I32Out(i, "out.indices", mk);
  o.scores = a.F32Out(i + 1, "out.scores", mk);
  o.counts = a.I32Out(i + 2, "out.counts", m);
  o.rows = m;
  o.k = k;
  return o;
}

// k is range-checked here too (the TS layer does it first) so output sizes are sane.
int64_t ReadK(Args& a, size_t i) {
  int64_t k = a.Int(i, "k");
  if (k <= 0 || k > souk::kMaxK)
    throw ArgError{souk::Code::KRange, "Expected k in [1, " + std::to_string(souk::kMaxK) + "] for k but received " + std::to_string(k)};
  return k;
}

// ---- jobs ----

struct ScoresJob : Job {
  souk_cuda_bridge::Operand q, items;
  souk::MutMatrixView out;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::scores(q, items, out);
    return backend == kRef ? souk::scores_ref(q.host, items.host, out) : souk::scores_cpu(ctx, q.host, items.host, out);
  }
};

struct TopKJob : Job {
  souk_cuda_bridge::Operand q, items;
  souk::TopKParams p;
  souk::TopKOut out;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::topk(q, items, p, out);
    return backend == kRef ? souk::topk_ref(q.host, items.host, p, out) : souk::topk_cpu(ctx, q.host, items.host, p, out);
  }
};

struct SoftmaxJob : Job {
  souk_cuda_bridge::Operand q, items;
  souk::SoftmaxParams p;
  souk::TopKOut out;
  souk::SoftmaxOut sm;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::softmax_topk(q, items, p, out, sm);
    return backend == kRef ? souk::softmax_topk_ref(q.host, items.host, p, out, sm)
                           : souk::softmax_topk_cpu(ctx, q.host, items.host, p, out, sm);
  }
};

struct SampleJob : Job {
  souk_cuda_bridge::Operand q, items;
  souk::SampleParams p;
  souk::TopKOut out;
  souk::SoftmaxOut sm;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::sample_topk(q, items, p, out, sm);
    return backend == kRef ? souk::sample_topk_ref(q.host, items.host, p, out, sm)
                           : souk::sample_topk_cpu(ctx, q.host, items.host, p, out, sm);
  }
};

struct GramJob : Job {
  souk_cuda_bridge::Operand y;
  souk::MutMatrixView out;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::gram(y, out);
    return backend == kRef ? souk::gram_ref(y.host, out) : souk::gram_cpu(ctx, y.host, out);
  }
};

// ---- entry points ----

// scores(q, m, d, items, n, out, threads, backend, async)
Napi::Value Scores(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<ScoresJob>();
    job->backend = ReadBackend(a, 7);
    int64_t m = NonNeg(a, 1, "m"), d = NonNeg(a, 2, "d"), n = NonNeg(a, 4, "n");
    job->q = Matrix(a, 0, m, d, "queries.data", job->backend);
    job->items = Matrix(a, 3, n, d, "items.data", job->backend);
    float* out = a.F32Out(5, "out", Mul(m, n, "scores output"));
    job->out = souk::MutMatrixView{out, m, n, n};
    int threads = static_cast<int>(a.Int(6, "threads"));
    bool async = a.Bool(8, "async");
    return Dispatch(info, std::move(job), a, threads, async);
  });
}

// topK(q, m, d, items, n, k, exIndptr, exIndices, allowBytes, candIndptr, candIndices,
//      outIdx, outScores, outCounts, threads, backend, async)
Napi::Value TopK(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<TopKJob>();
    job->backend = ReadBackend(a, 15);
    int64_t m = NonNeg(a, 1, "m"), d = NonNeg(a, 2, "d"), n = NonNeg(a, 4, "n");
    job->q = Matrix(a, 0, m, d, "queries.data", job->backend);
    job->items = Matrix(a, 3, n, d, "items.data", job->backend);
    job->p.k = ReadK(a, 5);
    job->p.exclude = a.Csr(6, "exclude", m, n);  // reads 6, 7 (no data array)
    job->p.allow = Bitset(a, 8, n);
    job->p.candidates = a.Csr(9, "candidates", m, n);  // reads 9, 10
    job->out = TopKOutputs(a, 11, m, job->p.k);
    int threads = static_cast<int>(a.Int(14, "threads"));
    bool async = a.Bool(16, "async");
    return Dispatch(info, std::move(job), a, threads, async);
  });
}

// softmaxTopK(q, m, d, items, n, k, temperature, exIndptr, exIndices, allowBytes,
//             outIdx, outScores, outCounts, outProbs, outLogZ, threads, backend, async)
Napi::Value SoftmaxTopK(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<SoftmaxJob>();
    job->backend = ReadBackend(a, 16);
    int64_t m = NonNeg(a, 1, "m"), d = NonNeg(a, 2, "d"), n = NonNeg(a, 4, "n");
    job->q = Matrix(a, 0, m, d, "queries.data", job->backend);
    job->items = Matrix(a, 3, n, d, "items.data", job->backend);
    job->p.k = ReadK(a, 5);
    job->p.temperature = a.Number(6, "temperature");
    job->p.exclude = a.Csr(7, "exclude", m, n);
    job->p.allow = Bitset(a, 9, n);
    job->out = TopKOutputs(a, 10, m, job->p.k);
    job->sm.probs = a.F32Out(13, "out.probs", Mul(m, job->p.k, "probs"));
    job->sm.log_z = a.F32Out(14, "out.logZ", m);
    int threads = static_cast<int>(a.Int(15, "threads"));
    bool async = a.Bool(17, "async");
    return Dispatch(info, std::move(job), a, threads, async);
  });
}

// sampleTopK(q, m, d, items, n, k, temperature, seed, exIndptr, exIndices, allowBytes,
//            outIdx, outScores, outCounts, outProbs, outLogZ, threads, backend, async)
Napi::Value SampleTopK(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<SampleJob>();
    job->backend = ReadBackend(a, 17);
    int64_t m = NonNeg(a, 1, "m"), d = NonNeg(a, 2, "d"), n = NonNeg(a, 4, "n");
    job->q = Matrix(a, 0, m, d, "queries.data", job->backend);
    job->items = Matrix(a, 3, n, d, "items.data", job->backend);
    job->p.k = ReadK(a, 5);
    job->p.temperature = a.Number(6, "temperature");
    job->p.seed = a.Seed(7, "seed");
    job->p.exclude = a.Csr(8, "exclude", m, n);
    job->p.allow = Bitset(a, 10, n);
    job->out = TopKOutputs(a, 11, m, job->p.k);
    job->sm.probs = a.F32Out(14, "out.probs", Mul(m, job->p.k, "probs"));
    job->sm.log_z = a.F32Out(15, "out.logZ", m);
    int threads = static_cast<int>(a.Int(16, "threads"));
    bool async = a.Bool(18, "async");
    return Dispatch(info, std::move(job), a, threads, async);
  });
}

// gram(y, n, d, out, threads, backend, async)
Napi::Value Gram(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<GramJob>();
    job->backend = ReadBackend(a, 5);
    int64_t n = NonNeg(a, 1, "n"), d = NonNeg(a, 2, "d");
    job->y = Matrix(a, 0, n, d, "y.data", job->backend);
    float* out = a.F32Out(3, "out", Mul(d, d, "gram output"));
    job->out = souk::MutMatrixView{out, d, d, d};
    int threads = static_cast<int>(a.Int(4, "threads"));
    bool async = a.Bool(6, "async");
    return Dispatch(info, std::move(job), a, threads, async);
  });
}

}  // namespace

void RegisterRetrieval(Napi::Env env, Napi::Object exports) {
  exports.Set("scores", Napi::Function::New(env, Scores, "scores"));
  exports.Set("topK", Napi::Function::New(env, TopK, "topK"));
  exports.Set("softmaxTopK", Napi::Function::New(env, SoftmaxTopK, "softmaxTopK"));
  exports.Set("sampleTopK", Napi::Function::New(env, SampleTopK, "sampleTopK"));
  exports.Set("gram", Napi::Function::New(env, Gram, "gram"));
}

}  // namespace souk_addon
