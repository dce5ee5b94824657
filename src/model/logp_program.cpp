#include "elbo/model/logp_program.hpp"

#include <algorithm>
#include <string>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {
std::vector<Expr> logp_outputs(const Model& m) {
  std::vector<Expr> outs = {m.varlogp(), m.datalogp()};
  for (const auto& v : m.observed_variables()) outs.push_back(v.data);  // for the row counts
  return outs;
}
}  // namespace

LogpProgram::LogpProgram(const Model& model, ProgramOptions options)
    : model_(&model),
      program_(model.graph(), logp_outputs(model), model.flat_params(), options),
      options_(options),
      n_observed_(static_cast<int>(model.observed_variables().size())),
      seeds_(static_cast<size_t>(program_.num_outputs()), 0.0) {}

void LogpProgram::load_batch(uint64_t step) {
  for (const auto& s : model_->batch_sources()) s->load(program_, step);
}

template <class T>
void LogpProgram::run(const T* theta, T* grad, double prior_weight) {
  last_blocks_ = 1;
  if (!row_inputs_.empty() && program_.samples() == 1) {
    if (cut_version_ != model_->graph().data_version()) cut_blocks();
    if (!blocks_.empty()) {
      run_blocks(theta, grad, prior_weight);
      return;
    }
  }
  if (grad && program_.flat_size() > 0) {
    seeds_[0] = prior_weight;
    seeds_[1] = 1.0;
    program_.forward_backward_flat(theta, seeds_, grad);  // the large weights without a copy
    return;
  }
  if (program_.flat_size() > 0) program_.set_flat_params(theta);
  if (grad) {
    seeds_[0] = prior_weight;
    seeds_[1] = 1.0;
    program_.forward_backward(seeds_);
  } else {
    program_.forward();
  }
}

namespace {
double value_at(const Program& p, int out, int64_t s) {
  int64_t i = p.output_sampled(out) ? s : 0;
  if (p.dtype() == DType::f32) return p.output_values<float>(out)[static_cast<size_t>(i)];
  return p.output_values<double>(out)[static_cast<size_t>(i)];
}
}  // namespace

double LogpProgram::varlogp(int64_t s) const { return last_blocks_ > 1 ? split_varlogp_ : value_at(program_, 0, s); }
double LogpProgram::datalogp(int64_t s) const {
  return last_blocks_ > 1 ? split_datalogp_ : value_at(program_, 1, s);
}

int64_t LogpProgram::row_blocks(int64_t rows) {
  int64_t blocks = 1;
  while (blocks < 8 && 2 * blocks * kRowsPerBlock <= rows) blocks *= 2;
  return blocks;
}

void LogpProgram::split_rows(const std::vector<Expr>& row_data) {
  if (!row_data.empty()) {
    if (!model_->batch_sources().empty())
      throw InvalidArgument("LogpProgram::split_rows: the model draws minibatches, whose rows each step loads "
                            "whole; give no row_data");
    row_data_of(*model_, row_data, "LogpProgram::split_rows");
  }
  row_inputs_ = row_data;
  blocks_.clear();
  block_grad32_.clear();
  block_grad64_.clear();
  cut_version_ = ~uint64_t{0};
}

