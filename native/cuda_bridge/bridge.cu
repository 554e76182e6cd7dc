// native/cuda_bridge/bridge.cu — the device layer behind bridge.h: probe, context pool, staging of
// host operands, the retrieval ops through the cuda/src launchers, resident matrices, and the
// bandwidth / FMA microbenchmarks. Built by nvcc for the GPU (with cudart_static) and by g++ against
// the SIMT emulator for the emulated addon (souk_emu.node): the same host code and launch path.
//
// Memory: each leased context owns one growable staging arena (inputs and outputs of a call, carved
// at 256-byte alignment); an arena above kKeepArenaBytes is freed when the lease ends. Resident
// matrices are separate allocations. SOUK_CUDA_MAX_BYTES caps what the bridge allocates (arenas and
// resident matrices together): a request beyond it fails with Code::DeviceOom like a real
// cudaMalloc failure, so callers can share a GPU, and tests can reach the OOM path. Before an
// allocation is reported as failed, the idle contexts' arenas are released and it is tried again.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "bridge.h"
#include "simt/compat.cuh"
#include "souk/cuda/context.h"
#include "souk/cuda/factorization.h"
#include "souk/cuda/retrieval.h"

namespace souk_cuda_bridge {

namespace {

using souk::Code;
using souk::Status;
using souk::cuda::status_from_cuda;

constexpr size_t kAlign = 256;
constexpr size_t kKeepArenaBytes = size_t(64) << 20;

// ---- device allocations under the optional cap --------------------------------------------------

int64_t memory_cap() {
  static const int64_t cap = [] {
    const char* v = std::getenv("SOUK_CUDA_MAX_BYTES");
    if (!v || !*v) return int64_t(0);
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    return (end && *end == '\0' && n > 0) ? int64_t(n) : int64_t(0);
  }();
  return cap;
}

std::atomic<int64_t> g_used{0};

void release_idle_arenas();

// One try; on failure (the cap or a real cudaMalloc failure) the idle contexts' staging arenas are
// released and the request is tried once more.
Status dev_alloc_once(size_t bytes, void** p, const char* what);
Status dev_alloc(size_t bytes, void** p, const char* what) {
  Status st = dev_alloc_once(bytes, p, what);
  if (st.code() != Code::DeviceOom) return st;
  release_idle_arenas();
  return dev_alloc_once(bytes, p, what);
}

Status dev_alloc_once(size_t bytes, void** p, const char* what) {
  *p = nullptr;
  const size_t want = std::max<size_t>(bytes, 1);
  const int64_t now = g_used.fetch_add(int64_t(want)) + int64_t(want);
  const int64_t cap = memory_cap();
  if (cap > 0 && now > cap) {
    g_used.fetch_sub(int64_t(want));
    return Status(Code::DeviceOom, std::string(what) + ": Expected at most SOUK_CUDA_MAX_BYTES = " + std::to_string(cap) +
                                       " bytes of device memory in use but received a request for " +
                                       std::to_string(want) + " more bytes (" + std::to_string(now - int64_t(want)) +
                                       " in use)");
  }
  cudaError_t e = cudaMalloc(p, want);
  if (e != cudaSuccess) {
    g_used.fetch_sub(int64_t(want));
    *p = nullptr;
    cudaGetLastError();  // an allocation failure is not sticky: clear it, report it
    return status_from_cuda(e, what);
  }
  return Status::ok();
}

void dev_free(void* p, size_t bytes) {
  if (!p) return;
  cudaFree(p);
  g_used.fetch_sub(int64_t(std::max<size_t>(bytes, 1)));
}

// ---- the context pool -----------------------------------------------------------------------------

struct Slot {
  souk::cuda::CudaContext ctx;
  char* arena = nullptr;
  size_t arena_bytes = 0;
};

std::mutex g_pool_m;
std::vector<Slot*> g_free_slots;  // never destroyed: no CUDA calls during static destruction

// Frees the staging arenas of the contexts nobody leases now (their streams are idle: a lease
// synchronises before it gives its context back).
void release_idle_arenas() {
  std::lock_guard<std::mutex> lk(g_pool_m);
  for (Slot* s : g_free_slots) {
    dev_free(s->arena, s->arena_bytes);
    s->arena = nullptr;
    s->arena_bytes = 0;
  }
}

// A context for one call: taken from the pool (or created), given back when the call ends.
class Lease {
 public:
  Lease() {
    {
      std::lock_guard<std::mutex> lk(g_pool_m);
      if (!g_free_slots.empty()) {
        slot_ = g_free_slots.back();
        g_free_slots.pop_back();
      }
    }
    if (!slot_) {
      slot_ = new Slot();
      status_ = slot_->ctx.init(0);
      if (!status_.is_ok()) {
        delete slot_;
        slot_ = nullptr;
      }
    }
  }
  ~Lease() {
    if (!slot_) return;
    cudaStreamSynchronize(slot_->ctx.stream());
    if (slot_->arena_bytes > kKeepArenaBytes) {
      dev_free(slot_->arena, slot_->arena_bytes);
      slot_->arena = nullptr;
      slot_->arena_bytes = 0;
    }
    cudaGetLastError();
    std::lock_guard<std::mutex> lk(g_pool_m);
    g_free_slots.push_back(slot_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  const Status& status() const { return status_; }
  souk::cuda::CudaContext& ctx() { return slot_->ctx; }
  cudaStream_t stream() { return slot_->ctx.stream(); }

  // The arena, grown to at least `bytes`.
  Status arena(size_t bytes, char** out) {
    *out = nullptr;
    if (bytes > slot_->arena_bytes) {
      SOUK_RETURN_IF_ERROR(status_from_cuda(cudaStreamSynchronize(stream()), "cudaStreamSynchronize"));
      dev_free(slot_->arena, slot_->arena_bytes);
      slot_->arena = nullptr;
      slot_->arena_bytes = 0;
      void* p = nullptr;
      SOUK_RETURN_IF_ERROR(dev_alloc(bytes, &p, "cudaMalloc(staging)"));
      slot_->arena = static_cast<char*>(p);
      slot_->arena_bytes = bytes;
    }
    *out = slot_->arena;
    return Status::ok();
  }

 private:
  Slot* slot_ = nullptr;
  Status status_;
};

// ---- staging: host inputs up, outputs down, through one arena -------------------------------------

class Staging {
 public:
  explicit Staging(Lease& lease) : lease_(lease) {}

  // Registers an input copied to the device (null or 0 bytes: no region). Returns its id.
  int in(const void* host, size_t bytes) { return add(host, nullptr, bytes); }
  // Registers an output copied back to `host` after the launch.
  int out(void* host, size_t bytes) { return add(nullptr, host, bytes); }
  // Registers a buffer updated in place: uploaded, then copied back.
  int inout(void* host, size_t bytes) { return add(host, host, bytes); }

  // Allocates the arena and enqueues the uploads.
  Status upload() {
    char* base = nullptr;
    SOUK_RETURN_IF_ERROR(lease_.arena(std::max<size_t>(total_, kAlign), &base));
    base_ = base;
    for (const Region& r : regions_) {
      if (r.src && r.bytes)
        SOUK_RETURN_IF_ERROR(status_from_cuda(
            cudaMemcpyAsync(base_ + r.offset, r.src, r.bytes, cudaMemcpyHostToDevice, lease_.stream()), "cudaMemcpyAsync(upload)"));
    }
    return Status::ok();
  }

  // Enqueues the downloads and waits for them.
  Status download() {
    for (const Region& r : regions_) {
      if (r.dst && r.bytes)
        SOUK_RETURN_IF_ERROR(status_from_cuda(
            cudaMemcpyAsync(r.dst, base_ + r.offset, r.bytes, cudaMemcpyDeviceToHost, lease_.stream()), "cudaMemcpyAsync(download)"));
    }
    return status_from_cuda(cudaStreamSynchronize(lease_.stream()), "cudaStreamSynchronize");
  }

  template <class T>
  T* ptr(int id) const {
    return id < 0 ? nullptr : reinterpret_cast<T*>(base_ + regions_[size_t(id)].offset);
  }

 private:
  struct Region {
    size_t offset, bytes;
    const void* src;
    void* dst;
  };
  int add(const void* src, void* dst, size_t bytes) {
    if (!src && !dst) return -1;
    regions_.push_back(Region{total_, bytes, src, dst});
    total_ += (bytes + kAlign - 1) / kAlign * kAlign;
    return int(regions_.size() - 1);
  }
  Lease& lease_;
  std::vector<Region> regions_;
  size_t total_ = 0;
  char* base_ = nullptr;
};

size_t fbytes(int64_t count) { return size_t(count) * sizeof(float); }
size_t ibytes(int64_t count) { return size_t(count) * sizeof(int32_t); }

// The shape of an operand with whichever pointer it has (for the core's validators, which never
// dereference matrix data).
souk::MatrixView shape_of(const Operand& o) {
  if (o.dev) return souk::MatrixView{o.dev->data, o.dev->rows, o.dev->cols, o.dev->cols};
  return o.host;
}

Status check_operand(const Operand& o, const char* name) {
  if (o.dev && (o.dev->rows != o.host.rows || o.dev->cols != o.host.cols))
    return Status(Code::Shape, std::string("Expected a ") + std::to_string(o.host.rows) + " x " + std::to_string(o.host.cols) +
                                   " DeviceMatrix for " + name + " but received " + std::to_string(o.dev->rows) + " x " +
                                   std::to_string(o.dev->cols));
  if (!o.dev && o.host.rows > 0 && o.host.stride != o.host.cols)
    return Status(Code::Internal, std::string("host operand ") + name + " must be contiguous");
  return Status::ok();
}

// A matrix operand staged for the launch: a region id (host data) or the resident device pointer.
struct Staged {
  int id = -1;
  const float* dev = nullptr;
  int64_t rows = 0, cols = 0;
};

Staged stage_matrix(Staging& s, const Operand& o) {
  Staged st;
  st.rows = o.dev ? o.dev->rows : o.host.rows;
  st.cols = o.dev ? o.dev->cols : o.host.cols;
  if (o.dev) st.dev = o.dev->data;
  else st.id = s.in(o.host.data, fbytes(st.rows * st.cols));
  return st;
}

souk::MatrixView device_view(const Staging& s, const Staged& m) {
  const float* p = m.dev ? m.dev : s.ptr<const float>(m.id);
  return souk::MatrixView{p, m.rows, m.cols, m.cols};
}

struct StagedCsr {
  int indptr = -1, indices = -1;
  souk::CsrView host;
};

StagedCsr stage_csr(Staging& s, const souk::CsrView& c) {
  StagedCsr st;
  st.host = c;
  if (!c.present()) return st;
  st.indptr = s.in(c.indptr, ibytes(c.rows + 1));
  st.indices = s.in(c.indices, ibytes(c.nnz));
  return st;
}

// A CSR with its values (training inputs): indptr, indices and (when present) data.
struct StagedCsrData {
  StagedCsr pattern;
  int data = -1;
};

StagedCsrData stage_csr_data(Staging& s, const souk::CsrView& c) {
  StagedCsrData st;
  st.pattern = stage_csr(s, c);
  if (c.present() && c.data) st.data = s.in(c.data, fbytes(c.nnz));
  return st;
}

souk::CsrView device_csr(const Staging& s, const StagedCsr& c);

souk::CsrView device_csr_data(const Staging& s, const StagedCsrData& c) {
  souk::CsrView v = device_csr(s, c.pattern);
  if (c.data >= 0) v.data = s.ptr<const float>(c.data);
  return v;
}

souk::CsrView device_csr(const Staging& s, const StagedCsr& c) {
  if (!c.host.present()) return souk::CsrView{};
  souk::CsrView v = c.host;
  v.indptr = s.ptr<const int32_t>(c.indptr);
  v.indices = c.host.nnz ? s.ptr<const int32_t>(c.indices) : s.ptr<const int32_t>(c.indptr);
  v.data = nullptr;
  return v;
}

struct StagedBits {
  int id = -1;
  souk::BitsetView host;
};

StagedBits stage_bits(Staging& s, const souk::BitsetView& b) {
  StagedBits st;
  st.host = b;
  if (b.present()) st.id = s.in(b.bytes, size_t((b.bits + 7) / 8));
  return st;
}

souk::BitsetView device_bits(const Staging& s, const StagedBits& b) {
  if (!b.host.present()) return souk::BitsetView{};
  return souk::BitsetView{s.ptr<const uint8_t>(b.id), b.host.bits};
}

struct StagedTopK {
  int indices = -1, scores = -1, counts = -1;
  int64_t rows = 0, k = 0;
};

StagedTopK stage_topk_out(Staging& s, const souk::TopKOut& o) {
  StagedTopK st;
  st.rows = o.rows;
  st.k = o.k;
  st.indices = s.out(o.indices, ibytes(o.rows * o.k));
  st.scores = s.out(o.scores, fbytes(o.rows * o.k));
  st.counts = s.out(o.counts, ibytes(o.rows));
  return st;
}

souk::TopKOut device_topk_out(const Staging& s, const StagedTopK& o) {
  souk::TopKOut v;
  v.indices = s.ptr<int32_t>(o.indices);
  v.scores = s.ptr<float>(o.scores);
  v.counts = s.ptr<int32_t>(o.counts);
  v.rows = o.rows;
  v.k = o.k;
  return v;
}

Status check_k(int64_t k) {
  if (k < 1 || k > souk::cuda::kCudaMaxK)
    return Status(Code::KRange, "Expected k in [1, " + std::to_string(souk::cuda::kCudaMaxK) +
                                    "] (the CUDA backend's maxK) for k but received " + std::to_string(k));
  return Status::ok();
}

// ---- probe ------------------------------------------------------------------------------------------

DeviceInfo probe() {
  DeviceInfo d;
  d.compiled = true;
  d.emulated = SIMT_EMULATED != 0;
  d.max_k = souk::cuda::kCudaMaxK;
  d.memory_cap = memory_cap();
  cudaRuntimeGetVersion(&d.runtime_version);
  int driver = 0;
  if (cudaDriverGetVersion(&driver) == cudaSuccess) d.driver_version = driver;
  cudaGetLastError();
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    const std::string why = std::string(" (cudaGetDeviceCount: ") + cudaGetErrorName(e) + ")";
    if (e == cudaErrorInsufficientDriver)
      d.reason = (d.driver_version == 0 ? "no CUDA driver" : "the CUDA driver (" + std::to_string(d.driver_version) +
                                                                ") is older than this build's CUDA runtime (" +
                                                                std::to_string(d.runtime_version) + ")") + why;
    else if (e == cudaErrorNoDevice)
      d.reason = "no CUDA device" + why;
    else
      d.reason = std::string("CUDA initialisation failed: ") + cudaGetErrorString(e) + why;
    return d;
  }
  if (n <= 0) {
    d.reason = "no CUDA device (cudaGetDeviceCount: 0)";
    return d;
  }
  cudaDeviceProp prop;
  std::memset(&prop, 0, sizeof prop);
  const cudaError_t pe = cudaGetDeviceProperties(&prop, 0);
  if (pe != cudaSuccess) {
    cudaGetLastError();
    d.reason = std::string("cudaGetDeviceProperties failed: ") + cudaGetErrorName(pe);
    return d;
  }
  d.name = prop.name;
  d.major = prop.major;
  d.minor = prop.minor;
  d.multiprocessors = prop.multiProcessorCount;
  d.total_memory = int64_t(prop.totalGlobalMem);
  d.shared_per_block = int64_t(prop.sharedMemPerBlockOptin);
  d.memory_bus_width = prop.memoryBusWidth;
  if (prop.major < 8) {
    d.reason = "device 0 (" + d.name + ") has compute capability " + std::to_string(prop.major) + "." +
               std::to_string(prop.minor) + "; this build carries code for 8.0 and newer only";
    return d;
  }
  d.available = true;
  return d;
}

Status require_device() {
  const DeviceInfo& d = device_info();
  if (!d.available) return Status(Code::NoDevice, "backend 'cuda' was asked for but " + d.reason);
  return Status::ok();
}

// ---- microbenchmark kernels (portable subset: SIMT_LAUNCH, no inline PTX) -------------------------

__global__ void read_bandwidth_kernel(const float4* __restrict__ p, long long n4, float* sink) {
  float acc = 0.0f;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 v = p[i];
    acc += (v.x + v.y) + (v.z + v.w);
  }
  if (acc == -1.0f) sink[0] = acc;  // never true (the buffer is zero): keeps the loads alive
}

__global__ void fma_peak_kernel(int iters, float seed, float* sink) {
  float a0 = seed + (float)threadIdx.x, a1 = a0 + 1.0f, a2 = a0 + 2.0f, a3 = a0 + 3.0f;
  float a4 = a0 + 4.0f, a5 = a0 + 5.0f, a6 = a0 + 6.0f, a7 = a0 + 7.0f;
  const float m = 0.999999f, c = 1e-7f;
  for (int i = 0; i < iters; ++i) {
    a0 = fmaf(a0, m, c);
    a1 = fmaf(a1, m, c);
    a2 = fmaf(a2, m, c);
    a3 = fmaf(a3, m, c);
    a4 = fmaf(a4, m, c);
    a5 = fmaf(a5, m, c);
    a6 = fmaf(a6, m, c);
    a7 = fmaf(a7, m, c);
  }
  const float s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  if (s == -1.0f) sink[0] = s;
}

}  // namespace

// ---- public entries -------------------------------------------------------------------------------

const DeviceInfo& device_info() {
  static const DeviceInfo info = probe();
  return info;
}

Status memory_info(int64_t* free_bytes, int64_t* total_bytes) {
  *free_bytes = *total_bytes = 0;
  SOUK_RETURN_IF_ERROR(require_device());
  size_t f = 0, t = 0;
  SOUK_RETURN_IF_ERROR(status_from_cuda(cudaMemGetInfo(&f, &t), "cudaMemGetInfo"));
  *free_bytes = int64_t(f);
  *total_bytes = int64_t(t);
  return Status::ok();
}

DeviceMatrix::~DeviceMatrix() {
  if (data) dev_free(data, fbytes(rows * cols));
}

Status upload_matrix(const float* host, int64_t rows, int64_t cols, std::shared_ptr<DeviceMatrix>* out) {
  out->reset();
  SOUK_RETURN_IF_ERROR(require_device());
  if (rows < 0 || cols < 0 || (rows > 0 && cols > 0 && host == nullptr))
    return Status(Code::Shape, "Expected a rows x cols host matrix for upload");
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  auto m = std::make_shared<DeviceMatrix>();
  void* p = nullptr;
  SOUK_RETURN_IF_ERROR(dev_alloc(fbytes(rows * cols), &p, "cudaMalloc(DeviceMatrix)"));
  m->data = static_cast<float*>(p);
  m->rows = rows;
  m->cols = cols;
  if (rows * cols > 0) {
    SOUK_RETURN_IF_ERROR(status_from_cuda(
        cudaMemcpyAsync(m->data, host, fbytes(rows * cols), cudaMemcpyHostToDevice, lease.stream()), "cudaMemcpyAsync(upload)"));
    SOUK_RETURN_IF_ERROR(status_from_cuda(cudaStreamSynchronize(lease.stream()), "cudaStreamSynchronize"));
  }
  *out = std::move(m);
  return Status::ok();
}

Status download_matrix(const DeviceMatrix& m, float* host) {
  SOUK_RETURN_IF_ERROR(require_device());
  if (m.rows * m.cols == 0) return Status::ok();
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  SOUK_RETURN_IF_ERROR(status_from_cuda(
      cudaMemcpyAsync(host, m.data, fbytes(m.rows * m.cols), cudaMemcpyDeviceToHost, lease.stream()), "cudaMemcpyAsync(download)"));
  return status_from_cuda(cudaStreamSynchronize(lease.stream()), "cudaStreamSynchronize");
}

Status scores(const Operand& q, const Operand& items, const souk::MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(check_operand(q, "queries"));
  SOUK_RETURN_IF_ERROR(check_operand(items, "items"));
  SOUK_RETURN_IF_ERROR(souk::validate_scores(shape_of(q), shape_of(items), out));
  if (out.rows > 0 && out.stride != out.cols) return Status(Code::Internal, "scores output must be contiguous");
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const Staged dq = stage_matrix(s, q), di = stage_matrix(s, items);
  const int o = s.out(out.data, fbytes(out.rows * out.cols));
  SOUK_RETURN_IF_ERROR(s.upload());
  SOUK_RETURN_IF_ERROR(souk::cuda::launch_scores_cuda(lease.ctx(), device_view(s, dq), device_view(s, di),
                                                      souk::MutMatrixView{s.ptr<float>(o), out.rows, out.cols, out.cols}));
  return s.download();
}

Status gram(const Operand& y, const souk::MutMatrixView& out) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(check_operand(y, "y"));
  SOUK_RETURN_IF_ERROR(souk::validate_gram(shape_of(y), out));
  if (out.rows > 0 && out.stride != out.cols) return Status(Code::Internal, "gram output must be contiguous");
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const Staged dy = stage_matrix(s, y);
  const int o = s.out(out.data, fbytes(out.rows * out.cols));
  SOUK_RETURN_IF_ERROR(s.upload());
  SOUK_RETURN_IF_ERROR(
      souk::cuda::launch_gram_cuda(lease.ctx(), device_view(s, dy), souk::MutMatrixView{s.ptr<float>(o), out.rows, out.cols, out.cols}));
  return s.download();
}

