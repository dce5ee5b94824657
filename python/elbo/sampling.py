"""Posterior predictive draws (PyMC's ``pm.sample_posterior_predictive``): one draw of
every observed variable per posterior draw, at the model's current data (swap it with
``elbo.set_data`` first)."""
from __future__ import annotations

import secrets

import numpy as np

from . import _core
from .inference_data import Trace, _arviz, coords_and_dims, flat_draws
from .model import Model, modelcontext


def sample_posterior_predictive(trace, model: Model | None = None, var_names=None, random_seed: int | None = None,
                                extend_inferencedata: bool = False, return_inferencedata: bool = True):
    """Draws of the observed variables for every draw of ``trace`` (``approx.sample()``'s
    InferenceData or Trace). Returns InferenceData with a ``posterior_predictive`` group
    (added to ``trace`` with ``extend_inferencedata=True``), or a dict of arrays
    ``[draws, ...shape]`` with ``return_inferencedata=False``."""
    m = modelcontext(model if model is not None else (trace.model if isinstance(trace, Trace) else None))
    theta = flat_draws(trace, m)
    if random_seed is None:
        random_seed = secrets.randbits(63)
    names = [] if var_names is None else list(var_names)
    draws = _core.sample_posterior_predictive(m._core, theta, {}, int(random_seed), names)
    if not return_inferencedata:
        return draws
    az = _arviz()
    pp = {k: np.asarray(v)[None, ...] for k, v in draws.items()}
    labels = coords_and_dims(m, pp)
    if extend_inferencedata and not isinstance(trace, Trace):
        trace.add_groups(posterior_predictive=pp, **labels)
        return trace
    return az.from_dict(posterior_predictive=pp, **labels)
