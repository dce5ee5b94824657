#include "elbo/vi/inference.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <bit>
#include <optional>
#include <typeinfo>
#include <cmath>
#include <cstdint>
#include <span>
#include <sstream>
#include <utility>

#include "elbo/graph/random.hpp"
#include "elbo/model/logp_program.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/low_rank.hpp"
#include "elbo/vi/mean_field.hpp"
#include "elbo/vi/empirical.hpp"
#include "elbo/vi/normalizing_flow.hpp"
#include "elbo/vi/stein.hpp"
#include "elbo/vi/progress_bar.hpp"
#include "blocked_logp.hpp"
#include "mean_field_adam_step.hpp"
#include "interrupt.hpp"

namespace elbo {

namespace {

constexpr uint64_t kEpsStream = 1;    // draws of the fit
constexpr uint64_t kAdaptStream = 2;  // draws of step-size adaptation

std::vector<double> start_mean(const Model& m, const InferenceOptions& o) {
  Tensor t = o.start ? *o.start : m.initial_point();
  if (t.numel() != m.flat_size())
    throw ShapeError("Inference: argument 'start' has " + std::to_string(t.numel()) + " values, but the model has " +
                     std::to_string(m.flat_size()) + " free parameters");
  return t.to_vector();
}

// The approximation computes its per-parameter terms in the model's precision while steps
// run (Approximation::set_draw_dtype) and in double again afterwards, so what a fit returns
// samples, and its sd() and cov() read, exactly as the same parameters loaded from a file.
// Likewise the threads it may split its per-parameter work over (set_parallel).
class DrawPrecisionDuringSteps {
 public:
  DrawPrecisionDuringSteps(Approximation& q, DType dtype, ParallelFor parallel) : q_(q) {
    q_.set_draw_dtype(dtype);
    q_.set_parallel(std::move(parallel));
  }
  ~DrawPrecisionDuringSteps() {
    // A float32 fit's fused steps leave mu and rho in float (MeanField::single_params):
    // widened here, on the lent threads, however the steps ended, so that reading the
    // result later writes nothing.
    std::as_const(q_).params();
    q_.set_draw_dtype(DType::f64);
    q_.set_parallel(nullptr);
  }
  DrawPrecisionDuringSteps(const DrawPrecisionDuringSteps&) = delete;
  DrawPrecisionDuringSteps& operator=(const DrawPrecisionDuringSteps&) = delete;

 private:
  Approximation& q_;
};

double finite_mean_of_last(const std::vector<double>& h, size_t n) {
  double s = 0;
  size_t k = 0;
  for (size_t i = h.size() > n ? h.size() - n : 0; i < h.size(); ++i)
    if (std::isfinite(h[i])) s += h[i], ++k;
  return k ? s / static_cast<double>(k) : NAN;
}

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// For a non-finite prior log density at the draw z [D]: the variable whose term is not
// finite, and its element farthest from zero (a diverged value overflows there).
std::string nonfinite_prior_term(const Model& m, const double* z) {
  Tensor theta(DType::f64, {m.flat_size()});
  for (int64_t i = 0; i < m.flat_size(); ++i) theta.set(i, z[i]);
  std::vector<Tensor> terms = m.evaluate(m.varlogp_terms(), theta);
  const auto& vars = m.free_variables();
  for (size_t k = 0; k < terms.size(); ++k) {
    double t = terms[k][0];
    if (std::isfinite(t)) continue;
    const FreeVariable& v = vars[k];
    int64_t far = v.offset;
    for (int64_t i = v.offset; i < v.offset + v.size; ++i)
      if (!(std::abs(z[i]) <= std::abs(z[far]))) far = i;
    return "the prior term of '" + v.name + "' is " + num(t) + "; the draw there is " + num(z[far]) + " at " +
           m.describe_flat_index(far);
  }
  return "every variable's term is finite, but their sum is not";
}

}  // namespace

struct Inference::Impl {
  Impl(const Model& model, std::unique_ptr<Approximation> approximation, InferenceOptions options);

  enum class StepStatus { ok, skipped };
  StepStatus run_step(const FitOptions& o, uint64_t stream);
  // The general step; batch_loaded: the fused step loaded this step's batch already.
  StepStatus run_general_step(const FitOptions& o, uint64_t stream, bool batch_loaded);
  // The fused step (mean_field_adam_step.hpp) where it applies: nullopt when this step must
  // take the general path, with *batch_loaded telling whether the batch was loaded.
  std::optional<StepStatus> run_fused_step(const FitOptions& o, uint64_t stream, bool* batch_loaded);
  bool fused_step_applies(const FitOptions& o);
  // "mu[3] of w_in_1[1,1]" (the coordinate it belongs to), or just "planar0.u[2]".
  std::string param_label(int64_t i) const {
    const int64_t c = approx_->coordinate(i);
    return approx_->param_name(i) + (c >= 0 ? " of " + model_->describe_flat_index(c) : std::string());
  }
  void ensure_buffers(int64_t S);
  const Approximation& fit(int64_t n, const FitOptions& o);
  double adapt_step_size(int64_t adapt_iter, const FitOptions& o);
  State state() const;
  void set_state(const State& s);

