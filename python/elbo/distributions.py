"""Random variables in the PyMC style: ``elbo.Normal("w", 0, 1, shape=(2, 5))`` is a free
variable of the model on the context stack; with ``observed=`` it is a likelihood term.
Every distribution of the C++ library is here, under PyMC's name and parameter names."""
from __future__ import annotations

from types import SimpleNamespace

from . import _core
from .model import modelcontext


class Distribution:
    """Base of the distribution classes: calling one creates a named variable and returns
    its expression. Subclasses list their parameters and defaults."""

    kind: str = ""
    params: tuple = ()
    defaults: dict = {}
    aliases: dict = {}  # PyMC's older names ("sd" for "sigma")
    alternatives: tuple = ()  # (param, kind, params): another parameterisation

    def __new__(cls, name: str, *args, shape=None, initval=None, testval=None, observed=None,
                total_size=None, transform=True, model=None, dims=None, **kwargs):
        if not isinstance(name, str) or not name:
            raise ValueError(f"{cls.__name__}: the first argument is the variable's name (a non-empty str)")
        m = modelcontext(model)
        kind, names = cls.kind, cls.params
        for param, alt_kind, alt_names in cls.alternatives:
            if param in kwargs:
                kind, names = alt_kind, alt_names
        for old, new in cls.aliases.items():
            if old in kwargs:
                if new in kwargs:
                    raise ValueError(f"{name}: give '{new}' or '{old}', not both")
                kwargs[new] = kwargs.pop(old)
        if len(args) > len(names):
            raise ValueError(f"{name}: {cls.__name__} takes {len(names)} parameters ({', '.join(names)}), "
                             f"got {len(args)} positional")
        values = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise ValueError(f"{name}: {cls.__name__} has no parameter '{k}' "
                                 f"(its parameters: {', '.join(names)})")
            if k in values:
                raise ValueError(f"{name}: parameter '{k}' given twice")
            values[k] = v
        for k in names:
            if k not in values:
                if k not in cls.defaults:
                    raise ValueError(f"{name}: {cls.__name__} needs parameter '{k}'")
                values[k] = cls.defaults[k]
        if dims is not None:
            if observed is not None:
                m.named_vars_to_dims[name] = (dims,) if isinstance(dims, str) else tuple(dims)
            else:
                shape = m.shape_of_dims(name, dims, shape)
        if initval is not None and testval is not None:
            raise ValueError(f"{name}: give initval or testval, not both")
        if initval is None:
            initval = testval
        dist = m._core.distribution(kind, name, [values[k] for k in names])
        if observed is not None:
            if shape is not None or initval is not None:
                raise ValueError(f"{name}: an observed variable takes neither shape nor initval")
            if isinstance(observed, _core.Expr):
                data = observed
            elif hasattr(observed, "materialize"):  # a Minibatch made outside the model
                data = observed.materialize(m)
            else:
                data = m._core.data(f"{name}_observed", observed)
            var = m._core.observed(name, dist, data, None if total_size is None else float(total_size))
        else:
            if total_size is not None:
                raise ValueError(f"{name}: total_size applies to observed variables only")
            var = m._core.free(name, dist, shape, initval, bool(transform))
        params = {k: (values[k] if isinstance(values[k], _core.Expr) else m._core.as_operand(values[k], f"{name}.{k}"))
                  for k in names}
        var.distribution = SimpleNamespace(name=cls.__name__, **params)
        return m._register(name, var)

    @classmethod
    def dist(cls, *args, **kwargs):
        raise NotImplementedError(f"{cls.__name__}.dist: unnamed distributions are not supported; create a "
                                  "named variable inside a model")


def _distribution(name, kind, params, defaults=None, aliases=None, alternatives=(), doc=""):
    return type(name, (Distribution,), {
        "kind": kind, "params": tuple(params), "defaults": dict(defaults or {}), "aliases": dict(aliases or {}),
        "alternatives": tuple(alternatives), "__doc__": doc, "__module__": __name__})


Normal = _distribution("Normal", "Normal", ("mu", "sigma"), {"mu": 0.0, "sigma": 1.0}, {"sd": "sigma"},
                       doc="Normal(name, mu=0, sigma=1).")
HalfNormal = _distribution("HalfNormal", "HalfNormal", ("sigma",), {"sigma": 1.0}, {"sd": "sigma"},
                           doc="HalfNormal(name, sigma=1).")
LogNormal = _distribution("LogNormal", "LogNormal", ("mu", "sigma"), {"mu": 0.0, "sigma": 1.0}, {"sd": "sigma"},
                          doc="LogNormal(name, mu=0, sigma=1).")
StudentT = _distribution("StudentT", "StudentT", ("nu", "mu", "sigma"), {"mu": 0.0, "sigma": 1.0}, {"sd": "sigma"},
                         doc="StudentT(name, nu, mu=0, sigma=1).")
Cauchy = _distribution("Cauchy", "Cauchy", ("alpha", "beta"), doc="Cauchy(name, alpha, beta).")
HalfCauchy = _distribution("HalfCauchy", "HalfCauchy", ("beta",), doc="HalfCauchy(name, beta).")
Laplace = _distribution("Laplace", "Laplace", ("mu", "b"), doc="Laplace(name, mu, b).")
Exponential = _distribution("Exponential", "Exponential", ("lam",), doc="Exponential(name, lam).")
Gamma = _distribution("Gamma", "Gamma", ("alpha", "beta"), doc="Gamma(name, alpha, beta) (rate beta).")
InverseGamma = _distribution("InverseGamma", "InverseGamma", ("alpha", "beta"), doc="InverseGamma(name, alpha, beta).")
Beta = _distribution("Beta", "Beta", ("alpha", "beta"), doc="Beta(name, alpha, beta).")
Uniform = _distribution("Uniform", "Uniform", ("lower", "upper"), {"lower": 0.0, "upper": 1.0},
                        doc="Uniform(name, lower=0, upper=1).")
Bernoulli = _distribution("Bernoulli", "Bernoulli", ("p",),
                          alternatives=(("logit_p", "BernoulliLogit", ("logit_p",)),),
                          doc="Bernoulli(name, p) or Bernoulli(name, logit_p=z).")
Categorical = _distribution("Categorical", "Categorical", ("p",),
                            alternatives=(("logit_p", "CategoricalLogits", ("logit_p",)),),
                            doc="Categorical(name, p) over the last axis, or Categorical(name, logit_p=z).")
Binomial = _distribution("Binomial", "Binomial", ("n", "p"), doc="Binomial(name, n, p).")
Poisson = _distribution("Poisson", "Poisson", ("mu",), doc="Poisson(name, mu).")

__all__ = ["Distribution", "Normal", "HalfNormal", "LogNormal", "StudentT", "Cauchy", "HalfCauchy", "Laplace",
           "Exponential", "Gamma", "InverseGamma", "Beta", "Uniform", "Bernoulli", "Categorical", "Binomial",
           "Poisson"]


def _check_table():
    """Every distribution of the C++ library has its class here (tested)."""
    have = {c.kind for c in map(globals().get, __all__[1:])}
    have |= {alt[1] for c in map(globals().get, __all__[1:]) for alt in c.alternatives}
    return set(_core.DISTRIBUTION_PARAMETERS) - have

