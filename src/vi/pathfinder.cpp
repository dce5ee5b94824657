#include "elbo/vi/pathfinder.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/QR>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <limits>
#include <thread>

#include "elbo/graph/error.hpp"
#include "elbo/graph/random.hpp"
#include "elbo/vi/empirical.hpp"
#include "elbo/vi/full_rank.hpp"
#include "log_density.hpp"

namespace elbo {

namespace {

constexpr double kLog2Pi = 1.8378770664093454836;
using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
// Random streams: a path's start, its ELBO draws (counter = iteration), its final draws,
// the resampling.
constexpr uint64_t kStartStream = 20, kElboStream = 1 << 20, kDrawStream = 2 << 20, kResampleStream = 3 << 20;
// Up to this many parameters a single-path q is a FullRank (D (D + 1) / 2 numbers and a
// D x D factorisation); above, it is draws from the normal (Stan's output), as multi-path's.
constexpr int64_t kSinglePathMaxDim = 5000;

// The normal N(mu, H) at one point of the path, H = diag(alpha) + B M B^T, with what
// drawing from it needs: W = alpha^-1/2 B = Q R (thin), I + R M R^T = L L^T, so that
// mu + alpha^1/2 (u + Q (L - I) Q^T u) ~ N(mu, H) for u ~ N(0, I) and
// log det H = sum log alpha + 2 sum log L_ii (the paper's Algorithm 5).
struct PathNormal {
  Vector mu, alpha;
  Matrix B, M, Q, L;
  double logdet = 0;

  // Draws u [n, D] -> phi [n, D] and log q [n].
  void draw(const double* u, int64_t n, double* phi, double* logq) const {
    const int64_t D = mu.size();
    const Vector sqrt_alpha = alpha.array().sqrt();
    for (int64_t s = 0; s < n; ++s) {
      Eigen::Map<const Vector> us(u + s * D, D);
      Vector v = us;
      if (Q.cols() > 0) {
        const Vector t = Q.transpose() * us;
        v += Q * (L.triangularView<Eigen::Lower>() * t - t);
      }
      Eigen::Map<Vector> ph(phi + s * D, D);
      ph = mu + sqrt_alpha.cwiseProduct(v);
      logq[s] = -0.5 * static_cast<double>(D) * kLog2Pi - 0.5 * logdet - 0.5 * us.squaredNorm();
    }
  }
  // H as a dense matrix (single path's FullRank).
  Matrix dense() const {
    Matrix H = B * M * B.transpose();
    H.diagonal() += alpha;
    return 0.5 * (H + H.transpose());
  }
};

// The L-BFGS history (oldest first) and the diagonal estimate.
struct History {
  std::deque<Vector> S, Y;
  Vector alpha;
  int64_t rejected = 0;

  // s = x_l - x_{l-1}, y = grad f_l - grad f_{l-1} for f = -log p.
  void add(const Vector& s, const Vector& y, int J) {
    if (!(y.dot(s) > 1e-12 * y.squaredNorm())) {  // no positive curvature: H would lose definiteness
      ++rejected;
      return;
    }
    // Gilbert & Lemarechal (1989), eq. 4.9: the diagonal fitted to the newest pair.
    const double a = y.dot(alpha.cwiseProduct(y)), b = y.dot(s), c = s.dot(s.cwiseQuotient(alpha));
    for (int64_t i = 0; i < alpha.size(); ++i) {
      const double si = s(i) / alpha(i);
      const double v = b / (a / alpha(i) + y(i) * y(i) - (a / c) * si * si);
      if (std::isfinite(v) && v > 0) alpha(i) = v;
    }
    S.push_back(s);
    Y.push_back(y);
    if (static_cast<int>(S.size()) > J) {
      S.pop_front();
      Y.pop_front();
    }
  }

