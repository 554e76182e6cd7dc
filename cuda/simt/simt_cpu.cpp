// cuda/simt/simt_cpu.cpp: the SIMT emulator's run time (see simt_cpu.h for the model and the rules).
//
// Structure: a Launch runs its blocks one after another; a Block owns its emulated Threads, one Warp
// record per 32 threads (open collectives, live lanes, results), the barrier state and the dynamic
// shared memory buffer (exact size, 0xFF-filled, so ASan sees overflows and reads of unwritten
// shared memory give NaN/garbage as on the GPU).
//   * Fiber engine: one OS thread runs the block's threads as ucontext fibers; a thread runs until it
//     blocks in a barrier/collective or exits; the next one is picked from the run queue (FIFO for seed
//     0, random otherwise). No locks are taken (everything is on one OS thread).
//   * Thread engine: one OS thread per emulated thread; each warp has a mutex + condvar for its
//     collectives, the block has one for the barrier. Per-warp locks keep the happens-before edges
//     ThreadSanitizer sees close to what CUDA guarantees (a coarser lock would hide races).
//   * Deadlock: a relaxed counter of running (not blocked, not exited) threads; whoever takes it to 0
//     while live threads remain reports the deadlock at once, with what every thread waits for.
//   * A reported error sets Launch::aborted; every blocked thread is woken and unwinds with
//     AbortUnwind (a C++ exception that never leaves the emulated thread), so the launch returns a
//     LaunchResult instead of hanging. A spin loop outside the emulator's primitives cannot be
//     interrupted: the watchdog (SIMT_TIMEOUT) prints what it knows and ends the process (exit 124).
// Limits: one launch at a time (a global lock); no nested launches; up to 1024 threads per block.
#include "simt_cpu.h"

#include <pthread.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define SIMT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIMT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SIMT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIMT_TSAN 1
#endif
#endif
#ifdef SIMT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
// Fiber switching: Boost.Context (Debian libboost-context-dev; CMake defines SIMT_USE_BOOST_CONTEXT
// when found, about 10x faster) or glibc ucontext (always available; used under ASan, whose fiber
// annotations are done here for ucontext only).
#if defined(SIMT_USE_BOOST_CONTEXT) && defined(SIMT_ASAN)
#undef SIMT_USE_BOOST_CONTEXT
#endif
#ifdef SIMT_USE_BOOST_CONTEXT
#include <boost/context/fiber.hpp>
#endif

extern const int warpSize = 32;

