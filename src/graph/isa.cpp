// Choosing the kernels' instruction set at start-up (isa.hpp).
#include "isa.hpp"

#include "elbo/graph/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <span>
#include <string>

#ifdef ELBO_HAVE_ISA_AVX2
// Defined in the AVX2 kernels' object (isa_variant_entry.cpp): its OpDefs.
extern "C" const elbo::OpDef* const* elbo_isa_kernels_avx2(int* count);
#endif
#ifdef ELBO_HAVE_ISA_AVX512
extern "C" const elbo::OpDef* const* elbo_isa_kernels_avx512(int* count);
#endif

namespace elbo {
namespace {

// Every OpDef as compiled for the baseline, recorded by with_isa_kernels (which runs while
// the OpDefs are initialised, before main). A deque keeps the addresses stable.
std::deque<OpDef>& baseline_ops() {
  static std::deque<OpDef> ops;
  return ops;
}

std::span<const OpDef* const> variant_ops(isa::Level level) {
#ifdef ELBO_HAVE_ISA_AVX2
  if (level == isa::Level::avx2) {
    int n = 0;
    const OpDef* const* ops = elbo_isa_kernels_avx2(&n);
    return {ops, static_cast<size_t>(n)};
  }
#endif
#ifdef ELBO_HAVE_ISA_AVX512
  if (level == isa::Level::avx512) {
    int n = 0;
    const OpDef* const* ops = elbo_isa_kernels_avx512(&n);
    return {ops, static_cast<size_t>(n)};
  }
#endif
  (void)level;
  return {};
}

bool cpu_has(isa::Level level) {
  switch (level) {
    case isa::Level::baseline: return true;
    case isa::Level::avx2:
#if defined(__x86_64__) || defined(__i386__)
      __builtin_cpu_init();  // may run before libgcc's own constructor
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
    case isa::Level::avx512:
#if defined(__x86_64__) || defined(__i386__)
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#else
      return false;
#endif
  }
  return false;
}

// The level is chosen while the OpDefs are initialised, before main, when no logger can
// have been installed yet (log_message would drop the line): straight to stderr.
void warn(const std::string& message) {
  std::fprintf(stderr, "elbo: warning: %s\n", message.c_str());
  log_message(LogLevel::warning, message);
}

isa::Level choose() {
  const isa::Level best = isa::available(isa::Level::avx512) ? isa::Level::avx512
                          : isa::available(isa::Level::avx2) ? isa::Level::avx2
                                                             : isa::Level::baseline;
  const char* env = std::getenv("ELBO_ISA");
  if (!env || !*env || std::string_view(env) == "auto") return best;
  for (isa::Level l : {isa::Level::baseline, isa::Level::avx2, isa::Level::avx512}) {
    if (isa::name(l) != env) continue;
    if (isa::available(l)) return l;
    warn("ELBO_ISA=" + std::string(env) + ": " + (cpu_has(l) ? "this build has no such kernels" : "this CPU lacks it") +
         "; using baseline kernels");
    return isa::Level::baseline;
  }
  warn("ELBO_ISA=" + std::string(env) + " is not one of baseline, avx2, avx512, auto; using " +
       std::string(isa::name(best)) + " kernels");
  return best;
}

const OpDef* find(std::span<const OpDef* const> ops, std::string_view name) {
  for (const OpDef* op : ops)
    if (op->name == name) return op;
  return nullptr;
}

}  // namespace

namespace isa {

Level active() {
  static const Level level = choose();
  return level;
}

std::string_view name(Level level) {
  switch (level) {
    case Level::baseline: return "baseline";
    case Level::avx2: return "avx2";
    case Level::avx512: return "avx512";
  }
  return "?";
}

bool available(Level level) {
  return cpu_has(level) && (level == Level::baseline || !variant_ops(level).empty());
}

const OpDef* kernels(Level level, std::string_view op) {
  if (level == Level::baseline) {
    for (const OpDef& d : baseline_ops())
      if (d.name == op) return &d;
    return nullptr;
  }
  return find(variant_ops(level), op);
}

}  // namespace isa

OpDef with_isa_kernels(const OpDef& baseline) {
  baseline_ops().push_back(baseline);
  const isa::Level level = isa::active();
  if (level == isa::Level::baseline) return baseline;
  const OpDef* v = find(variant_ops(level), baseline.name);
  if (!v) return baseline;
  OpDef d = baseline;
  d.forward_f32 = v->forward_f32;
  d.backward_f32 = v->backward_f32;
  // float64 at avx512 takes the AVX2 kernels (isa.hpp, kernels_f64).
  const OpDef* v64 = level == isa::Level::avx512 ? find(variant_ops(isa::Level::avx2), baseline.name) : v;
  if (!v64) v64 = v;
  d.forward_f64 = v64->forward_f64;
  d.backward_f64 = v64->backward_f64;
  return d;
}

}  // namespace elbo
