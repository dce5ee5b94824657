// The step methods in Python (PyMC's pm.ADVI, pm.FullRankADVI, ..., pm.fit): an
// inference over a model, its fit loop with the GIL released, PyMC's progress bar written
// to Python's sys.stderr (so notebooks show it), Ctrl-C ending the fit with the result
// kept, and callbacks: the library's own, or any Python callable.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <elbo/graph/error.hpp>
#include <elbo/vi/callback.hpp>
#include <elbo/vi/inference.hpp>
#include <elbo/vi/objective.hpp>

#include "arrays.hpp"
#include "bindings.hpp"

namespace elbo::python {

namespace {

nb::object vector_to_numpy(const std::vector<double>& v) {
  Tensor t(DType::f64, {static_cast<int64_t>(v.size())}, std::span<const double>(v));
  return to_numpy(std::move(t));
}

nb::object span_to_numpy(std::span<const double> v) {
  return to_numpy(Tensor(DType::f64, {static_cast<int64_t>(v.size())}, v));
}

// A Python object that the fit loop may drop without the GIL.
struct GilHeld {
  nb::object object;
  explicit GilHeld(nb::object o) : object(std::move(o)) {}
  ~GilHeld() {
    nb::gil_scoped_acquire gil;
    object.reset();
  }
};

// A Python callable run after every step: fn(step) -> None or bool (False stops the fit).
// It runs with the GIL held; a Python exception it raises stops the fit and is raised
// again by fit() once the loop has ended.
class PythonCallback : public Callback {
 public:
  PythonCallback(nb::object fn, bool* failed) : fn_(std::move(fn)), failed_(failed) {}
  bool operator()(const StepInfo& info, std::string& reason) override {
    nb::gil_scoped_acquire gil;
    try {
      nb::object result = fn_.object(info.step);
      if (result.is_none() || nb::cast<bool>(result)) return true;
      reason = "a Python callback stopped the fit";
      return false;
    } catch (nb::python_error& e) {
      e.restore();
      *failed_ = true;
      reason = "a Python callback raised an exception";
      return false;
    }
  }

