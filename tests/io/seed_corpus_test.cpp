// The fuzzer's seed corpus, fuzz/corpus/model_file/, doubles as the record of the file
// format: the committed files of the current version must load and must be exactly what
// the writer produces now. A change to the writer that breaks this needs a new format
// version (and a reader for the old one). ELBO_WRITE_SEED_CORPUS=1 rewrites them.
// v1_*.elbo are the same approximations as written by format version 1 (elbo before
// 2026-12, kinds spelled "mean_field" / "full_rank"); they must keep loading.
#include <gtest/gtest.h>

#include <cstdlib>

#include "elbo/data/atomic_file.hpp"
#include "io/io_test_files.hpp"

namespace elbo {
namespace {

std::map<std::string, std::string> seed_files() {
  std::map<std::string, std::string> files;
  {
    Model m = io_test::small_model();
    auto q = io_test::small_mean_field(m);
    files["meanfield_small.elbo"] =
        serialize_approximation(to_saved_approximation(m, *q, {{"network", "{\"hidden\":[5,5]}"}}));
  }
  {
    Model m(DType::f32);
    m.normal("w", 0, 1, {2});
    m.beta("p", 2, 2);
    FullRank q(m.initial_point().to_vector());
    io_test::fill_params(q);
    files["fullrank_small.elbo"] = serialize_approximation(to_saved_approximation(m, q));
  }
  {
    Model m;
    MeanField q(std::vector<double>{});
    files["empty.elbo"] = serialize_approximation(
        to_saved_approximation(m, q, {{"a", ""}, {"standardizer", "{\"mean\":[0.5],\"sd\":[2]}"}}));
  }
  return files;
}

TEST(seed_corpus, committed_files_load_and_match_the_writer) {
  const std::string dir = std::string(ELBO_SOURCE_DIR) + "/fuzz/corpus/model_file/";
  const char* write = std::getenv("ELBO_WRITE_SEED_CORPUS");
  for (const auto& [name, bytes] : seed_files()) {
    if (write && std::string(write) == "1") data::write_file_atomically(dir + name, bytes);
    const std::string on_disk = io_test::slurp(dir + name);
    EXPECT_EQ(on_disk, bytes) << name << " differs from what the writer produces";
    EXPECT_NO_THROW(load_approximation(dir + name)) << name;
  }
}

// Files written by format version 1 load as exactly what the writer saves now: same kind
// (in today's spelling), variables, metadata and parameter bits.
TEST(seed_corpus, version_1_files_load_as_the_same_approximations) {
  const std::string dir = std::string(ELBO_SOURCE_DIR) + "/fuzz/corpus/model_file/";
  const std::map<std::string, std::string> now = seed_files();
  const std::pair<const char*, const char*> v1_to_now[] = {{"v1_mean_field_small.elbo", "meanfield_small.elbo"},
                                                           {"v1_full_rank_small.elbo", "fullrank_small.elbo"},
                                                           {"v1_empty.elbo", "empty.elbo"}};
  for (const auto& [v1, current] : v1_to_now) {
    const std::string bytes = io_test::slurp(dir + v1);
    ASSERT_GE(bytes.size(), 12u) << v1;
    EXPECT_EQ(bytes.substr(8, 4), std::string("\x01\0\0\0", 4)) << v1 << " is not a version 1 file";
    SavedApproximation old_file = load_approximation(dir + v1);
    SavedApproximation expected = parse_approximation(now.at(current), dir + v1);
    EXPECT_EQ(old_file, expected) << v1;
    EXPECT_EQ(make_approximation(old_file)->kind(), expected.kind) << v1;
  }
  EXPECT_EQ(load_approximation(dir + "v1_mean_field_small.elbo").kind, "meanfield");
  EXPECT_EQ(load_approximation(dir + "v1_full_rank_small.elbo").kind, "fullrank");
}

}  // namespace
}  // namespace elbo
