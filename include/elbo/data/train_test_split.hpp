#pragma once
// Random train/test partition of a data set, like sklearn.model_selection.train_test_split.
#include <cstdint>
#include <utility>

#include "elbo/data/dataset.hpp"
#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::data {

struct SplitOptions {
  double test_size = 0.25;  ///< fraction of rows in the test part, in (0, 1)
  uint64_t seed = 0;        ///< Philox key of the shuffle
  bool shuffle = true;      ///< false: train = first rows, test = last rows
};

/// Splits rows into {train, test}: n_test = ceil(test_size * N), n_train = N - n_test
/// (scikit-learn's rounding). With shuffle, test takes the first n_test entries of a random
/// permutation and train the rest, each in permutation order. Names are copied to both.
/// Throws InvalidArgument if test_size is not in (0, 1) or leaves either part empty, and
/// ShapeError if x is not [N, F] or y not [N].
std::pair<Dataset, Dataset> train_test_split(const Dataset& dataset,
                                             const SplitOptions& options = {});

}  // namespace elbo::data
ELBO_API_END
