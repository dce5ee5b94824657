#include "elbo/model/logp_program.hpp"

#include <algorithm>

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
      n_observed_(static_cast<int>(model.observed_variables().size())),
      seeds_(static_cast<size_t>(program_.num_outputs()), 0.0) {}

void LogpProgram::load_batch(uint64_t step) {
  for (const auto& s : model_->batch_sources()) s->load(program_, step);
}

template <class T>
void LogpProgram::run(const T* theta, T* grad, double prior_weight) {
  if (program_.flat_size() > 0) program_.set_flat_params(theta);
  if (grad) {
    seeds_[0] = prior_weight;
    seeds_[1] = 1.0;
    program_.forward_backward(seeds_);
    if (program_.flat_size() > 0) program_.flat_gradient(grad);
  } else {
    program_.forward();
  }
}
template void LogpProgram::run<float>(const float*, float*, double);
template void LogpProgram::run<double>(const double*, double*, double);

namespace {
double value_at(const Program& p, int out, int64_t s) {
  int64_t i = p.output_sampled(out) ? s : 0;
  if (p.dtype() == DType::f32) return p.output_values<float>(out)[static_cast<size_t>(i)];
  return p.output_values<double>(out)[static_cast<size_t>(i)];
}
}  // namespace

double LogpProgram::varlogp(int64_t s) const { return value_at(program_, 0, s); }
double LogpProgram::datalogp(int64_t s) const { return value_at(program_, 1, s); }

double LogpProgram::normalizing_constant() const {
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

}  // namespace elbo