  const Model* model_;
  std::unique_ptr<Approximation> approx_;
  InferenceOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  LogpProgram logp_;
  // A data-parallel fit's log p over this process's blocks (null otherwise).
  std::unique_ptr<BlockedLogp> blocked_;
  // After logp_, whose threads draw its noise ahead: destroyed first.
  std::unique_ptr<MeanFieldAdamStep> fused_;
  double varlogp(int64_t s) const { return blocked_ ? blocked_->varlogp(s) : logp_.varlogp(s); }
  double datalogp(int64_t s) const { return blocked_ ? blocked_->datalogp(s) : logp_.datalogp(s); }
  std::vector<double> hist_;
  int64_t step_ = 0;
  FitReport report_;
  // per-step buffers, sized once per obj_n_mc
  std::vector<double> eps_, z_, g_, logq_, grad_, backup_;
  std::vector<double> dz_, dlogq_, log_w_;  // the Renyi objectives' per-draw weights
  Objective default_objective_ = Objective::kl();
  Objective objective_ = Objective::kl();  // of the fit call under way
  SteinScratch stein_;
  // The draws of one step: obj_n_mc, or every particle for SVGD.
  int64_t draws_per_step(const FitOptions& o) const {
    if (objective_.kind == Objective::Kind::ksd)
      if (const auto* e = dynamic_cast<const Empirical*>(approx_.get())) return e->particles();
    return o.obj_n_mc;
  }
  StepStatus run_stein_step(const FitOptions& o, uint64_t stream);
  // A step with a non-finite value: recorded and skipped (skip_nonfinite), else a
  // NumericalError naming the step and `what`.
  StepStatus skip_or_throw(const FitOptions& o, double loss, const std::string& what);
  StepStatus apply_update(const FitOptions& o, double loss);
  StepStatus restore_after_nonfinite_update(const FitOptions& o, double loss);
  StepStatus nonfinite_update(const FitOptions& o, double loss, size_t i, double value);
  // Sets objective_ for a fit or adaptation call and checks it against the options and
  // the family; `fn` names the call in messages.
  void select_objective(const FitOptions& o, const std::string& fn);
  std::vector<float> z32_, g32_;
  std::vector<float> next32_;  // the fused step's new [mu, rho] (MeanFieldAdamStep)
  // Set when a fused step asked the schedule for this step's rate and then handed the step
  // to the general path: a schedule may keep state (ReduceOnPlateau), so it is asked once.
  bool rate_scheduled_ = false;

