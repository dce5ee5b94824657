#include "elbo/vi/graph_family.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"
#include "elbo/graph/program.hpp"
#include "elbo/graph/random.hpp"

namespace elbo {

namespace {
constexpr uint64_t kMomentSeed = 0x6d6f6d656e7473ull;  // "moments": the fixed seed of the estimates
constexpr int64_t kMomentChunk = 256;
constexpr int64_t kDrawChunk = 256;  // draws per program run in sample_z and sample
}  // namespace

struct GraphFamily::Compiled {
  Graph graph{DType::f64};
  Expr scale;
  std::unique_ptr<Program> program;
  int64_t flat = 0;                       // inputs per draw: eps, then the blocks
  int64_t off_theta = 0;
  std::vector<double> in, next, grad;     // [S, flat]: the inputs of the last forward, the new ones, d/d inputs
  bool ran = false;                       // `in` went through forward() and nothing changed since
  double scale_set = 1.0;                 // the value the program's scale input holds
};

GraphFamily::GraphFamily(int64_t dim, int64_t noise_dim, std::vector<ParameterBlock> blocks)
    : d_(dim), noise_(noise_dim), blocks_(std::move(blocks)) {
  if (d_ < 1) throw InvalidArgument("GraphFamily: the dimension is " + std::to_string(d_) + ", but must be >= 1");
  if (noise_ < 1)
    throw InvalidArgument("GraphFamily: the noise dimension is " + std::to_string(noise_) + ", but must be >= 1");
  for (const ParameterBlock& b : blocks_) {
    if (static_cast<int64_t>(b.init.size()) != numel(b.shape))
      throw InvalidArgument("GraphFamily: block '" + b.name + "' of shape " + shape_str(b.shape) + " has " +
                            std::to_string(b.init.size()) + " initial values");
    block_offset_.push_back(static_cast<int64_t>(params_.size()));
    params_.insert(params_.end(), b.init.begin(), b.init.end());
  }
}

GraphFamily::GraphFamily(const GraphFamily& other)
    : Approximation(other),
      d_(other.d_),
      noise_(other.noise_),
      blocks_(other.blocks_),
      block_offset_(other.block_offset_),
      params_(other.params_) {}

GraphFamily::~GraphFamily() = default;

void GraphFamily::check_index(int64_t i, const char* fn) const {
  if (i < 0 || i >= static_cast<int64_t>(params_.size()))
    throw InvalidArgument(std::string("GraphFamily::") + fn + ": argument 'i' is " + std::to_string(i) +
                          ", but the family has " + std::to_string(params_.size()) + " parameters");
}

std::string GraphFamily::param_name(int64_t i) const {
  check_index(i, "param_name");
  auto b = static_cast<size_t>(std::upper_bound(block_offset_.begin(), block_offset_.end(), i) -
                               block_offset_.begin() - 1);
  int64_t k = i - block_offset_[b];
  const Shape& shape = blocks_[b].shape;
  if (shape.empty()) return blocks_[b].name;
  std::string idx;
  for (size_t a = shape.size(); a-- > 0;) {
    idx = std::to_string(k % shape[a]) + (idx.empty() ? "" : "," + idx);
    k /= shape[a];
  }
  return blocks_[b].name + "[" + idx + "]";
}

int64_t GraphFamily::coordinate(int64_t i) const {
  check_index(i, "coordinate");
  auto b = static_cast<size_t>(std::upper_bound(block_offset_.begin(), block_offset_.end(), i) -
                               block_offset_.begin() - 1);
  const ParameterBlock& block = blocks_[b];
  if (!block.per_coordinate || block.shape.empty()) return -1;
  return (i - block_offset_[b]) / (numel(block.shape) / block.shape[0]);
}

GraphFamily::Compiled& GraphFamily::compiled() const {
  if (compiled_) return *compiled_;
  auto c = std::make_unique<Compiled>();
  Graph& g = c->graph;
  Expr eps = g.parameter("eps", {noise_});
  c->scale = g.data("cost_part_grad_scale", Tensor::scalar(1.0));
  std::vector<Expr> theta, direct, inputs = {eps};
  for (const ParameterBlock& b : blocks_) {
    theta.push_back(g.parameter(b.name, b.shape));
    direct.push_back(scale_gradient(theta.back(), c->scale));
    inputs.push_back(theta.back());
  }
  FamilyExpressions q = build(g, eps, theta, direct);
  if (!q.z.valid() || q.z.shape() != Shape{d_})
    throw InternalError(kind() + ": build() made z of shape " + (q.z.valid() ? shape_str(q.z.shape()) : "none") +
                        ", not [" + std::to_string(d_) + "]");
  if (!q.logq.valid() || !q.logq.shape().empty())
    throw InternalError(kind() + ": build() made a log q that is not a scalar");
  c->program = std::make_unique<Program>(g, std::vector<Expr>{q.z, q.logq}, inputs);
  c->flat = c->program->flat_size();
  c->off_theta = noise_;
  compiled_ = std::move(c);
  return *compiled_;
}

void GraphFamily::forward(const double* eps, int64_t S) const {
  Compiled& c = compiled();
  const auto F = static_cast<size_t>(c.flat);
  c.next.resize(static_cast<size_t>(S) * F);
  for (int64_t s = 0; s < S; ++s) {
    double* row = c.next.data() + static_cast<size_t>(s) * F;
    std::copy(eps + s * noise_, eps + (s + 1) * noise_, row);
    std::copy(params_.begin(), params_.end(), row + c.off_theta);
  }
  // The fit loop draws (sample) and then differentiates (backward) the same inputs: the
  // second forward pass is skipped when nothing changed.
  if (c.ran && c.program->samples() == S && c.next.size() == c.in.size() &&
      std::memcmp(c.next.data(), c.in.data(), c.in.size() * sizeof(double)) == 0)
    return;  // bitwise: -0.0 and 0.0 differ, a NaN equals itself
  c.ran = false;  // until the forward pass below has finished
  if (c.program->samples() != S) c.program->set_samples(S);
  c.in.swap(c.next);
  c.program->set_flat_params(c.in.data());
  c.program->forward();
  c.ran = true;
}

// Many draws (a trace, a predictor's) go through in chunks: the program holds every
// parameter once per draw.
void GraphFamily::sample_z(const double* eps, double* z, int64_t S) const {
  for (int64_t s0 = 0; s0 < S; s0 += kDrawChunk) {
    const int64_t n = std::min(kDrawChunk, S - s0);
    forward(eps + s0 * noise_, n);
    auto out = compiled_->program->output_values<double>(0);
    std::copy(out.begin(), out.end(), z + s0 * d_);
  }
}

void GraphFamily::sample(const double* eps, double* z, double* logq, int64_t S) const {
  for (int64_t s0 = 0; s0 < S; s0 += kDrawChunk) {
    const int64_t n = std::min(kDrawChunk, S - s0);
    forward(eps + s0 * noise_, n);
    auto zs = compiled_->program->output_values<double>(0);
    auto lq = compiled_->program->output_values<double>(1);
    std::copy(zs.begin(), zs.end(), z + s0 * d_);
    std::copy(lq.begin(), lq.end(), logq + s0);
  }
}

double GraphFamily::logq_from_eps(const double* eps) const {
  forward(eps, 1);
  return compiled_->program->output_values<double>(1)[0];
}

void GraphFamily::backward(const double* eps, const double* dz, const double* dlogq, int64_t S, double scale,
                           double* grad) const {
  if (scale != 1.0 && !separates_score_part())
    throw InvalidArgument(kind() + ": cost_part_grad_scale is " + std::to_string(scale) +
                          ", but this family's log q cannot be evaluated at a given z (a flow layer has no "
                          "closed-form inverse), so only 1 is possible");
  Compiled& c = compiled();
  if (scale != c.scale_set) {
    c.program->set_data(c.scale, Tensor::scalar(scale));
    c.scale_set = scale;
    c.ran = false;  // new data: the program runs forward again
  }
  forward(eps, S);
  const double* grads[2] = {dz, dlogq};
  c.program->backward(grads);
  const auto F = static_cast<size_t>(c.flat);
  c.grad.resize(static_cast<size_t>(S) * F);
  c.program->flat_gradient(c.grad.data());
  const size_t P = params_.size();
  std::fill(grad, grad + P, 0.0);
  for (int64_t s = 0; s < S; ++s) {
    const double* g = c.grad.data() + static_cast<size_t>(s) * F + c.off_theta;
    for (size_t i = 0; i < P; ++i) grad[i] += g[i];
  }
}

void GraphFamily::moments(std::vector<double>* mean, Tensor* cov, double* entropy) const {
  const Philox rng(kMomentSeed);
  const int64_t N = kMomentDraws, D = d_;
  std::vector<double> eps(static_cast<size_t>(kMomentChunk * noise_)), z(static_cast<size_t>(kMomentChunk * D)),
      lq(static_cast<size_t>(kMomentChunk)), m(static_cast<size_t>(D), 0.0);
  double h = 0;
  // Pass 1: the mean and the entropy; pass 2 (for cov) centres on the mean.
  for (int pass = 0; pass < (cov ? 2 : 1); ++pass)
    for (int64_t s0 = 0; s0 < N; s0 += kMomentChunk) {
      const int64_t S = std::min(kMomentChunk, N - s0);
      rng.normal(eps.data(), S * noise_, 0, 0, s0 * noise_);
      sample(eps.data(), z.data(), lq.data(), S);
      for (int64_t s = 0; s < S; ++s) {
        const double* zs = z.data() + s * D;
        if (pass == 0) {
          h -= lq[static_cast<size_t>(s)];
          for (int64_t i = 0; i < D; ++i) m[i] += zs[i];
          continue;
        }
        for (int64_t i = 0; i < D; ++i)
          for (int64_t j = 0; j <= i; ++j) {
            const double v = (zs[i] - (*mean)[i]) * (zs[j] - (*mean)[j]) / static_cast<double>(N - 1);
            cov->set(i * D + j, (*cov)[i * D + j] + v);
          }
      }
      if (pass == 0 && s0 + S == N) {
        for (double& v : m) v /= static_cast<double>(N);
        *mean = m;
        if (cov) *cov = Tensor(DType::f64, {D, D});
      }
    }
  if (cov)
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < i; ++j) cov->set(j * D + i, (*cov)[i * D + j]);
  if (entropy) *entropy = h / static_cast<double>(N);
}

