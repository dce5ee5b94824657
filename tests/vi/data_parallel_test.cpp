// Data-parallel fitting (DataParallelOptions): R processes, simulated by R threads that
// share an in-memory allreduce, each holding its blocks of the rows, end with the same
// approximation, bit for bit, for every R; and the blocked gradient is the plain one.
#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <elbo/elbo.hpp>

namespace elbo {
namespace {

// The allreduce of R threads: each adds its values, the last to arrive publishes the sum.
class SharedSum {
 public:
  explicit SharedSum(int ranks) : ranks_(ranks) {}
  void allreduce(std::span<FixedPoint> v) {
    std::unique_lock lock(mutex_);
    const uint64_t generation = generation_;
    if (arrived_ == 0) acc_.assign(v.size(), FixedPoint{0});
    for (size_t i = 0; i < v.size(); ++i) acc_[i] += v[i];
    if (++arrived_ == ranks_) {
      arrived_ = 0;
      result_ = acc_;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != generation; });
    }
    std::copy(result_.begin(), result_.end(), v.begin());
  }
  int ranks() const { return ranks_; }

 private:
  int ranks_, arrived_ = 0;
  uint64_t generation_ = 0;
  std::vector<FixedPoint> acc_, result_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

class ThreadRank final : public Communicator {
 public:
  ThreadRank(SharedSum& shared, int rank) : shared_(&shared), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return shared_->ranks(); }
  void allreduce_sum(std::span<FixedPoint> values) override { shared_->allreduce(values); }

 private:
  SharedSum* shared_;
  int rank_;
};

constexpr int64_t kRows = 103, kBlock = 10, kBlocks = (kRows + kBlock - 1) / kBlock;

struct Data {
  Tensor x, y;
};

Data make_data(DType dtype) {
  Philox rng(5);
  Tensor x = rng.normal(DType::f64, {kRows, 3}, 0, 0);
  Tensor y(DType::f64, {kRows});
  for (int64_t r = 0; r < kRows; ++r) y.set(r, std::sin(x[r * 3]) + 0.5 * x[r * 3 + 1] - 0.3 * x[r * 3 + 2]);
  return {x.to(dtype), y.to(dtype)};
}

// A small network regression on the given rows.
std::unique_ptr<Model> network(const Tensor& x, const Tensor& y, DType dtype) {
  auto m = std::make_unique<Model>(dtype);
  Expr xe = m->data("x", x), ye = m->data("y", y);
  Philox rng(3);
  Expr w1 = m->normal("w1", 0, 1, {3, 4}, {.initial = rng.normal(DType::f64, {3, 4}, 0, 0)});
  Expr w2 = m->normal("w2", 0, 1, {4}, {.initial = rng.normal(DType::f64, {4}, 1, 0)});
  Expr sd = m->half_normal("sd", 1.0);
  m->normal_likelihood("out", matmul(tanh(matmul(xe, w1)), w2), sd, ye);
  return m;
}

InferenceOptions adam_options() {
  InferenceOptions o;
  o.seed = 11;
  o.optimizer.name = "adam";
  o.optimizer.learning_rate = 0.01;
  return o;
}

// SGD: one step moves the parameters by the learning rate times the gradient, so comparing
// parameters after one step compares gradients (Adam's first step is about the sign only).
InferenceOptions sgd_options() {
  InferenceOptions o = adam_options();
  o.optimizer.name = "sgd";
  o.optimizer.learning_rate = 1e-3;
  return o;
}

// The parameters after `steps` steps of a fit over R ranks (every rank's, in rank order).
std::vector<std::vector<double>> fit_ranks(int R, DType dtype, int64_t steps, int64_t obj_n_mc = 1,
                                           int64_t batch_rows = 0, bool sgd = false) {
  Data d = make_data(dtype);
  SharedSum shared(R);
  std::vector<std::vector<double>> params(static_cast<size_t>(R));
  std::vector<std::thread> threads;
  for (int r = 0; r < R; ++r)
    threads.emplace_back([&, r] {
      const int64_t b0 = r * kBlocks / R, b1 = (r + 1) * kBlocks / R;
      const int64_t row0 = std::min(kRows, b0 * kBlock), row1 = std::min(kRows, b1 * kBlock);
      auto m = network(d.x.rows(row0, row1), d.y.rows(row0, row1), dtype);
      InferenceOptions o = sgd ? sgd_options() : adam_options();
      o.data_parallel.communicator = std::make_shared<ThreadRank>(shared, r);
      o.data_parallel.row_data = {"x", "y"};
      o.data_parallel.block_rows = kBlock;
      o.data_parallel.first_block = b0;
      o.data_parallel.batch_rows = batch_rows;
      o.data_parallel.total_rows = kRows;
      o.data_parallel.batch_seed = 21;
      ADVI advi(*m, o);
      advi.fit(steps, {.obj_n_mc = obj_n_mc, .progressbar = false});
      auto p = advi.approximation().params();
      params[static_cast<size_t>(r)].assign(p.begin(), p.end());
    });
  for (auto& t : threads) t.join();
  return params;
}

