#include "elbo/io/approximation_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <limits>

#include "elbo/data/atomic_file.hpp"
#include "elbo/graph/error.hpp"
#include "fnv1a_impl.hpp"
#include "saved_approximation_impl.hpp"

namespace elbo {

namespace {

constexpr std::string_view magic("\x89" "ELBO\r\n\x1a", 8);
constexpr size_t prefix_size = 8 + 4 + 8;  // magic, version, length
constexpr size_t checksum_size = 8;
// An empty body: two empty strings, dim, two counts and the parameter count.
constexpr size_t min_file_size = prefix_size + (4 + 4 + 8 + 4 + 4 + 8) + checksum_size;
// The smallest encoding of one variable (three empty strings, rank 0, offset) and of one
// metadata entry (two empty strings), to check counts before reserving.
constexpr size_t min_variable_size = 4 + 4 + 4 + 4 + 8;
constexpr size_t min_entry_size = 4 + 4;

// --- writing -----------------------------------------------------------------------------

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_i64(std::string& out, int64_t v) { put_u64(out, static_cast<uint64_t>(v)); }
void put_str(std::string& out, const std::string& s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out += s;
}
void patch_u64(std::string& out, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// --- reading -----------------------------------------------------------------------------

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Reads the body [begin, end) of a file whose prefix and checksum were checked. Every
// read checks the bytes left first; every failure is a FormatError naming the file.
class Reader {
 public:
  Reader(std::string_view bytes, size_t begin, size_t end, const std::string& name)
      : b_(bytes), pos_(begin), end_(end), name_(name) {}

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(name_ + ": malformed: " + what); }

  size_t pos() const { return pos_; }
  size_t left() const { return end_ - pos_; }

  void need(size_t n, const std::string& what) const {
    if (n > left())
      fail(what + " at byte " + std::to_string(pos_) + " needs " + std::to_string(n) + " bytes, but only " +
           std::to_string(left()) + " remain before the checksum");
  }
  uint32_t u32(const std::string& what) {
    need(4, what);
    pos_ += 4;
    return get_u32(b_.data() + pos_ - 4);
  }
  uint64_t u64(const std::string& what) {
    need(8, what);
    pos_ += 8;
    return get_u64(b_.data() + pos_ - 8);
  }
  int64_t i64(const std::string& what) { return static_cast<int64_t>(u64(what)); }
  std::string str(const std::string& what) {
    const size_t at = pos_;
    const uint32_t n = u32(what);
    if (n > left())
      fail(what + " at byte " + std::to_string(at) + " is " + std::to_string(n) + " bytes long, but only " +
           std::to_string(left()) + " remain before the checksum");
    pos_ += n;
    return std::string(b_.substr(pos_ - n, n));
  }
  // `count` doubles; the caller checked that they fit. `out` may be null when count is 0
  // (an empty vector's data()), and memcpy must not see a null pointer even for 0 bytes.
  void f64s(double* out, size_t count) {
    if (count == 0) return;
    const char* p = b_.data() + pos_;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out, p, count * 8);
    } else {
      for (size_t i = 0; i < count; ++i) out[i] = std::bit_cast<double>(get_u64(p + 8 * i));
    }
    pos_ += count * 8;
  }

 private:
  std::string_view b_;
  size_t pos_, end_;
  const std::string& name_;
};

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw FormatError(name + ": " + what); }

std::string truncated(uint64_t expected, size_t found, bool at_least) {
  return std::string("truncated: expected ") + (at_least ? "at least " : "") + std::to_string(expected) +
         " bytes, found " + std::to_string(found);
}

// The whole content of the regular file at `path`.
std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FormatError("cannot open '" + path + "': " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw FormatError("cannot read '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw FormatError("cannot read '" + path + "': not a regular file");
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t r = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw FormatError("cannot read '" + path + "': " + std::strerror(errno));
    }
    if (r == 0) break;  // the file shrank: parse what is there (it will be truncated)
    got += static_cast<size_t>(r);
  }
  bytes.resize(got);
  return bytes;
}

// Version 1 spelled the kinds "mean_field" and "full_rank"; anything else is left for
// find_problem to report as unknown.
std::string kind_of_version_1(const std::string& kind) {
  if (kind == "mean_field") return "meanfield";
  if (kind == "full_rank") return "fullrank";
  return kind;
}

}  // namespace

