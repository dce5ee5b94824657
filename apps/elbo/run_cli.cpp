// The `elbo` command line as a function (run_cli.hpp): parses the arguments, runs the one
// subcommand and maps its exceptions to exit codes and messages.
#include "run_cli.hpp"

#include <cstdio>
#include <exception>
#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "elbo/graph/log.hpp"
#include "usage_error.hpp"

#ifndef ELBO_VERSION
#define ELBO_VERSION "unknown"
#endif

namespace elbo::cli {

int run_cli(const std::vector<std::string>& args) {
  // CLI11 parses argv; the program name comes first.
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back("elbo");
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& a : storage) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  const int argc = static_cast<int>(storage.size());
  char** argv = pointers.data();

  // The library writes nothing itself: its messages come here, and go to stderr as
  // "elbo: warning: ..." (debug messages are for developers and stay quiet).
  elbo::set_logger([](elbo::LogLevel level, std::string_view message) {
    if (level >= elbo::LogLevel::info) std::cerr << "elbo: " << elbo::to_string(level) << ": " << message << "\n";
  });
  CLI::App app{"elbo: fast variational inference for Bayesian neural networks", "elbo"};
  app.set_version_flag("--version", std::string("elbo ") + ELBO_VERSION);
  app.require_subcommand(1, 1);
  app.footer("Run 'elbo COMMAND --help' for a command's flags. Exit codes: 0 ok, 1 runtime error, 2 usage error.");

  std::vector<Command> commands = {add_demo_command(app),     add_fit_command(app),     add_predict_command(app),
                                   add_evaluate_command(app), add_summary_command(app), add_plot_command(app),
                                   add_check_command(app)};
  // CLI11 would only say "A subcommand is required"; name the word it did not know.
  std::string names;
  bool known = false;
  for (const Command& c : commands) {
    names += (names.empty() ? "" : ", ") + c.app->get_name();
    known = known || (argc > 1 && c.app->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !known) {
    std::cerr << "elbo: error: unknown command '" << argv[1] << "'; the commands are: " << names
              << "\nRun 'elbo --help' for usage.\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string who = "elbo";
    for (const Command& c : commands)
      if (argc > 1 && c.app->get_name() == argv[1]) who += " " + c.app->get_name();
    std::cerr << who << ": error: " << e.what() << "\nRun '" << who << " --help' for usage.\n";
    return 2;
  }
  for (const Command& command : commands) {
    if (!command.app->parsed()) continue;
    const std::string name = command.app->get_name();
    try {
      command.run();
      std::fflush(stdout);
      return 0;
    } catch (const UsageError& e) {
      std::cerr << "elbo " << name << ": error: " << e.what() << "\nRun 'elbo " << name << " --help' for usage.\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "elbo " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  return 2;  // unreachable: require_subcommand(1) makes the parse fail without one
}

}  // namespace elbo::cli
