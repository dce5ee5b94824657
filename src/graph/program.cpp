#include "elbo/graph/program.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "layout.hpp"
#include "op.hpp"
#include "ops/registry.hpp"
#include "thread_pool.hpp"

namespace elbo {

namespace {

// An op's kernels for the element type T.
template <class T>
auto forward_kernel(const OpDef& op) {
  if constexpr (std::is_same_v<T, float>)
    return op.forward_f32;
  else
    return op.forward_f64;
}
template <class T>
auto backward_kernel(const OpDef& op) {
  if constexpr (std::is_same_v<T, float>)
    return op.backward_f32;
  else
    return op.backward_f64;
}

}  // namespace

// Everything that does not depend on the element type.
struct ProgramCore {
  std::shared_ptr<GraphState> g;
  std::vector<int> outputs, params;
  std::vector<int64_t> param_offsets;
  int64_t flat_size = 0;
  // flat_to_internal[param_offsets[p] + i]: where the parameter's row-major element i lies
  // in its internal-layout buffer. Parameter shapes never change, so set_flat_params and
  // flat_gradient copy through this one table instead of converting each parameter's layout.
  std::vector<int32_t> flat_to_internal;
  std::vector<char> needed;      // per node
  // Per node: its values outlive a run (outputs and parameters), so a sampled one holds S
  // copies. Every other sampled node holds one scratch copy per task, reused from sample to
  // sample: the working set of a sample then stays in cache however large S is.
  std::vector<char> keep;
  std::vector<char> is_param;  // per node: its gradient outlives a run (S copies)
  int64_t slots = 0;           // scratch copies the buffers hold
  std::vector<int> order;        // needed nodes, topological
  std::vector<int> data_nodes;   // needed data nodes
  std::vector<int> sampled_ops;  // needed sampled op nodes, topological
  std::vector<int> fixed_ops;    // needed op nodes that depend on data and constants only
  std::vector<int> sampled_nodes;  // needed sampled nodes (each has a gradient buffer)
  std::vector<char> sampled;       // per node, a copy of Node::sampled close to the other flags
  // What a run needs of an op node, gathered once so the per-node work of a step touches
  // a few small arrays instead of the graph's nodes (at 50 rows per step it matters).
  struct OpRecord {
    const OpDef* op;
    const Attrs* attrs;
    int n_in;
    std::array<int, kMaxInputs> in;
    unsigned wants_grad;  // bit a: input a is sampled and differentiable
    // Gradients are not zero-filled up front. In reverse order, the first node to write an
    // input's gradient writes it (gin_fresh) if its op can; otherwise the executor zeroes
    // that buffer just before: inputs zero_list[zero_begin, zero_end).
    unsigned fresh;
    int zero_begin, zero_end;
    int scratch = -1;  // a fused op's absorbed product node, whose gradient buffer is its scratch
  };
  std::vector<OpRecord> records;  // per node (ops only; others unused)
  std::vector<int> zero_list;
  // Sampled nodes whose gradient no op writes (outputs, which get the seeds, and nodes
  // with no differentiable consumer): zeroed at the start of each backward pass.
  std::vector<int> zero_at_start;
  std::vector<Shape> shapes;     // per node, current
  std::vector<int64_t> sizes;    // numel per node
  std::vector<std::shared_ptr<const Tensor>> overrides;  // per data node, program-only values
  std::vector<Shape> override_shapes;                    // shapes set through set_data_rows
  std::vector<char> has_override;
  uint64_t seen_version = ~uint64_t{0};
  int64_t S = 1;
  int64_t buffer_S = 1;  // the S the buffers were last sized for (results are per buffer_S)
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
  // The kernel calls of one sample's pass with their arguments, built once for the common
  // case of one sample (S == 1, one task) and reused by every run until a buffer moves
  // (calls_valid is cleared wherever buffers are resized). At 50 rows a kernel runs for
  // tens of nanoseconds, and building its arguments per call cost a noticeable share.
  struct Call {
    void (*fn)(const KernelArgs<T>&);
    KernelArgs<T> k;
    int zero_begin, zero_end;  // backward: gradients to zero first (ProgramCore::OpRecord)
  };
  std::vector<Call> forward_calls, backward_calls;
  bool calls_valid = false;

  explicit Executor(ProgramCore& core) : c(core) {}

  const Node& node(int i) const { return c.g->nodes[static_cast<size_t>(i)]; }

