#pragma once
// The subcommands of `elbo`. Each add_*_command registers its flags on `app` and returns
// the function that runs it after a successful parse. Runners throw UsageError for a
// problem with the command line (exit 2) and elbo::Error for anything else (exit 1).
#include <functional>

#include <CLI/CLI.hpp>

namespace elbo::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<void()> run;
};

Command add_demo_command(CLI::App& app);
Command add_fit_command(CLI::App& app);
Command add_predict_command(CLI::App& app);
Command add_evaluate_command(CLI::App& app);
Command add_summary_command(CLI::App& app);
Command add_plot_command(CLI::App& app);
Command add_check_command(CLI::App& app);

}  // namespace elbo::cli
