// Saving and loading approximations: round trips, and every way a file can be wrong.
#include "elbo/io/approximation_file.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "elbo/graph/error.hpp"
#include "io/io_test_files.hpp"

namespace elbo {
namespace {

using io_test::FileBuilder;
using io_test::slurp;
using io_test::TempDir;
using io_test::thrown_message;

bool bitwise_equal(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::vector<SavedVariable> small_model_variables() {
  return {{"w", "w", {2, 3}, 0, ""}, {"sd", "sd_log__", {}, 6, "log"}};
}

std::string small_file() {
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  return serialize_approximation(to_saved_approximation(m, *q, {{"network", "{\"hidden\":[5,5]}"}}));
}

std::string parse_error(std::string_view bytes) {
  return thrown_message<FormatError>([&] { parse_approximation(bytes, "m.elbo"); });
}

// --- round trips -------------------------------------------------------------------------

TEST(approximation_file, round_trips_a_mean_field_approximation) {
  TempDir dir;
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  q->params()[3] = -0.0;
  q->params()[4] = std::numeric_limits<double>::denorm_min();
  q->params()[5] = std::numeric_limits<double>::max();
  const std::map<std::string, std::string> metadata = {{"network", "{\"hidden\":[5,5]}"},
                                                       {"binary", std::string("a\0b", 3)},
                                                       {"", "empty key"}};
  const std::string path = dir.path("m.elbo");
  save_approximation(path, m, *q, metadata);

  const SavedApproximation s = load_approximation(path);
  EXPECT_EQ(s.kind, "meanfield");
  EXPECT_EQ(s.dim, 7);
  EXPECT_EQ(s.dtype, DType::f64);
  EXPECT_TRUE(bitwise_equal(s.params, q->params()));
  EXPECT_EQ(s.variables, small_model_variables());
  EXPECT_EQ(s.metadata, metadata);
  EXPECT_EQ(s.source, path);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"m.elbo"});

