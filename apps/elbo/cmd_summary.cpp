// `elbo summary`: the posterior of a fitted network's weights, as ArviZ's summary table.
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "elbo/predict/posterior.hpp"
#include "elbo/vi/psis.hpp"
#include "network_file.hpp"
#include "option_checks.hpp"

namespace elbo::cli {

namespace {

struct SummaryFlags {
  std::string model;
  int64_t draws = 2000;
  uint64_t seed = 0;
};

void run_summary(const SummaryFlags& f) {
  LoadedNetwork n = load_network(f.model);
  const NetworkSpec& s = n.spec;
  const std::string layers = s.layers();
  std::printf("%s: %s network %s, %s, %s; %s likelihood; %s approximation of %ld parameters, %s\n",
              f.model.c_str(), s.mlp.activation.c_str(), layers.c_str(), s.mlp.bias ? "biases" : "no biases",
              prior_description(s.mlp).c_str(),
              s.likelihood->name().c_str(), n.saved.kind.c_str(), static_cast<long>(n.saved.dim),
              std::string(dtype_name(s.dtype)).c_str());
  std::string features;
  for (size_t i = 0; i < s.features.size(); ++i) features += (i ? ", " : "") + s.features[i];
  std::printf("features: %s; target: %s\n", features.c_str(), s.target.c_str());
  // The likelihood's note on its parameters, when its target is standardised or it has
  // something to say regardless (poisson's log link).
  const std::string note = s.likelihood->parameter_note(s.target_scale());
  const bool target_note = !note.empty() && (s.standardized || !s.likelihood->standardizes_target());
  if (s.standardized)
    std::printf("note: weights act on standardised inputs%s%s\n", target_note ? "; " : "", target_note ? note.c_str() : "");
  else if (target_note)
    std::printf("note: %s\n", note.c_str());

  // The PSIS k-hat that `elbo fit` stored (files written before it existed have none).
  if (auto fit = n.saved.metadata.find("elbo.fit"); fit != n.saved.metadata.end()) {
    const nlohmann::json info = nlohmann::json::parse(fit->second, nullptr, /*allow_exceptions=*/false);
    if (info.is_object() && info.value("method", std::string()) == "laplace" && info.contains("log_evidence") &&
        info["log_evidence"].is_number() && info.contains("prior_precision") && info["prior_precision"].is_number())
      std::printf("fit: laplace, hessian %s over %s, prior precision %.4g, log evidence %.6g; %s predictive\n",
                  info.value("hessian", std::string("?")).c_str(),
                  info.value("subset", std::string("all")) == "all" ? "all the weights" : "the last layer",
                  info["prior_precision"].get<double>(), info["log_evidence"].get<double>(),
                  n.spec.predictive.c_str());
    if (info.is_object() && info.value("method", std::string()) == "pathfinder" && info.contains("resampled") &&
        info["resampled"].is_boolean() && info.contains("paths") && info["paths"].is_array())
      std::printf("fit: pathfinder, %zu paths; %s\n", info["paths"].size(),
                  info["resampled"].get<bool>() ? "the draws resampled by their PSIS weights"
                                                : "the paths' draws with equal weight, not resampled");
    // The recipe (absent before --recipe; "single" is one plain fit, not worth a line).
    if (info.is_object() && info.value("recipe", std::string()) == "ensemble")
      std::printf("fit: the ensemble recipe (elbo fit's default: --recipe ensemble)%s\n",
                  info.contains("ensemble") && info["ensemble"].is_number_integer()
                      ? (", " + std::to_string(info["ensemble"].get<int64_t>()) + " members").c_str()
                      : "");
    // The KL weight, when it is not the ELBO's 1 or was chosen (--beta auto).
    if (info.is_object() && info.contains("beta") && info["beta"].is_number()) {
      const double beta = info["beta"].get<double>();
      const nlohmann::json& chosen = info.contains("beta_selection") ? info["beta_selection"] : nlohmann::json();
      if (chosen.is_object() && chosen.contains("candidates") && chosen["candidates"].is_array()) {
        std::string scores;
        for (const nlohmann::json& c : chosen["candidates"]) {
          if (!c.is_object() || !c.contains("beta") || !c["beta"].is_number()) continue;
          char one[96];
          const nlohmann::json& v = c.contains("validation_mlpd") ? c["validation_mlpd"] : nlohmann::json();
          if (v.is_number())
            std::snprintf(one, sizeof one, "%s%g: %.4f", scores.empty() ? "" : ", ", c["beta"].get<double>(),
                          v.get<double>());
          else
            std::snprintf(one, sizeof one, "%s%g: not finite", scores.empty() ? "" : ", ", c["beta"].get<double>());
          scores += one;
        }
        std::printf("fit: beta %g, chosen by --beta auto (validation mlpd on %ld held-out rows: %s)\n", beta,
                    static_cast<long>(chosen.value("validation_rows", int64_t{0})), scores.c_str());
      } else if (beta != 1.0) {
        std::printf("fit: beta %g (the KL part of the ELBO weighted by it, --beta)\n", beta);
      }
    }
    if (info.is_object() && info.contains("kl_warmup") && info["kl_warmup"].is_number_integer() &&
        info["kl_warmup"].get<int64_t>() > 0)
      std::printf("fit: KL warm-up over the first %ld steps (--kl-warmup)\n",
                  static_cast<long>(info["kl_warmup"].get<int64_t>()));
    if (info.is_object() && info.contains("psis_khat") && info.contains("psis_draws") &&
        info["psis_draws"].is_number_integer()) {
      const nlohmann::json& k = info["psis_khat"];
      // null: -inf (all ratios equal); "nan": degenerate ratios.
      const double khat = k.is_number() ? k.get<double>() : (k.is_string() ? NAN : -INFINITY);
      std::printf("PSIS k-hat: %.2f, %s (%ld draws at the end of the fit)\n", khat, khat_verdict(khat).c_str(),
                  static_cast<long>(info["psis_draws"].get<int64_t>()));
    }
  }

  Trace trace = Posterior(*n.model, *n.q).sample(f.draws, f.seed);
  std::vector<std::string> names;
  for (const FreeVariable& v : n.model->free_variables()) names.push_back(v.name);
  std::printf("\n%ld draws from the approximation:\n%s", static_cast<long>(f.draws),
              trace.summary_table(0.94, names).c_str());
}

}  // namespace

Command add_summary_command(CLI::App& app) {
  auto f = std::make_shared<SummaryFlags>();
  CLI::App* sub = app.add_subcommand("summary", "Posterior summary (mean, sd, 94% HDI) of a fitted network's weights");
  sub->add_option("--model", f->model, "Model file written by 'elbo fit'")->required();
  sub->add_option("--draws", f->draws, "Draws from the approximation")->capture_default_str()->check(positive_integer());
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  return {sub, [f] { run_summary(*f); }};
}

}  // namespace elbo::cli
