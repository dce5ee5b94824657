// The points `elbo plot` draws from a file of any size (apps/elbo/point_sample.hpp).
#include "point_sample.hpp"

#include <gtest/gtest.h>

namespace elbo::cli {
namespace {

TEST(point_sample, keeps_every_row_in_order_up_to_the_cap) {
  PointSample s(3, 10);
  for (int i = 0; i < 10; ++i) s.offer(i, -i, i % 2, 1 - i % 2);
  const PointSample::Points p = s.points();
  ASSERT_EQ(p.row.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(p.row[i], i);
    EXPECT_EQ(p.x0[i], i);
    EXPECT_EQ(p.x1[i], -i);
    EXPECT_EQ(p.target[i], i % 2);
    EXPECT_EQ(p.predicted[i], 1 - i % 2);
  }
}

constexpr int64_t kRows = 100000, kCap = 5000;

TEST(point_sample, keeps_a_uniform_sample_of_cap_rows_in_row_order_for_a_given_seed) {
  auto sample = [](uint64_t seed) {
    PointSample s(seed, kCap);
    for (int64_t i = 0; i < kRows; ++i)
      s.offer(static_cast<double>(i), 0.5 * static_cast<double>(i), static_cast<double>(i % 2),
              static_cast<double>(i % 3));
    EXPECT_EQ(s.rows(), kRows);
    return s.points();
  };
  const PointSample::Points a = sample(7);
  ASSERT_EQ(a.row.size(), static_cast<size_t>(kCap));
  for (size_t k = 0; k < a.row.size(); ++k) {
    if (k > 0) {
      ASSERT_LT(a.row[k - 1], a.row[k]);  // in row order, no row twice
    }
    ASSERT_EQ(a.x0[k], static_cast<double>(a.row[k]));  // each point keeps its own values
    ASSERT_EQ(a.x1[k], 0.5 * static_cast<double>(a.row[k]));
    ASSERT_EQ(a.target[k], static_cast<double>(a.row[k] % 2));
    ASSERT_EQ(a.predicted[k], static_cast<double>(a.row[k] % 3));
  }
  // Uniform: each tenth of the rows holds about a tenth of the sample. The count is
  // hypergeometric with sd 20.7; 100 is 4.8 sd, so a fair sample fails one of the ten
  // checks about once in 60,000 seeds (the seed is fixed); a sample that favours early or late rows (the last rows kept, or the first)
  // misses it by thousands.
  std::vector<int> per_tenth(10, 0);
  for (int64_t r : a.row) ++per_tenth[static_cast<size_t>(r * 10 / kRows)];
  for (int t = 0; t < 10; ++t) EXPECT_NEAR(per_tenth[t], kCap / 10, 100) << "tenth " << t;
  // The same seed gives the same rows; another seed other rows.
  EXPECT_EQ(sample(7).row, a.row);
  EXPECT_NE(sample(8).row, a.row);
}

}  // namespace
}  // namespace elbo::cli
