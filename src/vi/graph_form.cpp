#include "elbo/vi/graph_form.hpp"

#include <algorithm>

#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/graph_family.hpp"
#include "elbo/vi/mean_field.hpp"
#include "softplus.hpp"

namespace elbo {

namespace {

using detail::kHalfLog2Pi;

std::vector<double> part(std::span<const double> p, int64_t begin, int64_t n) {
  return {p.begin() + begin, p.begin() + begin + n};
}

// z = mu + softplus(rho) eps;  log q(z) = sum log N(z; mu, softplus(rho)) with the direct
// (scaled) parameters.
class MeanFieldGraph final : public GraphFamily {
 public:
  explicit MeanFieldGraph(const MeanField& q)
      : GraphFamily(q.dim(), q.dim(),
                    {{"mu", {q.dim()}, part(q.params(), 0, q.dim()), true},
                     {"rho", {q.dim()}, part(q.params(), q.dim(), q.dim()), true}}) {}
  std::string kind() const override { return "meanfield"; }
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<MeanFieldGraph>(*this); }

 protected:
  FamilyExpressions build(Graph&, Expr eps, std::span<const Expr> theta, std::span<const Expr> direct) const override {
    Expr z = theta[0] + softplus(theta[1]) * eps;
    Expr sigma = softplus(direct[1]);
    Expr r = (z - direct[0]) / sigma;
    Expr logq = sum(-0.5 * square(r) - log(sigma)) - static_cast<double>(dim()) * kHalfLog2Pi;
    return {z, logq};
  }
};

// z = mu + L eps with L's packed lower triangle (softplus on the diagonal);
// log q(z) = -|L^-1 (z - mu)|^2 / 2 - sum log diag L - D log sqrt(2 pi).
class FullRankGraph final : public GraphFamily {
 public:
  explicit FullRankGraph(const FullRank& q)
      : GraphFamily(q.dim(), q.dim(),
                    {{"mu", {q.dim()}, part(q.params(), 0, q.dim()), true},
                     {"L", {packed(q.dim())}, part(q.params(), q.dim(), packed(q.dim())), false}}) {}
  std::string kind() const override { return "fullrank"; }
  std::unique_ptr<Approximation> clone() const override { return std::make_unique<FullRankGraph>(*this); }

 protected:
  static int64_t packed(int64_t d) { return d * (d + 1) / 2; }
  FamilyExpressions build(Graph& g, Expr eps, std::span<const Expr> theta, std::span<const Expr> direct) const override {
    const int64_t D = dim(), P = packed(D);
    Tensor diag_mask(DType::f64, {P}), index(DType::f64, {D * D}), diag_index(DType::f64, {D});
    for (int64_t i = 0; i < D; ++i) {
      diag_mask.set(i * (i + 1) / 2 + i, 1.0);
      diag_index.set(i, static_cast<double>(i * (i + 1) / 2 + i));
      for (int64_t j = 0; j < D; ++j)
        index.set(i * D + j, static_cast<double>(j <= i ? i * (i + 1) / 2 + j : P));  // P: the zero
    }
    Expr mask = g.constant(diag_mask), idx = g.constant(index), didx = g.constant(diag_index);
    Expr zero = g.constant(Tensor(DType::f64, {1}));
    auto entries = [&](Expr packed_l) { return where(mask, softplus(packed_l), packed_l); };
    auto matrix = [&](Expr packed_l) { return reshape(gather_rows(concat({entries(packed_l), zero}, 0), idx), {D, D}); };
    Expr z = theta[0] + matmul(matrix(theta[1]), eps);
    Expr v = solve_lower(matrix(direct[1]), z - direct[0]);
    Expr log_diag = log(gather_rows(entries(direct[1]), didx));
    Expr logq = -0.5 * sum(square(v)) - sum(log_diag) - static_cast<double>(D) * kHalfLog2Pi;
    return {z, logq};
  }
};

}  // namespace

std::unique_ptr<Approximation> graph_form(const Approximation& q) {
  if (const auto* mf = dynamic_cast<const MeanField*>(&q)) return std::make_unique<MeanFieldGraph>(*mf);
  if (const auto* fr = dynamic_cast<const FullRank*>(&q)) return std::make_unique<FullRankGraph>(*fr);
  if (dynamic_cast<const GraphFamily*>(&q)) return q.clone();
  throw InvalidArgument("graph_form: the family '" + q.kind() + "' has no graph form");
}

}  // namespace elbo
