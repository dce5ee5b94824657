#include "elbo/graph/program.hpp"

#include <algorithm>
#include <cstring>

#include "layout.hpp"
#include "op.hpp"
#include "thread_pool.hpp"

namespace elbo {

namespace {

template <class T>
void call_forward(const OpDef& op, const KernelArgs<T>& k) {
  if constexpr (std::is_same_v<T, float>)
    op.forward_f32(k);
  else
    op.forward_f64(k);
}
template <class T>
void call_backward(const OpDef& op, const KernelArgs<T>& k) {
  if constexpr (std::is_same_v<T, float>)
    op.backward_f32(k);
  else
    op.backward_f64(k);
}

}  // namespace

// Everything that does not depend on the element type.
struct ProgramCore {
  std::shared_ptr<GraphState> g;
  std::vector<int> outputs, params;
  std::vector<int64_t> param_offsets;
  int64_t flat_size = 0;
  std::vector<char> needed;      // per node
  std::vector<int> order;        // needed nodes, topological
  std::vector<int> sampled_ops;  // needed sampled op nodes, topological
  std::vector<int> fixed_ops;    // needed op nodes that depend on data and constants only
  std::vector<Shape> shapes;     // per node, current
  std::vector<int64_t> sizes;    // numel per node
  std::vector<std::shared_ptr<const Tensor>> overrides;  // per data node, program-only values
  std::vector<Shape> override_shapes;                    // shapes set through set_data_rows
  std::vector<char> has_override;
  uint64_t seen_version = ~uint64_t{0};
  int64_t S = 1;
  bool shapes_dirty = true, data_dirty = true;
  int threads = 1;
  std::unique_ptr<ThreadPool> pool;
};

template <class T>
struct Executor {
  ProgramCore& c;
  std::vector<std::vector<T>> buf, grad;
  std::vector<char> data_loaded;
  std::span<const double> seeds;

  explicit Executor(ProgramCore& core) : c(core) {}

  const Node& node(int i) const { return c.g->nodes[static_cast<size_t>(i)]; }

  void prepare() {
    if (c.g->data_version != c.seen_version) {
      c.seen_version = c.g->data_version;
      c.shapes_dirty = c.data_dirty = true;
      std::fill(data_loaded.begin(), data_loaded.end(), 0);
    }
    if (c.shapes_dirty) {
      const auto& nodes = c.g->nodes;
      for (int i : c.order) {
        const Node& n = nodes[static_cast<size_t>(i)];
        Shape& s = c.shapes[static_cast<size_t>(i)];
        switch (n.kind) {
          case NodeKind::data:
            s = c.has_override[i] ? c.override_shapes[i] : n.value->shape();
            break;
          case NodeKind::constant:
          case NodeKind::parameter: s = n.shape; break;
          case NodeKind::op: {
            Shape in[kMaxInputs];
            size_t k = 0;
            for (int j : n.inputs) in[k++] = c.shapes[static_cast<size_t>(j)];
            s = n.op->infer(std::span<const Shape>(in, k), n.attrs);
            break;
          }
        }
        c.sizes[static_cast<size_t>(i)] = numel(s);
      }
      for (int i : c.order) {
        const Node& n = nodes[static_cast<size_t>(i)];
        size_t len = static_cast<size_t>(c.sizes[static_cast<size_t>(i)] * (n.sampled ? c.S : 1));
        buf[static_cast<size_t>(i)].resize(len);
        if (n.sampled) grad[static_cast<size_t>(i)].resize(len);
      }
      c.shapes_dirty = false;
    }
    if (c.data_dirty) {
      for (int i : c.order) {
        const Node& n = node(i);
        if (n.kind == NodeKind::data && !data_loaded[i]) {
          if (c.has_override[i] && !c.overrides[i]) continue;  // rows gathered by set_data_rows
          const Tensor& t = c.has_override[i] ? *c.overrides[i] : *n.value;
          layout::from_row_major(t.data<T>(), buf[i].data(), t.shape());
          data_loaded[i] = 1;
        }
      }
      for (int i : c.fixed_ops) run_node(i, 0, false);
      c.data_dirty = false;
    }
  }