  // Per-parameter work (noise, copies, checks, the optimizer's update) split over the
  // program's threads once it is large enough to pay for waking them: every such loop is
  // elementwise (or a yes/no check), so the bits do not depend on the split.
  static constexpr int64_t kParallelElements = int64_t{1} << 15;
  // The fused step's update (Adam on mu and rho, about 4 ns a weight on this Xeon, bound by
  // its divisions and square roots at small sizes) pays for a wake-up from fewer weights:
  // a digits network's 3,466 (docs/PERFORMANCE.md, "Small networks on two threads").
  static constexpr int64_t kFusedParallelElements = int64_t{1} << 11;
  template <class F>
  void for_parameters(int64_t n, F f) {
    if (logp_.program().threads() > 1 && n >= kParallelElements)
      logp_.program().parallel_for(n, f);
    else
      f(int64_t{0}, n);
  }
  bool all_finite_parallel(std::span<const double> v);
  bool g_checked_finite_ = false;  // the float32 path found this step's g_ finite as it widened it
  Optimizer::ParallelFor optimizer_parallel();
};

Inference::Impl::Impl(const Model& model, std::unique_ptr<Approximation> approximation, InferenceOptions options)
    : model_(&model),
      approx_(std::move(approximation)),
      options_(std::move(options)),
      optimizer_(make_optimizer(options_.optimizer)),
      logp_(model, ProgramOptions{options_.threads}) {
  if (model.flat_size() == 0) throw InvalidArgument("Inference: the model has no free variables to fit");
  if (approx_->dim() != model.flat_size())
    throw ShapeError("Inference: the approximation has dimension " + std::to_string(approx_->dim()) +
                     " but the model has " + std::to_string(model.flat_size()) + " free parameters");
  optimizer_->reset(static_cast<int64_t>(approx_->params().size()));
  if (options_.data_parallel.communicator)
    blocked_ = std::make_unique<BlockedLogp>(model, logp_, options_.data_parallel);
  if (!options_.row_data.empty()) {
    if (blocked_)
      throw InvalidArgument("Inference: option 'row_data' splits this process's rows over its threads; a data-parallel "
                            "fit names its rows in data_parallel.row_data");
    std::vector<Expr> rows;
    for (const std::string& name : options_.row_data) rows.push_back(model[name]);  // names an unknown one
    logp_.split_rows(rows);
  }
}

Inference::Inference(const Model& model, std::unique_ptr<Approximation> approximation, InferenceOptions options)
    : impl_(std::make_unique<Impl>(model, std::move(approximation), std::move(options))) {}

Inference::~Inference() = default;

const Approximation& Inference::fit(int64_t n, const FitOptions& options) { return impl_->fit(n, options); }
double Inference::adapt_step_size(int64_t adapt_iter, const FitOptions& options) {
  return impl_->adapt_step_size(adapt_iter, options);
}
const Approximation& Inference::approximation() const { return *impl_->approx_; }
Approximation& Inference::approximation() { return *impl_->approx_; }
const std::vector<double>& Inference::hist() const { return impl_->hist_; }
int64_t Inference::step() const { return impl_->step_; }
const FitReport& Inference::last_fit() const { return impl_->report_; }
Optimizer& Inference::optimizer() { return *impl_->optimizer_; }
const Model& Inference::model() const { return *impl_->model_; }
uint64_t Inference::seed() const { return impl_->options_.seed; }
const InferenceOptions& Inference::options() const { return impl_->options_; }
Inference::State Inference::state() const { return impl_->state(); }
void Inference::set_state(const State& state) { impl_->set_state(state); }
void Inference::set_default_objective(const Objective& objective) { impl_->default_objective_ = objective; }

void Inference::Impl::ensure_buffers(int64_t S) {
  size_t n = static_cast<size_t>(S * approx_->dim());
  if (z_.size() != n) {
    eps_.assign(static_cast<size_t>(S * approx_->noise_dim()), 0.0);
    z_.assign(n, 0.0);
    logq_.assign(static_cast<size_t>(S), 0.0);
    dz_.assign(n, 0.0);
    dlogq_.assign(static_cast<size_t>(S), 0.0);
    log_w_.assign(static_cast<size_t>(S), 0.0);
    g_.assign(n, 0.0);
    z32_.assign(model_->dtype() == DType::f32 ? n : 0, 0.0f);
    g32_.assign(model_->dtype() == DType::f32 ? n : 0, 0.0f);
  }
  grad_.resize(approx_->params().size());
  backup_.resize(approx_->params().size());
  if (logp_.samples() != S) logp_.set_samples(S);
}

namespace {
// Noise draws n, first .. first + n - 1 of (stream, t) into out: standard normals in the
// model's precision. A float32 network takes z in float32, so its noise is drawn in single
// precision (Philox::normal<float>, eight or sixteen lanes at a time) and widened.
void draw_noise(const Philox& rng, DType dtype, double* out, int64_t n, uint64_t stream, uint64_t t,
                int64_t first = 0) {
  if (dtype != DType::f32) return rng.normal(out, n, stream, t, first);
  constexpr int64_t kChunk = 512;
  float buf[kChunk];
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = std::min(kChunk, n - i);
    rng.normal(buf, m, stream, t, first + i);
    std::copy(buf, buf + m, out + i);
  }
}

// Whether every value is finite, in one branch-free pass that vectorises (an exponent of
// all ones is inf or NaN); the caller searches for the culprit only when it is not.
bool all_finite(std::span<const double> v) {
  constexpr uint64_t kExponent = 0x7ff0000000000000ull;
  uint64_t bad = 0;
  for (double x : v) bad |= static_cast<uint64_t>((std::bit_cast<uint64_t>(x) & kExponent) == kExponent);
  return bad == 0;
}
}  // namespace

bool Inference::Impl::all_finite_parallel(std::span<const double> v) {
  std::atomic<bool> ok{true};
  for_parameters(static_cast<int64_t>(v.size()), [&](int64_t b, int64_t e) {
    if (!all_finite(v.subspan(static_cast<size_t>(b), static_cast<size_t>(e - b)))) ok = false;
  });
  return ok;
}

Optimizer::ParallelFor Inference::Impl::optimizer_parallel() {
  return [this](int64_t n, const std::function<void(int64_t, int64_t)>& f) { for_parameters(n, f); };
}

