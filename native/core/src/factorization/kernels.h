// The per-ISA inner loops of the factorisation kernels, behind one function table.
// kernels.inl is compiled three times (kernels_scalar.cpp, kernels_avx2.cpp, kernels_avx512.cpp);
// the drivers (als_cpu.cpp, sgd.cpp, bpr.cpp) validate, partition, allocate and pick a table by
// active_isa(). Only plain structs cross this boundary (no Status, no std:: containers), so no
// inline function compiled with AVX flags can leak into baseline code.
#pragma once

#include <cstdint>

namespace souk {
namespace fact {

// Padded factor count used for scratch vectors and the d x d matrices (multiple of 64 floats, so
// every ISA works on whole register blocks; padding lanes stay zero).
inline int64_t padded_dim(int64_t d) { return (d + 63) / 64 * 64; }

struct AlsArgs {
  const int32_t* indptr = nullptr;
  const int32_t* indices = nullptr;
  const float* conf = nullptr;  // null = all ones
  const float* y = nullptr;
  int64_t y_stride = 0;
  float* x = nullptr;
  int64_t x_stride = 0;
  const float* a0 = nullptr;  // dp x dp, row stride dp: YtY + lambda I (solve) or YtY (loss)
  int64_t d = 0, dp = 0;
  int solver = 0;  // 0 CG, 1 Cholesky
  int cg_steps = 3;
};

// Items packed per block in the Cholesky path (rows of dp floats).
constexpr int64_t kAlsItemBlock = 128;
// Scratch floats one thread needs for als_rows / loss_rows.
inline int64_t als_scratch_floats(int64_t dp) { return 8 * dp + dp * dp + 2 * kAlsItemBlock * dp + 64; }

struct LossPartial {
  double loss = 0, total_conf = 0, user_norm = 0;
};

struct SgdArgs {
  const int32_t* indices = nullptr;
  const float* ratings = nullptr;  // null = all ones
  const int32_t* rows_of = nullptr;
  float* p = nullptr;
  int64_t p_stride = 0;
  float* q = nullptr;
  int64_t q_stride = 0;
  float* user_bias = nullptr;
  float* item_bias = nullptr;
  int64_t d = 0;
  float lr = 0, reg = 0, mu = 0;
};

struct BprTriple {
  int32_t u, i, j;
};

struct BprArgs {
  float* p = nullptr;
  int64_t p_stride = 0;
  float* q = nullptr;
  int64_t q_stride = 0;
  float* item_bias = nullptr;
  int64_t d = 0;
  float lr = 0, reg = 0;
};

struct KernelTable {
  // Solves rows [r0, r1). Returns -1, or the first row that failed (kind 1: non-finite result,
  // kind 2: non-positive Cholesky pivot); that row of X is left as it was.
  int64_t (*als_rows)(const AlsArgs& a, int64_t r0, int64_t r1, float* scratch, int* kind);
  // Adds rows [r0, r1) of implicit's loss to *out. Returns -1 or the first non-finite row.
  int64_t (*loss_rows)(const AlsArgs& a, int64_t r0, int64_t r1, float* scratch, LossPartial* out);
  // SGD over the stored entries order[0..n). Returns the sum of squared errors; *bad = index into
  // order of the first non-finite prediction (then stops), else -1.
  double (*sgd_run)(const SgdArgs& a, const int32_t* order, int64_t n, int64_t* bad);
  // BPR over n sampled triples. Adds to *loss (sum of -log sigmoid) and *correct; *bad as above.
  void (*bpr_run)(const BprArgs& a, const BprTriple* s, int64_t n, double* loss, int64_t* correct,
                  int64_t* bad);
};

const KernelTable& kernels_scalar();
const KernelTable& kernels_avx2();    // only valid when compiled for x86 (SOUK_X86)
const KernelTable& kernels_avx512();  // idem
// The table for active_isa().
const KernelTable& active_kernels();

}  // namespace fact
}  // namespace souk
