"""scikit-learn estimators: ``BNNRegressor`` and ``BNNClassifier`` fit a Bayesian neural
network exactly as ``elbo fit`` does (the same code, run in-process), with the command
line's defaults and its flags as keyword arguments (``--init-scale`` is ``init_scale``).
The fitted estimator holds the model file's bytes: ``save`` writes the file ``elbo
predict`` reads, ``load_bnn`` reads what ``elbo fit`` wrote, with identical predictions.

Unset (None) keywords take the command line's default (docs/CLI.md)."""
from __future__ import annotations

import contextlib
import os
import re
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core

# Keyword -> flag of `elbo fit`. Values None are left to the command line's default.
_FLAGS = {
    "hidden": "--hidden", "activation": "--activation", "prior": "--prior", "prior_sd": "--prior-sd",
    "method": "--method", "optimizer": "--optimizer", "lr": "--lr", "lr_schedule": "--lr-schedule",
    "init_scale": "--init-scale", "iters": "--iters", "max_iters": "--max-iters", "time_limit": "--time-limit",
    "batch_size": "--batch-size", "mc_samples": "--mc-samples", "objective": "--objective", "rank": "--rank",
    "flow": "--flow", "particles": "--particles", "paths": "--paths", "init": "--init", "hessian": "--hessian",
    "subset": "--subset", "predictive": "--predictive", "dtype": "--dtype", "psis_draws": "--psis-draws", "threads": "--threads",
    "likelihood": "--likelihood", "ensemble": "--ensemble", "beta": "--beta", "prior_scale": "--prior-scale",
    "kl_warmup": "--kl-warmup", "recipe": "--recipe",
}
_STEP_METHODS = {"advi", "fullrank_advi", "lowrank_advi", "nfvi", "svgd", "asvgd"}


@contextlib.contextmanager
def _captured_output():
    """The process's stdout and stderr (the C++ code writes to them) into a file."""
    import sys
    with tempfile.TemporaryFile(mode="w+b") as sink:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        saved = [os.dup(1), os.dup(2)]
        try:
            os.dup2(sink.fileno(), 1)
            os.dup2(sink.fileno(), 2)
            yield sink
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _python_names(message: str) -> str:
    """A command-line message in the keywords' names: '--init-scale' -> 'init_scale'."""
    flags = {flag: name for name, flag in _FLAGS.items()}
    flags.update({"--seed": "random_state", "--no-standardize": "standardize", "--bias": "bias",
                  "--no-bias": "bias"})
    message = re.sub(r"--[a-z][a-z-]*", lambda m: flags.get(m.group(0), m.group(0)), message)
    return message.replace("elbo fit: error: ", "").replace("Run 'elbo fit --help' for usage.", "").strip()


def run_elbo(args, verbose: bool = True) -> None:
    """Runs ``elbo ARGS...`` in-process; ValueError (exit 2, a usage error) or RuntimeError
    (exit 1) with its message."""
    if verbose:
        code, text = _core.run_cli([str(a) for a in args]), ""
    else:
        with _captured_output() as sink:
            code = _core.run_cli([str(a) for a in args])
            sink.seek(0)
            text = sink.read().decode(errors="replace")
    if code == 2:
        raise ValueError(_python_names(text) or f"elbo {args[0]}: usage error")
    if code != 0:
        raise RuntimeError(text.strip() or f"elbo {args[0]} failed with exit code {code}")


def _network_from_bytes(data: bytes):
    with tempfile.TemporaryDirectory(prefix="elbo-") as d:
        path = os.path.join(d, "model.elbo")
        with open(path, "wb") as f:
            f.write(data)
        return _core.FittedNetwork(path)


