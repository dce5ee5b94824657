#pragma once
// The definition of one operation: shape rule, forward kernel and backward rule together.
// Kernels see one sample at a time; the executor handles the sample dimension.
#include <array>
#include <charconv>
#include <span>
#include <string>
#include <string_view>

#include "elbo/graph/error.hpp"
#include "elbo/graph/graph.hpp"
#include "graph_impl.hpp"

namespace elbo {

inline constexpr int kMaxInputs = 16;

/// What a kernel sees for one sample. Values are in the engine's internal layout
/// (see layout.hpp). Backward kernels ACCUMULATE into gin[i] (+=); gin[i] is null when
/// input i needs no gradient. Only entries [0, n_in) of the arrays are set: the executor
/// builds one of these per node and step, and zeroing all four arrays (600 bytes) cost
/// more than a small node's kernel.
template <class T>
struct KernelArgs {
  const Attrs* attrs = nullptr;
  int n_in = 0;
  std::array<const T*, kMaxInputs> in;
  std::array<const Shape*, kMaxInputs> in_shape;
  T* out = nullptr;
  const Shape* out_shape = nullptr;
  const T* gout = nullptr;  ///< null in a forward run
  std::array<T*, kMaxInputs> gin;  ///< entries [0, n_in) null in a forward run
  /// Bit a: gin[a] holds no gradient yet (not even zeros) and the kernel must WRITE it (=)
  /// instead of accumulating. Set only for ops whose OpDef says `backward_assigns`; the
  /// executor then skips zero-filling that buffer (docs/PERFORMANCE.md).
  unsigned gin_fresh = 0;
  /// Working memory of a fused op, as many values as a gradient of its input product
  /// (matmul_activation_op.cpp); null for every other op.
  T* scratch = nullptr;
  /// Bit a: input a is a matrix stored row-major, and its gradient too (a network's weight
  /// matrix kept in the user's layout, program_plan.cpp's mark_row_major_params); set only
  /// for inputs that ops take in either layout (matmul's second operand, normal_logp_sum).
  unsigned in_row_major = 0;
};

struct OpDef {
  std::string_view name;
  int arity;  // number of inputs; -1 for variadic (1..kMaxInputs)
  /// Output base shape; throws ShapeError naming the op and the shapes.
  Shape (*infer)(std::span<const Shape> in, const Attrs& attrs);
  void (*forward_f32)(const KernelArgs<float>&);
  void (*forward_f64)(const KernelArgs<double>&);
  void (*backward_f32)(const KernelArgs<float>&);
  void (*backward_f64)(const KernelArgs<double>&);
  /// Input slots through which gradients never flow (bit i = input i), e.g. where's cond.
  unsigned nondifferentiable_inputs = 0;
  /// The backward kernel honours KernelArgs::gin_fresh.
  bool backward_assigns = false;
};

template <class Op>
constexpr bool backward_assigns_of() {
  if constexpr (requires { Op::backward_assigns; })
    return Op::backward_assigns;
  else
    return false;
}

/// The OpDef of a struct with `name`, `arity`, `infer`, and templated `forward<T>` /
/// `backward<T>`, and optionally `static constexpr bool backward_assigns`, with the kernels
/// as compiled in this translation unit.
template <class Op>
constexpr OpDef compiled_op(unsigned nondifferentiable = 0) {
  return OpDef{Op::name,
               Op::arity,
               &Op::infer,
               &Op::template forward<float>,
               &Op::template forward<double>,
               &Op::template backward<float>,
               &Op::template backward<double>,
               nondifferentiable,
               backward_assigns_of<Op>()};
}

#ifdef ELBO_ISA_VARIANT
// This translation unit is one of the per-ISA copies of the kernels (isa.hpp): its OpDefs
// are constants that the dispatch reads; they are local to the ISA's object file.
template <class Op>
constexpr OpDef make_op(unsigned nondifferentiable = 0) {
  return compiled_op<Op>(nondifferentiable);
}
#else
/// `baseline` with its kernels replaced by those of the instruction set chosen at start-up
/// (isa.cpp); `baseline` itself when that is the baseline or the op has no such kernels.
OpDef with_isa_kernels(const OpDef& baseline);

/// Builds an OpDef from a struct with `name`, `arity`, `infer`, and templated
/// `forward<T>` / `backward<T>`, and optionally `static constexpr bool backward_assigns`.
/// The kernels are those of the instruction set chosen at start-up (isa.hpp), so an OpDef
/// is initialised dynamically; code that runs before main may take its address but not
/// read its fields.
template <class Op>
OpDef make_op(unsigned nondifferentiable = 0) {
  return with_isa_kernels(compiled_op<Op>(nondifferentiable));
}
#endif

/// "matmul: shapes [500,2] and [3,5] do not align (2 != 3)"-style messages.
[[noreturn]] void throw_shape_error(std::string_view op, std::span<const Shape> in,
                                    const std::string& why);

/// Normalises a possibly negative axis against `rank`; throws ShapeError naming the op.
int normalize_axis(std::string_view op, int64_t axis, int rank);
/// The same against a shape; the message names the shape ("sum: axis 2 is out of range
/// for shape [3,4]").
int normalize_axis(std::string_view op, int64_t axis, const Shape& shape);

/// A number for a message, in its shortest exact form: "1", "0.25", "-1e+300".
inline std::string format_number(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// A node for a message: "the data input 'x'", "the parameter 'w'", "node 7 (sum)",
/// "node 4 (a constant)"; without the kind, inputs are just "'x'".
inline std::string describe_node(const Node& n, int id, bool with_kind = true) {
  switch (n.kind) {
    case NodeKind::data: return (with_kind ? "the data input '" : "'") + n.name + "'";
    case NodeKind::parameter: return (with_kind ? "the parameter '" : "'") + n.name + "'";
    case NodeKind::constant: return "node " + std::to_string(id) + " (a constant)";
    case NodeKind::op: break;
  }
  return "node " + std::to_string(id) + " (" + std::string(n.op ? n.op->name : "op") + ")";
}

/// NumPy broadcast of two shapes; throws ShapeError naming the op.
Shape broadcast_shapes(std::string_view op, std::span<const Shape> in);

}  // namespace elbo
