#include "elbo/transforms/transform.hpp"

namespace elbo {

std::string transformed_name(const std::string& var, const Transform& transform) {
  return var + "_" + std::string(transform.name()) + "__";
}

}  // namespace elbo