def _seed(random_state) -> int:
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        if random_state < 0:
            raise ValueError(f"random_state: expected a non-negative int, got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    raise ValueError(f"random_state: expected None, an int or a RandomState, got {random_state!r}")


class _BNN(BaseEstimator):
    """What both estimators share: the flags, the fit through `elbo fit`, the model file."""

    def __init__(self, hidden=(5, 5), likelihood=None, activation="tanh", bias=True, prior=None, prior_sd=None,
                 method="advi", optimizer=None, lr=None, lr_schedule=None, init_scale=None, iters=None, max_iters=None,
                 time_limit=None, batch_size=None, mc_samples=None, objective=None, rank=None, flow=None,
                 particles=None, paths=None, init=None, hessian=None, subset=None, predictive=None, dtype=None,
                 standardize=True,
                 psis_draws=None, ensemble=None, beta=None, prior_scale=None, kl_warmup=None, recipe=None, random_state=None,
                 threads=None, draws=500, verbose=False):
        self.hidden = hidden
        self.likelihood = likelihood
        self.activation = activation
        self.bias = bias
        self.prior = prior
        self.prior_sd = prior_sd
        self.method = method
        self.optimizer = optimizer
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.init_scale = init_scale
        self.iters = iters
        self.max_iters = max_iters
        self.time_limit = time_limit
        self.batch_size = batch_size
        self.mc_samples = mc_samples
        self.objective = objective
        self.rank = rank
        self.flow = flow
        self.particles = particles
        self.paths = paths
        self.init = init
        self.hessian = hessian
        self.subset = subset
        self.predictive = predictive
        self.dtype = dtype
        self.standardize = standardize
        self.psis_draws = psis_draws
        self.ensemble = ensemble
        self.beta = beta
        self.prior_scale = prior_scale
        self.kl_warmup = kl_warmup
        self.recipe = recipe
        self.random_state = random_state
        self.threads = threads
        self.draws = draws
        self.verbose = verbose

    def _likelihood(self):
        """The --likelihood flag: the estimator's own choice unless one is given."""
        raise NotImplementedError

    def _fit_args(self, train: str, out: str, history: str | None) -> list:
        args = ["fit", "--train", train, "--out", out, "--seed", _seed(self.random_state)]
        for name, flag in _FLAGS.items():
            value = self._likelihood() if name == "likelihood" else getattr(self, name)
            if value is None:
                continue
            if name == "hidden":
                value = ",".join(str(int(h)) for h in ((value,) if np.isscalar(value) else value))
            args += [flag, value]
        args.append("--bias" if self.bias else "--no-bias")
        if not self.standardize:
            args.append("--no-standardize")
        if history is not None:
            args += ["--loss-history", history]
        return args

    def _fit_table(self, X: np.ndarray, y: np.ndarray):
        if self.method is not None and self.method not in _STEP_METHODS | {"laplace", "pathfinder"}:
            raise ValueError(f"method: unknown method '{self.method}'")
        with tempfile.TemporaryDirectory(prefix="elbo-") as d:
            train, out = os.path.join(d, "train.npy"), os.path.join(d, "model.elbo")
            step_method = self.method is None or self.method in _STEP_METHODS
            history = os.path.join(d, "loss.csv") if step_method else None
            np.save(train, np.column_stack([X, y]).astype(np.float64))
            run_elbo(self._fit_args(train, out, history), verbose=self.verbose)
            with open(out, "rb") as f:
                self.model_bytes_ = f.read()
            if history is not None and os.path.exists(history):
                self.loss_history_ = np.atleast_1d(np.loadtxt(history, delimiter=",", skiprows=1, usecols=-1))
            else:
                self.loss_history_ = np.empty(0)
        self._network = _network_from_bytes(self.model_bytes_)
        return self

    @property
    def network_(self):
        """The fitted network (the model file, loaded for prediction)."""
        check_is_fitted(self, "model_bytes_")
        return self._network

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_network", None)  # rebuilt from model_bytes_
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "model_bytes_" in state:
            self._network = _network_from_bytes(self.model_bytes_)

    def predict_table(self, X, interval: float = 0.94) -> dict:
        """The table ``elbo predict`` writes, by column: for numeric targets mean, sd and the
        central ``interval`` (lo, hi); for classes each class's probability and its sd over
        draws, the label, the predictive entropy and the mutual information."""
        check_is_fitted(self, "model_bytes_")
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=True)
        # The draws of `elbo predict` at its default seed 0: the same file gives the same
        # predictions here and there, whatever seed fitted it.
        columns, values = self.network_.predict_table(X, int(self.draws), 0, float(interval), int(self.threads or os.cpu_count() or 1))
        return {c: values[:, i] for i, c in enumerate(columns)}

    def save(self, path: str) -> None:
        """Writes the model file (the format of ``elbo fit --out``), atomically."""
        check_is_fitted(self, "model_bytes_")
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(self.model_bytes_)
        os.replace(tmp, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags


_COMMON_DOC = """
    Parameters are the flags of ``elbo fit`` (docs/CLI.md) under their Python names; None
    means the command line's default: ``recipe`` None is ``elbo fit``'s default recipe,
    "ensemble" (five tempered members; "single" for one plain fit), whose choices the flags
    given override; ``threads`` None is every core for the recipe's fits side by side (one
    thread a fit) and for predictions, the same results as any number. ``hidden`` is a
    tuple of widths, ``random_state`` the
    seed (None: 0), ``draws`` the posterior draws each prediction uses, ``verbose`` shows
    the command line's output (the progress bar and the report)."""


class BNNRegressor(RegressorMixin, _BNN):
    __doc__ = ("A Bayesian neural network for a numeric target: ``likelihood`` normal, student_t, "
               "heteroscedastic_normal, heteroscedastic_student_t (a noise scale that depends on the inputs) or "
               "poisson; by default ``elbo fit``'s recipe's: heteroscedastic_student_t, or normal with "
               "``recipe='single'``." + _COMMON_DOC)

    _LIKELIHOODS = ("normal", "student_t", "heteroscedastic_normal", "heteroscedastic_student_t", "poisson")

    def _likelihood(self):
        # Always given: `elbo fit` would infer a class likelihood from a target of 0/1 values.
        default = "normal" if self.recipe == "single" else "heteroscedastic_student_t"
        choice = default if self.likelihood is None else self.likelihood
        if choice not in self._LIKELIHOODS:
            names = ", ".join(map(repr, self._LIKELIHOODS[:-1])) + f" or {self._LIKELIHOODS[-1]!r}"
            raise ValueError(f"likelihood: a regressor takes {names}, got {choice!r}")
        return choice

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, ensure_all_finite=True)
        return self._fit_table(X, y)

    def predict(self, X, return_std: bool = False):
        """The posterior predictive mean (and sd with ``return_std=True``)."""
        t = self.predict_table(X)
        return (t["mean"], t["sd"]) if return_std else t["mean"]


