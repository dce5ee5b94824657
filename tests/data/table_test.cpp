#include "elbo/data/table.hpp"

#include <gtest/gtest.h>

#include "data/test_files.hpp"
#include "elbo/data/csv.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {
namespace {

using test::thrown_message;

Table sample() { return parse_csv("x1,x2,label\n1,2,0\n3,4,1\n", "t.csv"); }

TEST(split_target, takes_the_last_column_by_default) {
  Dataset d = split_target(sample());
  EXPECT_EQ(d.x.to_vector(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(d.x.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.y.to_vector(), (std::vector<double>{0, 1}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(d.target_name, "label");
}

TEST(split_target, picks_a_column_by_name_or_index) {
  Dataset by_name = split_target(sample(), "x1");
  EXPECT_EQ(by_name.y.to_vector(), (std::vector<double>{1, 3}));
  EXPECT_EQ(by_name.x.to_vector(), (std::vector<double>{2, 0, 4, 1}));
  EXPECT_EQ(by_name.feature_names, (std::vector<std::string>{"x2", "label"}));
  EXPECT_EQ(split_target(sample(), "1").target_name, "x2");
  EXPECT_EQ(split_target(sample(), int64_t{0}).target_name, "x1");
}

TEST(split_target, prefers_a_column_named_like_an_index) {
  Table t = parse_csv("1,0\n5,6\n", "t.csv");
  EXPECT_EQ(split_target(t, "0").y.to_vector(), (std::vector<double>{6}));
  EXPECT_EQ(split_target(t, "1").y.to_vector(), (std::vector<double>{5}));
}

TEST(split_target, converts_to_the_requested_dtype) {
  Dataset d = split_target(sample(), "", DType::f32);
  EXPECT_EQ(d.x.dtype(), DType::f32);
  EXPECT_EQ(d.y.dtype(), DType::f32);
}

TEST(split_target, names_an_unknown_column_and_lists_the_available_ones) {
  EXPECT_EQ(thrown_message<InvalidArgument>([] { split_target(sample(), "lable"); }),
            "argument 'target' is \"lable\", which is neither a column name nor a 0-based column "
            "index; the columns are: 0 \"x1\", 1 \"x2\", 2 \"label\"");
  EXPECT_EQ(thrown_message<InvalidArgument>([] { split_target(sample(), "3"); }),
            "argument 'target' is \"3\", which is neither a column name nor a 0-based column "
            "index; the columns are: 0 \"x1\", 1 \"x2\", 2 \"label\"");
  EXPECT_EQ(thrown_message<InvalidArgument>([] { split_target(sample(), int64_t{-1}); }),
            "argument 'target' is column -1, but the table has columns 0 to 2: 0 \"x1\", 1 \"x2\", "
            "2 \"label\"");
}

TEST(split_target, needs_a_feature_column_besides_the_target) {
  Table t = parse_csv("y\n1\n", "t.csv");
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { split_target(t); }),
            "argument 'target' is column 0 \"y\", the table's only column; no feature columns "
            "would be left");
}

TEST(column, returns_one_column_and_names_a_bad_index) {
  EXPECT_EQ(column(sample(), 1).to_vector(), (std::vector<double>{2, 4}));
  EXPECT_EQ(thrown_message<InvalidArgument>([] { column(sample(), 5); }),
            "argument 'index' is 5, but the table has columns 0 to 2: 0 \"x1\", 1 \"x2\", 2 \"label\"");
}

}  // namespace
}  // namespace elbo::data
