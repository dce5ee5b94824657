#pragma once
// Writing a file so that readers see either the old content or the new, never a half.
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo::data {

/// Writes `bytes` to `path + ".tmp.<pid>"`, flushes it to disk and renames it onto `path`.
/// On any failure the temporary file is removed and `path` is left as it was.
/// Throws FormatError naming the file and the system's reason ("cannot write 'a.csv': ...").
/// Not safe for two threads of one process writing the same path at once (same temp name).
void write_file_atomically(const std::string& path, std::string_view bytes);

/// The same, with the content produced by `write` into a binary std::ostream. If `write`
/// throws, the temporary file is removed and the exception propagates.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace elbo::data
ELBO_API_END