  // Shapes and buffers at the current sizes. Infers every needed node's shape, so it
  // throws the op's ShapeError while data inputs do not fit together.
  void prepare_shapes() {
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
      size_buffers(std::min<int64_t>(c.threads, c.S));
      c.buffer_S = c.S;
      c.shapes_dirty = false;
    }
  }

  // Buffers for S samples run by `slots` tasks (see ProgramCore::keep).
  void size_buffers(int64_t slots) {
    calls_valid = false;
    for (int i : c.order) {
      const Node& n = node(i);
      const auto size = static_cast<size_t>(c.sizes[static_cast<size_t>(i)]);
      buf[static_cast<size_t>(i)].resize(size * static_cast<size_t>(n.sampled ? (c.keep[i] ? c.S : slots) : 1));
      if (n.sampled) grad[static_cast<size_t>(i)].resize(size * static_cast<size_t>(c.is_param[i] ? c.S : slots));
    }
    c.slots = slots;
  }

  // Offsets of node j's values and gradient for sample s run by task t.
  int64_t value_offset(int j, int64_t s, int t) const {
    if (!c.sampled[j]) return 0;
    return (c.keep[j] ? s : t) * c.sizes[j];
  }
  int64_t grad_offset(int j, int64_t s, int t) const { return (c.is_param[j] ? s : t) * c.sizes[j]; }

  // Loads replaced data and recomputes the nodes that depend on data and constants only.
  void load_data() {
    if (c.data_dirty) {
      for (int i : c.data_nodes) {
        const Node& n = node(i);
        if (!data_loaded[i]) {
          if (c.has_override[i] && !c.overrides[i]) continue;  // rows gathered by set_data_rows
          const Tensor& t = c.has_override[i] ? *c.overrides[i] : *n.value;
          layout::from_row_major(t.data<T>(), buf[i].data(), t.shape());
          data_loaded[i] = 1;
        }
      }
      for (int i : c.fixed_ops) run_node(i, 0, 0);
      c.data_dirty = false;
    }
  }

  void prepare() {
    prepare_shapes();
    load_data();
  }

  // prepare_shapes(), except that while the data inputs do not fit together yet (x has
  // its new row count, y not yet) the shapes are left to the next run.
  void try_prepare_shapes() {
    try {
      prepare_shapes();
    } catch (const ShapeError&) {
    }
  }

  // Parameter buffers for S samples. Parameter shapes never change, so this needs no
  // shape inference (which could throw while replaced data inputs do not fit together yet).
  void size_params() {
    for (int i : c.params) {
      auto& b = buf[static_cast<size_t>(i)];
      const size_t want = static_cast<size_t>(c.sizes[i] * c.S);
      if (b.size() != want) {
        b.resize(want);
        calls_valid = false;
      }
    }
  }

  KernelArgs<T> args(int i, int64_t s, int t) {
    const ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    KernelArgs<T> k;
    k.attrs = r.attrs;
    k.n_in = r.n_in;
    for (int a = 0; a < k.n_in; ++a) {
      int j = r.in[a];
      k.in[a] = buf[j].data() + value_offset(j, s, t);
      k.in_shape[a] = &c.shapes[j];
      k.gin[a] = nullptr;
    }
    k.out = buf[i].data() + value_offset(i, s, t);
    k.out_shape = &c.shapes[i];
    if (r.scratch >= 0) k.scratch = grad[r.scratch].data() + grad_offset(r.scratch, s, t);
    return k;
  }

  void run_node(int i, int64_t s, int t) { forward_kernel<T>(*c.records[static_cast<size_t>(i)].op)(args(i, s, t)); }

  void zero_grad(int i, int64_t s, int t) {
    T* g = grad[i].data() + grad_offset(i, s, t);
    std::fill(g, g + c.sizes[i], T(0));
  }

  KernelArgs<T> backward_args(int i, int64_t s, int t) {
    const ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    KernelArgs<T> k = args(i, s, t);
    k.gout = grad[i].data() + grad_offset(i, s, t);
    k.gin_fresh = r.fresh;
    for (int a = 0; a < k.n_in; ++a) {
      int j = r.in[a];
      k.gin[a] = (r.wants_grad >> a) & 1u ? grad[j].data() + grad_offset(j, s, t) : nullptr;
    }
    return k;
  }

  // Builds forward_calls and backward_calls for sample 0 run by task 0.
  void build_calls() {
    forward_calls.clear();
    backward_calls.clear();
    for (int i : c.sampled_ops)
      forward_calls.push_back({forward_kernel<T>(*c.records[static_cast<size_t>(i)].op), args(i, 0, 0), 0, 0});
    for (auto it = c.sampled_ops.rbegin(); it != c.sampled_ops.rend(); ++it) {
      const ProgramCore::OpRecord& r = c.records[static_cast<size_t>(*it)];
      backward_calls.push_back({backward_kernel<T>(*r.op), backward_args(*it, 0, 0), r.zero_begin, r.zero_end});
    }
    calls_valid = true;
  }

