#include "elbo/graph/program.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "layout.hpp"
#include "program_executor.hpp"

namespace elbo {

struct Program::Impl {
  ProgramCore core;
  std::unique_ptr<Executor<float>> f32;
  std::unique_ptr<Executor<double>> f64;
  std::vector<Expr> param_exprs;
  // Whether the buffers hold the last forward pass of the current parameters, data,
  // sample count and threads, as Program::backward needs.
  bool forward_current = false;
  // After forward_backward_flat: the parameters it bound in place point into the caller's
  // arrays, which may be gone, until set_flat_params or set_param replaces them.
  bool bound_detached = false;
  uint64_t version_at_forward = 0;
  int threads_at_forward = 0;
  void ran_forward() {
    forward_current = true;
    version_at_forward = core.g->data_version;
    threads_at_forward = core.threads;
  }

  template <class F>
  decltype(auto) visit(F f) {
    if (f32) return f(*f32);
    return f(*f64);
  }

  // Throws, naming `fn`, while parameters bound by forward_backward_flat have no values here.
  void check_params_present(const char* fn) {
    if (bound_detached && visit([](auto& ex) { return ex.any_bound(); }))
      throw InvalidArgument(std::string("Program::") + fn +
                            ": the parameters were last given to forward_backward_flat, which keeps no copy of "
                            "the large weight matrices; call set_flat_params first");
  }
  // Parameter i back in its own buffer (set_param) or every parameter (set_flat_params).
  void unbind(int i) {
    visit([&](auto& ex) {
      ex.bind(i, nullptr, nullptr);
      return 0;
    });
  }
  void unbind_all() {
    for (int i : core.params) unbind(i);
    bound_detached = false;
  }

  // The executor for the graph's element type, with a buffer slot per node.
  void make_executor() {
    const size_t n = core.g->nodes.size();
    auto init = [&](auto& ex) {
      ex.buf.assign(n, {});
      ex.grad.assign(n, {});
      ex.data_loaded.assign(n, 0);
      ex.ext_value.assign(n, nullptr);
      ex.ext_grad.assign(n, nullptr);
    };
    if (core.g->dtype == DType::f32) {
      f32 = std::make_unique<Executor<float>>(core);
      init(*f32);
    } else {
      f64 = std::make_unique<Executor<double>>(core);
      init(*f64);
    }
  }

