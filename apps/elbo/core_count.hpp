#pragma once
// The cores this machine has: the default --threads of the commands whose results do not
// depend on the threads (predict, evaluate, plot, check) and of fit's post-fit work.
#include <algorithm>
#include <thread>

namespace elbo::cli {

inline int core_count() { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

}  // namespace elbo::cli
