// A project outside elbo's tree that finds the installed package.
#include <elbo/elbo.hpp>

#include <cstdio>

int main() {
  elbo::Graph g(elbo::DType::f64);
  elbo::Expr w = g.parameter("w", {2});
  elbo::Expr y = elbo::sum(elbo::square(w));
  elbo::Program prog(g, {y});
  double theta[2] = {3.0, 4.0};
  prog.set_flat_params(theta);
  prog.forward();
  double v = prog.output(0)[0];
  std::printf("%s %g\n", v == 25.0 ? "consumer ok" : "consumer wrong", v);
  return v == 25.0 ? 0 : 1;
}
