"""The model context: ``with elbo.Model() as m:`` collects the random variables,
deterministics and data containers created inside it, as PyMC's ``pm.Model`` does."""
from __future__ import annotations

import threading

from . import _core

_context = threading.local()

# A named variable's Python object carries its model name (PyMC's var.name); any other
# expression has the name of its graph node (data and parameter inputs) or "".
_core.Expr.name = property(lambda self: self.__dict__.get("_name") or self.node_name,
                           doc="The variable's name in its model.")


class Model:
    """A Bayesian model. Create variables inside ``with Model() as m:``.

    ``dtype`` is ``"float64"`` (default) or ``"float32"`` (the engine's fast path for
    neural networks, PyMC's ``floatX``). Variables are reached by name, ``m["w"]`` or
    ``m.w``. ``coords`` names dimensions and their labels (PyMC's coords): a variable given
    ``dims=("feature", "hidden")`` takes its shape from them, and draws carry them into
    ArviZ.
    """

    def __init__(self, dtype: str = "float64", coords: dict | None = None):
        self._core = _core.Model(dtype)
        self.named_vars: dict[str, _core.Expr] = {}
        self._minibatches = 0
        self.coords: dict[str, list] = {}
        self.named_vars_to_dims: dict[str, tuple] = {}
        for name, values in (coords or {}).items():
            self.add_coord(name, values)

    # --- context ----------------------------------------------------------------------
    def __enter__(self) -> "Model":
        stack = getattr(_context, "stack", None)
        if stack is None:
            stack = _context.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _context.stack.pop()

    # --- names ------------------------------------------------------------------------
    def __getitem__(self, name: str) -> _core.Expr:
        if name in self.named_vars:
            return self.named_vars[name]
        return self._core[name]

    def __getattr__(self, name: str):
        named = self.__dict__.get("named_vars")
        if named is not None and name in named:
            return named[name]
        raise AttributeError(f"'Model' has no attribute or variable '{name}'")

    def __contains__(self, name: str) -> bool:
        return name in self.named_vars

    def add_coord(self, name: str, values) -> None:
        """Names a dimension and its labels (PyMC's Model.add_coord)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"coords: a dimension's name is a non-empty str, got {name!r}")
        labels = list(values)
        if len(set(map(repr, labels))) != len(labels):
            raise ValueError(f"coords: the labels of '{name}' repeat")
        self.coords[name] = labels

    def shape_of_dims(self, var: str, dims, shape=None) -> tuple:
        """The shape that `dims` give variable `var` (checked against `shape` if given)."""
        dims = (dims,) if isinstance(dims, str) else tuple(dims)
        for d in dims:
            if d not in self.coords:
                raise ValueError(f"{var}: dims: '{d}' is not a dimension of the model's coords "
                                 f"({', '.join(self.coords) or 'none'})")
        from_dims = tuple(len(self.coords[d]) for d in dims)
        if shape is not None:
            given = (shape,) if isinstance(shape, int) else tuple(shape)
            if given != from_dims:
                raise ValueError(f"{var}: shape {given} does not match dims {dims} of sizes {from_dims}")
        self.named_vars_to_dims[var] = dims
        return from_dims

    def _register(self, name: str, value: _core.Expr) -> _core.Expr:
        value._name = name
        self.named_vars[name] = value
        return value

    # --- introspection ----------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self._core.dtype

    @property
    def free_RVs(self) -> list:
        """The free random variables, in the order of the flat parameter vector."""
        return [self.named_vars[v["name"]] for v in self._core.free_variables]

    @property
    def observed_RVs(self) -> list:
        return [self.named_vars[n] for n in self._core.observed_variables]

    @property
    def deterministics(self) -> list:
        return [self.named_vars[n] for n in self._core.deterministics]

    @property
    def ndim(self) -> int:
        """Size of the flat unconstrained parameter vector."""
        return self._core.flat_size

    def initial_point(self):
        """The flat unconstrained starting point (user initvals, else a central value)."""
        return self._core.initial_point()

    @property
    def logp(self) -> _core.Expr:
        return self._core.logp

    @property
    def varlogp(self) -> _core.Expr:
        return self._core.varlogp

    @property
    def datalogp(self) -> _core.Expr:
        return self._core.datalogp

    def __repr__(self) -> str:
        names = ", ".join(self.named_vars)
        return f"<elbo.Model dtype={self.dtype} variables=[{names}]>"


def has_context() -> bool:
    """Whether a ``with Model()`` block is open."""
    return bool(getattr(_context, "stack", None))


def modelcontext(model: Model | None) -> Model:
    """``model`` if given, else the innermost ``with Model()`` block; ValueError if none."""
    if model is not None:
        if not isinstance(model, Model):
            raise ValueError(f"model: expected an elbo.Model, got {type(model).__name__}")
        return model
    stack = getattr(_context, "stack", None)
    if not stack:
        raise ValueError("no model on the context stack: create variables inside `with elbo.Model():` "
                         "or pass model=")
    return stack[-1]
