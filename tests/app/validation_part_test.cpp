// The validation part `elbo fit --beta auto` holds out (apps/elbo/validation_part.hpp).
#include <algorithm>

#include <gtest/gtest.h>

#include "validation_part.hpp"

namespace elbo::cli {
namespace {

TEST(validation_part, holds_out_a_seeded_fifth_of_the_rows) {
  const ValidationSplit a = split_for_validation(1001, 0.2, 7);
  ASSERT_EQ(a.validation_rows.size(), 200u);  // round(200.2)
  ASSERT_EQ(a.fit_rows.size(), 801u);
  // Every row on exactly one side, each side in increasing order.
  std::vector<int64_t> all = a.fit_rows;
  all.insert(all.end(), a.validation_rows.begin(), a.validation_rows.end());
  std::sort(all.begin(), all.end());
  for (int64_t r = 0; r < 1001; ++r) ASSERT_EQ(all[static_cast<size_t>(r)], r);
  EXPECT_TRUE(std::is_sorted(a.fit_rows.begin(), a.fit_rows.end()));
  EXPECT_TRUE(std::is_sorted(a.validation_rows.begin(), a.validation_rows.end()));
  // A pure function of the seed; another seed another part.
  EXPECT_EQ(split_for_validation(1001, 0.2, 7).validation_rows, a.validation_rows);
  EXPECT_NE(split_for_validation(1001, 0.2, 8).validation_rows, a.validation_rows);
  // Spread over the rows, not a block: a uniform fifth of 1001 rows has about 100 in the
  // first half (hypergeometric sd about 6.3; the bounds, 30 either side, are 4.7 sd and still
  // catch a block of consecutive rows, which would put 0 or 200 there).
  const auto first_half = std::count_if(a.validation_rows.begin(), a.validation_rows.end(),
                                        [](int64_t r) { return r < 500; });
  EXPECT_GT(first_half, 70);
  EXPECT_LT(first_half, 130);
  // The edges: nothing held out, everything held out.
  EXPECT_TRUE(split_for_validation(10, 0.0, 1).validation_rows.empty());
  EXPECT_EQ(split_for_validation(10, 1.0, 1).validation_rows.size(), 10u);
  EXPECT_TRUE(split_for_validation(0, 0.2, 1).fit_rows.empty());
}

}  // namespace
}  // namespace elbo::cli
