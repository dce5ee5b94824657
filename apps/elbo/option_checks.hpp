#pragma once
// Small named checks of flag values, run before any work. Each throws UsageError whose
// message names the flag and the value: "--hidden: '5,,x' is not a comma-separated list
// of positive integers".
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace elbo::cli {

/// "5,5" -> {5, 5}. An empty string means no hidden layer (a linear model).
std::vector<int64_t> parse_hidden(const std::string& flag, const std::string& text);

/// CLI11 validators with messages in the house style ("'nan' is not a positive integer").
/// They run on the text before CLI11 converts it, so NaN and "1e3" are caught here.
CLI::Validator positive_integer();
CLI::Validator non_negative_integer();
/// An integer >= least.
CLI::Validator at_least(int64_t least);
/// 0 ("none") or an integer >= least.
CLI::Validator zero_or_at_least(int64_t least);
CLI::Validator positive_number();
/// A flow formula that parses (flow_formula.hpp); the message is the parser's.
CLI::Validator flow_formula_text();
/// An objective the library parses (objective.hpp: kl, renyi:ALPHA, iwae:K).
CLI::Validator objective_text();
/// A probability strictly between 0 and 1 (--interval).
CLI::Validator open_unit_interval();

/// Throws UsageError unless the directory that `path` would be written into exists.
void check_output_parent(const std::string& flag, const std::string& path);
/// Throws UsageError unless `path` is an existing directory.
void check_output_directory(const std::string& flag, const std::string& path);

}  // namespace elbo::cli
