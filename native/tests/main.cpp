// Runs every registered native test; argv[1], if given, keeps only tests whose name contains it.
#include <cstring>
#include <exception>

#include "harness.h"

namespace souk_test {
std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}
static int g_current_failures = 0;
void fail(const char* file, int line, const std::string& what) {
  ++g_current_failures;
  if (g_current_failures <= 10) std::fprintf(stderr, "    %s:%d: FAILED %s\n", file, line, what.c_str());
}
int failures_in_current() { return g_current_failures; }
}  // namespace souk_test

int main(int argc, char** argv) {
  using namespace souk_test;
  // Line-buffered, so a crash still shows which test was running.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (auto& c : registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    g_current_failures = 0;
    std::printf("  run  %s\n", c.name);
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("exception: ") + e.what());
    }
    if (g_current_failures == 0) {
      ++passed;
      std::printf("  ok   %s\n", c.name);
    } else {
      ++failed;
      std::printf("  FAIL %s (%d checks)\n", c.name, g_current_failures);
    }
  }
  std::printf("native: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