std::string serialize_approximation(const SavedApproximation& s) {
  if (auto problem = detail::find_problem(s)) throw InvalidArgument("serialize_approximation: " + *problem);
  for (const auto& v : s.variables)
    for (const std::string* str : {&v.name, &v.value_name, &v.transform})
      if (str->size() > std::numeric_limits<uint32_t>::max())
        throw InvalidArgument("serialize_approximation: a name of variable " + std::to_string(&v - s.variables.data()) +
                              " is longer than 4 GiB");
  for (const auto& [k, v] : s.metadata)
    if (k.size() > std::numeric_limits<uint32_t>::max() || v.size() > std::numeric_limits<uint32_t>::max())
      throw InvalidArgument("serialize_approximation: metadata entry '" + k.substr(0, 64) + "' is longer than 4 GiB");
  if (s.variables.size() > std::numeric_limits<uint32_t>::max() ||
      s.metadata.size() > std::numeric_limits<uint32_t>::max())
    throw InvalidArgument("serialize_approximation: more than 2^32 variables or metadata entries");

  size_t estimate = min_file_size + s.kind.size() + 8 * s.params.size();
  for (const auto& v : s.variables)
    estimate += min_variable_size + v.name.size() + v.value_name.size() + v.transform.size() + 8 * v.shape.size();
  for (const auto& [k, v] : s.metadata) estimate += min_entry_size + k.size() + v.size();
  std::string out;
  out.reserve(estimate + 16);

  out += magic;
  put_u32(out, approximation_file_version);
  put_u64(out, 0);  // the length, patched below
  put_str(out, s.kind);
  put_str(out, std::string(dtype_name(s.dtype)));
  put_i64(out, s.dim);
  put_u32(out, static_cast<uint32_t>(s.variables.size()));
  for (const auto& v : s.variables) {
    put_str(out, v.name);
    put_str(out, v.value_name);
    put_str(out, v.transform);
    put_u32(out, static_cast<uint32_t>(v.shape.size()));
    for (int64_t d : v.shape) put_i64(out, d);
    put_i64(out, v.offset);
  }
  put_u32(out, static_cast<uint32_t>(s.metadata.size()));
  for (const auto& [k, v] : s.metadata) {
    put_str(out, k);
    put_str(out, v);
  }
  put_u64(out, s.params.size());
  const size_t at = out.size();
  out.resize(at + 8 * s.params.size());
  if constexpr (std::endian::native == std::endian::little) {
    // An empty vector's data() may be null, which memcpy must not see even for 0 bytes.
    if (!s.params.empty()) std::memcpy(out.data() + at, s.params.data(), 8 * s.params.size());
  } else {
    for (size_t i = 0; i < s.params.size(); ++i)
      patch_u64(out, at + 8 * i, std::bit_cast<uint64_t>(s.params[i]));
  }
  patch_u64(out, 12, out.size() + checksum_size);
  put_u64(out, detail::fnv1a_64(out));
  return out;
}