  auto back = make_approximation(s);
  EXPECT_EQ(back->kind(), "meanfield");
  EXPECT_TRUE(bitwise_equal(back->params(), q->params()));
  EXPECT_EQ(back->sd(), q->sd());
}

TEST(approximation_file, round_trips_a_full_rank_approximation) {
  TempDir dir;
  Model m(DType::f32);
  m.normal("w", 0, 1, {2, 3});
  m.half_normal("sd", 1);
  FullRank q(m.initial_point().to_vector());
  io_test::fill_params(q);
  const std::string path = dir.path("fr.elbo");
  save_approximation(path, m, q);

  const SavedApproximation s = load_approximation(path);
  EXPECT_EQ(s.kind, "fullrank");
  EXPECT_EQ(s.dim, 7);
  EXPECT_EQ(s.dtype, DType::f32);
  EXPECT_EQ(s.params.size(), 7u + 28u);
  EXPECT_TRUE(bitwise_equal(s.params, q.params()));
  EXPECT_EQ(s.variables, small_model_variables());
  EXPECT_TRUE(s.metadata.empty());

  auto back = make_approximation(s);
  EXPECT_EQ(back->kind(), "fullrank");
  EXPECT_TRUE(bitwise_equal(back->params(), q.params()));
  EXPECT_EQ(dynamic_cast<FullRank&>(*back).cholesky(), q.cholesky());
}

TEST(approximation_file, round_trips_a_million_parameters) {
  TempDir dir;
  constexpr int64_t D = 500'000;
  Model m;
  m.normal("w", 0, 1, {D});
  std::vector<double> mu(D);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  for (double& x : mu) x = normal(rng);
  MeanField q(mu);
  for (int64_t i = 0; i < D; ++i) q.params()[D + i] = normal(rng);
  const std::string path = dir.path("big.elbo");
  save_approximation(path, m, q);
  const SavedApproximation s = load_approximation(path);
  EXPECT_EQ(s.dim, D);
  EXPECT_EQ(s.params.size(), 1'000'000u);
  EXPECT_TRUE(bitwise_equal(s.params, q.params()));
  EXPECT_EQ(s.variables, (std::vector<SavedVariable>{{"w", "w", {D}, 0, ""}}));
}

// Regression (fuzz/model_file_fuzzer.cpp on its seed empty.elbo, clang's UBSan): with no
// parameters the reader and the writer passed an empty vector's null data() to memcpy.
TEST(approximation_file, round_trips_an_approximation_without_parameters) {
  Model m;
  MeanField q(std::vector<double>{});
  const std::string bytes = serialize_approximation(to_saved_approximation(m, q, {{"k", "v"}}));
  const SavedApproximation s = parse_approximation(bytes, "empty.elbo");
  EXPECT_EQ(s.kind, "meanfield");
  EXPECT_EQ(s.dim, 0);
  EXPECT_TRUE(s.params.empty());
  EXPECT_TRUE(s.variables.empty());
  EXPECT_EQ(s.metadata, (std::map<std::string, std::string>{{"k", "v"}}));
  EXPECT_EQ(serialize_approximation(s), bytes);
  EXPECT_EQ(make_approximation(s)->dim(), 0);
}

TEST(approximation_file, writes_the_documented_layout) {
  Model m;
  m.half_normal("sd", 1);
  MeanField q(std::vector<double>{0.25});
  q.params()[1] = -1.5;
  FileBuilder expected;
  expected.str("meanfield").str("float64").i64(1).u32(1).variable("sd", "sd_log__", "log", {}, 0);
  expected.u32(1).str("k").str("v").u64(2).f64(0.25).f64(-1.5);
  EXPECT_EQ(serialize_approximation(to_saved_approximation(m, q, {{"k", "v"}})), expected.file());
}

TEST(approximation_file, saves_a_snapshot_that_loads_equal) {
  TempDir dir;
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  SavedApproximation s = to_saved_approximation(m, *q, {{"a", "1"}});
  const std::string path = dir.path("s.elbo");
  save_approximation(path, s);
  s.source = path;
  EXPECT_EQ(load_approximation(path), s);
}

// --- writing safely ----------------------------------------------------------------------

TEST(approximation_file, a_missing_directory_names_the_path_and_writes_nothing) {
  TempDir dir;
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  const std::string path = dir.path("no/such/m.elbo");
  EXPECT_EQ(thrown_message<FormatError>([&] { save_approximation(path, m, *q); }),
            "cannot write '" + path + "': No such file or directory");
  EXPECT_TRUE(dir.files().empty());
}

TEST(approximation_file, a_failed_write_leaves_what_is_at_the_path_intact) {
  TempDir dir;
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  // The rename cannot replace a non-empty directory: the write fails at the last step.
  const std::string path = dir.path("m.elbo");
  std::filesystem::create_directory(path);
  dir.write("m.elbo/keep", "kept");
  EXPECT_EQ(thrown_message<FormatError>([&] { save_approximation(path, m, *q); }),
            "cannot write '" + path + "': Is a directory");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"m.elbo"});
  EXPECT_EQ(slurp(dir.path("m.elbo/keep")), "kept");
}

TEST(approximation_file, an_approximation_that_would_not_load_is_not_written) {
  TempDir dir;
  Model m = io_test::small_model();
  auto q = io_test::small_mean_field(m);
  const std::string path = dir.path("m.elbo");
  save_approximation(path, m, *q);
  const std::string before = slurp(path);
  q->params()[8] = std::nan("");
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { save_approximation(path, m, *q); }),
            "save_approximation: parameter rho[1] (of variable 'w') is NaN, but must be finite");
  EXPECT_EQ(slurp(path), before);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"m.elbo"});

  MeanField wrong(std::vector<double>(3, 0.0));
  EXPECT_EQ(thrown_message<InvalidArgument>([&] { save_approximation(path, m, wrong); }),
            "save_approximation: the approximation has dimension 3, but the model's flat size is 7");
  EXPECT_EQ(slurp(path), before);
}

// --- reading: the file ---------------------------------------------------------------------

