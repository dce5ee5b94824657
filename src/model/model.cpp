#include "elbo/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "elbo/graph/log.hpp"
#include "elbo/graph/program.hpp"

namespace elbo {

namespace {

std::string where_msg(const Distribution& d, const std::string& var) {
  return std::string(d.name()) + "('" + var + "')";
}

// The current value of a data or constant node, or null for other expressions.
const Tensor* value_of(const Expr& e) { return e.value(); }

}  // namespace

Model::Model(DType dtype) : graph_(dtype) {
  zero_ = graph_.scalar(0.0);
  varlogp_ = datalogp_ = zero_;
  logp_ = zero_ + zero_;
}

// Running sums: ((t1 + t2) + t3) ..., the same left fold as summing the terms at the end.
void Model::add_varlogp_term(Expr term) {
  varlogp_ = varlogp_terms_.empty() ? term : varlogp_ + term;
  varlogp_terms_.push_back(term);
  logp_ = varlogp_ + datalogp_;
}

void Model::add_datalogp_term(Expr term) {
  datalogp_ = observed_.empty() ? term : datalogp_ + term;
  logp_ = varlogp_ + datalogp_;
}

void Model::check_new_name(const std::string& name) const {
  if (name.empty()) throw InvalidArgument("Model: a variable name is empty");
  auto taken = [&](const std::string& n) { return n == name; };
  bool dup = false;
  for (const auto& v : free_) dup = dup || taken(v.name) || taken(v.value_name);
  for (const auto& v : observed_) dup = dup || taken(v.name);
  for (const auto& v : deterministics_) dup = dup || taken(v.name);
  for (const auto& v : data_) dup = dup || taken(v.first);
  if (dup) throw InvalidArgument("Model: the name '" + name + "' is already used in this model");
}

void Model::check_member(const Expr& e, const std::string& var) const {
  if (!e.valid()) throw InvalidArgument("Model: '" + var + "' uses an empty expression");
  if (e.graph_state() != graph_.state())
    throw InvalidArgument("Model: '" + var +
                          "' uses an expression from another model; variables can only be used in the model that "
                          "created them");
}

Expr Model::as_expr(const Param& p, const std::string& var, const std::string& arg) {
  const auto& v = p.value();
  if (std::holds_alternative<double>(v)) return graph_.scalar(std::get<double>(v));
  if (std::holds_alternative<Tensor>(v)) return graph_.constant(std::get<Tensor>(v));
  const Expr& e = std::get<Expr>(v);
  if (!e.valid()) throw InvalidArgument("Model: argument '" + arg + "' of '" + var + "' is an empty expression");
  if (e.graph_state() != graph_.state())
    throw InvalidArgument("Model: argument '" + arg + "' of '" + var +
                          "' is a variable of another model; variables can only be used in the model that "
                          "created them");
  return e;
}

// --- data ----------------------------------------------------------------------------

Expr Model::data(const std::string& name, const Tensor& value) {
  check_new_name(name);
  Expr e = graph_.data(name, value);
  data_.emplace_back(name, e);
  return e;
}

void Model::set_data(const std::string& name, const Tensor& value) {
  for (auto& [n, e] : data_) {
    if (n != name) continue;
    Tensor old = *e.value();
    graph_.set_data(e, value);
    try {
      for (const auto& ov : observed_)
        if (ov.data.id() == e.id()) check_observed_data(ov);
    } catch (...) {
      graph_.set_data(e, old);  // nothing half-done
      throw;
    }
    return;
  }
  throw InvalidArgument("Model::set_data: no data container named '" + name + "'");
}

std::vector<Expr> Model::minibatch(const std::vector<std::string>& names, const std::vector<Tensor>& arrays,
                                   MinibatchOptions options) {
  if (names.size() != arrays.size())
    throw InvalidArgument("Model::minibatch: " + std::to_string(names.size()) + " names for " +
                          std::to_string(arrays.size()) + " arrays");
  std::vector<Tensor> converted;
  for (const Tensor& a : arrays) converted.push_back(a.dtype() == dtype() ? a : a.to(dtype()));
  std::vector<Expr> inputs;
  for (size_t i = 0; i < names.size(); ++i) {
    if (converted[i].rank() == 0)
      throw ShapeError("Model::minibatch: array '" + names[i] + "' is a scalar; it needs rows");
    int64_t b = std::min<int64_t>(std::max<int64_t>(options.batch_size, 1), converted[i].shape()[0]);
    inputs.push_back(data(names[i], converted[i].rows(0, b)));
  }
  auto source = std::make_shared<ArrayMinibatch>(converted, inputs, options);
  for (const Expr& e : inputs) minibatch_nodes_.push_back(e.id());
  sources_.push_back(std::move(source));
  return inputs;
}

void Model::add_batch_source(std::shared_ptr<BatchSource> source) {
  if (!source) throw InvalidArgument("Model::add_batch_source: the source is null");
  for (const Expr& e : source->inputs()) {
    check_member(e, "batch source");
    if (!e.is_data())
      throw InvalidArgument("Model::add_batch_source: an input is not a data container");
    minibatch_nodes_.push_back(e.id());
  }
  sources_.push_back(std::move(source));
}

// --- free variables ----------------------------------------------------------------------

Expr Model::register_free(const std::string& name, std::shared_ptr<const Distribution> dist, Shape shape,
                          FreeOptions options) {
  check_new_name(name);
  if (!dist) throw InvalidArgument("Model: the distribution of '" + name + "' is null");
  for (const Expr& p : dist->params()) check_member(p, name);
  dist->check_params(name);
  for (size_t i = 0; i < dist->params().size(); ++i) {
    const Shape& ps = dist->params()[i].shape();
    bool fits = ps.size() <= shape.size();
    for (size_t a = 0; fits && a < ps.size(); ++a) {
      int64_t d = ps[ps.size() - 1 - a];
      fits = d == 1 || d == shape[shape.size() - 1 - a];
    }
    if (!fits)
      throw ShapeError(where_msg(*dist, name) + ": argument '" + dist->param_names()[i] + "' has shape " +
                       shape_str(ps) + ", which does not broadcast to the variable's shape " + shape_str(shape));
  }
  FreeVariable v;
  v.name = name;
  v.shape = shape;
  v.size = numel(shape);
  v.offset = flat_size_;
  v.distribution = dist;
  v.transform = options.transform ? dist->default_transform() : nullptr;
  v.value_name = v.transform ? transformed_name(name, *v.transform) : name;
  if (v.transform) check_new_name(v.value_name);
  if (options.initial) {
    if (options.initial->shape() != shape)
      throw ShapeError(where_msg(*dist, name) + ": the initial value has shape " +
                       shape_str(options.initial->shape()) + " but the variable has shape " + shape_str(shape));
    v.initial = *options.initial;
  }
  v.unconstrained = graph_.parameter(v.value_name, shape);
  v.value = v.transform ? v.transform->backward(v.unconstrained) : v.unconstrained;
  // Its prior's log density plus its transform's log Jacobian.
  Expr term = v.distribution->logp_sum(v.value);
  if (v.transform) term = term + sum(v.transform->log_jacobian(v.unconstrained));
  add_varlogp_term(term);
  flat_size_ += v.size;
  free_.push_back(std::move(v));
  return free_.back().value;
}

Expr Model::free(const std::string& name, std::shared_ptr<const Distribution> dist, Shape shape,
                 FreeOptions options) {
  return register_free(name, std::move(dist), std::move(shape), std::move(options));
}

Expr Model::normal(const std::string& name, Param mu, Param sigma, Shape shape, FreeOptions o) {
  return free(name, elbo::normal(as_expr(mu, name, "mu"), as_expr(sigma, name, "sigma")), shape, o);
}
Expr Model::half_normal(const std::string& name, Param sigma, Shape shape, FreeOptions o) {
  return free(name, elbo::half_normal(as_expr(sigma, name, "sigma")), shape, o);
}
Expr Model::log_normal(const std::string& name, Param mu, Param sigma, Shape shape, FreeOptions o) {
  return free(name, elbo::log_normal(as_expr(mu, name, "mu"), as_expr(sigma, name, "sigma")), shape, o);
}
Expr Model::student_t(const std::string& name, Param nu, Param mu, Param sigma, Shape shape, FreeOptions o) {
  return free(name,
              elbo::student_t(as_expr(nu, name, "nu"), as_expr(mu, name, "mu"), as_expr(sigma, name, "sigma")),
              shape, o);
}
Expr Model::cauchy(const std::string& name, Param alpha, Param beta, Shape shape, FreeOptions o) {
  return free(name, elbo::cauchy(as_expr(alpha, name, "alpha"), as_expr(beta, name, "beta")), shape, o);
}
Expr Model::half_cauchy(const std::string& name, Param beta, Shape shape, FreeOptions o) {
  return free(name, elbo::half_cauchy(as_expr(beta, name, "beta")), shape, o);
}
Expr Model::laplace(const std::string& name, Param mu, Param b, Shape shape, FreeOptions o) {
  return free(name, elbo::laplace(as_expr(mu, name, "mu"), as_expr(b, name, "b")), shape, o);
}
Expr Model::exponential(const std::string& name, Param lam, Shape shape, FreeOptions o) {
  return free(name, elbo::exponential(as_expr(lam, name, "lam")), shape, o);
}
Expr Model::gamma(const std::string& name, Param alpha, Param beta, Shape shape, FreeOptions o) {
  return free(name, elbo::gamma(as_expr(alpha, name, "alpha"), as_expr(beta, name, "beta")), shape, o);
}
Expr Model::inverse_gamma(const std::string& name, Param alpha, Param beta, Shape shape, FreeOptions o) {
  return free(name, elbo::inverse_gamma(as_expr(alpha, name, "alpha"), as_expr(beta, name, "beta")), shape, o);
}
Expr Model::beta(const std::string& name, Param alpha, Param b, Shape shape, FreeOptions o) {
  return free(name, elbo::beta(as_expr(alpha, name, "alpha"), as_expr(b, name, "beta")), shape, o);
}
Expr Model::uniform(const std::string& name, Param lower, Param upper, Shape shape, FreeOptions o) {
  return free(name, elbo::uniform(as_expr(lower, name, "lower"), as_expr(upper, name, "upper")), shape, o);
}

// --- observed variables ------------------------------------------------------------------

void Model::check_observed_data(const ObservedVariable& v) const {
  if (const Tensor* t = value_of(v.data)) v.distribution->check_observed(v.name, *t);
}

Expr Model::observed(const std::string& name, std::shared_ptr<const Distribution> dist, Expr data,
                     ObservedOptions options) {
  check_new_name(name);
  if (!dist) throw InvalidArgument("Model: the distribution of '" + name + "' is null");
  check_member(data, name);
  for (const Expr& p : dist->params()) check_member(p, name);
  dist->check_params(name);
  ObservedVariable v;
  v.name = name;
  v.distribution = dist;
  v.data = data;
  v.options = options;
  check_observed_data(v);
  Expr lp;
  try {
    lp = dist->logp(data);
  } catch (const ShapeError& e) {
    throw ShapeError(where_msg(*dist, name) + ": the parameters do not fit the observed data of shape " +
                     shape_str(data.shape()) + " (" + e.what() + ")");
  }
  if (lp.shape() != data.shape())
    throw ShapeError(where_msg(*dist, name) + ": the log-likelihood has shape " + shape_str(lp.shape()) +
                     " but the observed data has shape " + shape_str(data.shape()) +
                     "; a parameter's shape does not match the data");
  if (options.total_size < 0 || !std::isfinite(options.total_size))
    throw InvalidArgument(where_msg(*dist, name) + ": argument 'total_size' is " +
                          std::to_string(options.total_size) + ", but must be positive");
  if (options.total_size > 0 && !options.total_size_per_dim.empty())
    throw InvalidArgument(where_msg(*dist, name) + ": give 'total_size' or 'total_size_per_dim', not both");
  if (options.total_size_per_dim.size() > static_cast<size_t>(data.rank()))
    throw InvalidArgument(where_msg(*dist, name) + ": 'total_size_per_dim' has " +
                          std::to_string(options.total_size_per_dim.size()) + " entries but the data has rank " +
                          std::to_string(data.rank()));
  if (options.total_size > 0) {
    if (data.rank() == 0)
      throw InvalidArgument(where_msg(*dist, name) + ": 'total_size' needs data with rows, but the data is a scalar");
    // total_size / M * sum(lp) == total_size * (elements per row) * mean(lp): two nodes, and
    // M (the batch's row count) may change from step to step.
    double per_row = 1;
    for (int a = 1; a < data.rank(); ++a) per_row *= static_cast<double>(data.shape()[a]);
    v.logp = dist->logp_mean(data, options.total_size * per_row);
  } else if (!options.total_size_per_dim.empty()) {
    Expr t = lp;
    for (size_t a = 0; a < options.total_size_per_dim.size(); ++a) {
      int64_t n = options.total_size_per_dim[a];
      if (n < 0)
        throw InvalidArgument(where_msg(*dist, name) + ": 'total_size_per_dim' entry " + std::to_string(a) +
                              " is " + std::to_string(n) + ", but must be >= 0");
      if (n > 0) t = mean(t, static_cast<int>(a), true) * static_cast<double>(n);
    }
    v.logp = sum(t);
  } else {
    v.logp = dist->logp_sum(data);
    bool batched = false;
    for (int id : minibatch_nodes_) batched = batched || id == data.id();
    if (batched)
      log_message(LogLevel::warning,
                  "observed variable '" + name +
                      "' is fed by minibatches but has no total_size, so its log-likelihood is not scaled to the "
                      "full data set and the posterior will be wrong (set ObservedOptions::total_size to the "
                      "number of rows; PyMC issue #3216)");
  }
  add_datalogp_term(v.logp);
  observed_.push_back(std::move(v));
  return data;
}

Expr Model::bernoulli(const std::string& name, Param p, Expr obs, ObservedOptions o) {
  return observed(name, elbo::bernoulli(as_expr(p, name, "p")), obs, o);
}
Expr Model::bernoulli_logit(const std::string& name, Param logit_p, Expr obs, ObservedOptions o) {
  return observed(name, elbo::bernoulli_logit(as_expr(logit_p, name, "logit_p")), obs, o);
}
Expr Model::categorical(const std::string& name, Param p, Expr obs, ObservedOptions o) {
  return observed(name, elbo::categorical(as_expr(p, name, "p")), obs, o);
}
Expr Model::categorical_logits(const std::string& name, Param logits, Expr obs, ObservedOptions o) {
  return observed(name, elbo::categorical_logits(as_expr(logits, name, "logits")), obs, o);
}
Expr Model::binomial(const std::string& name, Param n, Param p, Expr obs, ObservedOptions o) {
  return observed(name, elbo::binomial(as_expr(n, name, "n"), as_expr(p, name, "p")), obs, o);
}
Expr Model::poisson(const std::string& name, Param mu, Expr obs, ObservedOptions o) {
  return observed(name, elbo::poisson(as_expr(mu, name, "mu")), obs, o);
}
Expr Model::normal_likelihood(const std::string& name, Param mu, Param sigma, Expr obs, ObservedOptions o) {
  return observed(name, elbo::normal(as_expr(mu, name, "mu"), as_expr(sigma, name, "sigma")), obs, o);
}
Expr Model::student_t_likelihood(const std::string& name, Param nu, Param mu, Param sigma, Expr obs,
                                 ObservedOptions o) {
  return observed(name,
                  elbo::student_t(as_expr(nu, name, "nu"), as_expr(mu, name, "mu"), as_expr(sigma, name, "sigma")),
                  obs, o);
}

Expr Model::deterministic(const std::string& name, Expr value) {
  check_new_name(name);
  check_member(value, name);
  deterministics_.push_back({name, value});
  return value;
}

// --- introspection ----------------------------------------------------------------------------

const FreeVariable& Model::free_variable(const std::string& name) const {
  for (const auto& v : free_)
    if (v.name == name || v.value_name == name) return v;
  throw InvalidArgument("Model: no free variable named '" + name + "'");
}

Expr Model::operator[](const std::string& name) const {
  for (const auto& v : free_)
    if (v.name == name) return v.value;
  for (const auto& v : observed_)
    if (v.name == name) return v.data;
  for (const auto& v : deterministics_)
    if (v.name == name) return v.value;
  for (const auto& [n, e] : data_)
    if (n == name) return e;
  throw InvalidArgument("Model: no variable named '" + name + "'");
}

std::vector<Expr> Model::flat_params() const {
  std::vector<Expr> r;
  for (const auto& v : free_) r.push_back(v.unconstrained);
  return r;
}

void Model::set_initial_value(const std::string& name, const Tensor& value) {
  for (auto& v : free_) {
    if (v.name != name) continue;
    if (value.shape() != v.shape)
      throw ShapeError("Model::set_initial_value('" + name + "'): value has shape " + shape_str(value.shape()) +
                       " but the variable has shape " + shape_str(v.shape));
    v.initial = value;
    return;
  }
  throw InvalidArgument("Model::set_initial_value: no free variable named '" + name + "'");
}

Tensor Model::initial_point() const {
  Tensor theta(DType::f64, {flat_size_});
  for (const auto& v : free_) {
    Tensor x;
    if (v.initial) {
      x = *v.initial;
    } else {
      // evaluate() adds a leading sample dimension (S = 1) to parameter-dependent values.
      std::vector<Tensor> pv = evaluate(v.distribution->params(), theta);
      std::vector<Tensor> base;
      for (size_t i = 0; i < pv.size(); ++i) {
        const Expr& p = v.distribution->params()[i];
        base.push_back(p.sampled() ? pv[i].reshaped(p.shape()) : pv[i]);
      }
      x = v.distribution->central_point(base, v.shape, DType::f64);
    }
    for (int64_t k = 0; k < v.size; ++k) {
      double c = x[k];
      double y = v.transform ? v.transform->forward(c) : c;
      if (!std::isfinite(y))
        throw NumericalError("Model: the initial value of '" + v.name + "' at index " + std::to_string(k) + " is " +
                             std::to_string(c) + ", outside the support of " +
                             std::string(v.distribution->name()));
      theta.set(v.offset + k, y);
    }
  }
  return theta;
}

std::string Model::describe_flat_index(int64_t i) const {
  for (const auto& v : free_)
    if (i >= v.offset && i < v.offset + v.size)
      return "`" + v.value_name + "`.ravel()[" + std::to_string(i - v.offset) + "]";
  return "flat index " + std::to_string(i);
}

std::vector<Tensor> Model::evaluate(const std::vector<Expr>& exprs, const Tensor& theta) const {
  std::vector<Tensor> out;
  if (exprs.empty()) return out;
  for (const Expr& e : exprs) check_member(e, "evaluate");
  int64_t S = theta.rank() == 2 ? theta.shape()[0] : 1;
  int64_t D = theta.rank() == 2 ? theta.shape()[1] : theta.numel();
  if (theta.rank() > 2 || D != flat_size_)
    throw ShapeError("Model::evaluate: theta has shape " + shape_str(theta.shape()) + ", expected [S," +
                     std::to_string(flat_size_) + "] or [" + std::to_string(flat_size_) + "]");
  Program prog(graph_, exprs, flat_params());
  prog.set_samples(std::max<int64_t>(S, 1));
  Tensor converted;
  const Tensor& t = theta.dtype() == dtype() ? theta : (converted = theta.to(dtype()));
  if (flat_size_ > 0) {
    if (dtype() == DType::f32)
      prog.set_flat_params(t.data<float>());
    else
      prog.set_flat_params(t.data<double>());
  }
  prog.forward();
  for (int i = 0; i < prog.num_outputs(); ++i) out.push_back(prog.output(i));
  return out;
}

std::map<std::string, Tensor> Model::sample_prior_predictive(int64_t draws, uint64_t seed) const {
  if (draws < 1)
    throw InvalidArgument("Model::sample_prior_predictive: argument 'draws' is " + std::to_string(draws) +
                          ", but must be >= 1");
  Philox rng(seed);
  std::map<std::string, Tensor> result;
  Tensor theta(DType::f64, {draws, flat_size_});
  auto param_values = [&](const Distribution& d) { return evaluate(d.params(), theta); };
  auto draw_one = [&](const Distribution& d, const std::vector<Tensor>& pv, int64_t s, const Shape& shape,
                      uint64_t stream) {
    std::vector<Tensor> base;
    for (size_t i = 0; i < pv.size(); ++i) {
      const Expr& p = d.params()[i];
      base.push_back(p.sampled() ? pv[i].rows(s, s + 1).reshaped(p.shape()) : pv[i]);
    }
    return d.draw(base, shape, rng, stream, static_cast<uint64_t>(s), DType::f64);
  };
  uint64_t stream = 0;
  for (const auto& v : free_) {
    std::vector<Tensor> pv = param_values(*v.distribution);
    Shape full = v.shape;
    full.insert(full.begin(), draws);
    Tensor out(dtype(), full);
    for (int64_t s = 0; s < draws; ++s) {
      Tensor x = draw_one(*v.distribution, pv, s, v.shape, stream);
      for (int64_t k = 0; k < v.size; ++k) {
        out.set(s * v.size + k, x[k]);
        theta.set(s * flat_size_ + v.offset + k, v.transform ? v.transform->forward(x[k]) : x[k]);
      }
    }
    result[v.name] = std::move(out);
    ++stream;
  }
  for (const auto& v : observed_) {
    std::vector<Tensor> pv = param_values(*v.distribution);
    const Shape& shape = v.data.shape();
    Shape full = shape;
    full.insert(full.begin(), draws);
    Tensor out(dtype(), full);
    int64_t n = numel(shape);
    for (int64_t s = 0; s < draws; ++s) {
      Tensor x = draw_one(*v.distribution, pv, s, shape, stream);
      for (int64_t k = 0; k < n; ++k) out.set(s * n + k, x[k]);
    }
    result[v.name] = std::move(out);
    ++stream;
  }
  return result;
}

}  // namespace elbo
