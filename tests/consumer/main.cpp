// A project outside elbo's tree that uses the installed package (find_package) or builds it
// in its own tree (add_subdirectory). Against a shared libelbo it is also the check that the
// public API is exported: it touches every layer, and catches an elbo exception type thrown
// inside the library (its typeinfo must be shared). Prints "consumer ok" when all is well.
#include <elbo/elbo.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <unistd.h>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("consumer: %s failed\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  using namespace elbo;
  try {
    // graph: an expression, compiled and evaluated.
    Graph g(DType::f64);
    Expr w = g.parameter("w", {2});
    Program prog(g, {sum(square(w))});
    double theta[2] = {3.0, 4.0};
    prog.set_flat_params(theta);
    prog.forward();
    check(prog.output(0)[0] == 25.0, "Program::forward");

    // data, model, distributions, vi, predict: a small Bayesian logistic regression.
    auto moons = data::standardize(data::make_moons({.n_samples = 200, .noise = 0.2, .dtype = DType::f64}));
    Model m(DType::f64);
    Expr x = m.data("x", moons.x), y = m.data("y", moons.y);
    Expr b = m.normal("b", 0, 1, {2});
    Expr p = m.deterministic("p", sigmoid(matmul(x, b)));
    m.bernoulli("out", p, y);
    ADVI advi(m, {.seed = 1});
    advi.fit(2000);
    check(advi.hist().size() == 2000 && std::isfinite(advi.hist().back()), "ADVI::fit");
    Predictor predict = Posterior(advi).predictor(p, {x});
    Tensor probs = predict({moons.x}, 20);
    check(probs.shape() == Shape{20, moons.rows()}, "Predictor");

    // io: save and load the fitted approximation.
    const char* tmp = std::getenv("TMPDIR");
    const std::string path = std::string(tmp ? tmp : "/tmp") + "/elbo_consumer_" + std::to_string(::getpid()) + ".elbo";
    save_approximation(path, m, advi.approximation());
    SavedApproximation saved = load_approximation(path);
    std::remove(path.c_str());
    check(saved.kind == "meanfield", "load_approximation");

    // bnn: the likelihood registry.
    check(find_likelihood("bernoulli").name == std::string("bernoulli"), "find_likelihood");

    // An exception thrown inside the library, caught here by its own type.
    bool caught = false;
    try {
      find_likelihood("no_such_likelihood");
    } catch (const InvalidArgument&) {
      caught = true;
    }
    check(caught, "catching elbo::InvalidArgument");
  } catch (const std::exception& e) {
    std::printf("consumer: unexpected exception: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", failures == 0 ? "consumer ok" : "consumer wrong");
  return failures == 0 ? 0 : 1;
}
