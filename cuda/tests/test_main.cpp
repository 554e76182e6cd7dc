// cuda/tests/test_main.cpp: entry point of simt_tests / simt_tests_tsan / simt_tests_asan, and the
// CUDA runtime shim's tests. Usage:
//   simt_tests [substring]      run the tests whose name contains substring (all by default)
//   simt_tests --list           list the tests
//   simt_tests --demo <name>    run one deliberate bug for a sanitizer/watchdog ctest
//                               (race: TSan build; smem-overflow, static-overflow: ASan build;
//                               spin: SIMT_TIMEOUT=1)
// Prints one line per test and ends with "N passed, N failed" (N counts checks); exit status 1 on failure.
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "simt_test.h"

int run_demo(const std::string& which);  // test_emu.cpp

SIMT_TEST(shim_memory_and_errors) {
  float* d = nullptr;
  EXPECT(cudaMalloc(&d, 16 * sizeof(float)) == cudaSuccess && d, "cudaMalloc");
  unsigned bits;
  std::memcpy(&bits, d, 4);
  EXPECT(bits == 0xffffffffu, "fresh device memory is garbage-filled");
  std::vector<float> h(16, 2.5f), back(16, 0.0f);
  EXPECT(cudaMemcpy(d, h.data(), 64, cudaMemcpyHostToDevice) == cudaSuccess, "H2D");
  EXPECT(cudaMemcpy(back.data(), d, 64, cudaMemcpyDeviceToHost) == cudaSuccess && back == h, "D2H");
  volatile size_t too_many = 68;  // volatile: g++ would warn about the deliberate overrun
  EXPECT(cudaMemcpy(d, h.data(), too_many, cudaMemcpyHostToDevice) == cudaErrorInvalidValue, "copy past the allocation rejected");
  EXPECT(cudaGetLastError() == cudaErrorInvalidValue && cudaGetLastError() == cudaSuccess, "last error set, then reset");
  EXPECT(cudaMemset(d, 0, 64) == cudaSuccess && cudaMemcpy(back.data(), d, 64, cudaMemcpyDeviceToHost) == cudaSuccess && back[15] == 0.0f,
         "memset");
  EXPECT(cudaMemset(d + 8, 0, too_many) == cudaErrorInvalidValue, "memset past the end rejected");
  cudaStream_t s;
  EXPECT(cudaStreamCreate(&s) == cudaSuccess && cudaMemcpyAsync(d, h.data(), 64, cudaMemcpyHostToDevice, s) == cudaSuccess &&
             cudaStreamSynchronize(s) == cudaSuccess && cudaStreamDestroy(s) == cudaSuccess,
         "streams");
  EXPECT(cudaFree(d) == cudaSuccess, "free");
  EXPECT(cudaFree(d) == cudaErrorInvalidValue, "double free rejected");
  cudaGetLastError();
  EXPECT(std::string(cudaGetErrorString(cudaErrorInvalidValue)) == "invalid argument", "error string");
  EXPECT(cudaErrorInvalidConfiguration == 9 && cudaErrorLaunchFailure == 719 && cudaErrorNoDevice == 100 &&
             cudaErrorInsufficientDriver == 35,
         "CUDA's error values");
}

SIMT_TEST(shim_device_and_events) {
  int n = 0;
  EXPECT(cudaGetDeviceCount(&n) == cudaSuccess && n == 1, "one emulated device");
  cudaDeviceProp p;
  EXPECT(cudaGetDeviceProperties(&p, 0) == cudaSuccess && std::string(p.name) == "SIMT emulator" && p.major == 8 && p.minor == 0 &&
             p.warpSize == 32 && p.maxThreadsPerBlock == 1024 && p.sharedMemPerBlock == 48 * 1024,
         "sm_80-like properties");
  EXPECT(cudaGetDeviceProperties(&p, 1) == cudaErrorInvalidDevice, "device 1 does not exist");
  cudaGetLastError();
  int v = 0;
  EXPECT(cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, 0) == cudaSuccess && v == 108, "attribute");
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  cudaEventRecord(a, 0);
  volatile double x = 0;
  for (int i = 0; i < 100000; ++i) x = x + i;
  cudaEventRecord(b, 0);
  cudaEventSynchronize(b);
  float ms = -1;
  EXPECT(cudaEventElapsedTime(&ms, a, b) == cudaSuccess && ms >= 0.0f && ms < 10000.0f, "event timing %g ms", (double)ms);
  cudaEventDestroy(a);
  cudaEventDestroy(b);
}

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--demo") == 0) return run_demo(argv[2]);
  const bool list = argc >= 2 && std::strcmp(argv[1], "--list") == 0;
  const char* filter = (argc >= 2 && !list) ? argv[1] : nullptr;
  std::printf("SIMT emulator tests: engine %s (fiber switch: %s), seed %lld\n", simt::engine_name(simt::default_engine()),
              simt::fiber_switch(), simt::default_seed());
  auto& c = simt_test::counters();
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& t : simt_test::registry()) {
    if (list) { std::printf("%s\n", t.name); continue; }
    if (filter && !std::strstr(t.name, filter)) continue;
    c.current = t.name;
    const int f0 = c.failed;
    const auto s = std::chrono::steady_clock::now();
    t.fn();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s).count();
    std::printf("%s %s (%.0f ms)\n", c.failed == f0 ? "ok  " : "FAIL", t.name, ms);
    std::fflush(stdout);
  }
  if (list) return 0;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%.2f s\n%d passed, %d failed\n", secs, c.passed, c.failed);
  return c.failed == 0 ? 0 : 1;
}