namespace simt {
namespace detail {
namespace {

struct AbortUnwind {};  // thrown inside an emulated thread to unwind it after an error

const char* op_name(int op) {
  switch (op) {
    case OP_SYNCTHREADS: return "__syncthreads";
    case OP_SYNCTHREADS_COUNT: return "__syncthreads_count";
    case OP_SYNCTHREADS_AND: return "__syncthreads_and";
    case OP_SYNCTHREADS_OR: return "__syncthreads_or";
    case OP_SYNCWARP: return "__syncwarp";
    case OP_SHFL: return "__shfl_sync";
    case OP_SHFL_UP: return "__shfl_up_sync";
    case OP_SHFL_DOWN: return "__shfl_down_sync";
    case OP_SHFL_XOR: return "__shfl_xor_sync";
    case OP_BALLOT: return "__ballot_sync";
    case OP_ANY: return "__any_sync";
    case OP_ALL: return "__all_sync";
    case OP_REDUCE_ADD_U: case OP_REDUCE_ADD_I: return "__reduce_add_sync";
    case OP_REDUCE_MIN_U: case OP_REDUCE_MIN_I: return "__reduce_min_sync";
    case OP_REDUCE_MAX_U: case OP_REDUCE_MAX_I: return "__reduce_max_sync";
    default: return "?";
  }
}
bool is_barrier(int op) { return op >= OP_SYNCTHREADS && op <= OP_SYNCTHREADS_OR; }
bool is_shuffle(int op) { return op >= OP_SHFL && op <= OP_SHFL_XOR; }

std::string hex(unsigned m) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", m);
  return b;
}
std::string site_str(const Site& s) {
  if (!s.file) return "?";
  const char* f = s.file;
  const char* slash = std::strrchr(f, '/');
  return std::string(slash ? slash + 1 : f) + ":" + std::to_string(s.line);
}
bool same_site(const Site& a, const Site& b) {
  return a.line == b.line && (a.file == b.file || (a.file && b.file && std::strcmp(a.file, b.file) == 0));
}
std::string xyz(uint3 v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

// splitmix64: the schedule's random numbers (deterministic for a seed).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return (size_t)(next() % n); }
};

struct Launch;
struct Block;

struct Thread {
  Block* blk = nullptr;
  uint3 idx{0, 0, 0};
  int linear = 0, warp = 0, lane = 0;
  // What the thread waits for (relaxed atomics: read by deadlock reports and the watchdog).
  std::atomic<int> wait_op{OP_NONE};
  std::atomic<unsigned> wait_mask{0};
  std::atomic<const char*> wait_file{nullptr};
  std::atomic<int> wait_line{0};
  std::atomic<bool> exited{false};
  bool released = false;  // guarded by the lock of what it waits on (thread engine)
  bool finished = false;  // fiber engine: the fiber's function has ended
  bool queued = false;    // fiber engine: in the run queue
  // fiber engine
#ifdef SIMT_USE_BOOST_CONTEXT
  boost::context::fiber fib;    // this emulated thread
  boost::context::fiber sched;  // the scheduler, while this thread runs
#endif
  ucontext_t ctx;
  char* stack = nullptr;
  size_t stack_size = 0;
  void* asan_fake = nullptr;
  // thread engine
  pthread_t th;
};

struct Coll {
  int op = OP_NONE;
  unsigned mask = 0;
  int width = 32;
  Site site{nullptr, 0};
  unsigned arrived = 0;
  uint64_t val[32];
  long long arg[32];
};

struct Warp {
  std::mutex m;
  std::condition_variable cv;
  unsigned exist = 0;  // lanes that exist (a partial last warp has fewer)
  unsigned live = 0;   // lanes not exited
  std::vector<Coll> open;
  uint64_t result[32];
};

struct Launch {
  const char* name = "?";
  Engine engine = Engine::Fibers;
  uint64_t seed = 1;
  dim3 grid, block;
  size_t smem = 0;
  Body body = nullptr;
  void* ctx = nullptr;
  int nthreads = 0;
  std::mutex err_m;
  std::string error;
  std::atomic<bool> aborted{false};
  Block* cur = nullptr;  // the block that runs now
  // fiber scheduler
  ucontext_t sched_ctx;
  void* sched_fake = nullptr;
  const void* main_bottom = nullptr;
  size_t main_size = 0;
  bool threads() const { return engine == Engine::Threads; }
};

struct Block {
  Launch* L = nullptr;
  uint3 idx{0, 0, 0};
  int n = 0;
  std::vector<Thread> th;
  std::unique_ptr<Warp[]> warps;
  int nwarps = 0;
  std::mutex m;
  std::condition_variable cv;
  int bar_arrived = 0;
  int bar_op = OP_NONE;
  Site bar_site{nullptr, 0};
  int bar_acc = 0;
  int bar_result = 0;
  std::vector<int> bar_waiters;
  int exited = 0;
  int live = 0;
  std::atomic<int> running{0};
  unsigned char* dyn = nullptr;
  // fiber run queue
  std::vector<int> runq;
  size_t runq_head = 0;
  Rng rng{1};
};

thread_local Thread* t_self = nullptr;

// Locks only in the thread engine (fibers share one OS thread and must never hold a lock across a switch).
struct Guard {
  std::unique_lock<std::mutex> lk;
  Guard(std::mutex& m, bool on) : lk(m, std::defer_lock) { if (on) lk.lock(); }
};

// ---- progress + watchdog ---------------------------------------------------------------------
// The watchdog's state lives on the heap and is never destroyed: the detached watchdog thread may
// still wait on the condition variable while static destructors run at exit.
struct WatchdogState {
  std::mutex m;
  std::condition_variable cv;
  Launch* launch = nullptr;  // guarded by m
  bool started = false;      // guarded by m
};
WatchdogState& wd() {
  static WatchdogState* s = new WatchdogState;
  return *s;
}
std::atomic<uint64_t> g_progress{0};

double timeout_seconds() {
  const char* e = std::getenv("SIMT_TIMEOUT");
  double t = e ? std::atof(e) : 30.0;
  return t > 0 ? t : 30.0;
}

std::string describe_waits(Block& b);

void watchdog_main() {
  WatchdogState& W = wd();
  std::unique_lock<std::mutex> lk(W.m);
  uint64_t last = g_progress.load(std::memory_order_relaxed);
  auto since = std::chrono::steady_clock::now();
  for (;;) {
    W.cv.wait_for(lk, std::chrono::milliseconds(100));
    uint64_t p = g_progress.load(std::memory_order_relaxed);
    auto now = std::chrono::steady_clock::now();
    if (p != last || !W.launch) {
      last = p;
      since = now;
      continue;
    }
    double idle = std::chrono::duration<double>(now - since).count();
    if (idle >= timeout_seconds()) {
      Launch* L = W.launch;
      std::string msg = "simt: kernel '" + std::string(L->name) + "': no progress for " + std::to_string((int)idle) +
                        " s (SIMT_TIMEOUT): a thread is spinning outside the emulator's primitives (spin-waits on "
                        "other threads are not supported), or the kernel is far too slow for the emulator.";
      if (L->cur) msg += " Block " + xyz(L->cur->idx) + ": " + describe_waits(*L->cur);
      std::fprintf(stderr, "%s\n", msg.c_str());
      std::fflush(stderr);
      std::fflush(stdout);
      std::_Exit(124);  // the status timeout(1) uses; the stuck thread cannot be unwound
    }
  }
}

void watchdog_begin(Launch* L) {
  WatchdogState& W = wd();
  std::lock_guard<std::mutex> lk(W.m);
  W.launch = L;
  if (!W.started) {
    W.started = true;
    std::thread(watchdog_main).detach();
  }
}
void watchdog_end() {
  WatchdogState& W = wd();
  std::lock_guard<std::mutex> lk(W.m);
  W.launch = nullptr;
}
inline void progress() { g_progress.fetch_add(1, std::memory_order_relaxed); }

// ---- error reporting --------------------------------------------------------------------------
std::string where(const Thread* t) {
  const Launch* L = t->blk->L;
  return "kernel '" + std::string(L->name) + "', block " + xyz(t->blk->idx) + ", thread " + xyz(t->idx) +
         " (warp " + std::to_string(t->warp) + ", lane " + std::to_string(t->lane) + ")";
}

void set_error(Launch* L, const std::string& msg) {
  {
    std::lock_guard<std::mutex> lk(L->err_m);
    if (L->error.empty()) L->error = msg;
  }
  L->aborted.store(true);
}
void report(Thread* t, const std::string& what) { set_error(t->blk->L, "simt: " + where(t) + ": " + what); }
[[noreturn]] void fail(Thread* t, const std::string& what) {
  report(t, what);
  throw AbortUnwind{};
}

// Per warp, lanes grouped by what they wait for: "warp 0: lanes 0x0000ffff in __shfl_down_sync(mask=...) at f:l".
std::string describe_waits(Block& b) {
  std::ostringstream os;
  bool any = false;
  for (int w = 0; w < b.nwarps; ++w) {
    struct G { int op; unsigned mask; const char* file; int line; unsigned lanes; };
    std::vector<G> groups;
    for (int l = 0; l < 32; ++l) {
      int i = w * 32 + l;
      if (i >= b.n) break;
      Thread& t = b.th[i];
      if (t.exited.load(std::memory_order_relaxed)) continue;
      int op = t.wait_op.load(std::memory_order_relaxed);
      unsigned mask = t.wait_mask.load(std::memory_order_relaxed);
      const char* f = t.wait_file.load(std::memory_order_relaxed);
      int line = t.wait_line.load(std::memory_order_relaxed);
      bool found = false;
      for (G& g : groups)
        if (g.op == op && g.mask == mask && g.file == f && g.line == line) { g.lanes |= 1u << l; found = true; }
      if (!found) groups.push_back(G{op, mask, f, line, 1u << l});
    }
    for (G& g : groups) {
      os << (any ? "; " : "") << "warp " << w << " lanes " << hex(g.lanes);
      if (g.op == OP_NONE) os << " running (or not started yet)";
      else {
        os << " wait in " << op_name(g.op);
        if (!is_barrier(g.op)) os << "(mask=" << hex(g.mask) << ")";
        os << " at " << site_str(Site{g.file, g.line});
      }
      any = true;
    }
  }
  return any ? os.str() : std::string("no live threads");
}

std::string deadlock_message(Block& b) {
  return "deadlock: every live thread of the block is blocked (e.g. part of a warp in a warp collective while the "
         "rest waits at __syncthreads, or a mask naming lanes that never arrive): " + describe_waits(b);
}

void set_wait(Thread* t, int op, unsigned mask, Site s) {
  t->wait_mask.store(mask, std::memory_order_relaxed);
  t->wait_file.store(s.file, std::memory_order_relaxed);
  t->wait_line.store(s.line, std::memory_order_relaxed);
  t->wait_op.store(op, std::memory_order_relaxed);
}
void clear_wait(Thread* t) { t->wait_op.store(OP_NONE, std::memory_order_relaxed); }

// ---- fibers -----------------------------------------------------------------------------------
#ifndef SIMT_USE_BOOST_CONTEXT
void fiber_entry();
#endif

inline void asan_start(void** fake, const void* bottom, size_t size) {
#ifdef SIMT_ASAN
  __sanitizer_start_switch_fiber(fake, bottom, size);
#else
  (void)fake; (void)bottom; (void)size;
#endif
}
inline void asan_finish(void* fake, const void** bottom, size_t* size) {
#ifdef SIMT_ASAN
  __sanitizer_finish_switch_fiber(fake, bottom, size);
#else
  (void)fake; (void)bottom; (void)size;
#endif
}

// Save the current context in `from` and continue in `to`. Under ASan, swapcontext is avoided: its
// interceptor clears the shadow of the whole target stack on every switch (madvise + page faults,
// 20x slower); the __sanitizer_*_switch_fiber annotations tell ASan about the switch instead.
inline void switch_context(ucontext_t* from, const ucontext_t* to) {
#ifdef SIMT_ASAN
  volatile bool resumed = false;
  getcontext(from);
  if (!resumed) {
    resumed = true;
    setcontext(to);
  }
#else
  swapcontext(from, to);
#endif
}

// The running fiber gives the OS thread back to the scheduler.
void fiber_yield(Thread* t) {
#ifdef SIMT_USE_BOOST_CONTEXT
  t->sched = std::move(t->sched).resume();
  t_self = t;
  return;
#endif
  Launch* L = t->blk->L;
  asan_start(&t->asan_fake, L->main_bottom, L->main_size);
  switch_context(&t->ctx, &L->sched_ctx);
  asan_finish(t->asan_fake, &L->main_bottom, &L->main_size);
  t_self = t;
}

void fiber_resume(Thread* t) {
  Launch* L = t->blk->L;
  t_self = t;
  threadIdx = t->idx;
#ifdef SIMT_USE_BOOST_CONTEXT
  (void)L;
  t->fib = std::move(t->fib).resume();
  t_self = nullptr;
  return;
#endif
  asan_start(&L->sched_fake, t->stack, t->stack_size);
  switch_context(&L->sched_ctx, &t->ctx);
  asan_finish(L->sched_fake, nullptr, nullptr);
  t_self = nullptr;
}

void make_runnable(Block& b, Thread* t) {
  if (t->queued || t->finished) return;
  t->queued = true;
  b.runq.push_back(t->linear);
}

// ---- blocking / releasing (both engines) -------------------------------------------------------
// Called with the guard of what the thread waits on held (thread engine). Returns when released;
// throws AbortUnwind if the launch aborted meanwhile.
void block_on(Thread* t, Guard& g, std::condition_variable& cv) {
  Block& b = *t->blk;
  Launch* L = b.L;
  t->released = false;
  if (b.running.fetch_sub(1, std::memory_order_relaxed) == 1) {
    // Nobody left to wake anyone: deadlock. (Thread engine: b.m is not held here, but every other
    // live thread is blocked, so the wait records are stable.)
    b.running.fetch_add(1, std::memory_order_relaxed);
    fail(t, deadlock_message(b));
  }
  if (L->threads()) {
    cv.wait(g.lk, [&] { return t->released || L->aborted.load(); });
  } else {
    while (!t->released && !L->aborted.load()) fiber_yield(t);
  }
  if (!t->released) {
    b.running.fetch_add(1, std::memory_order_relaxed);
    throw AbortUnwind{};
  }
}

// Wake t (the caller holds the guard t waits under and notifies the cv afterwards).
void release(Thread* t) {
  Block& b = *t->blk;
  t->released = true;
  b.running.fetch_add(1, std::memory_order_relaxed);
  if (!b.L->threads()) make_runnable(b, t);
}

void wake_everyone(Block& b) {
  if (!b.L->threads()) {
    for (Thread& t : b.th) if (!t.finished) make_runnable(b, &t);
    return;
  }
  for (int w = 0; w < b.nwarps; ++w) {
    std::lock_guard<std::mutex> lk(b.warps[w].m);
    b.warps[w].cv.notify_all();
  }
  std::lock_guard<std::mutex> lk(b.m);
  b.cv.notify_all();
}

Thread* self_or_die(const char* what) {
  Thread* t = t_self;
  if (!t) {
    std::fprintf(stderr, "simt: %s called outside a kernel launched through the emulator\n", what);
    std::abort();
  }
  return t;
}

// ---- the exit of an emulated thread -----------------------------------------------------------
void thread_exit(Thread* t) {
  Block& b = *t->blk;
  Launch* L = b.L;
  t->exited.store(true, std::memory_order_relaxed);
  clear_wait(t);
  if (!L->aborted.load()) {
    Warp& w = b.warps[t->warp];
    Guard g(w.m, L->threads());
    unsigned bit = 1u << t->lane;
    w.live &= ~bit;
    for (Coll& c : w.open) {
      if ((c.mask & bit) && !(c.arrived & bit)) {
        report(t, "lane " + std::to_string(t->lane) + " exited while lanes " + hex(c.arrived) + " wait for it in " +
                      op_name(c.op) + "(mask=" + hex(c.mask) + ") at " + site_str(c.site) +
                      " (warp collectives must be reached by every lane in the mask)");
        break;
      }
    }
  }
  bool deadlock = false;
  {
    Guard g(b.m, L->threads());
    b.exited++;
    b.live--;
    if (!L->aborted.load() && b.bar_arrived > 0)
      report(t, "thread exited while " + std::to_string(b.bar_arrived) + " thread(s) wait at " + op_name(b.bar_op) +
                    " at " + site_str(b.bar_site) +
                    " (a barrier must be reached by every thread of the block; barrier in divergent code is undefined behaviour)");
    int r = b.running.fetch_sub(1, std::memory_order_relaxed) - 1;
    deadlock = (r == 0 && b.live > 0);
  }
  if (deadlock && !L->aborted.load()) report(t, deadlock_message(b));
  if (L->aborted.load() && L->threads()) wake_everyone(b);
}

void run_thread_body(Thread* t) {
  Launch* L = t->blk->L;
  try {
    if (!L->aborted.load()) L->body(L->ctx);
  } catch (const AbortUnwind&) {
#ifdef SIMT_USE_BOOST_CONTEXT
  } catch (const boost::context::detail::forced_unwind&) {
    throw;  // Boost.Context unwinding a fiber: must pass through
#endif
  } catch (const std::exception& e) {
    report(t, std::string("the kernel threw an exception: ") + e.what());
  } catch (...) {
    report(t, "the kernel threw an exception");
  }
  thread_exit(t);
  progress();
}

#ifndef SIMT_USE_BOOST_CONTEXT
void fiber_entry() {
  Thread* t = t_self;
  Launch* L = t->blk->L;
  asan_finish(nullptr, &L->main_bottom, &L->main_size);
  run_thread_body(t);
  t->finished = true;
  asan_start(nullptr, L->main_bottom, L->main_size);
  setcontext(&L->sched_ctx);
  std::abort();  // unreachable
}
#endif

void* os_thread_entry(void* p) {
  Thread* t = static_cast<Thread*>(p);
  Block& b = *t->blk;
  t_self = t;
  threadIdx = t->idx;
  blockIdx = b.idx;
  blockDim = b.L->block;
  gridDim = b.L->grid;
  run_thread_body(t);
  t_self = nullptr;
  return nullptr;
}

// ---- stacks -----------------------------------------------------------------------------------
size_t stack_bytes() {
  const char* e = std::getenv("SIMT_STACK_KB");
  size_t kb = e ? (size_t)std::atol(e) : 0;
#if defined(SIMT_ASAN) || defined(SIMT_TSAN)
  if (kb == 0) kb = 512;
#else
  if (kb == 0) kb = 128;
#endif
  if (kb < 32) kb = 32;
  return kb * 1024;
}

// Fiber stacks are kept between launches (mmap'd, a guard page below each).
struct StackPool {
  std::vector<char*> stacks;
  size_t size = 0;
  char* get(size_t i, size_t sz) {
    if (sz != size) {
      release_all();
      size = sz;
    }
    while (stacks.size() <= i) {
      long page = sysconf(_SC_PAGESIZE);
      void* p = mmap(nullptr, sz + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p == MAP_FAILED) return nullptr;
      mprotect(p, page, PROT_NONE);
      stacks.push_back(static_cast<char*>(p) + page);
    }
#ifdef SIMT_ASAN
    ASAN_UNPOISON_MEMORY_REGION(stacks[i], sz);
#endif
    return stacks[i];
  }
  void release_all() {
    long page = sysconf(_SC_PAGESIZE);
    for (char* s : stacks) munmap(s - page, size + page);
    stacks.clear();
  }
  ~StackPool() { release_all(); }
};
StackPool g_stacks;

#ifdef SIMT_USE_BOOST_CONTEXT
// Boost.Context stack allocator for stacks the pool owns: nothing to allocate or free.
struct PooledStack {
  boost::context::stack_context allocate() { std::abort(); }
  void deallocate(boost::context::stack_context&) noexcept {}
};
#endif

// ---- running one block ------------------------------------------------------------------------
void init_block(Block& b, Launch* L, uint3 bidx) {
  b.L = L;
  b.idx = bidx;
  b.n = L->nthreads;
  b.th = std::vector<Thread>(b.n);
  b.nwarps = (b.n + 31) / 32;
  b.warps.reset(new Warp[b.nwarps]);
  for (int w = 0; w < b.nwarps; ++w) {
    int lanes = std::min(32, b.n - w * 32);
    b.warps[w].exist = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
    b.warps[w].live = b.warps[w].exist;
    b.warps[w].open.reserve(4);
  }
  const dim3 bd = L->block;
  for (int i = 0; i < b.n; ++i) {
    Thread& t = b.th[i];
    t.blk = &b;
    t.linear = i;
    t.warp = i / 32;
    t.lane = i % 32;
    t.idx = uint3{(unsigned)(i % bd.x), (unsigned)((i / bd.x) % bd.y), (unsigned)(i / (bd.x * bd.y))};
  }
  b.live = b.n;
  b.running.store(b.n);
  b.rng = Rng(L->seed * 0x2545f4914f6cdd1dull + (uint64_t)bidx.x * 131 + bidx.y * 7 + bidx.z);
  // Dynamic shared memory: exact size (ASan sees overflows), garbage-filled.
  b.dyn = static_cast<unsigned char*>(std::malloc(L->smem));
  if (L->smem) std::memset(b.dyn, 0xff, L->smem);
}

void run_block_fibers(Block& b) {
  Launch* L = b.L;
  size_t ss = stack_bytes();
  for (int i = 0; i < b.n; ++i) {
    Thread& t = b.th[i];
    t.stack = g_stacks.get((size_t)i, ss);
    t.stack_size = ss;
    if (!t.stack) {
      set_error(L, "simt: kernel '" + std::string(L->name) + "': cannot allocate fiber stacks");
      return;
    }
#ifdef SIMT_USE_BOOST_CONTEXT
    // The fiber lives on our pooled stack; Boost puts its control record at the top.
    boost::context::stack_context sc;
    sc.size = ss;
    sc.sp = t.stack + ss;
    Thread* tp = &t;
    t.fib = boost::context::fiber(std::allocator_arg, boost::context::preallocated(t.stack + ss - 256, ss - 256, sc),
                                  PooledStack{}, [tp](boost::context::fiber&& sched) {
                                    tp->sched = std::move(sched);
                                    run_thread_body(tp);
                                    tp->finished = true;
                                    return std::move(tp->sched);
                                  });
#else
    getcontext(&t.ctx);
    t.ctx.uc_stack.ss_sp = t.stack;
    t.ctx.uc_stack.ss_size = ss;
    t.ctx.uc_link = nullptr;
    makecontext(&t.ctx, fiber_entry, 0);
#endif
  }
  // Initial order: natural for seed 0, shuffled otherwise.
  b.runq.clear();
  b.runq_head = 0;
  for (int i = 0; i < b.n; ++i) { b.th[i].queued = true; b.runq.push_back(i); }
  bool random = L->seed != 0;
  if (random)
    for (int i = b.n - 1; i > 0; --i) std::swap(b.runq[i], b.runq[b.rng.below((size_t)i + 1)]);
  for (;;) {
    while (b.runq_head < b.runq.size()) {
      int idx;
      if (random) {
        size_t k = b.runq_head + b.rng.below(b.runq.size() - b.runq_head);
        std::swap(b.runq[k], b.runq[b.runq_head]);
      }
      idx = b.runq[b.runq_head++];
      if (b.runq_head > 4096 && b.runq_head * 2 > b.runq.size()) {
        b.runq.erase(b.runq.begin(), b.runq.begin() + (long)b.runq_head);
        b.runq_head = 0;
      }
      Thread* t = &b.th[idx];
      t->queued = false;
      if (t->finished) continue;
      fiber_resume(t);
      progress();
      if (L->aborted.load()) wake_everyone(b);
    }
    bool all_done = true;
    for (Thread& t : b.th) if (!t.finished) { all_done = false; break; }
    if (all_done) return;
    // Nothing runnable yet someone is not finished: a deadlock the counter did not see (defensive).
    if (!L->aborted.load())
      set_error(L, "simt: kernel '" + std::string(L->name) + "', block " + xyz(b.idx) + ": " + deadlock_message(b));
    wake_everyone(b);
  }
}

void run_block_threads(Block& b) {
  Launch* L = b.L;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes());
  std::vector<int> order((size_t)b.n);
  for (int i = 0; i < b.n; ++i) order[i] = i;
  if (L->seed != 0)
    for (int i = b.n - 1; i > 0; --i) std::swap(order[i], order[b.rng.below((size_t)i + 1)]);
  std::vector<int> started;
  started.reserve((size_t)b.n);
  for (int i : order) {
    if (pthread_create(&b.th[i].th, &attr, os_thread_entry, &b.th[i]) != 0) {
      set_error(L, "simt: kernel '" + std::string(L->name) + "': cannot create OS thread " + std::to_string(i) +
                       " for the threads engine (too many threads?)");
      // Threads not started count as exited so the others can finish.
      for (int j : order) {
        bool was_started = false;
        for (int s : started) if (s == j) { was_started = true; break; }
        if (!was_started) b.th[j].exited.store(true);
      }
      wake_everyone(b);
      break;
    }
    started.push_back(i);
  }
  for (int i : started) pthread_join(b.th[i].th, nullptr);
  pthread_attr_destroy(&attr);
}

std::mutex g_launch_m;
std::mutex g_attr_m;
std::map<const void*, int> g_max_dyn_smem;

}  // namespace

