#pragma once
// A Bayesian model: named free random variables (priors), observed variables
// (likelihoods), deterministics and data containers, all expressions of one graph.
// Free variables live in unconstrained space (transforms applied automatically, as in
// PyMC) and form one flat vector of size D. log p is kept as two parts: varlogp (priors
// and Jacobians) and datalogp (likelihoods, scaled by total_size / rows).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elbo/distributions.hpp"
#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"
#include "elbo/graph/ops.hpp"
#include "elbo/model/batch_source.hpp"
#include "elbo/model/minibatch.hpp"
#include "elbo/model/param.hpp"
#include "elbo/model/variables.hpp"

ELBO_API_BEGIN
namespace elbo {

struct FreeOptions {
  /// Initial (constrained) value, PyMC's testval; default: a central point of the prior.
  std::optional<Tensor> initial = std::nullopt;
  /// false: no automatic transform (the variable is sampled in its own space).
  bool transform = true;
};

class Model {
 public:
  explicit Model(DType dtype = DType::f64);
  /// A model owns its graph: copies would share and mutate one graph, so there are none.
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  DType dtype() const { return graph_.dtype(); }
  Graph& graph() { return graph_; }
  const Graph& graph() const { return graph_; }

  // --- data containers (theano.shared / pm.Data) ---------------------------------------
  /// A data container; replace its value later with set_data (the row count may change).
  Expr data(const std::string& name, const Tensor& value);
  /// Replaces a container's value; observed data is checked again.
  void set_data(const std::string& name, const Tensor& value);
  /// Minibatches over aligned arrays (pm.Minibatch): returns one data input per array,
  /// each holding batch_size rows. Fitting draws a new batch every step.
  std::vector<Expr> minibatch(const std::vector<std::string>& names, const std::vector<Tensor>& arrays,
                              MinibatchOptions options);
  /// Adds any other source of batches (a stream); its inputs must be data inputs of this model.
  void add_batch_source(std::shared_ptr<BatchSource> source);
  /// The sources of minibatches; loading a batch is const (BatchSource::load).
  const std::vector<std::shared_ptr<const BatchSource>>& batch_sources() const { return sources_; }

  /// A number, tensor or expression as an expression of this model's graph.
  Expr as_expr(const Param& p, const std::string& var = "", const std::string& arg = "");

  // --- free random variables -------------------------------------------------------------
  Expr free(const std::string& name, std::shared_ptr<const Distribution> dist, Shape shape = {},
            FreeOptions options = {});
  Expr normal(const std::string& name, Param mu, Param sigma, Shape shape = {}, FreeOptions options = {});
  Expr half_normal(const std::string& name, Param sigma, Shape shape = {}, FreeOptions options = {});
  Expr log_normal(const std::string& name, Param mu, Param sigma, Shape shape = {}, FreeOptions options = {});
  Expr student_t(const std::string& name, Param nu, Param mu, Param sigma, Shape shape = {},
                 FreeOptions options = {});
  Expr cauchy(const std::string& name, Param alpha, Param beta, Shape shape = {}, FreeOptions options = {});
  Expr half_cauchy(const std::string& name, Param beta, Shape shape = {}, FreeOptions options = {});
  Expr laplace(const std::string& name, Param mu, Param b, Shape shape = {}, FreeOptions options = {});
  Expr exponential(const std::string& name, Param lam, Shape shape = {}, FreeOptions options = {});
  Expr gamma(const std::string& name, Param alpha, Param beta, Shape shape = {}, FreeOptions options = {});
  Expr inverse_gamma(const std::string& name, Param alpha, Param beta, Shape shape = {},
                     FreeOptions options = {});
  Expr beta(const std::string& name, Param alpha, Param beta, Shape shape = {}, FreeOptions options = {});
  Expr uniform(const std::string& name, Param lower, Param upper, Shape shape = {}, FreeOptions options = {});

