#include "validation_part.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "elbo/bnn/metric.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "predictive_blocks.hpp"

namespace elbo::cli {

ValidationSplit split_for_validation(int64_t rows, double fraction, uint64_t seed, std::span<const double> labels) {
  const int64_t held = std::clamp<int64_t>(std::llround(fraction * static_cast<double>(rows)), 0, rows);
  std::vector<int64_t> order(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) order[static_cast<size_t>(r)] = r;
  // Fisher-Yates on Philox words (two per swap: a 64-bit draw, so the modulo's bias is at
  // most rows / 2^64).
  std::vector<uint32_t> words(static_cast<size_t>(2 * std::max<int64_t>(rows, 1)));
  Philox(seed).bits(words.data(), static_cast<int64_t>(words.size()), /*stream=*/0, /*counter=*/0);
  for (int64_t i = rows - 1; i > 0; --i) {
    const uint64_t w = (uint64_t{words[static_cast<size_t>(2 * i)]} << 32) | words[static_cast<size_t>(2 * i + 1)];
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(w % static_cast<uint64_t>(i + 1))]);
  }
  ValidationSplit s;
  if (labels.empty()) {
    s.validation_rows.assign(order.begin(), order.begin() + held);
    s.fit_rows.assign(order.begin() + held, order.end());
  } else {
    if (static_cast<int64_t>(labels.size()) != rows)
      throw InvalidArgument("split_for_validation: " + std::to_string(labels.size()) + " labels for " +
                            std::to_string(rows) + " rows");
    std::map<double, int64_t> quota;  // each class's rows, then how many of them to hold out
    for (double c : labels) ++quota[c];
    for (auto& [c, n] : quota) n = std::llround(fraction * static_cast<double>(n));
    for (int64_t r : order) {
      int64_t& left = quota[labels[static_cast<size_t>(r)]];
      (left > 0 ? s.validation_rows : s.fit_rows).push_back(r);
      if (left > 0) --left;
    }
  }
  std::sort(s.validation_rows.begin(), s.validation_rows.end());
  std::sort(s.fit_rows.begin(), s.fit_rows.end());
  return s;
}

double validation_mlpd(const NetworkSpec& spec, const Approximation& q, const Tensor& features,
                       std::span<const double> y, int64_t draws, uint64_t seed, int threads) {
  // The network as load_network rebuilds it from a model file (a step method's file has no
  // linearised predictive), with q in place of the file's approximation.
  LoadedNetwork n;
  n.spec = spec;
  rebuild_network(n);
  n.q = q.clone();
  const int64_t F = spec.feature_count();
  const Likelihood& likelihood = *spec.likelihood;
  MetricSums sums(likelihood);
  constexpr double kLevel = 0.94;  // coverage's interval: not read here
  // Block by block of rows, as `elbo evaluate` reads a file (bounded memory, docs/CLI.md).
  const int64_t rows = features.dim(0), block = predictive_block_rows(n, F + 1, draws);
  std::vector<int64_t> index;
  for (int64_t begin = 0; begin < rows; begin += block) {
    const int64_t end = std::min(rows, begin + block);
    index.resize(static_cast<size_t>(end - begin));
    for (int64_t r = begin; r < end; ++r) index[static_cast<size_t>(r - begin)] = r;
    const std::span<const double> block_y = y.subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
    for (const MetricRows& part : summarize_predictive(n, features.gather_rows(index), draws, seed, threads,
                                                      [&](int64_t first, const PredictiveDraws& d) {
                                                        return metric_rows(likelihood, d, block_y.subspan(first, d.rows),
                                                                           kLevel);
                                                      }))
      sums.add(part);
  }
  return sums.metrics(kLevel).mlpd;
}

}  // namespace elbo::cli
