#pragma once
// Building CSV output, to be written atomically to a file or to stdout.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace elbo::cli {

/// Appends `value` in the shortest form that reads back as the same float32 (7 significant
/// digits at most): "0.5", "1e-08", "-3.25".
void append_number(std::string& out, double value);
/// Appends the names joined with commas and a newline.
void append_header(std::string& out, const std::vector<std::string>& names);

/// Writes `text` to `path` atomically (data::write_file_atomically), or to stdout when
/// `path` is empty.
void write_output(const std::string& path, const std::string& text);

/// The same for text made piece by piece: produce(put) calls put for each piece in order.
/// A file appears only when produce returns (an exception leaves `path` as it was); on
/// stdout the pieces go out as they come.
void write_output(const std::string& path,
                  const std::function<void(const std::function<void(std::string_view)>& put)>& produce);

}  // namespace elbo::cli
