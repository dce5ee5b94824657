#include "predictive.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "elbo/predict/posterior.hpp"

namespace elbo::cli {

namespace {

// Values per predictor call: bounds memory on large files. Each chunk gets a new Predictor
// with the same seed, so every chunk sees the same posterior draws.
constexpr int64_t kChunkValues = int64_t{1} << 22;

double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

double log_mean_exp(const std::vector<double>& v) {
  double top = *std::max_element(v.begin(), v.end());
  if (!std::isfinite(top)) return top;
  double s = 0;
  for (double x : v) s += std::exp(x - top);
  return top + std::log(s / static_cast<double>(v.size()));
}

double entropy_of(std::span<const double> p) {
  double h = 0;
  for (double x : p)
    if (x > 0) h -= x * std::log(x);
  return h;
}

// softmax of logits[0..K) into p.
void softmax(const double* logits, int64_t K, double* p) {
  double top = *std::max_element(logits, logits + K), s = 0;
  for (int64_t k = 0; k < K; ++k) s += (p[k] = std::exp(logits[k] - top));
  for (int64_t k = 0; k < K; ++k) p[k] /= s;
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Runs `what` over the posterior's draws for the rows of `features`, in chunks of rows
// that keep each output below kChunkValues values: f(begin, m, out) for each chunk, out
// being [draws, m(, K)] for the m rows from `begin`. Every chunk gets the same draws (the
// same seed), so the chunks together are one prediction.
template <class F>
void predict_in_chunks(LoadedNetwork& n, const Tensor& features, const Expr& what, int64_t draws, int64_t per_draw,
                       uint64_t seed, int threads, F f) {
  const int64_t rows = features.dim(0);
  Tensor x = model_inputs(n.spec, features);
  Posterior posterior(*n.model, *n.q);
  const int64_t chunk = std::max<int64_t>(1, kChunkValues / (draws * per_draw));
  for (int64_t begin = 0; begin < rows; begin += chunk) {
    const int64_t m = std::min(rows, begin + chunk) - begin;
    Predictor predict = posterior.predictor(what, {n.net.x}, {.threads = threads, .seed = seed});
    f(begin, m, predict({x.rows(begin, begin + m)}, draws));
  }
}

}  // namespace

PredictiveDraws predictive_draws(LoadedNetwork& n, const Tensor& features, int64_t draws, uint64_t seed,
                                 int threads) {
  PredictiveDraws d;
  d.draws = draws;
  d.rows = features.dim(0);
  d.classes = n.spec.mlp.likelihood == "categorical" ? n.spec.mlp.classes : 1;
  d.output.resize(static_cast<size_t>(draws * d.rows * d.classes));
  const bool normal = n.spec.mlp.likelihood == "normal";
  predict_in_chunks(n, features, n.net.logits, draws, d.classes, seed, threads,
                    [&](int64_t begin, int64_t m, const Tensor& out) {
                      for (int64_t s = 0; s < draws; ++s)
                        for (int64_t i = 0; i < m * d.classes; ++i) {
                          double v = out[s * m * d.classes + i];
                          if (normal) v = v * n.spec.y_sd + n.spec.y_mean;
                          d.output[static_cast<size_t>((s * d.rows + begin) * d.classes + i)] = v;
                        }
                    });
  if (normal) {
    // Same seed, first call: the same posterior draws as the outputs above.
    Posterior posterior(*n.model, *n.q);
    Predictor noise = posterior.predictor(n.net.noise_sd, {}, {.threads = threads, .seed = seed});
    Tensor sigma = noise({}, draws);
    d.sigma.resize(static_cast<size_t>(draws));
    for (int64_t s = 0; s < draws; ++s) d.sigma[s] = sigma[s] * n.spec.y_sd;
  }
  return d;
}

namespace {
// The two class probabilities of a binary network's logit l, with one exp: for
// e = exp(-|l|) they are 1 / (1 + e) and e / (1 + e) (and the draw's entropy is
// log1p(e) + |l| e / (1 + e)).
struct BinaryDraw {
  double p0, p1, e, small;
};
BinaryDraw binary_draw(double l) {
  const double e = std::exp(-std::abs(l)), big = 1.0 / (1.0 + e), small = e * big;
  return l >= 0 ? BinaryDraw{small, big, e, small} : BinaryDraw{big, small, e, small};
}
}  // namespace

std::vector<int64_t> predicted_labels(LoadedNetwork& n, const Tensor& features, int64_t draws, uint64_t seed,
                                      int threads) {
  const int64_t rows = features.dim(0);
  const bool binary = n.spec.mlp.likelihood != "categorical";
  const int64_t K = binary ? 1 : n.spec.mlp.classes;
  std::vector<int64_t> label(static_cast<size_t>(rows));
  std::vector<double> mean(static_cast<size_t>(K));
  // The network's probabilities (sigmoid or softmax, computed by the program), with the
  // draws of predictive_draws (the same seed).
  predict_in_chunks(n, features, n.net.output, draws, K, seed, threads, [&](int64_t begin, int64_t m, const Tensor& out) {
    std::vector<double> sum(static_cast<size_t>(m * K), 0.0);
    auto add = [&](const auto* p) {  // in the network's type, without a converted copy
      for (int64_t s = 0; s < draws; ++s)
        for (int64_t i = 0; i < m * K; ++i) sum[i] += p[s * m * K + i];
    };
    if (out.dtype() == DType::f32)
      add(out.data<float>());
    else
      add(out.data<double>());
    for (int64_t r = 0; r < m; ++r) {
      if (binary) {  // classify()'s argmax of (1 - p, p): class 1 only when p is the larger
        label[begin + r] = sum[r] / static_cast<double>(draws) > 0.5;
        continue;
      }
      for (int64_t k = 0; k < K; ++k) mean[k] = sum[r * K + k] / static_cast<double>(draws);
      label[begin + r] = std::max_element(mean.begin(), mean.end()) - mean.begin();
    }
  });
  return label;
}

ClassPrediction classify(const PredictiveDraws& d) {
  const bool binary = d.classes == 1;
  const int64_t K = binary ? 2 : d.classes, R = d.rows, S = d.draws;
  ClassPrediction c;
  c.classes = K;
  c.prob.assign(static_cast<size_t>(R * K), 0.0);
  c.sd.assign(static_cast<size_t>(R * K), 0.0);
  c.label.assign(static_cast<size_t>(R), 0);
  c.entropy.assign(static_cast<size_t>(R), 0.0);
  c.mutual_info.assign(static_cast<size_t>(R), 0.0);
  std::vector<double> p(static_cast<size_t>(K)), sum2(static_cast<size_t>(K));
  for (int64_t r = 0; r < R; ++r) {
    double* mean = &c.prob[r * K];
    std::fill(sum2.begin(), sum2.end(), 0.0);
    double expected_entropy = 0;
    for (int64_t s = 0; s < S; ++s) {
      if (binary) {
        const double l = d.output[s * R + r];
        const BinaryDraw b = binary_draw(l);
        p[0] = b.p0;
        p[1] = b.p1;
        expected_entropy += std::log1p(b.e) + std::abs(l) * b.small;
      } else {
        softmax(&d.output[(s * R + r) * K], K, p.data());
        expected_entropy += entropy_of(p);
      }
      for (int64_t k = 0; k < K; ++k) mean[k] += p[k], sum2[k] += p[k] * p[k];
    }
    for (int64_t k = 0; k < K; ++k) {
      mean[k] /= static_cast<double>(S);
      c.sd[r * K + k] = std::sqrt(std::max(0.0, sum2[k] / static_cast<double>(S) - mean[k] * mean[k]));
    }
    c.label[r] = std::max_element(mean, mean + K) - mean;
    c.entropy[r] = entropy_of(std::span<const double>(mean, static_cast<size_t>(K)));
    c.mutual_info[r] = std::max(0.0, c.entropy[r] - expected_entropy / static_cast<double>(S));
  }
  return c;
}

Regression regress(const PredictiveDraws& d, double level) {
  const int64_t R = d.rows, S = d.draws;
  Regression g;
  g.mean.resize(static_cast<size_t>(R));
  g.sd.resize(static_cast<size_t>(R));
  g.lo.resize(static_cast<size_t>(R));
  g.hi.resize(static_cast<size_t>(R));
  double noise_var = 0, max_sigma = 0;
  for (double s : d.sigma) noise_var += s * s, max_sigma = std::max(max_sigma, s);
  noise_var /= static_cast<double>(S);
  const double p_lo = (1 - level) / 2, p_hi = (1 + level) / 2;
  std::vector<double> mu(static_cast<size_t>(S));
  for (int64_t r = 0; r < R; ++r) {
    double m = 0, m2 = 0;
    for (int64_t s = 0; s < S; ++s) {
      mu[s] = d.output[s * R + r];
      m += mu[s];
      m2 += mu[s] * mu[s];
    }
    m /= static_cast<double>(S);
    double var_mu = std::max(0.0, m2 / static_cast<double>(S) - m * m);
    g.mean[r] = m;
    g.sd[r] = std::sqrt(noise_var + var_mu);
    // Quantiles of the mixture by bisection on its CDF, inside a bracket that holds them.
    auto [lo_mu, hi_mu] = std::minmax_element(mu.begin(), mu.end());
    double a0 = *lo_mu - 10 * max_sigma - 1e-12, b0 = *hi_mu + 10 * max_sigma + 1e-12;
    auto quantile = [&](double q) {
      double a = a0, b = b0;
      for (int it = 0; it < 60 && b - a > 1e-10 * (1 + std::abs(a) + std::abs(b)); ++it) {
        double t = 0.5 * (a + b), cdf = 0;
        for (int64_t s = 0; s < S; ++s) cdf += normal_cdf((t - mu[s]) / d.sigma[s]);
        (cdf / static_cast<double>(S) < q ? a : b) = t;
      }
      return 0.5 * (a + b);
    };
    g.lo[r] = quantile(p_lo);
    g.hi[r] = quantile(p_hi);
  }
  return g;
}

std::vector<double> log_predictive_density(const PredictiveDraws& d, std::span<const double> y) {
  const int64_t R = d.rows, S = d.draws, K = d.classes;
  std::vector<double> out(static_cast<size_t>(R)), lp(static_cast<size_t>(S));
  const bool normal = !d.sigma.empty();
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t s = 0; s < S; ++s) {
      if (normal) {
        double sigma = d.sigma[s], z = (y[r] - d.output[s * R + r]) / sigma;
        lp[s] = -0.5 * z * z - std::log(sigma) - 0.5 * std::log(2 * M_PI);
      } else if (K == 1) {
        double l = d.output[s * R + r];
        lp[s] = y[r] > 0.5 ? log_sigmoid(l) : log_sigmoid(-l);
      } else {
        const double* logits = &d.output[(s * R + r) * K];
        double top = *std::max_element(logits, logits + K), sum = 0;
        for (int64_t k = 0; k < K; ++k) sum += std::exp(logits[k] - top);
        lp[s] = logits[static_cast<int64_t>(y[r])] - top - std::log(sum);
      }
    }
    out[r] = log_mean_exp(lp);
  }
  return out;
}

}  // namespace elbo::cli