// SVGD and ASVGD: z at every particle (SVGD) or at obj_n_mc draws (ASVGD), the gradient of
// log p there (scaled like the loss), the Stein direction phi; the particles move along
// phi, a family's parameters along phi pushed back through z. The loss recorded is
// -mean log p / c at those points, for monitoring.
Inference::Impl::StepStatus Inference::Impl::run_stein_step(const FitOptions& o, uint64_t stream) {
  if (blocked_) throw InvalidArgument("data-parallel fit: SVGD and ASVGD are not data-parallel yet");
  const int64_t D = approx_->dim(), E = approx_->noise_dim();
  const auto* particles = dynamic_cast<const Empirical*>(approx_.get());
  const int64_t S = draws_per_step(o);
  const uint64_t t = static_cast<uint64_t>(step_);
  if (particles) {
    std::copy(approx_->params().begin(), approx_->params().end(), z_.begin());
  } else {
    draw_noise(Philox(options_.seed), model_->dtype(), eps_.data(), S * E, stream, t);
    approx_->sample(eps_.data(), z_.data(), logq_.data(), S);
  }
  logp_.load_batch(t);
  if (model_->dtype() == DType::f32) {
    for (size_t i = 0; i < z_.size(); ++i) z32_[i] = static_cast<float>(z_[i]);
    logp_.run(z32_.data(), g32_.data(), 1.0);
    for (size_t i = 0; i < g_.size(); ++i) g_[i] = g32_[i];
  } else {
    logp_.run(z_.data(), g_.data(), 1.0);
  }
  const double c = logp_.normalizing_constant();
  double loss = 0;
  for (int64_t s = 0; s < S; ++s) loss -= logp_.datalogp(s) + logp_.varlogp(s);
  loss /= static_cast<double>(S) * c;
  auto fail = [&](const std::string& what) { return skip_or_throw(o, loss, what); };
  for (int64_t i = 0; i < S * D; ++i) {
    if (!std::isfinite(g_[i]))
      return fail("the gradient of log p at " + model_->describe_flat_index(i % D) + " is " + num(g_[i]) +
                  (particles ? ", particle " : ", draw ") + std::to_string(i / D));
  }
  if (!std::isfinite(loss)) return fail("the mean log p is " + num(-loss * c));
  // phi into dz_ ([S, D]) from the full log p's gradient (dividing it by c first would
  // weaken it against the kernel's repulsion, as a temperature c would); then phi / c, the
  // loss's scale. The loss falls along +phi, so the gradient is -phi / c.
  stein_direction(z_.data(), g_.data(), S, D, objective_.temperature, dz_.data(), stein_);
  if (particles) {
    for (int64_t i = 0; i < S * D; ++i) grad_[i] = -dz_[i] / c;
  } else {
    for (int64_t i = 0; i < S * D; ++i) dz_[i] = -dz_[i] / c;
    std::fill(dlogq_.begin(), dlogq_.end(), 0.0);
    approx_->backward(eps_.data(), dz_.data(), dlogq_.data(), S, 1.0, grad_.data());
  }
  return apply_update(o, loss);
}

bool Inference::Impl::fused_step_applies(const FitOptions& o) {
  const Approximation& q = *approx_;
  return !blocked_ && objective_.kind == Objective::Kind::kl && o.obj_n_mc == 1 && model_->dtype() == DType::f32 &&
         typeid(q) == typeid(MeanField) && optimizer_->takes_fused_adam_step();
}

std::optional<Inference::Impl::StepStatus> Inference::Impl::run_fused_step(const FitOptions& o, uint64_t stream,
                                                                           bool* batch_loaded) {
  const int64_t D = approx_->dim();
  if (!fused_) {
    // The draw's chunks split over the threads once the model has kFusedParallelElements
    // parameters, the update's elements from that many elements.
    auto split = [this, D](bool by_parameters) {
      return [this, D, by_parameters](int64_t n, const std::function<void(int64_t, int64_t)>& f) {
        if (logp_.program().threads() > 1 && n > 1 && (by_parameters ? D : n) >= kFusedParallelElements) {
          auto part = [&f](int64_t b, int64_t e) { f(b, e); };
          logp_.program().parallel_for(n, part);
        } else {
          f(int64_t{0}, n);
        }
      };
    };
    auto chunks = split(/*by_parameters=*/true);
    auto elements = split(/*by_parameters=*/false);
    // The next step's noise drawn ahead on the threads while they would wait (the serial
    // ops of the program's run), where the draw is split over them.
    MeanFieldAdamStep::Background ahead;
    if (logp_.program().threads() > 1 && D >= kFusedParallelElements) {
      ahead.post = [this](int n, void (*fn)(void*, int), void* ctx) { logp_.program().post_background(n, fn, ctx); };
      ahead.close = [this] { logp_.program().close_background(); };
      ahead.threads = logp_.program().threads();
    }
    fused_ = std::make_unique<MeanFieldAdamStep>(D, chunks, elements, std::move(ahead));
  }
  const uint64_t t = static_cast<uint64_t>(step_);
  auto& q = static_cast<MeanField&>(*approx_);
  const auto params = q.single_params();
  if (!fused_->draw(params, Philox(options_.seed), stream, t, z32_.data(), &logq_[0])) return std::nullopt;
  logp_.load_batch(t);
  *batch_loaded = true;
  logp_.run(z32_.data(), g32_.data(), o.beta);
  // run_general_step's loss and gradient weight at one draw, the same operations.
  const double c = logp_.normalizing_constant();
  double loss = 0;
  loss += -(logp_.datalogp(0) + o.beta * (logp_.varlogp(0) - logq_[0]));
  loss /= 1.0 * c;
  const double w = 1.0 / (1.0 * c);
  if (!std::isfinite(loss) || !fused_->gradient_is_finite(g32_.data(), w, o.beta, o.cost_part_grad_scale))
    return std::nullopt;  // the general path names what is not finite
  if (o.schedule)
    optimizer_->set_learning_rate(o.schedule->rate(optimizer_->base_learning_rate(), step_ + 1, hist_));
  const auto adam = optimizer_->next_single_adam_step();
  if (!adam || !MeanFieldAdamStep::takes(*adam)) {  // nothing written yet
    rate_scheduled_ = o.schedule != nullptr;        // the general step must not ask again
    return std::nullopt;
  }
  // The new parameters go to next32_ and are swapped in: next32_ then holds the old ones.
  next32_.resize(params.size());
  const bool finite = fused_->update(params, g32_.data(), w, o.beta, o.cost_part_grad_scale, *adam, next32_.data());
  optimizer_->commit_fused_step();
  if (!finite) {  // the parameters stay as they were (the optimizer's state keeps the update)
    size_t i = 0;
    while (i + 1 < next32_.size() && std::isfinite(next32_[i])) ++i;
    return nonfinite_update(o, loss, i, next32_[i]);
  }
  q.swap_single_params(next32_);
  hist_.push_back(loss);
  ++step_;
  return StepStatus::ok;
}

