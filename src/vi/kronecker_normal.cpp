#include "elbo/vi/kronecker_normal.hpp"

#include <Eigen/Dense>
#include <charconv>
#include <cmath>
#include <limits>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {

constexpr double kLog2Pi = 1.8378770664093454836;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix>;
using Map = Eigen::Map<RowMatrix>;

bool parse_int(const std::string& text, int64_t* out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && p == text.data() + text.size();
}

}  // namespace

std::vector<KroneckerBlock> KroneckerNormal::parse_blocks(const std::string& option) {
  std::vector<KroneckerBlock> blocks;
  size_t at = 0;
  while (at < option.size()) {
    size_t end = option.find(',', at);
    if (end == option.size() - 1)
      throw InvalidArgument("approximation kind 'kron:" + option + "': it ends with a comma");
    if (end == std::string::npos) end = option.size();
    const std::string item = option.substr(at, end - at);
    const size_t x1 = item.find('x'), x2 = x1 == std::string::npos ? x1 : item.find('x', x1 + 1);
    KroneckerBlock b;
    if (x2 == std::string::npos || !parse_int(item.substr(0, x1), &b.offset) ||
        !parse_int(item.substr(x1 + 1, x2 - x1 - 1), &b.rows) || !parse_int(item.substr(x2 + 1), &b.cols))
      throw InvalidArgument("approximation kind 'kron:" + option + "': block '" + item +
                            "' is not OFFSETxROWSxCOLS");
    blocks.push_back(b);
    at = end + 1;
  }
  return blocks;
}

int64_t KroneckerNormal::param_count(const std::vector<KroneckerBlock>& blocks, int64_t dim) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 4;
  if (dim < 0 || dim > kMax / 2) return -1;
  int64_t next = 0, n = 2 * dim;
  for (const KroneckerBlock& b : blocks) {
    if (b.offset < next || b.rows < 1 || b.cols < 1 || b.rows > 3'000'000'000 / b.cols) return -1;
    if (b.offset > dim - b.rows * b.cols) return -1;
    next = b.offset + b.rows * b.cols;
    if (b.rows > 1'000'000'000 || b.cols > 1'000'000'000) return -1;
    const int64_t add = b.rows * b.rows + b.cols * b.cols;
    if (n > kMax - add) return -1;
    n += add;
  }
  return n;
}

KroneckerNormal::KroneckerNormal(std::span<const double> mu, std::vector<KroneckerBlock> blocks)
    : d_(static_cast<int64_t>(mu.size())), blocks_(std::move(blocks)) {
  const int64_t n = param_count(blocks_, d_);
  if (n < 0) throw InvalidArgument("KroneckerNormal: argument 'blocks' (" + kind() + ") does not fit in " +
                                   std::to_string(d_) + " coordinates, or overlaps");
  params_.assign(static_cast<size_t>(n), 0.0);
  std::copy(mu.begin(), mu.end(), params_.begin());
  std::fill(params_.begin() + d_, params_.begin() + 2 * d_, 1.0);
  in_block_.assign(static_cast<size_t>(d_), 0);
  size_t at = static_cast<size_t>(2 * d_);
  for (const KroneckerBlock& b : blocks_) {
    factor_at_.push_back(at);
    for (int64_t r = 0; r < b.rows; ++r) params_[at + static_cast<size_t>(r * b.rows + r)] = 1.0;
    at += static_cast<size_t>(b.rows * b.rows);
    for (int64_t c = 0; c < b.cols; ++c) params_[at + static_cast<size_t>(c * b.cols + c)] = 1.0;
    at += static_cast<size_t>(b.cols * b.cols);
    std::fill(in_block_.begin() + b.offset, in_block_.begin() + b.offset + b.rows * b.cols, 1);
  }
}

std::string KroneckerNormal::kind() const {
  std::string out = "kron:";
  for (size_t b = 0; b < blocks_.size(); ++b) {
    if (b > 0) out.push_back(',');
    out.append(std::to_string(blocks_[b].offset)).append("x").append(std::to_string(blocks_[b].rows));
    out.append("x").append(std::to_string(blocks_[b].cols));
  }
  return out;
}

