#pragma once
// Console output plus, at the end, the ratio of each "engine/<work>" benchmark to its
// "reference/<work>" twin from the same run: reference time / engine time, i.e. the
// engine's speed as a fraction of the hand-written reference's (1.0 = as fast). With
// --benchmark_repetitions the fastest repetition of each counts (the least disturbed by
// other load on the machine). Used by every *_bench.cpp through bench_main().
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace elbo::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration || r.iterations == 0) continue;
      const double sec = r.cpu_accumulated_time / static_cast<double>(r.iterations);
      Best& b = best_[r.benchmark_name()];
      if (b.sec == 0 || sec < b.sec) {
        b.sec = sec;
        auto it = r.counters.find("items_per_second");
        b.rate = it != r.counters.end() ? it->second.value : 0;
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-34s %14s %14s %12s\n", "engine vs reference (best CPU time)", "engine", "reference",
                "engine speed");
    for (const auto& [name, e] : best_) {
      if (name.rfind("engine/", 0) != 0) continue;
      const std::string work = name.substr(7);
      auto ref = best_.find("reference/" + work);
      if (ref == best_.end()) continue;
      const Best& r = ref->second;
      if (e.rate > 0 && r.rate > 0)
        std::printf("%-34s %10.0f it/s %10.0f it/s %11.2fx\n", work.c_str(), e.rate, r.rate, r.sec / e.sec);
      else
        std::printf("%-34s %11.2f us %11.2f us %11.2fx\n", work.c_str(), e.sec * 1e6, r.sec * 1e6, r.sec / e.sec);
    }
    for (const auto& [name, b] : best_)  // benchmarks without a twin (e.g. the naive path)
      if (name.rfind("engine/", 0) != 0 && name.rfind("reference/", 0) != 0)
        std::printf("%-34s %11.2f us\n", name.c_str(), b.sec * 1e6);
  }

 private:
  struct Best {
    double sec = 0, rate = 0;
  };
  std::map<std::string, Best> best_;
};

/// main() of a benchmark binary: flags, then `checks` (engine vs reference agreement),
/// then the benchmarks and the ratio table.
template <class Checks>
int bench_main(int argc, char** argv, Checks checks) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  checks();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace elbo::bench
