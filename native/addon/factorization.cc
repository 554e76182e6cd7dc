// native/addon/factorization.cc — bindings of the Kernels II ops: alsSolve, alsLoss, sgdEpoch,
// bprEpoch, and transposeCsr. Positional arguments (see packages/kernels/src/binding.ts); every
// buffer length is re-checked against the shape it claims; sync or async like every op.
// Backend selector: 0 = cpu, 1 = ref, 2 = cuda (the bridge: upload, cuda/src launcher, download; for
// SGD/BPR `threads` becomes the number of parallel sample chunks, so threads = 1 reproduces the
// reference's visiting order on the device as it does on the CPU).
#include <algorithm>

#include "addon.h"
#include "souk/factorization.h"
#include "souk/sparse.h"

namespace souk_addon {

namespace {

constexpr int kCpu = kBackendCpu, kRef = kBackendRef, kCuda = kBackendCuda;
// CSR dimensions are int32 indices.
int64_t NonNeg(Args& a, size_t i, const char* name) { return ReadSize(a, i, name, INT32_MAX); }

souk::MutMatrixView MutMatrix(Args& a, size_t i, int64_t rows, int64_t cols, const char* name) {
  float* p = a.F32Out(i, name, rows * cols);
  return souk::MutMatrixView{p, rows, cols, cols};
}

souk::MutVectorView MutVector(Args& a, size_t i, int64_t n, const char* name) {
  return souk::MutVectorView{a.F32Out(i, name, n), n};
}

struct AlsSolveJob : Job {
  souk::CsrView c;
  souk::MatrixView y, yty;
  souk::MutMatrixView x;
  souk::AlsParams p;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::als_solve(c, y, yty, x, p);
    return backend == kRef ? souk::als_solve_ref(c, y, yty, x, p) : souk::als_solve_cpu(ctx, c, y, yty, x, p);
  }
};

struct AlsLossJob : Job {
  souk::CsrView c;
  souk::MatrixView x, y;
  souk::AlsLossParams p;
  souk::AlsLossOut out;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::als_loss(c, x, y, p, &out);
    return backend == kRef ? souk::als_loss_ref(c, x, y, p, &out) : souk::als_loss_cpu(ctx, c, x, y, p, &out);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", out.loss);
    o.Set("numerator", out.numerator);
    o.Set("denominator", out.denominator);
    return o;
  }
};

struct SgdJob : Job {
  souk::CsrView r;
  souk::MutMatrixView p, q;
  souk::MutVectorView ub, ib;
  souk::SgdParams params;
  souk::SgdOut out;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::sgd_epoch(r, p, q, ub, ib, params, &out, ctx.threads);
    return backend == kRef ? souk::sgd_epoch_ref(r, p, q, ub, ib, params, &out)
                           : souk::sgd_epoch_cpu(ctx, r, p, q, ub, ib, params, &out);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("rmse", out.rmse);
    o.Set("samples", static_cast<double>(out.samples));
    return o;
  }
};

struct BprJob : Job {
  souk::CsrView c;
  souk::MutMatrixView p, q;
  souk::MutVectorView ib;
  souk::BprParams params;
  souk::BprOut out;
  int backend = kCpu;
  souk::Status Run(const souk::ExecContext& ctx) override {
    if (backend == kCuda) return souk_cuda_bridge::bpr_epoch(c, p, q, ib, params, &out, ctx.threads);
    return backend == kRef ? souk::bpr_epoch_ref(c, p, q, ib, params, &out)
                           : souk::bpr_epoch_cpu(ctx, c, p, q, ib, params, &out);
  }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", out.loss);
    o.Set("processed", static_cast<double>(out.processed));
    o.Set("skipped", static_cast<double>(out.skipped));
    o.Set("correct", static_cast<double>(out.correct));
    return o;
  }
};

struct TransposeJob : Job {
  souk::CsrView in;
  int32_t* out_indptr = nullptr;
  int32_t* out_indices = nullptr;
  float* out_data = nullptr;
  souk::Status Run(const souk::ExecContext& ctx) override {
    souk::CsrMatrix t;
    SOUK_RETURN_IF_ERROR(souk::transpose_csr(ctx, in, &t));
    std::copy(t.indptr.begin(), t.indptr.end(), out_indptr);
    std::copy(t.indices.begin(), t.indices.end(), out_indices);
    if (out_data) {
      if (t.data.empty()) std::fill(out_data, out_data + t.indices.size(), 1.0f);
      else std::copy(t.data.begin(), t.data.end(), out_data);
    }
    return souk::Status::ok();
  }
};

// alsSolve(cIndptr, cIndices, cData, users, items, y, d, yty, x, reg, solver, cgSteps, threads, backend, async)
Napi::Value AlsSolve(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<AlsSolveJob>();
    int64_t users = NonNeg(a, 3, "users"), items = NonNeg(a, 4, "items"), d = NonNeg(a, 6, "d");
    job->c = a.Csr(0, "confidence", users, items, true);
    job->y = MutMatrix(a, 5, items, d, "y.data").view();
    job->yty = MutMatrix(a, 7, d, d, "yty.data").view();
    job->x = MutMatrix(a, 8, users, d, "x.data");
    job->p.regularization = a.Number(9, "regularization");
    int64_t solver = a.Int(10, "solver");
    if (solver != 0 && solver != 1) throw ArgError{souk::Code::Argument, "Expected 0 (cg) or 1 (cholesky) for solver but received " + std::to_string(solver)};
    job->p.solver = static_cast<souk::AlsSolver>(solver);
    job->p.cg_steps = static_cast<int32_t>(a.Int(11, "cgSteps"));
    int threads = static_cast<int>(a.Int(12, "threads"));
    job->backend = ReadBackend(a, 13);
    return Dispatch(info, std::move(job), a, threads, a.Bool(14, "async"));
  });
}

