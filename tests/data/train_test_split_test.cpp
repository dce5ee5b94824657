#include "elbo/data/train_test_split.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "data/test_files.hpp"
#include "elbo/data/make_moons.hpp"
#include "elbo/data/standardizer.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {
namespace {

using test::thrown_message;

// Row i has x = (i, -i) and y = i, so every row can be traced.
Dataset numbered(int64_t n) {
  Dataset d{Tensor(DType::f64, {n, 2}), Tensor(DType::f64, {n}), {"a", "b"}, "t"};
  for (int64_t i = 0; i < n; ++i) {
    d.x.set(2 * i, static_cast<double>(i));
    d.x.set(2 * i + 1, -static_cast<double>(i));
    d.y.set(i, static_cast<double>(i));
  }
  return d;
}

TEST(train_test_split, halves_the_tutorial_data) {
  auto moons = make_moons({.n_samples = 1000, .noise = 0.2, .seed = 0});
  auto [train, test] = train_test_split(standardize(moons), {.test_size = 0.5});
  EXPECT_EQ(train.rows(), 500);
  EXPECT_EQ(test.rows(), 500);
  EXPECT_EQ(train.x.shape(), (Shape{500, 2}));
  EXPECT_EQ(test.y.shape(), (Shape{500}));
}

TEST(train_test_split, rounds_the_test_part_up_like_scikit_learn) {
  auto [train, test] = train_test_split(numbered(10));  // 0.25 * 10 = 2.5 -> 3
  EXPECT_EQ(test.rows(), 3);
  EXPECT_EQ(train.rows(), 7);
}

TEST(train_test_split, parts_are_disjoint_cover_every_row_and_keep_rows_whole) {
  auto [train, test] = train_test_split(numbered(101), {.test_size = 0.3, .seed = 9});
  std::set<double> seen;
  for (const Dataset* part : {&train, &test})
    for (int64_t r = 0; r < part->rows(); ++r) {
      const double id = part->y[r];
      EXPECT_EQ(part->x.at({r, 0}), id);
      EXPECT_EQ(part->x.at({r, 1}), -id);
      EXPECT_TRUE(seen.insert(id).second) << "row " << id << " appears twice";
    }
  EXPECT_EQ(seen.size(), 101u);
  EXPECT_EQ(train.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(test.target_name, "t");
}

TEST(train_test_split, shuffles_reproducibly_by_seed) {
  auto d = numbered(50);
  auto a = train_test_split(d, {.seed = 1});
  auto b = train_test_split(d, {.seed = 1});
  auto c = train_test_split(d, {.seed = 2});
  EXPECT_EQ(a.second.y.to_vector(), b.second.y.to_vector());
  EXPECT_NE(a.second.y.to_vector(), c.second.y.to_vector());
  auto ids = a.first.y.to_vector();
  EXPECT_FALSE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(train_test_split, without_shuffle_takes_the_last_rows_for_testing) {
  auto [train, test] = train_test_split(numbered(8), {.test_size = 0.25, .shuffle = false});
  EXPECT_EQ(train.y.to_vector(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(test.y.to_vector(), (std::vector<double>{6, 7}));
}

TEST(train_test_split, names_a_test_size_outside_zero_to_one) {
  auto d = numbered(10);
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { train_test_split(d, {.test_size = 0}); }),
            "train_test_split: argument 'test_size' is 0, but must be in (0, 1)");
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { train_test_split(d, {.test_size = 1}); }),
            "train_test_split: argument 'test_size' is 1, but must be in (0, 1)");
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { train_test_split(d, {.test_size = NAN}); }),
            "train_test_split: argument 'test_size' is nan, but must be in (0, 1)");
}

TEST(train_test_split, refuses_to_leave_a_part_empty) {
  EXPECT_EQ(thrown_message<InvalidArgument>([] { train_test_split(numbered(10), {.test_size = 0.95}); }),
            "train_test_split: argument 'test_size' is 0.95, which puts 10 of 10 rows in the "
            "test part and 0 in the train part; both parts must be non-empty");
  EXPECT_EQ(thrown_message<InvalidArgument>([] { train_test_split(numbered(1), {.test_size = 0.5}); }),
            "train_test_split: argument 'test_size' is 0.5, which puts 1 of 1 rows in the "
            "test part and 0 in the train part; both parts must be non-empty");
}

TEST(train_test_split, names_mismatched_x_and_y) {
  Dataset d{Tensor(DType::f64, {4, 2}), Tensor(DType::f64, {3}), {}, ""};
  EXPECT_EQ(thrown_message<ShapeError>([&] { train_test_split(d); }),
            "train_test_split: y has shape [3], but must be [4] to match x [4,2]");
}

}  // namespace
}  // namespace elbo::data
