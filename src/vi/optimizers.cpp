// The optimizers. Defaults are PyMC's (pymc.variational.updates):
//   sgd lr 1e-3; momentum / nesterov_momentum lr 1e-3, momentum 0.9; adagrad lr 1, eps 1e-6;
//   adagrad_window lr 1e-3, eps 0.1, n_win 10; rmsprop lr 1, rho 0.9, eps 1e-6;
//   adadelta lr 1, rho 0.95, eps 1e-6; adam lr 1e-3, b1 0.9, b2 0.999, eps 1e-8;
//   adamax lr 2e-3, b1 0.9, b2 0.999, eps 1e-8.
#include <cmath>
#include <functional>
#include <map>

#include "elbo/graph/error.hpp"
#include "elbo/vi/optimizer.hpp"

namespace elbo {

namespace {

void clip_total_norm(std::span<double> g, double max_norm) {
  if (max_norm <= 0) return;
  double n2 = 0;
  for (double v : g) n2 += v * v;
  double n = std::sqrt(n2);
  if (n > max_norm) {
    double f = max_norm / (n + 1e-7);  // Lasagne's total_norm_constraint
    for (double& v : g) v *= f;
  }
}

class Base : public Optimizer {
 public:
  Base(std::string name, const OptimizerOptions& o, double default_lr, double default_eps)
      : name_(std::move(name)), o_(o) {
    lr_ = base_lr_ = o.learning_rate.value_or(default_lr);
    eps_ = o.epsilon.value_or(default_eps);
  }
  std::string name() const override { return name_; }
  void step(std::span<double> p, std::span<double> g) override {
    before_double_access();
    after_double_write();
    clip_total_norm(g, o_.total_grad_norm_constraint);
    ++t_;
    update(p, g, 0);
    finish_update();
  }
  void step(std::span<double> p, std::span<double> g, const ParallelFor& parallel) override {
    before_double_access();
    after_double_write();
    clip_total_norm(g, o_.total_grad_norm_constraint);
    ++t_;
    auto part = [&](int64_t b, int64_t e) {
      const size_t n = static_cast<size_t>(e - b);
      update(p.subspan(static_cast<size_t>(b), n), g.subspan(static_cast<size_t>(b), n), static_cast<size_t>(b));
    };
    parallel(static_cast<int64_t>(p.size()), std::ref(part));  // a reference: no allocation per step
    finish_update();
  }
  void reset(int64_t n) override {
    before_double_access();
    n_ = n;
    for (auto* v : buffers()) v->assign(static_cast<size_t>(n * width(v)), 0.0);
    after_double_write();
  }
  std::vector<double> state() const override {
    const_cast<Base*>(this)->before_double_access();
    std::vector<double> s = {static_cast<double>(t_)};
    for (auto* v : const_cast<Base*>(this)->buffers()) s.insert(s.end(), v->begin(), v->end());
    s.push_back(static_cast<double>(extra_));
    return s;
  }
  void set_state(std::span<const double> s) override {
    size_t k = 0;
    auto take = [&]() {
      if (k >= s.size()) throw InvalidArgument(name_ + ": the optimizer state is too short");
      return s[k++];
    };
    t_ = static_cast<int64_t>(take());
    for (auto* v : buffers())
      for (double& x : *v) x = take();
    extra_ = static_cast<int64_t>(take());
    if (k != s.size()) throw InvalidArgument(name_ + ": the optimizer state has the wrong size");
    after_double_write();
  }

 protected:
  virtual std::vector<std::vector<double>*> buffers() { return {}; }
  virtual int64_t width(const std::vector<double>*) { return 1; }
  /// Updates parameters off .. off + p.size() - 1 (p and g are those parts): may run on
  /// several threads at once for disjoint parts, so it changes no member but its own
  /// parameters' state. finish_update() then runs once per step.
  virtual void update(std::span<double> p, std::span<const double> g, size_t off) = 0;
  virtual void finish_update() {}
  // For a state kept in float as well (Adam's): before the double buffers are read or
  // written, and after they were written.
  virtual void before_double_access() {}
  virtual void after_double_write() {}
  std::string name_;
  OptimizerOptions o_;
  double eps_ = 0;
  int64_t n_ = 0, t_ = 0, extra_ = 0;
};

class Sgd : public Base {
 public:
  explicit Sgd(const OptimizerOptions& o) : Base("sgd", o, 1e-3, 0) {}
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    for (size_t i = 0; i < p.size(); ++i) p[i] -= lr_ * g[i];
  }
};

class Momentum : public Base {
 public:
  Momentum(const OptimizerOptions& o, bool nesterov)
      : Base(nesterov ? "nesterov_momentum" : "momentum", o, 1e-3, 0), nesterov_(nesterov) {}
  std::vector<std::vector<double>*> buffers() override { return {&v_}; }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    double m = o_.momentum;
    for (size_t i = 0; i < p.size(); ++i) {
      double step = -lr_ * g[i];
      double v = m * v_[off + i] + step;  // velocity
      v_[off + i] = v;
      p[i] += nesterov_ ? m * v + step : v;
    }
  }