SavedApproximation parse_approximation(std::string_view bytes, const std::string& name) {
  const size_t size = bytes.size();
  // Magic first, so that a foreign file is called foreign rather than truncated.
  if (size == 0) fail(name, "file is empty; not an elbo model file");
  if (bytes.substr(0, magic.size()) != magic.substr(0, std::min(size, magic.size())))
    fail(name, "not an elbo model file (bad magic)");
  if (size < 12) fail(name, truncated(min_file_size, size, true));
  // The version before the length: a newer version may lay out everything else differently.
  const uint32_t version = get_u32(bytes.data() + 8);
  if (version == 0) fail(name, "format version 0 is not valid: the file is corrupted");
  if (version > approximation_file_version)
    fail(name, "format version " + std::to_string(version) + " is newer than this elbo supports (" +
                   std::to_string(approximation_file_version) + ")");
  if (size < prefix_size) fail(name, truncated(min_file_size, size, true));
  const uint64_t length = get_u64(bytes.data() + 12);
  if (length < min_file_size)
    fail(name, "malformed: the header gives a length of " + std::to_string(length) +
                   " bytes, less than the smallest file (" + std::to_string(min_file_size) + ")");
  if (size < length) fail(name, truncated(length, size, false));
  if (size > length)
    fail(name, "expected " + std::to_string(length) + " bytes, found " + std::to_string(size) +
                   ": there is data after the end of the file");
  const size_t body_end = size - checksum_size;
  if (detail::fnv1a_64(bytes.substr(0, body_end)) != get_u64(bytes.data() + body_end))
    fail(name, "checksum mismatch: the file is corrupted");

  Reader r(bytes, prefix_size, body_end, name);
  SavedApproximation s;
  s.source = name;
  s.kind = r.str("the kind");
  if (version == 1) s.kind = kind_of_version_1(s.kind);
  const size_t dtype_at = r.pos();
  const std::string dtype = r.str("the dtype");
  if (dtype == dtype_name(DType::f32))
    s.dtype = DType::f32;
  else if (dtype == dtype_name(DType::f64))
    s.dtype = DType::f64;
  else
    r.fail("the dtype at byte " + std::to_string(dtype_at) + " is '" + dtype.substr(0, 64) +
           "', expected 'float32' or 'float64'");
  s.dim = r.i64("the dimension");

  const size_t vars_at = r.pos();
  const uint32_t n_vars = r.u32("the variable count");
  if (n_vars > r.left() / min_variable_size)
    r.fail("the variable count at byte " + std::to_string(vars_at) + " is " + std::to_string(n_vars) +
           ", more than the " + std::to_string(r.left()) + " bytes left can hold");
  s.variables.reserve(n_vars);
  for (uint32_t i = 0; i < n_vars; ++i) {
    const std::string which = "variable " + std::to_string(i);
    SavedVariable v;
    v.name = r.str("the name of " + which);
    v.value_name = r.str("the unconstrained name of " + which);
    v.transform = r.str("the transform of " + which);
    const size_t rank_at = r.pos();
    const uint32_t rank = r.u32("the rank of " + which);
    if (rank > detail::max_saved_rank)
      r.fail("the rank of " + which + " at byte " + std::to_string(rank_at) + " is " + std::to_string(rank) +
             ", more than " + std::to_string(detail::max_saved_rank));
    r.need(8 * static_cast<size_t>(rank), "the shape of " + which);
    v.shape.resize(rank);
    for (auto& d : v.shape) d = r.i64("the shape of " + which);
    v.offset = r.i64("the offset of " + which);
    s.variables.push_back(std::move(v));
  }

  const size_t meta_at = r.pos();
  const uint32_t n_meta = r.u32("the metadata count");
  if (n_meta > r.left() / min_entry_size)
    r.fail("the metadata count at byte " + std::to_string(meta_at) + " is " + std::to_string(n_meta) +
           ", more than the " + std::to_string(r.left()) + " bytes left can hold");
  for (uint32_t i = 0; i < n_meta; ++i) {
    const size_t key_at = r.pos();
    std::string key = r.str("metadata key " + std::to_string(i));
    std::string value = r.str("metadata value " + std::to_string(i));
    if (!s.metadata.empty() && !(std::prev(s.metadata.end())->first < key))
      r.fail("metadata key '" + key.substr(0, 64) + "' at byte " + std::to_string(key_at) +
             " is not after the key before it (keys are unique and in ascending order)");
    s.metadata.emplace_hint(s.metadata.end(), std::move(key), std::move(value));
  }

  const size_t params_at = r.pos();
  const uint64_t n_params = r.u64("the parameter count");
  if (n_params > r.left() / 8 || n_params * 8 != r.left())
    r.fail("the parameter count at byte " + std::to_string(params_at) + " is " + std::to_string(n_params) +
           ", but " + std::to_string(r.left()) + " bytes remain before the checksum (8 per parameter)");
  s.params.resize(n_params);
  r.f64s(s.params.data(), n_params);

  if (auto problem = detail::find_problem(s)) {
    const bool numeric = problem->rfind("parameter ", 0) == 0;
    fail(name, (numeric ? "" : "inconsistent: ") + *problem);
  }
  return s;
}

void save_approximation(const std::string& path, const SavedApproximation& saved) {
  data::write_file_atomically(path, serialize_approximation(saved));
}

void save_approximation(const std::string& path, const Model& model, const Approximation& q,
                        const std::map<std::string, std::string>& metadata) {
  data::write_file_atomically(path, serialize_approximation(detail::snapshot(model, q, metadata, "save_approximation")));
}

SavedApproximation load_approximation(const std::string& path) {
  return parse_approximation(read_file(path), path);
}

}  // namespace elbo
