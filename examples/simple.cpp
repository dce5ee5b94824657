// The smallest elbo program: build an expression, compile it, evaluate value and gradient.
#include <elbo/elbo.hpp>

#include <cstdio>

int main() {
  using namespace elbo;
  Graph g(DType::f64);
  Expr x = g.data("x", Tensor(DType::f64, {3, 2}, {1, 2, 3, 4, 5, 6}));  // replaceable data
  Expr w = g.parameter("w", {2});                                        // a parameter input
  Expr loss = sum(square(matmul(x, w) - 1.0));                           // ||x w - 1||^2

  Program prog(g, {loss});
  double theta[2] = {0.5, -0.25};
  prog.set_flat_params(theta);
  double seed[1] = {1.0};
  prog.forward_backward(seed);
  double grad[2];
  prog.flat_gradient(grad);
  std::printf("loss = %g, d loss / d w = [%g, %g]\n", prog.output(0)[0], grad[0], grad[1]);
}
