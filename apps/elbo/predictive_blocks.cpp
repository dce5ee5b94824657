#include "predictive_blocks.hpp"

#include <algorithm>
#include <system_error>
#include <thread>

namespace elbo::cli {

int64_t predictive_block_rows(const LoadedNetwork& n, int64_t columns, int64_t draws) {
  const bool probit = n.spec.predictive == "probit";
  const int64_t outputs = n.spec.likelihood->outputs();
  const int64_t per_row_draws = (probit ? 1 : draws) * outputs * 8;
  const int64_t per_row_data = 4 * 8 * std::max<int64_t>(1, columns);
  const int64_t rows = std::max<int64_t>(1, std::min(kPredictiveBlockBytes / per_row_draws, kDataBlockBytes / per_row_data));
  if (probit) return rows;
  // A whole number of the predictive's runs of rows, when a block holds one or more.
  const Model& model = n.linearized_model ? *n.linearized_model : *n.model;
  const int64_t run = predictive_rows_per_run(model, *n.q, n.spec.feature_count(), outputs, draws);
  return rows >= run ? rows / run * run : rows;
}

std::vector<PredictiveDraws> predictive_parts(const LoadedNetwork& n, const Tensor& features, int64_t draws,
                                              uint64_t seed, int threads, std::vector<int64_t>& first) {
  PredictiveDraws all = predictive_draws(n, features, draws, seed, threads);
  const int64_t R = all.rows, S = all.draws, K = all.outputs;
  const int64_t count = std::clamp<int64_t>(threads, 1, std::max<int64_t>(1, R));
  std::vector<PredictiveDraws> parts(static_cast<size_t>(count));
  first.assign(static_cast<size_t>(count), 0);
  for (int64_t p = 0; p < count; ++p) {
    const int64_t begin = R * p / count, end = R * (p + 1) / count;
    PredictiveDraws& part = parts[static_cast<size_t>(p)];
    part.draws = S;
    part.rows = end - begin;
    part.outputs = K;
    part.parameters = all.parameters;
    part.output.resize(static_cast<size_t>(S * part.rows * K));
    for (int64_t s = 0; s < S; ++s)
      std::copy_n(all.output.begin() + (s * R + begin) * K, part.rows * K,
                  part.output.begin() + s * part.rows * K);
    first[static_cast<size_t>(p)] = begin;
  }
  return parts;
}

void run_each_on_a_thread(size_t tasks, const std::function<void(size_t)>& task) {
  std::vector<std::exception_ptr> errors(tasks);
  auto run = [&](size_t i) {
    try {
      task(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  std::vector<std::thread> others;
  others.reserve(tasks);
  size_t started = 1;
  try {
    for (; started < tasks; ++started) others.emplace_back(run, started);
  } catch (const std::system_error&) {
    // No more threads to be had: the tasks not started run here, one after another.
  }
  for (size_t i = started; i < tasks; ++i) run(i);
  if (tasks > 0) run(0);
  for (std::thread& t : others) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

PredictionTable prediction_table(const LoadedNetwork& n, const Tensor& features, int64_t draws, uint64_t seed,
                                 double level, int threads) {
  const int64_t rows = features.dim(0), block = predictive_block_rows(n, features.dim(1), draws);
  if (rows == 0) return n.spec.likelihood->predictions(predictive_draws(n, features, draws, seed, threads), level);
  PredictionTable all;
  for (int64_t begin = 0; begin < rows; begin += block) {
    auto predict = [&](int64_t, const PredictiveDraws& d) { return n.spec.likelihood->predictions(d, level); };
    for (PredictionTable& part :
         summarize_predictive(n, features.rows(begin, std::min(rows, begin + block)), draws, seed, threads, predict)) {
      if (all.columns.empty()) all.columns = std::move(part.columns);
      all.values.insert(all.values.end(), part.values.begin(), part.values.end());
    }
  }
  return all;
}

}  // namespace elbo::cli
