// Writes the tutorial's data as CSV for bench/cli_vs_hand.sh: make_moons(1000 points, noise
// 0.2, seed 0), standardised, split half/half (bench/tutorial_problem.hpp, the data every
// engine benchmark uses), as DIR/train.csv and DIR/test.csv with columns x1, x2, y.
// bench/peers/make_data.py writes scikit-learn's points instead, but it needs pip packages;
// this needs only elbo. Not a benchmark: it only prepares the input of the timed commands.
//
// Usage: tutorial_data_csv DIR
#include <cstdio>
#include <string>

#include "elbo/data.hpp"
#include "tutorial_problem.hpp"

int main(int argc, char** argv) {
  using namespace elbo;
  if (argc != 2) {
    std::fprintf(stderr, "usage: tutorial_data_csv DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  bench::TutorialData d = bench::tutorial_data(DType::f64);
  auto write = [&](const std::string& name, const Tensor& x, const Tensor& y) {
    const int64_t n = x.dim(0);
    Tensor rows(DType::f64, {n, 3});
    for (int64_t r = 0; r < n; ++r) {
      rows.set(r * 3, x[r * 2]);
      rows.set(r * 3 + 1, x[r * 2 + 1]);
      rows.set(r * 3 + 2, y[r]);
    }
    data::write_csv(dir + "/" + name, {"x1", "x2", "y"}, rows);
    std::printf("wrote %s/%s (%ld rows)\n", dir.c_str(), name.c_str(), static_cast<long>(n));
  };
  write("train.csv", d.x_train, d.y_train);
  write("test.csv", d.x_test, d.y_test);
  return 0;
}