std::string KroneckerNormal::param_name(int64_t i) const {
  if (i < d_) return "mu[" + std::to_string(i) + "]";
  if (i < 2 * d_) return "s[" + std::to_string(i - d_) + "]";
  const size_t at = static_cast<size_t>(i);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const bool in_g = at >= qg_at(b);
    const int64_t width = in_g ? blocks_[b].cols : blocks_[b].rows;
    const size_t start = in_g ? qg_at(b) : qa_at(b);
    if (at >= start && at < start + static_cast<size_t>(width * width)) {
      const int64_t k = static_cast<int64_t>(at - start);
      return std::string(in_g ? "QG" : "QA") + std::to_string(b) + "[" + std::to_string(k / width) + "," +
             std::to_string(k % width) + "]";
    }
  }
  return "?";
}

void KroneckerNormal::set_factors(size_t b, std::span<const double> qa, std::span<const double> qg) {
  const KroneckerBlock& k = blocks_.at(b);
  if (static_cast<int64_t>(qa.size()) != k.rows * k.rows || static_cast<int64_t>(qg.size()) != k.cols * k.cols)
    throw InvalidArgument("KroneckerNormal::set_factors: block " + std::to_string(b) + " needs " +
                          std::to_string(k.rows * k.rows) + " and " + std::to_string(k.cols * k.cols) + " values");
  std::copy(qa.begin(), qa.end(), params_.begin() + static_cast<std::ptrdiff_t>(qa_at(b)));
  std::copy(qg.begin(), qg.end(), params_.begin() + static_cast<std::ptrdiff_t>(qg_at(b)));
}

void KroneckerNormal::sample_z(const double* eps, double* z, int64_t S) const {
  const double* mu = params_.data();
  const double* s = mu + d_;
  for (int64_t draw = 0; draw < S; ++draw) {
    const double* e = eps + draw * d_;
    double* out = z + draw * d_;
    for (int64_t i = 0; i < d_; ++i)
      if (!in_block_[i]) out[i] = mu[i] + s[i] * e[i];
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const KroneckerBlock& k = blocks_[b];
      const RowMatrix scaled = ConstMap(s + k.offset, k.rows, k.cols).cwiseProduct(ConstMap(e + k.offset, k.rows, k.cols));
      const ConstMap qa(params_.data() + qa_at(b), k.rows, k.rows), qg(params_.data() + qg_at(b), k.cols, k.cols);
      Map(out + k.offset, k.rows, k.cols) = ConstMap(mu + k.offset, k.rows, k.cols) + qa * scaled * qg.transpose();
    }
  }
}

double KroneckerNormal::sum_log_scales() const {
  double sum = 0;
  for (int64_t i = 0; i < d_; ++i) sum += std::log(params_[static_cast<size_t>(d_ + i)]);
  return sum;
}

double KroneckerNormal::logq_from_eps(const double* eps) const {
  double sq = 0;
  for (int64_t i = 0; i < d_; ++i) sq += eps[i] * eps[i];
  return -0.5 * sq - sum_log_scales() - 0.5 * static_cast<double>(d_) * kLog2Pi;
}

double KroneckerNormal::log_density(const double* z) const {
  // eps from z: the inverse of sample_z (QA and QG are orthonormal).
  const double* mu = params_.data();
  const double* s = mu + d_;
  std::vector<double> eps(static_cast<size_t>(d_));
  for (int64_t i = 0; i < d_; ++i)
    if (!in_block_[i]) eps[i] = (z[i] - mu[i]) / s[i];
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const KroneckerBlock& k = blocks_[b];
    const ConstMap qa(params_.data() + qa_at(b), k.rows, k.rows), qg(params_.data() + qg_at(b), k.cols, k.cols);
    const RowMatrix centred = ConstMap(z + k.offset, k.rows, k.cols) - ConstMap(mu + k.offset, k.rows, k.cols);
    Map(eps.data() + k.offset, k.rows, k.cols) =
        (qa.transpose() * centred * qg).cwiseQuotient(ConstMap(s + k.offset, k.rows, k.cols));
  }
  return logq_from_eps(eps.data());
}

