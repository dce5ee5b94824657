// categorical: a class label 0..K-1, p(y = k) = softmax(f)_k of the network's K outputs.
#include <set>

#include "../classification_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

constexpr int64_t kMaxClasses = 1000;

bool is_class_index(double v) { return v >= 0 && v == std::floor(v) && v < 1e6; }

class CategoricalLikelihood : public ClassificationLikelihood {
 public:
  explicit CategoricalLikelihood(int64_t classes) : ClassificationLikelihood(classes) {
    if (classes < 2 || classes > kMaxClasses)
      throw InvalidArgument("categorical likelihood: 'classes' is " + std::to_string(classes) +
                            ", but must be in [2, " + std::to_string(kMaxClasses) + "]");
  }
  std::string name() const override { return "categorical"; }
  std::string description() const override { return "categorical with " + std::to_string(classes()) + " classes"; }
  LikelihoodSettings settings() const override { return {{"classes", static_cast<double>(classes())}}; }
  int64_t outputs() const override { return classes(); }

  std::string check_targets(std::span<const double> y) const override {
    const int64_t K = classes();
    for (size_t i = 0; i < y.size(); ++i)
      if (!is_class_index(y[i]) || y[i] >= static_cast<double>(K))
        return at_row(y[i], i) + " is not a class of this " + std::to_string(K) + "-class network (0.." +
               std::to_string(K - 1) + ")";
    return {};
  }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    Expr probs = m.deterministic("probs", exp(f - logsumexp(f, 1, true)));
    m.categorical_logits("out", f, y, o);
    return {probs, {}};
  }

  PredictionTable predictions(const PredictiveDraws& d, double) const override {
    ClassPrediction c = classify(d);
    const int64_t K = c.classes;
    PredictionTable t;
    for (int64_t k = 0; k < K; ++k) t.columns.push_back("p_" + std::to_string(k));
    for (int64_t k = 0; k < K; ++k) t.columns.push_back("sd_" + std::to_string(k));
    for (const char* h : {"label", "entropy", "mutual_info"}) t.columns.push_back(h);
    for (int64_t r = 0; r < d.rows; ++r) {
      for (int64_t k = 0; k < K; ++k) t.values.push_back(c.prob[r * K + k]);
      for (int64_t k = 0; k < K; ++k) t.values.push_back(c.sd[r * K + k]);
      for (double v : {static_cast<double>(c.label[r]), c.entropy[r], c.mutual_info[r]}) t.values.push_back(v);
    }
    return t;
  }

 protected:
  bool shows_class_one() const override { return false; }  // the predicted class's confidence
};

}  // namespace

LikelihoodEntry categorical_likelihood_entry() {
  return {"categorical", "a class label 0..K-1, softmax link",
          [](std::span<const double> y) -> std::optional<std::string> {
            // The labels 0..K-1, each present, K > 2 (K = 2 is bernoulli's).
            std::set<double> distinct;
            for (double v : y) {
              if (!is_class_index(v)) return std::nullopt;
              distinct.insert(v);
              if (distinct.size() > static_cast<size_t>(kMaxClasses)) return std::nullopt;
            }
            if (distinct.empty()) return std::nullopt;
            auto k = static_cast<int64_t>(*distinct.rbegin()) + 1;
            if (k <= 2 || static_cast<int64_t>(distinct.size()) != k) return std::nullopt;
            return "the target holds the class labels 0.." + std::to_string(k - 1);
          },
          [](std::span<const double> y) -> std::unique_ptr<Likelihood> {
            double top = 0;
            for (size_t i = 0; i < y.size(); ++i) {
              if (!is_class_index(y[i])) throw InvalidArgument(at_row(y[i], i) + " is not a class label (a whole number >= 0)");
              top = std::max(top, y[i]);
            }
            auto k = std::max<int64_t>(2, static_cast<int64_t>(top) + 1);
            if (k > kMaxClasses)
              throw InvalidArgument("the largest label is " + number_text(top) + ", more than " +
                                    std::to_string(kMaxClasses) + " classes");
            return std::make_unique<CategoricalLikelihood>(k);
          },
          [](const LikelihoodSettings& s) -> std::unique_ptr<Likelihood> {
            auto it = s.find("classes");
            if (it == s.end()) throw InvalidArgument("categorical likelihood: the setting 'classes' is missing");
            if (it->second != std::floor(it->second))
              throw InvalidArgument("categorical likelihood: 'classes' is " + number_text(it->second) +
                                    ", not a whole number");
            return std::make_unique<CategoricalLikelihood>(static_cast<int64_t>(it->second));
          }};
}

}  // namespace elbo
