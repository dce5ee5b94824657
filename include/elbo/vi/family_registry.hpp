#pragma once
// Every approximating family by the name its kind() starts with: how many parameters it
// has over D coordinates and how to build it again from its kind, so that saving, loading
// and the CLI never switch on a family. Adding a family is one file plus one line in
// src/vi/family_registry.cpp.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elbo/export.hpp"
#include "elbo/vi/approximation.hpp"

ELBO_API_BEGIN
namespace elbo {

/// The family names: "meanfield", "fullrank", "lowrank", "flow", "mixture", "empirical",
/// "kron".
std::vector<std::string> family_names();

/// Whether `kind` names a family with a well-formed option (a rank >= 1, a formula that
/// parses), whatever the dimension.
bool is_family_kind(const std::string& kind);

/// The number of variational parameters of the family `kind` ("meanfield", "lowrank:3",
/// "flow:scale-planar*8-loc") over dim coordinates, without building it; -1 for an unknown
/// or malformed kind, a rank out of range, or a count that does not fit in int64.
int64_t family_param_count(const std::string& kind, int64_t dim);

/// A new family of `kind` over mu.size() coordinates at its start (mean mu). Throws
/// InvalidArgument naming the kind when it is unknown or malformed.
std::unique_ptr<Approximation> make_family(const std::string& kind, std::span<const double> mu);

}  // namespace elbo
ELBO_API_END
