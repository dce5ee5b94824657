#include "classification_likelihood.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/bnn/calibration.hpp"
#include "target_values.hpp"

namespace elbo::bnn_detail {

namespace {

double log_sigmoid(double x) { return x >= 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x)); }

double entropy_of(const double* p, int64_t K) {
  double h = 0;
  for (int64_t k = 0; k < K; ++k)
    if (p[k] > 0) h -= p[k] * std::log(p[k]);
  return h;
}

// softmax of logits[0..K) into p.
void softmax(const double* logits, int64_t K, double* p) {
  double top = *std::max_element(logits, logits + K), s = 0;
  for (int64_t k = 0; k < K; ++k) s += (p[k] = std::exp(logits[k] - top));
  for (int64_t k = 0; k < K; ++k) p[k] /= s;
}

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

std::vector<std::string> ClassificationLikelihood::class_names() const {
  std::vector<std::string> names;
  for (int64_t k = 0; k < classes_; ++k) names.push_back("Class " + std::to_string(k));
  return names;
}

ClassPrediction ClassificationLikelihood::classify(const PredictiveDraws& d) const {
  const bool binary = d.outputs == 1;
  const int64_t K = binary ? 2 : d.outputs, R = d.rows, S = d.draws;
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
        expected_entropy += entropy_of(p.data(), K);
      }
      for (int64_t k = 0; k < K; ++k) mean[k] += p[k], sum2[k] += p[k] * p[k];
    }
    for (int64_t k = 0; k < K; ++k) {
      mean[k] /= static_cast<double>(S);
      c.sd[r * K + k] = std::sqrt(std::max(0.0, sum2[k] / static_cast<double>(S) - mean[k] * mean[k]));
    }
    c.label[r] = std::max_element(mean, mean + K) - mean;
    c.entropy[r] = entropy_of(mean, K);
    c.mutual_info[r] = std::max(0.0, c.entropy[r] - expected_entropy / static_cast<double>(S));
  }
  return c;
}

