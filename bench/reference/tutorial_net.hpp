#pragma once
// The tutorial's network written by hand, for this network alone: 2 -> 5 -> 5 -> 1, tanh,
// no biases, Bernoulli log-likelihood on the logit. It is the benchmarks' reference for
// "close to the limit" (docs/PERFORMANCE.md).
//
// Layout: feature-major. Each input feature is contiguous over the rows, and the rows
// are processed in blocks of one SIMD packet (16 floats or 8 doubles with AVX-512): a
// block's hidden activations live in registers, and forward and backward run fused in
// one pass over the rows. Gradient terms accumulate per lane and are summed once at the
// end. tanh, exp, log1p and the logistic are Eigen's array functions, the same ones the
// engine's kernels use (vectorised for float; std:: scalar functions for double).
//
// Weights are a flat [40] vector in the model's order: w_in_1 [2,5], w_1_2 [5,5],
// w_2_out [5], each row-major.
#include <Eigen/Core>

#include <cstdint>
#include <vector>

namespace elbo::bench {

template <class T>
class TutorialNet {
 public:
  static constexpr int kIn = 2, kH1 = 5, kH2 = 5;
  static constexpr int64_t kDim = kIn * kH1 + kH1 * kH2 + kH2;
  static constexpr int B = Eigen::internal::packet_traits<T>::size;  // rows per block
  using V = Eigen::Array<T, B, 1>;

  /// x row-major [n, 2], y [n] of 0/1.
  void set_data(const T* x, const T* y, int64_t n) {
    resize(n);
    for (int64_t r = 0; r < n; ++r) {
      x0_[r] = x[2 * r];
      x1_[r] = x[2 * r + 1];
      y_[r] = y[r];
    }
  }

  /// The rows `rows[0..m)` of x and y (a minibatch).
  void set_data_rows(const T* x, const T* y, const int64_t* rows, int64_t m) {
    resize(m);
    for (int64_t k = 0; k < m; ++k) {
      const int64_t r = rows[k];
      x0_[k] = x[2 * r];
      x1_[k] = x[2 * r + 1];
      y_[k] = y[r];
    }
  }

  int64_t rows() const { return n_; }

  /// Returns sum over rows of log p(y | x, w) and writes its gradient w.r.t. w into g[40].
  T logp_grad(const T* w, T* g) const {
    T W1[kIn][kH1], W2[kH1][kH2], w3[kH2];
    unpack(w, W1, W2, w3);
    V acc = V::Zero();
    V g1[kIn][kH1], g2[kH1][kH2], g3[kH2];
    for (int j = 0; j < kH1; ++j) g1[0][j] = g1[1][j] = V::Zero();
    for (int j = 0; j < kH1; ++j)
      for (int k = 0; k < kH2; ++k) g2[j][k] = V::Zero();
    for (int k = 0; k < kH2; ++k) g3[k] = V::Zero();

    for (int64_t b = 0; b < blocks_; ++b) {
      const int64_t r = b * B;
      const V x0 = Eigen::Map<const V>(x0_.data() + r), x1 = Eigen::Map<const V>(x1_.data() + r);
      const V y = Eigen::Map<const V>(y_.data() + r);
      V h1[kH1], h2[kH2];
      for (int j = 0; j < kH1; ++j) h1[j] = (x0 * W1[0][j] + x1 * W1[1][j]).tanh();
      for (int k = 0; k < kH2; ++k) {
        V a = h1[0] * W2[0][k];
        for (int j = 1; j < kH1; ++j) a += h1[j] * W2[j][k];
        h2[k] = a.tanh();
      }
      V z = h2[0] * w3[0];
      for (int k = 1; k < kH2; ++k) z += h2[k] * w3[k];
      // log p = y z - softplus(z);  d/dz = y - sigmoid(z); one exp serves both.
      const V e = (-z.abs()).exp();
      V lp = y * z - z.max(T(0)) - e.log1p();
      V dz = y - (z >= T(0)).select(V::Ones(), e) / (T(1) + e);
      if (b + 1 == blocks_ && tail_) {
        lp *= mask_;
        dz *= mask_;
      }
      acc += lp;
      V da2[kH2];
      for (int k = 0; k < kH2; ++k) {
        g3[k] += dz * h2[k];
        da2[k] = (dz * w3[k]) * (T(1) - h2[k].square());
      }
      for (int j = 0; j < kH1; ++j) {
        V dh = da2[0] * W2[j][0];
        g2[j][0] += h1[j] * da2[0];
        for (int k = 1; k < kH2; ++k) {
          dh += da2[k] * W2[j][k];
          g2[j][k] += h1[j] * da2[k];
        }
        const V da1 = dh * (T(1) - h1[j].square());
        g1[0][j] += x0 * da1;
        g1[1][j] += x1 * da1;
      }
    }
    for (int i = 0; i < kIn; ++i)
      for (int j = 0; j < kH1; ++j) g[i * kH1 + j] = g1[i][j].sum();
    for (int j = 0; j < kH1; ++j)
      for (int k = 0; k < kH2; ++k) g[kIn * kH1 + j * kH2 + k] = g2[j][k].sum();
    for (int k = 0; k < kH2; ++k) g[kIn * kH1 + kH1 * kH2 + k] = g3[k].sum();
    return acc.sum();
  }

