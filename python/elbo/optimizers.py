"""Stochastic optimizers with PyMC's names and defaults (``pm.adam(learning_rate=0.01)``).
Each returns a description that ``fit(obj_optimizer=...)`` hands to the C++ optimizer; an
unset learning rate is the optimizer's PyMC default (docs/OPTIMIZERS.md)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Optimizer:
    name: str
    learning_rate: float | None = None
    options: dict = field(default_factory=dict)


def _make(name, **fixed):
    def make(learning_rate=None, **options):
        unknown = set(options) - set(fixed)
        if unknown:
            raise ValueError(f"{name}: unknown option(s) {sorted(unknown)}; it takes learning_rate"
                             + "".join(f", {k}" for k in fixed))
        if learning_rate is not None and not learning_rate > 0:
            raise ValueError(f"{name}: learning_rate must be > 0, got {learning_rate!r}")
        return Optimizer(name, learning_rate, {**fixed, **options})
    make.__name__ = name
    make.__doc__ = f"PyMC's {name} (options: learning_rate{''.join(', ' + k for k in fixed)})."
    return make


sgd = _make("sgd")
momentum = _make("momentum", momentum=0.9)
nesterov_momentum = _make("nesterov_momentum", momentum=0.9)
adagrad = _make("adagrad", epsilon=None)
adagrad_window = _make("adagrad_window", epsilon=None, n_win=10)
rmsprop = _make("rmsprop", rho=None, epsilon=None)
adadelta = _make("adadelta", rho=None, epsilon=None)
adam = _make("adam", beta1=0.9, beta2=0.999, epsilon=None)
adamax = _make("adamax", beta1=0.9, beta2=0.999, epsilon=None)


def as_optimizer(value) -> Optimizer:
    """An Optimizer from an Optimizer, an optimizer function (``elbo.adam``) or a name."""
    if value is None:
        return adagrad_window()
    if isinstance(value, Optimizer):
        return value
    if isinstance(value, str):
        fn = globals().get(value)
        if fn is None or value.startswith("_") or not callable(fn) or value in ("as_optimizer", "Optimizer"):
            raise ValueError(f"obj_optimizer: unknown optimizer '{value}'")
        return fn()
    if callable(value) and getattr(value, "__module__", None) == __name__:
        return value()
    raise ValueError(f"obj_optimizer: expected an optimizer such as elbo.adam(learning_rate=0.01), got {value!r}")
