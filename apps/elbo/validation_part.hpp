#pragma once
// A validation part of the training rows, for the choices `elbo fit` makes from the
// training data alone (--beta auto): which rows are held out, and how well a fitted
// approximation predicts them (the mean log predictive density, as `elbo evaluate`'s mlpd).
#include <cstdint>
#include <span>
#include <vector>

#include "elbo/graph/tensor.hpp"
#include "elbo/vi/approximation.hpp"
#include "network_file.hpp"

namespace elbo::cli {

/// The training rows cut in two: the rows the candidate fits see and the rows that score
/// them, each in increasing order.
struct ValidationSplit {
  std::vector<int64_t> fit_rows, validation_rows;
};

/// round(fraction x rows) rows held out, chosen uniformly at random by a seeded shuffle: a
/// pure function of (rows, fraction, seed) on every platform. With `labels` (a classifier's
/// targets, one class label a row) the split is stratified: round(fraction x its rows) of
/// each class are held out, the first of that class in the same shuffled order.
ValidationSplit split_for_validation(int64_t rows, double fraction, uint64_t seed,
                                     std::span<const double> labels = {});

/// The mean log predictive density of `q` (an approximation of `spec`'s network) at raw
/// `features` [rows, F] against targets `y` in the target's units, from `draws` posterior
/// draws: the mlpd `elbo evaluate` reports for a model file of this network and q.
double validation_mlpd(const NetworkSpec& spec, const Approximation& q, const Tensor& features,
                       std::span<const double> y, int64_t draws, uint64_t seed, int threads);

}  // namespace elbo::cli