 private:
  bool nesterov_;
  std::vector<double> v_;
};

class Adagrad : public Base {
 public:
  explicit Adagrad(const OptimizerOptions& o) : Base("adagrad", o, 1.0, 1e-6) {}
  std::vector<std::vector<double>*> buffers() override { return {&acc_}; }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    for (size_t i = 0; i < p.size(); ++i) {
      acc_[off + i] += g[i] * g[i];
      p[i] -= lr_ * g[i] / std::sqrt(acc_[off + i] + eps_);
    }
  }

 private:
  std::vector<double> acc_;
};

// PyMC's default: Adagrad over a sliding window of the last n_win squared gradients.
class AdagradWindow : public Base {
 public:
  explicit AdagradWindow(const OptimizerOptions& o) : Base("adagrad_window", o, 1e-3, 0.1) {
    if (o.n_win < 1)
      throw InvalidArgument("adagrad_window: argument 'n_win' is " + std::to_string(o.n_win) + ", but must be >= 1");
  }
  std::vector<std::vector<double>*> buffers() override { return {&win_}; }
  int64_t width(const std::vector<double>*) override { return o_.n_win; }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    int64_t w = o_.n_win, slot = extra_;
    for (size_t i = 0; i < p.size(); ++i) {
      double* row = win_.data() + static_cast<int64_t>(off + i) * w;
      row[slot] = g[i] * g[i];
      double acc = 0;
      for (int64_t k = 0; k < w; ++k) acc += row[k];
      p[i] -= lr_ * g[i] / std::sqrt(acc + eps_);
    }
  }
  void finish_update() override { extra_ = extra_ + 1 < o_.n_win ? extra_ + 1 : 0; }

 private:
  std::vector<double> win_;
};

class RmsProp : public Base {
 public:
  explicit RmsProp(const OptimizerOptions& o) : Base("rmsprop", o, 1.0, 1e-6) {
    rho_ = o.rho.value_or(0.9);
  }
  std::vector<std::vector<double>*> buffers() override { return {&acc_}; }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    for (size_t i = 0; i < p.size(); ++i) {
      acc_[off + i] = rho_ * acc_[off + i] + (1 - rho_) * g[i] * g[i];
      p[i] -= lr_ * g[i] / std::sqrt(acc_[off + i] + eps_);
    }
  }

 private:
  double rho_;
  std::vector<double> acc_;
};

class AdaDelta : public Base {
 public:
  explicit AdaDelta(const OptimizerOptions& o) : Base("adadelta", o, 1.0, 1e-6) {
    rho_ = o.rho.value_or(0.95);
  }
  std::vector<std::vector<double>*> buffers() override { return {&acc_, &delta_}; }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    for (size_t i = 0; i < p.size(); ++i) {
      acc_[off + i] = rho_ * acc_[off + i] + (1 - rho_) * g[i] * g[i];
      double u = g[i] * std::sqrt(delta_[off + i] + eps_) / std::sqrt(acc_[off + i] + eps_);
      p[i] -= lr_ * u;
      delta_[off + i] = rho_ * delta_[off + i] + (1 - rho_) * u * u;
    }
  }

 private:
  double rho_;
  std::vector<double> acc_, delta_;
};