Inference::Impl::StepStatus Inference::Impl::run_step(const FitOptions& o, uint64_t stream) {
  if (objective_.kind == Objective::Kind::ksd) return run_stein_step(o, stream);
  bool batch_loaded = false;
  rate_scheduled_ = false;
  if (fused_step_applies(o))
    if (auto status = run_fused_step(o, stream, &batch_loaded)) return *status;
  return run_general_step(o, stream, batch_loaded);
}

Inference::Impl::StepStatus Inference::Impl::run_general_step(const FitOptions& o, uint64_t stream,
                                                              bool batch_loaded) {
  const int64_t S = o.obj_n_mc, D = approx_->dim(), E = approx_->noise_dim();
  const uint64_t t = static_cast<uint64_t>(step_);
  // The draws of several samples on the program's threads: each part is the part of the
  // one sequence that a single call would draw, so results do not depend on the threads.
  const Philox rng(options_.seed);
  if (S > 1)
    logp_.program().parallel_for(S, [&](int64_t s0, int64_t s1) {
      draw_noise(rng, model_->dtype(), eps_.data() + s0 * E, (s1 - s0) * E, stream, t, s0 * E);
    });
  else
    for_parameters(E, [&](int64_t b, int64_t e) {
      draw_noise(rng, model_->dtype(), eps_.data() + b, e - b, stream, t, b);
    });
  approx_->sample(eps_.data(), z_.data(), logq_.data(), S);
  if (!batch_loaded) logp_.load_batch(t);
  if (blocked_) {
    g_checked_finite_ = false;
    if (model_->dtype() == DType::f32) {
      for (size_t i = 0; i < z_.size(); ++i) z32_[i] = static_cast<float>(z_[i]);
      blocked_->run(z32_.data(), g_.data(), o.beta, t);
    } else {
      blocked_->run(z_.data(), g_.data(), o.beta, t);
    }
  } else if (model_->dtype() == DType::f32) {
    for_parameters(static_cast<int64_t>(z_.size()), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) z32_[i] = static_cast<float>(z_[i]);
    });
    logp_.run(z32_.data(), g32_.data(), o.beta);
    // Widened and checked in one pass (one wake of the threads instead of two).
    std::atomic<bool> finite{true};
    for_parameters(static_cast<int64_t>(g_.size()), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) g_[i] = g32_[i];
      if (!all_finite(std::span<const double>(g_.data() + b, static_cast<size_t>(e - b)))) finite = false;
    });
    g_checked_finite_ = finite;
  } else {
    g_checked_finite_ = false;
    logp_.run(z_.data(), g_.data(), o.beta);
  }
  const double c = blocked_ ? blocked_->normalizing_constant() : logp_.normalizing_constant();
  double loss = 0;
  const bool renyi = objective_.kind == Objective::Kind::renyi;
  if (!renyi) {
    for (int64_t s = 0; s < S; ++s) loss += -(datalogp(s) + o.beta * (varlogp(s) - logq_[s]));
    loss /= static_cast<double>(S) * c;
  } else {
    // -1/(1-alpha) log mean_s exp((1-alpha) log w_s), log-sum-exp from the largest term;
    // each draw's gradient is weighted by its normalised weight.
    const double a = 1.0 - objective_.alpha;
    double m = -INFINITY, sum = 0;
    for (int64_t s = 0; s < S; ++s) {
      log_w_[s] = varlogp(s) + datalogp(s) - logq_[s];
      m = std::max(m, a * log_w_[s]);
    }
    for (int64_t s = 0; s < S; ++s) sum += std::exp(a * log_w_[s] - m);
    loss = -(m + std::log(sum / static_cast<double>(S))) / a / c;
    for (int64_t s = 0; s < S; ++s) {
      const double w = std::exp(a * log_w_[s] - m) / sum;
      dlogq_[s] = w / c;
      for (int64_t i = 0; i < D; ++i) dz_[s * D + i] = -w * g_[s * D + i] / c;
    }
  }

  // Non-finite values: name the step, the variable and the index.
  auto fail = [&](const std::string& what) { return skip_or_throw(o, loss, what); };
  // (The float32 path checked g_ as it widened it.)
  if (!g_checked_finite_ && !all_finite_parallel(std::span<const double>(g_.data(), static_cast<size_t>(S * D))))
    for (int64_t i = 0; i < S * D; ++i)
      if (!std::isfinite(g_[i]))
        return fail("the gradient of log p at " + model_->describe_flat_index(i % D) + " is " + num(g_[i]));
  if (!std::isfinite(loss)) {
    if (o.skip_nonfinite) return fail("");  // the message below compiles a program: only for errors
    // The first sample whose parts are not finite (each is finite when only their sum
    // overflowed).
    int64_t s = 0;
    while (s + 1 < S && std::isfinite(varlogp(s)) && std::isfinite(datalogp(s))) ++s;
    double vl = varlogp(s), dl = datalogp(s);
    std::string part = !std::isfinite(dl) ? "the data log-likelihood is " + num(dl)
                       : !std::isfinite(vl)
                           ? "the prior log density is " + num(vl) + ": " + nonfinite_prior_term(*model_, z_.data() + s * D)
                           : "log q, or the sum of finite parts, is not finite";
    if (S > 1) part += ", at draw " + std::to_string(s) + " of " + std::to_string(S);
    return fail("the loss is " + num(loss) + " (" + part + ")");
  }
  if (renyi)
    approx_->backward(eps_.data(), dz_.data(), dlogq_.data(), S, o.cost_part_grad_scale, grad_.data());
  else
    approx_->gradient(eps_.data(), g_.data(), S, o.cost_part_grad_scale, c, o.beta, grad_.data());
  return apply_update(o, loss);
}

