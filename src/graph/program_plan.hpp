#pragma once
// The planning half of the program compiler: which nodes a run needs after rewriting, in
// which order, which buffers outlive a run, and who writes each gradient first. Its
// result, ProgramCore, holds everything about a program that does not depend on the
// element type; the executor (program_executor.hpp) runs it.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "elbo/graph/program.hpp"
#include "op.hpp"
#include "program_rewrites.hpp"
#include "thread_pool.hpp"

namespace elbo {

// Everything that does not depend on the element type.
struct ProgramCore {
  std::shared_ptr<GraphState> g;
  std::vector<int> outputs, params;
  // How each node runs after the rewrite pass (program_rewrites.hpp), and attributes that
  // rewritten nodes own.
  std::vector<ProgramStep> steps;
  std::deque<Attrs> owned_attrs;
  // Per node: a fused op's scratch (ProgramStep::scratch): sized with the other buffers
  // but never run.
  std::vector<char> buffer_only;
  std::vector<int64_t> param_offsets;
  int64_t flat_size = 0;
  std::vector<char> needed;      // per node: run or read by a run (after rewriting)
  // Per node: its values outlive a run (outputs and parameters), so a sampled one holds S
  // copies. Every other sampled node holds one scratch copy per task, reused from sample to
  // sample: the working set of a sample then stays in cache however large S is.
  std::vector<char> keep;
  std::vector<char> is_param;  // per node: its gradient outlives a run (S copies)
  // Per node: a parameter matrix whose values and gradient stay row-major, the user's layout
  // (program_plan.cpp, mark_row_major_params): set_flat_params and flat_gradient copy it as
  // it is instead of transposing it. Or a wide data matrix kept row-major
  // (mark_row_major_data): its rows are loaded and gathered as they are.
  std::vector<char> row_major;
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
    unsigned row_major_in = 0;  // bit a: input a is stored row-major (row_major)
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

/// Plans a program for `outputs` and `params` (node ids, already checked) of graph `g`.
void plan_program(ProgramCore& c, bool rewrites);

}  // namespace elbo
