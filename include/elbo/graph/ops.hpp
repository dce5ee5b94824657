#pragma once
// Expression-building functions. Each adds one node to the graph of its operands;
// broadcasting follows NumPy, and parameter-dependent operands carry the sample
// dimension implicitly (matmul([N,2], w[2,5] sampled) is [S,N,5] at run time).
// Every function throws ShapeError naming the op and the shapes when they do not fit.
#include <cstdint>
#include <span>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/graph/graph.hpp"

ELBO_API_BEGIN
namespace elbo {

// Elementwise, broadcasting.
Expr add(Expr a, Expr b);
Expr sub(Expr a, Expr b);
Expr mul(Expr a, Expr b);
Expr div(Expr a, Expr b);
/// a ** b, elementwise; a must be positive where b is not an integer.
Expr pow(Expr a, Expr b);
Expr pow(Expr a, double exponent);
/// cond != 0 ? a : b (no gradient flows to cond).
Expr where(Expr cond, Expr a, Expr b);

// Elementwise, unary.
Expr neg(Expr x);
Expr square(Expr x);
Expr exp(Expr x);
Expr log(Expr x);
Expr log1p(Expr x);
Expr expm1(Expr x);
Expr sqrt(Expr x);
Expr abs(Expr x);
Expr tanh(Expr x);
Expr sigmoid(Expr x);
/// log(sigmoid(x)), computed stably.
Expr log_sigmoid(Expr x);
/// log(1 + exp(x)), computed stably.
Expr softplus(Expr x);
Expr relu(Expr x);
/// min(max(x, lo), hi); the gradient is zero outside (lo, hi).
Expr clip(Expr x, double lo, double hi);

/// NumPy matmul: vector-vector, matrix-vector, matrix-matrix and batched (leading dims broadcast).
Expr matmul(Expr a, Expr b);

// Linear algebra on [n, n] matrices (one per sample).
/// The lower Cholesky factor L of a symmetric positive-definite A (L L^T = A), read from
/// A's lower triangle; NaN everywhere when A is not positive definite.
Expr cholesky(Expr a);
/// L^-1 b for a lower-triangular L [n, n] (its strict upper triangle is not read) and b of
/// shape [n] or [n, m].
Expr solve_lower(Expr l, Expr b);

/// One planar flow layer (Rezende & Mohamed 2015) on the state x = (z [D], c):
/// (z + u_hat tanh(w.z + b), c + log|det J|) with u_hat = u + (softplus(w.u) - 1 - w.u)
/// w / |w|^2, the form that keeps the layer invertible; u, w [D], b a scalar. c carries
/// the log-determinant of the layers before, so a stack is a chain of these nodes.
Expr planar_flow(Expr x, Expr u, Expr w, Expr b);

/// The value of x, with the gradient reaching x multiplied by `factor` (Theano's
/// grad_scale; 0 stops it). factor is a scalar data input or constant, not a parameter.
Expr scale_gradient(Expr x, Expr factor);

// Reductions. axis may be negative; keepdims keeps the reduced axis with size 1.
Expr sum(Expr x);
Expr sum(Expr x, int axis, bool keepdims = false);
Expr mean(Expr x);
Expr mean(Expr x, int axis, bool keepdims = false);
Expr logsumexp(Expr x);
Expr logsumexp(Expr x, int axis, bool keepdims = false);

// Fused log densities: one node each, with the gradient in the same kernel.
/// log Bernoulli(y | p) elementwise for labels y in {0, 1}: y != 0 ? log p : log1p(-p);
/// p and y have the same shape. A program runs it on p = sigmoid(z) as
/// bernoulli_logit_logp(z, y), and its sum or mean as the _sum / _mean forms below.
Expr bernoulli_logp(Expr p, Expr y);
/// log Bernoulli(y | sigmoid(logit)) elementwise for labels y in {0, 1}, i.e.
/// y logit - softplus(logit); logit and y have the same shape.
Expr bernoulli_logit_logp(Expr logit, Expr y);
/// The sum, and the mean, of bernoulli_logit_logp(logit, y) over all elements: a scalar
/// (the observed variable's log-likelihood in one node; the mean is NaN for no elements).
/// The mean times `scale` (a minibatch's total_size scaling) is still one node, with the
/// bits of bernoulli_logit_logp_mean(logit, y) * scale.
Expr bernoulli_logit_logp_sum(Expr logit, Expr y);
Expr bernoulli_logit_logp_mean(Expr logit, Expr y, double scale = 1.0);
/// The sum, and the mean (times `scale`), over rows of log Categorical(y | softmax(logits)):
/// logits [rows, K], class labels y [rows] with values 0 .. K-1 (any other value gives NaN),
/// each row's logits[y] - logsumexp(logits). One node; no gradient flows to y.
Expr categorical_logit_logp_sum(Expr logits, Expr labels);
Expr categorical_logit_logp_mean(Expr logits, Expr labels, double scale = 1.0);
/// sum over all elements of log N(x | mu, sigma), for constant mu and sigma > 0: a scalar.
Expr normal_logp_sum(Expr x, double mu, double sigma);
/// The same summed over several tensors (1 to 16) with one prior: a scalar.
Expr normal_logp_sum(std::span<const Expr> xs, double mu, double sigma);

// Shape manipulation (logical row-major semantics).
/// New shape with the same element count; one entry may be -1.
Expr reshape(Expr x, Shape shape);
/// Reverses the last two axes (rank >= 2), or permutes by `perm`.
Expr transpose(Expr x);
Expr transpose(Expr x, std::vector<int64_t> perm);
/// Elements [begin, end) along `axis`.
Expr slice(Expr x, int axis, int64_t begin, int64_t end);
Expr concat(const std::vector<Expr>& xs, int axis);
/// Rows of x (along axis 0) at integer-valued `index` (rank 1, not differentiable).
Expr gather_rows(Expr x, Expr index);

// Arithmetic operators; a double becomes a scalar constant of the other operand's graph.
Expr operator+(Expr a, Expr b);
Expr operator-(Expr a, Expr b);
Expr operator*(Expr a, Expr b);
Expr operator/(Expr a, Expr b);
Expr operator-(Expr a);
Expr operator+(Expr a, double b);
Expr operator+(double a, Expr b);
Expr operator-(Expr a, double b);
Expr operator-(double a, Expr b);
Expr operator*(Expr a, double b);
Expr operator*(double a, Expr b);
Expr operator/(Expr a, double b);
Expr operator/(double a, Expr b);

}  // namespace elbo
ELBO_API_END