Status topk(const Operand& q, const Operand& items, const souk::TopKParams& p, const souk::TopKOut& out) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(check_operand(q, "queries"));
  SOUK_RETURN_IF_ERROR(check_operand(items, "items"));
  SOUK_RETURN_IF_ERROR(check_k(p.k));
  SOUK_RETURN_IF_ERROR(souk::validate_topk(shape_of(q), shape_of(items), p, out));
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const Staged dq = stage_matrix(s, q), di = stage_matrix(s, items);
  const StagedCsr ex = stage_csr(s, p.exclude), cand = stage_csr(s, p.candidates);
  const StagedBits allow = stage_bits(s, p.allow);
  const StagedTopK o = stage_topk_out(s, out);
  SOUK_RETURN_IF_ERROR(s.upload());
  souk::TopKParams dp;
  dp.k = p.k;
  dp.exclude = device_csr(s, ex);
  dp.candidates = device_csr(s, cand);
  dp.allow = device_bits(s, allow);
  SOUK_RETURN_IF_ERROR(
      souk::cuda::launch_topk_cuda(lease.ctx(), device_view(s, dq), device_view(s, di), dp, device_topk_out(s, o)));
  return s.download();
}

// softmaxTopK and sampleTopK stage the same operands and outputs; they differ in their parameter
// type, its validation and the launcher.
template <class Params, class Validate, class Launch>
Status softmax_family(const Operand& q, const Operand& items, const Params& p, const souk::TopKOut& out,
                      const souk::SoftmaxOut& sm, Validate validate, Launch launch) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(check_operand(q, "queries"));
  SOUK_RETURN_IF_ERROR(check_operand(items, "items"));
  SOUK_RETURN_IF_ERROR(check_k(p.k));
  SOUK_RETURN_IF_ERROR(validate(shape_of(q), shape_of(items), p, out, sm));
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const Staged dq = stage_matrix(s, q), di = stage_matrix(s, items);
  const StagedCsr ex = stage_csr(s, p.exclude);
  const StagedBits allow = stage_bits(s, p.allow);
  const StagedTopK o = stage_topk_out(s, out);
  const int probs = s.out(sm.probs, fbytes(out.rows * out.k)), log_z = s.out(sm.log_z, fbytes(out.rows));
  SOUK_RETURN_IF_ERROR(s.upload());
  Params dp = p;
  dp.exclude = device_csr(s, ex);
  dp.allow = device_bits(s, allow);
  souk::SoftmaxOut dsm;
  dsm.probs = s.ptr<float>(probs);
  dsm.log_z = s.ptr<float>(log_z);
  SOUK_RETURN_IF_ERROR(launch(lease.ctx(), device_view(s, dq), device_view(s, di), dp, device_topk_out(s, o), dsm));
  return s.download();
}

