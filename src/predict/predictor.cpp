#include "elbo/predict/predictor.hpp"

#include <numeric>

#include "elbo/graph/program.hpp"
#include "elbo/graph/random.hpp"

namespace elbo {

namespace {
constexpr uint64_t kPredictStream = 0x707265;  // "pre"
}

struct Predictor::Impl {
  Impl(const Model& model, const Approximation& q, Expr expr, std::vector<Expr> replaceable, PredictorOptions options);
  void load(std::span<const Tensor* const> data);
  void run(std::span<const Tensor* const> data, int64_t draws);
  Tensor operator()(const std::vector<Tensor>& data, int64_t draws);
  Tensor mean(const std::vector<Tensor>& data);

  const Model* model_;
  const Approximation* q_;
  std::vector<Expr> replaceable_;
  PredictorOptions options_;
  Program program_;
  uint64_t calls_ = 0;
  std::vector<double> eps_, z_;
  std::vector<float> z32_;
  std::vector<int64_t> rows_;
};

Predictor::Predictor(const Model& model, const Approximation& q, Expr expr, std::vector<Expr> replaceable,
                     PredictorOptions options)
    : impl_(std::make_unique<Impl>(model, q, std::move(expr), std::move(replaceable), options)) {}
Predictor::Predictor(Predictor&&) noexcept = default;
Predictor& Predictor::operator=(Predictor&&) noexcept = default;
Predictor::~Predictor() = default;

Tensor Predictor::operator()(const std::vector<Tensor>& data, int64_t draws) { return (*impl_)(data, draws); }
Tensor Predictor::mean(const std::vector<Tensor>& data) { return impl_->mean(data); }
void Predictor::run(std::span<const Tensor* const> data, int64_t draws) { impl_->run(data, draws); }
void Predictor::restart(int64_t first_draw) {
  if (first_draw < 0)
    throw InvalidArgument("Predictor::restart: argument 'first_draw' is " + std::to_string(first_draw) +
                          ", but must be >= 0");
  impl_->options_.first_draw = first_draw;
  impl_->calls_ = 0;
}
template <class T>
std::span<const T> Predictor::values() const {
  return impl_->program_.output_values<T>(0);
}
template std::span<const float> Predictor::values<float>() const;
template std::span<const double> Predictor::values<double>() const;
const Shape& Predictor::shape() const { return impl_->program_.output_shape(0); }

Predictor::Impl::Impl(const Model& model, const Approximation& q, Expr expr, std::vector<Expr> replaceable,
                      PredictorOptions options)
    : model_(&model),
      q_(&q),
      replaceable_(std::move(replaceable)),
      options_(options),
      program_(model.graph(), {expr}, model.flat_params(), ProgramOptions{options.threads}) {
  if (options.first_draw < 0)
    throw InvalidArgument("Predictor: option 'first_draw' is " + std::to_string(options.first_draw) +
                          ", but must be >= 0");
  if (q.dim() != model.flat_size())
    throw ShapeError("Predictor: the approximation has dimension " + std::to_string(q.dim()) + " but the model has " +
                     std::to_string(model.flat_size()) + " free parameters");
  for (const Expr& e : replaceable_) {
    if (!e.valid() || e.graph_state() != model.graph().state())
      throw InvalidArgument("Predictor: a replaceable input is not part of this model");
    if (!e.is_data())
      throw InvalidArgument("Predictor: replaceable inputs must be data containers (model.data(...))");
  }
}

void Predictor::Impl::load(std::span<const Tensor* const> data) {
  if (data.size() != replaceable_.size())
    throw InvalidArgument("Predictor: " + std::to_string(data.size()) + " data values given for " +
                          std::to_string(replaceable_.size()) + " replaceable inputs");
  for (size_t i = 0; i < data.size(); ++i) {
    const Tensor& t = *data[i];
    if (t.rank() == 0) throw ShapeError("Predictor: data for '" + replaceable_[i].name() + "' is a scalar");
    int64_t n = t.shape()[0];
    if (static_cast<int64_t>(rows_.size()) < n) {
      rows_.resize(static_cast<size_t>(n));
      std::iota(rows_.begin(), rows_.end(), int64_t{0});
    }
    program_.set_data_rows(replaceable_[i], t, std::span<const int64_t>(rows_.data(), static_cast<size_t>(n)));
  }
}

void Predictor::Impl::run(std::span<const Tensor* const> data, int64_t draws) {
  if (draws < 1) throw InvalidArgument("Predictor: argument 'draws' is " + std::to_string(draws) + ", but must be >= 1");
  load(data);
  program_.set_samples(draws);
  const int64_t D = q_->dim(), E = q_->noise_dim();
  size_t n = static_cast<size_t>(draws * D);
  if (z_.size() < n) {
    z_.resize(n);
    if (model_->dtype() == DType::f32) z32_.resize(n);
  }
  if (eps_.size() < static_cast<size_t>(draws * E)) eps_.resize(static_cast<size_t>(draws * E));
  // The noise on the program's threads, each part the part of the one sequence a single
  // call would draw (the same bits for any threads); z itself on this thread (an
  // approximation's sample_z may use scratch of its own).
  const Philox rng(options_.seed);
  const uint64_t call = calls_++;
  const int64_t first = options_.first_draw * E;
  program_.parallel_for(draws * E, [&](int64_t b, int64_t e) {
    rng.normal(eps_.data() + b, e - b, kPredictStream, call, first + b);
  });
  q_->sample_z(eps_.data(), z_.data(), draws);
  if (D > 0) {
    if (model_->dtype() == DType::f32) {
      program_.parallel_for(static_cast<int64_t>(n), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) z32_[static_cast<size_t>(i)] = static_cast<float>(z_[static_cast<size_t>(i)]);
      });
      program_.set_flat_params(z32_.data());
    } else {
      program_.set_flat_params(z_.data());
    }
  }
  program_.forward();
}

Tensor Predictor::Impl::operator()(const std::vector<Tensor>& data, int64_t draws) {
  std::vector<Tensor> converted;
  std::vector<const Tensor*> ptrs;
  converted.reserve(data.size());
  for (const Tensor& t : data) converted.push_back(t.dtype() == model_->dtype() ? t : t.to(model_->dtype()));
  for (const Tensor& t : converted) ptrs.push_back(&t);
  run(ptrs, draws);
  return program_.output(0);
}

Tensor Predictor::Impl::mean(const std::vector<Tensor>& data) {
  std::vector<Tensor> converted;
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : data) converted.push_back(t.dtype() == model_->dtype() ? t : t.to(model_->dtype()));
  for (const Tensor& t : converted) ptrs.push_back(&t);
  load(ptrs);
  program_.set_samples(1);
  std::vector<double> mu = q_->mean();
  if (!mu.empty()) {
    if (model_->dtype() == DType::f32) {
      std::vector<float> m32(mu.begin(), mu.end());
      program_.set_flat_params(m32.data());
    } else {
      program_.set_flat_params(mu.data());
    }
  }
  program_.forward();
  Tensor out = program_.output(0);
  if (program_.output_sampled(0)) {
    Shape base(out.shape().begin() + 1, out.shape().end());
    return out.reshaped(base);
  }
  return out;
}

}  // namespace elbo