TEST(approximation_file, a_missing_file_names_the_path_and_the_reason) {
  TempDir dir;
  const std::string path = dir.path("none.elbo");
  EXPECT_EQ(thrown_message<FormatError>([&] { load_approximation(path); }),
            "cannot open '" + path + "': No such file or directory");
  EXPECT_EQ(thrown_message<FormatError>([&] { load_approximation(dir.path("")); }),
            "cannot read '" + dir.path("") + "': not a regular file");
}

TEST(approximation_file, an_empty_file_is_not_a_model_file) {
  TempDir dir;
  const std::string path = dir.write("empty.elbo", "");
  EXPECT_EQ(thrown_message<FormatError>([&] { load_approximation(path); }),
            path + ": file is empty; not an elbo model file");
}

TEST(approximation_file, a_foreign_file_has_a_bad_magic) {
  static const char png_bytes[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
  const std::string png(png_bytes, sizeof png_bytes - 1);  // the literal's length, without its NUL
  EXPECT_EQ(parse_error(png), "m.elbo: not an elbo model file (bad magic)");
  EXPECT_EQ(parse_error("w,sd\n1,2\n"), "m.elbo: not an elbo model file (bad magic)");
  EXPECT_EQ(parse_error("\x89"), "m.elbo: truncated: expected at least 60 bytes, found 1");
  EXPECT_EQ(parse_error("\x89" "ELBX"), "m.elbo: not an elbo model file (bad magic)");
}

TEST(approximation_file, a_truncated_file_says_how_much_is_missing) {
  const std::string file = small_file();
  const std::string size = std::to_string(file.size());
  EXPECT_EQ(parse_error(file.substr(0, 5)), "m.elbo: truncated: expected at least 60 bytes, found 5");
  EXPECT_EQ(parse_error(file.substr(0, 16)), "m.elbo: truncated: expected at least 60 bytes, found 16");
  EXPECT_EQ(parse_error(file.substr(0, 20)), "m.elbo: truncated: expected " + size + " bytes, found 20");
  EXPECT_EQ(parse_error(file.substr(0, 100)), "m.elbo: truncated: expected " + size + " bytes, found 100");
  EXPECT_EQ(parse_error(file.substr(0, file.size() - 1)),
            "m.elbo: truncated: expected " + size + " bytes, found " + std::to_string(file.size() - 1));
  for (size_t n = 0; n < file.size(); ++n)
    EXPECT_THROW(parse_approximation(std::string_view(file).substr(0, n), "m.elbo"), FormatError) << n;
}

TEST(approximation_file, trailing_bytes_are_refused) {
  const std::string file = small_file();
  EXPECT_EQ(parse_error(file + "x"), "m.elbo: expected " + std::to_string(file.size()) + " bytes, found " +
                                         std::to_string(file.size() + 1) + ": there is data after the end of the file");
}

TEST(approximation_file, a_newer_version_is_refused_before_anything_else_is_read) {
  FileBuilder b;
  b.raw("anything, in a layout this elbo does not know");
  EXPECT_EQ(parse_error(b.file(7)), "m.elbo: format version 7 is newer than this elbo supports (2)");
  EXPECT_EQ(parse_error(FileBuilder::prefix(3).substr(0, 12)),
            "m.elbo: format version 3 is newer than this elbo supports (2)");
  EXPECT_EQ(parse_error(b.file(0)), "m.elbo: format version 0 is not valid: the file is corrupted");
}

// Version 1 spelled the kinds "mean_field" and "full_rank": read as "meanfield" and
// "fullrank". Version 2 has one spelling, so the old one is an unknown kind there.
TEST(approximation_file, version_1_kinds_are_read_in_the_current_spelling) {
  for (const auto& [old_kind, kind] : {std::pair<std::string, std::string>{"mean_field", "meanfield"},
                                       std::pair<std::string, std::string>{"full_rank", "fullrank"}}) {
    FileBuilder b;
    b.str(old_kind).str("float64").i64(1).u32(1).variable("sd", "sd_log__", "log", {}, 0).u32(0);
    if (kind == "meanfield")
      b.u64(2).f64(0.25).f64(-1.5);
    else
      b.u64(2).f64(0.25).f64(0.5);
    const SavedApproximation s = parse_approximation(b.file(1), "old.elbo");
    EXPECT_EQ(s.kind, kind);
    EXPECT_EQ(make_approximation(s)->kind(), kind);
    EXPECT_EQ(parse_error(b.file(2)), "m.elbo: inconsistent: unknown approximation kind '" + old_kind +
                                          "' (expected meanfield, fullrank, lowrank:RANK, flow:FORMULA, mixture:K:KIND, empirical:PARTICLES or kron:BLOCKS)");
  }
}

TEST(approximation_file, a_changed_byte_is_a_checksum_mismatch) {
  std::string file = small_file();
  file[file.size() - 20] ^= 0x01;  // inside the parameters
  EXPECT_EQ(parse_error(file), "m.elbo: checksum mismatch: the file is corrupted");
}

TEST(approximation_file, every_single_bit_flip_is_detected) {
  const std::string file = small_file();
  ASSERT_NO_THROW(parse_approximation(file, "m.elbo"));
  for (size_t i = 0; i < file.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = file;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_THROW(parse_approximation(bad, "m.elbo"), FormatError) << "byte " << i << " bit " << bit;
    }
}

TEST(approximation_file, random_garbage_is_a_format_error) {
  std::mt19937_64 rng(20240601);
  const std::string valid = small_file();
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bytes(rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (trial % 2) bytes = FileBuilder::seal(FileBuilder::prefix(1) + bytes);  // passes the checksum
    EXPECT_THROW(parse_approximation(bytes, "m.elbo"), FormatError) << trial;
  }
}

// Mutations of a valid file with the checksum recomputed reach every field check: each
// must end in a result or a FormatError, never a crash or another exception.
TEST(approximation_file, mutated_files_with_good_checksums_parse_or_fail_cleanly) {
  std::mt19937_64 rng(99);
  const std::string valid = small_file();
  const std::string body = valid.substr(0, valid.size() - 8);
  int rejected = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    std::string b = body;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = 20 + rng() % (b.size() - 20);
      b[at] = static_cast<char>(rng() % 3 == 0 ? 0xff : rng());
    }
    try {
      parse_approximation(FileBuilder::reseal_body(b), "m.elbo");
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
}

// --- reading: the fields -------------------------------------------------------------------

// The small model's mean-field file, built field by field; tests break one field each.
struct Fields {
  std::string kind = "meanfield", dtype = "float64";
  int64_t dim = 7;
  std::vector<int64_t> w_shape = {2, 3};
  int64_t sd_offset = 6;
  std::vector<std::pair<std::string, std::string>> metadata = {{"a", "1"}, {"b", "2"}};
  uint64_t n_params = 14;
  double param5 = 0.5;
  int extra_params = 0;  // written after the n_params parameters

  std::string file() const {
    FileBuilder b;
    b.str(kind).str(dtype).i64(dim).u32(2);
    b.variable("w", "w", "", w_shape, 0).variable("sd", "sd_log__", "log", {}, sd_offset);
    b.u32(static_cast<uint32_t>(metadata.size()));
    for (const auto& [k, v] : metadata) b.str(k).str(v);
    b.u64(n_params);
    for (uint64_t i = 0; i < n_params; ++i) b.f64(i == 5 ? param5 : 0.25);
    for (int i = 0; i < extra_params; ++i) b.f64(1.0);
    return b.file();
  }
};

TEST(approximation_file, the_field_builder_matches_the_writer) {
  SavedApproximation s = parse_approximation(Fields{}.file(), "m.elbo");
  EXPECT_EQ(s.variables, small_model_variables());
  EXPECT_EQ(s.metadata, (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  s.source.clear();
  EXPECT_EQ(serialize_approximation(s), Fields{}.file());
}

TEST(approximation_file, malformed_fields_are_named) {
  Fields f;
  f.dtype = "float16";
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: malformed: the dtype at byte 33 is 'float16', expected 'float32' or 'float64'");

  std::string bad_string = FileBuilder().u32(1000).raw(std::string(40, 'k')).file();
  EXPECT_EQ(parse_error(bad_string),
            "m.elbo: malformed: the kind at byte 20 is 1000 bytes long, but only 40 remain before the checksum");

  std::string no_dim = FileBuilder().str(std::string(26, 'k')).str("float64").u32(3).file();
  EXPECT_EQ(parse_error(no_dim),
            "m.elbo: malformed: the dimension at byte 61 needs 8 bytes, but only 4 remain before the checksum");

  std::string many_vars = FileBuilder().str("meanfield").str("float64").i64(0).u32(0xffffffff).u32(0).u64(0).file();
  EXPECT_EQ(parse_error(many_vars),
            "m.elbo: malformed: the variable count at byte 52 is 4294967295, more than the 12 bytes left can hold");

  std::string big_rank = FileBuilder()
                             .str("meanfield").str("float64").i64(0).u32(1)
                             .str("w").str("w").str("").u32(1000).raw(std::string(64, '\0'))
                             .file();
  EXPECT_EQ(parse_error(big_rank), "m.elbo: malformed: the rank of variable 0 at byte 70 is 1000, more than 32");

  f = Fields{};
  f.metadata = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: malformed: metadata key 'a' at byte 149 is not after the key before it (keys are unique and "
            "in ascending order)");
  f.metadata = {{"a", "1"}, {"a", "2"}};
  EXPECT_THROW(parse_approximation(f.file(), "m.elbo"), FormatError);

  f = Fields{};
  f.extra_params = 1;
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: malformed: the parameter count at byte 159 is 14, but 120 bytes remain before the checksum "
            "(8 per parameter)");
  std::string length_too_small = FileBuilder::prefix(1) + std::string(40, '\0');
  length_too_small[12] = 10;
  EXPECT_EQ(parse_error(length_too_small),
            "m.elbo: malformed: the header gives a length of 10 bytes, less than the smallest file (60)");
}

TEST(approximation_file, inconsistent_sizes_are_named) {
  Fields f;
  f.kind = "flow";
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: inconsistent: unknown approximation kind 'flow' (expected meanfield, fullrank, lowrank:RANK, flow:FORMULA, mixture:K:KIND, empirical:PARTICLES or kron:BLOCKS)");
  f = Fields{};
  f.n_params = 13;
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: inconsistent: there are 13 parameters, but a meanfield approximation of dimension 7 has 14");
  f.kind = "fullrank";
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: inconsistent: there are 13 parameters, but a fullrank approximation of dimension 7 has 35");
  f = Fields{};
  f.dim = 8;
  f.n_params = 16;
  EXPECT_EQ(parse_error(f.file()), "m.elbo: inconsistent: the variables cover 7 coordinates, but the dimension is 8");
  f = Fields{};
  f.dim = -1;
  EXPECT_EQ(parse_error(f.file()), "m.elbo: inconsistent: the dimension is -1, but must be non-negative");
  f = Fields{};
  f.sd_offset = 5;
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: inconsistent: variable 'sd' starts at offset 5, but the variables before it end at 6");
  f = Fields{};
  f.w_shape = {2, -3};
  EXPECT_EQ(parse_error(f.file()), "m.elbo: inconsistent: variable 'w' has a negative extent in shape [2,-3]");
  f = Fields{};
  f.w_shape = {int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_EQ(parse_error(f.file()),
            "m.elbo: inconsistent: variable 'w' of shape [1099511627776,1099511627776] at offset 0 runs past the "
            "dimension 7");
}

TEST(approximation_file, a_parameter_that_is_not_finite_is_named) {
  Fields f;
  f.param5 = std::nan("");
  EXPECT_EQ(parse_error(f.file()), "m.elbo: parameter mu[5] (of variable 'w') is NaN, but must be finite");
  f.param5 = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(parse_error(f.file()), "m.elbo: parameter mu[5] (of variable 'w') is -inf, but must be finite");
}

}  // namespace
}  // namespace elbo