class BNNClassifier(ClassifierMixin, _BNN):
    __doc__ = ("A Bayesian neural network for class labels: ``likelihood`` bernoulli for two classes, "
               "categorical for more." + _COMMON_DOC)

    def _likelihood(self):
        auto = "bernoulli" if len(self.classes_) == 2 else "categorical"
        if self.likelihood not in (None, auto):
            raise ValueError(f"likelihood: {len(self.classes_)} classes take '{auto}', got {self.likelihood!r}")
        return auto

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_all_finite=True)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"BNNClassifier needs at least 2 classes in y; it has one class: {self.classes_[0]!r}")
        return self._fit_table(X, encoded.astype(np.float64))

    def predict_proba(self, X) -> np.ndarray:
        """The posterior predictive probability of each class, [rows, classes]."""
        t = self.predict_table(X)
        if len(self.classes_) == 2:
            return np.column_stack([1.0 - t["mean"], t["mean"]])
        return np.column_stack([t[f"p_{k}"] for k in range(len(self.classes_))])

    def predict_log_proba(self, X) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The class of highest posterior predictive probability."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_uncertainty(self, X) -> dict:
        """Per row: the predictive entropy (total uncertainty), the mutual information
        between the label and the weights (the part due to the posterior, "epistemic"),
        and the sd over posterior draws of each class's probability, [rows, classes]."""
        t = self.predict_table(X)
        if len(self.classes_) == 2:
            sd = np.column_stack([t["sd"], t["sd"]])
        else:
            sd = np.column_stack([t[f"sd_{k}"] for k in range(len(self.classes_))])
        return {"entropy": t["entropy"], "mutual_info": t["mutual_info"], "sd": sd}


def load_bnn(path: str):
    """A fitted estimator from a model file that ``elbo fit`` (or ``save``) wrote: a
    BNNClassifier for a bernoulli or categorical likelihood (classes 0..K-1), else a
    BNNRegressor. Its predictions are those of ``elbo predict`` on the same file."""
    with open(path, "rb") as f:
        data = f.read()
    network = _core.FittedNetwork(path)
    hidden = tuple(int(w) for w in network.layers.split("->")[1:-1])
    if network.likelihood in ("bernoulli", "categorical"):
        est = BNNClassifier(hidden=hidden, likelihood=network.likelihood)
        est.classes_ = np.arange(2 if network.likelihood == "bernoulli" else network.outputs)
    else:
        est = BNNRegressor(hidden=hidden, likelihood=network.likelihood)
    est.model_bytes_ = data
    est.loss_history_ = np.empty(0)
    est.n_features_in_ = network.n_features
    est._network = network
    return est
