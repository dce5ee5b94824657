"""The step methods with PyMC's names (``elbo.ADVI``, ``elbo.FullRankADVI``, ...) and
``elbo.fit``: each fits an approximation of the model's posterior by stochastic
optimisation, in C++ with the GIL released. Ctrl-C ends a fit early and keeps the result,
as in PyMC."""
from __future__ import annotations

import secrets

import numpy as np

from . import _core
from .approximation import Approximation
from .model import Model, modelcontext
from .optimizers import as_optimizer
from .progress import progress_sink


class Inference:
    """Base of the step methods. ``fit(n)`` runs n more steps (PyMC's ``refine`` when called
    again) and returns the approximation; ``hist`` holds every step's loss (the negative
    ELBO estimate)."""

    method = ""

    def __init__(self, model: Model | None = None, *, random_seed: int | None = None, start=None,
                 start_sigma: float | None = None, cost_part_grad_scale: float = 1.0, threads: int = 1,
                 row_data=None, **family_options):
        self.model = modelcontext(model)
        if random_seed is None:
            random_seed = secrets.randbits(63)
        if not isinstance(random_seed, (int, np.integer)) or random_seed < 0:
            raise ValueError(f"random_seed: expected a non-negative int, got {random_seed!r}")
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads: expected a positive int, got {threads!r}")
        self.random_seed = int(random_seed)
        self.cost_part_grad_scale = float(cost_part_grad_scale)
        self._start = None if start is None else self._flat_start(start)
        self._start_sigma = 0.0 if start_sigma is None else float(start_sigma)
        self._threads = threads
        # Data containers whose rows hold the likelihood's terms: a one-draw step then runs
        # in blocks of their rows on the threads (the same bits for any thread count).
        if row_data is None:
            row_data = []
        if isinstance(row_data, str) or not all(isinstance(r, str) for r in row_data):
            raise ValueError(f"row_data: expected a list of data container names, got {row_data!r}")
        self._row_data = list(row_data)
        self._family_options = family_options
        self._optimizer = None
        self._core = None
        self.approx: Approximation | None = None

    def _flat_start(self, start):
        if isinstance(start, dict):
            raise ValueError("start: give the flat unconstrained vector (model.initial_point()'s layout); "
                             "a dict of values is not supported yet")
        flat = np.asarray(start, dtype=float)
        if flat.shape != (self.model.ndim,):
            raise ValueError(f"start: expected shape ({self.model.ndim},), got {flat.shape}")
        return flat

    def _make(self, optimizer):
        opts = dict(self._family_options)
        self._core = _core.make_inference(
            self.model._core, self.method, self.random_seed, optimizer=optimizer.name,
            learning_rate=optimizer.learning_rate, threads=self._threads, start_sigma=self._start_sigma,
            rank=int(opts.pop("rank", 0)), flow=str(opts.pop("flow", "")),
            particles=int(opts.pop("n_particles", 100)), jitter=float(opts.pop("jitter", 1.0)),
            temperature=float(opts.pop("temperature", 1.0)), start=self._start,
            optimizer_options=dict(optimizer.options), row_data=self._row_data)
        if opts:
            raise ValueError(f"{type(self).__name__}: unknown option(s) {sorted(opts)}")
        self.approx = Approximation(self, self._core.approximation)

    def fit(self, n: int = 10000, *, obj_optimizer=None, callbacks=None, progressbar: bool = True,
            obj_n_mc: int | None = None, total_grad_norm_constraint: float | None = None, beta: float = 1.0,
            kl_warmup: int = 0, skip_nonfinite: bool = False, objective: str | None = None) -> Approximation:
        """Runs ``n`` more steps; returns the approximation (the same object every call).

        ``obj_optimizer`` (e.g. ``elbo.adam(learning_rate=0.01)``) is fixed by the first call.
        ``callbacks`` are elbo callbacks or callables ``cb(approx, losses, i)`` (PyMC's form;
        returning False stops the fit). ``objective`` is the bound: ``"kl"`` (the negative
        ELBO, weighted by ``beta`` on its KL part), ``"renyi:ALPHA"`` or ``"iwae:K"`` (K
        particles). ``kl_warmup`` (KL warm-up, ``elbo fit --kl-warmup``): over the inference's
        first ``kl_warmup`` steps the KL part's weight rises linearly to ``beta``, counted
        from the inference's first step, so a fit split over calls continues the ramp."""
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n: expected a non-negative int, got {n!r}")
        if not isinstance(kl_warmup, (int, np.integer)) or kl_warmup < 0:
            raise ValueError(f"kl_warmup: expected a non-negative int, got {kl_warmup!r}")
        optimizer = as_optimizer(obj_optimizer)
        if total_grad_norm_constraint is not None:
            optimizer = type(optimizer)(optimizer.name, optimizer.learning_rate,
                                        {**optimizer.options, "total_grad_norm_constraint": total_grad_norm_constraint})
        if self._core is None:
            self._make(optimizer)
            self._optimizer = optimizer
        elif obj_optimizer is not None and optimizer != self._optimizer:
            raise ValueError("obj_optimizer: the optimizer is fixed by the first fit call; make a new inference "
                             "to change it")
        if obj_n_mc is None:
            obj_n_mc = 500 if self.method == "asvgd" else 1
        wrapped = [self._wrap_callback(cb) for cb in (callbacks or [])]
        write, animate = progress_sink()
        self._core.fit(int(n), cost_part_grad_scale=self.cost_part_grad_scale, obj_n_mc=int(obj_n_mc),
                       beta=float(beta), kl_warmup=int(kl_warmup), progressbar=bool(progressbar),
                       progress_write=write, terminal=animate, callbacks=wrapped,
                       skip_nonfinite=bool(skip_nonfinite), objective=objective)
        return self.approx

    def _wrap_callback(self, cb):
        if isinstance(cb, _core.Callback):
            return cb
        if not callable(cb):
            raise ValueError(f"callbacks: expected callables or elbo callbacks, got {cb!r}")
        core = lambda: self._core  # noqa: E731 (late binding: made before the first fit's inference)

        def call(step):
            return cb(self.approx, core().hist, step)
        return call

    refine = fit

    @property
    def hist(self) -> np.ndarray:
        """The loss of every step so far (PyMC's ``inference.hist``)."""
        return np.empty(0) if self._core is None else self._core.hist


