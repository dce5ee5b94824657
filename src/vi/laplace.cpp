#include "elbo/vi/laplace.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <iterator>
#include <set>

#include "elbo/graph/error.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/kronecker_normal.hpp"
#include "elbo/vi/mean_field.hpp"
#include "log_density.hpp"

namespace elbo {

namespace {

constexpr double kLog2Pi = 1.8378770664093454836;
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
using Vector = Eigen::VectorXd;

using detail::LogDensity;

// The flat indices of the named free variables, in flat order; `what` names the option.
std::vector<int64_t> flat_indices(const Model& model, const std::vector<std::string>& names, const char* what) {
  std::set<int64_t> out;
  for (const std::string& name : names) {
    const FreeVariable* found = nullptr;
    for (const FreeVariable& v : model.free_variables())
      if (v.name == name || v.value_name == name) found = &v;
    if (!found) {
      std::string known;
      for (const FreeVariable& v : model.free_variables()) known += (known.empty() ? "" : ", ") + v.name;
      throw InvalidArgument(std::string("fit_laplace: option '") + what + "' names '" + name +
                            "', which is not a free variable of the model (" + known + ")");
    }
    for (int64_t i = 0; i < found->size; ++i) out.insert(found->offset + i);
  }
  return {out.begin(), out.end()};
}

int64_t data_rows(const Model& model) {
  int64_t rows = 1;
  for (const auto& v : model.observed_variables())
    if (!v.data.shape().empty()) rows = std::max(rows, v.data.shape()[0]);
  return rows;
}

// The Hessian of -log p at z over the coordinates `idx` (full: [n, n] in H; diag: the
// diagonal in d), by central differences of the gradient, many columns a run.
void hessian(LogDensity& density, const Model& model, std::span<const double> z, const std::vector<int64_t>& idx,
             bool full, Matrix& H, Vector& d, int64_t& evaluations) {
  const int64_t D = static_cast<int64_t>(z.size()), n = static_cast<int64_t>(idx.size());
  const double cbrt_eps = std::cbrt(model.dtype() == DType::f32 ? 1.1920929e-07 : 2.220446049250313e-16);
  // Columns per run: at most 128, and at most 2^17 column-rows so the program's per-sample
  // buffers stay small on large data (as the PSIS check's draws).
  const int64_t per_run = std::clamp<int64_t>((int64_t{1} << 17) / data_rows(model), 1, 128);
  if (full) H.resize(n, n);
  d.resize(n);
  std::vector<double> theta, grad, lp;
  for (int64_t c0 = 0; c0 < n; c0 += per_run) {
    const int64_t c = std::min(per_run, n - c0), S = 2 * c;
    theta.resize(static_cast<size_t>(S * D));
    grad.resize(theta.size());
    lp.resize(static_cast<size_t>(S));
    std::vector<double> h(static_cast<size_t>(c));
    for (int64_t k = 0; k < c; ++k) {
      const int64_t j = idx[static_cast<size_t>(c0 + k)];
      // A step that is exactly representable around z_j: (z + h) - z == h.
      volatile double up = z[j] + cbrt_eps * std::max(1.0, std::fabs(z[j]));
      h[k] = up - z[j];
      std::copy(z.begin(), z.end(), theta.begin() + 2 * k * D);
      std::copy(z.begin(), z.end(), theta.begin() + (2 * k + 1) * D);
      theta[static_cast<size_t>(2 * k * D + j)] = z[j] + h[k];
      theta[static_cast<size_t>((2 * k + 1) * D + j)] = z[j] - h[k];
    }
    density.run(S, theta.data(), lp.data(), grad.data());
    evaluations += S;
    for (int64_t k = 0; k < c; ++k) {
      const double* gp = grad.data() + 2 * k * D;
      const double* gm = gp + D;
      const int64_t col = c0 + k;
      if (full) {
        for (int64_t r = 0; r < n; ++r) H(r, col) = -(gp[idx[r]] - gm[idx[r]]) / (2 * h[k]);
      } else {
        const int64_t j = idx[static_cast<size_t>(col)];
        d(col) = -(gp[j] - gm[j]) / (2 * h[k]);
      }
      for (int64_t r = 0; r < n; ++r)
        if (!std::isfinite(gp[idx[r]]) || !std::isfinite(gm[idx[r]]))
          throw NumericalError("fit_laplace: the gradient is not finite next to the mode, at " +
                               model.describe_flat_index(idx[static_cast<size_t>(col)]) + " +- " +
                               std::to_string(h[k]));
    }
  }
  if (full) {
    H = (0.5 * (H + H.transpose())).eval();
    d = H.diagonal();
  }
}

// Maximises f over log lambda in [ln 1e-4, ln 1e4] relative to lambda0: a grid of 33
// points, then golden-section search around the best.
template <class F>
double maximise_log_lambda(F f, double lambda0) {
  const double lo = std::log(lambda0) - std::log(1e4), hi = std::log(lambda0) + std::log(1e4);
  const int n = 33;
  const double step = (hi - lo) / (n - 1);
  double best_u = std::log(lambda0), best = f(best_u);
  for (int i = 0; i < n; ++i) {
    const double u = lo + step * i, v = f(u);
    if (v > best) best = v, best_u = u;
  }
  double a = best_u - step, b = best_u + step;
  const double g = 0.5 * (std::sqrt(5.0) - 1);
  double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 30; ++it) {
    if (f1 > f2) {
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = f(x1);
    } else {
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = f(x2);
    }
  }
  const double u = f1 > f2 ? x1 : x2;
  return std::max(f1, f2) > best ? u : best_u;
}

// L with L L^T = A^-1, lower triangular: with P the reversal permutation, P A P = R R^T
// (R lower) gives A^-1 = P R^-T R^-1 P, and P R^-T P is lower triangular.
Matrix inverse_cholesky(const Matrix& A) {
  const Matrix reversed = A.reverse();
  Eigen::LLT<Matrix> llt(reversed);
  if (llt.info() != Eigen::Success) throw NumericalError("fit_laplace: the precision is not positive definite");
  Matrix Rinv = Matrix::Identity(A.rows(), A.cols());
  llt.matrixL().solveInPlace(Rinv);            // R^-1
  return Matrix(Rinv.transpose()).reverse();  // P R^-T P
}

// One Laplace fit: the mode (under o.map_prior_precisions when given), the curvature there,
// the precisions by the evidence and q.
LaplaceFit fit_once(const Model& model, const LaplaceOptions& o) {
  if (o.hessian != "full" && o.hessian != "diag" && o.hessian != "kron")
    throw InvalidArgument("fit_laplace: option 'hessian' is '" + o.hessian + "', but must be 'full', 'diag' or 'kron'");
  if (o.hessian == "kron" && !o.kronecker_factors)
    throw InvalidArgument("fit_laplace: option 'hessian' is 'kron', but option 'kronecker_factors' is not set (a "
                          "network's come from elbo/bnn/kronecker_factors.hpp)");
  if (!(o.prior_precision > 0) || !std::isfinite(o.prior_precision))
    throw InvalidArgument("fit_laplace: option 'prior_precision' is " + std::to_string(o.prior_precision) +
                          ", but must be positive and finite");
  if (!(o.min_precision > 0) || !std::isfinite(o.min_precision))
    throw InvalidArgument("fit_laplace: option 'min_precision' is " + std::to_string(o.min_precision) +
                          ", but must be positive and finite");
  if (!(o.fixed_sd > 0) || !std::isfinite(o.fixed_sd))
    throw InvalidArgument("fit_laplace: option 'fixed_sd' is " + std::to_string(o.fixed_sd) +
                          ", but must be positive and finite");
  if (!model.batch_sources().empty())
    throw InvalidArgument("fit_laplace: the model draws minibatches, so its log p is an estimate; the mode and "
                          "the Hessian need the model built on the full data");
  const int64_t D = model.flat_size();
  if (D == 0) throw InvalidArgument("fit_laplace: the model has no free variables");
  std::vector<int64_t> idx = o.subset.empty() ? std::vector<int64_t>{} : flat_indices(model, o.subset, "subset");
  if (o.subset.empty())
    for (int64_t i = 0; i < D; ++i) idx.push_back(i);
  // Tuned priors count only inside the subset: outside it the weights are fixed at the
  // mode and the evidence is the subset's (conditional) one, as laplace-torch's last-layer
  // marginal likelihood.
  std::vector<int64_t> tuned;
  {
    const std::vector<int64_t> named = flat_indices(model, o.tuned_prior, "tuned_prior");
    std::set_intersection(named.begin(), named.end(), idx.begin(), idx.end(), std::back_inserter(tuned));
  }
  const bool full = o.hessian == "full", kron = o.hessian == "kron";
  // The tuned coordinates' groups, each with its own precision: one group unless
  // prior_groups splits them (diag and kron only: there the evidence separates by group).
  std::vector<int> group_of(static_cast<size_t>(D), -1);
  for (int64_t j : tuned) group_of[j] = 0;
  int groups = tuned.empty() ? 0 : 1;
  if (!o.prior_groups.empty()) {
    if (full)
      throw InvalidArgument("fit_laplace: option 'prior_groups' needs hessian 'diag' or 'kron' (a full Hessian's "
                            "evidence does not separate by group)");
    std::fill(group_of.begin(), group_of.end(), -1);
    groups = static_cast<int>(o.prior_groups.size());
    const std::vector<int64_t> named = flat_indices(model, o.tuned_prior, "tuned_prior");
    for (int g = 0; g < groups; ++g) {
      int64_t members = 0;
      for (int64_t j : flat_indices(model, o.prior_groups[static_cast<size_t>(g)], "prior_groups")) {
        if (!std::binary_search(named.begin(), named.end(), j))
          throw InvalidArgument("fit_laplace: option 'prior_groups' names " + model.describe_flat_index(j) +
                                ", which is not in option 'tuned_prior'");
        if (!std::binary_search(tuned.begin(), tuned.end(), j)) continue;  // tuned, but outside the subset
        if (group_of[j] >= 0)
          throw InvalidArgument("fit_laplace: option 'prior_groups' puts " + model.describe_flat_index(j) +
                                " in two groups");
        group_of[j] = g;
        ++members;
      }
      if (members == 0)
        throw InvalidArgument("fit_laplace: option 'prior_groups' has a group (" + std::to_string(g) +
                              ") with no tuned coordinate inside the subset; the evidence could not choose its "
                              "precision");
    }
    for (int64_t j : tuned)
      if (group_of[j] < 0)
        throw InvalidArgument("fit_laplace: option 'prior_groups' leaves " + model.describe_flat_index(j) +
                              " of option 'tuned_prior' in no group");
  }
  // A full Gaussian over a contiguous part of the coordinates (a last layer) is one block of
  // a KroneckerNormal (rows = its size, one column): the others cost nothing. Otherwise q is a
  // FullRank, which holds D (D + 1) / 2 numbers for all D coordinates, the fixed ones included.
  const int64_t subset_size = static_cast<int64_t>(idx.size());
  const bool full_block = full && subset_size < D && idx.back() - idx.front() == subset_size - 1;
  if (full_block && subset_size > 20000)
    throw InvalidArgument("fit_laplace: option 'hessian' is 'full' over " + std::to_string(subset_size) +
                          " coordinates, a dense " + std::to_string(subset_size) + " x " +
                          std::to_string(subset_size) + " precision; use 'kron' or 'diag', or a smaller subset");
  if (full && !full_block && D > 20000)
    throw InvalidArgument("fit_laplace: option 'hessian' is 'full', but a full-rank q over the model's " +
                          std::to_string(D) + " parameters holds " + std::to_string(D * (D + 1) / 2) +
                          " numbers; use 'kron' or 'diag', or a contiguous subset (a layer)");

  LaplaceFit out;
  LogDensity density(model, o.threads);
  // The mode: minimise -log p (+inf where it is not finite, so the line search backs off).
  Tensor start = o.start ? *o.start : model.initial_point();
  if (start.numel() != D)
    throw InvalidArgument("fit_laplace: option 'start' has " + std::to_string(start.numel()) +
                          " values, but the model has " + std::to_string(D) + " free parameters");
  // The mode under other prior precisions of the tuned variables: -log p plus
  // 1/2 (lambda_map - prior_precision) |w|^2 over each group's coordinates.
  std::vector<double> shift(static_cast<size_t>(D), 0.0);
  if (!o.map_prior_precisions.empty()) {
    if (tuned.empty())
      throw InvalidArgument("fit_laplace: option 'map_prior_precisions' is given, but no prior is tuned (option "
                            "'tuned_prior' inside the subset)");
    if (o.map_prior_precisions.size() != static_cast<size_t>(std::max(groups, 1)))
      throw InvalidArgument("fit_laplace: option 'map_prior_precisions' has " +
                            std::to_string(o.map_prior_precisions.size()) + " values, but there are " +
                            std::to_string(std::max(groups, 1)) + " prior groups");
    for (double v : o.map_prior_precisions)
      if (!(v > 0) || !std::isfinite(v))
        throw InvalidArgument("fit_laplace: option 'map_prior_precisions' holds " + std::to_string(v) +
                              ", but every value must be positive and finite");
    for (int64_t j : tuned) shift[j] = o.map_prior_precisions[static_cast<size_t>(group_of[j])] - o.prior_precision;
  }
  double lp = 0;
  auto objective = [&](std::span<const double> x, std::span<double> g) {
    density.run(1, x.data(), &lp, g.data());
    double penalty = 0;
    for (int64_t j = 0; j < D; ++j) {
      g[j] = -g[j] + shift[j] * x[j];
      penalty += 0.5 * shift[j] * x[j] * x[j];
    }
    const bool finite = std::isfinite(lp) && std::all_of(g.begin(), g.end(), [](double v) { return std::isfinite(v); });
    return finite ? -lp + penalty : std::numeric_limits<double>::infinity();
  };
  const std::vector<double> x0 = start.to_vector();
  out.map = lbfgs_minimize(objective, x0, o.map);
  const std::vector<double>& z = out.map.x;
  // log p (with the model's own priors) at the mode.
  std::vector<double> grad_at_mode(static_cast<size_t>(D));
  density.run(1, z.data(), &lp, grad_at_mode.data());
  const double logp_mode = lp;
  out.map.value = -logp_mode;

  // kron: the factors' blocks inside the subset, each factor's eigenvalues and vectors;
  // the subset's other coordinates take the diagonal.
  std::vector<char> is_tuned(static_cast<size_t>(D), 0);
  for (int64_t j : tuned) is_tuned[j] = 1;
  struct Block {
    KroneckerBlock at;
    Eigen::SelfAdjointEigenSolver<Matrix> a, g;
  };
  std::vector<Block> blocks;
  std::vector<int64_t> rest = idx;  // the coordinates the finite differences estimate
  if (kron) {
    std::vector<char> in_subset(static_cast<size_t>(D), 0), in_block(static_cast<size_t>(D), 0);
    for (int64_t j : idx) in_subset[j] = 1;
    for (const KroneckerFactors& f : o.kronecker_factors(z)) {
      const KroneckerBlock& b = f.block;
      const int64_t size = b.rows * b.cols;
      if (b.offset < 0 || b.rows < 1 || b.cols < 1 || b.offset + size > D ||
          static_cast<int64_t>(f.a.size()) != b.rows * b.rows || static_cast<int64_t>(f.g.size()) != b.cols * b.cols)
        throw InvalidArgument("fit_laplace: option 'kronecker_factors' gave a block at " + std::to_string(b.offset) +
                              " of " + std::to_string(b.rows) + " x " + std::to_string(b.cols) +
                              " whose place or factors do not fit the model's " + std::to_string(D) + " coordinates");
      if (!std::all_of(in_subset.begin() + b.offset, in_subset.begin() + b.offset + size, [](char c) { return c; }))
        continue;
      if (!std::all_of(is_tuned.begin() + b.offset, is_tuned.begin() + b.offset + size, [](char c) { return c; }))
        throw InvalidArgument("fit_laplace: hessian 'kron': the block at " + model.describe_flat_index(b.offset) +
                              " is not in option 'tuned_prior' (the factors hold the likelihood's curvature; the "
                              "prior's N(0, 1 / sqrt(prior_precision)) is added to them)");
      if (std::any_of(group_of.begin() + b.offset, group_of.begin() + b.offset + size,
                      [&](int g) { return g != group_of[b.offset]; }))
        throw InvalidArgument("fit_laplace: option 'prior_groups' splits the Kronecker block at " +
                              model.describe_flat_index(b.offset) + " (a layer's weights and bias share one precision)");
      for (int64_t j = b.offset; j < b.offset + size; ++j) {
        if (in_block[j]) throw InvalidArgument("fit_laplace: option 'kronecker_factors' gave overlapping blocks");
        in_block[j] = 1;
      }
      auto factor = [](const std::vector<double>& v, int64_t k) {
        Matrix m = Eigen::Map<const Matrix>(v.data(), k, k);  // symmetric: the layout does not matter
        return Eigen::SelfAdjointEigenSolver<Matrix>(0.5 * (m + m.transpose()));
      };
      blocks.push_back({b, factor(f.a, b.rows), factor(f.g, b.cols)});
    }
    std::sort(blocks.begin(), blocks.end(), [](const Block& x, const Block& y) { return x.at.offset < y.at.offset; });
    rest.clear();
    for (int64_t j : idx)
      if (!in_block[j]) rest.push_back(j);
  }
  // The likelihood's curvature of a block's eigen-direction (i, j): the product of the
  // factors' eigenvalues, each at least 0 (they are positive semi-definite up to rounding).
  auto block_curvature = [](const Block& b, int64_t i, int64_t j) {
    return std::max(b.a.eigenvalues()(i), 0.0) * std::max(b.g.eigenvalues()(j), 0.0);
  };
  const int64_t n = static_cast<int64_t>(rest.size());
  Matrix H;
  Vector d;
  hessian(density, model, z, rest, full, H, d, out.gradient_evaluations);

  // Prior precision: H = H_lik + lambda0 on the tuned coordinates; the evidence as a
  // function of lambda (the mode fixed).
  std::vector<int64_t> tuned_in_subset;  // positions within rest
  for (int64_t k = 0; k < n; ++k)
    if (is_tuned[rest[k]]) tuned_in_subset.push_back(k);
  std::vector<double> sum_sq(static_cast<size_t>(groups), 0.0), P(static_cast<size_t>(groups), 0.0);
  for (int64_t j : tuned) {
    sum_sq[static_cast<size_t>(group_of[j])] += z[j] * z[j];
    P[static_cast<size_t>(group_of[j])] += 1;
  }
  const double lambda0 = o.prior_precision;
  using Precisions = std::vector<double>;  // one per group
  auto prior_part = [&](const Precisions& lambda) {
    double sum = 0;
    for (size_t g = 0; g < lambda.size(); ++g)
      sum += -0.5 * lambda[g] * sum_sq[g] + 0.5 * P[g] * (std::log(lambda[g]) - kLog2Pi);
    return sum;
  };
  const Precisions given(static_cast<size_t>(groups), lambda0);
  const double logp_rest = logp_mode - prior_part(given);
  for (int64_t k : tuned_in_subset) {
    if (full)
      H(k, k) -= lambda0;
    else
      d(k) -= lambda0;
  }
  // H (or d) now holds the likelihood's (and the untuned priors') part. For the search
  // over lambda, log det(H + lambda E) from eigenvalues computed once: with T the tuned and
  // U the untuned coordinates of the subset, det = det(H_UU) det(S + lambda I) for the
  // Schur complement S = H_TT - H_TU H_UU^-1 H_UT (exact when nothing needs raising).
  // The floor of the precision's eigenvalues: at least the tuned prior's precision, the
  // curvature of a direction the data say nothing about (an exact mode has H >= it there).
  auto floor_of = [&](double lambda) { return tuned.empty() ? o.min_precision : std::max(o.min_precision, lambda); };
  Vector tuned_eigen, untuned_eigen;  // full: eigenvalues of S and of H_UU
  if (full) {
    std::vector<int64_t> T = tuned_in_subset, U;
    std::vector<char> in_t(static_cast<size_t>(n), 0);
    for (int64_t k : T) in_t[k] = 1;
    for (int64_t k = 0; k < n; ++k)
      if (!in_t[k]) U.push_back(k);
    Matrix HUU(U.size(), U.size()), HTU(T.size(), U.size()), HTT(T.size(), T.size());
    for (size_t a = 0; a < U.size(); ++a)
      for (size_t b = 0; b < U.size(); ++b) HUU(a, b) = H(U[a], U[b]);
    for (size_t a = 0; a < T.size(); ++a) {
      for (size_t b = 0; b < U.size(); ++b) HTU(a, b) = H(T[a], U[b]);
      for (size_t b = 0; b < T.size(); ++b) HTT(a, b) = H(T[a], T[b]);
    }
    Matrix S = HTT;
    if (!U.empty()) {
      Eigen::SelfAdjointEigenSolver<Matrix> eu(HUU);
      untuned_eigen = eu.eigenvalues();
      if (!T.empty()) {
        const Vector inv = eu.eigenvalues().cwiseMax(o.min_precision).cwiseInverse();
        const Matrix W = HTU * eu.eigenvectors();
        S -= W * inv.asDiagonal() * W.transpose();
      }
    }
    if (!T.empty()) tuned_eigen = Eigen::SelfAdjointEigenSolver<Matrix>(0.5 * (S + S.transpose()), Eigen::EigenvaluesOnly).eigenvalues();
  }
  auto logdet = [&](const Precisions& lambdas, int64_t* raised) {
    // full has one group (prior_groups refused): lambda and floor are its.
    const double lambda = lambdas.empty() ? lambda0 : lambdas[0], floor = floor_of(lambda);
    double s = 0;
    int64_t k = 0;
    auto add = [&](double v, double at_least) {
      if (!(v >= at_least)) ++k;
      s += std::log(std::max(v, at_least));
    };
    if (!full) {
      for (int64_t i = 0; i < n; ++i) {
        const int g = group_of[rest[i]];
        if (g < 0)
          add(d(i), o.min_precision);
        else
          add(d(i) + lambdas[g], floor_of(lambdas[g]));
      }
    } else {
      for (int64_t i = 0; i < untuned_eigen.size(); ++i) add(untuned_eigen(i), o.min_precision);
      for (int64_t i = 0; i < tuned_eigen.size(); ++i) add(tuned_eigen(i) + lambda, floor);
    }
    for (const Block& b : blocks) {
      const double lb = lambdas[group_of[b.at.offset]];
      for (int64_t i = 0; i < b.at.rows; ++i)
        for (int64_t j = 0; j < b.at.cols; ++j) add(block_curvature(b, i, j) + lb, floor_of(lb));
    }
    if (raised) *raised = k;
    return s;
  };
  auto evidence = [&](const Precisions& lambda, int64_t* raised) {
    return logp_rest + prior_part(lambda) + 0.5 * static_cast<double>(idx.size()) * kLog2Pi -
           0.5 * logdet(lambda, raised);
  };
  // Each group's precision in turn; the groups' terms separate (diag, kron), so one pass is
  // the joint maximum.
  Precisions lambdas = given;
  for (size_t g = 0; g < lambdas.size(); ++g) {
    Precisions trial = lambdas;
    lambdas[g] = std::exp(maximise_log_lambda(
        [&](double u) {
          trial[g] = std::exp(u);
          return evidence(trial, nullptr);
        },
        lambda0));
  }
  const double lambda = lambdas.empty() ? lambda0 : lambdas[0];
  out.prior_precision = lambda;
  out.prior_precisions = lambdas;
  out.log_evidence = evidence(lambdas, &out.raised);

  // The precision at the chosen lambdas, raised where needed, and q.
  for (int64_t k : tuned_in_subset) {
    if (full)
      H(k, k) += lambda;
    else
      d(k) += lambdas[group_of[rest[k]]];
  }
  const double floor = floor_of(lambda);
  // The floor of coordinate j's precision: its group's prior precision, or min_precision.
  auto floor_at = [&](int64_t j) { return group_of[j] < 0 ? o.min_precision : floor_of(lambdas[group_of[j]]); };
  if (kron) {
    std::vector<KroneckerBlock> places;
    for (const Block& b : blocks) places.push_back(b.at);
    auto q = std::make_unique<KroneckerNormal>(z, places);
    for (int64_t i = 0; i < D; ++i) q->set_scale(i, o.fixed_sd);
    for (int64_t k = 0; k < n; ++k) q->set_scale(rest[k], 1.0 / std::sqrt(std::max(d(k), floor_at(rest[k]))));
    for (size_t k = 0; k < blocks.size(); ++k) {
      const Block& b = blocks[k];
      for (int64_t i = 0; i < b.at.rows; ++i)
        for (int64_t j = 0; j < b.at.cols; ++j)
          q->set_scale(b.at.offset + i * b.at.cols + j,
                       1.0 / std::sqrt(std::max(block_curvature(b, i, j) + lambdas[group_of[b.at.offset]],
                                                floor_at(b.at.offset))));
      // Row-major copies of the eigenvector matrices (column i is eigenvector i).
      auto row_major = [](const Matrix& m) {
        std::vector<double> v(static_cast<size_t>(m.size()));
        for (int64_t r = 0; r < m.rows(); ++r)
          for (int64_t c = 0; c < m.cols(); ++c) v[static_cast<size_t>(r * m.cols() + c)] = m(r, c);
        return v;
      };
      q->set_factors(k, row_major(b.a.eigenvectors()), row_major(b.g.eigenvectors()));
    }
    out.kronecker_blocks = static_cast<int64_t>(blocks.size());
    out.q = std::move(q);
    return out;
  }
  if (!full) {
    std::vector<double> sd(static_cast<size_t>(D), o.fixed_sd);
    for (int64_t k = 0; k < n; ++k) sd[rest[k]] = 1.0 / std::sqrt(std::max(d(k), floor_at(rest[k])));
    out.q = std::make_unique<MeanField>(z, sd);
    return out;
  }
  if (full_block) {
    // Cov = V diag(1 / max(e, floor)) V^T from H's eigenvalues e and eigenvectors V: one
    // KroneckerNormal block [n, 1] with QA = V, QG = 1.
    const Eigen::SelfAdjointEigenSolver<Matrix> eig(H);
    auto q = std::make_unique<KroneckerNormal>(z, std::vector<KroneckerBlock>{{rest.front(), n, 1}});
    for (int64_t i = 0; i < D; ++i) q->set_scale(i, o.fixed_sd);
    out.raised = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double e = eig.eigenvalues()(i);
      out.raised += e < floor;
      q->set_scale(rest.front() + i, 1.0 / std::sqrt(std::max(e, floor)));
    }
    std::vector<double> v(static_cast<size_t>(n * n));
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < n; ++c) v[static_cast<size_t>(r * n + c)] = eig.eigenvectors()(r, c);
    q->set_factors(0, v, std::vector<double>{1.0});
    out.q = std::move(q);
    return out;
  }
  // Every eigenvalue above the floor exactly when H - floor I has a Cholesky factor; else
  // raise those below it (and count them).
  Matrix shifted = H;
  shifted.diagonal().array() -= floor;
  out.raised = 0;
  if (Eigen::LLT<Matrix>(shifted).info() != Eigen::Success) {
    Eigen::SelfAdjointEigenSolver<Matrix> eig(H);
    Vector v = eig.eigenvalues();
    for (int64_t i = 0; i < v.size(); ++i) out.raised += v(i) < floor;
    v = v.cwiseMax(floor);
    H = eig.eigenvectors() * v.asDiagonal() * eig.eigenvectors().transpose();
    H = (0.5 * (H + H.transpose())).eval();
  }
  const Matrix L = inverse_cholesky(H);
  auto q = std::make_unique<FullRank>(z);
  for (int64_t i = 0; i < D; ++i) q->set_cholesky(i, i, o.fixed_sd);
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b <= a; ++b) q->set_cholesky(rest[a], rest[b], L(a, b));
  out.q = std::move(q);
  return out;
}

}  // namespace

