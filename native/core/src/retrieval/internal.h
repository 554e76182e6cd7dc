// retrieval/internal.h — private interface between the retrieval orchestration (baseline ISA
// translation units: validation, heaps, threading) and the per-ISA compute kernels
// (kernels_avx512.cpp, kernels_avx2.cpp, kernels_scalar.cpp).
//
// The one hot loop is `scan`: for a micro-block of up to MR queries (packed d x MR, query values of
// one k-step contiguous) and a chunk of item panels (each panel d x NR, transposed so one k-step is
// NR contiguous floats), it computes the MR x NR score tile in registers and then, depending on the
// mode, (a) compares each query's scores with that query's running threshold and hands the rare
// survivors to a callback (top-K), (b) also folds exp(score / T) into an online log-sum-exp
// (softmax, sampling), (c) stores the tile (scores) or (d) adds it into a double accumulator (Gram).
//
// The ISA files contain only this arithmetic on plain pointers — no std:: templates, no
// allocation — so that nothing compiled with -mavx512f can be merged by the linker into code run
// on a CPU without it (inline-function ODR pitfall).
#pragma once

#include <cstdint>

#include "souk/common.h"
#include "souk/isa.h"

namespace souk {
namespace retrieval {

constexpr int kMaxMR = 16;  // largest MR of any table
constexpr int kMaxNR = 32;  // largest NR of any table; every NR divides 32
constexpr int kChunkAlign = 32;  // chunks start at multiples of 32 items (allow-bitset byte alignment)

enum class ScanMode : int {
  TopK = 0,     // survivors: score >= thr[i] among admissible items
  Softmax = 1,  // TopK + online log-sum-exp of score * inv_t over admissible items
  Sample = 2,   // Softmax's LSE + survivors: score >= thr[i] (a conservative bound from the caller)
  Scores = 3,   // store the tile into out (float, row stride ldo)
  GramAcc = 4,  // add the tile into dout (double, row stride ldo)
};

// Survivor callback: masks[i] has bit b set when item (panel * NR + b) of the chunk survived for
// query i of the micro-block; tile holds the MR x NR scores (row i at tile + i * NR).
using TileFn = void (*)(void* ctx, int panel, const uint32_t* masks, const float* tile);

struct ScanArgs {
  const float* qp = nullptr;   // packed queries: qp[p * MR + i], p < d, i < MR (zero padded)
  int64_t ldq = 0;             // distance between k-steps in qp (0 = MR, the packed layout)
  int mr = 0;                  // valid queries in the micro-block (1..MR)
  int d = 0;                   // reduction length
  const float* chunk = nullptr;  // npanels panels, panel p at chunk + p * d * NR, 64-byte aligned
  int npanels = 0;
  int last_valid = 0;          // valid items in the last panel (1..NR)
  const uint32_t* adm = nullptr;  // admissible items: adm[i * adm_ld + p] (TopK/Softmax/Sample)
  int64_t adm_ld = 0;
  float* thr = nullptr;        // mr thresholds, re-read after every callback
  ScanMode mode = ScanMode::TopK;
  float inv_t = 1.0f;
  float* lmax = nullptr;       // mr running maxima of score * inv_t (-inf initially)
  double* lsum = nullptr;      // mr running sums of exp(score * inv_t - lmax)
  float* out = nullptr;        // Scores: query i, panel p column c at out[i * ldo + p * NR + c]
  double* dout = nullptr;      // GramAcc: same indexing, +=
  int64_t ldo = 0;
  // Sample: per-query hash key ka = splitmix64(seed ^ splitmix64(row)) and current k-th key
  // (-inf while the heap is not full); kernels with a vector prune drop items whose Gumbel key
  // provably cannot reach it (see fused.cpp), the callback re-checks exactly.
  const uint64_t* ka = nullptr;
  const double* root = nullptr;
  double inv_t_d = 1.0;
  int64_t item_base = 0;      // global index of the chunk's first item
  TileFn on_tile = nullptr;
  void* ctx = nullptr;
};

struct KernelTable {
  Isa isa;
  int mr;  // queries per micro-block
  int nr;  // items per panel
  void (*scan)(const ScanArgs& a);
  // Packs `rows` (<= nr) item rows (src, row stride ld, d floats each) into one panel d x nr
  // (panel[t * nr + c] = src[c * ld + t], columns rows..nr-1 zeroed). False on NaN/Inf.
  bool (*pack)(const float* src, int64_t ld, int rows, int64_t d, float* panel);
  // Dot product of two d-vectors (candidates path); *finite is cleared when b holds NaN/Inf.
  float (*dot)(const float* a, const float* b, int64_t d, bool* finite);
  // Scores of one query q against n consecutive item rows (row i at items + i * ld) into out[0, n):
  // the one-query scan (top-K with m <= 2). W items at a time, each in its own accumulator of W
  // lanes, summed across lanes by one in-register transpose per W items. No finiteness check: a
  // NaN or Inf in an item row always makes its score NaN or +-Inf, and the caller checks those rows.
  void (*dots)(const float* q, const float* items, int64_t ld, int64_t n, int64_t d, float* out);
};

const KernelTable* kernels_scalar();
const KernelTable* kernels_avx2();    // null when not compiled for x86
const KernelTable* kernels_avx512();  // null when not compiled for x86
// The table for active_isa().
const KernelTable& active_kernels();

// ---- tuning knobs (tests force both top-K threading modes) ----
// Item-split mode (per-thread top-K state for all m queries, merged at the end) is used while
// threads * m * k * 16 bytes stays under this budget; otherwise queries are split into blocks.
int64_t topk_item_split_budget();
void set_topk_item_split_budget(int64_t bytes);  // <0 restores the default

}  // namespace retrieval
}  // namespace souk