Status softmax_topk(const Operand& q, const Operand& items, const souk::SoftmaxParams& p, const souk::TopKOut& out,
                    const souk::SoftmaxOut& sm) {
  return softmax_family(q, items, p, out, sm, souk::validate_softmax, souk::cuda::launch_softmax_topk_cuda);
}

Status sample_topk(const Operand& q, const Operand& items, const souk::SampleParams& p, const souk::TopKOut& out,
                   const souk::SoftmaxOut& sm) {
  return softmax_family(q, items, p, out, sm, souk::validate_sample, souk::cuda::launch_sample_topk_cuda);
}

Status als_solve(const souk::CsrView& c, const souk::MatrixView& y, const souk::MatrixView& yty,
                 const souk::MutMatrixView& x, const souk::AlsParams& p) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(souk::validate_als_solve(c, y, yty, x, p));
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const StagedCsrData dc = stage_csr_data(s, c);
  const int dy = s.in(y.data, fbytes(y.rows * y.stride)), dg = s.in(yty.data, fbytes(yty.rows * yty.stride));
  const int dx = s.inout(x.data, fbytes(x.rows * x.stride));
  SOUK_RETURN_IF_ERROR(s.upload());
  SOUK_RETURN_IF_ERROR(souk::cuda::launch_als_solve_cuda(
      lease.ctx(), device_csr_data(s, dc), souk::MatrixView{s.ptr<const float>(dy), y.rows, y.cols, y.stride},
      souk::MatrixView{s.ptr<const float>(dg), yty.rows, yty.cols, yty.stride},
      souk::MutMatrixView{s.ptr<float>(dx), x.rows, x.cols, x.stride}, p));
  return s.download();
}

