#include "elbo/vi/flow_formula.hpp"

#include <charconv>

#include "elbo/graph/error.hpp"

namespace elbo {

namespace {
constexpr int64_t kMaxRepeat = 10000;  // layers of one part, and of the whole formula
}

std::string flow_layer_name(FlowLayer layer) {
  switch (layer) {
    case FlowLayer::planar: return "planar";
    case FlowLayer::radial: return "radial";
    case FlowLayer::householder: return "hh";
    case FlowLayer::loc: return "loc";
    case FlowLayer::scale: return "scale";
    case FlowLayer::iaf: return "iaf";
  }
  return "?";
}

std::vector<FlowLayer> parse_flow_formula(const std::string& formula) {
  auto fail = [&](const std::string& why) -> void {
    throw InvalidArgument("flow formula '" + formula + "': " + why);
  };
  if (formula.empty()) fail("it is empty; write layers joined by '-', e.g. scale-planar*8-loc");
  std::vector<FlowLayer> layers;
  size_t begin = 0;
  int part = 0;
  while (begin <= formula.size()) {
    size_t end = formula.find('-', begin);
    if (end == std::string::npos) end = formula.size();
    const std::string token = formula.substr(begin, end - begin);
    ++part;
    const std::string where = " (part " + std::to_string(part) + ")";
    if (token.empty()) fail("an empty layer" + where + "; layers are joined by a single '-'");
    std::string name = token;
    int64_t repeat = 1;
    if (size_t star = token.find('*'); star != std::string::npos) {
      name = token.substr(0, star);
      const std::string count = token.substr(star + 1);
      auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), repeat);
      if (count.empty() || ec != std::errc() || ptr != count.data() + count.size() || repeat < 1 ||
          repeat > kMaxRepeat)
        fail("the repeat count '" + count + "' of '" + token + "'" + where + " must be a whole number from 1 to " +
             std::to_string(kMaxRepeat));
    }
    FlowLayer layer;
    if (name == "planar") layer = FlowLayer::planar;
    else if (name == "radial") layer = FlowLayer::radial;
    else if (name == "hh" || name == "householder") layer = FlowLayer::householder;
    else if (name == "loc") layer = FlowLayer::loc;
    else if (name == "scale") layer = FlowLayer::scale;
    else if (name == "iaf") layer = FlowLayer::iaf;
    else {
      fail("unknown layer '" + name + "'" + where + "; choose planar, radial, hh, loc, scale, iaf");
      return {};
    }
    if (static_cast<int64_t>(layers.size()) + repeat > kMaxRepeat)
      fail("more than " + std::to_string(kMaxRepeat) + " layers in all");
    layers.insert(layers.end(), static_cast<size_t>(repeat), layer);
    begin = end + 1;
  }
  return layers;
}

std::string flow_formula(const std::vector<FlowLayer>& layers) {
  std::string out;
  for (size_t i = 0; i < layers.size();) {
    size_t j = i;
    while (j < layers.size() && layers[j] == layers[i]) ++j;
    if (!out.empty()) out += '-';
    out += flow_layer_name(layers[i]);
    if (j - i > 1) out += "*" + std::to_string(j - i);
    i = j;
  }
  return out;
}

}  // namespace elbo
