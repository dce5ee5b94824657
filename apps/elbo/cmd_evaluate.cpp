// `elbo evaluate`: how well a fitted network predicts data with known targets.
#include <cstdio>
#include <memory>
#include <span>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core_count.hpp"
#include "elbo/bnn/metric.hpp"
#include "metric_text.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"
#include "predictive_blocks.hpp"
#include "table_blocks.hpp"

namespace elbo::cli {

namespace {

struct EvaluateFlags {
  std::string model, data;
  int64_t draws = 500;
  double interval = 0.94;
  bool json = false;
  uint64_t seed = 0;
  int threads = core_count();
};

void run_evaluate(const EvaluateFlags& f) {
  LoadedNetwork n = load_network(f.model);
  const Likelihood& likelihood = *n.spec.likelihood;
  // Block by block of rows (predictive_blocks.hpp); only the metrics' running sums are kept.
  TableBlocks blocks(f.data);
  const int64_t block_rows = predictive_block_rows(n, static_cast<int64_t>(blocks.columns().size()), f.draws);
  MetricSums sums(likelihood);
  data::Table table;
  while (blocks.next(block_rows, table)) {
    NetworkInputs in = network_inputs(n.spec, table, f.data, true);
    check_network_targets(n.spec, in, f.data, blocks.first_row());
    const std::span<const double> y(*in.target);
    for (const MetricRows& part : summarize_predictive(n, in.features, f.draws, f.seed, f.threads,
                                                      [&](int64_t first, const PredictiveDraws& d) {
                                                        return metric_rows(likelihood, d, y.subspan(first, d.rows),
                                                                           f.interval);
                                                      }))
      sums.add(part);
  }
  const Metrics m = sums.metrics(f.interval);

  if (f.json) {
    nlohmann::json j = {{"rows", m.rows}, {"mlpd", m.mlpd}};
    for (const Metric& metric : m.more) j[metric.name] = metric.value;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s on %s (%s, %ld posterior draws)\n", f.model.c_str(), f.data.c_str(), likelihood.name().c_str(),
              static_cast<long>(f.draws));
  auto row = [](const std::string& name, const std::string& value, const std::string& note) {
    std::printf("  %-10s %12s%s%s\n", name.c_str(), value.c_str(), note.empty() ? "" : "  ", note.c_str());
  };
  row("rows", std::to_string(m.rows), "");
  row("mlpd", format_metric(m.mlpd, MetricFormat::fixed), "mean log predictive density (nats per row; higher is better)");
  for (const Metric& metric : m.more) row(metric.name, format_metric(metric.value, metric.format), metric.note);
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto f = std::make_shared<EvaluateFlags>();
  CLI::App* sub = app.add_subcommand("evaluate", "Score a fitted network on data with known targets");
  sub->add_option("--model", f->model, "Model file written by 'elbo fit'")->required();
  sub->add_option("--data", f->data, "CSV or NPY with the features and the target column")->required();
  sub->add_option("--draws", f->draws, "Posterior draws")->capture_default_str()->check(positive_integer());
  sub->add_option("--interval", f->interval, "Numeric targets: probability of the central interval for coverage")->capture_default_str()
      ->check(open_unit_interval());
  sub->add_flag("--json", f->json, "Print one JSON object instead of a table");
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  sub->add_option("--threads", f->threads, "Threads (default: every core; the results do not depend on them)")->check(positive_integer());
  return {sub, [f] { run_evaluate(*f); }};
}

}  // namespace elbo::cli