  void forward_sample(int64_t s, int t) {
    if (c.S == 1) {
      for (const Call& call : forward_calls) call.fn(call.k);
      return;
    }
    for (int i : c.sampled_ops) run_node(i, s, t);
  }

  void backward_sample(int64_t s, int t) {
    for (int i : c.zero_at_start) zero_grad(i, s, t);
    for (size_t o = 0; o < c.outputs.size(); ++o) {
      int i = c.outputs[o];
      if (!c.sampled[i] || seeds[o] == 0.0) continue;
      T* g = grad[i].data() + grad_offset(i, s, t);
      for (int64_t e = 0; e < c.sizes[i]; ++e) g[e] += static_cast<T>(seeds[o]);
    }
    if (c.S == 1) {
      for (const Call& call : backward_calls) {
        for (int z = call.zero_begin; z < call.zero_end; ++z) zero_grad(c.zero_list[static_cast<size_t>(z)], s, t);
        call.fn(call.k);
      }
      return;
    }
    for (auto it = c.sampled_ops.rbegin(); it != c.sampled_ops.rend(); ++it) {
      int i = *it;
      const ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
      for (int z = r.zero_begin; z < r.zero_end; ++z) zero_grad(c.zero_list[static_cast<size_t>(z)], s, t);
      backward_kernel<T>(*r.op)(backward_args(i, s, t));
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
      ex.forward_sample(s, t);
      if (j.backward) ex.backward_sample(s, t);
    }
  }

