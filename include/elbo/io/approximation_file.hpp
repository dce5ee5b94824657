#pragma once
// Saving a fitted approximation to one file and loading it again: one file, versioned,
// written atomically (temporary file + rename), integrity-checked on load. Loading never
// trusts the file: every length is checked against the bytes that are left before anything
// is allocated, so any input gives a SavedApproximation or a FormatError (the parser is
// fuzzed: fuzz/model_file_fuzzer.cpp).
//
// Format version 2 (written); version 1 is read too. Integers are little-endian (i64 two's
// complement), doubles IEEE-754 binary64 little-endian; str is a u32 byte count followed
// by that many bytes.
//
//   offset  bytes  field
//   0       8      magic 89 45 4C 42 4F 0D 0A 1A ("\x89ELBO\r\n\x1a"; as PNG's, the high
//                  byte and CR LF catch 7-bit and newline-converting transfers)
//   8       4      u32 format version (2)
//   12      8      u64 L, the length of the whole file in bytes, checksum included
//   20             str  kind           "meanfield" | "fullrank"
//                  str  dtype          "float32" | "float64"
//                  i64  dim            D, the model's flat size
//                  u32  V, the number of free variables, then V times, in flat order:
//                         str name, str value_name, str transform ("" = none),
//                         u32 rank R, R x i64 shape, i64 offset
//                  u32  M, the number of metadata entries, then M times, keys strictly
//                         ascending: str key, str value
//                  u64  P, the number of parameters (2D for meanfield,
//                         D + D(D+1)/2 for fullrank), then P x f64
//   L - 8   8      u64 FNV-1a 64 of bytes [0, L - 8). FNV-1a detects every change
//                  confined to one byte (each step is a bijection of the state).
//
// Version 1 (elbo before 2026-12) has the same layout; only its kind is spelled
// "mean_field" | "full_rank". The reader turns those into "meanfield" | "fullrank", so a
// loaded SavedApproximation always has the current spelling. Version 2 changed nothing
// else, but older readers must refuse it by its version rather than by an unknown kind.
//
// Load checks, in order: the file opens and is a regular file; it is not empty; the magic
// (a file too short for the magic but matching it is reported as truncated); the version
// (newer versions are refused before their layout is read); the length against L
// (truncated or trailing bytes); the checksum; then every field (malformed), the sizes
// against kind and dim (inconsistent), and that every parameter is finite.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "elbo/export.hpp"
#include "elbo/io/saved_approximation.hpp"
#include "elbo/model/model.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// The newest file format version this elbo reads and the one it writes (it reads 1 too).
inline constexpr uint32_t approximation_file_version = 2;

/// Writes `q`, fitted to `model`, with `metadata` to `path` atomically: readers see the old
/// file or the complete new one, never a part.
/// Throws InvalidArgument as to_saved_approximation does, and FormatError naming the path
/// and the system's reason when the file cannot be written ("cannot write 'a/m.elbo': No
/// such file or directory"); the file at `path`, if any, is then left as it was.
void save_approximation(const std::string& path, const Model& model, const Approximation& q,
                        const std::map<std::string, std::string>& metadata = {});

/// The same for a snapshot already taken. Throws InvalidArgument when `saved` is not
/// consistent (see serialize_approximation), FormatError when the file cannot be written.
void save_approximation(const std::string& path, const SavedApproximation& saved);

/// Reads the file at `path`. The result's `source` is `path`.
/// Throws FormatError naming the file and what is wrong, e.g.
/// "m.elbo: truncated: expected 8123 bytes, found 4000",
/// "m.elbo: not an elbo model file (bad magic)",
/// "m.elbo: format version 7 is newer than this elbo supports (2)",
/// "m.elbo: checksum mismatch: the file is corrupted".
SavedApproximation load_approximation(const std::string& path);

/// Parses the bytes of a file; messages start with `name_for_messages`. Never reads out
/// of bounds and never allocates more than a small multiple of bytes.size().
/// Throws FormatError only.
SavedApproximation parse_approximation(std::string_view bytes, const std::string& name_for_messages);

/// The bytes of the file for `saved` (its `source` is not stored).
/// Throws InvalidArgument when `saved` would not load again: an unknown kind, a parameter
/// count that does not fit kind and dim, variables that do not tile [0, dim) in order,
/// duplicate or empty variable names, or a parameter that is not finite.
std::string serialize_approximation(const SavedApproximation& saved);

}  // namespace elbo
ELBO_API_END