Status als_loss(const souk::CsrView& c, const souk::MatrixView& x, const souk::MatrixView& y, const souk::AlsLossParams& p,
                souk::AlsLossOut* out) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(souk::validate_als_loss(c, x, y, p));
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const StagedCsrData dc = stage_csr_data(s, c);
  const int dx = s.in(x.data, fbytes(x.rows * x.stride)), dy = s.in(y.data, fbytes(y.rows * y.stride));
  SOUK_RETURN_IF_ERROR(s.upload());
  return souk::cuda::launch_als_loss_cuda(lease.ctx(), device_csr_data(s, dc),
                                          souk::MatrixView{s.ptr<const float>(dx), x.rows, x.cols, x.stride},
                                          souk::MatrixView{s.ptr<const float>(dy), y.rows, y.cols, y.stride}, p, out);
}

Status sgd_epoch(const souk::CsrView& ratings, const souk::MutMatrixView& p, const souk::MutMatrixView& q,
                 const souk::MutVectorView& user_bias, const souk::MutVectorView& item_bias, const souk::SgdParams& params,
                 souk::SgdOut* out, int64_t chunks) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(souk::validate_sgd_epoch(ratings, p, q, user_bias, item_bias, params));
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const StagedCsrData dr = stage_csr_data(s, ratings);
  const int dp = s.inout(p.data, fbytes(p.rows * p.stride)), dq = s.inout(q.data, fbytes(q.rows * q.stride));
  const int dub = s.inout(user_bias.data, fbytes(user_bias.size)), dib = s.inout(item_bias.data, fbytes(item_bias.size));
  SOUK_RETURN_IF_ERROR(s.upload());
  SOUK_RETURN_IF_ERROR(souk::cuda::launch_sgd_epoch_cuda(
      lease.ctx(), device_csr_data(s, dr), souk::MutMatrixView{s.ptr<float>(dp), p.rows, p.cols, p.stride},
      souk::MutMatrixView{s.ptr<float>(dq), q.rows, q.cols, q.stride}, souk::MutVectorView{s.ptr<float>(dub), user_bias.size},
      souk::MutVectorView{s.ptr<float>(dib), item_bias.size}, params, out, chunks));
  return s.download();
}

