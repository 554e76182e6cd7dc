// cuda/simt/simt_cpu.h: Souk's SIMT emulator. With it, CUDA kernel source (.cu/.cuh, written in the
// portable subset of cuda/README.md) compiles with g++/clang++ and runs on the CPU with CUDA
// semantics. It is a TEST tool (about 150x slower than plain C++); it is never the production
// CPU fallback (that is native/core).
//
// Do not include this file directly: include cuda/simt/compat.cuh, which picks nvcc or this file.
// The spec is /work/shared/CUDA-TESTING.md sections 3.3 and 4; the project wrote this code itself
// (nothing is copied from HIP-CPU or any other project).
//
// What it provides:
//   * the CUDA dialect: __global__/__device__/__host__/__shared__/__constant__/__forceinline__/
//     __launch_bounds__/__align__, dim3/uint3 and the vector types, threadIdx/blockIdx/blockDim/
//     gridDim, warpSize (32, deliberately not a constant expression, as under nvcc);
//   * block barriers (__syncthreads, _count/_and/_or), warp collectives (__shfl*_sync with width,
//     __ballot_sync, __any_sync, __all_sync, __syncwarp, __reduce_*_sync, __activemask);
//   * atomics (relaxed, as in CUDA), fences, and the math/bit intrinsics the kernels use;
//   * launching: simt::run(...) returns a simt::LaunchResult (tests assert on its message);
//     SIMT_LAUNCH (compat.cuh) behaves like <<<>>> (configuration errors go to cudaGetLastError;
//     a kernel fault prints the emulator's report and aborts, unless a simt::ErrorCapture is live).
//
// Execution model: blocks run one after another (order shuffled by the seed); the threads of a block
// run either as fibers on one OS thread (engine "fibers": fast, deterministic for a given seed) or
// as one OS thread each (engine "threads": real concurrency, for ThreadSanitizer). Environment:
//   SIMT_ENGINE=fibers|threads  default engine (fibers; threads in a -fsanitize=thread build)
//   SIMT_SEED=<n>               schedule seed: 0 = natural order, otherwise block order and fiber
//                               resumption order are shuffled (default 1)
//   SIMT_TIMEOUT=<seconds>      watchdog: end the process (exit 124) if no emulated thread progresses
//                               for that long (a spin loop outside the emulator's primitives); 30
//   SIMT_STACK_KB=<n>           stack per emulated thread (default 128, 512 under sanitizers)
//
// Strictness (each is reported naming kernel, block, thread, warp, lane, primitive and call site):
// __syncthreads reached by part of a block (others exited, or wait at a different __syncthreads);
// a warp collective whose mask names lanes that exited, do not exist, or excludes the caller; lanes
// of a warp meeting with the same mask at different primitives or call sites; a shuffle reading a
// lane outside the mask; a width that is not a power of two <= 32; deadlock (every live thread of the
// block blocked). Limits: static __shared__ is a function-local `static` (shared by the block because
// blocks run one at a time; it keeps its value between blocks and launches, unlike the GPU);
// launches are serialised; no dynamic parallelism, cooperative groups, textures or inter-block
// synchronisation other than atomics. Launches from several host threads are serialised by a lock.
#pragma once

#if defined(__CUDACC__)
#error "simt_cpu.h is the host-compiler emulator; under nvcc include compat.cuh only"
#endif

