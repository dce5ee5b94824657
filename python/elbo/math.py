"""Math on model expressions (PyMC's ``pm.math``): each function takes expressions,
NumPy arrays or numbers and returns an expression; on arrays and numbers alone it is
NumPy's."""
from __future__ import annotations

import numpy as np

from . import _core


def _unary(core_fn, numpy_fn, name, doc):
    def fn(x):
        if isinstance(x, _core.Expr):
            return core_fn(x)
        return numpy_fn(np.asarray(x, dtype=float))
    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


exp = _unary(_core.exp, np.exp, "exp", "exp(x)")
log = _unary(_core.log, np.log, "log", "log(x)")
log1p = _unary(_core.log1p, np.log1p, "log1p", "log(1 + x)")
expm1 = _unary(_core.expm1, np.expm1, "expm1", "exp(x) - 1")
sqrt = _unary(_core.sqrt, np.sqrt, "sqrt", "sqrt(x)")
abs = _unary(_core.abs, np.abs, "abs", "|x|")  # noqa: A001 (pm.math.abs)
sqr = _unary(_core.sqr, np.square, "sqr", "x ** 2")
tanh = _unary(_core.tanh, np.tanh, "tanh", "tanh(x)")
sigmoid = _unary(_core.sigmoid, _sigmoid, "sigmoid", "1 / (1 + exp(-x))")
invlogit = sigmoid
softplus = _unary(_core.softplus, lambda x: np.logaddexp(0.0, x), "softplus", "log(1 + exp(x))")
log_sigmoid = _unary(_core.log_sigmoid, lambda x: -np.logaddexp(0.0, -x), "log_sigmoid", "log(sigmoid(x))")
relu = _unary(_core.relu, lambda x: np.maximum(x, 0.0), "relu", "max(x, 0)")
cholesky = _unary(_core.cholesky, np.linalg.cholesky, "cholesky", "lower Cholesky factor")


def _any_expr(*xs):
    return any(isinstance(x, _core.Expr) for x in xs)


def dot(a, b):
    """NumPy's matmul (PyMC's pm.math.dot on matrices and vectors)."""
    return _core.dot(a, b) if _any_expr(a, b) else np.matmul(a, b)


matmul = dot


def where(cond, a, b):
    return _core.where(cond, a, b) if _any_expr(cond, a, b) else np.where(cond, a, b)


def clip(x, lo, hi):
    return _core.clip(x, float(lo), float(hi)) if isinstance(x, _core.Expr) else np.clip(x, lo, hi)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return x.sum(axis, keepdims) if isinstance(x, _core.Expr) else np.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return x.mean(axis, keepdims) if isinstance(x, _core.Expr) else np.mean(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    if isinstance(x, _core.Expr):
        return _core.logsumexp(x, axis, keepdims)
    x = np.asarray(x, dtype=float)
    mx = np.max(x, axis=axis, keepdims=True)
    out = mx + np.log(np.sum(np.exp(x - mx), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def concatenate(xs, axis=0):
    return _core.concatenate(list(xs), axis) if _any_expr(*xs) else np.concatenate(xs, axis=axis)


def grad_scale(x, factor):
    """x, with the gradient reaching it multiplied by ``factor`` (Theano's grad_scale)."""
    return _core.grad_scale(x, factor)
