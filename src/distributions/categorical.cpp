#include "elbo/distributions/categorical.hpp"

#include <cmath>

#include "distribution_impl.hpp"

namespace elbo {
namespace {

class Categorical final : public Distribution {
 public:
  Categorical(Expr param, bool by_logit)
      : Distribution("Categorical", {by_logit ? "logits" : "p"}, {param}), by_logit_(by_logit) {
    if (param.rank() == 0)
      throw InvalidArgument(std::string("Categorical: argument '") + (by_logit ? "logits" : "p") +
                            "' must have at least one axis (the K categories), got shape []");
  }
  std::string_view name() const override { return "Categorical"; }
  std::vector<std::string> param_names() const override { return {by_logit_ ? "logits" : "p"}; }
  Support support() const override { return Support::categorical; }
  double upper() const override { return static_cast<double>(categories() - 1); }

  // Per row, the log-probability table log p - log(sum p) or logits - logsumexp(logits);
  // the label's entry is picked by a one-hot mask relu(1 - |label - k|), exact for
  // integer labels, through where() so that -inf entries of other labels give no nan.
  Expr logp(Expr label) const override {
    const Expr& param = params_[0];
    Expr table = by_logit_ ? param - logsumexp(param, -1, true)
                           : detail::log_of(param) - log(sum(param, -1, true));
    int64_t k = categories();
    Tensor ks(label.dtype(), {k});
    for (int64_t j = 0; j < k; ++j) ks.set(j, static_cast<double>(j));
    Graph g(label.graph_state());
    // label [..., 1] against [K]; the leading axis may change with the data's row count.
    Shape column = label.shape();
    if (!column.empty()) column[0] = -1;
    column.push_back(1);
    Expr onehot = relu(1.0 - abs(reshape(label, column) - g.constant(ks)));
    return sum(where(onehot, table, g.scalar(0.0)), -1);
  }

  // On [rows, K] logits, the rows' log-probabilities summed (or averaged) in one fused node
  // (categorical_logit_logp_sum); the value is that of the table above.
  bool fuses(const Expr& label) const {
    const Shape& l = params_[0].shape();
    return by_logit_ && l.size() == 2 && label.shape() == Shape{l[0]};
  }
  Expr logp_sum(Expr label) const override {
    return fuses(label) ? categorical_logit_logp_sum(params_[0], label) : Distribution::logp_sum(label);
  }
  Expr logp_mean(Expr label, double scale = 1.0) const override {
    return fuses(label) ? categorical_logit_logp_mean(params_[0], label, scale) : Distribution::logp_mean(label, scale);
  }

  // Inversion of the row's cumulative weights.
  Tensor draw(std::span<const Tensor> v, const Shape& shape, const Philox& rng, uint64_t stream,
              uint64_t counter, DType dtype) const override {
    std::vector<double> u(static_cast<size_t>(numel(shape)));
    rng.uniform(u.data(), numel(shape), stream, counter);
    std::vector<double> w;
    return per_row(v, shape, dtype, "draw", [&](int64_t i, const double* row, int64_t k) {
      weights(row, k, w);
      double total = 0;
      for (double x : w) total += x;
      double target = u[i] * total, acc = 0;
      for (int64_t j = 0; j < k; ++j) {
        acc += w[j];
        if (target < acc && w[j] > 0) return static_cast<double>(j);
      }
      for (int64_t j = k; j-- > 0;)  // rounding left target at the total: the last label with mass
        if (w[j] > 0) return static_cast<double>(j);
      return 0.0;
    });
  }

  // The mode: the first label of largest weight.
  Tensor central_point(std::span<const Tensor> v, const Shape& shape, DType dtype) const override {
    return per_row(v, shape, dtype, "central_point", [](int64_t, const double* row, int64_t k) {
      int64_t best = 0;
      for (int64_t j = 1; j < k; ++j)
        if (row[j] > row[best]) best = j;
      return static_cast<double>(best);
    });
  }

  void check_params(const std::string& var) const override {
    const Expr& param = params_[0];
    if (by_logit_) {
      detail::check_param(
          name(), var, "logits", param,
          [](double x) { return !std::isnan(x) && x != detail::kInf; }, "finite or -inf");
      return;
    }
    detail::check_finite(name(), var, "p", param);
    detail::check_param(
        name(), var, "p", param, [](double x) { return x >= 0; }, "non-negative");
    const Tensor* t = detail::constant_value(param);
    if (!t) return;
    int64_t k = categories();
    for (int64_t r = 0; r < t->numel() / k; ++r) {
      double total = 0;
      for (int64_t j = 0; j < k; ++j) total += (*t)[r * k + j];
      if (total > 0) continue;
      Shape rows(t->shape().begin(), t->shape().end() - 1);
      std::string where = rows.empty() ? "" : " row " + detail::index_str(rows, r);
      throw InvalidArgument("Categorical('" + var + "'): argument 'p'" + where +
                            " sums to 0, but must have a positive sum");
    }
  }

  void check_observed(const std::string& var, const Tensor& data) const override {
    detail::check_observed_finite(name(), var, data);
    int64_t k = categories();
    for (int64_t i = 0; i < data.numel(); ++i)
      if (!(data[i] >= 0 && data[i] < static_cast<double>(k)) || data[i] != std::floor(data[i]))
        detail::throw_observed(name(), var, data, i,
                               "is not a label in [0, " + std::to_string(k) + ")");
  }

 private:
  int64_t categories() const { return params_[0].shape().back(); }

  void weights(const double* row, int64_t k, std::vector<double>& w) const {
    w.assign(row, row + k);
    if (!by_logit_) return;
    double m = -detail::kInf;
    for (double x : w) m = std::max(m, x);
    for (double& x : w) x = std::exp(x - m);
  }

  template <class F>
  Tensor per_row(std::span<const Tensor> v, const Shape& shape, DType dtype, std::string_view what,
                 F f) const {
    detail::check_value_count(name(), what, v, param_names());
    const Tensor& t = v[0];
    int64_t k = t.rank() > 0 ? t.shape().back() : 0;
    detail::BroadcastIndex at(std::string(name()) + "." + std::string(what), param_names()[0],
                              t.shape(), shape, k > 0 ? k : 1);
    std::vector<double> all = t.to_vector();
    Tensor out(dtype, shape);
    for (int64_t i = 0; i < out.numel(); ++i) out.set(i, f(i, all.data() + at(i), k));
    return out;
  }

  bool by_logit_;
};

}  // namespace

std::shared_ptr<const Distribution> categorical(Expr p) {
  return std::make_shared<const Categorical>(p, false);
}

std::shared_ptr<const Distribution> categorical_logits(Expr logits) {
  return std::make_shared<const Categorical>(logits, true);
}

}  // namespace elbo