  KernelArgs<T> args(int i, int64_t s) {
    const Node& n = node(i);
    KernelArgs<T> k;
    k.attrs = &n.attrs;
    k.n_in = static_cast<int>(n.inputs.size());
    for (int a = 0; a < k.n_in; ++a) {
      int j = n.inputs[a];
      int64_t off = node(j).sampled ? s * c.sizes[j] : 0;
      k.in[a] = buf[j].data() + off;
      k.in_shape[a] = &c.shapes[j];
    }
    k.out = buf[i].data() + (n.sampled ? s * c.sizes[i] : 0);
    k.out_shape = &c.shapes[i];
    return k;
  }

  void run_node(int i, int64_t s, bool) { call_forward(*node(i).op, args(i, s)); }

  void backward_sample(int64_t s) {
    for (int i : c.order)
      if (node(i).sampled) {
        T* g = grad[i].data() + s * c.sizes[i];
        std::fill(g, g + c.sizes[i], T(0));
      }
    for (size_t o = 0; o < c.outputs.size(); ++o) {
      int i = c.outputs[o];
      if (!node(i).sampled || seeds[o] == 0.0) continue;
      T* g = grad[i].data() + s * c.sizes[i];
      for (int64_t e = 0; e < c.sizes[i]; ++e) g[e] += static_cast<T>(seeds[o]);
    }
    for (auto it = c.sampled_ops.rbegin(); it != c.sampled_ops.rend(); ++it) {
      int i = *it;
      const Node& n = node(i);
      KernelArgs<T> k = args(i, s);
      k.gout = grad[i].data() + s * c.sizes[i];
      for (int a = 0; a < k.n_in; ++a) {
        int j = n.inputs[a];
        bool wants = node(j).sampled && !((n.op->nondifferentiable_inputs >> a) & 1u);
        k.gin[a] = wants ? grad[j].data() + s * c.sizes[j] : nullptr;
      }
      call_backward(*n.op, k);
    }
  }

  struct Job {
    Executor* ex;
    bool backward;
    int tasks;
  };

  static void task(void* ctx, int t) {
    Job& j = *static_cast<Job*>(ctx);
    Executor& ex = *j.ex;
    int64_t S = ex.c.S;
    int64_t s0 = S * t / j.tasks, s1 = S * (t + 1) / j.tasks;
    for (int64_t s = s0; s < s1; ++s) {
      for (int i : ex.c.sampled_ops) ex.run_node(i, s, true);
      if (j.backward) ex.backward_sample(s);
    }
  }

  void run(bool backward) {
    prepare();
    int tasks = static_cast<int>(std::min<int64_t>(c.threads, c.S));
    Job job{this, backward, tasks};
    if (c.pool && tasks > 1)
      c.pool->run(tasks, &Executor::task, &job);
    else
      task(&job, 0);
  }
};

struct Program::Impl {
  ProgramCore core;
  std::unique_ptr<Executor<float>> f32;
  std::unique_ptr<Executor<double>> f64;
  std::vector<Expr> param_exprs;