  // The normal at x with gradient gf of f = -log p (Byrd, Nocedal & Schnabel 1994, thm 2.2):
  // B = [alpha Y, S], R = triu(S^T Y), E = diag(S^T Y),
  // M = [[0, -R^-1], [-R^-T, R^-T (E + Y^T alpha Y) R^-1]]. False when I + R_q M R_q^T is
  // not positive definite.
  bool normal_at(const Vector& x, const Vector& gf, PathNormal& n) const {
    const int64_t D = x.size(), J = static_cast<int64_t>(S.size());
    n.alpha = alpha;
    n.B.resize(D, 2 * J);
    n.M.setZero(2 * J, 2 * J);
    for (int64_t j = 0; j < J; ++j) {
      n.B.col(j) = alpha.cwiseProduct(Y[j]);
      n.B.col(J + j) = S[j];
    }
    if (J > 0) {
      Matrix R = Matrix::Zero(J, J), YaY(J, J);
      for (int64_t i = 0; i < J; ++i)
        for (int64_t j = i; j < J; ++j) R(i, j) = S[i].dot(Y[j]);
      for (int64_t i = 0; i < J; ++i)
        for (int64_t j = 0; j < J; ++j) YaY(i, j) = Y[i].dot(n.B.col(j));
      Matrix Rinv = R.triangularView<Eigen::Upper>().solve(Matrix::Identity(J, J));
      Matrix inner = YaY;
      inner.diagonal() += R.diagonal();
      n.M.block(0, J, J, J) = -Rinv;
      n.M.block(J, 0, J, J) = -Rinv.transpose();
      n.M.block(J, J, J, J) = Rinv.transpose() * inner * Rinv;
    }
    // mu = x + H grad log p = x - H gf.
    n.mu = x - (alpha.cwiseProduct(gf) + n.B * (n.M * (n.B.transpose() * gf)));
    n.logdet = alpha.array().log().sum();
    if (J == 0) {
      n.Q.resize(D, 0);
      n.L.resize(0, 0);
      return n.mu.allFinite();
    }
    const Matrix W = alpha.array().rsqrt().matrix().asDiagonal() * n.B;
    Eigen::HouseholderQR<Matrix> qr(W);
    n.Q = qr.householderQ() * Matrix::Identity(D, std::min<int64_t>(D, 2 * J));
    const Matrix Rq = qr.matrixQR().topRows(std::min<int64_t>(D, 2 * J)).triangularView<Eigen::Upper>();
    Matrix inner = Matrix::Identity(Rq.rows(), Rq.rows()) + Rq * n.M * Rq.transpose();
    Eigen::LLT<Matrix> llt(0.5 * (inner + inner.transpose()));
    if (llt.info() != Eigen::Success) return false;
    n.L = llt.matrixL();
    n.logdet += 2 * n.L.diagonal().array().log().sum();
    return n.mu.allFinite() && std::isfinite(n.logdet);
  }
};

struct PathOutcome {
  PathfinderPath info;
  bool ok = false;
  PathNormal best;
  std::vector<double> log_ratios;  // multi-path: log p - log q of its draws_per_path draws
};

// Draw j of a path's best normal, as run_path made it (stream, counter 0, elements from j D).
void draw_of_path(const PathOutcome& p, const Philox& rng, int path, int64_t j, double* x) {
  const int64_t D = p.best.mu.size();
  std::vector<double> u(static_cast<size_t>(D));
  double lq = 0;
  rng.normal(u.data(), D, kDrawStream + static_cast<uint64_t>(path), 0, j * D);
  p.best.draw(u.data(), 1, x, &lq);
}

PathOutcome run_path(const Model& model, const PathfinderOptions& o, int path) {
  const int64_t D = model.flat_size();
  detail::LogDensity density(model, 1), elbo_density(model, 1);
  const Philox rng(o.seed);
  PathOutcome out;
  // The start: the path's given one, else uniform draws, redrawn (up to 100 times) while
  // log p or its gradient is not finite there.
  Vector x0(D);
  std::vector<double> g(static_cast<size_t>(D));
  double lp0 = NAN;
  bool start_ok = false;
  for (int attempt = 0; attempt < 100 && !start_ok; ++attempt) {
    if (static_cast<size_t>(path) < o.starts.size() && attempt == 0) {
      for (int64_t i = 0; i < D; ++i) x0(i) = o.starts[static_cast<size_t>(path)][i];
    } else {
      rng.uniform(x0.data(), D, kStartStream + static_cast<uint64_t>(path), static_cast<uint64_t>(attempt));
      x0 = (2 * x0.array() - 1) * o.init_radius;
    }
    density.run(1, x0.data(), &lp0, g.data());
    start_ok = std::isfinite(lp0) && std::all_of(g.begin(), g.end(), [](double v) { return std::isfinite(v); });
  }
  if (!start_ok) {
    out.info.stopped = "no start with a finite log p and gradient in 100 draws";
    return out;
  }

  auto objective = [&](std::span<const double> x, std::span<double> gf) {
    double lp = 0;
    density.run(1, x.data(), &lp, gf.data());
    for (double& v : gf) v = -v;
    const bool finite = std::isfinite(lp) && std::all_of(gf.begin(), gf.end(), [](double v) { return std::isfinite(v); });
    return finite ? -lp : std::numeric_limits<double>::infinity();
  };
  History h;
  h.alpha = Vector::Ones(D);
  Vector prev_x, prev_g;
  std::vector<double> u(static_cast<size_t>(o.elbo_draws * D)), phi(u.size()), lq(static_cast<size_t>(o.elbo_draws)),
      lp(lq.size());
  out.info.best_elbo = -std::numeric_limits<double>::infinity();
  // The same standard normal draws at every point of the path (common random numbers): the
  // ELBO estimates of the points then differ by the normals, not by the draws, and picking
  // the largest of many noisy estimates is much less biased.
  rng.normal(u.data(), o.elbo_draws * D, kElboStream + static_cast<uint64_t>(path), 0);
  PathNormal n;
  auto on_iterate = [&](const LbfgsIterate& it) {
    Eigen::Map<const Vector> x(it.x.data(), D), gf(it.grad.data(), D);
    if (it.iteration > 0) {
      h.add(x - prev_x, gf - prev_g, o.lbfgs.history);
      if (h.normal_at(x, gf, n)) {
        n.draw(u.data(), o.elbo_draws, phi.data(), lq.data());
        elbo_density.run(o.elbo_draws, phi.data(), lp.data(), nullptr);
        out.info.evaluations += o.elbo_draws;
        double elbo = 0;
        for (int64_t k = 0; k < o.elbo_draws; ++k) elbo += (lp[k] - lq[k]) / static_cast<double>(o.elbo_draws);
        if (std::isfinite(elbo) && elbo > out.info.best_elbo) {
          out.info.best_elbo = elbo;
          out.info.best_iteration = it.iteration;
          out.best = n;
          out.ok = true;
        }
      }
    }
    prev_x = x;
    prev_g = gf;
  };
  std::vector<double> start(x0.data(), x0.data() + D);
  LbfgsResult r;
  try {
    r = lbfgs_minimize(objective, start, o.lbfgs, on_iterate);
  } catch (const NumericalError& e) {  // this path fails; the others may not
    out.ok = false;
    out.info.stopped = e.what();
    return out;
  }
  out.info.iterations = r.iterations;
  out.info.evaluations += r.evaluations;
  out.info.rejected_updates = h.rejected;
  out.info.stopped = r.reason;
  if (out.ok) out.info.best_mean.assign(out.best.mu.data(), out.best.mu.data() + D);
  if (!out.ok || !o.make_q || (o.paths == 1 && D <= kSinglePathMaxDim)) return out;
  // Multi-path (or a single path's draws): draws from the best normal, in chunks, keeping
  // only their log importance ratios (the draws are made again afterwards: draw_of_path).
  const int64_t N = o.paths == 1 ? o.draws : o.draws_per_path;
  out.log_ratios.resize(static_cast<size_t>(N));
  constexpr int64_t kChunk = 64;
  std::vector<double> un(static_cast<size_t>(std::min(kChunk, N) * D)), xn(un.size()), lqn(kChunk), lpn(kChunk);
  for (int64_t s0 = 0; s0 < N; s0 += kChunk) {
    const int64_t m = std::min(kChunk, N - s0);
    rng.normal(un.data(), m * D, kDrawStream + static_cast<uint64_t>(path), 0, s0 * D);
    out.best.draw(un.data(), m, xn.data(), lqn.data());
    elbo_density.run(m, xn.data(), lpn.data(), nullptr);
    for (int64_t s = 0; s < m; ++s) {
      const double ratio = lpn[s] - lqn[s];
      out.log_ratios[s0 + s] = std::isnan(ratio) || ratio == INFINITY ? -INFINITY : ratio;  // weight 0
    }
  }
  out.info.evaluations += N;
  return out;
}

}  // namespace

PathfinderResampling pathfinder_resampling(const std::string& name) {
  if (name == "auto") return PathfinderResampling::automatic;
  if (name == "psis") return PathfinderResampling::psis;
  if (name == "pooled") return PathfinderResampling::pooled;
  throw InvalidArgument("fit_pathfinder: argument 'resampling' is '" + name + "', but must be auto, psis or pooled");
}

PathfinderFit fit_pathfinder(const Model& model, const PathfinderOptions& o) {
  if (o.paths < 1) throw InvalidArgument("fit_pathfinder: option 'paths' is " + std::to_string(o.paths) + ", but must be >= 1");
  if (o.elbo_draws < 1)
    throw InvalidArgument("fit_pathfinder: option 'elbo_draws' is " + std::to_string(o.elbo_draws) + ", but must be >= 1");
  if ((o.paths > 1 && o.draws_per_path < 1) || o.draws < 2)
    throw InvalidArgument("fit_pathfinder: options 'draws_per_path' (" + std::to_string(o.draws_per_path) + ") and 'draws' (" +
                          std::to_string(o.draws) + ") must be >= 1 and >= 2");
  if (o.paths > 1 && o.paths * o.draws_per_path < 25)
    throw InvalidArgument("fit_pathfinder: " + std::to_string(o.paths * o.draws_per_path) +
                          " pooled draws, but PSIS needs at least 25 (option 'draws_per_path')");
  if (!(o.init_radius > 0) || !std::isfinite(o.init_radius))
    throw InvalidArgument("fit_pathfinder: option 'init_radius' is " + std::to_string(o.init_radius) + ", but must be positive");
  if (o.threads < 1) throw InvalidArgument("fit_pathfinder: option 'threads' is " + std::to_string(o.threads) + ", but must be >= 1");
  if (!model.batch_sources().empty())
    throw InvalidArgument("fit_pathfinder: the model draws minibatches, so its log p is an estimate; Pathfinder needs "
                          "the model built on the full data");
  const int64_t D = model.flat_size();
  if (D == 0) throw InvalidArgument("fit_pathfinder: the model has no free variables");
  if (o.starts.size() > static_cast<size_t>(o.paths))
    throw InvalidArgument("fit_pathfinder: option 'starts' has " + std::to_string(o.starts.size()) + " starts for " +
                          std::to_string(o.paths) + " paths");
  for (size_t p = 0; p < o.starts.size(); ++p)
    if (o.starts[p].numel() != D)
      throw InvalidArgument("fit_pathfinder: option 'starts', start " + std::to_string(p) + " has " +
                            std::to_string(o.starts[p].numel()) + " values, but the model has " + std::to_string(D) +
                            " free parameters");

  // Paths on the threads, each into its own slot: the result does not depend on the order.
  std::vector<PathOutcome> outcomes(static_cast<size_t>(o.paths));
  std::atomic<int> next{0};
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (int p = next++; p < o.paths && !failed; p = next++) {
      try {
        outcomes[static_cast<size_t>(p)] = run_path(model, o, p);
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  };
  const int workers = std::min(o.threads, o.paths);
  {
    std::vector<std::jthread> pool;  // joined on leaving the block, also when starting one throws
    for (int t = 1; t < workers; ++t) pool.emplace_back(worker);
    worker();
  }
  if (error) std::rethrow_exception(error);

  PathfinderFit fit;
  for (const PathOutcome& p : outcomes) fit.paths.push_back(p.info);
  if (std::none_of(outcomes.begin(), outcomes.end(), [](const PathOutcome& p) { return p.ok; }))
    throw NumericalError("fit_pathfinder: no path found a normal with a finite ELBO (" + outcomes[0].info.stopped + ")");
  if (!o.make_q) return fit;

  if (o.paths == 1 && D > kSinglePathMaxDim) {
    // o.draws draws from the best normal, as they are (no resampling), and the PSIS of
    // their importance ratios.
    fit.psis = psis(outcomes[0].log_ratios);
    const Philox rng(o.seed);
    auto q = std::make_unique<Empirical>(std::vector<double>(static_cast<size_t>(D), 0.0), o.draws, 0.0, o.seed);
    for (int64_t s = 0; s < o.draws; ++s) draw_of_path(outcomes[0], rng, 0, s, q->params().data() + s * D);
    fit.q = std::move(q);
    return fit;
  }
  if (o.paths == 1) {
    const PathNormal& n = outcomes[0].best;
    Eigen::LLT<Matrix> llt(n.dense());
    if (llt.info() != Eigen::Success) throw NumericalError("fit_pathfinder: the best normal's covariance is not positive definite");
    const Matrix L = llt.matrixL();
    std::vector<double> mu(n.mu.data(), n.mu.data() + D);
    auto q = std::make_unique<FullRank>(mu);
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j <= i; ++j) q->set_cholesky(i, j, L(i, j));
    fit.q = std::move(q);
    return fit;
  }

  // Multi-path: pool the paths' draws (a failed path's draws weigh nothing) and smooth
  // their weights with PSIS; resample with replacement when asked, or when the k-hat says
  // the weights can be trusted, else keep every successful path's draws with equal weight.
  std::vector<double> ratios;
  for (const PathOutcome& p : outcomes) {
    if (p.ok)
      ratios.insert(ratios.end(), p.log_ratios.begin(), p.log_ratios.end());
    else
      ratios.insert(ratios.end(), static_cast<size_t>(o.draws_per_path), -INFINITY);
  }
  fit.psis = psis(ratios);
  fit.resampled = o.resampling == PathfinderResampling::psis ||
                  (o.resampling == PathfinderResampling::automatic && fit.psis->khat < kTrustedKhat);
  const Philox rng(o.seed);
  std::vector<double> mean(static_cast<size_t>(D), 0.0);
  auto q = std::make_unique<Empirical>(mean, o.draws, 0.0, o.seed);
  std::span<double> x = q->params();
  if (!fit.resampled) {
    // Draw s is path ok[s % n]'s draw s / n (wrapping past draws_per_path): the paths in
    // turn, so every one is represented equally at any o.draws.
    std::vector<int> ok;
    for (int p = 0; p < o.paths; ++p)
      if (outcomes[static_cast<size_t>(p)].ok) ok.push_back(p);
    const auto n = static_cast<int64_t>(ok.size());
    for (int64_t s = 0; s < o.draws; ++s) {
      const int path = ok[static_cast<size_t>(s % n)];
      draw_of_path(outcomes[static_cast<size_t>(path)], rng, path, (s / n) % o.draws_per_path, x.data() + s * D);
    }
    fit.q = std::move(q);
    return fit;
  }
  std::vector<double> cdf(ratios.size());
  double total = 0;
  for (size_t i = 0; i < ratios.size(); ++i) cdf[i] = total += std::exp(fit.psis->log_weights[i]);
  std::vector<double> u(static_cast<size_t>(o.draws));
  rng.uniform(u.data(), o.draws, kResampleStream, 0);
  for (int64_t s = 0; s < o.draws; ++s) {
    const size_t k = std::min<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u[s] * total) - cdf.begin(), cdf.size() - 1);
    const int path = static_cast<int>(k / static_cast<size_t>(o.draws_per_path));
    draw_of_path(outcomes[static_cast<size_t>(path)], rng, path, static_cast<int64_t>(k) % o.draws_per_path,
                 x.data() + s * D);
  }
  fit.q = std::move(q);
  return fit;
}

}  // namespace elbo