std::vector<double> ClassificationLikelihood::log_density(const PredictiveDraws& d, std::span<const double> y) const {
  const int64_t R = d.rows, S = d.draws, K = d.outputs;
  std::vector<double> out(static_cast<size_t>(R)), lp(static_cast<size_t>(S));
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t s = 0; s < S; ++s) {
      if (K == 1) {
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

std::optional<CalibrationPoints> ClassificationLikelihood::calibration(const PredictiveDraws& d,
                                                                       std::span<const double> y) const {
  return calibration(classify(d), y);
}

CalibrationPoints ClassificationLikelihood::calibration(const ClassPrediction& c, std::span<const double> y) const {
  const int64_t K = c.classes, rows = static_cast<int64_t>(c.label.size());
  CalibrationPoints p;
  p.probability.resize(static_cast<size_t>(rows));
  p.outcome.resize(static_cast<size_t>(rows));
  const bool class_one = shows_class_one();
  for (int64_t r = 0; r < rows; ++r) {
    auto label = static_cast<int64_t>(y[r]);
    if (class_one) {
      p.probability[r] = std::clamp(c.prob[r * K + 1], 0.0, 1.0);
      p.outcome[r] = static_cast<double>(label);
    } else {
      p.probability[r] = std::clamp(c.prob[r * K + c.label[r]], 0.0, 1.0);
      p.outcome[r] = c.label[r] == label ? 1.0 : 0.0;
    }
  }
  p.title = class_one ? "Reliability diagram (probability of class 1)"
                      : "Reliability diagram (confidence of the predicted class)";
  p.xlabel = class_one ? "Mean predicted probability of class 1" : "Mean confidence";
  p.ylabel = class_one ? "Observed frequency of class 1" : "Observed accuracy";
  return p;
}

std::vector<double> ClassificationLikelihood::metric_rows(const PredictiveDraws& d, std::span<const double> y,
                                                          double) const {
  ClassPrediction c = classify(d);
  CalibrationPoints points = calibration(c, y);
  const int64_t K = c.classes;
  std::vector<double> rows(static_cast<size_t>(4 * d.rows));
  for (int64_t r = 0; r < d.rows; ++r) {
    auto label = static_cast<int64_t>(y[r]);
    double brier = 0;
    for (int64_t k = 0; k < K; ++k) {
      double diff = c.prob[r * K + k] - (k == label ? 1.0 : 0.0);
      brier += diff * diff;
    }
    double* row = &rows[static_cast<size_t>(4 * r)];
    row[0] = c.label[r] == label;
    row[1] = brier;
    row[2] = points.probability[r];
    row[3] = points.outcome[r];
  }
  return rows;
}

namespace {
// The running sums of a likelihood of classes: hits, Brier terms, then per bin of the
// reliability diagram (calibration_bins' ten bins of equal width) the count, the sum of
// the probabilities and of the outcomes.
constexpr size_t kEceBins = 10, kSumsBeforeBins = 2;
}  // namespace

void ClassificationLikelihood::add_metric_rows(std::span<const double> rows, std::vector<double>& sums) const {
  sums.resize(kSumsBeforeBins + 3 * kEceBins, 0.0);
  for (size_t r = 0; r + 3 < rows.size(); r += 4) {
    sums[0] += rows[r];
    sums[1] += rows[r + 1];
    const double p = rows[r + 2];
    const size_t b = std::min(kEceBins - 1, static_cast<size_t>(p * static_cast<double>(kEceBins)));
    double* bin = &sums[kSumsBeforeBins + 3 * b];
    bin[0] += 1;
    bin[1] += p;
    bin[2] += rows[r + 3];
  }
}

std::vector<Metric> ClassificationLikelihood::metrics_of_sums(std::span<const double> sums, int64_t rows,
                                                              double) const {
  const double count = static_cast<double>(rows);
  // The bins as calibration_bins makes them from the same rows: the same ECE.
  std::vector<CalibrationBin> bins(kEceBins);
  for (size_t b = 0; b < kEceBins; ++b) {
    const double* bin = &sums[kSumsBeforeBins + 3 * b];
    bins[b].lower = static_cast<double>(b) / static_cast<double>(kEceBins);
    bins[b].upper = static_cast<double>(b + 1) / static_cast<double>(kEceBins);
    bins[b].count = static_cast<size_t>(bin[0]);
    if (bins[b].count == 0) continue;
    bins[b].mean_predicted = bin[1] / bin[0];
    bins[b].observed_frequency = bin[2] / bin[0];
  }
  return {{"accuracy", sums[0] / count, MetricFormat::percent, "predicted label = target"},
          {"brier", sums[1] / count, MetricFormat::fixed, "sum over classes of (p - [y = k])^2 (lower is better)"},
          {"ece", expected_calibration_error(bins), MetricFormat::fixed,
           "expected calibration error, 10 bins (lower is better)"}};
}

PredictionSurface ClassificationLikelihood::surface(const PredictiveDraws& d, const std::string&) const {
  ClassPrediction c = classify(d);
  const int64_t K = c.classes;
  const bool class_one = shows_class_one();
  PredictionSurface s;
  s.mean.resize(static_cast<size_t>(d.rows));
  s.sd.resize(s.mean.size());
  s.label.resize(s.mean.size());
  for (int64_t r = 0; r < d.rows; ++r) {
    int64_t k = class_one ? 1 : c.label[r];  // p(y = 1), or the predicted class's
    s.mean[r] = c.prob[r * K + k];
    s.sd[r] = c.sd[r * K + k];
    s.label[r] = static_cast<double>(c.label[r]);
  }
  s.mean_title = class_one ? "Posterior predictive mean probability of class 1"
                           : "Posterior predictive mean probability of the predicted class";
  s.mean_label = "Posterior predictive mean probability";
  s.sd_label = "Posterior predictive standard deviation of that probability";
  return s;
}

TrainingScore ClassificationLikelihood::training_score(std::span<const double> mean_output,
                                                       std::span<const double> y, TargetScale) const {
  // The label of classify(): argmax of the mean probabilities; a binary network's output is
  // p(y = 1), class 1 only when it is the larger.
  const int64_t rows = static_cast<int64_t>(y.size());
  const int64_t K = static_cast<int64_t>(mean_output.size()) / std::max<int64_t>(1, rows);
  int64_t ok = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t label = 0;
    if (K == 1) {
      label = mean_output[r] > 0.5;
    } else {
      const double* mean = &mean_output[r * K];
      label = std::max_element(mean, mean + K) - mean;
    }
    ok += label == static_cast<int64_t>(y[r]);
  }
  return {"accuracy", static_cast<double>(ok) / static_cast<double>(rows), MetricFormat::percent};
}

}  // namespace elbo::bnn_detail