void KroneckerNormal::backward(const double*, const double*, const double*, int64_t, double, double*) const {
  throw InvalidArgument("KroneckerNormal: a Kronecker-factored Laplace q is the result of a fit, not trained by "
                        "steps (its eigenvectors must stay orthonormal); there is no gradient of an objective");
}

double KroneckerNormal::entropy() const {
  return 0.5 * static_cast<double>(d_) * (1.0 + kLog2Pi) + sum_log_scales();
}

std::vector<double> KroneckerNormal::mean() const { return {params_.begin(), params_.begin() + d_}; }

std::vector<double> KroneckerNormal::sd() const {
  const double* s = params_.data() + d_;
  std::vector<double> out(s, s + d_);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const KroneckerBlock& k = blocks_[b];
    // Var(W_ij) = sum_kl QA_ik^2 S_kl^2 QG_jl^2.
    const RowMatrix qa2 = ConstMap(params_.data() + qa_at(b), k.rows, k.rows).cwiseAbs2();
    const RowMatrix qg2 = ConstMap(params_.data() + qg_at(b), k.cols, k.cols).cwiseAbs2();
    const RowMatrix s2 = ConstMap(s + k.offset, k.rows, k.cols).cwiseAbs2();
    Map(out.data() + k.offset, k.rows, k.cols) = (qa2 * s2 * qg2.transpose()).cwiseSqrt();
  }
  return out;
}

void KroneckerNormal::linear_variance(const double* j, int64_t n, double* out) const {
  // With z - mu = F eps, F's columns the scaled eigen-directions: ||F^T j||^2, per block
  // (QA^T J QG) .* S for J the block of j as a [rows, cols] matrix.
  const double* s = params_.data() + d_;
  for (int64_t r = 0; r < n; ++r) {
    const double* row = j + r * d_;
    double acc = 0;
    for (int64_t i = 0; i < d_; ++i)
      if (!in_block_[i]) acc += row[i] * row[i] * s[i] * s[i];
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const KroneckerBlock& k = blocks_[b];
      const ConstMap qa(params_.data() + qa_at(b), k.rows, k.rows), qg(params_.data() + qg_at(b), k.cols, k.cols);
      const RowMatrix m = qa.transpose() * ConstMap(row + k.offset, k.rows, k.cols) * qg;
      acc += m.cwiseProduct(ConstMap(s + k.offset, k.rows, k.cols)).squaredNorm();
    }
    out[r] = acc;
  }
}

Tensor KroneckerNormal::cov() const {
  if (d_ > 20000)
    throw InvalidArgument("KroneckerNormal::cov: a dense covariance over " + std::to_string(d_) +
                          " coordinates does not fit in memory; use sd() for the marginals");
  Tensor out(DType::f64, {d_, d_});
  const double* s = params_.data() + d_;
  for (int64_t i = 0; i < d_; ++i)
    if (!in_block_[i]) out.set(i * d_ + i, s[i] * s[i]);
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const KroneckerBlock& k = blocks_[b];
    const ConstMap qa(params_.data() + qa_at(b), k.rows, k.rows), qg(params_.data() + qg_at(b), k.cols, k.cols);
    // Column (i, j) of the factor (QA (x) QG) diag(S): the outer product QA[:, i] QG[:, j]^T S_ij.
    const int64_t n = k.rows * k.cols;
    RowMatrix factor(n, n);
    for (int64_t i = 0; i < k.rows; ++i)
      for (int64_t j = 0; j < k.cols; ++j) {
        const double sij = s[k.offset + i * k.cols + j];
        for (int64_t r = 0; r < k.rows; ++r)
          for (int64_t c = 0; c < k.cols; ++c) factor(r * k.cols + c, i * k.cols + j) = qa(r, i) * qg(c, j) * sij;
      }
    const RowMatrix block = factor * factor.transpose();
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < n; ++c) out.set((k.offset + r) * d_ + k.offset + c, block(r, c));
  }
  return out;
}

}  // namespace elbo
