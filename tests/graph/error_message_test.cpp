// Every error the engine raises on bad input, with its exact message: each names the
// function or op, the argument or shapes, and what was expected (STYLE.md, "Bad input gets
// a message a person can act on").
#include <gtest/gtest.h>

#include <functional>

#include "elbo/graph.hpp"

namespace elbo {
namespace {

// Runs f and checks that it throws E with exactly `message`.
template <class E>
void expect_error(const std::function<void()>& f, const std::string& message) {
  try {
    f();
  } catch (const E& e) {
    EXPECT_EQ(std::string(e.what()), message);
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for \"" << message << "\": " << e.what();
    return;
  }
  ADD_FAILURE() << "no exception; expected \"" << message << "\"";
}

struct Fixture {
  Graph g{DType::f64};
  Expr x = g.data("x", Tensor(DType::f64, {500, 2}));
  Expr w = g.parameter("w", {3, 5});
  Expr v = g.parameter("v", {3, 4});
  Expr u = g.parameter("u", {5});
};

TEST(error_message, matmul_names_the_shapes_that_do_not_align) {
  Fixture f;
  expect_error<ShapeError>([&] { matmul(f.x, f.w); }, "matmul: shapes [500,2] and [3,5] do not align (2 != 3)");
  expect_error<ShapeError>([&] { matmul(f.g.scalar(2.0), f.u); },
                           "matmul: shapes [] and [5] include a scalar; matmul needs rank >= 1");
  Expr b1 = f.g.parameter("b1", {2, 3, 4}), b2 = f.g.parameter("b2", {3, 4, 2});
  expect_error<ShapeError>([&] { matmul(b1, b2); },
                           "matmul: shapes [2,3,4] and [3,4,2] have batch shapes [2] and [3] that do not broadcast");
}

TEST(error_message, elementwise_ops_name_the_shapes_that_do_not_broadcast) {
  Fixture f;
  expect_error<ShapeError>([&] { add(f.v, f.u); }, "add: shapes [3,4] and [5] do not broadcast (4 vs 5 at axis 1)");
  expect_error<ShapeError>([&] { f.v * f.w; }, "mul: shapes [3,4] and [3,5] do not broadcast (4 vs 5 at axis 1)");
  expect_error<ShapeError>([&] { f.x - f.v; }, "sub: shapes [500,2] and [3,4] do not broadcast (500 vs 3 at axis 0)");
  expect_error<ShapeError>([&] { where(f.u, f.v, f.v); },
                           "where: shapes [5], [3,4] and [3,4] do not broadcast (5 vs 4 at axis 1)");
}

TEST(error_message, reductions_name_the_axis_and_the_shape) {
  Fixture f;
  expect_error<ShapeError>([&] { sum(f.v, 2); }, "sum: axis 2 is out of range for shape [3,4]");
  expect_error<ShapeError>([&] { mean(f.v, -3); }, "mean: axis -3 is out of range for shape [3,4]");
  expect_error<ShapeError>([&] { logsumexp(f.g.scalar(1.0), 0); }, "logsumexp: axis 0 is out of range for shape []");
}

TEST(error_message, shape_manipulations_name_the_shape_and_the_request) {
  Fixture f;
  expect_error<ShapeError>([&] { reshape(f.v, {5}); }, "reshape: shape [3,4] cannot be reshaped to [5]");
  expect_error<ShapeError>([&] { reshape(f.v, {5, -1}); }, "reshape: shape [3,4] cannot be reshaped to [5,-1]");
  expect_error<ShapeError>([&] { reshape(f.v, {-1, -1}); },
                           "reshape: shape [3,4] cannot be reshaped to [-1,-1] (more than one -1)");
  expect_error<ShapeError>([&] { reshape(f.v, {-2, -6}); },
                           "reshape: shape [3,4] cannot be reshaped to [-2,-6] (negative size)");
  expect_error<ShapeError>([&] { reshape(f.u, {1, 1, 1, 1, 5}); },
                           "reshape: shape [5] -> [1,1,1,1,5] exceeds the maximum rank 4");
  expect_error<ShapeError>([&] { transpose(f.v, {0, 0}); },
                           "transpose: shape [3,4] needs a permutation of its 2 axes, got [0,0]");
  expect_error<ShapeError>([&] { transpose(f.v, {1, 0, 2}); },
                           "transpose: shape [3,4] needs a permutation of its 2 axes, got [1,0,2]");
  expect_error<ShapeError>([&] { transpose(f.u); }, "transpose: shape [5] has rank below 2");
  expect_error<ShapeError>([&] { slice(f.v, 0, 1, 9); }, "slice: shape [3,4] cannot be sliced [1,9) along axis 0");
  expect_error<ShapeError>([&] { slice(f.v, 1, 3, 2); }, "slice: shape [3,4] cannot be sliced [3,2) along axis 1");
  expect_error<ShapeError>([&] { slice(f.v, 2, 0, 1); }, "slice: axis 2 is out of range for shape [3,4]");
  expect_error<ShapeError>([&] { concat({f.v, f.u}, 0); }, "concat: shapes [3,4] and [5] differ in rank");
  expect_error<ShapeError>([&] { concat({f.v, f.w}, 0); }, "concat: shapes [3,4] and [3,5] differ outside axis 0");
  expect_error<ShapeError>([&] { concat({f.v, f.w}, 2); }, "concat: axis 2 is out of range for shape [3,4]");
  expect_error<InvalidArgument>([&] { concat({}, 0); }, "concat: no operands");
  expect_error<InvalidArgument>([&] { concat(std::vector<Expr>(17, f.u), 0); },
                                "concat: got 17 operands, at most 16");
  Expr idx2 = f.g.constant(Tensor(DType::f64, {2, 2}));
  expect_error<ShapeError>([&] { gather_rows(f.v, idx2); },
                           "gather_rows: shapes [3,4] and [2,2] do not fit (the index must have rank 1)");
  expect_error<ShapeError>([&] { gather_rows(f.g.scalar(1.0), f.u); },
                           "gather_rows: shapes [] and [5] do not fit (the first operand is a scalar)");
}

TEST(error_message, operands_must_come_from_one_graph_and_be_non_empty) {
  Fixture f;
  Graph other(DType::f64);
  Expr o = other.parameter("o", {5});
  expect_error<InvalidArgument>([&] { add(f.u, o); }, "add: an operand belongs to another graph");
  expect_error<InvalidArgument>([&] { matmul(f.v, o); }, "matmul: an operand belongs to another graph");
  expect_error<InvalidArgument>([&] { concat({f.u, o}, 0); }, "concat: an operand belongs to another graph");
  expect_error<InvalidArgument>([&] { add(f.u, Expr{}); }, "add: an operand is an empty expression");
  expect_error<InvalidArgument>([&] { tanh(Expr{}); }, "tanh: the operand is an empty expression");
  expect_error<InvalidArgument>([&] { sum(Expr{}, 0); }, "sum: the operand is an empty expression");
  expect_error<InvalidArgument>([&] { Expr{} + 1.0; }, "arithmetic with an empty expression");
  expect_error<InvalidArgument>([&] { (void)Expr{}.shape(); },
                                "Expr: use of an empty expression (default-constructed Expr)");
  expect_error<InvalidArgument>([&] { f.g.set_data(Expr{}, Tensor(DType::f64, {1, 2})); },
                                "Graph::set_data: the data input is an empty expression");
  expect_error<InvalidArgument>([&] { other.set_data(f.x, Tensor(DType::f64, {1, 2})); },
                                "Graph::set_data: the data input 'x' belongs to another graph");
}

TEST(error_message, graph_inputs_name_the_input) {
  Fixture f;
  expect_error<InvalidArgument>([&] { f.g.data("x", Tensor(DType::f64, {2})); },
                                "Graph::data: the name 'x' is already used by a data input");
  expect_error<InvalidArgument>([&] { f.g.parameter("x", {2}); },
                                "Graph::parameter: the name 'x' is already used by a data input");
  expect_error<InvalidArgument>([&] { f.g.data("w", Tensor(DType::f64, {2})); },
                                "Graph::data: the name 'w' is already used by a parameter");
  expect_error<InvalidArgument>([&] { f.g.parameter("", {2}); }, "Graph::parameter: the name is empty");
  expect_error<ShapeError>([&] { f.g.parameter("big", {1, 1, 1, 1, 2}); },
                           "Graph::parameter('big'): rank of [1,1,1,1,2] exceeds 4");
  expect_error<ShapeError>([&] { f.g.parameter("neg", {2, -1}); },
                           "Graph::parameter('neg'): negative dimension in [2,-1]");
  expect_error<ShapeError>([&] { f.g.data("big", Tensor(DType::f64, {1, 1, 1, 1, 2})); },
                           "Graph::data('big'): rank of [1,1,1,1,2] exceeds 4");
  expect_error<ShapeError>([&] { f.g.constant(Tensor(DType::f64, {1, 1, 1, 1, 2})); },
                           "Graph::constant: rank of [1,1,1,1,2] exceeds 4");
  expect_error<InvalidArgument>([&] { f.g.find("nope"); }, "Graph: no data or parameter input named 'nope'");
  expect_error<InvalidArgument>([&] { f.g.set_data(f.w, Tensor(DType::f64, {3, 5})); },
                                "Graph::set_data: 'w' is not a data input");
  expect_error<InvalidArgument>([&] { f.g.set_data(f.u * 2.0, Tensor(DType::f64, {5})); },
                                "Graph::set_data: node 5 (mul) is not a data input");
  expect_error<ShapeError>([&] { f.g.set_data(f.x, Tensor(DType::f64, {500, 3})); },
                           "Graph::set_data('x'): new shape [500,3] differs from [500,2] in more than the number "
                           "of rows");
}

TEST(error_message, clip_names_its_bounds) {
  Fixture f;
  expect_error<InvalidArgument>([&] { clip(f.u, 1.0, 0.0); },
                                "clip: argument 'lo' is 1, but must not exceed 'hi' (0)");
  expect_error<InvalidArgument>([&] { clip(f.u, 0.25, -1e300); },
                                "clip: argument 'lo' is 0.25, but must not exceed 'hi' (-1e+300)");
}

TEST(error_message, program_construction_names_the_bad_entry) {
  Fixture f;
  Expr y = sum(f.u);
  expect_error<InvalidArgument>([&] { Program(f.g, {}); }, "Program: no outputs given");
  expect_error<InvalidArgument>([&] { Program(f.g, {Expr{}}); }, "Program: an empty expression among the outputs");
  Graph other(DType::f64);
  Expr o = sum(other.parameter("o", {2}));
  expect_error<InvalidArgument>([&] { Program(f.g, {o}); }, "Program: one of the outputs belongs to another graph");
  expect_error<InvalidArgument>([&] { Program(f.g, {y}, {f.u, f.x}); },
                                "Program: params[1] is the data input 'x', not a parameter input");
  expect_error<InvalidArgument>([&] { Program(f.g, {y}, {y}); },
                                "Program: params[0] is node " + std::to_string(y.id()) +
                                    " (sum), not a parameter input");
  expect_error<InvalidArgument>([&] { Program(f.g, {y}, {f.u, f.u}); }, "Program: params[1] 'u' is listed twice");
  expect_error<InvalidArgument>([&] { Program(f.g, {y}, {}, {.threads = 0}); },
                                "Program: option 'threads' is 0, but must be >= 1");
}

TEST(error_message, program_calls_name_the_argument) {
  Fixture f;
  Expr y = sum(f.u);
  Program prog(f.g, {y, f.u * 2.0}, {f.u});
  expect_error<InvalidArgument>([&] { prog.set_samples(0); },
                                "Program::set_samples: argument 'samples' is 0, but must be >= 1");
  expect_error<InvalidArgument>([&] { prog.set_threads(0); },
                                "Program::set_threads: argument 'threads' is 0, but must be >= 1");
  expect_error<InvalidArgument>([&] { prog.forward_backward(std::vector<double>{1.0}); },
                                "Program::forward_backward: 1 seeds given for 2 outputs; pass one seed per output");
  float t32[5] = {};
  expect_error<InvalidArgument>([&] { prog.set_flat_params(t32); },
                                "Program::set_flat_params: values are float32 but the program computes in float64");
  expect_error<InvalidArgument>([&] { prog.flat_gradient(t32); },
                                "Program::flat_gradient: values are float32 but the program computes in float64");
  expect_error<InvalidArgument>([&] { prog.output_values<float>(0); },
                                "Program::output_values: values are float32 but the program computes in float64");
  expect_error<InvalidArgument>([&] { prog.output(2); }, "Program::output: no output 2; the program has 2");
  expect_error<InvalidArgument>([&] { prog.output_shape(-1); },
                                "Program::output_shape: no output -1; the program has 2");
  expect_error<ShapeError>([&] { prog.set_param(f.u, Tensor(DType::f64, {4})); },
                           "Program::set_param('u'): value shape [4] is neither [5] nor [1,5]");
  expect_error<InvalidArgument>([&] { prog.set_param(f.w, Tensor(DType::f64, {3, 5})); },
                                "Program::set_param: 'w' is not a parameter of this program");
  expect_error<InvalidArgument>([&] { prog.gradient(f.w); },
                                "Program::gradient: 'w' is not a parameter of this program");
  std::vector<int64_t> rows = {0};
  expect_error<ShapeError>([&] { prog.set_data_rows(f.x, Tensor::scalar(1.0), rows); },
                           "Program::set_data_rows('x'): the source is a scalar");
}

TEST(error_message, tensors_name_the_shape_and_the_type) {
  expect_error<ShapeError>([] { Tensor(DType::f64, {1, 1, 1, 1, 1, 1}); },
                           "Tensor: rank 6 of shape [1,1,1,1,1,1] exceeds the maximum rank 5 (4 plus a sample "
                           "dimension)");
  expect_error<ShapeError>([] { Tensor(DType::f64, {2, -1}); }, "Tensor: negative dimension in shape [2,-1]");
  expect_error<ShapeError>([] { Tensor(DType::f64, {2, 2}, {1, 2, 3}); },
                           "Tensor: 3 values given for shape [2,2] (4 elements)");
  Tensor t64(DType::f64, {2});
  Tensor t32(DType::f32, {2});
  expect_error<InvalidArgument>([&] { t64.data<float>(); },
                                "Tensor::data<float>: the tensor is float64; use data<double>()");
  expect_error<InvalidArgument>([&] { t32.data<double>(); },
                                "Tensor::data<double>: the tensor is float32; use data<float>()");
  const Tensor& c64 = t64;
  expect_error<InvalidArgument>([&] { c64.data<float>(); },
                                "Tensor::data<float>: the tensor is float64; use data<double>()");
  expect_error<ShapeError>([&] { t64.reshaped({3}); }, "Tensor::reshaped: cannot reshape [2] to [3]");
  expect_error<ShapeError>([&] { t64.at({0, 0}); }, "Tensor::at: 2 indices for shape [2]");
  expect_error<ShapeError>([&] { t64.at({2}); }, "Tensor::at: index 2 out of range for axis 0 of shape [2]");
  expect_error<ShapeError>([&] { t64.dim(1); }, "Tensor::dim: axis 1 out of range for shape [2]");
  expect_error<ShapeError>([&] { t64.rows(1, 3); }, "Tensor::rows: range [1,3) invalid for shape [2]");
  std::vector<int64_t> bad = {0, 2};
  expect_error<ShapeError>([&] { t64.gather_rows(bad); }, "Tensor::gather_rows: row 2 out of range for 2 rows");
}

}  // namespace
}  // namespace elbo
