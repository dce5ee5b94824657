// The fuzzer's seed corpus, fuzz/corpus/model_file/, doubles as the record of format
// version 1: the committed files must load and must be exactly what the writer produces
// now. A change to the writer that breaks this needs a new format version (and a reader
// for the old one). ELBO_WRITE_SEED_CORPUS=1 rewrites the files.
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
    files["mean_field_small.elbo"] =
        serialize_approximation(to_saved_approximation(m, *q, {{"network", "{\"hidden\":[5,5]}"}}));
  }
  {
    Model m(DType::f32);
    m.normal("w", 0, 1, {2});
    m.beta("p", 2, 2);
    FullRank q(m.initial_point().to_vector());
    io_test::fill_params(q);
    files["full_rank_small.elbo"] = serialize_approximation(to_saved_approximation(m, q));
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

}  // namespace
}  // namespace elbo
