#pragma once
// PyMC3's tutorial "Variational Inference: Bayesian Neural Networks" as an elbo program,
// section by section (demo_tutorial.cpp); `elbo demo` runs it. (examples/bnn_moons.cpp is a
// shorter, self-contained version without the figures.)
#include <cstdint>
#include <string>

namespace elbo::cli::tutorial {

struct TutorialOptions {
  std::string out_dir = "elbo-demo";  ///< figures go here (created if missing)
  uint64_t seed = 0;
  bool quick = false;  ///< a ~10 s version for CI: fewer steps and draws
  int threads = 1;
};

/// What the run measured (printed too).
struct TutorialResult {
  double accuracy = 0;           ///< full-batch ADVI, test half, 500 draws
  double minibatch_accuracy = 0; ///< minibatch ADVI, same
  double flow_accuracy = 0;      ///< NFVI (scale-planar*8-loc), same
  double svgd_accuracy = 0;      ///< SVGD (100 particles), same
  double var_last_scaled = 0, var_last_unscaled = 0;  ///< variance of the last losses
  double slow_seconds = 0, fast_seconds = 0;           ///< per-draw path vs compiled predictor
  double steps_per_second = 0;   ///< of the first 20000-step fit
  int figures_written = 0, figures_skipped = 0;
};

/// Runs the tutorial end to end, printing each stage; returns what it measured.
TutorialResult run(const TutorialOptions& options);

}  // namespace elbo::cli::tutorial
