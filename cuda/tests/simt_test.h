// cuda/tests/simt_test.h: the tiny test harness of the emulator tests (no dependencies).
// SIMT_TEST(name) { ... } registers a test; EXPECT(cond, fmt...) counts one check and prints the
// message on failure. main() (test_main.cpp) runs every test, or those whose name contains argv[1],
// and ends with the line "N passed, N failed" (N = checks). Limits: single-threaded host side.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "../simt/compat.cuh"

namespace simt_test {

struct Test {
  const char* name;
  void (*fn)();
};
inline std::vector<Test>& registry() {
  static std::vector<Test> r;
  return r;
}
struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back(Test{name, fn}); }
};
struct Counters {
  int passed = 0, failed = 0;
  const char* current = "";
};
inline Counters& counters() {
  static Counters c;
  return c;
}
inline bool check(bool ok, const char* file, int line, const char* fmt, ...) {
  Counters& c = counters();
  if (ok) {
    c.passed++;
    return true;
  }
  c.failed++;
  std::fprintf(stdout, "  FAIL [%s] %s:%d: ", c.current, file, line);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stdout, fmt, ap);
  va_end(ap);
  std::fprintf(stdout, "\n");
  std::fflush(stdout);
  return false;
}

// Build flavour: the TSan build runs OS threads (about 40x slower): tests shrink their sizes there.
#if defined(__SANITIZE_THREAD__)
constexpr bool kSlow = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kSlow = true;
#else
constexpr bool kSlow = false;
#endif
#else
constexpr bool kSlow = false;
#endif

inline simt::LaunchOptions opts(long long seed = -1) {
  simt::LaunchOptions o;
  o.seed = seed;
  return o;
}
inline bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace simt_test

#define SIMT_TEST_CAT2_(a, b) a##b
#define SIMT_TEST_CAT_(a, b) SIMT_TEST_CAT2_(a, b)
#define SIMT_TEST(name)                                                                      \
  static void name();                                                                        \
  static ::simt_test::Registrar SIMT_TEST_CAT_(simt_test_reg_, name)(#name, &name);          \
  static void name()
#define EXPECT(cond, ...) ::simt_test::check((cond), __FILE__, __LINE__, __VA_ARGS__)
