#pragma once
// The execution half of the program compiler: runs a planned program (program_plan.hpp)
// for the element type T: shapes and buffers at the current sizes, data loading, and the
// kernel calls of each sample's forward and backward pass, split over the threads.
#include <algorithm>
#include <span>
#include <vector>

#include "kernel_threads.hpp"
#include "layout.hpp"
#include "program_plan.hpp"

namespace elbo {

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

template <class T>
struct Executor {
  ProgramCore& c;
  std::vector<std::vector<T>> buf, grad;
  std::vector<char> data_loaded;
  // Parameters kept row-major (ProgramCore::row_major) that Program::forward_backward_flat
  // bound in place, with one sample: their values are read from ext_value[i] and their
  // gradient written to ext_grad[i] instead of buf[i] and grad[i]. Null where not bound.
  std::vector<const T*> ext_value;
  std::vector<T*> ext_grad;
  std::span<const double> seeds;
  // Program::backward: per-output gradients, [S, numel] each (rank <= 1) or null; used
  // instead of seeds when not empty.
  std::span<const double* const> output_grads;
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
          case NodeKind::op: {  // as the program runs it (a rewrite keeps the shape)
            const ProgramStep& st = c.steps[static_cast<size_t>(i)];
            Shape in[kMaxInputs];
            size_t k = 0;
            for (int j : st.inputs) in[k++] = c.shapes[static_cast<size_t>(j)];
            s = st.op->infer(std::span<const Shape>(in, k), *st.attrs);
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
          if (c.row_major[static_cast<size_t>(i)])
            std::copy(t.data<T>(), t.data<T>() + t.numel(), buf[i].data());
          else
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
      k.in[a] = ext_value[j] ? ext_value[j] : buf[j].data() + value_offset(j, s, t);
      k.in_shape[a] = &c.shapes[j];
      k.gin[a] = nullptr;
    }
    k.out = buf[i].data() + value_offset(i, s, t);
    k.out_shape = &c.shapes[i];
    k.in_row_major = r.row_major_in;
    if (r.scratch >= 0) k.scratch = grad[r.scratch].data() + grad_offset(r.scratch, s, t);
    return k;
  }

  void run_node(int i, int64_t s, int t) { forward_kernel<T>(*c.records[static_cast<size_t>(i)].op)(args(i, s, t)); }

  void zero_grad(int i, int64_t s, int t) {
    T* g = ext_grad[i] ? ext_grad[i] : grad[i].data() + grad_offset(i, s, t);
    std::fill(g, g + c.sizes[i], T(0));
  }

  KernelArgs<T> backward_args(int i, int64_t s, int t) {
    const ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    KernelArgs<T> k = args(i, s, t);
    k.gout = grad[i].data() + grad_offset(i, s, t);
    k.gin_fresh = r.fresh;
    for (int a = 0; a < k.n_in; ++a) {
      int j = r.in[a];
      k.gin[a] = !((r.wants_grad >> a) & 1u) ? nullptr
                 : ext_grad[j]                  ? ext_grad[j]
                                                : grad[j].data() + grad_offset(j, s, t);
    }
    return k;
  }

  // Points parameter i's values and gradient at v and g (null: its own buffers again).
  void bind(int i, const T* v, T* g) {
    if (ext_value[i] != v || ext_grad[i] != g) calls_valid = false;
    ext_value[i] = v;
    ext_grad[i] = g;
  }
  bool any_bound() const {
    for (int i : c.params)
      if (ext_value[i]) return true;
    return false;
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
      if (!output_grads.empty()) {
        if (!output_grads[o]) continue;
        T* g = grad[i].data() + grad_offset(i, s, t);
        const double* from = output_grads[o] + s * c.sizes[i];
        for (int64_t e = 0; e < c.sizes[i]; ++e) g[e] += static_cast<T>(from[e]);
        continue;
      }
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
    bool forward, backward;
    int tasks;
  };

  static void task(void* ctx, int t) {
    Job& j = *static_cast<Job*>(ctx);
    Executor& ex = *j.ex;
    int64_t S = ex.c.S;
    int64_t s0 = S * t / j.tasks, s1 = S * (t + 1) / j.tasks;
    // Intermediate values are kept per task, not per sample: a backward pass alone finds
    // them only when its task ran just that one sample; otherwise it recomputes them.
    const bool forward = j.forward || s1 - s0 > 1;
    for (int64_t s = s0; s < s1; ++s) {
      if (forward) ex.forward_sample(s, t);
      if (j.backward) ex.backward_sample(s, t);
    }
  }

  void run(bool backward) { run(true, backward); }
  void run(bool forward, bool backward) {
    prepare();
    int tasks = static_cast<int>(std::min<int64_t>(c.threads, c.S));
    if (tasks > c.slots) size_buffers(tasks);  // more threads than when the buffers were sized
    if (c.S == 1 && !calls_valid) build_calls();
    Job job{this, forward, backward, tasks};
    if (c.pool && tasks > 1) {
      c.pool->run(tasks, &Executor::task, &job);
    } else if (c.pool) {  // one sample: the threads go to kernels that split their own work
      detail::LendKernelThreads lend(c.pool.get());
      task(&job, 0);
    } else {
      task(&job, 0);
    }
  }
};

}  // namespace elbo