// All standard headers first: the CUDA keywords below are macros and must not touch them.
#include <math.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// ---------------------------------------------------------------------------------------------
// Vector and index types (layout and alignment as in CUDA's vector_types.h)
// ---------------------------------------------------------------------------------------------
struct uint3 { unsigned x, y, z; };
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};
struct alignas(8) int2 { int x, y; };
struct int3 { int x, y, z; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(8) float2 { float x, y; };
struct float3 { float x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int3 make_int3(int x, int y, int z) { return {x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float3 make_float3(float x, float y, float z) { return {x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

// The built-in variables. The emulator sets them for the emulated thread that is running
// (per OS thread in the threads engine, at every fiber switch in the fiber engine).
inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};
extern const int warpSize;  // 32; defined in simt_cpu.cpp so that, as under nvcc, it is no constant expression

// ---------------------------------------------------------------------------------------------
// Public emulator API (namespace simt)
// ---------------------------------------------------------------------------------------------
namespace simt {

// A call site, captured through default arguments so errors can name file:line.
struct Site {
  const char* file;
  int line;
  static constexpr Site here(const char* f = __builtin_FILE(), int l = __builtin_LINE()) { return Site{f, l}; }
};

enum class Engine { Default = 0, Fibers = 1, Threads = 2 };

struct LaunchOptions {
  Engine engine = Engine::Default;  // Default: SIMT_ENGINE, else fibers (threads under TSan)
  long long seed = -1;              // -1: SIMT_SEED, else 1; 0: natural order
};

// Outcome of one launch. cuda_error is the cudaError_t value CUDA would give (0, 1 invalid value,
// 9 invalid configuration, 719 launch failure for anything the emulator reports).
struct LaunchResult {
  bool ok = true;
  int cuda_error = 0;
  std::string message;
  explicit operator bool() const { return ok; }
};

Engine default_engine();
long long default_seed();
const char* engine_name(Engine e);
const char* fiber_switch();  // "Boost.Context" or "ucontext": how the fiber engine switches

// While an ErrorCapture is alive on this host thread, SIMT_LAUNCH does not abort on a kernel fault:
// it records the first report here and sets cudaErrorLaunchFailure (719) as the last/sticky error.
class ErrorCapture {
 public:
  ErrorCapture();
  ~ErrorCapture();
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;
  const std::string& message() const { return message_; }
  bool failed() const { return !message_.empty(); }
  void record(const std::string& m) { if (message_.empty()) message_ = m; }

 private:
  ErrorCapture* prev_;
  std::string message_;
};

namespace detail {
// Kernel-side entry points (simt_cpu.cpp).
enum Op : int {
  OP_NONE = 0, OP_SYNCTHREADS, OP_SYNCTHREADS_COUNT, OP_SYNCTHREADS_AND, OP_SYNCTHREADS_OR,
  OP_SYNCWARP, OP_SHFL, OP_SHFL_UP, OP_SHFL_DOWN, OP_SHFL_XOR, OP_BALLOT, OP_ANY, OP_ALL,
  OP_REDUCE_ADD_U, OP_REDUCE_MIN_U, OP_REDUCE_MAX_U, OP_REDUCE_ADD_I, OP_REDUCE_MIN_I, OP_REDUCE_MAX_I,
  OP_COUNT
};
uint64_t warp_collective(int op, unsigned mask, uint64_t value, long long arg, int width, Site site);
int block_barrier(int op, int pred, Site site);
unsigned active_mask();
void* dynamic_shared();
[[noreturn]] void trap(Site site);

// Host-side.
using Body = void (*)(void* ctx);
LaunchResult run(const char* name, const void* kernel_id, const LaunchOptions& opt, dim3 grid, dim3 block,
                 size_t smem, Body body, void* ctx);
int& last_error();    // cudaGetLastError state (per host thread)
int& sticky_error();  // a launch failure stays until cudaDeviceReset
ErrorCapture* current_capture();
void set_max_dynamic_smem(const void* kernel_id, int bytes);
void report_unhandled(const LaunchResult& r);  // SIMT_LAUNCH outside a capture: print + abort

template <class T>
inline uint64_t to_bits(T v) {
  static_assert(std::is_arithmetic<T>::value, "warp shuffles take arithmetic types (int, unsigned, long long, float, double...), as in CUDA");
  static_assert(sizeof(T) <= 8, "warp shuffles take at most 8-byte values");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
inline T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

template <class F, class Tuple>
struct LaunchPack {
  F kernel;
  Tuple* params;
  static void body(void* c) {
    auto* p = static_cast<LaunchPack*>(c);
    std::apply(p->kernel, *p->params);  // every emulated thread gets its own copy of the parameters
  }
};
}  // namespace detail

// simt::run: launch and return the outcome, never aborting. For tests and host code that wants
// the message. Arguments convert to the kernel's parameter types as in a <<<>>> launch.
template <class... P, class... A>
LaunchResult run(const LaunchOptions& opt, const char* name, void (*kernel)(P...), dim3 grid, dim3 block,
                 size_t smem, A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "wrong number of kernel arguments");
  using Tuple = std::tuple<std::decay_t<P>...>;
  Tuple params(std::forward<A>(args)...);
  detail::LaunchPack<void (*)(P...), Tuple> pack{kernel, &params};
  return detail::run(name, reinterpret_cast<const void*>(kernel), opt, grid, block, smem,
                     &detail::LaunchPack<void (*)(P...), Tuple>::body, &pack);
}

// What SIMT_LAUNCH expands to: Launcher(...)(args...). Behaves like <<<>>>: configuration errors
// set the last error; a kernel fault aborts with the report (or is recorded by an ErrorCapture).
template <class... P>
class Launcher {
 public:
  Launcher(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, size_t smem)
      : name_(name), kernel_(kernel), grid_(grid), block_(block), smem_(smem) {}
  template <class... A>
  void operator()(A&&... args) const {
    LaunchResult r = run(LaunchOptions{}, name_, kernel_, grid_, block_, smem_, std::forward<A>(args)...);
    if (r.ok) return;
    detail::last_error() = r.cuda_error;
    if (r.cuda_error == 719) {
      detail::sticky_error() = r.cuda_error;
      if (ErrorCapture* c = detail::current_capture()) c->record(r.message);
      else detail::report_unhandled(r);
    }
  }

