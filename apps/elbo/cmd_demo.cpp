// `elbo demo`: PyMC3's "Variational Inference: Bayesian Neural Networks" end to end
// (demo_tutorial.cpp), with its figures.
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "demo_tutorial.hpp"
#include "option_checks.hpp"
#include "usage_error.hpp"

namespace elbo::cli {

namespace {

struct DemoFlags {
  std::string out = "elbo-demo";
  uint64_t seed = 0;
  bool quick = false;
  int threads = 1;
};

void run_demo(const DemoFlags& f) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path parent = fs::path(f.out).parent_path();
  if (f.out.empty()) throw UsageError("--out: the path is empty");
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw UsageError("--out: directory '" + parent.string() + "' does not exist (for '" + f.out + "')");
  if (fs::exists(f.out, ec) && !fs::is_directory(f.out, ec))
    throw UsageError("--out: '" + f.out + "' exists and is not a directory");
  tutorial::run({.out_dir = f.out, .seed = f.seed, .quick = f.quick, .threads = f.threads});
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  auto f = std::make_shared<DemoFlags>();
  CLI::App* sub = app.add_subcommand(
      "demo", "Run PyMC3's Bayesian neural network tutorial (moons, ADVI, minibatches; then a flow and SVGD beside ADVI) and write its figures");
  sub->add_option("--out", f->out, "Directory for the figures (created if missing)")->capture_default_str();
  sub->add_option("--seed", f->seed, "Random seed")->capture_default_str()->check(non_negative_integer());
  sub->add_flag("--quick", f->quick, "A ~10 s version (fewer steps and draws), for CI");
  sub->add_option("--threads", f->threads, "Threads")->capture_default_str()->check(positive_integer());
  return {sub, [f] { run_demo(*f); }};
}

}  // namespace elbo::cli
