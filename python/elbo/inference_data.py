"""Draws as ArviZ InferenceData, as PyMC 5 returns them: a ``posterior`` group (one chain)
and an ``unconstrained_posterior`` group, from which ``sample_posterior_predictive``
rebuilds the flat draws."""
from __future__ import annotations

import numpy as np


class Trace(dict):
    """Draws by name, ``[draws, ...shape]`` (``approx.sample(return_inferencedata=False)``);
    ``unconstrained`` holds the flat unconstrained draws ``[draws, D]``."""

    def __init__(self, values: dict, unconstrained: np.ndarray, model):
        super().__init__(values)
        self.unconstrained = unconstrained
        self.model = model

    @property
    def draws(self) -> int:
        return int(self.unconstrained.shape[0])


def _arviz():
    try:
        import arviz
    except ImportError as e:  # pragma: no cover (the test environment has arviz)
        raise ImportError("InferenceData needs ArviZ: pip install arviz (or pass return_inferencedata=False)") from e
    return arviz


def coords_and_dims(model, names) -> dict:
    """az.from_dict's coords and dims for the variables `names` that have dims."""
    dims = {n: list(d) for n, d in model.named_vars_to_dims.items() if n in names}
    used = {d for ds in dims.values() for d in ds}
    return {"coords": {d: model.coords[d] for d in used if d in model.coords}, "dims": dims}


def to_inference_data(trace: Trace):
    az = _arviz()
    posterior = {name: np.asarray(v)[None, ...] for name, v in trace.items()}
    idata = az.from_dict(posterior=posterior, attrs={"inference_library": "elbo"},
                         **coords_and_dims(trace.model, posterior))
    theta = trace.unconstrained
    unconstrained = {}
    for v in trace.model._core.free_variables:
        block = theta[:, v["offset"]:v["offset"] + v["size"]]
        unconstrained[v["value_name"]] = block.reshape((1, theta.shape[0]) + tuple(v["shape"]))
    if unconstrained:
        idata.add_groups(unconstrained_posterior=unconstrained)
    return idata


def flat_draws(trace, model) -> np.ndarray:
    """The flat unconstrained draws ``[draws, D]`` of a Trace or of InferenceData made by
    ``approx.sample`` (all chains, in order)."""
    if isinstance(trace, Trace):
        return trace.unconstrained
    group = getattr(trace, "unconstrained_posterior", None)
    if group is None:
        raise ValueError("trace: InferenceData without an unconstrained_posterior group; make it with approx.sample")
    blocks = []
    for v in model._core.free_variables:
        if v["value_name"] not in group:
            raise ValueError(f"trace: the unconstrained_posterior group has no variable '{v['value_name']}' "
                             "(is the trace from this model?)")
        a = np.asarray(group[v["value_name"]].values)
        a = a.reshape((a.shape[0] * a.shape[1], -1))
        if a.shape[1] != v["size"]:
            raise ValueError(f"trace: '{v['value_name']}' has {a.shape[1]} values per draw, the model {v['size']}")
        blocks.append(a)
    if not blocks:
        return np.zeros((0, 0))
    return np.ascontiguousarray(np.concatenate(blocks, axis=1))