class ADVI(Inference):
    """Mean-field ADVI (``pm.ADVI``)."""
    method = "advi"


class FullRankADVI(Inference):
    """Full-rank ADVI (``pm.FullRankADVI``)."""
    method = "fullrank_advi"


class LowRankADVI(Inference):
    """Low-rank plus diagonal ADVI (NumPyro's AutoLowRankMultivariateNormal); ``rank=K``."""
    method = "lowrank_advi"


class NFVI(Inference):
    """Normalizing-flow VI (``pm.NFVI``); ``flow="scale-loc"`` (PyMC's formula syntax)."""
    method = "nfvi"


class SVGD(Inference):
    """Stein variational gradient descent (``pm.SVGD``); ``n_particles=100``, ``jitter=1``,
    ``temperature=1``."""
    method = "svgd"


class ASVGD(Inference):
    """Amortized SVGD (``pm.ASVGD``): 500 draws per step unless ``obj_n_mc`` says otherwise."""
    method = "asvgd"


class _OneShot(Inference):
    """A method that runs once, by optimisation, with no steps and no loss history."""

    def fit(self, n=None, *, progressbar: bool = True, **unused) -> Approximation:
        """Runs the method (``n`` and the step methods' keywords are not used)."""
        bad = set(unused) - {"obj_optimizer", "callbacks", "obj_n_mc", "total_grad_norm_constraint"}
        if bad:
            raise ValueError(f"{type(self).__name__}.fit: unknown keyword(s) {sorted(bad)}")
        if self._row_data:
            raise ValueError(f"{type(self).__name__}: row_data splits the steps of ADVI and its kin; "
                             "this method takes no steps")
        self.result = self._run(dict(self._family_options))
        self.approx = Approximation(self, self.result.approximation)
        return self.approx

    refine = fit