LaplaceFit fit_laplace(const Model& model, const LaplaceOptions& o) {
  if (o.evidence_iterations < 0)
    throw InvalidArgument("fit_laplace: option 'evidence_iterations' is " + std::to_string(o.evidence_iterations) +
                          ", but must be >= 0");
  if (o.evidence_iterations > 0 && o.tuned_prior.empty())
    throw InvalidArgument("fit_laplace: option 'evidence_iterations' is " + std::to_string(o.evidence_iterations) +
                          ", but option 'tuned_prior' is empty: there is no precision to choose");
  LaplaceFit fit = fit_once(model, o);
  if (o.evidence_iterations > 0 && fit.prior_precisions.empty())
    throw InvalidArgument("fit_laplace: option 'evidence_iterations' is " + std::to_string(o.evidence_iterations) +
                          ", but no prior is tuned (option 'tuned_prior' inside the subset)");
  LaplaceOptions next = o;
  int64_t iterations = fit.map.iterations, evaluations = fit.map.evaluations;
  for (int i = 0; i < o.evidence_iterations && !fit.prior_precisions.empty(); ++i) {
    // MacKay's evidence framework: the mode again under the chosen precisions, from the last
    // mode, and the precisions chosen again there; stop when none moves by 1 %.
    next.map_prior_precisions = fit.prior_precisions;
    next.start = Tensor(DType::f64, {static_cast<int64_t>(fit.map.x.size())}, fit.map.x);
    LaplaceFit refit = fit_once(model, next);
    iterations += refit.map.iterations;
    evaluations += refit.map.evaluations;
    bool moved = false;
    for (size_t g = 0; g < refit.prior_precisions.size(); ++g)
      moved = moved || std::fabs(std::log(refit.prior_precisions[g] / fit.prior_precisions[g])) > 0.01;
    refit.evidence_iterations = i + 1;
    fit = std::move(refit);
    if (!moved) break;
  }
  fit.map.iterations = iterations;
  fit.map.evaluations = evaluations;
  return fit;
}

}  // namespace elbo