  /// sigmoid(logit) for every row into p[0..rows).
  void predict(const T* w, T* p) const {
    T W1[kIn][kH1], W2[kH1][kH2], w3[kH2];
    unpack(w, W1, W2, w3);
    for (int64_t b = 0; b < blocks_; ++b) {
      const int64_t r = b * B;
      const V x0 = Eigen::Map<const V>(x0_.data() + r), x1 = Eigen::Map<const V>(x1_.data() + r);
      V h1[kH1];
      for (int j = 0; j < kH1; ++j) h1[j] = (x0 * W1[0][j] + x1 * W1[1][j]).tanh();
      V z = V::Zero();
      for (int k = 0; k < kH2; ++k) {
        V a = h1[0] * W2[0][k];
        for (int j = 1; j < kH1; ++j) a += h1[j] * W2[j][k];
        z += a.tanh() * w3[k];
      }
      const V out = z.logistic();
      const int64_t len = (b + 1 == blocks_ && tail_) ? tail_ : B;
      for (int64_t i = 0; i < len; ++i) p[r + i] = out[i];
    }
  }

 private:
  static void unpack(const T* w, T (&W1)[kIn][kH1], T (&W2)[kH1][kH2], T (&w3)[kH2]) {
    for (int i = 0; i < kIn; ++i)
      for (int j = 0; j < kH1; ++j) W1[i][j] = w[i * kH1 + j];
    for (int j = 0; j < kH1; ++j)
      for (int k = 0; k < kH2; ++k) W2[j][k] = w[kIn * kH1 + j * kH2 + k];
    for (int k = 0; k < kH2; ++k) w3[k] = w[kIn * kH1 + kH1 * kH2 + k];
  }

  // Pads to whole blocks with zero rows; the last block's padding is masked out.
  void resize(int64_t n) {
    n_ = n;
    blocks_ = (n + B - 1) / B;
    tail_ = n % B;
    const size_t padded = static_cast<size_t>(blocks_ * B);
    if (x0_.size() < padded) {
      x0_.resize(padded);
      x1_.resize(padded);
      y_.resize(padded);
    }
    for (size_t i = static_cast<size_t>(n); i < padded; ++i) x0_[i] = x1_[i] = y_[i] = T(0);
    for (int i = 0; i < B; ++i) mask_[i] = i < tail_ ? T(1) : T(0);
  }

  int64_t n_ = 0, blocks_ = 0, tail_ = 0;
  std::vector<T> x0_, x1_, y_;
  V mask_ = V::Zero();
};

}  // namespace elbo::bench
