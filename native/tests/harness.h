// A minimal test harness for the native core (no third-party framework needed in CI).
// TEST(name) { ... CHECK(cond) << ...; } registers a test; main() runs them all (or those whose
// name contains argv[1]) and ends with the line "N passed, N failed".
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace souk_test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
std::vector<Case>& registry();
// Records a failure of the running test.
void fail(const char* file, int line, const std::string& what);
int failures_in_current();

struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

// Streams a message into a failure when the condition is false.
class Check {
 public:
  Check(bool ok, const char* file, int line, const char* expr) : ok_(ok), file_(file), line_(line) {
    if (!ok_) msg_ << expr << " ";
  }
  ~Check() {
    if (!ok_) fail(file_, line_, msg_.str());
  }
  template <class T>
  Check& operator<<(const T& v) {
    if (!ok_) msg_ << v;
    return *this;
  }

 private:
  bool ok_;
  const char* file_;
  int line_;
  std::ostringstream msg_;
};

// |a - b| <= atol + rtol * |b|
inline bool close(double a, double b, double atol, double rtol) {
  if (std::isnan(a) || std::isnan(b)) return false;
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

}  // namespace souk_test

#define SOUK_TEST_CAT2(a, b) a##b
#define SOUK_TEST_CAT(a, b) SOUK_TEST_CAT2(a, b)
#define TEST(name)                                                                   \
  static void SOUK_TEST_CAT(test_fn_, name)();                                       \
  static ::souk_test::Registrar SOUK_TEST_CAT(test_reg_, name)(#name, SOUK_TEST_CAT(test_fn_, name)); \
  static void SOUK_TEST_CAT(test_fn_, name)()
#define CHECK(cond) ::souk_test::Check((cond), __FILE__, __LINE__, #cond)
#define CHECK_OK(status) ::souk_test::Check((status).is_ok(), __FILE__, __LINE__, #status) << (status).message()
#define CHECK_CODE(status, c) \
  ::souk_test::Check((status).code() == (c), __FILE__, __LINE__, #status " has code " #c) << "got " << ::souk::code_name((status).code()) << ": " << (status).message()
#define CHECK_CLOSE(a, b, atol, rtol) \
  ::souk_test::Check(::souk_test::close((a), (b), (atol), (rtol)), __FILE__, __LINE__, #a " ~ " #b) << "(" << (a) << " vs " << (b) << ") "
