// `elbo evaluate`: how well a fitted network predicts data with known targets.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "data_loading.hpp"
#include "likelihood_choice.hpp"
#include "metrics.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"

namespace elbo::cli {

namespace {

struct EvaluateFlags {
  std::string model, data;
  int64_t draws = 500;
  double interval = 0.94;
  bool json = false;
  uint64_t seed = 0;
  int threads = 1;
};

void run_evaluate(const EvaluateFlags& f) {
  LoadedNetwork n = load_network(f.model);
  data::Table table = read_table(f.data);
  NetworkInputs in = network_inputs(n.spec, table, f.data, true);
  const std::string& likelihood = n.spec.mlp.likelihood;
  std::string problem = check_targets(likelihood, n.spec.mlp.classes, *in.target);
  if (!problem.empty())
    throw FormatError(f.data + ": target '" + n.spec.target + "': " + problem + " (the model's likelihood is " +
                      likelihood + ")");
  PredictiveDraws d = predictive_draws(n, in.features, f.draws, f.seed, f.threads);
  Metrics m = evaluate_predictions(d, likelihood, *in.target, f.interval);

  if (f.json) {
    nlohmann::json j = {{"rows", m.rows}, {"mlpd", m.mlpd}};
    if (m.accuracy) j["accuracy"] = *m.accuracy;
    if (m.brier) j["brier"] = *m.brier;
    if (m.ece) j["ece"] = *m.ece;
    if (m.rmse) j["rmse"] = *m.rmse;
    if (m.coverage) j["coverage"] = *m.coverage;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s on %s (%s, %ld posterior draws)\n", f.model.c_str(), f.data.c_str(), likelihood.c_str(),
              static_cast<long>(f.draws));
  auto row = [](const char* name, const std::string& value, const char* note) {
    std::printf("  %-10s %12s%s%s\n", name, value.c_str(), *note ? "  " : "", note);
  };
  auto num = [](double v, const char* fmt = "%.4f") {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return std::string(buf);
  };
  row("rows", std::to_string(m.rows), "");
  row("mlpd", num(m.mlpd), "mean log predictive density (nats per row; higher is better)");
  if (m.accuracy) row("accuracy", num(100 * *m.accuracy, "%.2f%%"), "predicted label = target");
  if (m.brier) row("brier", num(*m.brier), "sum over classes of (p - [y = k])^2 (lower is better)");
  if (m.ece) row("ece", num(*m.ece), "expected calibration error, 10 bins (lower is better)");
  if (m.rmse) row("rmse", num(*m.rmse, "%.4g"), "of the predictive mean, target units");
  if (m.coverage) {
    std::string note = "share of targets inside the central " + num(100 * m.level, "%g") + "% interval";
    row("coverage", num(100 * *m.coverage, "%.2f%%"), note.c_str());
  }
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto f = std::make_shared<EvaluateFlags>();
  CLI::App* sub = app.add_subcommand("evaluate", "Score a fitted network on data with known targets");
  sub->add_option("--model", f->model, "Model file written by 'elbo fit'")->required();
  sub->add_option("--data", f->data, "CSV or NPY with the features and the target column")->required();
  sub->add_option("--draws", f->draws, "Posterior draws")->capture_default_str()->check(positive_integer());
  sub->add_option("--interval", f->interval, "normal: probability of the central interval for coverage")->capture_default_str()
      ->check(open_unit_interval());
  sub->add_flag("--json", f->json, "Print one JSON object instead of a table");
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  sub->add_option("--threads", f->threads, "Threads")->capture_default_str()->check(positive_integer());
  return {sub, [f] { run_evaluate(*f); }};
}

}  // namespace elbo::cli