// ---- kernel-side primitives -------------------------------------------------------------------
uint64_t warp_collective(int op, unsigned mask, uint64_t value, long long arg, int width, Site site) {
  Thread* t = self_or_die(op_name(op));
  Block& b = *t->blk;
  Launch* L = b.L;
  progress();
  if (L->aborted.load()) throw AbortUnwind{};
  Warp& w = b.warps[t->warp];
  const unsigned bit = 1u << t->lane;
  auto call = [&] { return std::string(op_name(op)) + "(mask=" + hex(mask) + ") at " + site_str(site); };
  Guard g(w.m, L->threads());
  if (is_shuffle(op) && (width < 1 || width > 32 || (width & (width - 1)) != 0))
    fail(t, call() + ": width " + std::to_string(width) + " is not a power of two in [1, 32]");
  if (!(mask & bit)) fail(t, call() + ": the calling lane " + std::to_string(t->lane) + " is not in the mask");
  if (mask & ~w.exist)
    fail(t, call() + ": the mask names lanes " + hex(mask & ~w.exist) + " that do not exist (this warp has " +
                std::to_string(__builtin_popcount(w.exist)) + " threads)");
  if (mask & ~w.live)
    fail(t, call() + ": the mask includes lanes " + hex(mask & ~w.live) + " that already exited");
  Coll* c = nullptr;
  for (Coll& o : w.open) if (o.mask == mask) { c = &o; break; }
  if (c) {
    if (c->op != op || !same_site(c->site, site) || c->width != width)
      fail(t, "lanes of one warp meet in different collectives with the same mask: lane " + std::to_string(t->lane) +
                  " calls " + call() + (is_shuffle(op) ? " width " + std::to_string(width) : "") + " while lanes " +
                  hex(c->arrived) + " wait in " + op_name(c->op) + "(mask=" + hex(c->mask) + ") at " + site_str(c->site) +
                  (is_shuffle(c->op) ? " width " + std::to_string(c->width) : "") +
                  " (warp collectives must be called warp-uniformly)");
  } else {
    w.open.emplace_back();
    c = &w.open.back();
    c->op = op;
    c->mask = mask;
    c->width = width;
    c->site = site;
    c->arrived = 0;
  }
  c->val[t->lane] = value;
  c->arg[t->lane] = arg;
  c->arrived |= bit;
  if (c->arrived != mask) {
    set_wait(t, op, mask, site);
    block_on(t, g, w.cv);
    clear_wait(t);
    return w.result[t->lane];
  }
  // Last to arrive: compute every participant's result.
  const Coll cc = *c;
  w.open.erase(w.open.begin() + (c - w.open.data()));
  uint64_t agg = 0;
  switch (op) {
    case OP_BALLOT:
      for (int l = 0; l < 32; ++l) if ((mask >> l & 1u) && cc.val[l]) agg |= 1ull << l;
      break;
    case OP_ANY:
      for (int l = 0; l < 32; ++l) if ((mask >> l & 1u) && cc.val[l]) agg = 1;
      break;
    case OP_ALL:
      agg = 1;
      for (int l = 0; l < 32; ++l) if ((mask >> l & 1u) && !cc.val[l]) agg = 0;
      break;
    case OP_REDUCE_ADD_U: case OP_REDUCE_MIN_U: case OP_REDUCE_MAX_U: {
      uint32_t r = op == OP_REDUCE_MIN_U ? 0xffffffffu : 0u;
      for (int l = 0; l < 32; ++l) {
        if (!(mask >> l & 1u)) continue;
        uint32_t v = (uint32_t)cc.val[l];
        r = op == OP_REDUCE_ADD_U ? r + v : op == OP_REDUCE_MIN_U ? std::min(r, v) : std::max(r, v);
      }
      agg = r;
      break;
    }
    case OP_REDUCE_ADD_I: case OP_REDUCE_MIN_I: case OP_REDUCE_MAX_I: {
      int32_t r = op == OP_REDUCE_MIN_I ? INT32_MAX : op == OP_REDUCE_MAX_I ? INT32_MIN : 0;
      for (int l = 0; l < 32; ++l) {
        if (!(mask >> l & 1u)) continue;
        int32_t v = (int32_t)(int64_t)cc.val[l];
        r = op == OP_REDUCE_ADD_I ? (int32_t)((uint32_t)r + (uint32_t)v) : op == OP_REDUCE_MIN_I ? std::min(r, v) : std::max(r, v);
      }
      agg = (uint64_t)(int64_t)r;
      break;
    }
    default: break;
  }
  for (int l = 0; l < 32; ++l) {
    if (!(mask >> l & 1u)) continue;
    if (!is_shuffle(op)) { w.result[l] = agg; continue; }
    const unsigned wd = (unsigned)width;
    const unsigned seg = (unsigned)l & ~(wd - 1u);  // first lane of l's segment
    long long src = l;
    switch (op) {
      case OP_SHFL: src = seg | ((unsigned)cc.arg[l] & (wd - 1u)); break;
      // delta / laneMask / srcLane: only their low 5 bits count (PTX shfl.sync: bval = b[4:0]).
      case OP_SHFL_UP: {
        unsigned d = (unsigned)cc.arg[l] & 31u;
        src = ((unsigned)l - seg) >= d ? (long long)l - d : l;
        break;
      }
      case OP_SHFL_DOWN: {
        unsigned d = (unsigned)cc.arg[l] & 31u;
        src = ((unsigned)l - seg) + d < wd ? (long long)l + d : l;
        break;
      }
      case OP_SHFL_XOR: {
        unsigned j = (unsigned)l ^ ((unsigned)cc.arg[l] & 31u);
        src = j <= (seg | (wd - 1u)) ? (long long)j : l;  // later segments read their own value
        break;
      }
    }
    if (!(mask >> src & 1u)) {
      Thread* reader = &b.th[t->warp * 32 + l];
      fail(t, std::string(op_name(op)) + "(mask=" + hex(mask) + ") at " + site_str(site) + ": lane " + std::to_string(l) +
                  " (thread " + xyz(reader->idx) + ") reads lane " + std::to_string(src) +
                  ", which is not in the mask (its value is undefined on the GPU)");
    }
    w.result[l] = cc.val[src];
  }
  for (int l = 0; l < 32; ++l)
    if ((mask >> l & 1u) && l != t->lane) release(&b.th[t->warp * 32 + l]);
  if (L->threads()) w.cv.notify_all();
  return w.result[t->lane];
}

