#pragma once
// The figures layer: PNG and SVG figures drawn by gnuplot.
#include "elbo/plot/contour_panels.hpp"
#include "elbo/plot/contour_surface.hpp"
#include "elbo/plot/gnuplot.hpp"
#include "elbo/plot/line_series.hpp"
#include "elbo/plot/reliability_diagram.hpp"
#include "elbo/plot/scatter_classes.hpp"
