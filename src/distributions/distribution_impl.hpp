#pragma once
// Helpers shared by the distributions: message formatting, checks of constant
// parameters and observed data, constant-aware graph math (log, lgamma), and mapping
// numeric parameter values broadcast over a draw's shape.
#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elbo/distributions/distribution.hpp"
#include "elbo/graph/error.hpp"
#include "elbo/graph/ops.hpp"

namespace elbo::detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2 pi))
inline constexpr double kLogPi = 1.14472988584940017414;

/// Shortest text that reads back as the value in `dtype` ("-1", "0.1", "nan", "inf").
std::string format_number(double v, DType dtype = DType::f64);
/// Position of flat element `flat` in `shape`: "3" for rank <= 1, "[1,2]" above.
std::string index_str(const Shape& shape, int64_t flat);

/// The value of a constant node; null for any other node.
const Tensor* constant_value(const Expr& e);
/// True if `e` is a constant whose every element equals v.
bool is_constant(const Expr& e, double v);

/// Calls ok(x) on every element of `e` if it is a constant; on the first failure throws
/// "<dist>('<var>'): argument '<arg>'[ at index i] is <x>, but must be <what>".
void check_param(std::string_view dist, const std::string& var, std::string_view arg, const Expr& e,
                 const std::function<bool(double)>& ok, std::string_view what);
/// check_param for "finite".
void check_finite(std::string_view dist, const std::string& var, std::string_view arg,
                  const Expr& e);
/// Finite and > 0: "must be finite", then "must be positive".
void check_positive(std::string_view dist, const std::string& var, std::string_view arg,
                    const Expr& e);
/// In [0, 1]: "must be in [0, 1]".
void check_probability(std::string_view dist, const std::string& var, std::string_view arg,
                       const Expr& e);

/// "<dist>('<var>'): observed value <x>[ at index i] <why>".
[[noreturn]] void throw_observed(std::string_view dist, const std::string& var, const Tensor& data,
                                 int64_t flat, const std::string& why);
/// Every element finite, else "... is not finite".
void check_observed_finite(std::string_view dist, const std::string& var, const Tensor& data);
/// Every element a non-negative integer, else "... is not a non-negative integer".
void check_observed_counts(std::string_view dist, const std::string& var, const Tensor& data);

// Graph math that computes constants numerically (exactly) and everything else as ops.
Expr log_of(const Expr& x);
/// log Gamma(x) for x > 0: std::lgamma for constants, else the shifted Stirling series
/// (absolute error < 1e-10 in float64, derivative likewise).
Expr lgamma_of(const Expr& x);
/// f(x) computed numerically into a constant if x is a constant, else g(x) as ops: keeps
/// normalising terms of constant parameters exact (std::lgamma) and out of the run time.
Expr fold(const Expr& x, double (*f)(double), Expr (*g)(const Expr&));
/// The same for two operands, broadcast; folds only if both are constants.
Expr fold(const Expr& a, const Expr& b, double (*f)(double, double),
          Expr (*g)(const Expr&, const Expr&));
/// A scalar constant in x's graph.
Expr scalar_like(const Expr& x, double v);

/// Maps flat indices of `to` to flat indices of `from`, which broadcasts to `to` (NumPy
/// rules, aligned at the trailing axis). `inner` > 0 says `from` has one more trailing
/// axis, of that size, that is not broadcast (Categorical's categories): the result is
/// then the offset of that axis' first element.
class BroadcastIndex {
 public:
  BroadcastIndex(std::string_view dist, std::string_view arg, const Shape& from, const Shape& to,
                 int64_t inner = 0);
  int64_t operator()(int64_t flat) const;

 private:
  Shape to_;
  std::vector<int64_t> strides_;  // per axis of `to`: 0 where broadcast
};

/// Checks there are `names.size()` values; throws InvalidArgument:
/// "Normal.draw: got 1 parameter values, expected 2 (mu, sigma)".
void check_value_count(std::string_view dist, std::string_view what, std::span<const Tensor> values,
                       const std::vector<std::string>& names);

/// out[i] = f(i, p) over the flat elements of `shape`, where p[k] is value k broadcast to
/// `shape`; returned as a tensor of `dtype`.
Tensor map_params(std::string_view dist, std::string_view what, std::span<const Tensor> values,
                  const std::vector<std::string>& names, const Shape& shape, DType dtype,
                  const std::function<double(int64_t, const double*)>& f);

}  // namespace elbo::detail
