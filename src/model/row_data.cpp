#include "elbo/model/row_data.hpp"

#include <algorithm>

#include "elbo/graph/error.hpp"

namespace elbo {

RowData row_data_of(const Model& model, const std::vector<Expr>& containers, const std::string& who,
                    const std::string& option) {
  RowData r;
  if (containers.empty()) return r;
  for (const Expr& e : containers) {
    if (!e.valid() || e.graph_state() != model.graph().state() || !e.is_data() || e.value() == nullptr)
      throw InvalidArgument(who + ": option '" + option + "' holds something that is not a data container of this model");
    const Tensor& t = *e.value();
    if (t.rank() < 1) throw InvalidArgument(who + ": " + option + " '" + e.name() + "' is a scalar");
    if (!r.inputs.empty() && t.dim(0) != r.rows)
      throw InvalidArgument(who + ": " + option + " '" + e.name() + "' has " + std::to_string(t.dim(0)) +
                            " rows but '" + r.inputs.front().name() + "' has " + std::to_string(r.rows));
    r.rows = t.dim(0);
    r.inputs.push_back(e);
    r.sources.push_back(&t);
  }
  for (const auto& v : model.observed_variables()) {
    if (v.options.total_size > 0 || !v.options.total_size_per_dim.empty())
      throw InvalidArgument(who + ": observed variable '" + v.name +
                            "' sets total_size, so chunks of rows would each be scaled up; give no " + option);
    if (std::none_of(r.inputs.begin(), r.inputs.end(), [&](const Expr& e) { return e.id() == v.data.id(); }))
      throw InvalidArgument(who + ": observed variable '" + v.name + "' observes data that is not in " + option +
                            ", so every chunk of rows would add its log p");
  }
  return r;
}

}  // namespace elbo
