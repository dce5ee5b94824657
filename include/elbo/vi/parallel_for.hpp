#pragma once
// How the VI layer lends its threads to per-parameter work: parallel(n, f) runs f(begin, end)
// over contiguous parts covering [0, n), on any threads, in any order. Users of it keep to
// elementwise work (or yes/no checks), so that results do not depend on the split.
#include <cstdint>
#include <functional>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

using ParallelFor = std::function<void(int64_t n, const std::function<void(int64_t, int64_t)>& f)>;

}  // namespace elbo
ELBO_API_END
