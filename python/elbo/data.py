"""Data containers: ``elbo.Data`` (PyMC's ``pm.Data`` / ``theano.shared``), swapped with
``elbo.set_data``, and ``elbo.Minibatch`` (PyMC's ``pm.Minibatch``), which draws new rows
every step of a fit."""
from __future__ import annotations

import numpy as np

from . import _core
from .model import Model, has_context, modelcontext


def Data(name: str, value, *, dims=None, model: Model | None = None) -> _core.Expr:
    """A named data container holding ``value`` (an array); replace it later with
    ``set_data`` (the row count may change). ``dims`` names its dimensions (coords)."""
    m = modelcontext(model)
    if dims is not None:
        m.named_vars_to_dims[name] = (dims,) if isinstance(dims, str) else tuple(dims)
    if isinstance(value, MinibatchArray):
        return m._register(name, value.materialize(m))
    return m._register(name, m._core.data(name, value))


def set_data(new_data: dict, *, model: Model | None = None) -> None:
    """Replaces the values of data containers, ``{name: array}``."""
    m = modelcontext(model)
    for name, value in new_data.items():
        m._core.set_data(name, value)


class MinibatchArray:
    """One array of a ``Minibatch`` made outside a model (PyMC 5's form): it becomes the
    model's minibatch input where a model first uses it (``elbo.Data(name, it)`` or
    ``observed=it``). The arrays of one call stay aligned in every model."""

    def __init__(self, group: "_MinibatchGroup", index: int):
        self._group = group
        self._index = index

    @property
    def shape(self):
        return (self._group.batch_size,) + tuple(self._group.shapes[self._index][1:])

    def materialize(self, m: Model) -> _core.Expr:
        return self._group.exprs_in(m)[self._index]

    def __repr__(self) -> str:
        return f"<elbo.MinibatchArray {self._index} of {len(self._group.arrays)}, batch_size={self._group.batch_size}>"


class _MinibatchGroup:
    def __init__(self, arrays, batch_size: int, random_seed: int):
        self.arrays = arrays
        self.shapes = [np.shape(a) for a in arrays]
        self.batch_size = batch_size
        self.random_seed = random_seed
        self._by_model: dict = {}

    def exprs_in(self, m: Model) -> list:
        key = id(m)
        if key not in self._by_model:
            self._by_model[key] = (m, _minibatch_exprs(m, self.arrays, self.batch_size, self.random_seed))
        return self._by_model[key][1]


def _minibatch_exprs(m: Model, arrays, batch_size: int, random_seed: int) -> list:
    names = []
    for _ in arrays:
        names.append(f"minibatch_{m._minibatches}")
        m._minibatches += 1
    exprs = m._core.minibatch(names, list(arrays), batch_size, int(random_seed))
    for name, e in zip(names, exprs):
        m._register(name, e)
    return exprs


def Minibatch(*arrays, batch_size: int = 128, random_seed: int = 42, model: Model | None = None):
    """Minibatches of aligned arrays: one expression per array, each holding
    ``batch_size`` rows, the same rows of every array, drawn anew (with replacement, as
    PyMC does) at every step. Give the observed variable ``total_size=len(X)``.

    ``X_mb, y_mb = elbo.Minibatch(X, y, batch_size=50)``; one array gives one expression.
    Inside a model (or with ``model=``) the result is the model's input at once; outside,
    it is a ``MinibatchArray`` that joins the model that first uses it (``elbo.Data`` or
    ``observed=``), as PyMC 5's ``pm.Minibatch`` does.
    """
    if not arrays:
        raise ValueError("Minibatch: give at least one array")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"Minibatch: batch_size must be a positive int, got {batch_size!r}")
    rows = {np.shape(a)[0] if np.ndim(a) else None for a in arrays}
    if len(rows) != 1 or None in rows:
        raise ValueError(f"Minibatch: the arrays must share their row count, got shapes {[np.shape(a) for a in arrays]}")
    if model is not None or has_context():
        exprs = _minibatch_exprs(modelcontext(model), arrays, batch_size, random_seed)
        return exprs[0] if len(exprs) == 1 else tuple(exprs)
    group = _MinibatchGroup(arrays, batch_size, random_seed)
    out = [MinibatchArray(group, i) for i in range(len(arrays))]
    return out[0] if len(out) == 1 else tuple(out)


def Deterministic(name: str, value, *, dims=None, model: Model | None = None) -> _core.Expr:
    """A named deterministic: recorded in ``approx.sample()``'s draws; ``dims`` names its
    dimensions (coords) there."""
    m = modelcontext(model)
    if dims is not None:
        m.named_vars_to_dims[name] = (dims,) if isinstance(dims, str) else tuple(dims)
    if not isinstance(value, _core.Expr):
        value = m._core.as_operand(value, name)
    return m._register(name, m._core.deterministic(name, value))