  // Constants never change: they are loaded once. Data is loaded by the first run.
  void load_constants() {
    visit([&](auto& ex) {
      ex.prepare_shapes();
      using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
      for (int i : core.order) {
        const Node& nd = core.g->nodes[static_cast<size_t>(i)];
        if (nd.kind == NodeKind::constant)
          layout::from_row_major(nd.value->template data<T>(), ex.buf[i].data(), nd.value->shape());
      }
      return 0;
    });
  }
};

namespace {

void check_member(const ProgramCore& c, const Expr& e, const char* what) {
  if (!e.valid()) throw InvalidArgument(std::string("Program: an empty expression among the ") + what);
  if (e.graph_state() != c.g) throw InvalidArgument(std::string("Program: one of the ") + what + " belongs to another graph");
}

void take_outputs(ProgramCore& c, const std::vector<Expr>& outputs) {
  if (outputs.empty()) throw InvalidArgument("Program: no outputs given");
  for (const Expr& e : outputs) {
    check_member(c, e, "outputs");
    c.outputs.push_back(e.id());
  }
}

// The flat parameter order: offsets, and where each flat element lies in its buffer.
void take_params(ProgramCore& c, const std::vector<Expr>& params) {
  for (size_t k = 0; k < params.size(); ++k) {
    const Expr& e = params[k];
    check_member(c, e, "params");
    std::string entry = "Program: params[" + std::to_string(k) + "]";
    if (!e.is_parameter())
      throw InvalidArgument(entry + " is " + describe_node(detail::node_of(e), e.id()) + ", not a parameter input");
    if (std::find(c.params.begin(), c.params.end(), e.id()) != c.params.end())
      throw InvalidArgument(entry + " '" + e.name() + "' is listed twice");
    c.param_offsets.push_back(c.flat_size);
    c.params.push_back(e.id());
    c.flat_size += numel(e.shape());
    if (c.flat_size > INT32_MAX) throw InvalidArgument("Program: the parameters have more than 2^31 - 1 elements");
  }
}

}  // namespace

Program::Program(const Graph& graph, std::vector<Expr> outputs, std::vector<Expr> params,
                 ProgramOptions options)
    : impl_(std::make_unique<Impl>()) {
  ProgramCore& c = impl_->core;
  c.g = graph.state();
  take_outputs(c, outputs);
  if (options.threads < 1)
    throw InvalidArgument("Program: option 'threads' is " + std::to_string(options.threads) + ", but must be >= 1");
  if (params.empty()) params = graph.parameters();
  take_params(c, params);
  impl_->param_exprs = std::move(params);
  plan_program(c, options.rewrites);
  impl_->make_executor();
  set_threads(options.threads);
  impl_->load_constants();
}

Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

DType Program::dtype() const { return impl_->core.g->dtype; }
int Program::threads() const { return impl_->core.threads; }
void Program::set_threads(int threads) {
  impl_->forward_current = false;
  if (threads < 1)
    throw InvalidArgument("Program::set_threads: argument 'threads' is " + std::to_string(threads) +
                          ", but must be >= 1");
  ProgramCore& c = impl_->core;
  if (threads == c.threads && (threads == 1 || c.pool)) return;
  c.threads = threads;
  c.pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
}

void Program::post_background(int chunks, void (*fn)(void*, int), void* context) {
  if (ThreadPool* pool = impl_->core.pool.get()) pool->post_background(chunks, fn, context);
}

void Program::close_background() {
  if (ThreadPool* pool = impl_->core.pool.get()) pool->close_background();
}

void Program::run_parts(int64_t n, void (*fn)(void*, int64_t, int64_t), void* context) {
  if (n <= 0) return;
  ProgramCore& c = impl_->core;
  const int tasks = static_cast<int>(std::min<int64_t>(c.threads, n));
  if (!c.pool || tasks == 1) {
    fn(context, 0, n);
    return;
  }
  struct Parts {
    int64_t n;
    int tasks;
    void (*fn)(void*, int64_t, int64_t);
    void* context;
  } parts{n, tasks, fn, context};
  c.pool->run(tasks, [](void* p, int t) {
    const Parts& q = *static_cast<const Parts*>(p);
    q.fn(q.context, q.n * t / q.tasks, q.n * (t + 1) / q.tasks);
  }, &parts);
}

void Program::set_samples(int64_t samples) {
  impl_->forward_current = false;
  if (samples < 1)
    throw InvalidArgument("Program::set_samples: argument 'samples' is " + std::to_string(samples) +
                          ", but must be >= 1");
  ProgramCore& c = impl_->core;
  if (samples == c.S) return;
  c.S = samples;
  c.shapes_dirty = true;
}
int64_t Program::samples() const { return impl_->core.S; }
int64_t Program::flat_size() const { return impl_->core.flat_size; }
const std::vector<Expr>& Program::params() const { return impl_->param_exprs; }
int64_t Program::flat_offset(int i) const { return impl_->core.param_offsets.at(static_cast<size_t>(i)); }

namespace {
// The node id of output i; throws InvalidArgument naming `fn` when there is no output i.
int output_id(const ProgramCore& c, int i, const char* fn) {
  if (i < 0 || static_cast<size_t>(i) >= c.outputs.size())
    throw InvalidArgument(std::string("Program::") + fn + ": no output " + std::to_string(i) + "; the program has " +
                          std::to_string(c.outputs.size()));
  return c.outputs[static_cast<size_t>(i)];
}

// Results are those of the last run, in buffers sized for it. Once the sample count or a
// data size has changed, the buffers no longer match them until the next run.
void check_results_current(const ProgramCore& c, const char* fn) {
  if (c.shapes_dirty || c.S != c.buffer_S)
    throw InvalidArgument(std::string("Program::") + fn +
                          ": the sample count or a data size changed since the last run; call forward() first");
}

template <class T>
void check_value_type(const ProgramCore& c, const char* fn) {
  if (dtype_of<T>() != c.g->dtype)
    throw InvalidArgument(std::string("Program::") + fn + ": values are " + std::string(dtype_name(dtype_of<T>())) +
                          " but the program computes in " + std::string(dtype_name(c.g->dtype)));
}
}  // namespace

template <class T>
void Program::copy_param(const Shape& shape, const T* src, T* dst, bool into_internal, bool row_major) {
  const int64_t n = numel(shape);
  if (n == 0) return;
  if (row_major || layout::is_trivial(shape)) {
    copy_elements(n, [&](int64_t b, int64_t e) { std::copy(src + b, src + e, dst + b); });
    return;
  }
  const int64_t r = static_cast<int64_t>(shape.size()), rows = shape[r - 2], cols = shape[r - 1];
  const int64_t block = rows * cols;
  for (int64_t k = 0; k < n / block; ++k) {
    const T* s = src + k * block;
    T* d = dst + k * block;
    auto part = [&](int64_t i0, int64_t i1) {
      if (into_internal)
        layout::rows_into_internal(s, d, rows, cols, i0, i1);
      else
        layout::rows_from_internal(s, d, rows, cols, i0, i1);
    };
    if (block >= (int64_t{1} << 15))
      parallel_for(rows, part);
    else
      part(0, rows);
  }
}

template <class T>
void Program::set_flat_params(const T* theta) {
  impl_->forward_current = false;
  ProgramCore& c = impl_->core;
  check_value_type<T>(c, "set_flat_params");
  Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  ex.size_params();
  impl_->unbind_all();
  for (size_t p = 0; p < c.params.size(); ++p) {
    int i = c.params[p];
    const int64_t n = c.sizes[i], off = c.param_offsets[p];
    for (int64_t s = 0; s < c.S; ++s)
      copy_param(c.shapes[i], theta + s * c.flat_size + off, ex.buf[i].data() + s * n, true, c.row_major[i]);
  }
}

template <class T>
void Program::forward_backward_flat(const T* theta, std::span<const double> seeds, T* grad) {
  ProgramCore& c = impl_->core;
  check_value_type<T>(c, "forward_backward_flat");
  if (seeds.size() != c.outputs.size())
    throw InvalidArgument("Program::forward_backward_flat: " + std::to_string(seeds.size()) + " seeds given for " +
                          std::to_string(c.outputs.size()) + " outputs; pass one seed per output");
  bool any_row_major = false;
  for (int i : c.params) any_row_major = any_row_major || c.row_major[static_cast<size_t>(i)];
  if (c.S != 1 || !any_row_major) {  // nothing to bind: the three calls
    set_flat_params(theta);
    forward_backward(seeds);
    flat_gradient(grad);
    return;
  }
  impl_->forward_current = false;
  Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  ex.size_params();
  impl_->bound_detached = false;
  struct Detach {  // however the call ends (a throw included): theta and grad are the caller's
    Program::Impl& m;
    ~Detach() {
      m.bound_detached = true;
      m.forward_current = false;
    }
  } detach{*impl_};
  for (size_t p = 0; p < c.params.size(); ++p) {
    const int i = c.params[p];
    const int64_t off = c.param_offsets[p];
    if (c.row_major[static_cast<size_t>(i)])
      ex.bind(i, theta + off, grad + off);
    else
      copy_param(c.shapes[i], theta + off, ex.buf[i].data(), true, false);
  }
  forward_backward(seeds);
  for (size_t p = 0; p < c.params.size(); ++p) {
    const int i = c.params[p];
    if (!c.row_major[static_cast<size_t>(i)])
      copy_param(c.shapes[i], ex.grad[i].data(), grad + c.param_offsets[p], false, false);
  }
}
template void Program::forward_backward_flat<float>(const float*, std::span<const double>, float*);
template void Program::forward_backward_flat<double>(const double*, std::span<const double>, double*);
template void Program::set_flat_params<float>(const float*);
template void Program::set_flat_params<double>(const double*);

namespace {
int param_index(const ProgramCore& c, const Expr& p, const char* fn) {
  if (!p.valid()) throw InvalidArgument(std::string("Program::") + fn + ": the parameter is an empty expression");
  if (p.graph_state() != c.g)
    throw InvalidArgument(std::string("Program::") + fn + ": the parameter belongs to another graph");
  auto it = std::find(c.params.begin(), c.params.end(), p.id());
  if (it == c.params.end())
    throw InvalidArgument(std::string("Program::") + fn + ": '" + p.name() +
                          "' is not a parameter of this program");
  return static_cast<int>(it - c.params.begin());
}
}  // namespace

void Program::set_param(Expr param, const Tensor& value) {
  impl_->forward_current = false;
  ProgramCore& c = impl_->core;
  int pi = param_index(c, param, "set_param");
  int i = c.params[static_cast<size_t>(pi)];
  const Shape& base = param.shape();
  Shape sampled = base;
  sampled.insert(sampled.begin(), c.S);
  bool all = value.shape() == base, per = value.shape() == sampled;
  if (!all && !per)
    throw ShapeError("Program::set_param('" + param.name() + "'): value shape " +
                     shape_str(value.shape()) + " is neither " + shape_str(base) + " nor " + shape_str(sampled));
  Tensor v = value.dtype() == c.g->dtype ? value : value.to(c.g->dtype);
  impl_->unbind(i);
  impl_->visit([&](auto& ex) {
    ex.size_params();
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    int64_t n = numel(base);
    for (int64_t s = 0; s < c.S; ++s) {
      const T* from = v.template data<T>() + (per ? s * n : 0);
      if (c.row_major[i])
        std::copy(from, from + n, ex.buf[i].data() + s * n);
      else
        layout::from_row_major(from, ex.buf[i].data() + s * n, base);
    }
    return 0;
  });
}

namespace {
// Checks that `d` is a data input of this program's graph; returns its node.
const Node& data_node_of(const ProgramCore& c, const Expr& d, const char* fn) {
  if (!d.valid()) throw InvalidArgument(std::string("Program::") + fn + ": the data input is an empty expression");
  if (d.graph_state() != c.g)
    throw InvalidArgument(std::string("Program::") + fn + ": the data input belongs to another graph");
  const Node& n = detail::node_of(d);
  if (n.kind != NodeKind::data)
    throw InvalidArgument(std::string("Program::") + fn + ": " + describe_node(n, d.id(), false) +
                          " is not a data input");
  return n;
}

// Only the number of rows (the first dimension) of a data input may change.
void check_data_shape(const Node& n, const Shape& s, const char* fn, const char* what) {
  const Shape& old = n.value->shape();
  bool ok = s.size() == old.size();
  for (size_t a = 1; ok && a < s.size(); ++a) ok = s[a] == old[a];
  if (!ok)
    throw ShapeError(std::string("Program::") + fn + "('" + n.name + "'): " + what + " " + shape_str(s) +
                     " differs from " + shape_str(old) + " in more than the number of rows");
}
}  // namespace

void Program::set_data(const Expr& data_node, const Tensor& value) {
  impl_->forward_current = false;
  ProgramCore& c = impl_->core;
  check_data_shape(data_node_of(c, data_node, "set_data"), value.shape(), "set_data", "new shape");
  int i = data_node.id();
  if (!c.needed[static_cast<size_t>(i)]) return;  // this program does not read that input
  c.overrides[i] = std::make_shared<const Tensor>(value.dtype() == c.g->dtype ? value : value.to(c.g->dtype));
  if (!c.has_override[i] || c.override_shapes[i] != value.shape()) c.shapes_dirty = true;
  c.has_override[i] = 1;
  c.override_shapes[i] = value.shape();
  c.data_dirty = true;
  impl_->visit([&](auto& ex) {
    ex.data_loaded[i] = 0;
    return 0;
  });
}

void Program::set_data_rows(const Expr& data_node, const Tensor& source, std::span<const int64_t> rows) {
  impl_->forward_current = false;
  ProgramCore& c = impl_->core;
  const Node& node = data_node_of(c, data_node, "set_data_rows");
  const Shape& src_shape = source.shape();
  if (src_shape.empty()) throw ShapeError("Program::set_data_rows('" + node.name + "'): the source is a scalar");
  check_data_shape(node, src_shape, "set_data_rows", "source shape");
  if (source.dtype() != c.g->dtype)
    throw InvalidArgument("Program::set_data_rows('" + node.name + "'): the source is " +
                          std::string(dtype_name(source.dtype())) + " but the program computes in " +
                          std::string(dtype_name(c.g->dtype)));
  const int64_t m = static_cast<int64_t>(rows.size()), total = src_shape[0];
  // One branch-free pass (a vectorised maximum; a negative row is a huge unsigned one),
  // then the search for the culprit only on error.
  uint64_t largest = 0;
  for (int64_t k = 0; k < m; ++k) largest = std::max(largest, static_cast<uint64_t>(rows[k]));
  if (m > 0 && largest >= static_cast<uint64_t>(total))
    for (int64_t k = 0; k < m; ++k)
      if (rows[k] < 0 || rows[k] >= total)
        throw InvalidArgument("Program::set_data_rows('" + node.name + "'): row " + std::to_string(rows[k]) +
                            " at position " + std::to_string(k) + " is out of range for " + std::to_string(total) +
                            " rows");
  int i = data_node.id();
  if (!c.needed[static_cast<size_t>(i)]) return;  // this program does not read that input
  // Nothing below allocates once this row count was seen: the shape is compared in place.
  // On a new row count the program is re-shaped if the inputs fit together, else at the
  // next run, so inputs used together (x and y) can change their row count one by one.
  Shape& s = c.override_shapes[i];
  bool same = c.has_override[i] && s.size() == src_shape.size() && s[0] == m &&
              std::equal(src_shape.begin() + 1, src_shape.end(), s.begin() + 1);
  if (!same) {
    s = src_shape;
    s[0] = m;
    c.has_override[i] = 1;
    c.shapes_dirty = true;
  }
  c.overrides[i] = nullptr;
  c.data_dirty = true;  // recompute the nodes that depend on data only
  impl_->visit([&](auto& ex) {
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    if (!same) ex.try_prepare_shapes();
    const int64_t width = m ? numel(s) / m : 0;
    const T* before = ex.buf[i].data();
    ex.buf[i].resize(static_cast<size_t>(m * width));
    if (ex.buf[i].data() != before) ex.calls_valid = false;
    const T* src = source.template data<T>();
    T* dst = ex.buf[i].data();
    const int r = static_cast<int>(s.size());
    if (width == 1) {  // labels: one value per row (no call per row)
      for (int64_t k = 0; k < m; ++k) dst[k] = src[rows[k]];
    } else if (c.row_major[static_cast<size_t>(i)]) {  // a wide matrix kept row-major: whole rows
      auto copy_rows = [&](int64_t k0, int64_t k1) {
        for (int64_t k = k0; k < k1; ++k)
          std::memcpy(dst + k * width, src + rows[k] * width, sizeof(T) * size_t(width));
      };
      if (m * width >= (int64_t{1} << 15))
        parallel_for(m, copy_rows);  // a copy: the same values for any split
      else
        copy_rows(0, m);
    } else if (layout::is_trivial(s)) {
      for (int64_t k = 0; k < m; ++k) std::memcpy(dst + k * width, src + rows[k] * width, sizeof(T) * size_t(width));
    } else if (r == 2) {  // [m, width] feature-major: each feature's m values contiguous
      if (width <= 16) {  // narrow rows: read each row once
        for (int64_t k = 0; k < m; ++k) {
          const T* row = src + rows[k] * width;
          for (int64_t f = 0; f < width; ++f) dst[f * m + k] = row[f];
        }
      } else if (m * width >= (int64_t{1} << 15)) {
        // A minibatch of wide rows: the columns in tiles of 16 on the program's threads (a
        // copy, the same values for any split).
        parallel_for((width + 15) / 16, [&](int64_t t0, int64_t t1) {
          layout::gather_rows_into_internal(src, width, rows.data(), m, dst, t0 * 16, std::min(width, t1 * 16));
        });
      } else {
        layout::gather_rows_into_internal(src, width, rows.data(), m, dst);
      }
    } else {  // rank 3-4: each row is one block of [..., a, b], stored with a and b swapped
      const int64_t a = s[r - 2], b = s[r - 1], blocks = width / (a * b);
      for (int64_t k = 0; k < m; ++k)
        for (int64_t q = 0; q < blocks; ++q) {
          const T* from = src + rows[k] * width + q * a * b;
          T* to = dst + k * width + q * a * b;
          for (int64_t x = 0; x < a; ++x)
            for (int64_t y = 0; y < b; ++y) to[y * a + x] = from[x * b + y];
        }
    }
    ex.data_loaded[i] = 1;
    return 0;
  });
}

void Program::forward() {
  impl_->check_params_present("forward");
  impl_->forward_current = false;
  impl_->visit([&](auto& ex) {
    ex.run(false);
    return 0;
  });
  impl_->ran_forward();
}

void Program::forward_backward(std::span<const double> seeds) {
  ProgramCore& c = impl_->core;
  if (seeds.size() != c.outputs.size())
    throw InvalidArgument("Program::forward_backward: " + std::to_string(seeds.size()) + " seeds given for " +
                          std::to_string(c.outputs.size()) + " outputs; pass one seed per output");
  impl_->check_params_present("forward_backward");
  impl_->forward_current = false;
  impl_->visit([&](auto& ex) {
    ex.seeds = seeds;
    ex.run(true);
    return 0;
  });
  impl_->ran_forward();
}

void Program::backward(std::span<const double* const> output_grads) {
  ProgramCore& c = impl_->core;
  check_results_current(c, "backward");
  impl_->check_params_present("backward");
  if (!impl_->forward_current || c.g->data_version != impl_->version_at_forward ||
      c.threads != impl_->threads_at_forward)
    throw InvalidArgument("Program::backward: the parameters, data, sample count or threads changed since the last "
                          "forward(), or it did not finish; call forward() first");
  if (output_grads.size() != c.outputs.size())
    throw InvalidArgument("Program::backward: " + std::to_string(output_grads.size()) + " output gradients given for " +
                          std::to_string(c.outputs.size()) + " outputs; pass one (or null) per output");
  for (size_t o = 0; o < c.outputs.size(); ++o) {
    if (!output_grads[o]) continue;
    const int i = c.outputs[o];
    if (!c.sampled[i] || c.shapes[static_cast<size_t>(i)].size() > 1)
      throw InvalidArgument("Program::backward: output " + std::to_string(o) +
                            (c.sampled[i] ? " has rank > 1; give it no gradient (null)"
                                          : " does not depend on a parameter; give it no gradient (null)"));
  }
  impl_->visit([&](auto& ex) {
    // Cleared however the run ends: a later forward_backward must not see these pointers.
    struct Reset {
      decltype(ex.output_grads)& g;
      ~Reset() { g = {}; }
    } reset{ex.output_grads};
    ex.output_grads = output_grads;
    ex.run(false, true);
    return 0;
  });
}

std::vector<std::string> Program::executed_ops() const {
  const ProgramCore& c = impl_->core;
  std::vector<std::string> names;
  for (int i : c.fixed_ops) names.emplace_back(c.records[static_cast<size_t>(i)].op->name);
  for (int i : c.sampled_ops) names.emplace_back(c.records[static_cast<size_t>(i)].op->name);
  return names;
}

std::vector<std::string> Program::row_major_inputs() const {
  const ProgramCore& c = impl_->core;
  std::vector<std::string> names;
  for (int i : c.order)
    if (c.row_major[static_cast<size_t>(i)]) names.push_back(c.g->nodes[static_cast<size_t>(i)].name);
  return names;
}

int Program::num_outputs() const { return static_cast<int>(impl_->core.outputs.size()); }
const Shape& Program::output_shape(int i) const {
  const ProgramCore& c = impl_->core;
  int id = output_id(c, i, "output_shape");
  if (!c.shapes_dirty) return c.shapes[static_cast<size_t>(id)];
  // Not re-shaped since a size changed: a replaced data input knows its shape; other
  // nodes report the graph's.
  if (c.has_override[static_cast<size_t>(id)]) return c.override_shapes[static_cast<size_t>(id)];
  return c.g->nodes[static_cast<size_t>(id)].shape;
}
bool Program::output_sampled(int i) const {
  const ProgramCore& c = impl_->core;
  return c.g->nodes[static_cast<size_t>(output_id(c, i, "output_sampled"))].sampled;
}

Tensor Program::output(int i) const {
  const ProgramCore& c = impl_->core;
  int id = output_id(c, i, "output");
  check_results_current(c, "output");
  const Shape& base = c.shapes[id];
  bool sampled = c.g->nodes[id].sampled;
  Shape full = base;
  if (sampled) full.insert(full.begin(), c.S);
  Tensor t(c.g->dtype, full);
  auto copy = [&](auto& ex) {
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    int64_t n = c.sizes[id];
    for (int64_t s = 0; s < (sampled ? c.S : 1); ++s)
      layout::to_row_major(ex.buf[id].data() + s * n, t.template data<T>() + s * n, base);
    return 0;
  };
  if (impl_->f32) copy(*impl_->f32); else copy(*impl_->f64);
  return t;
}

template <class T>
std::span<const T> Program::output_values(int i) const {
  const ProgramCore& c = impl_->core;
  check_value_type<T>(c, "output_values");
  int id = output_id(c, i, "output_values");
  check_results_current(c, "output_values");
  const auto& b = [&]() -> const std::vector<T>& {
    if constexpr (std::is_same_v<T, float>) return impl_->f32->buf[id];
    else return impl_->f64->buf[id];
  }();
  return std::span<const T>(b.data(), b.size());
}
template std::span<const float> Program::output_values<float>(int) const;
template std::span<const double> Program::output_values<double>(int) const;

template <class T>
void Program::flat_gradient(T* out) const {
  const ProgramCore& c = impl_->core;
  check_value_type<T>(c, "flat_gradient");
  check_results_current(c, "flat_gradient");
  impl_->check_params_present("flat_gradient");
  const Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  for (size_t p = 0; p < c.params.size(); ++p) {
    int i = c.params[p];
    const int64_t n = c.sizes[i], off = c.param_offsets[p];
    for (int64_t s = 0; s < c.S; ++s)
      const_cast<Program*>(this)->copy_param(c.shapes[i], ex.grad[i].data() + s * n, out + s * c.flat_size + off,
                                             false, c.row_major[i]);
  }
}
template void Program::flat_gradient<float>(float*) const;
template void Program::flat_gradient<double>(double*) const;

Tensor Program::gradient(Expr param) const {
  const ProgramCore& c = impl_->core;
  int pi = param_index(c, param, "gradient");
  check_results_current(c, "gradient");
  impl_->check_params_present("gradient");
  int i = c.params[static_cast<size_t>(pi)];
  const Shape& base = c.shapes[i];
  Shape full = base;
  full.insert(full.begin(), c.S);
  Tensor t(c.g->dtype, full);
  auto copy = [&](auto& ex) {
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    int64_t n = c.sizes[i];
    for (int64_t s = 0; s < c.S; ++s) {
      if (c.row_major[i])
        std::copy(ex.grad[i].data() + s * n, ex.grad[i].data() + (s + 1) * n, t.template data<T>() + s * n);
      else
        layout::to_row_major(ex.grad[i].data() + s * n, t.template data<T>() + s * n, base);
    }
    return 0;
  };
  if (impl_->f32) copy(*impl_->f32); else copy(*impl_->f64);
  return t;
}

}  // namespace elbo