Status bpr_epoch(const souk::CsrView& c, const souk::MutMatrixView& p, const souk::MutMatrixView& q,
                 const souk::MutVectorView& item_bias, const souk::BprParams& params, souk::BprOut* out, int64_t chunks) {
  SOUK_RETURN_IF_ERROR(require_device());
  SOUK_RETURN_IF_ERROR(souk::validate_bpr_epoch(c, p, q, item_bias, params));
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  Staging s(lease);
  const StagedCsrData dc = stage_csr_data(s, c);
  const int dp = s.inout(p.data, fbytes(p.rows * p.stride)), dq = s.inout(q.data, fbytes(q.rows * q.stride));
  const int dib = s.inout(item_bias.data, fbytes(item_bias.size));
  SOUK_RETURN_IF_ERROR(s.upload());
  SOUK_RETURN_IF_ERROR(souk::cuda::launch_bpr_epoch_cuda(
      lease.ctx(), device_csr_data(s, dc), souk::MutMatrixView{s.ptr<float>(dp), p.rows, p.cols, p.stride},
      souk::MutMatrixView{s.ptr<float>(dq), q.rows, q.cols, q.stride}, souk::MutVectorView{s.ptr<float>(dib), item_bias.size},
      params, out, chunks));
  return s.download();
}