 private:
  GilHeld fn_;
  bool* failed_;
};

nb::dict report_dict(const FitReport& r) {
  nb::dict d;
  d["steps"] = r.steps;
  d["interrupted"] = r.interrupted;
  d["stopped"] = r.stopped;
  d["reason"] = r.reason;
  d["skipped"] = r.skipped;
  return d;
}

}  // namespace

void bind_inference(nb::module_& m) {
  nb::class_<Callback>(m, "Callback", "A callback of the library, run after every step.");
  nb::class_<CheckParametersConvergence, Callback>(m, "CheckParametersConvergence",
                                                   "PyMC's CheckParametersConvergence.")
      .def(
          "__init__",
          [](CheckParametersConvergence* self, int64_t every, double tolerance, const std::string& diff, double ord) {
            if (diff != "relative" && diff != "absolute")
              throw nb::value_error(("CheckParametersConvergence: diff must be 'relative' or 'absolute', got '" +
                                     diff + "'")
                                        .c_str());
            new (self) CheckParametersConvergence(
                {.every = every, .tolerance = tolerance, .relative = diff == "relative", .ord = ord});
          },
          nb::arg("every") = 100, nb::arg("tolerance") = 1e-3, nb::arg("diff") = "relative",
          nb::arg("ord") = std::numeric_limits<double>::infinity());
  nb::class_<ElboConvergence, Callback>(m, "ElboConvergence", "Stan's relative-ELBO convergence test.")
      .def(
          "__init__",
          [](ElboConvergence* self, int64_t eval_elbo, double tol_rel_obj, int64_t buffer) {
            new (self) ElboConvergence({.eval_elbo = eval_elbo, .tol_rel_obj = tol_rel_obj, .buffer = buffer});
          },
          nb::arg("eval_elbo") = 100, nb::arg("tol_rel_obj") = 0.01, nb::arg("buffer") = 0);

  nb::class_<Approximation>(m, "Approximation", "A fitted q over the model's flat unconstrained vector.")
      .def_prop_ro("kind", &Approximation::kind)
      .def_prop_ro("dim", &Approximation::dim)
      .def_prop_ro("has_density", &Approximation::has_density)
      .def_prop_ro("params", [](const Approximation& q) { return span_to_numpy(q.params()); })
      .def_prop_ro("mean", [](const Approximation& q) { return vector_to_numpy(q.mean()); })
      .def_prop_ro("sd", [](const Approximation& q) { return vector_to_numpy(q.sd()); })
      .def_prop_ro("cov", [](const Approximation& q) { return to_numpy(q.cov()); });

  nb::class_<Inference>(m, "Inference", "A step method over a model (use elbo.ADVI, elbo.fit ...).")
      .def(
          "fit",
          [](Inference& inference, int64_t n, double cost_part_grad_scale, int64_t obj_n_mc, double beta,
             int64_t kl_warmup, bool progressbar, nb::object progress_write, bool terminal, nb::list callbacks,
             bool skip_nonfinite, std::optional<std::string> objective) {
            if (n < 0) throw nb::value_error(("fit: n must be >= 0, got " + std::to_string(n)).c_str());
            FitOptions options;
            options.cost_part_grad_scale = cost_part_grad_scale;
            options.obj_n_mc = obj_n_mc;
            if (objective) {
              long long particles = 0;
              options.objective = parse_objective(*objective, &particles);
              if (particles > 0) options.obj_n_mc = particles;
            }
            options.beta = beta;
            options.kl_warmup = kl_warmup;
            options.progressbar = progressbar;
            options.skip_nonfinite = skip_nonfinite;
            if (!progress_write.is_none()) {
              auto write = std::make_shared<GilHeld>(progress_write);
              options.progress_sink.write = [write](std::string_view text) {
                nb::gil_scoped_acquire gil;
                try {
                  write->object(nb::str(text.data(), text.size()));
                } catch (nb::python_error& e) {
                  e.discard_as_unraisable("elbo: writing the progress bar");
                }
              };
              options.progress_sink.terminal = terminal;
            }
            bool failed = false;
            for (nb::handle c : callbacks) {
              if (nb::isinstance<Callback>(c))
                options.callbacks.push_back(nb::cast<std::shared_ptr<Callback>>(c));
              else if (PyCallable_Check(c.ptr()))
                options.callbacks.push_back(std::make_shared<PythonCallback>(nb::borrow(c), &failed));
              else
                throw nb::value_error("fit: callbacks must be callables or elbo callbacks");
            }
            {
              nb::gil_scoped_release release;
              inference.fit(n, options);
              options = FitOptions{};  // drops the Python objects' holders while the GIL is free
            }
            if (failed) throw nb::python_error();
            return report_dict(inference.last_fit());
          },
          nb::arg("n"), nb::arg("cost_part_grad_scale") = 1.0, nb::arg("obj_n_mc") = 1, nb::arg("beta") = 1.0,
          nb::arg("kl_warmup") = 0, nb::arg("progressbar") = true, nb::arg("progress_write") = nb::none(),
          nb::arg("terminal") = false,
          nb::arg("callbacks") = nb::list(), nb::arg("skip_nonfinite") = false, nb::arg("objective") = nb::none())
      .def_prop_ro("hist", [](const Inference& inference) { return vector_to_numpy(inference.hist()); })
      .def_prop_ro("step", &Inference::step)
      .def_prop_ro("seed", &Inference::seed)
      .def_prop_ro("learning_rate", [](Inference& inference) { return inference.optimizer().learning_rate(); })
      .def_prop_ro(
          "approximation", [](Inference& inference) -> Approximation& { return inference.approximation(); },
          nb::rv_policy::reference_internal, "The fitted q (it lives as long as the inference).");

  m.def(
      "make_inference",
      [](const Model& model, const std::string& method, uint64_t seed, const std::string& optimizer,
         std::optional<double> learning_rate, int threads, double start_sigma, int64_t rank, const std::string& flow,
         int64_t particles, double jitter, double temperature, nb::handle start, nb::dict optimizer_options,
         const std::vector<std::string>& row_data) {
        InferenceOptions options;
        options.row_data = row_data;
        options.seed = seed;
        options.optimizer.name = optimizer;
        options.optimizer.learning_rate = learning_rate;
        OptimizerOptions& o = options.optimizer;
        for (auto [key, value] : optimizer_options) {
          std::string k = nb::cast<std::string>(key);
          if (value.is_none()) continue;
          if (k == "epsilon") o.epsilon = nb::cast<double>(value);
          else if (k == "momentum") o.momentum = nb::cast<double>(value);
          else if (k == "rho") o.rho = nb::cast<double>(value);
          else if (k == "beta1") o.beta1 = nb::cast<double>(value);
          else if (k == "beta2") o.beta2 = nb::cast<double>(value);
          else if (k == "n_win") o.n_win = nb::cast<int>(value);
          else if (k == "total_grad_norm_constraint") o.total_grad_norm_constraint = nb::cast<double>(value);
          else throw nb::value_error(("optimizer: unknown option '" + k + "'").c_str());
        }
        options.threads = threads;
        options.start_sigma = start_sigma;
        options.rank = rank;
        options.flow = flow;
        options.particles = particles;
        options.jitter = jitter;
        options.temperature = temperature;
        if (!start.is_none()) options.start = to_tensor(start, "start");
        return make_inference(model, method, std::move(options));
      },
      nb::arg("model"), nb::arg("method"), nb::arg("seed"), nb::arg("optimizer") = "adagrad_window",
      nb::arg("learning_rate") = nb::none(), nb::arg("threads") = 1, nb::arg("start_sigma") = 0.0,
      nb::arg("rank") = 0, nb::arg("flow") = "", nb::arg("particles") = 100, nb::arg("jitter") = 1.0,
      nb::arg("temperature") = 1.0, nb::arg("start") = nb::none(), nb::arg("optimizer_options") = nb::dict(),
      nb::arg("row_data") = std::vector<std::string>{}, nb::keep_alive<0, 1>());
}

}  // namespace elbo::python
