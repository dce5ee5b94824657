// A conjugate normal model fitted with ADVI: the program the README shows.
#include <elbo/elbo.hpp>

#include <cstdio>

using namespace elbo;

int main() {
  // mu ~ N(0, 10), y ~ N(mu, 1) for three observations
  Model m;
  Expr mu = m.normal("mu", 0, 10);
  m.normal_likelihood("y", mu, 1.0, m.data("y_obs", Tensor(DType::f64, {3}, {1.2, 0.8, 1.5})));

  ADVI advi(m, {.seed = 1, .optimizer = {.name = "adam", .learning_rate = 0.01}});
  advi.fit(20000);                               // progress bar on a terminal
  Trace trace = Posterior(advi).sample(2000);    // named draws, constrained space
  std::printf("%s", trace.summary_table().c_str());
}
