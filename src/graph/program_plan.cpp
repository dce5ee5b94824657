#include "program_plan.hpp"

#include <algorithm>

#include "ops/registry.hpp"

namespace elbo {

namespace {

// Nodes the outputs and parameters need, through the graph's own inputs.
std::vector<char> needed_as_built(const ProgramCore& c) {
  const size_t n = c.g->nodes.size();
  std::vector<char> needed(n, 0);
  for (int o : c.outputs) needed[static_cast<size_t>(o)] = 1;
  for (int p : c.params) needed[static_cast<size_t>(p)] = 1;
  for (size_t i = n; i-- > 0;)
    if (needed[i])
      for (int j : c.g->nodes[i].inputs) needed[static_cast<size_t>(j)] = 1;
  return needed;
}

// Nodes a run needs once rewritten: through the steps' inputs; a fused op's scratch node
// is needed for its buffers only.
void mark_needed_after_rewrites(ProgramCore& c) {
  const size_t n = c.g->nodes.size();
  c.needed.assign(n, 0);
  c.buffer_only.assign(n, 0);
  for (int o : c.outputs) c.needed[static_cast<size_t>(o)] = 1;
  for (int p : c.params) c.needed[static_cast<size_t>(p)] = 1;
  for (size_t i = n; i-- > 0;) {
    if (!c.needed[i]) continue;
    const ProgramStep& s = c.steps[i];
    for (int j : s.inputs) c.needed[static_cast<size_t>(j)] = 1;
    if (s.scratch >= 0) c.needed[static_cast<size_t>(s.scratch)] = c.buffer_only[static_cast<size_t>(s.scratch)] = 1;
  }
}

// The needed nodes in topological order, and the lists a run walks.
void list_nodes(ProgramCore& c) {
  const size_t n = c.g->nodes.size();
  for (size_t i = 0; i < n; ++i) {
    if (!c.needed[i]) continue;
    const Node& nd = c.g->nodes[i];
    const int id = static_cast<int>(i);
    c.order.push_back(id);
    if (nd.kind == NodeKind::data) c.data_nodes.push_back(id);
    if (nd.kind == NodeKind::op && !c.buffer_only[i]) (nd.sampled ? c.sampled_ops : c.fixed_ops).push_back(id);
    if (nd.sampled) c.sampled_nodes.push_back(id);
  }
  c.sampled.assign(n, 0);
  for (size_t i = 0; i < n; ++i) c.sampled[i] = c.g->nodes[i].sampled;
}

// What a run needs of each op node, from its step.
void build_records(ProgramCore& c) {
  c.records.assign(c.g->nodes.size(), ProgramCore::OpRecord{});
  for (int i : c.order) {
    const ProgramStep& s = c.steps[static_cast<size_t>(i)];
    if (!s.op) continue;
    ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    r.op = s.op;
    r.attrs = s.attrs;
    r.scratch = s.scratch;
    r.n_in = static_cast<int>(s.inputs.size());
    r.wants_grad = 0;
    for (int a = 0; a < r.n_in; ++a) {
      const int j = s.inputs[static_cast<size_t>(a)];
      r.in[static_cast<size_t>(a)] = j;
      if (c.sampled[static_cast<size_t>(j)] && !((r.op->nondifferentiable_inputs >> a) & 1u)) r.wants_grad |= 1u << a;
    }
  }
}

// Who writes each gradient first in the backward pass (sampled ops in reverse order):
// that op assigns it if it can, else the executor zeroes it just before.
void plan_gradient_writes(ProgramCore& c) {
  std::vector<char> written(c.g->nodes.size(), 0);
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
    if (!c.buffer_only[static_cast<size_t>(i)] &&
        (!written[static_cast<size_t>(i)] || std::find(c.outputs.begin(), c.outputs.end(), i) != c.outputs.end()))
      c.zero_at_start.push_back(i);
}

// f(r, a, j) for every input a (node j) of every op that a run executes.
template <class F>
void for_each_op_input(const ProgramCore& c, F f) {
  for (int i : c.order) {
    const ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    if (!r.op || c.buffer_only[static_cast<size_t>(i)]) continue;
    for (int a = 0; a < r.n_in; ++a) f(r, a, static_cast<size_t>(r.in[static_cast<size_t>(a)]));
  }
}

// Parameter matrices kept row-major (ProgramCore::row_major): the large ones (a network's
// weights, 2^14 elements and more, both sides at least 16) whose every consumer takes
// either layout: matmul as its second operand (fused with an activation or a bias or not) and
// normal_logp_sum (a sum over the elements; only its order of adding changes). Their
// values then come from the flat vector and their gradients go to it in place, with no
// transpose and no copy (Program::forward_backward_flat): at 478,410 weights the
// transposes were 6 % of a step (docs/PERFORMANCE.md, "The softplus terms' loop, and the
// large weights bound in place"). (A 1-D first operand walks such a weight with a stride:
// slower, the same results; the networks multiply matrices.)
void mark_row_major_params(ProgramCore& c) {
  const size_t n = c.g->nodes.size();
  c.row_major.assign(n, 0);
  for (int p : c.params) {
    const Node& nd = c.g->nodes[static_cast<size_t>(p)];
    if (nd.kind != NodeKind::parameter || nd.shape.size() != 2) continue;
    const int64_t rows = nd.shape[0], cols = nd.shape[1];
    if (rows < 16 || cols < 16 || rows * cols < (int64_t{1} << 14)) continue;
    if (std::find(c.outputs.begin(), c.outputs.end(), p) != c.outputs.end()) continue;
    c.row_major[static_cast<size_t>(p)] = 1;
  }
  for_each_op_input(c, [&](const ProgramCore::OpRecord& r, int a, size_t j) {
    const bool either = (ops::is_matrix_product(*r.op) && a == 1) || r.op == &ops::normal_logp_sum_op;
    if (!either) c.row_major[j] = 0;
  });
}

// Wide data matrices kept row-major too (ProgramCore::row_major): a minibatch's rows are
// then copied whole from the data set, where the internal layout needed a transposing
// gather (784-100's step spent 9 % of its time there; docs/PERFORMANCE.md, "A wide
// minibatch's rows copied whole"). Only where the products take the same path either way,
// so that results keep their bits: more than 128 features (a shorter row may take the short
// layers' kernel, which reads the internal layout) and every consumer a dense product with
// the data as its first operand and at least 16 columns (Eigen's blocked GEMM, which packs
// either layout into the same panels). Not an output.
void mark_row_major_data(ProgramCore& c) {
  const auto& nodes = c.g->nodes;
  for (int d : c.data_nodes) {
    const Shape& s = nodes[static_cast<size_t>(d)].shape;
    if (s.size() != 2 || s[1] <= 128 || s[0] < 16) continue;
    if (std::find(c.outputs.begin(), c.outputs.end(), d) != c.outputs.end()) continue;
    c.row_major[static_cast<size_t>(d)] = 1;
  }
  for_each_op_input(c, [&](const ProgramCore::OpRecord& r, int a, size_t j) {
    if (nodes[j].kind != NodeKind::data) return;
    const bool wide_product = ops::is_matrix_product(*r.op) && a == 0 && [&] {
      const Shape& b = nodes[static_cast<size_t>(r.in[1])].shape;
      return b.size() == 2 && b[1] >= 16;
    }();
    if (!wide_product) c.row_major[j] = 0;
  });
}

// KernelArgs::in_row_major of every op from ProgramCore::row_major.
void mark_row_major_inputs(ProgramCore& c) {
  for (int i : c.order) {
    ProgramCore::OpRecord& r = c.records[static_cast<size_t>(i)];
    if (!r.op) continue;
    r.row_major_in = 0;
    for (int a = 0; a < r.n_in; ++a)
      if (c.row_major[static_cast<size_t>(r.in[static_cast<size_t>(a)])]) r.row_major_in |= 1u << a;
  }
}

// Which buffers outlive a run (ProgramCore::keep, is_param).
void mark_kept(ProgramCore& c) {
  const size_t n = c.g->nodes.size();
  c.keep.assign(n, 0);
  c.is_param.assign(n, 0);
  for (int i : c.order)
    if (c.g->nodes[static_cast<size_t>(i)].kind == NodeKind::parameter) c.keep[i] = 1;  // set_param may set it
  for (int o : c.outputs) c.keep[static_cast<size_t>(o)] = 1;
  for (int p : c.params) c.keep[static_cast<size_t>(p)] = c.is_param[static_cast<size_t>(p)] = 1;
}

}  // namespace

void plan_program(ProgramCore& c, bool rewrites) {
  c.steps = rewrite_program(*c.g, needed_as_built(c), c.outputs, rewrites, c.owned_attrs);
  mark_needed_after_rewrites(c);
  list_nodes(c);
  build_records(c);
  plan_gradient_writes(c);
  mark_kept(c);
  mark_row_major_params(c);
  mark_row_major_data(c);
  mark_row_major_inputs(c);
  const size_t n = c.g->nodes.size();
  c.shapes.assign(n, Shape{});
  c.sizes.assign(n, 0);
  c.overrides.assign(n, nullptr);
  c.override_shapes.assign(n, Shape{});
  c.has_override.assign(n, 0);
}

}  // namespace elbo
