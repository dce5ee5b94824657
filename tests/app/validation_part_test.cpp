// The validation part `elbo fit --beta auto` holds out (apps/elbo/validation_part.hpp).
#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "elbo/graph/error.hpp"
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

TEST(validation_part, holds_out_each_class_in_proportion_when_given_labels) {
  // Three classes of 500, 300 and 201 rows, interleaved: a fifth of each is held out
  // (100, 60, round(40.2) = 40), every row on one side, each side sorted.
  std::vector<double> labels;
  for (int64_t r = 0; r < 1001; ++r) labels.push_back(r < 600 ? static_cast<double>(r % 2) : r < 800 ? 1.0 : 2.0);
  // counts: class 0 300, class 1 300 + 200 = 500, class 2 201
  const ValidationSplit a = split_for_validation(1001, 0.2, 7, labels);
  auto held = [&](double c) {
    return std::count_if(a.validation_rows.begin(), a.validation_rows.end(),
                         [&](int64_t r) { return labels[static_cast<size_t>(r)] == c; });
  };
  EXPECT_EQ(held(0.0), 60);
  EXPECT_EQ(held(1.0), 100);
  EXPECT_EQ(held(2.0), 40);
  std::vector<int64_t> all = a.fit_rows;
  all.insert(all.end(), a.validation_rows.begin(), a.validation_rows.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 1001u);
  for (int64_t r = 0; r < 1001; ++r) ASSERT_EQ(all[static_cast<size_t>(r)], r);
  EXPECT_TRUE(std::is_sorted(a.fit_rows.begin(), a.fit_rows.end()));
  EXPECT_TRUE(std::is_sorted(a.validation_rows.begin(), a.validation_rows.end()));
  EXPECT_EQ(split_for_validation(1001, 0.2, 7, labels).validation_rows, a.validation_rows);
  // A class of one row keeps it on the fitted side (round(0.2) = 0).
  std::vector<double> rare(50, 0.0);
  rare[17] = 1.0;
  const ValidationSplit b = split_for_validation(50, 0.2, 3, rare);
  EXPECT_EQ(b.validation_rows.size(), 10u);
  EXPECT_TRUE(std::find(b.fit_rows.begin(), b.fit_rows.end(), 17) != b.fit_rows.end());
  EXPECT_THROW(split_for_validation(10, 0.2, 1, std::vector<double>(9, 0.0)), InvalidArgument);
}

}  // namespace
}  // namespace elbo::cli
