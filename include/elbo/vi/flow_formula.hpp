#pragma once
// PyMC's flow formulas: layer names joined by '-', each optionally repeated with *N, read
// left to right with the first layer applied first to the base noise. "scale-loc" is
// mean-field; "scale-planar*8-loc" puts eight planar layers between them.
#include <cstdint>
#include <string>
#include <vector>

#include "elbo/export.hpp"

ELBO_API_BEGIN
namespace elbo {

/// The layers a flow can stack: planar and radial (Rezende & Mohamed 2015), householder
/// ("hh", Tomczak & Welling 2016), loc (a shift), scale (a positive diagonal scale) and iaf
/// (an inverse autoregressive flow, Kingma et al. 2016, as NumPyro's AutoIAFNormal: a
/// MADE network with two hidden layers of D units).
enum class FlowLayer { planar, radial, householder, loc, scale, iaf };

/// The formula's name of a layer: "planar", "radial", "hh", "loc", "scale", "iaf".
std::string flow_layer_name(FlowLayer layer);

/// The layers of `formula`, in the order they are applied (at most 10,000 in all: formulas
/// come from files too). Throws InvalidArgument naming
/// the formula, the position and the bad part: "flow formula 'scale-plnar': unknown layer
/// 'plnar' (part 2); choose planar, radial, hh, loc, scale, iaf".
std::vector<FlowLayer> parse_flow_formula(const std::string& formula);

/// The formula written back in canonical form ("planar*2-loc" for "planar-planar-loc").
std::string flow_formula(const std::vector<FlowLayer>& layers);

}  // namespace elbo
ELBO_API_END
