// The table of one per-ISA copy of the kernels (isa.hpp): compiled only into that copy,
// with ELBO_ISA_VARIANT naming the level; its one global symbol is the function below.
// Every op in ops/registry.hpp must be listed (the test isa.kernel_table_lists_every_op).
#ifdef ELBO_ISA_VARIANT
#include "ops/registry.hpp"

#define ELBO_ISA_CAT2(a, b) a##b
#define ELBO_ISA_CAT(a, b) ELBO_ISA_CAT2(a, b)

namespace elbo {
namespace {

const OpDef* const kOps[] = {
    &ops::add_op, &ops::sub_op, &ops::mul_op, &ops::div_op, &ops::pow_op,
    &ops::where_op,
    &ops::neg_op, &ops::square_op, &ops::exp_op, &ops::log_op, &ops::log1p_op, &ops::expm1_op,
    &ops::sqrt_op, &ops::abs_op, &ops::tanh_op, &ops::sigmoid_op, &ops::log_sigmoid_op,
    &ops::softplus_op, &ops::relu_op,
    &ops::clip_op,
    &ops::matmul_op,
    &ops::matmul_tanh_op, &ops::matmul_relu_op, &ops::matmul_sigmoid_op,
    &ops::matmul_bias_op, &ops::matmul_bias_tanh_op, &ops::matmul_bias_relu_op, &ops::matmul_bias_sigmoid_op,
    &ops::sum_op, &ops::mean_op, &ops::logsumexp_op,
    &ops::bernoulli_logit_logp_op, &ops::bernoulli_logit_logp_sum_op, &ops::normal_logp_sum_op,
    &ops::bernoulli_logp_op,
    &ops::categorical_logit_logp_sum_op,
    &ops::scale_gradient_op,
    &ops::cholesky_op, &ops::solve_lower_op,
    &ops::planar_flow_op,
    &ops::reshape_op, &ops::transpose_op, &ops::slice_op, &ops::concat_op, &ops::gather_rows_op,
};

}  // namespace
}  // namespace elbo

extern "C" __attribute__((visibility("hidden"))) const elbo::OpDef* const* ELBO_ISA_CAT(
    elbo_isa_kernels_, ELBO_ISA_VARIANT)(int* count) {
  *count = static_cast<int>(sizeof elbo::kOps / sizeof elbo::kOps[0]);
  return elbo::kOps;
}
#endif
