#pragma once
// The consistency rules of a SavedApproximation, shared by the writer (which refuses to
// write what would not load) and the parser (which refuses to return it).
#include <map>
#include <optional>
#include <string>

#include "elbo/io/saved_approximation.hpp"

namespace elbo::detail {

/// Ranks above this are refused (user-facing values have rank 4 at most).
inline constexpr uint32_t max_saved_rank = 32;

/// The first thing that makes `saved` unusable, as a phrase ("the variables cover 7
/// coordinates, but the dimension is 8"); nullopt when it is consistent. Checks, in order:
/// kind, dim, the variables (names, shapes, tiling of [0, dim) in order), the parameter
/// count, then that every parameter is finite.
std::optional<std::string> find_problem(const SavedApproximation& saved);

/// to_saved_approximation; messages start with `where`.
SavedApproximation snapshot(const Model& model, const Approximation& q,
                            const std::map<std::string, std::string>& metadata, const std::string& where);

}  // namespace elbo::detail
