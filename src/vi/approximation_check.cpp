#include "elbo/vi/approximation_check.hpp"

#include <algorithm>
#include <cmath>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/model/logp_program.hpp"
#include "elbo/model/row_data.hpp"

namespace elbo {

namespace {
constexpr uint64_t kCheckStream = 3;  // the fit uses streams 1 and 2 (src/vi/inference.cpp)
// Draws per program run: at most 256, at most 2^18 draw-rows, so that the program's
// per-sample buffers ([S, rows, width] for a network's layers) stay small on large data,
// and at most 48 MB of noise and draws (about 24 bytes per weight and draw).
int64_t draws_per_run(const Model& model, const Approximation& q) {
  int64_t rows = 1;
  for (const auto& v : model.observed_variables())
    if (!v.data.shape().empty()) rows = std::max(rows, v.data.shape()[0]);
  const int64_t by_memory = (int64_t{48} << 20) / std::max<int64_t>(1, 24 * q.noise_dim());
  return std::clamp<int64_t>(std::min((int64_t{1} << 18) / rows, by_memory), 1, 256);
}
// The rows of the row_data containers, run in chunks of at most kChunkBytes of values:
// about 16 bytes per value in float32 and 32 in float64 for each row and draw, the values
// of a row being the containers' columns and each weight matrix's columns (a network's
// units).
constexpr int64_t kChunkBytes = int64_t{96} << 20;

struct RowChunks {
  RowData data;
  int64_t values_per_row = 0;
};

RowChunks row_chunks(const Model& model, const std::vector<Expr>& row_data) {
  RowChunks c{row_data_of(model, row_data, "check_approximation")};
  for (const Tensor* t : c.data.sources) c.values_per_row += t->rank() == 2 ? t->dim(1) : 1;
  for (const FreeVariable& v : model.free_variables())
    if (v.shape.size() == 2) c.values_per_row += v.shape[1];
  return c;
}

}  // namespace

void approximation_check_draw(const Approximation& q, uint64_t seed, int64_t index, double* z) {
  if (index < 0) throw InvalidArgument("approximation_check_draw: argument 'index' is " + std::to_string(index));
  const int64_t E = q.noise_dim();
  std::vector<double> eps(static_cast<size_t>(E));
  Philox(seed).normal(eps.data(), E, kCheckStream, 0, index * E);
  q.sample_z(eps.data(), z, 1);
}

ApproximationCheck check_approximation(const Model& model, const Approximation& q,
                                       const ApproximationCheckOptions& options) {
  if (options.draws < 25)
    throw InvalidArgument("check_approximation: argument 'draws' is " + std::to_string(options.draws) +
                          ", but PSIS needs at least 25");
  if (q.dim() != model.flat_size())
    throw InvalidArgument("check_approximation: the approximation has dimension " + std::to_string(q.dim()) +
                          " but the model has " + std::to_string(model.flat_size()) + " free parameters");
  if (!q.has_density())
    throw InvalidArgument("check_approximation: the " + q.kind() + " approximation has no density (particles), so "
                          "no importance ratios and no PSIS k-hat");
  if (!model.batch_sources().empty())
    throw InvalidArgument("check_approximation: the model draws minibatches, so its log p is an estimate; "
                          "check the approximation against the model built on the full data");
  const int64_t D = q.dim(), E = q.noise_dim(), N = options.draws;
  LogpProgram logp(model, ProgramOptions{options.threads});
  const Philox rng(options.seed);
  ApproximationCheck out;
  out.draws = N;
  out.log_ratios.resize(static_cast<size_t>(N));
  std::vector<double> eps, z, logq;
  std::vector<float> z32;
  const int64_t chunk = draws_per_run(model, q);
  const RowChunks rows = row_chunks(model, options.row_data);
  const int64_t bytes_per_value = model.dtype() == DType::f32 ? 16 : 32;
  const int64_t chunk_rows =
      rows.data.inputs.empty() ? 1 : std::max<int64_t>(1, kChunkBytes / (chunk * bytes_per_value * rows.values_per_row));
  out.row_chunks = rows.data.inputs.empty() ? 1 : std::max<int64_t>(1, (rows.data.rows + chunk_rows - 1) / chunk_rows);
  std::vector<int64_t> row_index;
  std::vector<double> varlogp, datalogp;
  for (int64_t first = 0; first < N; first += chunk) {
    const int64_t S = std::min(chunk, N - first);
    eps.resize(static_cast<size_t>(S * E));
    z.resize(static_cast<size_t>(S * D));
    logq.resize(static_cast<size_t>(S));
    // Draw `first + s` is elements [(first + s) E, (first + s + 1) E) of one sequence.
    rng.normal(eps.data(), S * E, kCheckStream, 0, first * E);
    q.sample(eps.data(), z.data(), logq.data(), S);
    if (logp.samples() != S) logp.set_samples(S);
    if (model.dtype() == DType::f32) z32.assign(z.begin(), z.end());
    varlogp.assign(static_cast<size_t>(S), 0.0);
    datalogp.assign(static_cast<size_t>(S), 0.0);
    // The prior from the first chunk, the data's log p summed over the chunks in row order.
    for (int64_t begin = 0; begin == 0 || begin < rows.data.rows; begin += chunk_rows) {
      if (!rows.data.inputs.empty()) {
        const int64_t m = std::min(rows.data.rows, begin + chunk_rows) - begin;
        row_index.resize(static_cast<size_t>(m));
        for (int64_t k = 0; k < m; ++k) row_index[static_cast<size_t>(k)] = begin + k;
        for (size_t i = 0; i < rows.data.inputs.size(); ++i)
          logp.program().set_data_rows(rows.data.inputs[i], *rows.data.sources[i], row_index);
      }
      if (model.dtype() == DType::f32)
        logp.run<float>(z32.data(), nullptr);
      else
        logp.run<double>(z.data(), nullptr);
      for (int64_t s = 0; s < S; ++s) {
        if (begin == 0) varlogp[static_cast<size_t>(s)] = logp.varlogp(s);
        datalogp[static_cast<size_t>(s)] += logp.datalogp(s);
      }
      if (rows.data.inputs.empty()) break;
    }
    for (int64_t s = 0; s < S; ++s) {
      const double lp = varlogp[static_cast<size_t>(s)] + datalogp[static_cast<size_t>(s)];
      const double r = lp - logq[s];
      if (std::isnan(r) || r == INFINITY)
        throw NumericalError("check_approximation: the log importance ratio of draw " + std::to_string(first + s) +
                             " is " + std::to_string(r) + " (log p is " + std::to_string(lp) + ")");
      out.log_ratios[first + s] = r;
    }
  }
  double sum = 0;
  for (double r : out.log_ratios) sum += r;
  out.elbo = sum / static_cast<double>(N);
  out.psis = psis(out.log_ratios);
  return out;
}

}  // namespace elbo
