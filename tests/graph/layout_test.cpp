// The tiled copies between row-major order and the internal layout (src/graph/layout.hpp),
// against the element-by-element definition, for shapes that are not multiples of the tile
// and for any split of the rows.
#include "graph/layout.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace elbo {
namespace {

TEST(layout, tiled_row_copies_match_the_elementwise_layout_for_any_split_of_the_rows) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{37, 53}, {1, 40}, {40, 1}, {16, 16}, {17, 33}, {784, 10}}) {
    const Shape shape{rows, cols};
    std::vector<float> src(static_cast<size_t>(rows * cols));
    for (size_t k = 0; k < src.size(); ++k) src[k] = static_cast<float>(k) + 0.5f;
    std::vector<float> want(src.size());
    layout::from_row_major(src.data(), want.data(), shape);
    for (int64_t cut : {int64_t{0}, rows / 3, rows}) {
      std::vector<float> got(src.size(), -1.0f);
      layout::rows_into_internal(src.data(), got.data(), rows, cols, 0, cut);
      layout::rows_into_internal(src.data(), got.data(), rows, cols, cut, rows);
      EXPECT_EQ(got, want) << rows << "x" << cols << " cut at " << cut;
      std::vector<float> back(src.size(), -1.0f);
      layout::rows_from_internal(got.data(), back.data(), rows, cols, 0, cut);
      layout::rows_from_internal(got.data(), back.data(), rows, cols, cut, rows);
      EXPECT_EQ(back, src) << rows << "x" << cols << " cut at " << cut;
    }
  }
}

}  // namespace
}  // namespace elbo
