#include "elbo/data/train_test_split.hpp"

#include <cmath>
#include <numeric>
#include <sstream>
#include <vector>

#include "elbo/data/random_permutation.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {

namespace {
constexpr uint64_t split_stream = 0x73706c6974000001;  // "split" 1

Dataset take(const Dataset& d, const int64_t* begin, const int64_t* end) {
  std::span<const int64_t> index(begin, static_cast<size_t>(end - begin));
  return Dataset{d.x.gather_rows(index), d.y.gather_rows(index), d.feature_names, d.target_name};
}
}  // namespace

std::pair<Dataset, Dataset> train_test_split(const Dataset& dataset, const SplitOptions& options) {
  const double t = options.test_size;
  if (!(t > 0.0 && t < 1.0)) {
    std::ostringstream s;
    s << "train_test_split: argument 'test_size' is " << t << ", but must be in (0, 1)";
    throw InvalidArgument(s.str());
  }
  const Tensor& x = dataset.x;
  const Tensor& y = dataset.y;
  if (x.rank() != 2)
    throw ShapeError("train_test_split: x has shape " + shape_str(x.shape()) +
                     ", but must be [rows, features]");
  if (y.rank() != 1 || y.dim(0) != x.dim(0))
    throw ShapeError("train_test_split: y has shape " + shape_str(y.shape()) + ", but must be [" +
                     std::to_string(x.dim(0)) + "] to match x " + shape_str(x.shape()));
  const int64_t n = x.dim(0);
  const auto n_test = static_cast<int64_t>(std::ceil(t * static_cast<double>(n)));
  const int64_t n_train = n - n_test;
  if (n_test < 1 || n_train < 1) {
    std::ostringstream s;
    s << "train_test_split: argument 'test_size' is " << t << ", which puts " << n_test << " of "
      << n << " rows in the test part and " << n_train
      << " in the train part; both parts must be non-empty";
    throw InvalidArgument(s.str());
  }
  std::vector<int64_t> order;
  if (options.shuffle) {
    order = random_permutation(n, options.seed, split_stream);
    // scikit-learn's ShuffleSplit: the test part is the head of the permutation.
    return {take(dataset, order.data() + n_test, order.data() + n),
            take(dataset, order.data(), order.data() + n_test)};
  }
  order.resize(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  return {take(dataset, order.data(), order.data() + n_train),
          take(dataset, order.data() + n_train, order.data() + n)};
}

}  // namespace elbo::data