// alsLoss(cIndptr, cIndices, cData, users, items, x, y, d, reg, threads, backend, async)
Napi::Value AlsLoss(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<AlsLossJob>();
    int64_t users = NonNeg(a, 3, "users"), items = NonNeg(a, 4, "items"), d = NonNeg(a, 7, "d");
    job->c = a.Csr(0, "confidence", users, items, true);
    job->x = MutMatrix(a, 5, users, d, "x.data").view();
    job->y = MutMatrix(a, 6, items, d, "y.data").view();
    job->p.regularization = a.Number(8, "regularization");
    int threads = static_cast<int>(a.Int(9, "threads"));
    job->backend = ReadBackend(a, 10);
    return Dispatch(info, std::move(job), a, threads, a.Bool(11, "async"));
  });
}

// sgdEpoch(rIndptr, rIndices, rData, users, items, p, q, d, userBias, itemBias, lr, reg, mu, seed, threads, backend, async)
Napi::Value SgdEpoch(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<SgdJob>();
    int64_t users = NonNeg(a, 3, "users"), items = NonNeg(a, 4, "items"), d = NonNeg(a, 7, "d");
    job->r = a.Csr(0, "ratings", users, items, true);
    job->p = MutMatrix(a, 5, users, d, "p.data");
    job->q = MutMatrix(a, 6, items, d, "q.data");
    job->ub = MutVector(a, 8, users, "userBias");
    job->ib = MutVector(a, 9, items, "itemBias");
    job->params.learning_rate = a.Number(10, "learningRate");
    job->params.regularization = a.Number(11, "regularization");
    job->params.global_mean = a.Number(12, "globalMean");
    job->params.seed = a.Seed(13, "seed");
    int threads = static_cast<int>(a.Int(14, "threads"));
    job->backend = ReadBackend(a, 15);
    return Dispatch(info, std::move(job), a, threads, a.Bool(16, "async"));
  });
}

// bprEpoch(cIndptr, cIndices, users, items, p, q, d, itemBias, lr, reg, samples, seed, verify, negatives, threads, backend, async)
Napi::Value BprEpoch(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<BprJob>();
    int64_t users = NonNeg(a, 2, "users"), items = NonNeg(a, 3, "items"), d = NonNeg(a, 6, "d");
    job->c = a.Csr(0, "interactions", users, items, false);
    job->p = MutMatrix(a, 4, users, d, "p.data");
    job->q = MutMatrix(a, 5, items, d, "q.data");
    job->ib = MutVector(a, 7, items, "itemBias");
    job->params.learning_rate = a.Number(8, "learningRate");
    job->params.regularization = a.Number(9, "regularization");
    job->params.samples = a.Int(10, "samples");
    job->params.seed = a.Seed(11, "seed");
    job->params.verify_negatives = a.Bool(12, "verifyNegatives");
    int64_t neg = a.Int(13, "negatives");
    if (neg != 0 && neg != 1) throw ArgError{souk::Code::Argument, "Expected 0 (popularity) or 1 (uniform) for negatives but received " + std::to_string(neg)};
    job->params.negatives = static_cast<souk::BprNegatives>(neg);
    int threads = static_cast<int>(a.Int(14, "threads"));
    job->backend = ReadBackend(a, 15);
    return Dispatch(info, std::move(job), a, threads, a.Bool(16, "async"));
  });
}

// transposeCsr(indptr, indices, data|null, rows, cols, outIndptr, outIndices, outData|null, threads, async)
Napi::Value TransposeCsr(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Args a(info);
    auto job = std::make_unique<TransposeJob>();
    int64_t rows = NonNeg(a, 3, "rows"), cols = NonNeg(a, 4, "cols");
    job->in = a.Csr(0, "csr", rows, cols, true);
    job->out_indptr = a.I32Out(5, "out.indptr", cols + 1);
    job->out_indices = a.I32Out(6, "out.indices", job->in.nnz);
    if (!a.IsNullish(7)) job->out_data = a.F32Out(7, "out.data", job->in.nnz);
    int threads = static_cast<int>(a.Int(8, "threads"));
    return Dispatch(info, std::move(job), a, threads, a.Bool(9, "async"));
  });
}

}  // namespace

void RegisterFactorization(Napi::Env env, Napi::Object exports) {
  exports.Set("alsSolve", Napi::Function::New(env, AlsSolve, "alsSolve"));
  exports.Set("alsLoss", Napi::Function::New(env, AlsLoss, "alsLoss"));
  exports.Set("sgdEpoch", Napi::Function::New(env, SgdEpoch, "sgdEpoch"));
  exports.Set("bprEpoch", Napi::Function::New(env, BprEpoch, "bprEpoch"));
  exports.Set("transposeCsr", Napi::Function::New(env, TransposeCsr, "transposeCsr"));
}

}  // namespace souk_addon
