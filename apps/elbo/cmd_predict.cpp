// `elbo predict`: the posterior predictive of a fitted network at new inputs, one CSV row
// per input row.
#include <memory>

#include "commands.hpp"
#include "core_count.hpp"
#include "csv_text.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"
#include "predictive_blocks.hpp"
#include "table_blocks.hpp"

namespace elbo::cli {

namespace {

struct PredictFlags {
  std::string model, data, out;
  int64_t draws = 500;
  double interval = 0.94;
  uint64_t seed = 0;
  int threads = core_count();
};

void append_rows(std::string& csv, const PredictionTable& t) {
  const size_t cols = t.columns.size();
  for (size_t i = 0; i < t.values.size(); ++i) {
    append_number(csv, t.values[i]);
    csv += (i + 1) % cols == 0 ? '\n' : ',';
  }
}

// Block by block of rows (predictive_blocks.hpp): memory stays bounded whatever the data.
void run_predict(const PredictFlags& f) {
  if (!f.out.empty()) check_output_parent("--out", f.out);
  LoadedNetwork n = load_network(f.model);
  TableBlocks blocks(f.data);
  const int64_t block_rows = predictive_block_rows(n, static_cast<int64_t>(blocks.columns().size()), f.draws);
  const Likelihood& likelihood = *n.spec.likelihood;
  write_output(f.out, [&](const std::function<void(std::string_view)>& put) {
    data::Table table;
    for (bool first = true; blocks.next(block_rows, table); first = false) {
      NetworkInputs in = network_inputs(n.spec, table, f.data, false);
      const std::vector<PredictionTable> parts =
          summarize_predictive(n, in.features, f.draws, f.seed, f.threads,
                               [&](int64_t, const PredictiveDraws& d) { return likelihood.predictions(d, f.interval); });
      std::string csv;
      if (first) append_header(csv, parts.front().columns);
      for (const PredictionTable& t : parts) append_rows(csv, t);
      put(csv);
    }
  });
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto f = std::make_shared<PredictFlags>();
  CLI::App* sub = app.add_subcommand("predict", "Posterior predictive of a fitted network at new inputs, as CSV");
  sub->add_option("--model", f->model, "Model file written by 'elbo fit'")->required();
  sub->add_option("--data", f->data, "Inputs: CSV or NPY with the training features (the target may be present)")
      ->required();
  sub->add_option("--draws", f->draws, "Posterior draws")->capture_default_str()->check(positive_integer());
  sub->add_option("--out", f->out, "CSV file to write (default: standard output)");
  sub->add_option("--interval", f->interval, "Numeric targets: probability of the central interval lo..hi")->capture_default_str()
      ->check(open_unit_interval());
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  sub->add_option("--threads", f->threads, "Threads (default: every core; the results do not depend on them)")->check(positive_integer());
  return {sub, [f] { run_predict(*f); }};
}

}  // namespace elbo::cli