Status measure_limits(int64_t bytes, int repeats, double seconds, DeviceLimits* out) {
  *out = DeviceLimits{};
  SOUK_RETURN_IF_ERROR(require_device());
  if (bytes < 1024 || repeats < 1 || !(seconds > 0))
    return Status(Code::Argument, "Expected bytes >= 1024, repeats >= 1 and seconds > 0 for measureDevice");
  Lease lease;
  SOUK_RETURN_IF_ERROR(lease.status());
  const int sms = std::max(1, lease.ctx().sm_count());
  // The emulator runs every CUDA thread as a fiber: one block keeps the probe short there.
  const unsigned blocks = SIMT_EMULATED ? 1u : unsigned(sms * 8), threads = 256;
  void* buf = nullptr;
  const size_t n4 = size_t(bytes) / sizeof(float4);
  SOUK_RETURN_IF_ERROR(dev_alloc(n4 * sizeof(float4) + sizeof(float), &buf, "cudaMalloc(bandwidth probe)"));
  float* sink = reinterpret_cast<float*>(static_cast<char*>(buf) + n4 * sizeof(float4));
  cudaEvent_t start = nullptr, stop = nullptr;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  auto timed = [&](auto&& launch, float* ms) -> Status {
    cudaEventRecord(start, lease.stream());
    launch();
    SOUK_RETURN_IF_ERROR(status_from_cuda(cudaGetLastError(), "microbenchmark launch"));
    cudaEventRecord(stop, lease.stream());
    SOUK_RETURN_IF_ERROR(status_from_cuda(cudaEventSynchronize(stop), "cudaEventSynchronize"));
    return status_from_cuda(cudaEventElapsedTime(ms, start, stop), "cudaEventElapsedTime");
  };
  Status st = status_from_cuda(cudaMemsetAsync(buf, 0, n4 * sizeof(float4) + sizeof(float), lease.stream()), "cudaMemsetAsync");
  float best = 0;
  for (int r = 0; st.is_ok() && r <= repeats; ++r) {  // r = 0 warms up
    float ms = 0;
    st = timed([&] { SIMT_LAUNCH(read_bandwidth_kernel, dim3(blocks), dim3(threads), 0, lease.stream(),
                                 static_cast<const float4*>(buf), (long long)n4, sink); }, &ms);
    if (r > 0 && ms > 0 && (best == 0 || ms < best)) best = ms;
  }
  if (st.is_ok() && best > 0) out->read_gbps = double(n4 * sizeof(float4)) / (double(best) * 1e-3) / 1e9;
  // FMA: calibrate the iteration count on a short run, then time about `seconds`.
  int iters = SIMT_EMULATED ? 64 : 4096;
  float ms = 0;
  if (st.is_ok()) st = timed([&] { SIMT_LAUNCH(fma_peak_kernel, dim3(blocks), dim3(threads), 0, lease.stream(), iters, 1.0f, sink); }, &ms);
  if (st.is_ok() && !SIMT_EMULATED && ms > 0) {
    const double scale = seconds * 1e3 / double(ms);
    iters = int(std::min(double(1 << 26), std::max(double(iters), double(iters) * scale)));
    st = timed([&] { SIMT_LAUNCH(fma_peak_kernel, dim3(blocks), dim3(threads), 0, lease.stream(), iters, 1.0f, sink); }, &ms);
  }
  if (st.is_ok() && ms > 0) out->fma_gflops = 2.0 * 8.0 * double(iters) * double(blocks) * threads / (double(ms) * 1e-3) / 1e9;
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  dev_free(buf, n4 * sizeof(float4) + sizeof(float));
  return st;
}

}  // namespace souk_cuda_bridge
