#pragma once
// A graph compiled for a set of outputs: a schedule plus buffers allocated once for the
// sample count S and the data sizes. forward() evaluates the outputs; forward_backward()
// also computes the reverse-mode gradient of the seeded per-sample scalar outputs with
// respect to the parameter inputs. After the first call at a given size neither
// allocates. Results are bitwise identical for any thread count: threads split the
// samples, and every sample is computed the same way alone.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/tensor.hpp"

ELBO_API_BEGIN
namespace elbo {

struct ProgramOptions {
  int threads = 1;  ///< worker threads, >= 1
  /// Runs the compiler's rewrites (fused ops for common patterns, with the results of the
  /// graph as built; src/graph/rewrites/). false runs every node as built: for tests that
  /// compare the two.
  bool rewrites = true;
};

class Program {
 public:
  /// Compiles `outputs`. `params` fixes the flat parameter order (default: every
  /// parameter input of the graph, in creation order). Throws InvalidArgument for empty or
  /// foreign expressions and for a params entry that is not a parameter input.
  Program(const Graph& graph, std::vector<Expr> outputs, std::vector<Expr> params = {},
          ProgramOptions options = {});
  ~Program();
  Program(Program&&) noexcept;
  Program& operator=(Program&&) noexcept;

  DType dtype() const;
  int threads() const;
  void set_threads(int threads);

  /// Runs f(begin, end) over min(threads, n) contiguous parts of [0, n) on the program's
  /// threads, in no set order: for per-sample work that goes with a run, such as drawing
  /// each sample's random numbers. f must not use this program.
  template <class F>
  void parallel_for(int64_t n, F&& f) {
    using Fn = std::remove_reference_t<F>;
    run_parts(n, [](void* ctx, int64_t begin, int64_t end) { (*static_cast<Fn*>(ctx))(begin, end); }, &f);
  }

  /// Background work for the program's threads while they would otherwise wait: fn(context,
  /// c) for chunks c in [0, chunks), each run at most once, by a worker thread while it
  /// spins between this program's runs (not once it has blocked, after some tens of
  /// microseconds without a run) or by the caller while a run waits for the workers, in no
  /// set order, perhaps not all (nothing runs with one thread). For work that the caller
  /// does itself later where it was not done, such as the next step's random numbers. fn
  /// must not throw (the process ends) or use this program, and a chunk should take about
  /// a microsecond (a run's blocks wait for it). Earlier background work is closed first;
  /// set_threads to another count and the destructor close it. Not from two threads at once.
  void post_background(int chunks, void (*fn)(void* context, int chunk), void* context);
  /// No more chunks of the background work start; returns when those begun have ended.
  void close_background();

  /// Sample count S (>= 1); parameter-dependent nodes hold S copies.
  void set_samples(int64_t samples);
  int64_t samples() const;

  /// Total number of parameter elements D (the flat vector's size) and each parameter's
  /// offset in it.
  int64_t flat_size() const;
  const std::vector<Expr>& params() const;
  int64_t flat_offset(int param_index) const;

  /// Sets every sample's parameters from a row-major [S, D] array; T must be the dtype.
  template <class T>
  void set_flat_params(const T* theta);
  /// Sets one parameter from [S, ...shape] or, for all samples alike, from [...shape].
  void set_param(Expr param, const Tensor& value);

  /// Replaces a data input for this program only (the graph keeps its value). The row
  /// count may differ; every other dimension must match.
  void set_data(const Expr& data_node, const Tensor& value);
  /// Like set_data with source.gather_rows(rows), without allocating once the size was seen.
  void set_data_rows(const Expr& data_node, const Tensor& source, std::span<const int64_t> rows);

  void forward();
  /// Forward pass, then the gradient of sum_i seeds[i] * output_i (each output summed
  /// over its elements, separately per sample) with respect to every parameter.
  void forward_backward(std::span<const double> seeds);

  /// The backward pass alone, from the values of the last forward(): the gradient of
  /// sum_o sum_e output_grads[o][s, e] * output_o[s, e], per sample s, with respect to every
  /// parameter. output_grads[o] is null (no gradient) or points to [S, numel] values of a
  /// parameter-dependent output of rank <= 1. Throws InvalidArgument when parameters,
  /// data, samples or threads were set since that forward(): run forward() again. With
  /// fewer threads than samples it recomputes each sample's forward pass (values are kept
  /// per thread, not per sample).
  void backward(std::span<const double* const> output_grads);

  int num_outputs() const;
  /// Base shape of output i at the current sizes; outputs that depend on parameters have
  /// a leading S in output().
  const Shape& output_shape(int i) const;
  bool output_sampled(int i) const;
  /// Output i as a row-major tensor: [S, ...shape] if sampled, else [...shape].
  Tensor output(int i) const;
  /// Output i in the engine's internal layout (identical to row-major for ranks 0 and 1),
  /// without copying; sampled outputs hold S consecutive blocks.
  template <class T>
  std::span<const T> output_values(int i) const;

  /// set_flat_params(theta), forward_backward(seeds) and flat_gradient(grad) in one call,
  /// without copying the large weight matrices that the program keeps in the user's layout
  /// (both sides >= 16, 2^14 elements or more, used only by matmul as its second operand and
  /// by a normal prior): with one sample it reads their values from theta and writes their
  /// gradient into grad in place, so theta must not change during the call and theta and
  /// grad must not overlap. Afterwards the
  /// program keeps no copy of those values: forward(), forward_backward(), backward(),
  /// flat_gradient() and gradient() throw InvalidArgument until set_flat_params (or
  /// set_param for each of them) gives them again. The outputs stay readable.
  template <class T>
  void forward_backward_flat(const T* theta, std::span<const double> seeds, T* grad);

  /// Gradient w.r.t. every parameter as a row-major [S, D] array. Copies large parameters
  /// on the program's threads, so (like the other runs) not from two threads at once.
  template <class T>
  void flat_gradient(T* out) const;
  /// Gradient w.r.t. one parameter, [S, ...shape].
  Tensor gradient(Expr param) const;

  /// The names of the ops one run executes after the compiler's rewrites, in order: those
  /// that depend on data and constants only (rerun when data changes), then those run for
  /// each sample. For tests and diagnostics.
  std::vector<std::string> executed_ops() const;

  /// The names of the parameters and data inputs whose buffers keep the user's row-major
  /// order instead of the internal layout (large weight matrices; wide data matrices that
  /// only dense products read), in the program's node order. For tests and diagnostics.
  std::vector<std::string> row_major_inputs() const;

 private:
  // parallel_for's untyped core.
  void run_parts(int64_t n, void (*fn)(void* context, int64_t begin, int64_t end), void* context);
  // A copy of n elements between the flat vector and the program's buffers: on the threads
  // from 2^15 elements (a copy's bits do not depend on the split), else on this one.
  template <class Fn>
  void copy_elements(int64_t n, Fn&& f) {
    if (n >= (int64_t{1} << 15))
      parallel_for(n, f);
    else
      f(int64_t{0}, n);
  }

  // One parameter's values [shape] between the flat vector's row-major order and the
  // program's internal layout (into_internal: flat -> program), by copy_elements's rule;
  // a copy as they are where the program keeps the parameter row-major (row_major).
  template <class T>
  void copy_param(const Shape& shape, const T* src, T* dst, bool into_internal, bool row_major);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace elbo
ELBO_API_END