class Pathfinder(_OneShot):
    """Pathfinder (Zhang et al. 2022): L-BFGS paths and the normal approximations along them.
    ``paths=4`` (multi-path: draws without a density; its ``khat`` says whether to trust the
    importance weights) or ``paths=1`` (the best normal, a full-rank q); ``draws=1000``,
    ``max_iters=1000`` L-BFGS iterations; ``resampling="auto"`` (multi-path: resample the
    pooled draws by their PSIS weights when k-hat < 0.7, else keep every path's draws with
    equal weight), ``"psis"`` (always resample, Stan's default) or ``"pooled"``. Path 0 starts
    at ``start`` when given, the others (and path 0 otherwise) at uniform(-2, 2) draws, as
    Stan's; ``elbo fit`` on the command line starts every path at the network's initial
    weights instead (docs/CLI.md)."""
    method = "pathfinder"

    def _run(self, opts):
        paths, draws = int(opts.pop("paths", 4)), int(opts.pop("draws", 1000))
        max_iters = int(opts.pop("max_iters", 1000))
        if paths == 1 and "resampling" in opts:
            raise ValueError("Pathfinder: option 'resampling' applies with more than one path (paths=1)")
        resampling = str(opts.pop("resampling", "auto"))
        if opts:
            raise ValueError(f"Pathfinder: unknown option(s) {sorted(opts)}")
        return _core.fit_pathfinder(self.model._core, paths=paths, seed=self.random_seed, threads=self._threads,
                                    draws=draws, max_iters=max_iters, start=self._start, resampling=resampling)


class LaplaceApproximation(_OneShot):
    """The Laplace approximation at the MAP: ``hessian="full"`` (a full-rank q; over a
    contiguous subset, one full block of a ``kron`` q) or ``"diag"``; ``subset=[names]`` puts the Gaussian on those variables only (the others
    stay at the mode); ``log_evidence`` and ``mode`` come with it. ``"kron"`` (K-FAC)
    needs a network's layers: the estimators' ``method="laplace", hessian="kron"``."""
    method = "laplace"

    def _run(self, opts):
        hessian, subset = str(opts.pop("hessian", "full")), list(opts.pop("subset", []) or [])
        max_iters = int(opts.pop("max_iters", 2000))
        if opts:
            raise ValueError(f"LaplaceApproximation: unknown option(s) {sorted(opts)}")
        return _core.fit_laplace(self.model._core, hessian=hessian, subset=subset, threads=self._threads,
                                 max_iters=max_iters, start=self._start)


METHODS = {c.method: c for c in (ADVI, FullRankADVI, LowRankADVI, NFVI, SVGD, ASVGD, Pathfinder,
                                  LaplaceApproximation)}


def fit(n: int = 10000, method="advi", model: Model | None = None, random_seed: int | None = None, start=None,
        start_sigma: float | None = None, inf_kwargs: dict | None = None, **kwargs) -> Approximation:
    """PyMC's ``pm.fit``: makes the inference ``method`` (a name or an Inference), runs ``n``
    steps and returns the approximation (``approx.hist`` is the loss history).

    Methods: ``"advi"``, ``"fullrank_advi"``, ``"lowrank_advi"``, ``"nfvi"``, ``"svgd"``,
    ``"asvgd"``, and ``"pathfinder"`` and ``"laplace"``, which run once by optimisation
    (``n`` is not used). Other keywords (``obj_optimizer``, ``callbacks``, ``progressbar``,
    ``obj_n_mc``, ``total_grad_norm_constraint``) go to ``Inference.fit``."""
    if isinstance(method, Inference):
        if inf_kwargs or random_seed is not None or start is not None or start_sigma is not None:
            raise ValueError("fit: random_seed, start, start_sigma and inf_kwargs belong to the inference "
                             "when method is an Inference")
        inference = method
    elif isinstance(method, str):
        if method not in METHODS:
            raise ValueError(f"method: unknown method '{method}'; choose one of {', '.join(METHODS)}")
        inference = METHODS[method](model, random_seed=random_seed, start=start, start_sigma=start_sigma,
                                    **(inf_kwargs or {}))
    else:
        raise ValueError(f"method: expected a method name or an Inference, got {method!r}")
    return inference.fit(n, **kwargs)