Inference::Impl::StepStatus Inference::Impl::skip_or_throw(const FitOptions& o, double loss, const std::string& what) {
  if (o.skip_nonfinite) {
    hist_.push_back(loss);
    ++step_;
    return StepStatus::skipped;
  }
  throw NumericalError("NaN occurred in optimization at step " + std::to_string(step_ + 1) + ": " + what +
                       ". The approximation keeps its last finite state.");
}

// The step's end for every objective: grad_ checked, the optimizer's update (undone if it
// is not finite), the loss recorded.
Inference::Impl::StepStatus Inference::Impl::apply_update(const FitOptions& o, double loss) {
  auto fail = [&](const std::string& what) { return skip_or_throw(o, loss, what); };
  auto params = approx_->params();
  if (!all_finite_parallel(grad_))
    for (size_t i = 0; i < grad_.size(); ++i)
      if (!std::isfinite(grad_[i]))
        return fail("the gradient of variational parameter " + param_label(static_cast<int64_t>(i)) + " is " +
                    num(grad_[i]));
  if (o.schedule && !rate_scheduled_)
    optimizer_->set_learning_rate(o.schedule->rate(optimizer_->base_learning_rate(), step_ + 1, hist_));
  for_parameters(static_cast<int64_t>(params.size()), [&](int64_t b, int64_t e) {
    std::copy(params.begin() + b, params.begin() + e, backup_.begin() + b);
  });
  optimizer_->step(params, grad_, optimizer_parallel());
  if (!all_finite_parallel(params)) return restore_after_nonfinite_update(o, loss);
  hist_.push_back(loss);
  ++step_;
  return StepStatus::ok;
}

// An update that left a parameter non-finite: named, and the parameters restored from
// backup_ (the optimizer's state keeps the update).
Inference::Impl::StepStatus Inference::Impl::restore_after_nonfinite_update(const FitOptions& o, double loss) {
  auto params = approx_->params();
  size_t i = 0;
  while (i + 1 < params.size() && std::isfinite(params[i])) ++i;
  const double value = params[i];
  std::copy(backup_.begin(), backup_.end(), params.begin());
  return nonfinite_update(o, loss, i, value);
}

// Names the parameter that an update left non-finite (`value`), the update undone.
Inference::Impl::StepStatus Inference::Impl::nonfinite_update(const FitOptions& o, double loss, size_t i,
                                                             double value) {
  std::string what = "the variational parameter " + param_label(static_cast<int64_t>(i)) + " became " + num(value) +
                     " after the " + optimizer_->name() + " update (learning rate " +
                     num(optimizer_->learning_rate()) + ")";
  return skip_or_throw(o, loss, what);
}

void Inference::Impl::select_objective(const FitOptions& o, const std::string& fn) {
  objective_ = o.objective ? *o.objective : default_objective_;
  const bool ksd = objective_.kind == Objective::Kind::ksd;
  if (objective_.kind != Objective::Kind::kl && o.beta != 1.0)
    throw InvalidArgument(fn + ": argument 'beta' is " + num(o.beta) + ", but the " + objective_.name() +
                          " objective has no KL part to weight; it must be 1");
  if (objective_.kind != Objective::Kind::kl && o.kl_warmup != 0)
    throw InvalidArgument(fn + ": argument 'kl_warmup' is " + std::to_string(o.kl_warmup) + ", but the " +
                          objective_.name() + " objective has no KL part to warm up; it must be 0");
  if (!approx_->has_density() && !ksd)
    throw InvalidArgument(fn + ": the " + approx_->kind() + " approximation is particles without a density; fit it "
                          "with the ksd objective (SVGD), not " + objective_.name());
  if (o.cost_part_grad_scale != 1.0 && !approx_->separates_score_part())
    throw InvalidArgument(fn + ": argument 'cost_part_grad_scale' is " + num(o.cost_part_grad_scale) + ", but the " +
                          approx_->kind() + " approximation's log q cannot be evaluated at a given draw (a flow "
                          "layer has no closed-form inverse), so it must be 1");
  // Dropping the score part is unbiased only for the ELBO (E_q[d log q / dparams] = 0); under
  // self-normalised weights it is not (Tucker et al. 2018).
  if (o.cost_part_grad_scale != 1.0 && objective_.kind == Objective::Kind::renyi)
    throw InvalidArgument(fn + ": argument 'cost_part_grad_scale' is " + num(o.cost_part_grad_scale) + ", but the " +
                          objective_.name() + " objective's gradient is biased without its score part; it must be 1");
  if (ksd && approx_->has_density() && o.obj_n_mc < 2)
    throw InvalidArgument(fn + ": argument 'obj_n_mc' is " + std::to_string(o.obj_n_mc) +
                          ", but the Stein direction needs at least 2 draws a step (with one the kernel's repulsion "
                          "vanishes and ASVGD collapses to a point)");
}