 private:
  const char* name_;
  void (*kernel_)(P...);
  dim3 grid_, block_;
  size_t smem_;
};

template <class... P, class Stream>
Launcher<P...> make_launcher(const char* name, void (*kernel)(P...), dim3 grid, dim3 block, size_t smem, Stream) {
  return Launcher<P...>(name, kernel, grid, block, smem);
}

}  // namespace simt

// ---------------------------------------------------------------------------------------------
// The CUDA dialect
// ---------------------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __constant__
#define __managed__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// __restrict__ is a g++/clang++ keyword already.

// Block barriers.
inline void __syncthreads(simt::Site s = simt::Site::here()) {
  simt::detail::block_barrier(simt::detail::OP_SYNCTHREADS, 0, s);
}
inline int __syncthreads_count(int pred, simt::Site s = simt::Site::here()) {
  return simt::detail::block_barrier(simt::detail::OP_SYNCTHREADS_COUNT, pred, s);
}
inline int __syncthreads_and(int pred, simt::Site s = simt::Site::here()) {
  return simt::detail::block_barrier(simt::detail::OP_SYNCTHREADS_AND, pred, s);
}
inline int __syncthreads_or(int pred, simt::Site s = simt::Site::here()) {
  return simt::detail::block_barrier(simt::detail::OP_SYNCTHREADS_OR, pred, s);
}

// Warp collectives: a rendez-vous of exactly the lanes named in mask.
inline void __syncwarp(unsigned mask = 0xffffffffu, simt::Site s = simt::Site::here()) {
  simt::detail::warp_collective(simt::detail::OP_SYNCWARP, mask, 0, 0, 32, s);
}
inline unsigned __ballot_sync(unsigned mask, int pred, simt::Site s = simt::Site::here()) {
  return (unsigned)simt::detail::warp_collective(simt::detail::OP_BALLOT, mask, pred != 0, 0, 32, s);
}
inline int __any_sync(unsigned mask, int pred, simt::Site s = simt::Site::here()) {
  return (int)simt::detail::warp_collective(simt::detail::OP_ANY, mask, pred != 0, 0, 32, s);
}
inline int __all_sync(unsigned mask, int pred, simt::Site s = simt::Site::here()) {
  return (int)simt::detail::warp_collective(simt::detail::OP_ALL, mask, pred != 0, 0, 32, s);
}
inline unsigned __activemask() { return simt::detail::active_mask(); }

template <class T>
inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = 32, simt::Site s = simt::Site::here()) {
  return simt::detail::from_bits<T>(simt::detail::warp_collective(
      simt::detail::OP_SHFL, mask, simt::detail::to_bits(var), srcLane, width, s));
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32, simt::Site s = simt::Site::here()) {
  return simt::detail::from_bits<T>(simt::detail::warp_collective(
      simt::detail::OP_SHFL_UP, mask, simt::detail::to_bits(var), (long long)delta, width, s));
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32, simt::Site s = simt::Site::here()) {
  return simt::detail::from_bits<T>(simt::detail::warp_collective(
      simt::detail::OP_SHFL_DOWN, mask, simt::detail::to_bits(var), (long long)delta, width, s));
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = 32, simt::Site s = simt::Site::here()) {
  return simt::detail::from_bits<T>(simt::detail::warp_collective(
      simt::detail::OP_SHFL_XOR, mask, simt::detail::to_bits(var), laneMask, width, s));
}
// sm_80 warp reductions.
inline unsigned __reduce_add_sync(unsigned mask, unsigned v, simt::Site s = simt::Site::here()) {
  return (unsigned)simt::detail::warp_collective(simt::detail::OP_REDUCE_ADD_U, mask, v, 0, 32, s);
}
inline unsigned __reduce_min_sync(unsigned mask, unsigned v, simt::Site s = simt::Site::here()) {
  return (unsigned)simt::detail::warp_collective(simt::detail::OP_REDUCE_MIN_U, mask, v, 0, 32, s);
}
inline unsigned __reduce_max_sync(unsigned mask, unsigned v, simt::Site s = simt::Site::here()) {
  return (unsigned)simt::detail::warp_collective(simt::detail::OP_REDUCE_MAX_U, mask, v, 0, 32, s);
}
inline int __reduce_add_sync(unsigned mask, int v, simt::Site s = simt::Site::here()) {
  return (int)simt::detail::warp_collective(simt::detail::OP_REDUCE_ADD_I, mask, (uint64_t)(int64_t)v, 0, 32, s);
}
inline int __reduce_min_sync(unsigned mask, int v, simt::Site s = simt::Site::here()) {
  return (int)simt::detail::warp_collective(simt::detail::OP_REDUCE_MIN_I, mask, (uint64_t)(int64_t)v, 0, 32, s);
}
inline int __reduce_max_sync(unsigned mask, int v, simt::Site s = simt::Site::here()) {
  return (int)simt::detail::warp_collective(simt::detail::OP_REDUCE_MAX_I, mask, (uint64_t)(int64_t)v, 0, 32, s);
}

// Fences and misc.
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __nanosleep(unsigned) {}
#define __trap() ::simt::detail::trap(::simt::Site::here())
template <class T>
inline T __ldg(const T* p) { return *p; }

// ---------------------------------------------------------------------------------------------
// Atomics: relaxed read-modify-write on host memory (CUDA atomics are relaxed too).
// ---------------------------------------------------------------------------------------------
#define SIMT_ATOMIC_INT_OPS_(T)                                                                        \
  inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }                \
  inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }                \
  inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }              \
  inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }                \
  inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }                  \
  inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }                \
  inline T atomicCAS(T* a, T compare, T v) {                                                          \
    __atomic_compare_exchange_n(a, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);           \
    return compare;                                                                                   \
  }                                                                                                   \
  inline T atomicMin(T* a, T v) {                                                                     \
    T old = __atomic_load_n(a, __ATOMIC_RELAXED);                                                     \
    while (v < old && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {} \
    return old;                                                                                       \
  }                                                                                                   \
  inline T atomicMax(T* a, T v) {                                                                     \
    T old = __atomic_load_n(a, __ATOMIC_RELAXED);                                                     \
    while (v > old && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {} \
    return old;                                                                                       \
  }
SIMT_ATOMIC_INT_OPS_(int)
SIMT_ATOMIC_INT_OPS_(unsigned)
SIMT_ATOMIC_INT_OPS_(unsigned long long)
#undef SIMT_ATOMIC_INT_OPS_
inline long long atomicMin(long long* a, long long v) {
  long long old = __atomic_load_n(a, __ATOMIC_RELAXED);
  while (v < old && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  return old;
}
inline long long atomicMax(long long* a, long long v) {
  long long old = __atomic_load_n(a, __ATOMIC_RELAXED);
  while (v > old && !__atomic_compare_exchange_n(a, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  return old;
}
// CUDA's wrapping increment/decrement.
inline unsigned atomicInc(unsigned* a, unsigned limit) {
  unsigned old = __atomic_load_n(a, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(a, &old, old >= limit ? 0u : old + 1u, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  return old;
}
inline unsigned atomicDec(unsigned* a, unsigned limit) {
  unsigned old = __atomic_load_n(a, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(a, &old, (old == 0u || old > limit) ? limit : old - 1u, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  return old;
}
namespace simt { namespace detail {
template <class F, class Op>
inline F atomic_float_rmw(F* a, Op op) {
  F old;
  __atomic_load(a, &old, __ATOMIC_RELAXED);
  F desired = op(old);
  while (!__atomic_compare_exchange(a, &old, &desired, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) desired = op(old);
  return old;
}
}}  // namespace simt::detail
inline float atomicAdd(float* a, float v) { return simt::detail::atomic_float_rmw(a, [v](float o) { return o + v; }); }
inline double atomicAdd(double* a, double v) { return simt::detail::atomic_float_rmw(a, [v](double o) { return o + v; }); }
inline float atomicExch(float* a, float v) {
  float old;
  __atomic_exchange(a, &v, &old, __ATOMIC_RELAXED);
  return old;
}

// ---------------------------------------------------------------------------------------------
// Math and bit intrinsics. The fast-math __xxxf names are macros because glibc's <math.h> declares
// internal functions with the same names. Results follow the accurate libm functions; on the GPU
// the intrinsics are approximate (compare with tolerances, CUDA-TESTING.md 4.2).
// ---------------------------------------------------------------------------------------------
namespace simt { namespace math {
inline float fexp(float x) { return ::expf(x); }
inline float flog(float x) { return ::logf(x); }
inline float flog2(float x) { return ::log2f(x); }
inline float flog10(float x) { return ::log10f(x); }
inline float fexp10(float x) { return ::powf(10.0f, x); }
inline float fsin(float x) { return ::sinf(x); }
inline float fcos(float x) { return ::cosf(x); }
inline float ftan(float x) { return ::tanf(x); }
inline float fpow(float x, float y) { return ::powf(x, y); }
}}  // namespace simt::math
#define __expf(x) (::simt::math::fexp(x))
#define __logf(x) (::simt::math::flog(x))
#define __log2f(x) (::simt::math::flog2(x))
#define __log10f(x) (::simt::math::flog10(x))
#define __exp10f(x) (::simt::math::fexp10(x))
#define __sinf(x) (::simt::math::fsin(x))
#define __cosf(x) (::simt::math::fcos(x))
#define __tanf(x) (::simt::math::ftan(x))
#define __powf(x, y) (::simt::math::fpow((x), (y)))
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __fsqrt_rn(float a) { return ::sqrtf(a); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fmaf_rn(float a, float b, float c) { return ::fmaf(a, b, c); }
inline float __saturatef(float a) { return a != a ? 0.0f : (a < 0.0f ? 0.0f : (a > 1.0f ? 1.0f : a)); }
inline float rsqrtf(float a) { return 1.0f / ::sqrtf(a); }
inline double rsqrt(double a) { return 1.0 / ::sqrt(a); }
inline int __float2int_rn(float a) { return (int)::nearbyintf(a); }
inline int __float2int_rz(float a) { return (int)a; }
inline int __float2int_rd(float a) { return (int)::floorf(a); }
inline int __float2int_ru(float a) { return (int)::ceilf(a); }
inline float __int2float_rn(int a) { return (float)a; }
inline float __uint2float_rn(unsigned a) { return (float)a; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned i; std::memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
inline unsigned __funnelshift_l(unsigned lo, unsigned hi, unsigned s) {
  s &= 31u;
  return s == 0 ? hi : (hi << s) | (lo >> (32 - s));
}
inline unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned s) {
  s &= 31u;
  return s == 0 ? lo : (lo >> s) | (hi << (32 - s));
}

// CUDA's global min/max overloads (std::min/max are templates and lose to these on exact match).
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline unsigned min(int a, unsigned b) { return min((unsigned)a, b); }
inline unsigned max(int a, unsigned b) { return max((unsigned)a, b); }
inline unsigned min(unsigned a, int b) { return min(a, (unsigned)b); }
inline unsigned max(unsigned a, int b) { return max(a, (unsigned)b); }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline unsigned long min(unsigned long a, unsigned long b) { return a < b ? a : b; }
inline unsigned long max(unsigned long a, unsigned long b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return ::fminf(a, b); }
inline float max(float a, float b) { return ::fmaxf(a, b); }
inline double min(double a, double b) { return ::fmin(a, b); }
inline double max(double a, double b) { return ::fmax(a, b); }
inline double min(float a, double b) { return ::fmin(a, b); }
inline double max(float a, double b) { return ::fmax(a, b); }
inline double min(double a, float b) { return ::fmin(a, b); }
inline double max(double a, float b) { return ::fmax(a, b); }