double GraphFamily::entropy() const {
  std::vector<double> m;
  double h = 0;
  moments(&m, nullptr, &h);
  return h;
}

std::vector<double> GraphFamily::mean() const {
  std::vector<double> m;
  moments(&m, nullptr, nullptr);
  return m;
}

Tensor GraphFamily::cov() const {
  std::vector<double> m;
  Tensor c;
  moments(&m, &c, nullptr);
  return c;
}

std::vector<double> GraphFamily::sd() const {
  // Only the diagonal: a full covariance is D^2 values.
  const Philox rng(kMomentSeed);
  const int64_t N = kMomentDraws, D = d_;
  std::vector<double> m = mean(), v(static_cast<size_t>(D), 0.0);
  std::vector<double> eps(static_cast<size_t>(kMomentChunk * noise_)), z(static_cast<size_t>(kMomentChunk * D));
  for (int64_t s0 = 0; s0 < N; s0 += kMomentChunk) {
    const int64_t S = std::min(kMomentChunk, N - s0);
    rng.normal(eps.data(), S * noise_, 0, 0, s0 * noise_);
    sample_z(eps.data(), z.data(), S);
    for (int64_t s = 0; s < S; ++s)
      for (int64_t i = 0; i < D; ++i) {
        const double d = z[s * D + i] - m[i];
        v[i] += d * d;
      }
  }
  for (double& x : v) x = std::sqrt(x / static_cast<double>(N - 1));
  return v;
}

}  // namespace elbo