const Approximation& Inference::Impl::fit(int64_t n, const FitOptions& o) {
  if (n < 0) throw InvalidArgument("fit: argument 'n' is " + std::to_string(n) + ", but must be >= 0");
  if (o.obj_n_mc < 1)
    throw InvalidArgument("fit: argument 'obj_n_mc' is " + std::to_string(o.obj_n_mc) + ", but must be >= 1");
  if (!std::isfinite(o.cost_part_grad_scale))
    throw InvalidArgument("fit: argument 'cost_part_grad_scale' is " + num(o.cost_part_grad_scale) +
                          ", but must be finite");
  if (!(o.beta >= 0) || !std::isfinite(o.beta))
    throw InvalidArgument("fit: argument 'beta' is " + num(o.beta) + ", but must be >= 0 and finite");
  if (o.kl_warmup < 0)
    throw InvalidArgument("fit: argument 'kl_warmup' is " + std::to_string(o.kl_warmup) + ", but must be >= 0");
  select_objective(o, "fit");
  ensure_buffers(draws_per_step(o));
  // Room for every loss of this call, so steps never allocate; growing at least
  // geometrically keeps many short fit() calls from copying the history each time.
  if (hist_.capacity() < hist_.size() + static_cast<size_t>(n))
    hist_.reserve(std::max(hist_.size() + static_cast<size_t>(n), 2 * hist_.capacity()));
  report_ = FitReport{};
  for (const auto& cb : o.callbacks) cb->on_fit_start();
  ProgressBar bar(n, o.progressbar, o.progress_sink);
  detail::InterruptGuard guard;
  DrawPrecisionDuringSteps precision(*approx_, model_->dtype(), optimizer_parallel());
  std::string how = "Finished";
  // The warm-up's steps run with their own KL weight (one copy of the options per call,
  // made only while warming up).
  std::optional<FitOptions> warming;
  if (step_ < o.kl_warmup) warming.emplace(o);
  for (int64_t i = 0; i < n; ++i) {
    const bool warm_up = step_ < o.kl_warmup;
    if (warm_up) warming->beta = o.beta * static_cast<double>(step_ + 1) / static_cast<double>(o.kl_warmup);
    if (run_step(warm_up ? *warming : o, kEpsStream) == StepStatus::skipped) ++report_.skipped;
    ++report_.steps;
    if (bar.animates() && (i % 10 == 0 || i + 1 == n)) bar.update(i + 1, finite_mean_of_last(hist_, 1000));
    bool go_on = true;
    std::string reason;
    if (!o.callbacks.empty()) {
      StepInfo info{*approx_, hist_, step_, i + 1, n};
      for (const auto& cb : o.callbacks)
        if (!(*cb)(info, reason)) {
          go_on = false;
          break;
        }
    }
    // A data-parallel fit stops when any process was interrupted, at the same step on all.
    if (blocked_ ? blocked_->stop_requested() : detail::InterruptGuard::interrupted()) {
      report_.interrupted = true;
      how = "Interrupted";
      break;
    }
    if (!go_on) {
      report_.stopped = true;
      report_.reason = reason;
      how = "Stopped";
      break;
    }
  }
  bar.finish(report_.steps, finite_mean_of_last(hist_, 1000), how, report_.stopped ? report_.reason : "");
  return *approx_;
}

