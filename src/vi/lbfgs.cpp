#include "elbo/vi/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

double dot(std::span<const double> a, std::span<const double> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double max_abs(std::span<const double> a) {
  double m = 0;
  for (double v : a) m = std::max(m, std::fabs(v));
  return m;
}

struct Pair {
  std::vector<double> s, y;
  double rho = 0;  // 1 / (y . s)
};

// d = -H g by the two-loop recursion, with H0 = gamma I, gamma = s.y / y.y of the newest pair.
void search_direction(const std::deque<Pair>& pairs, std::span<const double> g, std::vector<double>& d) {
  const size_t n = g.size(), m = pairs.size();
  d.assign(g.begin(), g.end());
  std::vector<double> alpha(m);
  for (size_t k = m; k-- > 0;) {
    alpha[k] = pairs[k].rho * dot(pairs[k].s, d);
    for (size_t i = 0; i < n; ++i) d[i] -= alpha[k] * pairs[k].y[i];
  }
  if (m > 0) {
    const Pair& last = pairs.back();
    const double gamma = dot(last.s, last.y) / dot(last.y, last.y);
    for (double& v : d) v *= gamma;
  }
  for (size_t k = 0; k < m; ++k) {
    const double beta = pairs[k].rho * dot(pairs[k].y, d);
    for (size_t i = 0; i < n; ++i) d[i] += (alpha[k] - beta) * pairs[k].s[i];
  }
  for (double& v : d) v = -v;
}

// A trial point of the line search: phi(a) = f(x + a d) and phi'(a) = grad . d.
struct Trial {
  double a = 0, f = 0, slope = 0;
  bool finite() const { return std::isfinite(f) && std::isfinite(slope); }
};

class LineSearch {
 public:
  LineSearch(const LbfgsObjective& f, std::span<const double> x, std::span<const double> d, int max_evals,
             int64_t& evaluations)
      : f_(f), x_(x), d_(d), max_evals_(max_evals), evaluations_(evaluations), xa_(x.size()), ga_(x.size()) {}

  // Strong Wolfe: f(a) <= f0 + c1 a f0', |f'(a)| <= c2 |f0'|. On success the accepted
  // point is in point(), gradient(). Returns false when max_evals ran out first.
  bool run(const Trial& zero, double a1) {
    constexpr double c1 = 1e-4, c2 = 0.9;
    Trial prev = zero;
    double a = a1;
    double bad = std::numeric_limits<double>::infinity();  // the shortest step found outside f's domain
    for (int i = 0; evals_ < max_evals_; ++i) {
      Trial t = eval(a);
      if (!t.finite()) {  // outside f's domain: shorten the step
        bad = std::min(bad, a);
        a = 0.5 * (prev.a + a);
        continue;
      }
      if (t.f > zero.f + c1 * a * zero.slope || (i > 0 && t.f >= prev.f)) return zoom(zero, prev, t);
      if (std::fabs(t.slope) <= -c2 * zero.slope) return true;
      if (t.slope >= 0) return zoom(zero, t, prev);
      prev = t;
      a = std::min(2 * a, 0.5 * (a + bad));  // longer, but not back into the undefined region
    }
    // Out of evaluations while lengthening: the last point decreased f enough; take it.
    if (prev.a > 0) {
      eval(prev.a);
      return true;
    }
    return false;
  }
  std::span<const double> point() const { return best_x_; }
  std::span<const double> gradient() const { return best_g_; }
  double value() const { return best_f_; }

 private:
  Trial eval(double a) {
    ++evals_;
    ++evaluations_;
    for (size_t i = 0; i < xa_.size(); ++i) xa_[i] = x_[i] + a * d_[i];
    Trial t{a, f_(xa_, ga_), 0};
    t.slope = dot(ga_, d_);
    if (t.finite()) {
      best_x_ = xa_;
      best_g_ = ga_;
      best_f_ = t.f;
    }
    return t;
  }

  // lo satisfies the sufficient decrease and has the lowest f so far; the minimiser lies
  // between lo and hi. Interpolates (a safeguarded quadratic through f(lo), f'(lo), f(hi))
  // and shrinks the bracket.
  bool zoom(const Trial& zero, Trial lo, Trial hi) {
    constexpr double c1 = 1e-4, c2 = 0.9;
    while (evals_ < max_evals_) {
      const double width = hi.a - lo.a;
      double a = lo.a + 0.5 * width;
      if (hi.finite()) {
        const double denom = 2 * (hi.f - lo.f - lo.slope * width);
        if (denom > 0) {
          const double step = -lo.slope * width * width / denom;
          const double lo_end = std::min(lo.a, hi.a), hi_end = std::max(lo.a, hi.a);
          const double cand = lo.a + step;
          const double margin = 0.1 * std::fabs(width);
          if (cand > lo_end + margin && cand < hi_end - margin) a = cand;
        }
      }
      Trial t = eval(a);
      if (!t.finite() || t.f > zero.f + c1 * a * zero.slope || t.f >= lo.f) {
        hi = t;
        if (!t.finite()) hi.f = std::numeric_limits<double>::infinity();
      } else {
        if (std::fabs(t.slope) <= -c2 * zero.slope) return true;
        if (t.slope * (hi.a - lo.a) >= 0) hi = lo;
        lo = t;
      }
      if (std::fabs(hi.a - lo.a) < 1e-16 * std::max(1.0, std::fabs(lo.a))) break;
    }
    // The bracket collapsed or the evaluations ran out: accept lo when it decreased f.
    if (lo.a > 0) {
      eval(lo.a);
      return true;
    }
    return false;
  }

  const LbfgsObjective& f_;
  std::span<const double> x_, d_;
  int max_evals_;
  int evals_ = 0;
  int64_t& evaluations_;
  std::vector<double> xa_, ga_, best_x_, best_g_;
  double best_f_ = 0;
};

}  // namespace

