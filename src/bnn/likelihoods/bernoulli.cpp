// bernoulli: a binary target (0 or 1), p(y = 1) = sigmoid(f) of the network's one output.
#include <set>

#include "../classification_likelihood.hpp"
#include "../target_values.hpp"
#include "elbo/bnn/likelihood_registry.hpp"
#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

using namespace bnn_detail;

class BernoulliLikelihood : public ClassificationLikelihood {
 public:
  BernoulliLikelihood() : ClassificationLikelihood(2) {}
  std::string name() const override { return "bernoulli"; }
  /// "classes": 2, as model files have always stored it.
  LikelihoodSettings settings() const override { return {{"classes", 2}}; }

  std::string check_targets(std::span<const double> y) const override {
    for (size_t i = 0; i < y.size(); ++i)
      if (y[i] != 0 && y[i] != 1) return at_row(y[i], i) + " is not 0 or 1";
    return {};
  }

  LikelihoodNodes observe(Model& m, Expr f, Expr y, const ObservedOptions& o) const override {
    Expr p = m.deterministic("p", sigmoid(f));
    m.bernoulli_logit("out", f, y, o);
    return {p, {}};
  }

  PredictionTable predictions(const PredictiveDraws& d, double) const override {
    ClassPrediction c = classify(d);
    PredictionTable t{{"mean", "sd", "label", "entropy", "mutual_info"}, {}};
    for (int64_t r = 0; r < d.rows; ++r)
      for (double v : {c.prob[r * 2 + 1], c.sd[r * 2 + 1], static_cast<double>(c.label[r]), c.entropy[r],
                       c.mutual_info[r]})
        t.values.push_back(v);
    return t;
  }

 protected:
  bool shows_class_one() const override { return true; }
};

}  // namespace

LikelihoodEntry bernoulli_likelihood_entry() {
  return {"bernoulli", "a binary target (0 or 1), logit link",
          [](std::span<const double> y) -> std::optional<std::string> {
            // Only 0 and 1, and 0 present (the labels 0..K-1 with K <= 2, each present).
            bool zero = false;
            for (double v : y) {
              if (v != 0 && v != 1) return std::nullopt;
              zero = zero || v == 0;
            }
            if (!zero) return std::nullopt;
            return "the target holds only the labels 0 and 1";
          },
          [](std::span<const double> y) -> std::unique_ptr<Likelihood> {
            auto l = std::make_unique<BernoulliLikelihood>();
            if (std::string problem = l->check_targets(y); !problem.empty()) throw InvalidArgument(problem);
            return l;
          },
          [](const LikelihoodSettings&) -> std::unique_ptr<Likelihood> { return std::make_unique<BernoulliLikelihood>(); }};
}

}  // namespace elbo