int block_barrier(int op, int pred, Site site) {
  Thread* t = self_or_die(op_name(op));
  Block& b = *t->blk;
  Launch* L = b.L;
  progress();
  if (L->aborted.load()) throw AbortUnwind{};
  Guard g(b.m, L->threads());
  if (b.exited > 0)
    fail(t, std::string(op_name(op)) + " at " + site_str(site) + " reached by " + std::to_string(b.bar_arrived + 1) +
                " thread(s) but " + std::to_string(b.exited) +
                " thread(s) of the block already exited (a barrier must be reached by every thread of the block; "
                "barrier in divergent code is undefined behaviour)");
  if (b.bar_arrived > 0 && (b.bar_op != op || !same_site(b.bar_site, site)))
    fail(t, std::string(op_name(op)) + " at " + site_str(site) + " while " + std::to_string(b.bar_arrived) +
                " thread(s) wait at " + op_name(b.bar_op) + " at " + site_str(b.bar_site) +
                " (threads of a block at different barriers: barrier in divergent code)");
  if (b.bar_arrived == 0) {
    b.bar_op = op;
    b.bar_site = site;
    b.bar_acc = op == OP_SYNCTHREADS_AND ? 1 : 0;
    b.bar_waiters.clear();
  }
  if (op == OP_SYNCTHREADS_COUNT) b.bar_acc += pred != 0;
  else if (op == OP_SYNCTHREADS_AND) b.bar_acc &= pred != 0;
  else if (op == OP_SYNCTHREADS_OR) b.bar_acc |= pred != 0;
  b.bar_arrived++;
  if (b.bar_arrived < b.n) {
    b.bar_waiters.push_back(t->linear);
    set_wait(t, op, 0, site);
    block_on(t, g, b.cv);
    clear_wait(t);
    return b.bar_result;
  }
  b.bar_result = b.bar_acc;
  b.bar_arrived = 0;
  for (int i : b.bar_waiters) release(&b.th[i]);
  b.bar_waiters.clear();
  if (L->threads()) b.cv.notify_all();
  return b.bar_result;
}