  void run(bool backward) {
    prepare();
    int tasks = static_cast<int>(std::min<int64_t>(c.threads, c.S));
    if (tasks > c.slots) size_buffers(tasks);  // more threads than when the buffers were sized
    if (c.S == 1 && !calls_valid) build_calls();
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
  if (options.threads < 1)
    throw InvalidArgument("Program: option 'threads' is " + std::to_string(options.threads) + ", but must be >= 1");
  if (params.empty()) params = graph.parameters();
  for (size_t k = 0; k < params.size(); ++k) {
    const Expr& e = params[k];
    check(e, "params");
    std::string entry = "Program: params[" + std::to_string(k) + "]";
    if (e.node().kind != NodeKind::parameter)
      throw InvalidArgument(entry + " is " + describe_node(e.node(), e.id()) + ", not a parameter input");
    if (std::find(c.params.begin(), c.params.end(), e.id()) != c.params.end())
      throw InvalidArgument(entry + " '" + e.node().name + "' is listed twice");
    c.param_offsets.push_back(c.flat_size);
    c.params.push_back(e.id());
    c.flat_size += numel(e.shape());
    if (c.flat_size > INT32_MAX) throw InvalidArgument("Program: the parameters have more than 2^31 - 1 elements");
    layout::for_each_logical(e.shape(), [&](int64_t at) { c.flat_to_internal.push_back(static_cast<int32_t>(at)); });
  }
  impl_->param_exprs = params;
  size_t n = c.g->nodes.size();
  c.needed.assign(n, 0);
  c.keep.assign(n, 0);
  c.is_param.assign(n, 0);
  for (int o : c.outputs) c.needed[static_cast<size_t>(o)] = 1;
  for (int p : c.params) c.needed[static_cast<size_t>(p)] = 1;
  for (size_t i = n; i-- > 0;)
    if (c.needed[i])
      for (int j : c.g->nodes[i].inputs) c.needed[static_cast<size_t>(j)] = 1;
  // Fusion: an activation (tanh, relu, sigmoid) of a matmul that nothing else uses runs as
  // one op (ops/matmul_activation_op.cpp). The product node keeps its shape and buffers
  // (its gradient buffer is the fused op's scratch) but is not run.
  std::vector<int> product_of(n, -1);  // per fused activation node: the product it absorbs
  std::vector<char> absorbed(n, 0);
  {
    const auto& nodes = c.g->nodes;
    std::vector<int> uses(n, 0);
    for (size_t i = 0; i < n; ++i)
      if (c.needed[i])
        for (int j : nodes[i].inputs) ++uses[static_cast<size_t>(j)];
    for (int o : c.outputs) ++uses[static_cast<size_t>(o)];
    for (size_t i = 0; i < n; ++i) {
      const Node& nd = nodes[i];
      if (!c.needed[i] || nd.kind != NodeKind::op || !nd.sampled || nd.inputs.size() != 1) continue;
      if (!ops::matmul_fused_with(*nd.op)) continue;
      const auto m = static_cast<size_t>(nd.inputs[0]);
      const Node& mn = nodes[m];
      if (mn.kind != NodeKind::op || mn.op != &ops::matmul_op || uses[m] != 1) continue;
      // Without batch dimensions only (every dense layer): the fused backward then needs
      // no zero fill of broadcast gradients.
      if (nodes[static_cast<size_t>(mn.inputs[0])].shape.size() > 2 ||
          nodes[static_cast<size_t>(mn.inputs[1])].shape.size() > 2)
        continue;
      product_of[i] = static_cast<int>(m);
      absorbed[m] = 1;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!c.needed[i]) continue;
    const Node& nd = c.g->nodes[i];
    c.order.push_back(static_cast<int>(i));
    if (nd.kind == NodeKind::parameter) c.keep[i] = 1;  // listed or not, set_param may set it
    if (nd.kind == NodeKind::data) c.data_nodes.push_back(static_cast<int>(i));
    if (nd.kind == NodeKind::op && !absorbed[i])
      (nd.sampled ? c.sampled_ops : c.fixed_ops).push_back(static_cast<int>(i));
    if (nd.sampled) c.sampled_nodes.push_back(static_cast<int>(i));
  }
  c.sampled.assign(n, 0);
  for (size_t i = 0; i < n; ++i) c.sampled[i] = c.g->nodes[i].sampled;
  c.records.assign(n, ProgramCore::OpRecord{});
  for (int i : c.order) {
    const Node& nd = c.g->nodes[static_cast<size_t>(i)];
    if (nd.kind != NodeKind::op) continue;
    ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    r.op = nd.op;
    r.attrs = &nd.attrs;
    r.n_in = static_cast<int>(nd.inputs.size());
    const std::vector<int>* inputs = &nd.inputs;
    if (product_of[static_cast<size_t>(i)] >= 0) {  // runs as the fused op on the product's inputs
      r.scratch = product_of[static_cast<size_t>(i)];
      r.op = ops::matmul_fused_with(*nd.op);
      inputs = &c.g->nodes[static_cast<size_t>(r.scratch)].inputs;
      r.n_in = static_cast<int>(inputs->size());
    }
    r.wants_grad = 0;
    for (int a = 0; a < r.n_in; ++a) {
      int j = (*inputs)[static_cast<size_t>(a)];
      r.in[static_cast<size_t>(a)] = j;
      if (c.g->nodes[static_cast<size_t>(j)].sampled && !((r.op->nondifferentiable_inputs >> a) & 1u))
        r.wants_grad |= 1u << a;
    }
  }
  // Who writes each gradient first in the backward pass (sampled ops in reverse order).
  std::vector<char> written(n, 0);
  for (int o : c.outputs) written[static_cast<size_t>(o)] = 1;  // zeroed and seeded up front
  for (auto it = c.sampled_ops.rbegin(); it != c.sampled_ops.rend(); ++it) {
    ProgramCore::OpRecord& r = c.records[static_cast<size_t>(*it)];
    r.fresh = 0;
    r.zero_begin = static_cast<int>(c.zero_list.size());
    for (int a = 0; a < r.n_in; ++a) {
      int j = r.in[static_cast<size_t>(a)];
      if (!((r.wants_grad >> a) & 1u) || written[static_cast<size_t>(j)]) continue;
      written[static_cast<size_t>(j)] = 1;
      if (r.op->backward_assigns)
        r.fresh |= 1u << a;
      else
        c.zero_list.push_back(j);
    }
    r.zero_end = static_cast<int>(c.zero_list.size());
  }
  for (int i : c.sampled_nodes)
    if (!absorbed[static_cast<size_t>(i)] &&
        (!written[static_cast<size_t>(i)] || std::find(c.outputs.begin(), c.outputs.end(), i) != c.outputs.end()))
      c.zero_at_start.push_back(i);
  for (int o : c.outputs) c.keep[static_cast<size_t>(o)] = 1;
  for (int p : c.params) c.keep[static_cast<size_t>(p)] = c.is_param[static_cast<size_t>(p)] = 1;
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
  // Constants never change: load them once. Data is loaded by the first run.
  impl_->visit([&](auto& ex) {
    ex.prepare_shapes();
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    for (int i : c.order) {
      const Node& nd = c.g->nodes[static_cast<size_t>(i)];
      if (nd.kind == NodeKind::constant)
        layout::from_row_major(nd.value->template data<T>(), ex.buf[i].data(), nd.value->shape());
    }
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
    throw InvalidArgument("Program::set_threads: argument 'threads' is " + std::to_string(threads) +
                          ", but must be >= 1");
  ProgramCore& c = impl_->core;
  if (threads == c.threads && (threads == 1 || c.pool)) return;
  c.threads = threads;
  c.pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
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
void Program::set_flat_params(const T* theta) {
  ProgramCore& c = impl_->core;
  check_value_type<T>(c, "set_flat_params");
  Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  ex.size_params();
  const int32_t* at = c.flat_to_internal.data();
  for (size_t p = 0; p < c.params.size(); ++p) {
    int i = c.params[p];
    const int64_t n = c.sizes[i], off = c.param_offsets[p];
    for (int64_t s = 0; s < c.S; ++s) {
      const T* src = theta + s * c.flat_size + off;
      T* dst = ex.buf[i].data() + s * n;
      for (int64_t e = 0; e < n; ++e) dst[at[off + e]] = src[e];
    }
  }
}
template void Program::set_flat_params<float>(const float*);
template void Program::set_flat_params<double>(const double*);

namespace {
int param_index(const ProgramCore& c, const Expr& p, const char* fn) {
  if (!p.valid()) throw InvalidArgument(std::string("Program::") + fn + ": the parameter is an empty expression");
  if (p.graph_state() != c.g)
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
    ex.size_params();
    using T = typename std::remove_reference_t<decltype(ex.buf[0])>::value_type;
    int64_t n = numel(base);
    for (int64_t s = 0; s < c.S; ++s)
      layout::from_row_major(v.template data<T>() + (per ? s * n : 0), ex.buf[i].data() + s * n, base);
    return 0;
  });
}

namespace {
// Checks that `d` is a data input of this program's graph; returns its node.
const Node& data_node_of(const ProgramCore& c, const Expr& d, const char* fn) {
  if (!d.valid()) throw InvalidArgument(std::string("Program::") + fn + ": the data input is an empty expression");
  if (d.graph_state() != c.g)
    throw InvalidArgument(std::string("Program::") + fn + ": the data input belongs to another graph");
  const Node& n = d.node();
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
    } else if (layout::is_trivial(s)) {
      for (int64_t k = 0; k < m; ++k) std::memcpy(dst + k * width, src + rows[k] * width, sizeof(T) * size_t(width));
    } else if (r == 2) {  // [m, width] feature-major: each feature's m values contiguous
      if (width <= 16) {  // narrow rows: read each row once
        for (int64_t k = 0; k < m; ++k) {
          const T* row = src + rows[k] * width;
          for (int64_t f = 0; f < width; ++f) dst[f * m + k] = row[f];
        }
      } else {
        for (int64_t f = 0; f < width; ++f)
          for (int64_t k = 0; k < m; ++k) dst[f * m + k] = src[rows[k] * width + f];
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
  impl_->visit([&](auto& ex) {
    ex.run(false);
    return 0;
  });
}

void Program::forward_backward(std::span<const double> seeds) {
  ProgramCore& c = impl_->core;
  if (seeds.size() != c.outputs.size())
    throw InvalidArgument("Program::forward_backward: " + std::to_string(seeds.size()) + " seeds given for " +
                          std::to_string(c.outputs.size()) + " outputs; pass one seed per output");
  impl_->visit([&](auto& ex) {
    ex.seeds = seeds;
    ex.run(true);
    return 0;
  });
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
  const Executor<T>& ex = *[&] {
    if constexpr (std::is_same_v<T, float>) return impl_->f32.get();
    else return impl_->f64.get();
  }();
  const int32_t* at = c.flat_to_internal.data();
  for (size_t p = 0; p < c.params.size(); ++p) {
    int i = c.params[p];
    const int64_t n = c.sizes[i], off = c.param_offsets[p];
    for (int64_t s = 0; s < c.S; ++s) {
      const T* src = ex.grad[i].data() + s * n;
      T* dst = out + s * c.flat_size + off;
      for (int64_t e = 0; e < n; ++e) dst[e] = src[at[off + e]];
    }
  }
}
template void Program::flat_gradient<float>(float*) const;
template void Program::flat_gradient<double>(double*) const;

Tensor Program::gradient(Expr param) const {
  const ProgramCore& c = impl_->core;
  int pi = param_index(c, param, "gradient");
  check_results_current(c, "gradient");
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
