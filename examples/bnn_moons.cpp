// The PyMC3 tutorial "Variational Inference: Bayesian Neural Networks", end to end.
// Usage: bnn_moons [OUT_DIR] [--quick]. The sections are in bnn_moons/tutorial.cpp.
#include <cstdio>
#include <cstring>
#include <exception>

#include "bnn_moons/tutorial.hpp"

int main(int argc, char** argv) {
  elbo::tutorial::TutorialOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0)
      options.quick = true;
    else
      options.out_dir = argv[i];
  }
  try {
    auto r = elbo::tutorial::run(options);
    return r.accuracy > 0.9 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bnn_moons: %s\n", e.what());
    return 1;
  }
}
