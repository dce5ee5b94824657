// `elbo predict`: the posterior predictive of a fitted network at new inputs, one CSV row
// per input row.
#include <memory>

#include "commands.hpp"
#include "csv_text.hpp"
#include "data_loading.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"
#include "predictive.hpp"

namespace elbo::cli {

namespace {

struct PredictFlags {
  std::string model, data, out;
  int64_t draws = 500;
  double interval = 0.94;
  uint64_t seed = 0;
  int threads = 1;
};

std::string predictions_csv(const LoadedNetwork& n, const PredictiveDraws& d, double interval) {
  std::string csv;
  const std::string& likelihood = n.spec.mlp.likelihood;
  if (likelihood == "normal") {
    Regression g = regress(d, interval);
    append_header(csv, {"mean", "sd", "lo", "hi"});
    for (int64_t r = 0; r < d.rows; ++r) {
      for (double v : {g.mean[r], g.sd[r], g.lo[r]}) append_number(csv, v), csv += ',';
      append_number(csv, g.hi[r]);
      csv += '\n';
    }
    return csv;
  }
  ClassPrediction c = classify(d);
  const int64_t K = c.classes;
  auto tail = [&](int64_t r) {
    csv += std::to_string(c.label[r]) + ',';
    append_number(csv, c.entropy[r]);
    csv += ',';
    append_number(csv, c.mutual_info[r]);
    csv += '\n';
  };
  if (likelihood == "bernoulli") {
    append_header(csv, {"mean", "sd", "label", "entropy", "mutual_info"});
    for (int64_t r = 0; r < d.rows; ++r) {
      append_number(csv, c.prob[r * K + 1]);
      csv += ',';
      append_number(csv, c.sd[r * K + 1]);
      csv += ',';
      tail(r);
    }
    return csv;
  }
  std::vector<std::string> header;
  for (int64_t k = 0; k < K; ++k) header.push_back("p_" + std::to_string(k));
  for (int64_t k = 0; k < K; ++k) header.push_back("sd_" + std::to_string(k));
  for (const char* h : {"label", "entropy", "mutual_info"}) header.push_back(h);
  append_header(csv, header);
  for (int64_t r = 0; r < d.rows; ++r) {
    for (int64_t k = 0; k < K; ++k) append_number(csv, c.prob[r * K + k]), csv += ',';
    for (int64_t k = 0; k < K; ++k) append_number(csv, c.sd[r * K + k]), csv += ',';
    tail(r);
  }
  return csv;
}

void run_predict(const PredictFlags& f) {
  if (!f.out.empty()) check_output_parent("--out", f.out);
  LoadedNetwork n = load_network(f.model);
  data::Table table = read_table(f.data);
  NetworkInputs in = network_inputs(n.spec, table, f.data, false);
  PredictiveDraws d = predictive_draws(n, in.features, f.draws, f.seed, f.threads);
  write_output(f.out, predictions_csv(n, d, f.interval));
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
  sub->add_option("--interval", f->interval, "normal: probability of the central interval lo..hi")->capture_default_str()
      ->check(open_unit_interval());
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  sub->add_option("--threads", f->threads, "Threads")->capture_default_str()->check(positive_integer());
  return {sub, [f] { run_predict(*f); }};
}

}  // namespace elbo::cli