TEST(DataParallel, EveryRankCountGivesTheSameBits) {
  for (DType dtype : {DType::f64, DType::f32}) {
    const auto one = fit_ranks(1, dtype, 300, 2);
    for (int R : {2, 3, 4, 7, 12}) {  // 12 ranks for 11 blocks: one rank holds none
      const auto many = fit_ranks(R, dtype, 300, 2);
      for (int r = 0; r < R; ++r) EXPECT_EQ(many[static_cast<size_t>(r)], one[0]) << "R=" << R << " rank " << r;
    }
  }
}

TEST(DataParallel, MinibatchesGiveTheSameBitsForEveryRankCount) {
  const auto one = fit_ranks(1, DType::f32, 300, 1, 17);
  for (int R : {2, 3, 5, 12}) {
    const auto many = fit_ranks(R, DType::f32, 300, 1, 17);
    for (int r = 0; r < R; ++r) EXPECT_EQ(many[static_cast<size_t>(r)], one[0]) << "R=" << R << " rank " << r;
  }
}

TEST(DataParallel, MinibatchGradientMatchesTheSameRowsInOneRun) {
  // The first step's batch drawn as the data-parallel fit draws it, fitted by a plain model
  // on exactly those rows with total_size: the same gradient up to rounding.
  const int64_t M = 17;
  Data d = make_data(DType::f64);
  std::vector<uint32_t> bits(M);
  Philox(21).bits(bits.data(), M, 7, 0);  // blocked_logp.cpp's stream for batch rows, step 0
  std::vector<int64_t> rows(M);
  for (int64_t i = 0; i < M; ++i) rows[i] = static_cast<int64_t>((static_cast<uint64_t>(bits[i]) * kRows) >> 32);
  const auto blocked = fit_ranks(1, DType::f64, 1, 1, M, true);
  Model m;
  Philox rng(3);
  Expr xe = m.data("x", d.x.gather_rows(rows)), ye = m.data("y", d.y.gather_rows(rows));
  Expr w1 = m.normal("w1", 0, 1, {3, 4}, {.initial = rng.normal(DType::f64, {3, 4}, 0, 0)});
  Expr w2 = m.normal("w2", 0, 1, {4}, {.initial = rng.normal(DType::f64, {4}, 1, 0)});
  Expr sd = m.half_normal("sd", 1.0);
  m.normal_likelihood("out", matmul(tanh(matmul(xe, w1)), w2), sd, ye, {.total_size = static_cast<double>(kRows)});
  ADVI plain(m, sgd_options());
  plain.fit(1, {.progressbar = false});
  auto p = plain.approximation().params();
  // The step moved the parameters by about 1e-3 x gradients of order 10-100: a wrong scale
  // (total / batch) would show at 1e-2; rounding of the two sums stays below 1e-12.
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(blocked[0][i], p[i], 1e-12) << i;
  double moved = 0;
  const auto start = m.initial_point();
  for (size_t i = 0; i < p.size() / 2; ++i) moved = std::max(moved, std::abs(p[i] - start[static_cast<int64_t>(i)]));
  EXPECT_GT(moved, 1e-3);  // the comparison above is of a real step
}

TEST(DataParallel, BlockedGradientIsThePlainOne) {
  // One SGD step from the same start with the same noise: the blocked sum differs from the
  // plain program's only by rounding (fixed point 2^-64 per block term, double sums), so
  // the parameters after one step agree to about 1e-12.
  const auto blocked = fit_ranks(1, DType::f64, 1, 1, 0, true);
  Data d = make_data(DType::f64);
  auto m = network(d.x, d.y, DType::f64);
  ADVI plain(*m, sgd_options());
  plain.fit(1, {.progressbar = false});
  auto p = plain.approximation().params();
  ASSERT_EQ(p.size(), blocked[0].size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(blocked[0][i], p[i], 1e-12) << i;
}

TEST(DataParallel, RefusesWhatItCannotSplit) {
  Data d = make_data(DType::f64);
  auto m = network(d.x, d.y, DType::f64);
  InferenceOptions o;
  o.data_parallel.communicator = std::make_shared<SingleProcess>();
  o.data_parallel.row_data = {"w1"};
  EXPECT_THROW(ADVI(*m, o), InvalidArgument);  // not a data container
  o.data_parallel.row_data = {"x"};
  o.data_parallel.block_rows = 0;
  EXPECT_THROW(ADVI(*m, o), InvalidArgument);
  o.data_parallel.block_rows = 10;
  Model mb;
  auto batch = mb.minibatch({"x", "y"}, {d.x, d.y}, {.batch_size = 10});
  Expr w = mb.normal("w", 0, 1, {3});
  mb.normal_likelihood("out", matmul(batch[0], w), 1.0, batch[1], {.total_size = kRows});
  EXPECT_THROW(ADVI(mb, o), InvalidArgument);  // minibatches and total_size
}

}  // namespace
}  // namespace elbo
