#pragma once
// Figures are drawn by gnuplot (Debian package gnuplot-nox), run once per figure on a script
// written to a temporary directory. Each figure is written as `<stem>.png` and `<stem>.svg`,
// rendered to temporary files beside the targets and renamed into place only when both are
// complete, so a reader never sees a half-written figure.
#include <string>

#include "elbo/export.hpp"
#include "elbo/graph/error.hpp"

ELBO_API_BEGIN
namespace elbo::plot {

/// gnuplot cannot be found. Callers that treat figures as optional catch this one type,
/// skip the figures and say so; every other failure is a plain elbo::Error.
class GnuplotMissing : public Error {
 public:
  using Error::Error;
};

/// The gnuplot executable figures are drawn with: the environment variable ELBO_GNUPLOT if it
/// is set and non-empty (a path, used as given), otherwise the first executable `gnuplot` on
/// PATH. Returns an empty string when there is none.
std::string gnuplot_executable();

/// Whether gnuplot_executable() found an executable.
bool gnuplot_available();

}  // namespace elbo::plot
ELBO_API_END
