#include "point_sample.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace elbo::cli {

namespace {
uint64_t mix64(uint64_t z) {  // splitmix64's finaliser: a well-mixed hash of z
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

PointSample::PointSample(uint64_t seed, int64_t cap) : seed_(mix64(seed)), cap_(cap) {
  if (cap < 1) throw std::invalid_argument("PointSample: cap must be at least 1");
}

void PointSample::offer(double x0, double x1, double target, double predicted) {
  const int64_t i = rows_++;
  size_t slot;
  if (i < cap_) {
    slot = kept_.row.size();
    kept_.row.push_back(0);
    kept_.x0.push_back(0);
    kept_.x1.push_back(0);
    kept_.target.push_back(0);
    kept_.predicted.push_back(0);
  } else {
    // Algorithm R: row i replaces a uniformly chosen slot with probability cap / (i + 1).
    // The modulo's bias is at most (i + 1) / 2^64: below 2^-25 for any file under 2^38 rows.
    const uint64_t j = mix64(seed_ ^ static_cast<uint64_t>(i)) % static_cast<uint64_t>(i + 1);
    if (j >= static_cast<uint64_t>(cap_)) return;
    slot = static_cast<size_t>(j);
  }
  kept_.row[slot] = i;
  kept_.x0[slot] = x0;
  kept_.x1[slot] = x1;
  kept_.target[slot] = target;
  kept_.predicted[slot] = predicted;
}

PointSample::Points PointSample::points() const {
  std::vector<size_t> order(kept_.row.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return kept_.row[a] < kept_.row[b]; });
  Points out;
  auto take = [&](const auto& from, auto& to) {
    to.resize(order.size());
    for (size_t k = 0; k < order.size(); ++k) to[k] = from[order[k]];
  };
  take(kept_.row, out.row);
  take(kept_.x0, out.x0);
  take(kept_.x1, out.x1);
  take(kept_.target, out.target);
  take(kept_.predicted, out.predicted);
  return out;
}

}  // namespace elbo::cli
