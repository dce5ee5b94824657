#pragma once
// Which instruction set the engine's kernels run with, chosen once at start-up.
//
// The kernels (src/graph/ops/*.cpp) use Eigen packets whose width the preprocessor fixes
// (__AVX__, __FMA__, __AVX512F__), so the build compiles them three times: for baseline
// x86-64 (SSE2, as the rest of the library), for AVX2 + FMA and for AVX-512 (F, DQ, VL, BW;
// 16 floats a packet). Each OpDef takes the widest kernels the CPU has (make_op, op.hpp);
// the program executor just calls op.forward_f32 etc. At avx512 the float64 kernels are
// the AVX2 ones: Eigen has no vector tanh for double, and the AVX-512 copy's scalar libm
// calls made the tutorial network's float64 step 3.4x slower than the AVX2 copy's
// (bench/pathfinder_bench, Laplace: 31 against 105 ms), while float32 gains (up to 1.4x,
// docs/PERFORMANCE.md). Code outside the op kernels with copies of its own
// (normal_draws.cpp, softplus_kernel.cpp, vi/mean_field_adam_step.cpp) runs its AVX2 copy at
// avx2 and its AVX-512 one, where it has one (the single-precision normals, the fused
// step's softplus terms and loops), at avx512.
// The AVX2 copy lives in one object whose every symbol but its table is made local
// (CMakeLists.txt, "ISA kernels"), so no inline function compiled with AVX2 can stand in
// for the baseline's copy. docs/ARCHITECTURE.md, "Instruction sets".
//
// ELBO_ISA=baseline|avx2|avx512|auto (environment, read once) forces a level; a level the CPU
// lacks, or one this build has no kernels for, falls back to baseline with a message on
// stderr. Results differ between levels in the last bits: a wider packet sums in another
// order, and FMA rounds once where SSE rounds twice.
#include <string_view>

#include "op.hpp"

namespace elbo::isa {

enum class Level { baseline, avx2, avx512 };

/// The level the kernels run with in this process (chosen at the first call).
Level active();
/// "baseline", "avx2", "avx512".
std::string_view name(Level level);
/// This build has kernels for `level` and this CPU can run them.
bool available(Level level);
/// The OpDef named `op` with its kernels as compiled for `level`, or null when this build
/// has no such kernels. For tests that compare levels in one process.
const OpDef* kernels(Level level, std::string_view op);

}  // namespace elbo::isa
