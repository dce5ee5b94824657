#pragma once
// Every op of the engine. Adding an op: one file in src/graph/ops/ and one line here.
#include <span>

#include "../op.hpp"

namespace elbo::ops {

extern const OpDef add_op, sub_op, mul_op, div_op, pow_op;
extern const OpDef where_op;
extern const OpDef neg_op, square_op, exp_op, log_op, log1p_op, expm1_op, sqrt_op, abs_op,
    tanh_op, sigmoid_op, log_sigmoid_op, softplus_op, relu_op;
extern const OpDef clip_op;
extern const OpDef matmul_op;
// Fused by programs only (matmul_activation_op.cpp):
extern const OpDef matmul_tanh_op, matmul_relu_op, matmul_sigmoid_op;
extern const OpDef matmul_bias_op, matmul_bias_tanh_op, matmul_bias_relu_op, matmul_bias_sigmoid_op;
/// The op that computes activation(matmul(a, b) [+ bias]) in one pass (activation null:
/// the product and its bias alone), or null when there is none (matmul_activation_op.cpp).
const OpDef* matmul_fused_with(const OpDef* activation, bool bias);
/// matmul or one of its fused forms: A B with B its second input (either layout, KernelArgs::in_row_major).
bool is_matrix_product(const OpDef& op);
extern const OpDef sum_op, mean_op, logsumexp_op;
extern const OpDef bernoulli_logit_logp_op, bernoulli_logit_logp_sum_op, normal_logp_sum_op;
extern const OpDef bernoulli_logp_op;
extern const OpDef categorical_logit_logp_sum_op;
extern const OpDef scale_gradient_op;
extern const OpDef cholesky_op, solve_lower_op;
extern const OpDef planar_flow_op;
extern const OpDef reshape_op, transpose_op, slice_op, concat_op, gather_rows_op;

}  // namespace elbo::ops
