#include "elbo/distributions/distribution.hpp"

#include <charconv>
#include <cmath>

#include "../graph/assert_impl.hpp"
#include "distribution_impl.hpp"
#include "elbo/transforms/interval_transform.hpp"
#include "elbo/transforms/log_transform.hpp"
#include "elbo/transforms/logodds_transform.hpp"

namespace elbo {

std::string_view support_name(Support s) {
  switch (s) {
    case Support::real:
      return "real";
    case Support::positive:
      return "positive";
    case Support::unit_interval:
      return "unit_interval";
    case Support::interval:
      return "interval";
    case Support::nonnegative_integer:
      return "nonnegative_integer";
    case Support::binary:
      return "binary";
    case Support::categorical:
      return "categorical";
  }
  return "unknown";
}

Distribution::Distribution(std::string_view dist, std::vector<std::string> names,
                           std::vector<Expr> params)
    : params_(std::move(params)) {
  ELBO_ASSERT(names.size() == params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].valid())
      throw InvalidArgument(std::string(dist) + ": argument '" + names[i] +
                            "' is an empty expression");
    if (params_[i].graph_state() != params_[0].graph_state())
      throw InvalidArgument(std::string(dist) + ": argument '" + names[i] +
                            "' belongs to another graph than '" + names[0] + "'");
  }
}

double Distribution::lower() const {
  switch (support()) {
    case Support::real:
      return -detail::kInf;
    default:
      return 0.0;
  }
}

double Distribution::upper() const {
  switch (support()) {
    case Support::unit_interval:
    case Support::binary:
      return 1.0;
    default:
      return detail::kInf;
  }
}

bool Distribution::discrete() const {
  Support s = support();
  return s == Support::nonnegative_integer || s == Support::binary || s == Support::categorical;
}

Expr Distribution::logp_sum(Expr value) const { return sum(logp(value)); }
Expr Distribution::logp_mean(Expr value, double scale) const {
  Expr m = mean(logp(value));
  return scale == 1.0 ? m : m * scale;
}

void Distribution::check_params(const std::string&) const {}

void Distribution::check_observed(const std::string& var, const Tensor& data) const {
  detail::check_observed_finite(name(), var, data);
  Support s = support();
  if (s == Support::nonnegative_integer) {
    detail::check_observed_counts(name(), var, data);
    return;
  }
  if (s == Support::binary) {
    for (int64_t i = 0; i < data.numel(); ++i)
      if (data[i] != 0.0 && data[i] != 1.0)
        detail::throw_observed(name(), var, data, i, "is not 0 or 1");
    return;
  }
  double lo = lower(), hi = upper();
  if (s == Support::real) return;
  for (int64_t i = 0; i < data.numel(); ++i)
    if (!(data[i] >= lo && data[i] <= hi))
      detail::throw_observed(name(), var, data, i,
                             "is outside the support [" + detail::format_number(lo) + ", " +
                                 detail::format_number(hi) + (std::isinf(hi) ? ")" : "]"));
}

std::shared_ptr<const Transform> Distribution::default_transform() const {
  switch (support()) {
    case Support::positive:
      return log_transform();
    case Support::unit_interval:
      return logodds_transform();
    case Support::interval:
      return interval_transform(lower(), upper());
    default:
      return nullptr;
  }
}

