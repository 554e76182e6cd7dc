// Thread pool: every task runs once, slots are unique among concurrent tasks, the first error
// is returned and later tasks are skipped, concurrent callers share one pool safely.
#include <atomic>
#include <thread>
#include <vector>

#include "harness.h"
#include "souk/threads.h"

using namespace souk;

TEST(threads_every_task_once) {
  ThreadPool pool(3);
  for (int threads : {1, 2, 4, 0}) {
    std::vector<std::atomic<int>> hits(1000);
    for (auto& h : hits) h = 0;
    Status st = pool.parallel_for(1000, threads, [&](int64_t t, int slot) {
      hits[t]++;
      return Status::ok();
    });
    CHECK_OK(st);
    for (auto& h : hits) CHECK(h.load() == 1);
  }
}

TEST(threads_slots_unique) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> busy(4);
  for (auto& b : busy) b = 0;
  std::atomic<int> clashes{0};
  Status st = pool.parallel_for(400, 4, [&](int64_t, int slot) {
    if (slot < 0 || slot >= 4) { clashes++; return Status::ok(); }
    if (busy[slot].fetch_add(1) != 0) clashes++;
    std::this_thread::yield();
    busy[slot].fetch_sub(1);
    return Status::ok();
  });
  CHECK_OK(st);
  CHECK(clashes.load() == 0);
}

TEST(threads_first_error_wins) {
  ThreadPool pool(1);
  std::atomic<int> ran{0};
  Status st = pool.parallel_for(10000, 2, [&](int64_t t, int) {
    ran++;
    if (t == 5) return Status(Code::Argument, "task 5 failed");
    return Status::ok();
  });
  CHECK_CODE(st, Code::Argument);
  CHECK(st.message() == "task 5 failed");
  CHECK(ran.load() < 10000) << "tasks after the error should be skipped";
}

TEST(threads_exception_becomes_status) {
  ThreadPool pool(1);
  Status st = pool.parallel_for(4, 2, [&](int64_t t, int) -> Status {
    if (t == 2) throw std::runtime_error("boom");
    return Status::ok();
  });
  CHECK_CODE(st, Code::Internal);
}

TEST(threads_concurrent_callers) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep) {
        Status st = pool.parallel_for(100, 3, [&](int64_t t, int) {
          total += t;
          return Status::ok();
        });
        if (!st.is_ok()) total = -1000000000;
      }
    });
  }
  for (auto& t : callers) t.join();
  CHECK(total.load() == 4 * 50 * 4950);
}
