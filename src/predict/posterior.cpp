#include "elbo/predict/posterior.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "elbo/graph/program.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/vi/approximation_check.hpp"

namespace elbo {

namespace {
constexpr uint64_t kTraceStream = 0x7472;  // "tr"
constexpr uint64_t kPpcStream = 0x7070;    // "pp"
constexpr uint64_t kResampleStream = 0x7273;  // "rs"

// Repeats a value without the draws dimension `draws` times.
Tensor repeat(const Tensor& t, int64_t draws) {
  Shape s = t.shape();
  s.insert(s.begin(), draws);
  Tensor r(t.dtype(), s);
  int64_t n = t.numel();
  for (int64_t d = 0; d < draws; ++d)
    for (int64_t k = 0; k < n; ++k) r.set(d * n + k, t[k]);
  return r;
}
}  // namespace

Trace Posterior::sample(int64_t draws, uint64_t seed) const { return sample(draws, seed, SampleOptions{}); }

Trace Posterior::sample(int64_t draws, uint64_t seed, const SampleOptions& options) const {
  if (draws < 1) throw InvalidArgument("sample: argument 'draws' is " + std::to_string(draws) + ", but must be >= 1");
  const int64_t D = q_->dim();
  if (!options.psis) {
    const int64_t E = q_->noise_dim();
    std::vector<double> eps(static_cast<size_t>(draws * E)), z(static_cast<size_t>(draws * D));
    Philox(seed).normal(eps.data(), draws * E, kTraceStream, 0);
    q_->sample_z(eps.data(), z.data(), draws);
    return trace_of(Tensor(DType::f64, {draws, D}, z));
  }
  const int64_t n = options.candidates > 0 ? options.candidates : std::max<int64_t>(1000, 4 * draws);
  if (options.candidates < 0 || n < 25)
    throw InvalidArgument("sample: argument 'candidates' is " + std::to_string(options.candidates) +
                          ", but must be 0 (automatic) or at least 25");
  const ApproximationCheck check = check_approximation(*model_, *q_, {.draws = n, .seed = seed});
  if (!(check.psis.khat < kTrustedKhat)) {
    char k[32];
    std::snprintf(k, sizeof k, "%.2f", check.psis.khat);
    throw NumericalError(std::string("sample: PSIS k-hat is ") + k + " (" + std::to_string(n) +
                         " candidates), at or above 0.7: importance weights cannot correct this approximation; "
                         "sample without psis, or fit a better family");
  }
  // Multinomial resampling: draw d takes the candidate where the cumulative weight passes
  // a uniform u_d (seeded, its own stream).
  std::vector<double> cumulative(static_cast<size_t>(n));
  double total = 0;
  for (int64_t i = 0; i < n; ++i) cumulative[i] = total += std::exp(check.psis.log_weights[i]);
  std::vector<double> u(static_cast<size_t>(draws));
  Philox(seed).uniform(u.data(), draws, kResampleStream, 0);
  std::vector<double> z(static_cast<size_t>(draws * D));
  for (int64_t d = 0; d < draws; ++d) {
    const auto at = std::upper_bound(cumulative.begin(), cumulative.end(), u[d] * total);
    const int64_t i = std::min<int64_t>(at - cumulative.begin(), n - 1);
    approximation_check_draw(*q_, seed, i, z.data() + d * D);
  }
  return trace_of(Tensor(DType::f64, {draws, D}, z));
}

Trace Posterior::trace_of(Tensor theta) const {
  const int64_t draws = theta.shape()[0];
  std::vector<Expr> exprs;
  std::vector<std::string> names;
  for (const auto& v : model_->free_variables()) exprs.push_back(v.value), names.push_back(v.name);
  for (const auto& v : model_->deterministics()) exprs.push_back(v.value), names.push_back(v.name);
  Trace trace;
  if (!exprs.empty()) {
    std::vector<Tensor> values = model_->evaluate(exprs, theta);
    for (size_t i = 0; i < exprs.size(); ++i)
      trace.add(names[i], exprs[i].sampled() ? std::move(values[i]) : repeat(values[i], draws));
  }
  trace.set_unconstrained(std::move(theta));
  return trace;
}

std::map<std::string, Tensor> Posterior::sample_posterior_predictive(
    const Trace& trace, const std::vector<std::pair<Expr, Tensor>>& replacements, uint64_t seed,
    const std::vector<std::string>& var_names) const {
  const Tensor& theta = trace.unconstrained();
  const int64_t D = model_->flat_size();
  if (theta.rank() != 2 || theta.shape()[1] != D)
    throw InvalidArgument("sample_posterior_predictive: the trace has no unconstrained draws for this model "
                          "(make it with Posterior::sample)");
  const int64_t draws = theta.shape()[0];
  std::vector<const ObservedVariable*> obs;
  for (const auto& v : model_->observed_variables())
    if (var_names.empty() || std::find(var_names.begin(), var_names.end(), v.name) != var_names.end())
      obs.push_back(&v);
  std::vector<Expr> exprs;
  for (const auto* v : obs) {
    for (const Expr& p : v->distribution->params()) exprs.push_back(p);
    exprs.push_back(v->data);  // for its shape at the replaced data
  }
  std::map<std::string, Tensor> result;
  if (exprs.empty()) return result;
  Program prog(model_->graph(), exprs, model_->flat_params());
  for (const auto& [e, t] : replacements) prog.set_data(e, t);
  prog.set_samples(1);
  Philox rng(seed);
  std::vector<double> row(static_cast<size_t>(D));
  Tensor theta_m = theta.to(model_->dtype());
  for (int64_t d = 0; d < draws; ++d) {
    if (D > 0) {
      if (model_->dtype() == DType::f32)
        prog.set_flat_params(theta_m.data<float>() + d * D);
      else
        prog.set_flat_params(theta_m.data<double>() + d * D);
    }
    prog.forward();
    int out = 0;
    uint64_t stream = kPpcStream;
    for (const auto* v : obs) {
      std::vector<Tensor> pv;
      for (const Expr& p : v->distribution->params()) {
        Tensor t = prog.output(out++);
        pv.push_back(p.sampled() ? t.reshaped(Shape(t.shape().begin() + 1, t.shape().end())) : t);
      }
      const Shape& shape = prog.output_shape(out++);
      Tensor x = v->distribution->draw(pv, shape, rng, stream++, static_cast<uint64_t>(d), model_->dtype());
      auto it = result.find(v->name);
      if (it == result.end()) {
        Shape full = shape;
        full.insert(full.begin(), draws);
        it = result.emplace(v->name, Tensor(model_->dtype(), full)).first;
      }
      int64_t n = x.numel();
      for (int64_t k = 0; k < n; ++k) it->second.set(d * n + k, x[k]);
    }
  }
  return result;
}

}  // namespace elbo