  // --- observed variables (likelihoods) --------------------------------------------------
  Expr observed(const std::string& name, std::shared_ptr<const Distribution> dist, Expr data,
                ObservedOptions options = {});
  Expr bernoulli(const std::string& name, Param p, Expr observed, ObservedOptions options = {});
  Expr bernoulli_logit(const std::string& name, Param logit_p, Expr observed, ObservedOptions options = {});
  Expr categorical(const std::string& name, Param p, Expr observed, ObservedOptions options = {});
  Expr categorical_logits(const std::string& name, Param logits, Expr observed, ObservedOptions options = {});
  Expr binomial(const std::string& name, Param n, Param p, Expr observed, ObservedOptions options = {});
  Expr poisson(const std::string& name, Param mu, Expr observed, ObservedOptions options = {});
  Expr normal_likelihood(const std::string& name, Param mu, Param sigma, Expr observed,
                         ObservedOptions options = {});
  Expr student_t_likelihood(const std::string& name, Param nu, Param mu, Param sigma, Expr observed,
                            ObservedOptions options = {});

  /// A named deterministic, recorded in traces.
  Expr deterministic(const std::string& name, Expr value);

  // --- introspection ---------------------------------------------------------------------
  int64_t flat_size() const { return flat_size_; }
  const std::vector<FreeVariable>& free_variables() const { return free_; }
  const std::vector<ObservedVariable>& observed_variables() const { return observed_; }
  const std::vector<Deterministic>& deterministics() const { return deterministics_; }
  const FreeVariable& free_variable(const std::string& name) const;
  /// Any named free variable, observed variable, deterministic or data container.
  Expr operator[](const std::string& name) const;
  /// The parameter inputs of the free variables, in flat order.
  std::vector<Expr> flat_params() const;

  /// log p parts as per-sample scalars. They are graph nodes kept up to date as variables
  /// are added (a running sum of one term per variable, in the order added), so reading
  /// them changes nothing. Programs run them fused: priors that share one constant normal
  /// become one node when compiled (src/graph/rewrites/).
  Expr varlogp() const { return varlogp_; }
  Expr datalogp() const { return datalogp_; }
  /// varlogp's terms, one per free variable in flat order (its prior's log density plus
  /// its transform's log Jacobian): which variable makes log p non-finite.
  const std::vector<Expr>& varlogp_terms() const { return varlogp_terms_; }
  /// varlogp() + datalogp().
  Expr logp() const { return logp_; }

  /// The initial point, flat and unconstrained [D]: users' initial values, else a central
  /// point of each prior (mean where finite, else median).
  Tensor initial_point() const;
  /// Sets a free variable's initial (constrained) value.
  void set_initial_value(const std::string& name, const Tensor& value);

  /// "`w_in_1`.ravel()[3]": the variable and element behind flat index i.
  std::string describe_flat_index(int64_t i) const;

  /// Values of `exprs` at flat unconstrained parameters theta, [S, D] (or [D] for S = 1);
  /// results have a leading S for parameter-dependent expressions.
  std::vector<Tensor> evaluate(const std::vector<Expr>& exprs, const Tensor& theta) const;

  /// Prior predictive draws of every free and observed variable, [draws, ...shape].
  std::map<std::string, Tensor> sample_prior_predictive(int64_t draws, uint64_t seed) const;

 private:
  void check_new_name(const std::string& name) const;
  void check_member(const Expr& e, const std::string& var) const;
  void check_observed_data(const ObservedVariable& v) const;
  Expr register_free(const std::string& name, std::shared_ptr<const Distribution> dist, Shape shape,
                     FreeOptions options);

  Graph graph_;
  std::vector<FreeVariable> free_;
  std::vector<ObservedVariable> observed_;
  std::vector<Deterministic> deterministics_;
  std::vector<std::pair<std::string, Expr>> data_;
  std::vector<std::shared_ptr<const BatchSource>> sources_;
  std::vector<int> minibatch_nodes_;
  int64_t flat_size_ = 0;
  // The log p nodes (see varlogp()); before any variable, varlogp_ and datalogp_ are the
  // constant zero_. Each new variable adds its term with one add node (and a new logp_).
  void add_varlogp_term(Expr term);
  void add_datalogp_term(Expr term);
  Expr zero_, varlogp_, datalogp_, logp_;
  std::vector<Expr> varlogp_terms_;
};

}  // namespace elbo
ELBO_API_END