class Adam : public Base {
 public:
  explicit Adam(const OptimizerOptions& o) : Base("adam", o, 1e-3, 1e-8) {}
  std::vector<std::vector<double>*> buffers() override { return {&m_, &v_}; }
  bool takes_fused_adam_step() const override { return !(o_.total_grad_norm_constraint > 0); }
  std::optional<AdamSingleStep> next_single_adam_step() override {
    if (!takes_fused_adam_step()) return std::nullopt;
    if (single_stale_) {
      // Moments beyond float's range (from general steps with huge gradients) stay double.
      constexpr double kFloatMax = 3.4028234663852886e38;
      for (const auto* moments : {&m_, &v_})
        for (double x : *moments)
          if (!(std::abs(x) <= kFloatMax)) return std::nullopt;
      m32_.assign(m_.begin(), m_.end());  // rounded to float
      v32_.assign(v_.begin(), v_.end());
      single_stale_ = false;
    }
    return AdamSingleStep{o_.beta1, o_.beta2, eps_, step_size(t_ + 1), m32_.data(), v32_.data()};
  }
  void commit_fused_step() override {
    ++t_;
    single_ahead_ = true;
    finish_update();
  }
  void before_double_access() override {
    if (!single_ahead_) return;
    std::copy(m32_.begin(), m32_.end(), m_.begin());  // widened, exactly
    std::copy(v32_.begin(), v32_.end(), v_.begin());
    single_ahead_ = false;
  }
  void after_double_write() override {
    single_stale_ = true;
    single_ahead_ = false;  // the double moments are the state now (set_state, reset, a step)
  }
  // The bias-corrected step size at step t (from 1).
  double step_size(int64_t step) const {
    const double b1 = o_.beta1, b2 = o_.beta2, t = static_cast<double>(step);
    return lr_ * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
  }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    const double b1 = o_.beta1, b2 = o_.beta2, eps = eps_;
    const double a = step_size(t_);
    // Local pointers and constants: with the members, every store through p could change
    // eps_ for the compiler, which reloaded it and kept the loop on one element at a time.
    double* __restrict m = m_.data() + off;
    double* __restrict v = v_.data() + off;
    double* __restrict pp = p.data();
    const double* __restrict gg = g.data();
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * gg[i];
      v[i] = b2 * v[i] + (1 - b2) * gg[i] * gg[i];
      pp[i] -= a * m[i] / (std::sqrt(v[i]) + eps);
    }
  }

 private:
  std::vector<double> m_, v_;
  // A float32 fit's fused step's moments (next_single_adam_step): ahead, newer than m_ and
  // v_; stale, older.
  std::vector<float> m32_, v32_;
  bool single_ahead_ = false, single_stale_ = true;
};

class AdaMax : public Base {
 public:
  explicit AdaMax(const OptimizerOptions& o) : Base("adamax", o, 2e-3, 1e-8) {}
  std::vector<std::vector<double>*> buffers() override { return {&m_, &u_}; }
  void update(std::span<double> p, std::span<const double> g, size_t off) override {
    double b1 = o_.beta1, b2 = o_.beta2, t = static_cast<double>(t_);
    double a = lr_ / (1 - std::pow(b1, t));
    for (size_t i = 0; i < p.size(); ++i) {
      m_[off + i] = b1 * m_[off + i] + (1 - b1) * g[i];
      u_[off + i] = std::max(b2 * u_[off + i], std::abs(g[i]));
      p[i] -= a * m_[off + i] / (u_[off + i] + eps_);
    }
  }

 private:
  std::vector<double> m_, u_;
};

void check_positive(const std::string& opt, const char* arg, double v) {
  if (!(v > 0) || !std::isfinite(v))
    throw InvalidArgument(opt + ": argument '" + arg + "' is " + std::to_string(v) +
                          ", but must be positive and finite");
}
void check_unit(const std::string& opt, const char* arg, double v) {
  if (!(v >= 0 && v < 1))
    throw InvalidArgument(opt + ": argument '" + arg + "' is " + std::to_string(v) + ", but must be in [0, 1)");
}

}  // namespace

std::vector<std::string> optimizer_names() {
  return {"sgd", "momentum", "nesterov_momentum", "adagrad", "adagrad_window", "rmsprop", "adadelta", "adam",
          "adamax"};
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& o) {
  std::unique_ptr<Optimizer> opt;
  const std::string& n = o.name;
  if (n == "sgd") opt = std::make_unique<Sgd>(o);
  else if (n == "momentum") opt = std::make_unique<Momentum>(o, false);
  else if (n == "nesterov_momentum") opt = std::make_unique<Momentum>(o, true);
  else if (n == "adagrad") opt = std::make_unique<Adagrad>(o);
  else if (n == "adagrad_window") opt = std::make_unique<AdagradWindow>(o);
  else if (n == "rmsprop") opt = std::make_unique<RmsProp>(o);
  else if (n == "adadelta") opt = std::make_unique<AdaDelta>(o);
  else if (n == "adam") opt = std::make_unique<Adam>(o);
  else if (n == "adamax") opt = std::make_unique<AdaMax>(o);
  else {
    std::string all;
    for (const auto& s : optimizer_names()) all += (all.empty() ? "" : ", ") + s;
    throw InvalidArgument("optimizer: unknown name '" + n + "'; choose one of " + all);
  }
  check_positive(n, "learning_rate", opt->learning_rate());
  if (o.epsilon) check_positive(n, "epsilon", *o.epsilon);
  if (n == "momentum" || n == "nesterov_momentum") check_unit(n, "momentum", o.momentum);
  if (n == "adam" || n == "adamax") {
    check_unit(n, "beta1", o.beta1);
    check_unit(n, "beta2", o.beta2);
  }
  if (o.rho) check_unit(n, "rho", *o.rho);
  if (o.total_grad_norm_constraint < 0 || std::isnan(o.total_grad_norm_constraint))
    throw InvalidArgument(n + ": argument 'total_grad_norm_constraint' is " +
                          std::to_string(o.total_grad_norm_constraint) + ", but must be >= 0");
  return opt;
}

}  // namespace elbo