namespace detail {

std::string format_number(double v, DType dtype) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  auto r = dtype == DType::f32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                               : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string index_str(const Shape& shape, int64_t flat) {
  if (shape.size() <= 1) return std::to_string(flat);
  std::vector<int64_t> idx(shape.size());
  for (size_t a = shape.size(); a-- > 0;) {
    idx[a] = flat % shape[a];
    flat /= shape[a];
  }
  return shape_str(idx);
}

const Tensor* constant_value(const Expr& e) { return e.is_constant() ? e.value() : nullptr; }

bool is_constant(const Expr& e, double v) {
  const Tensor* t = constant_value(e);
  if (!t) return false;
  for (int64_t i = 0; i < t->numel(); ++i)
    if ((*t)[i] != v) return false;
  return true;
}

void check_param(std::string_view dist, const std::string& var, std::string_view arg, const Expr& e,
                 const std::function<bool(double)>& ok, std::string_view what) {
  const Tensor* t = constant_value(e);
  if (!t) return;
  for (int64_t i = 0; i < t->numel(); ++i) {
    double x = (*t)[i];
    if (ok(x)) continue;
    std::string where = t->rank() == 0 ? "" : " at index " + index_str(t->shape(), i);
    throw InvalidArgument(std::string(dist) + "('" + var + "'): argument '" + std::string(arg) +
                          "'" + where + " is " + format_number(x, t->dtype()) + ", but must be " +
                          std::string(what));
  }
}

void check_finite(std::string_view dist, const std::string& var, std::string_view arg,
                  const Expr& e) {
  check_param(
      dist, var, arg, e, [](double x) { return std::isfinite(x); }, "finite");
}

void check_positive(std::string_view dist, const std::string& var, std::string_view arg,
                    const Expr& e) {
  check_finite(dist, var, arg, e);
  check_param(
      dist, var, arg, e, [](double x) { return x > 0; }, "positive");
}

void check_probability(std::string_view dist, const std::string& var, std::string_view arg,
                       const Expr& e) {
  check_param(
      dist, var, arg, e, [](double x) { return x >= 0 && x <= 1; }, "in [0, 1]");
}

void throw_observed(std::string_view dist, const std::string& var, const Tensor& data, int64_t flat,
                    const std::string& why) {
  std::string where = data.rank() == 0 ? "" : " at index " + index_str(data.shape(), flat);
  throw InvalidArgument(std::string(dist) + "('" + var + "'): observed value " +
                        format_number(data[flat], data.dtype()) + where + " " + why);
}

void check_observed_finite(std::string_view dist, const std::string& var, const Tensor& data) {
  for (int64_t i = 0; i < data.numel(); ++i)
    if (!std::isfinite(data[i])) throw_observed(dist, var, data, i, "is not finite");
}

void check_observed_counts(std::string_view dist, const std::string& var, const Tensor& data) {
  for (int64_t i = 0; i < data.numel(); ++i)
    if (!(data[i] >= 0) || data[i] != std::floor(data[i]))
      throw_observed(dist, var, data, i, "is not a non-negative integer");
}

Expr scalar_like(const Expr& x, double v) { return Graph(x.graph_state()).scalar(v); }

namespace {
Expr map_constant(const Tensor& t, const Expr& like, auto f) {
  Tensor r(t.dtype(), t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) r.set(i, f(t[i]));
  return Graph(like.graph_state()).constant(r);
}
}  // namespace

Expr log_of(const Expr& x) {
  if (const Tensor* t = constant_value(x))
    return map_constant(*t, x, [](double v) { return std::log(v); });
  return log(x);
}

Expr lgamma_of(const Expr& x) {
  if (const Tensor* t = constant_value(x))
    return map_constant(*t, x, [](double v) { return std::lgamma(v); });
  // lgamma(x) = lgamma(x + 6) - log(x (x+1) ... (x+5)), and for z = x + 6 >= 6 Stirling's
  // series (z - 1/2) log z - z + log(2 pi)/2 + 1/(12 z) - 1/(360 z^3) + 1/(1260 z^5)
  // - 1/(1680 z^7) has remainder below 1/(1188 z^9) < 1e-10. The shift is taken as two
  // logs of triple products (no overflow below x ~ 1e12 in float32).
  Expr shift = log(x * (x + 1.0) * (x + 2.0)) + log((x + 3.0) * (x + 4.0) * (x + 5.0));
  Expr z = x + 6.0;
  Expr w = 1.0 / z;
  Expr w2 = square(w);
  Expr series = w * (1.0 / 12 + w2 * (-1.0 / 360 + w2 * (1.0 / 1260 + w2 * (-1.0 / 1680))));
  return (z - 0.5) * log(z) - z + (kLogSqrt2Pi + series) - shift;
}

Expr fold(const Expr& x, double (*f)(double), Expr (*g)(const Expr&)) {
  if (const Tensor* t = constant_value(x)) return map_constant(*t, x, f);
  return g(x);
}

Expr fold(const Expr& a, const Expr& b, double (*f)(double, double),
          Expr (*g)(const Expr&, const Expr&)) {
  const Tensor *ta = constant_value(a), *tb = constant_value(b);
  if (!ta || !tb) return g(a, b);
  Shape sa = ta->shape(), sb = tb->shape();
  Shape out(std::max(sa.size(), sb.size()), 1);
  for (size_t k = 0; k < out.size(); ++k) {
    int64_t da = k < sa.size() ? sa[sa.size() - 1 - k] : 1,
            db = k < sb.size() ? sb[sb.size() - 1 - k] : 1;
    if (da != db && da != 1 && db != 1)
      throw ShapeError("shapes " + shape_str(sa) + " and " + shape_str(sb) + " do not broadcast");
    out[out.size() - 1 - k] = da == 1 ? db : da;
  }
  BroadcastIndex ia("fold", "a", sa, out), ib("fold", "b", sb, out);
  Tensor r(ta->dtype(), out);
  for (int64_t i = 0; i < r.numel(); ++i) r.set(i, f((*ta)[ia(i)], (*tb)[ib(i)]));
  return Graph(a.graph_state()).constant(r);
}

BroadcastIndex::BroadcastIndex(std::string_view dist, std::string_view arg, const Shape& from,
                               const Shape& to, int64_t inner)
    : to_(to), strides_(to.size(), 0) {
  Shape base = from;
  bool ok = inner == 0 || (!base.empty() && base.back() == inner);
  if (inner > 0 && !base.empty()) base.pop_back();
  ok = ok && base.size() <= to.size();
  int64_t stride = inner > 0 ? inner : 1;
  for (size_t k = 0; ok && k < base.size(); ++k) {
    size_t a_from = base.size() - 1 - k, a_to = to.size() - 1 - k;
    int64_t d = base[a_from];
    if (d == to[a_to])
      strides_[a_to] = d == 1 ? 0 : stride;
    else if (d != 1)
      ok = false;
    stride *= d;
  }
  if (!ok)
    throw ShapeError(std::string(dist) + ": parameter '" + std::string(arg) + "' of shape " +
                     shape_str(from) + " does not broadcast to the shape " + shape_str(to));
}

int64_t BroadcastIndex::operator()(int64_t flat) const {
  int64_t off = 0;
  for (size_t a = to_.size(); a-- > 0;) {
    off += (flat % to_[a]) * strides_[a];
    flat /= to_[a];
  }
  return off;
}

void check_value_count(std::string_view dist, std::string_view what, std::span<const Tensor> values,
                       const std::vector<std::string>& names) {
  if (values.size() == names.size()) return;
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) list += (i ? ", " : "") + names[i];
  throw InvalidArgument(std::string(dist) + "." + std::string(what) + ": got " +
                        std::to_string(values.size()) + " parameter values, expected " +
                        std::to_string(names.size()) + " (" + list + ")");
}

Tensor map_params(std::string_view dist, std::string_view what, std::span<const Tensor> values,
                  const std::vector<std::string>& names, const Shape& shape, DType dtype,
                  const std::function<double(int64_t, const double*)>& f) {
  check_value_count(dist, what, values, names);
  std::vector<BroadcastIndex> maps;
  for (size_t k = 0; k < values.size(); ++k)
    maps.emplace_back(std::string(dist) + "." + std::string(what), names[k], values[k].shape(),
                      shape);
  Tensor out(dtype, shape);
  std::vector<double> p(values.size());
  for (int64_t i = 0; i < out.numel(); ++i) {
    for (size_t k = 0; k < values.size(); ++k) p[k] = values[k][maps[k](i)];
    out.set(i, f(i, p.data()));
  }
  return out;
}

}  // namespace detail
}  // namespace elbo
