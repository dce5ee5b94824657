#include "elbo/data/atomic_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "data/test_files.hpp"
#include "elbo/graph/error.hpp"

namespace elbo::data {
namespace {

using test::TempDir;
using test::thrown_message;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(write_file_atomically, writes_the_bytes_and_leaves_no_temporary_file) {
  TempDir dir;
  const std::string path = dir.path("f.bin");
  write_file_atomically(path, std::string_view("a\0b\n", 4));
  EXPECT_EQ(slurp(path), std::string("a\0b\n", 4));
  write_file_atomically(path, "replaced");
  EXPECT_EQ(slurp(path), "replaced");
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"f.bin"}));
}

TEST(write_file_atomically, takes_a_writer_callback) {
  TempDir dir;
  const std::string path = dir.path("f.txt");
  write_file_atomically(path, [](std::ostream& out) { out << "x=" << 42 << '\n'; });
  EXPECT_EQ(slurp(path), "x=42\n");
}

TEST(write_file_atomically, keeps_the_old_file_when_the_writer_throws) {
  TempDir dir;
  const std::string path = dir.path("f.txt");
  write_file_atomically(path, "old");
  EXPECT_EQ(thrown_message<std::runtime_error>([&] {
              write_file_atomically(path, [](std::ostream& out) {
                out << "half";
                throw std::runtime_error("writer failed");
              });
            }),
            "writer failed");
  EXPECT_EQ(slurp(path), "old");
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"f.txt"}));
}

TEST(write_file_atomically, names_the_file_and_the_reason_when_it_cannot_write) {
  TempDir dir;
  const std::string path = dir.path("no/such/dir/f.txt");
  EXPECT_EQ(thrown_message<FormatError>([&] { write_file_atomically(path, "x"); }),
            "cannot write '" + path + "': No such file or directory");
  EXPECT_EQ(thrown_message<FormatError>(
                [&] { write_file_atomically(path, [](std::ostream& out) { out << "x"; }); }),
            "cannot write '" + path + "': No such file or directory");
  // A directory in the way of the rename.
  std::filesystem::create_directory(dir.path("d"));
  std::filesystem::create_directory(dir.path("d/inner"));
  EXPECT_EQ(thrown_message<FormatError>([&] { write_file_atomically(dir.path("d"), "x"); }),
            "cannot write '" + dir.path("d") + "': Is a directory");
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"d"}));
}

}  // namespace
}  // namespace elbo::data
