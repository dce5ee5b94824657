#pragma once
// The points a figure draws from a data file of any size: every row up to a cap, else a
// uniform sample of `cap` rows (reservoir sampling), so that `elbo plot` keeps a bounded
// number of points however many rows it reads. Which rows are kept is a pure function of
// the seed and the row count: the same file and seed give the same figure.
#include <cstdint>
#include <vector>

namespace elbo::cli {

class PointSample {
 public:
  /// The most points `elbo plot` draws.
  static constexpr int64_t kDefaultCap = 20000;
  explicit PointSample(uint64_t seed, int64_t cap = kDefaultCap);

  /// Offers the next row (rows are offered in file order): its two coordinates, its target
  /// and its predicted label (0 where there is none).
  void offer(double x0, double x1, double target, double predicted);
  /// Rows offered so far.
  int64_t rows() const { return rows_; }

  /// The kept points in row order (the file row of each in `row`): every row offered when
  /// at most `cap`, else `cap` of them, each row kept with probability cap / rows.
  struct Points {
    std::vector<int64_t> row;
    std::vector<double> x0, x1, target, predicted;
  };
  Points points() const;

 private:
  uint64_t seed_;
  int64_t cap_, rows_ = 0;
  Points kept_;  // in slot order
};

}  // namespace elbo::cli