double Inference::Impl::adapt_step_size(int64_t adapt_iter, const FitOptions& o) {
  if (adapt_iter < 1)
    throw InvalidArgument("adapt_step_size: argument 'adapt_iter' is " + std::to_string(adapt_iter) +
                          ", but must be >= 1");
  select_objective(o, "adapt_step_size");
  ensure_buffers(draws_per_step(o));
  State start = state();
  const double etas[] = {100, 10, 1, 0.1, 0.01};
  double best_elbo = -INFINITY, best_eta = NAN;
  std::string tried;
  DrawPrecisionDuringSteps precision(*approx_, model_->dtype(), optimizer_parallel());
  FitOptions quiet = o;
  quiet.skip_nonfinite = false;
  quiet.schedule = nullptr;
  for (double eta : etas) {
    set_state(start);
    optimizer_->reset(static_cast<int64_t>(approx_->params().size()));
    optimizer_->set_learning_rate(eta);
    double elbo = NAN;
    try {
      for (int64_t i = 0; i < adapt_iter; ++i) run_step(quiet, kAdaptStream);
      elbo = -finite_mean_of_last(hist_, static_cast<size_t>(std::min<int64_t>(adapt_iter, 10)));
      for (size_t i = hist_.size() - static_cast<size_t>(adapt_iter); i < hist_.size(); ++i)
        if (!std::isfinite(hist_[i])) elbo = NAN;
    } catch (const NumericalError&) {
      elbo = NAN;
    }
    tried += (tried.empty() ? "" : ", ") + num(eta) + (std::isfinite(elbo) ? " (ELBO " + format_loss(elbo) + ")" : " (diverged)");
    if (std::isfinite(elbo)) {
      if (elbo > best_elbo) {
        best_elbo = elbo;
        best_eta = eta;
      } else {
        break;  // worse than a larger eta: Stan stops here
      }
    }
  }
  set_state(start);
  if (std::isnan(best_eta))
    throw NumericalError("step-size adaptation: every candidate eta diverged within " + std::to_string(adapt_iter) +
                         " steps (tried " + tried + "); check the model's initial point, or give a smaller "
                         "learning rate yourself");
  optimizer_->set_learning_rate(best_eta);
  return best_eta;
}

Inference::State Inference::Impl::state() const {
  State s;
  s.step = step_;
  s.hist = hist_;
  const Approximation& q = *approx_;  // read only: a float32 fit's float state stays current
  s.params.assign(q.params().begin(), q.params().end());
  s.optimizer = optimizer_->state();
  return s;
}

void Inference::Impl::set_state(const State& s) {
  if (s.params.size() != approx_->params().size())
    throw InvalidArgument("Inference::set_state: " + std::to_string(s.params.size()) +
                          " variational parameters given, the approximation has " +
                          std::to_string(approx_->params().size()));
  step_ = s.step;
  hist_ = s.hist;
  std::copy(s.params.begin(), s.params.end(), approx_->params().begin());
  optimizer_->set_state(s.optimizer);
}

ADVI::ADVI(const Model& model, InferenceOptions options)
    : Inference(model, std::make_unique<MeanField>(start_mean(model, options), options.start_sigma), options) {}

FullRankADVI::FullRankADVI(const Model& model, InferenceOptions options)
    : Inference(model, std::make_unique<FullRank>(start_mean(model, options)), options) {}

namespace {
int64_t low_rank_of(const Model& model, const InferenceOptions& o) {
  if (o.rank < 0)
    throw InvalidArgument("LowRankADVI: argument 'rank' is " + std::to_string(o.rank) + ", but must be >= 1 (or 0 "
                          "for the default)");
  if (o.rank > 0) return o.rank;
  return std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(model.flat_size()))));
}
}  // namespace

LowRankADVI::LowRankADVI(const Model& model, InferenceOptions options)
    : Inference(model, std::make_unique<LowRank>(start_mean(model, options), low_rank_of(model, options), options.start_sigma),
                options) {}

SVGD::SVGD(const Model& model, InferenceOptions options)
    : Inference(model,
                std::make_unique<Empirical>(start_mean(model, options), options.particles, options.jitter,
                                            options.seed),
                options) {
  set_default_objective(Objective::ksd(options.temperature));
}

ASVGD::ASVGD(const Model& model, InferenceOptions options)
    : Inference(model, std::make_unique<MeanField>(start_mean(model, options), options.start_sigma), options) {
  set_default_objective(Objective::ksd(options.temperature));
}

NFVI::NFVI(const Model& model, InferenceOptions options)
    : Inference(model,
                std::make_unique<NormalizingFlow>(start_mean(model, options),
                                                  options.flow.empty() ? std::string("scale-loc") : options.flow,
                                                  options.start_sigma),
                options) {}

std::unique_ptr<Inference> make_inference(const Model& model, const std::string& method, InferenceOptions options) {
  if (method == "advi") return std::make_unique<ADVI>(model, std::move(options));
  if (method == "fullrank_advi") return std::make_unique<FullRankADVI>(model, std::move(options));
  if (method == "lowrank_advi") return std::make_unique<LowRankADVI>(model, std::move(options));
  if (method == "nfvi") return std::make_unique<NFVI>(model, std::move(options));
  if (method == "svgd") return std::make_unique<SVGD>(model, std::move(options));
  if (method == "asvgd") return std::make_unique<ASVGD>(model, std::move(options));
  throw InvalidArgument("fit: unknown method '" + method +
                        "'; choose advi, fullrank_advi, lowrank_advi, nfvi, svgd or asvgd");
}

std::unique_ptr<Inference> fit(const Model& model, int64_t n, const std::string& method, InferenceOptions options,
                               const FitOptions& fit_options) {
  auto inf = make_inference(model, method, std::move(options));
  inf->fit(n, fit_options);
  return inf;
}

}  // namespace elbo
