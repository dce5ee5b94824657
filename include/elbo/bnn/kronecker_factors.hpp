#pragma once
// The Kronecker factors of a network's generalised Gauss-Newton (GGN) matrix, one block per
// layer: what the K-FAC Laplace approximation (fit_laplace with hessian "kron") needs
// (Martens & Grosse 2015; Ritter, Botev & Barber 2018; laplace-torch's KronLaplace). For a
// layer with weights W [in, out] (and a bias, as an extra last row), over the N rows,
//     A = sum_n a_n a_n^T,    G = (1/N) sum_n J_n^T Lambda_n J_n,
// a_n the layer's input at row n (a 1 appended for the bias), J_n the Jacobian of the
// network's last layer f_n with respect to the layer's pre-activation, and Lambda_n the
// Hessian of -log p(y_n | f_n) with respect to f_n. The block's GGN is about A (x) G. Lambda_n
// comes from the likelihood's own log density (Likelihood::log_density) by central
// differences in f_n, with its negative eigenvalues set to 0 (a Student-t's can be
// negative), so every likelihood works without a formula of its own.
#include <span>
#include <vector>

#include "elbo/bnn/likelihood.hpp"
#include "elbo/bnn/mlp.hpp"
#include "elbo/export.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/laplace.hpp"

ELBO_API_BEGIN
namespace elbo {

/// The factors of every layer of `net` (built by build_mlp with `options` on `model`, in
/// float64, with its data x and y) at the flat unconstrained point z. Throws InvalidArgument
/// for a model that is not such a network (a float32 model, missing weights) and
/// NumericalError when the network's output or the likelihood's curvature is not finite.
std::vector<KroneckerFactors> mlp_kronecker_factors(const Model& model, const Mlp& net, const MlpOptions& options,
                                                    const Likelihood& likelihood, std::span<const double> z,
                                                    int threads = 1);

}  // namespace elbo
ELBO_API_END
