#pragma once
// The commonest step of a fit, fused: mean-field ADVI with one draw per step, the ELBO's
// objective, Adam, on a float32 model. Its state is single precision, as the model's:
// mu, rho (MeanField::single_params) and Adam's moments (Optimizer::next_single_adam_step)
// are floats, and the update's arithmetic is float. (The general path, Inference::run_step,
// keeps them in double and makes about ten passes over arrays of the D or 2D parameters;
// docs/PERFORMANCE.md, "The float32 variational state", measures what single precision saves.) This
// makes two passes: draw() reads mu and rho and writes z in float (with the noise and
// sigma's terms kept in float for the second), and update() reads the float gradient,
// updates Adam's moments in place and writes the new mu and rho to a second buffer, which
// the caller swaps in (MeanField::swap_single_params): the old values stay there for an
// undo, without a backup copy. Its results are the same bits for any thread count and
// instruction set (tests/vi/mean_field_adam_step_test.cpp), and within float's rounding of
// the general path's.
//
// Whatever the general path would report or undo takes it instead: draw() and
// gradient_is_finite() return false, before anything is written, when a rho lies outside
// the single-precision kernel's range or the gradient or its constants could overflow a
// float; the caller then runs the step the general way, which draws the same noise.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "elbo/graph/random.hpp"
#include "elbo/vi/optimizer.hpp"
#include "elbo/vi/parallel_for.hpp"

namespace elbo {

class MeanFieldAdamStep {
 public:
  /// Where the next step's noise is drawn ahead: post(chunks, fn, context) and close() as
  /// Program::post_background and close_background, for `threads` threads (the split
  /// of `chunks`). Empty: the noise is drawn in draw() alone.
  struct Background {
    std::function<void(int chunks, void (*fn)(void*, int), void* context)> post;
    std::function<void()> close;
    int threads = 1;
  };

  /// For D parameters; `chunks` runs f over chunk indices [0, n) on the threads (any
  /// split), `elements` over parameter indices.
  MeanFieldAdamStep(int64_t d, ParallelFor chunks, ParallelFor elements, Background background);
  MeanFieldAdamStep(int64_t d, ParallelFor chunks, ParallelFor elements);
  ~MeanFieldAdamStep();
  MeanFieldAdamStep(const MeanFieldAdamStep&) = delete;
  MeanFieldAdamStep& operator=(const MeanFieldAdamStep&) = delete;

  /// The noise of (stream, t) as Inference draws it in float, sigma's terms from rho, and
  /// z32 = float(mu + sigma eps); log q of the draw into *logq. params = [mu, rho]. With
  /// a Background, the noise of (stream, t + 1) is then handed to the threads' idle time,
  /// and the next draw takes the pieces of it that were done (the same numbers).
  bool draw(std::span<const float> params, const Philox& rng, uint64_t stream, uint64_t t, float* z32,
            double* logq);
  /// How many pieces of 512 values of the last draw's noise were drawn ahead (with a
  /// Background), for tests and diagnostics.
  int64_t pieces_drawn_ahead() const { return pieces_drawn_ahead_; }
  /// Whether g32 (d log p / dz) is finite and bounds the gradient of mu and rho, and its
  /// terms, far below float's overflow, with the gradient's constants: w = 1 / c, beta,
  /// scale (cost_part_grad_scale).
  bool gradient_is_finite(const float* g32, double w, double beta, double scale);
  /// Whether Adam's constants are within float's range (a learning rate of 1e30 or more
  /// is not: the general path takes such steps).
  static bool takes(const Optimizer::AdamSingleStep& adam);
  /// MeanField::gradient's one-draw gradient from g32 and Adam's update with it, in float:
  /// the moments in place, the new [mu, rho] into next [2D] (params is not written).
  /// Returns whether the new parameters are finite.
  bool update(std::span<const float> params, const float* g32, double w, double beta, double scale,
              const Optimizer::AdamSingleStep& adam, float* next);

 private:
  int64_t d_, chunks_, body_;  // body_: the parameters in whole blocks of 64 (float terms)
  ParallelFor chunk_parallel_, element_parallel_;
  std::vector<float> eps_, inv_sigma_, dsigma_;  // [D]; the terms for [0, body_)
  // The noise drawn ahead (Background): next_eps_ [D] and which of its pieces are done, for
  // (next_rng_, next_stream_, next_t_); eps_ready_ says the same of eps_ after the swap.
  std::vector<float> next_eps_;
  std::vector<uint8_t> next_ready_, eps_ready_;
  Philox next_rng_{0};
  uint64_t next_stream_ = 0, next_t_ = 0;
  int64_t pieces_drawn_ahead_ = 0;
  bool next_posted_ = false;
  static void draw_ahead(void* self, int chunk);
  std::vector<double> tail_inv_sigma_, tail_dsigma_;  // the last d % 64, computed in double
  Background background_;
  // Per chunk: the sums of log sigma and of the squares, and maxima for the bound.
  std::vector<double> log_sigma_, squares_, max_inv_sigma_, max_abs_eps_, max_abs_g_;
  std::vector<char> ok_;
};

}  // namespace elbo
