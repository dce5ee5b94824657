#pragma once
// The inference layer: approximations, optimizers, schedules, callbacks, the fit loop, and
// the PSIS check of a fitted approximation.
#include "elbo/vi/approximation.hpp"
#include "elbo/vi/approximation_check.hpp"
#include "elbo/vi/callback.hpp"
#include "elbo/vi/flow_formula.hpp"
#include "elbo/vi/full_rank.hpp"
#include "elbo/vi/graph_family.hpp"
#include "elbo/vi/graph_form.hpp"
#include "elbo/vi/inference.hpp"
#include "elbo/vi/low_rank.hpp"
#include "elbo/vi/mean_field.hpp"
#include "elbo/vi/normalizing_flow.hpp"
#include "elbo/vi/objective.hpp"
#include "elbo/vi/optimizer.hpp"
#include "elbo/vi/progress_bar.hpp"
#include "elbo/vi/psis.hpp"
#include "elbo/vi/schedule.hpp"
