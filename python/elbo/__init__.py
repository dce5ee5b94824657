"""elbo: fast variational inference for Bayesian models and Bayesian neural networks.

The API follows PyMC's::

    import elbo
    with elbo.Model() as m:
        mu = elbo.Normal("mu", 0, 10)
        elbo.Normal("y", mu, 1, observed=[1.2, 0.8, 1.5])
        approx = elbo.fit(20000, random_seed=1, obj_optimizer=elbo.adam(learning_rate=0.01))
    idata = approx.sample(2000)      # ArviZ InferenceData
"""
from . import math
from ._core import FormatError, NumericalError, ShapeError
from ._core import CheckParametersConvergence, ElboConvergence
from ._core import Expr
from .approximation import Approximation
from .data import Data, Deterministic, Minibatch, set_data
from .distributions import (Bernoulli, Beta, Binomial, Categorical, Cauchy, Distribution, Exponential, Gamma,
                            HalfCauchy, HalfNormal, InverseGamma, Laplace, LogNormal, Normal, Poisson, StudentT,
                            Uniform)
from .inference import (ADVI, ASVGD, NFVI, SVGD, FullRankADVI, Inference, LaplaceApproximation, LowRankADVI,
                        Pathfinder, fit)
from .inference_data import Trace
from .model import Model, modelcontext
from .optimizers import adadelta, adagrad, adagrad_window, adam, adamax, momentum, nesterov_momentum, rmsprop, sgd
from .sampling import sample_posterior_predictive

__version__ = "0.1.0"

__all__ = [
    "ADVI", "ASVGD", "Approximation", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy",
    "CheckParametersConvergence", "Data", "Deterministic", "Distribution", "ElboConvergence", "Exponential", "Expr",
    "FormatError", "FullRankADVI", "Gamma", "HalfCauchy", "HalfNormal", "Inference", "InverseGamma", "Laplace",
    "LaplaceApproximation",
    "LogNormal", "LowRankADVI", "Minibatch", "Model", "NFVI", "Normal", "NumericalError", "Pathfinder", "Poisson",
    "SVGD",
    "ShapeError", "StudentT", "Trace", "Uniform", "adadelta", "adagrad", "adagrad_window", "adam", "adamax", "fit",
    "math", "modelcontext", "momentum", "nesterov_momentum", "rmsprop", "sample_posterior_predictive", "set_data",
    "sgd",
]


def __getattr__(name):
    # The scikit-learn estimators import scikit-learn only when first asked for.
    if name in ("BNNRegressor", "BNNClassifier", "load_bnn"):
        from . import estimators
        return getattr(estimators, name)
    raise AttributeError(f"module 'elbo' has no attribute '{name}'")
