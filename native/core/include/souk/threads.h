// souk/threads.h — the project's thread pool.
//
// A fixed set of workers created once (per addon instance) and shared by every op. An op splits
// its work into `tasks` independent pieces and calls parallel_for; the calling thread works too,
// so a pool of W workers runs W + 1 pieces at once. Several callers (e.g. concurrent async ops on
// libuv's threads) may use one pool at the same time: each call is its own job, and a job never
// runs more than `threads` pieces at once.
//
// Scheduling is dynamic (an atomic counter hands out the next task), which suits uneven work such
// as ALS users with very different degrees. The first error a task reports is captured; once an
// error is seen, tasks not yet started are skipped and that Status is returned.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "souk/common.h"

namespace souk {

// A task gets (task index, worker slot). The slot is in [0, threads) and is unique among the
// tasks running at the same time within one parallel_for call: use it to index per-thread
// scratch buffers.
using TaskFn = std::function<Status(int64_t task, int slot)>;

class ThreadPool {
 public:
  // workers: background threads to start (0 = hardware_concurrency() - 1, at least 0).
  explicit ThreadPool(int workers = -1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Number of threads a call can use at most (workers + the caller).
  int max_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(0 .. tasks-1) on at most `threads` threads (<= 0 means max_threads()).
  Status parallel_for(int64_t tasks, int threads, const TaskFn& fn);

 private:
  struct Job;
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_ = false;
};

// What every CPU op receives: the pool and how many threads it may use.
struct ExecContext {
  ThreadPool* pool = nullptr;  // null = run on the calling thread only
  int threads = 0;             // <= 0 = all the pool offers
  int effective_threads() const {
    if (!pool) return 1;
    int max = pool->max_threads();
    return (threads <= 0 || threads > max) ? max : threads;
  }
  Status parallel_for(int64_t tasks, const TaskFn& fn) const;
};

// Number of hardware threads (at least 1).
int hardware_threads();

}  // namespace souk
