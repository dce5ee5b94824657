// The library writes nothing to stdout or stderr on its own: messages go to the logger
// (elbo/graph/log.hpp), the progress bar to its sink (elbo/vi/progress_bar.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "elbo/graph.hpp"
#include "elbo/model.hpp"
#include "elbo/vi.hpp"

namespace elbo {
namespace {

// Installs a logger that records every message for the test's lifetime, then restores the
// one that was there.
class RecordingLogger {
 public:
  RecordingLogger()
      : previous_(set_logger([this](LogLevel level, std::string_view message) {
          messages_.emplace_back(level, std::string(message));
        })) {}
  ~RecordingLogger() { set_logger(std::move(previous_)); }
  const std::vector<std::pair<LogLevel, std::string>>& messages() const { return messages_; }

 private:
  std::vector<std::pair<LogLevel, std::string>> messages_;
  Logger previous_;
};

// mu ~ N(0, 10) and y ~ N(mu, 1) on minibatches of 10 of 100 rows; total_size given or not.
void build_minibatch_model(Model& m, bool with_total_size) {
  Tensor y(DType::f64, {100});
  for (int64_t i = 0; i < 100; ++i) y.set(i, 0.01 * static_cast<double>(i));
  auto in = m.minibatch({"y_batch"}, {y}, {.batch_size = 10});
  Expr mu = m.normal("mu", 0, 10);
  ObservedOptions o;
  if (with_total_size) o.total_size = 100;
  m.normal_likelihood("y", mu, 1.0, in[0], o);
}

TEST(logger, receives_a_message_with_its_level) {
  RecordingLogger logger;
  log_message(LogLevel::info, "hello");
  log_message(LogLevel::error, "bad");
  ASSERT_EQ(logger.messages().size(), 2u);
  EXPECT_EQ(logger.messages()[0], std::make_pair(LogLevel::info, std::string("hello")));
  EXPECT_EQ(logger.messages()[1], std::make_pair(LogLevel::error, std::string("bad")));
  EXPECT_STREQ(to_string(LogLevel::warning), "warning");
}

TEST(logger, set_logger_returns_the_previous_one_and_empty_restores_silence) {
  int calls = 0;
  Logger previous = set_logger([&](LogLevel, std::string_view) { ++calls; });
  log_message(LogLevel::warning, "one");
  Logger mine = set_logger(nullptr);
  ASSERT_TRUE(static_cast<bool>(mine));
  ::testing::internal::CaptureStderr();
  log_message(LogLevel::warning, "two");  // no logger: discarded, not printed
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(calls, 1);
  set_logger(std::move(previous));
}

TEST(logger, a_minibatch_likelihood_without_total_size_warns_through_the_logger_only) {
  RecordingLogger logger;
  std::string error;  // an exception must not escape while gtest's own output is captured
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  try {
    Model m;
    build_minibatch_model(m, false);
  } catch (const std::exception& e) {
    error = e.what();
  }
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(error, "");
  EXPECT_EQ(err, "");
  EXPECT_EQ(out, "");
  ASSERT_EQ(logger.messages().size(), 1u);
  EXPECT_EQ(logger.messages()[0].first, LogLevel::warning);
  EXPECT_NE(logger.messages()[0].second.find("observed variable 'y' is fed by minibatches but has no total_size"),
            std::string::npos)
      << logger.messages()[0].second;
}

TEST(logger, a_minibatch_likelihood_with_total_size_says_nothing) {
  RecordingLogger logger;
  Model m;
  build_minibatch_model(m, true);
  EXPECT_TRUE(logger.messages().empty());
}

// The bar's "Average Loss" for fewer than 1000 steps: the mean of the finite losses.
double finite_mean(const std::vector<double>& hist) {
  double sum = 0;
  size_t n = 0;
  for (double v : hist)
    if (std::isfinite(v)) sum += v, ++n;
  return n ? sum / static_cast<double>(n) : NAN;
}

// A sink that records what the bar writes.
struct RecordingSink {
  std::shared_ptr<std::string> text = std::make_shared<std::string>();
  ProgressSink sink(bool terminal) const {
    return {[t = text](std::string_view s) { t->append(s); }, terminal};
  }
};

TEST(progress_sink, a_fit_writes_its_closing_line_to_the_sink_and_nothing_to_stderr) {
  Model m;
  build_minibatch_model(m, true);
  ADVI advi(m, {.seed = 1});
  RecordingSink rec;
  std::string error;  // an exception must not escape while gtest's own output is captured
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  try {
    advi.fit(20, {.progress_sink = rec.sink(false)});
  } catch (const std::exception& e) {
    error = e.what();
  }
  const std::string out = ::testing::internal::GetCapturedStdout();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(error, "");
  EXPECT_EQ(err, "");
  EXPECT_EQ(out, "");
  // Not a terminal: only the closing line, as tqdm off a terminal.
  EXPECT_EQ(*rec.text, "Finished [100%]: Average Loss = " + format_loss(finite_mean(advi.hist())) + "\n");
}

TEST(progress_sink, a_terminal_sink_gets_the_animated_bar) {
  Model m;
  build_minibatch_model(m, true);
  ADVI advi(m, {.seed = 1});
  RecordingSink rec;
  advi.fit(20, {.progress_sink = rec.sink(true)});
  // The last redraw (step 20 is always drawn), erased to the end of the line, then the
  // closing line.
  EXPECT_EQ(rec.text->rfind("\r", 0), 0u) << *rec.text;
  EXPECT_NE(rec.text->find("| 20/20 ["), std::string::npos) << *rec.text;
  EXPECT_NE(rec.text->find("\x1b[K\nFinished [100%]: Average Loss = "), std::string::npos) << *rec.text;
}

TEST(progress_sink, progressbar_false_writes_nothing) {
  Model m;
  build_minibatch_model(m, true);
  ADVI advi(m, {.seed = 1});
  RecordingSink rec;
  advi.fit(5, {.progressbar = false, .progress_sink = rec.sink(true)});
  EXPECT_EQ(*rec.text, "");
}

TEST(progress_sink, a_stopping_callback_reason_follows_the_closing_line) {
  Model m;
  build_minibatch_model(m, true);
  ADVI advi(m, {.seed = 1});
  struct StopAtThree : Callback {
    bool operator()(const StepInfo& info, std::string& reason) override {
      if (info.step < 3) return true;
      reason = "enough at step 3";
      return false;
    }
  };
  RecordingSink rec;
  advi.fit(10, {.callbacks = {std::make_shared<StopAtThree>()}, .progress_sink = rec.sink(false)});
  EXPECT_EQ(advi.step(), 3);
  EXPECT_EQ(*rec.text, "Stopped at 3 [30%]: Average Loss = " + format_loss(finite_mean(advi.hist())) +
                           "\nenough at step 3\n");
}

TEST(progress_sink, the_bit_pattern_of_a_fit_does_not_depend_on_the_sink) {
  auto run = [](bool progressbar, bool terminal) {
    Model m;
    build_minibatch_model(m, true);
    ADVI advi(m, {.seed = 3});
    RecordingSink rec;
    advi.fit(50, {.progressbar = progressbar, .progress_sink = rec.sink(terminal)});
    return std::vector<double>(advi.hist());
  };
  const std::vector<double> quiet = run(false, false), shown = run(true, true);
  EXPECT_EQ(quiet, shown);
}

}  // namespace
}  // namespace elbo