unsigned active_mask() {
  Thread* t = self_or_die("__activemask");
  Block& b = *t->blk;
  Warp& w = b.warps[t->warp];
  Guard g(w.m, b.L->threads());
  return w.live;
}

void* dynamic_shared() {
  Thread* t = self_or_die("dynamic shared memory (SIMT_DYN_SHARED)");
  return t->blk->dyn;
}

void trap(Site site) {
  Thread* t = self_or_die("__trap");
  fail(t, "__trap() at " + site_str(site));
}

// ---- host side ----------------------------------------------------------------------------------
namespace {
thread_local int t_last_error = 0;
thread_local int t_sticky_error = 0;
thread_local ErrorCapture* t_capture = nullptr;
}  // namespace
int& last_error() { return t_last_error; }
int& sticky_error() { return t_sticky_error; }
ErrorCapture* current_capture() { return t_capture; }

void set_max_dynamic_smem(const void* kernel_id, int bytes) {
  std::lock_guard<std::mutex> lk(g_attr_m);
  g_max_dyn_smem[kernel_id] = bytes;
}

void report_unhandled(const LaunchResult& r) {
  std::fprintf(stderr, "%s\n", r.message.c_str());
  std::fflush(stderr);
  std::abort();
}

LaunchResult run(const char* name, const void* kernel_id, const LaunchOptions& opt, dim3 grid, dim3 block,
                 size_t smem, Body body, void* ctx) {
  LaunchResult res;
  auto bad = [&](int code, const std::string& why) {
    res.ok = false;
    res.cuda_error = code;
    res.message = "simt: kernel '" + std::string(name) + "': " + why;
    return res;
  };
  if (t_self) return bad(719, "launch from inside a kernel (dynamic parallelism) is not supported by the emulator");
  unsigned long long nthreads = (unsigned long long)block.x * block.y * block.z;
  if (block.x == 0 || block.y == 0 || block.z == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0)
    return bad(9, "invalid configuration: zero grid or block dimension");
  if (block.x > 1024 || block.y > 1024 || block.z > 64 || nthreads > 1024)
    return bad(9, "invalid configuration: block " + xyz(uint3{block.x, block.y, block.z}) + " exceeds 1024 threads or (1024,1024,64)");
  if (grid.x > 2147483647u || grid.y > 65535u || grid.z > 65535u)
    return bad(9, "invalid configuration: grid " + xyz(uint3{grid.x, grid.y, grid.z}) + " exceeds (2^31-1,65535,65535)");
  {
    int limit = 48 * 1024;
    std::lock_guard<std::mutex> lk(g_attr_m);
    auto it = g_max_dyn_smem.find(kernel_id);
    if (it != g_max_dyn_smem.end()) limit = std::max(limit, it->second);
    if (smem > (size_t)limit)
      return bad(1, "invalid value: " + std::to_string(smem) + " bytes of dynamic shared memory exceed the kernel's limit of " +
                        std::to_string(limit) + " (more than 48 KiB needs cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, n))");
  }

  std::lock_guard<std::mutex> launch_lock(g_launch_m);
  Launch L;
  L.name = name;
  L.engine = opt.engine == Engine::Default ? default_engine() : opt.engine;
#ifdef SIMT_TSAN
  L.engine = Engine::Threads;  // ThreadSanitizer does not follow ucontext stack switches: always OS threads
#endif
  long long seed = opt.seed >= 0 ? opt.seed : default_seed();
  L.seed = (uint64_t)seed;
  L.grid = grid;
  L.block = block;
  L.smem = smem;
  L.body = body;
  L.ctx = ctx;
  L.nthreads = (int)nthreads;

  // Block order: natural for seed 0, shuffled otherwise.
  unsigned long long nblocks = (unsigned long long)grid.x * grid.y * grid.z;
  std::vector<unsigned long long> order;
  bool shuffle = L.seed != 0 && nblocks <= (1ull << 22);
  if (shuffle) {
    order.resize(nblocks);
    for (unsigned long long i = 0; i < nblocks; ++i) order[i] = i;
    Rng rng(L.seed ^ 0xb10c0bdeull);
    for (unsigned long long i = nblocks - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  }
  watchdog_begin(&L);
  for (unsigned long long k = 0; k < nblocks && !L.aborted.load(); ++k) {
    unsigned long long lin = shuffle ? order[k] : k;
    uint3 bidx{(unsigned)(lin % grid.x), (unsigned)((lin / grid.x) % grid.y), (unsigned)(lin / ((unsigned long long)grid.x * grid.y))};
    Block b;
    init_block(b, &L, bidx);
    {
      std::lock_guard<std::mutex> lk(wd().m);
      L.cur = &b;
    }
    blockIdx = bidx;
    blockDim = block;
    gridDim = grid;
    if (L.threads()) run_block_threads(b);
    else run_block_fibers(b);
    {
      std::lock_guard<std::mutex> lk(wd().m);
      L.cur = nullptr;
    }
    std::free(b.dyn);
  }
  watchdog_end();
  threadIdx = uint3{0, 0, 0};
  blockIdx = uint3{0, 0, 0};
  if (!L.error.empty()) {
    res.ok = false;
    res.cuda_error = 719;
    res.message = L.error;
  }
  return res;
}

}  // namespace detail

// ---- configuration ----------------------------------------------------------------------------
Engine default_engine() {
  const char* e = std::getenv("SIMT_ENGINE");
  if (e && std::strcmp(e, "threads") == 0) return Engine::Threads;
  if (e && std::strcmp(e, "fibers") == 0) return Engine::Fibers;
#ifdef SIMT_TSAN
  return Engine::Threads;
#else
  return Engine::Fibers;
#endif
}
long long default_seed() {
  const char* e = std::getenv("SIMT_SEED");
  if (e && *e) return std::atoll(e);
  return 1;
}
const char* fiber_switch() {
#ifdef SIMT_USE_BOOST_CONTEXT
  return "Boost.Context";
#else
  return "ucontext";
#endif
}
const char* engine_name(Engine e) {
  switch (e) {
    case Engine::Fibers: return "fibers";
    case Engine::Threads: return "threads";
    default: return engine_name(default_engine());
  }
}

ErrorCapture::ErrorCapture() : prev_(detail::t_capture) { detail::t_capture = this; }
ErrorCapture::~ErrorCapture() { detail::t_capture = prev_; }

}  // namespace simt
