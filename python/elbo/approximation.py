"""A fitted approximation (PyMC's ``approx``): its loss history, draws as ArviZ
InferenceData, and ``sample_node``, the compiled predictor of any model expression at
replaced data."""
from __future__ import annotations

import numpy as np

from . import _core
from .inference_data import Trace, to_inference_data


class Approximation:
    """What ``fit`` returns. It stays tied to its inference: fitting more updates it."""

    def __init__(self, inference, q):
        self.inference = inference
        self.model = inference.model
        self._q = q  # the library's approximation (owned by the inference or fit result)
        self._predictors: dict = {}
        self._calls = 0

    def _next_seed(self, random_seed):
        if random_seed is not None:
            return int(random_seed)
        self._calls += 1
        return (self.inference.random_seed * 1_000_003 + self._calls) % (1 << 63)

    # --- the fit ------------------------------------------------------------------------
    @property
    def hist(self) -> np.ndarray:
        """The loss of every step so far (empty for Pathfinder and Laplace, which take none)."""
        return self.inference.hist

    @property
    def kind(self) -> str:
        """The family: "meanfield", "fullrank", "lowrank:K", "flow:...", "empirical", "kron:..." (Laplace)."""
        return self._q.kind

    @property
    def params(self) -> np.ndarray:
        """The variational parameters, flat."""
        return self._q.params

    @property
    def mean(self) -> np.ndarray:
        """Mean of q in the flat unconstrained space."""
        return self._q.mean

    @property
    def std(self) -> np.ndarray:
        """Marginal standard deviations of q in the flat unconstrained space."""
        return self._q.sd

    @property
    def cov(self) -> np.ndarray:
        return self._q.cov

    # --- draws --------------------------------------------------------------------------
    def sample(self, draws: int = 500, *, random_seed: int | None = None, return_inferencedata: bool = True,
               psis: bool = False):
        """``draws`` draws of every free variable (constrained) and deterministic: ArviZ
        InferenceData (posterior and unconstrained_posterior groups, one chain), or a
        ``Trace`` (a dict of arrays ``[draws, ...shape]``) with ``return_inferencedata=False``.
        ``psis=True`` resamples the draws by Pareto-smoothed importance weights."""
        if not isinstance(draws, (int, np.integer)) or draws < 1:
            raise ValueError(f"draws: expected a positive int, got {draws!r}")
        values, theta = _core.sample(self.model._core, self._q, int(draws), self._next_seed(random_seed),
                                     psis=bool(psis))
        trace = Trace(values, theta, self.model)
        return to_inference_data(trace) if return_inferencedata else trace

    def sample_node(self, node, size: int | None = None, more_replacements: dict | None = None,
                    random_seed: int | None = None) -> np.ndarray:
        """``node`` (any model expression) evaluated at ``size`` posterior draws in one
        compiled program, with data containers replaced: ``{m["ann_input"]: X_new}`` (keys
        are containers or their names). Returns ``[size, ...shape]``; ``size=None`` gives
        one draw without the leading axis. The compiled program is kept for later calls
        with the same node and replaced containers."""
        if not isinstance(node, _core.Expr):
            raise ValueError(f"sample_node: node must be a model expression, got {type(node).__name__}")
        replacements = more_replacements or {}
        keys, values = [], []
        for k, v in replacements.items():
            if isinstance(k, str):
                k = self.model[k]
            if not isinstance(k, _core.Expr):
                raise ValueError(f"more_replacements: keys are data containers or their names, got {k!r}")
            keys.append(k)
            values.append(v)
        draws = 1 if size is None else size
        if not isinstance(draws, (int, np.integer)) or draws < 1:
            raise ValueError(f"size: expected a positive int or None, got {size!r}")
        key = (node.id, tuple(k.id for k in keys), random_seed)
        predictor = self._predictors.get(key)
        if predictor is None:
            predictor = _core.Predictor(self.model._core, self._q, node, keys, self._next_seed(random_seed))
            self._predictors[key] = predictor
        out = predictor(values, int(draws))
        return out[0] if size is None else out

    def __repr__(self) -> str:
        return f"<elbo.Approximation {self.kind}, {self.inference.method}, {len(self.hist)} steps>"

    def __getattr__(self, name):
        # Results of Pathfinder and Laplace (khat, log_evidence, mode, paths) read through.
        result = self.__dict__.get("inference")
        fit = getattr(result, "result", None) if result is not None else None
        if fit is not None and not name.startswith("_") and hasattr(fit, name):
            return getattr(fit, name)
        raise AttributeError(f"'Approximation' has no attribute '{name}'")
