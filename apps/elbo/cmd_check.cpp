// `elbo check`: the PSIS k-hat of a fitted network's approximation on data with known
// targets (usually the training file), with more draws than `elbo fit` takes after a fit.
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core_count.hpp"
#include "data_loading.hpp"
#include "elbo/vi/approximation_check.hpp"
#include "khat_text.hpp"
#include "network_file.hpp"
#include "network_inputs.hpp"
#include "option_checks.hpp"

namespace elbo::cli {

namespace {

struct CheckFlags {
  std::string model, data;
  int64_t draws = 10000;
  bool json = false;
  uint64_t seed = 0;
  int threads = core_count();
};

void run_check(const CheckFlags& f) {
  LoadedNetwork n = load_network(f.model);
  NetworkInputs in = network_inputs(n.spec, read_table(f.data), f.data, true);  // the table freed at once
  check_network_targets(n.spec, in, f.data);
  const Likelihood& likelihood = *n.spec.likelihood;
  // The network on all the rows, scaled as `elbo fit` scaled its training data.
  const int64_t rows = in.features.dim(0);
  Tensor y(n.spec.dtype, {rows});
  const bool scaled = likelihood.standardizes_target();
  for (int64_t r = 0; r < rows; ++r) {
    const double t = (*in.target)[static_cast<size_t>(r)];
    y.set(r, scaled ? (t - n.spec.y_mean) / n.spec.y_sd : t);
  }
  n.model->set_data("x", model_inputs(n.spec, in.features));
  n.model->set_data("y", y);
  const ApproximationCheck c =
      check_approximation(*n.model, *n.q,
                          {.draws = f.draws, .seed = f.seed, .threads = f.threads, .row_data = {n.net.x, n.net.y}});
  if (f.json) {
    // JSON has no infinity: k-hat is null when it is -inf (the tail's ratios all equal).
    nlohmann::json j = {{"khat", std::isfinite(c.psis.khat) ? nlohmann::json(c.psis.khat) : nlohmann::json(nullptr)},
                        {"verdict", khat_verdict(c.psis.khat)},
                        {"ess", c.psis.ess},
                        {"draws", c.draws},
                        {"rows", rows},
                        {"elbo", c.elbo}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s on %s (%ld rows)\n%s\nELBO estimate: %.6g (mean of log p - log q over the draws)\n", f.model.c_str(),
              f.data.c_str(), static_cast<long>(rows), khat_line(c).c_str(), c.elbo);
}

}  // namespace

Command add_check_command(CLI::App& app) {
  auto f = std::make_shared<CheckFlags>();
  CLI::App* sub =
      app.add_subcommand("check", "PSIS k-hat: how far a fitted network's approximation can be trusted on its data");
  sub->add_option("--model", f->model, "Model file written by 'elbo fit'")->required();
  sub->add_option("--data", f->data, "CSV or NPY with the features and the target column (the training data)")
      ->required();
  sub->add_option("--draws", f->draws, "Draws from the approximation (at least 25)")
      ->capture_default_str()
      ->check(at_least(25));
  sub->add_flag("--json", f->json, "Print one JSON object instead of text");
  sub->add_option("--seed", f->seed, "Random seed of the draws")->capture_default_str()->check(non_negative_integer());
  sub->add_option("--threads", f->threads, "Threads (default: every core; the result does not depend on them)")
      ->check(positive_integer());
  return {sub, [f] { run_check(*f); }};
}

}  // namespace elbo::cli