LbfgsResult lbfgs_minimize(const LbfgsObjective& f, std::span<const double> x0, const LbfgsOptions& o,
                           const std::function<void(const LbfgsIterate&)>& on_iterate) {
  if (o.max_iters < 0)
    throw InvalidArgument("lbfgs: option 'max_iters' is " + std::to_string(o.max_iters) + ", but must be >= 0");
  if (o.history < 1)
    throw InvalidArgument("lbfgs: option 'history' is " + std::to_string(o.history) + ", but must be >= 1");
  if (!(o.tol_grad >= 0) || !(o.tol_rel_obj >= 0))
    throw InvalidArgument("lbfgs: options 'tol_grad' and 'tol_rel_obj' must be >= 0");
  if (o.max_line_search_evals < 1)
    throw InvalidArgument("lbfgs: option 'max_line_search_evals' is " + std::to_string(o.max_line_search_evals) +
                          ", but must be >= 1");
  LbfgsResult r;
  r.x.assign(x0.begin(), x0.end());
  r.grad.assign(x0.size(), 0.0);
  r.value = f(r.x, r.grad);
  r.evaluations = 1;
  if (!std::isfinite(r.value) || !std::all_of(r.grad.begin(), r.grad.end(), [](double v) { return std::isfinite(v); }))
    throw NumericalError("lbfgs: the objective or its gradient is not finite at the starting point (value " +
                         std::to_string(r.value) + ")");
  if (on_iterate) on_iterate({0, r.x, r.grad, r.value});
  std::deque<Pair> pairs;
  std::vector<double> d;
  for (int64_t it = 1; it <= o.max_iters; ++it) {
    if (max_abs(r.grad) < o.tol_grad) {
      r.converged = true;
      r.reason = "gradient below tol_grad";
      return r;
    }
    search_direction(pairs, r.grad, d);
    double slope = dot(r.grad, d);
    if (!(slope < 0)) {  // not a descent direction (curvature lost): restart on -g
      pairs.clear();
      search_direction(pairs, r.grad, d);
      slope = dot(r.grad, d);
    }
    // The first step is scaled to a unit move; later ones start at 1 (H0 scales them).
    const double a1 = pairs.empty() ? std::min(1.0, 1.0 / std::max(max_abs(r.grad), 1e-300)) : 1.0;
    LineSearch search(f, r.x, d, o.max_line_search_evals, r.evaluations);
    if (!search.run({0, r.value, slope}, a1)) {
      r.reason = "the line search found no acceptable step";
      return r;
    }
    Pair p;
    p.s.resize(r.x.size());
    p.y.resize(r.x.size());
    for (size_t i = 0; i < r.x.size(); ++i) {
      p.s[i] = search.point()[i] - r.x[i];
      p.y[i] = search.gradient()[i] - r.grad[i];
    }
    const double sy = dot(p.s, p.y);
    const double previous = r.value;
    r.x.assign(search.point().begin(), search.point().end());
    r.grad.assign(search.gradient().begin(), search.gradient().end());
    r.value = search.value();
    r.iterations = it;
    if (on_iterate) on_iterate({it, r.x, r.grad, r.value});
    // Keep the pair only with positive curvature (always so under the strong Wolfe
    // conditions, but a collapsed bracket may accept a point without them).
    if (sy > 1e-12 * std::sqrt(dot(p.s, p.s) * dot(p.y, p.y))) {
      p.rho = 1.0 / sy;
      pairs.push_back(std::move(p));
      if (pairs.size() > static_cast<size_t>(o.history)) pairs.pop_front();
    }
    if (previous - r.value <= o.tol_rel_obj * std::max({std::fabs(previous), std::fabs(r.value), 1.0})) {
      r.converged = true;
      r.reason = "relative decrease of the objective below tol_rel_obj";
      return r;
    }
  }
  r.reason = "reached max_iters";
  return r;
}

}  // namespace elbo