void LogpProgram::cut_blocks() {
  const uint64_t version = model_->graph().data_version();
  const int64_t rows = row_inputs_.front().value()->dim(0);
  for (const Expr& e : row_inputs_)
    if (e.value()->dim(0) != rows)
      throw ShapeError("LogpProgram: row data '" + e.name() + "' has " + std::to_string(e.value()->dim(0)) +
                       " rows but '" + row_inputs_.front().name() + "' has " + std::to_string(rows));
  const int64_t n = row_blocks(rows);
  blocks_.clear();  // until the blocks are cut: after a failure below the next run cuts again
  cut_version_ = ~uint64_t{0};
  if (n == 1) {
    cut_version_ = version;
    return;
  }
  std::vector<Program> blocks;
  ProgramOptions one = options_;
  one.threads = 1;  // the blocks run on this program's threads
  for (int64_t b = 0; b < n; ++b) blocks.emplace_back(model_->graph(), logp_outputs(*model_), model_->flat_params(), one);
  block_seeds_.assign(static_cast<size_t>(n), std::vector<double>(seeds_.size(), 0.0));
  // Each block's rows go straight into its program's buffers (set_data_rows keeps no copy
  // of them), so the blocks hold the data once between them, as one program would.
  std::vector<int64_t> index;
  for (int64_t b = 0; b < n; ++b) {
    const int64_t begin = rows * b / n, end = rows * (b + 1) / n;
    index.resize(static_cast<size_t>(end - begin));
    for (int64_t r = begin; r < end; ++r) index[static_cast<size_t>(r - begin)] = r;
    // A data node's value is in the model's dtype (Graph::set_data converts), as
    // set_data_rows requires.
    for (const Expr& e : row_inputs_) blocks[static_cast<size_t>(b)].set_data_rows(e, *e.value(), index);
  }
  blocks_ = std::move(blocks);
  cut_version_ = version;
}

template <class T>
void LogpProgram::run_blocks(const T* theta, T* grad, double prior_weight) {
  const int64_t n = static_cast<int64_t>(blocks_.size()), D = program_.flat_size();
  auto& grads = [&]() -> std::vector<std::vector<T>>& {
    if constexpr (std::is_same_v<T, float>)
      return block_grad32_;
    else
      return block_grad64_;
  }();
  if (grad) {
    grads.resize(static_cast<size_t>(n));
    for (auto& g : grads) g.resize(static_cast<size_t>(D));
  }
  program_.parallel_for(n, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      Program& p = blocks_[static_cast<size_t>(b)];
      if (D > 0) p.set_flat_params(theta);
      if (!grad) {
        p.forward();
        continue;
      }
      std::vector<double>& seeds = block_seeds_[static_cast<size_t>(b)];
      seeds[0] = b == 0 ? prior_weight : 0.0;  // the prior once, from the first block
      seeds[1] = 1.0;
      p.forward_backward(seeds);
      if (D > 0) p.flat_gradient(grads[static_cast<size_t>(b)].data());
    }
  });
  split_varlogp_ = value_at(blocks_[0], 0, 0);
  split_datalogp_ = 0;
  for (const Program& p : blocks_) split_datalogp_ += value_at(p, 1, 0);
  last_blocks_ = n;
  if (!grad) return;
  // The blocks' gradients summed in block order, element by element (any split of the
  // elements over the threads gives the same bits).
  auto sum = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T v = grads[0][static_cast<size_t>(i)];
      for (int64_t b = 1; b < n; ++b) v += grads[static_cast<size_t>(b)][static_cast<size_t>(i)];
      grad[i] = v;
    }
  };
  if (D >= (int64_t{1} << 15))
    program_.parallel_for(D, sum);
  else
    sum(0, D);
}

double LogpProgram::normalizing_constant() const {
  if (last_blocks_ > 1) return 1.0;  // split_rows refuses total_size
  double c = 1.0;
  bool any = false;
  const auto& obs = model_->observed_variables();
  for (int k = 0; k < n_observed_; ++k) {
    const ObservedOptions& o = obs[static_cast<size_t>(k)].options;
    const Shape& shape = program_.output_shape(2 + k);
    double scale = 1.0;
    if (o.total_size > 0 && !shape.empty() && shape[0] > 0) {
      scale = o.total_size / static_cast<double>(shape[0]);
    } else {
      for (size_t a = 0; a < o.total_size_per_dim.size(); ++a)
        if (o.total_size_per_dim[a] > 0 && shape[a] > 0)
          scale *= static_cast<double>(o.total_size_per_dim[a]) / static_cast<double>(shape[a]);
    }
    c = any ? std::max(c, scale) : scale;
    any = true;
  }
  return c;
}

template void LogpProgram::run<float>(const float*, float*, double);
template void LogpProgram::run<double>(const double*, double*, double);

}  // namespace elbo
