// Thread pool: fixed workers, dynamic task hand-out, first error captured. See souk/threads.h.
#include "souk/threads.h"

#include <atomic>
#include <exception>

namespace souk {

struct ThreadPool::Job {
  const TaskFn* fn = nullptr;
  int64_t tasks = 0;
  int max_slots = 1;
  std::atomic<int64_t> next{0};
  std::atomic<int> slots_taken{0};
  std::atomic<bool> failed{false};
  std::mutex mu;  // guards error, running, and done signalling
  std::condition_variable done_cv;
  int running = 0;  // threads currently inside run()
  Status error;

  // Runs tasks until none are left. Returns when this thread has nothing more to take.
  void run(int slot) {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) break;
      int64_t t = next.fetch_add(1, std::memory_order_relaxed);
      if (t >= tasks) break;
      Status st;
      try {
        st = (*fn)(t, slot);
      } catch (const std::bad_alloc&) {
        st = Status(Code::OutOfMemory, "out of host memory in a kernel task");
      } catch (const std::exception& e) {
        st = Status(Code::Internal, std::string("unexpected exception in a kernel task: ") + e.what());
      } catch (...) {
        st = Status(Code::Internal, "unexpected exception in a kernel task");
      }
      if (!st.is_ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failed.load()) {
          error = st;
          failed.store(true);
        }
      }
    }
  }
};

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int workers) {
  if (workers < 0) workers = hardware_threads() - 1;
  workers_.reserve(workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_ && queue_.empty()) return;
      job = queue_.front();
      // Claim a slot; when the job has all the helpers it may use, take it off the queue.
      int slot = job->slots_taken.fetch_add(1);
      if (slot + 1 >= job->max_slots) queue_.pop_front();
      if (slot >= job->max_slots) continue;  // raced past the limit: nothing to do here
      {
        std::lock_guard<std::mutex> jl(job->mu);
        job->running++;
      }
      lock.unlock();
      job->run(slot);
      {
        std::lock_guard<std::mutex> jl(job->mu);
        job->running--;
      }
      job->done_cv.notify_all();
    }
  }
}

Status ThreadPool::parallel_for(int64_t tasks, int threads, const TaskFn& fn) {
  if (tasks <= 0) return Status::ok();
  int limit = max_threads();
  if (threads <= 0 || threads > limit) threads = limit;
  if (threads > tasks) threads = static_cast<int>(tasks);
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->tasks = tasks;
  job->max_slots = threads;
  job->slots_taken.store(1);  // slot 0 is the caller's
  if (threads > 1) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(job);
    }
    if (threads == 2) cv_.notify_one(); else cv_.notify_all();
  }
  job->run(0);
  // Make sure no helper will pick this job up any more, then wait for the ones running it.
  if (threads > 1) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (*it == job) { queue_.erase(it); break; }
      }
    }
    std::unique_lock<std::mutex> jl(job->mu);
    job->done_cv.wait(jl, [&] { return job->running == 0; });
  }
  if (job->failed.load()) return job->error;
  return Status::ok();
}

Status ExecContext::parallel_for(int64_t tasks, const TaskFn& fn) const {
  if (!pool || effective_threads() <= 1) {
    try {
      for (int64_t t = 0; t < tasks; ++t) {
        Status st = fn(t, 0);
        if (!st.is_ok()) return st;
      }
    } catch (const std::bad_alloc&) {
      return Status(Code::OutOfMemory, "out of host memory in a kernel task");
    } catch (const std::exception& e) {
      return Status(Code::Internal, std::string("unexpected exception in a kernel task: ") + e.what());
    }
    return Status::ok();
  }
  return pool->parallel_for(tasks, effective_threads(), fn);
}

}  // namespace souk