  template <class F>
  decltype(auto) visit(F f) {
    if (f32) return f(*f32);
    return f(*f64);
  }
};

Program::Program(const Graph& graph, std::vector<Expr> outputs, std::vector<Expr> params,
                 ProgramOptions options)
    : impl_(std::make_unique<Impl>()) {
  ProgramCore& c = impl_->core;
  c.g = graph.state();
  if (outputs.empty()) throw InvalidArgument("Program: no outputs given");
  auto check = [&](const Expr& e, const char* what) {
    if (!e.valid()) throw InvalidArgument(std::string("Program: an empty expression among the ") + what);
    if (e.graph_state() != c.g)
      throw InvalidArgument(std::string("Program: one of the ") + what + " belongs to another graph");
  };
  for (const Expr& e : outputs) {
    check(e, "outputs");
    c.outputs.push_back(e.id());
  }
  if (params.empty()) params = graph.parameters();
  for (const Expr& e : params) {
    check(e, "params");
    if (e.node().kind != NodeKind::parameter)
      throw InvalidArgument("Program: params entry " + std::to_string(e.id()) + " is not a parameter input");
    c.param_offsets.push_back(c.flat_size);
    c.params.push_back(e.id());
    c.flat_size += numel(e.shape());
  }
  impl_->param_exprs = params;
  size_t n = c.g->nodes.size();
  c.needed.assign(n, 0);
  for (int o : c.outputs) c.needed[static_cast<size_t>(o)] = 1;
  for (int p : c.params) c.needed[static_cast<size_t>(p)] = 1;
  for (size_t i = n; i-- > 0;)
    if (c.needed[i])
      for (int j : c.g->nodes[i].inputs) c.needed[static_cast<size_t>(j)] = 1;
  for (size_t i = 0; i < n; ++i) {
    if (!c.needed[i]) continue;
    const Node& nd = c.g->nodes[i];
    c.order.push_back(static_cast<int>(i));
    if (nd.kind == NodeKind::op) (nd.sampled ? c.sampled_ops : c.fixed_ops).push_back(static_cast<int>(i));
  }
  c.shapes.assign(n, Shape{});
  c.sizes.assign(n, 0);
  c.overrides.assign(n, nullptr);
  c.override_shapes.assign(n, Shape{});
  c.has_override.assign(n, 0);
  auto init = [&](auto& ex) {
    ex.buf.assign(n, {});
    ex.grad.assign(n, {});
    ex.data_loaded.assign(n, 0);
  };
  if (c.g->dtype == DType::f32) {
    impl_->f32 = std::make_unique<Executor<float>>(c);
    init(*impl_->f32);
  } else {
    impl_->f64 = std::make_unique<Executor<double>>(c);
    init(*impl_->f64);
  }
  set_threads(options.threads);
  // Constants never change: load them once.
  impl_->visit([&](auto& ex) {
    ex.prepare();
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    for (int i : c.order) {
      const Node& nd = c.g->nodes[static_cast<size_t>(i)];
      if (nd.kind == NodeKind::constant)
        layout::from_row_major(nd.value->template data<T>(), ex.buf[i].data(), nd.value->shape());
    }
    c.data_dirty = true;
    std::fill(ex.data_loaded.begin(), ex.data_loaded.end(), 0);
    return 0;
  });
}

Program::~Program() = default;
Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;

DType Program::dtype() const { return impl_->core.g->dtype; }
int Program::threads() const { return impl_->core.threads; }
void Program::set_threads(int threads) {
  if (threads < 1)
    throw InvalidArgument("Program: argument 'threads' is " + std::to_string(threads) + ", but must be >= 1");
  ProgramCore& c = impl_->core;
  if (threads == c.threads && (threads == 1 || c.pool)) return;
  c.threads = threads;
  c.pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
}

void Program::set_samples(int64_t samples) {
  if (samples < 1)
    throw InvalidArgument("Program: argument 'samples' is " + std::to_string(samples) + ", but must be >= 1");
  ProgramCore& c = impl_->core;
  if (samples == c.S) return;
  c.S = samples;
  c.shapes_dirty = true;
}
int64_t Program::samples() const { return impl_->core.S; }
int64_t Program::flat_size() const { return impl_->core.flat_size; }
const std::vector<Expr>& Program::params() const { return impl_->param_exprs; }
int64_t Program::flat_offset(int i) const { return impl_->core.param_offsets.at(static_cast<size_t>(i)); }

template <class T>
void Program::set_flat_params(const T* theta) {
  ProgramCore& c = impl_->core;
  if (dtype_of<T>() != c.g->dtype)
    throw InvalidArgument("Program::set_flat_params: values are " + std::string(dtype_name(dtype_of<T>())) +
                          " but the program computes in " + std::string(dtype_name(c.g->dtype)));
  Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  ex.prepare();
  for (size_t p = 0; p < c.params.size(); ++p) {
    int i = c.params[p];
    int64_t n = c.sizes[i];
    const Shape& sh = c.shapes[i];
    for (int64_t s = 0; s < c.S; ++s)
      layout::from_row_major(theta + s * c.flat_size + c.param_offsets[p], ex.buf[i].data() + s * n, sh);
  }
}
template void Program::set_flat_params<float>(const float*);
template void Program::set_flat_params<double>(const double*);

namespace {
int param_index(const ProgramCore& c, const Expr& p, const char* fn) {
  if (!p.valid() || p.graph_state() != c.g)
    throw InvalidArgument(std::string("Program::") + fn + ": the parameter belongs to another graph");
  auto it = std::find(c.params.begin(), c.params.end(), p.id());
  if (it == c.params.end())
    throw InvalidArgument(std::string("Program::") + fn + ": '" + p.node().name +
                          "' is not a parameter of this program");
  return static_cast<int>(it - c.params.begin());
}
}  // namespace

void Program::set_param(Expr param, const Tensor& value) {
  ProgramCore& c = impl_->core;
  int pi = param_index(c, param, "set_param");
  int i = c.params[static_cast<size_t>(pi)];
  const Shape& base = param.node().shape;
  Shape sampled = base;
  sampled.insert(sampled.begin(), c.S);
  bool all = value.shape() == base, per = value.shape() == sampled;
  if (!all && !per)
    throw ShapeError("Program::set_param('" + param.node().name + "'): value shape " +
                     shape_str(value.shape()) + " is neither " + shape_str(base) + " nor " + shape_str(sampled));
  Tensor v = value.dtype() == c.g->dtype ? value : value.to(c.g->dtype);
  impl_->visit([&](auto& ex) {
    ex.prepare();
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    int64_t n = numel(base);
    for (int64_t s = 0; s < c.S; ++s)
      layout::from_row_major(v.template data<T>() + (per ? s * n : 0), ex.buf[i].data() + s * n, base);
    return 0;
  });
}

namespace {
void check_data_node(const ProgramCore& c, const Expr& d, const Shape& s, const char* fn) {
  if (!d.valid() || d.graph_state() != c.g)
    throw InvalidArgument(std::string("Program::") + fn + ": the data input belongs to another graph");
  const Node& n = d.node();
  if (n.kind != NodeKind::data)
    throw InvalidArgument(std::string("Program::") + fn + ": node " + std::to_string(d.id()) + " is not a data input");
  const Shape& old = n.value->shape();
  bool ok = s.size() == old.size();
  for (size_t a = 1; ok && a < s.size(); ++a) ok = s[a] == old[a];
  if (!ok)
    throw ShapeError(std::string("Program::") + fn + "('" + n.name + "'): new shape " + shape_str(s) +
                     " differs from " + shape_str(old) + " in more than the number of rows");
}
}  // namespace

void Program::set_data(Expr data_node, const Tensor& value) {
  ProgramCore& c = impl_->core;
  check_data_node(c, data_node, value.shape(), "set_data");
  int i = data_node.id();
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

void Program::set_data_rows(Expr data_node, const Tensor& source, std::span<const int64_t> rows) {
  ProgramCore& c = impl_->core;
  Shape s = source.shape();
  if (s.empty()) throw ShapeError("Program::set_data_rows: the source is a scalar");
  s[0] = static_cast<int64_t>(rows.size());
  check_data_node(c, data_node, s, "set_data_rows");
  if (source.dtype() != c.g->dtype)
    throw InvalidArgument("Program::set_data_rows: the source is " + std::string(dtype_name(source.dtype())) +
                          " but the program computes in " + std::string(dtype_name(c.g->dtype)));
  int i = data_node.id();
  if (!c.has_override[i] || c.override_shapes[i] != s) {
    c.shapes_dirty = true;
    c.has_override[i] = 1;
    c.override_shapes[i] = s;
  }
  c.overrides[i] = nullptr;
  impl_->visit([&](auto& ex) {
    ex.prepare();  // sizes buffers for the new row count (loads nothing for node i yet)
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    const T* src = source.template data<T>();
    T* dst = ex.buf[i].data();
    int64_t m = s[0], width = m ? numel(s) / m : 0, total = source.shape()[0];
    int r = static_cast<int>(s.size());
    for (int64_t k = 0; k < m; ++k)
      if (rows[k] < 0 || rows[k] >= total)
        throw InvalidArgument("Program::set_data_rows: row " + std::to_string(rows[k]) + " out of range for " +
                              std::to_string(total) + " rows");
    if (r <= 1 || layout::is_trivial(s)) {
      for (int64_t k = 0; k < m; ++k) std::memcpy(dst + k * width, src + rows[k] * width, sizeof(T) * size_t(width));
    } else if (r == 2) {
      for (int64_t f = 0; f < width; ++f)
        for (int64_t k = 0; k < m; ++k) dst[f * m + k] = src[rows[k] * width + f];
    } else {
      std::vector<T> tmp(static_cast<size_t>(numel(s)));
      for (int64_t k = 0; k < m; ++k) std::memcpy(tmp.data() + k * width, src + rows[k] * width, sizeof(T) * size_t(width));
      layout::from_row_major(tmp.data(), dst, s);
    }
    ex.data_loaded[i] = 1;
    c.data_dirty = true;  // recompute the data-only nodes
    return 0;
  });
}

void Program::forward() {
  impl_->visit([&](auto& ex) {
    ex.run(false);
    return 0;
  });
}

void Program::forward_backward(std::span<const double> seeds) {
  ProgramCore& c = impl_->core;
  if (seeds.size() != c.outputs.size())
    throw InvalidArgument("Program::forward_backward: " + std::to_string(seeds.size()) + " seeds for " +
                          std::to_string(c.outputs.size()) + " outputs");
  impl_->visit([&](auto& ex) {
    ex.seeds = seeds;
    ex.run(true);
    return 0;
  });
}

int Program::num_outputs() const { return static_cast<int>(impl_->core.outputs.size()); }
const Shape& Program::output_shape(int i) const {
  const ProgramCore& c = impl_->core;
  int id = c.outputs.at(static_cast<size_t>(i));
  return c.shapes_dirty ? c.g->nodes[static_cast<size_t>(id)].shape : c.shapes[static_cast<size_t>(id)];
}
bool Program::output_sampled(int i) const {
  const ProgramCore& c = impl_->core;
  return c.g->nodes[static_cast<size_t>(c.outputs.at(static_cast<size_t>(i)))].sampled;
}

Tensor Program::output(int i) const {
  const ProgramCore& c = impl_->core;
  int id = c.outputs.at(static_cast<size_t>(i));
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
  if (dtype_of<T>() != c.g->dtype)
    throw InvalidArgument("Program::output_values: wrong element type for a " +
                          std::string(dtype_name(c.g->dtype)) + " program");
  int id = c.outputs.at(static_cast<size_t>(i));
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
  if (dtype_of<T>() != c.g->dtype)
    throw InvalidArgument("Program::flat_gradient: wrong element type for a " +
                          std::string(dtype_name(c.g->dtype)) + " program");
  const Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  for (size_t p = 0; p < c.params.size(); ++p) {
    int i = c.params[p];
    int64_t n = c.sizes[i];
    for (int64_t s = 0; s < c.S; ++s)
      layout::to_row_major(ex.grad[i].data() + s * n, out + s * c.flat_size + c.param_offsets[p], c.shapes[i]);
  }
}
template void Program::flat_gradient<float>(float*) const;
template void Program::flat_gradient<double>(double*) const;

Tensor Program::gradient(Expr param) const {
  const ProgramCore& c = impl_->core;
  int pi = param_index(c, param, "gradient");
  int i = c.params[static_cast<size_t>(pi)];
  const Shape& base = c.shapes[i];
  Shape full = base;
  full.insert(full.begin(), c.S);
  Tensor t(c.g->dtype, full);
  auto copy = [&](auto& ex) {
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    int64_t n = c.sizes[i];
    for (int64_t s = 0; s < c.S; ++s)
      layout::to_row_major(ex.grad[i].data() + s * n, t.template data<T>() + s * n, base);
    return 0;
  };
  if (impl_->f32) copy(*impl_->f32); else copy(*impl_->f64);
  return t;
}

}  // namespace elbo
