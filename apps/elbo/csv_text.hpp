#pragma once
// Building CSV output in memory, so that it can be written atomically or to stdout.
#include <string>
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

}  // namespace elbo::cli
