"""The PyMC-style model API: variables, data, expressions, and the errors for bad input."""
import numpy as np
import pytest

import elbo
from elbo import _core
from elbo.distributions import _check_table


def test_every_library_distribution_has_a_class():
    assert _check_table() == set()


def test_variables_shapes_and_names():
    with elbo.Model() as m:
        w = elbo.Normal("w", 0, 1, shape=(2, 5))
        s = elbo.HalfNormal("s", sigma=2.0)
        x = elbo.Data("x", np.ones((7, 2)))
        h = elbo.Deterministic("h", elbo.math.tanh(x @ w) * s)
        elbo.Normal("y", mu=h.sum(axis=1), sigma=s, observed=np.zeros(7))
    assert w.shape == (2, 5) and s.shape == () and h.shape == (7, 5)
    assert m["w"] is w and m.w is w and m["x"] is x
    assert [v.name for v in m.free_RVs] == ["w", "s"]
    assert m.ndim == 11
    assert set(m.named_vars) == {"w", "s", "x", "h", "y"}
    assert m.y.distribution.name == "Normal"


def test_initial_values_are_used():
    init = np.arange(6.0).reshape(2, 3)
    with elbo.Model() as m:
        elbo.Normal("w", 0, 1, shape=(2, 3), initval=init)
        elbo.Exponential("lam", 1.0, testval=2.0)
    start = m.initial_point()
    np.testing.assert_allclose(start[:6], init.ravel())
    np.testing.assert_allclose(start[6], np.log(2.0))  # the log transform's unconstrained value


def test_logp_matches_numpy():
    y = np.array([0.3, -1.2, 2.0])
    with elbo.Model() as m:
        mu = elbo.Normal("mu", 1.0, 2.0)
        elbo.Normal("y", mu, 0.5, observed=y)
    theta = np.array([0.7])
    varlogp, datalogp = m._core.evaluate([m.varlogp, m.datalogp], theta)

    def normal_logpdf(x, mu, sigma):
        return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(varlogp, normal_logpdf(0.7, 1.0, 2.0), rtol=1e-12)
    np.testing.assert_allclose(datalogp, normal_logpdf(y, 0.7, 0.5).sum(), rtol=1e-12)


def test_expression_operators_with_numpy():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    with elbo.Model() as m:
        x = elbo.Data("x", a)
        exprs = [x + 1, 1 + x, x - a, 2 * x, x / 2, 2 / x, x ** 2, -x, x @ a, a @ x, x[0], x[:, 1], x[1, 0], x.T,
                 x.sum(), x.mean(axis=0), x.reshape(4), elbo.math.exp(x), elbo.math.sigmoid(x)]
        elbo.Normal("unused", 0, 1)
    values = m._core.evaluate(exprs, np.zeros(1))
    expected = [a + 1, 1 + a, a - a, 2 * a, a / 2, 2 / a, a ** 2, -a, a @ a, a @ a, a[0], a[:, 1], a[1, 0], a.T,
                a.sum(), a.mean(axis=0), a.reshape(4), np.exp(a), 1 / (1 + np.exp(-a))]
    for e, v, want in zip(exprs, values, expected):
        np.testing.assert_allclose(np.squeeze(v), want, rtol=1e-12, err_msg=repr(e))


def test_math_on_plain_arrays_is_numpy():
    np.testing.assert_allclose(elbo.math.tanh(np.array([0.5])), np.tanh([0.5]))
    np.testing.assert_allclose(elbo.math.dot(np.eye(2), np.ones(2)), np.ones(2))


def test_set_data_changes_rows():
    with elbo.Model() as m:
        x = elbo.Data("x", np.ones((5, 2)))
    elbo.set_data({"x": np.zeros((3, 2))}, model=m)
    assert x.shape == (3, 2)


def test_minibatch_outside_a_model_joins_the_model_that_uses_it():
    X, y = np.random.default_rng(0).standard_normal((100, 3)), np.zeros(100)
    xb, yb = elbo.Minibatch(X, y, batch_size=10)
    with elbo.Model() as m:
        x = elbo.Data("x", xb)
        w = elbo.Normal("w", 0, 1, shape=(3,))
        elbo.Normal("y", x @ w, 1, observed=yb, total_size=100)
    assert x.shape == (10, 3)
    # total_size scales the batch's log-likelihood by 100 / 10: at w = 0 every residual is 0.
    datalogp = m._core.evaluate([m.datalogp], np.zeros(3))[0]
    np.testing.assert_allclose(datalogp, 100 * -0.5 * np.log(2 * np.pi), rtol=1e-12)


def test_errors_name_the_argument():
    with elbo.Model():
        elbo.Normal("a", 0, 1)
        with pytest.raises(ValueError, match="'a'"):
            elbo.Normal("a", 0, 1)  # a second variable of the same name
        with pytest.raises(ValueError, match="b: Normal has no parameter 'tau'"):
            elbo.Normal("b", 0, tau=1)
        with pytest.raises(ValueError, match="c.*sigma"):
            elbo.Normal("c", 0, -1.0)
        with pytest.raises(ValueError, match="d: initval"):
            elbo.Normal("d", 0, 1, shape=(2,), initval=["x", "y"])
        with pytest.raises(elbo.ShapeError):
            elbo.Data("x", np.ones((3, 2))) @ np.ones((3, 2))
        with pytest.raises(ValueError, match="shape"):
            elbo.Normal("e", 0, 1, shape="big")
        with pytest.raises(ValueError, match="at most 4 dimensions"):
            elbo.Data("z", np.ones((1, 1, 1, 1, 1)))
    with pytest.raises(ValueError, match="no model on the context stack"):
        elbo.Normal("f", 0, 1)


def test_variables_of_another_model_are_refused():
    with elbo.Model():
        a = elbo.Normal("a", 0, 1)
    with elbo.Model():
        with pytest.raises(ValueError, match="another model"):
            elbo.Normal("b", a, 1)


def test_exception_types():
    assert issubclass(elbo.ShapeError, ValueError)
    assert issubclass(elbo.FormatError, ValueError)
    assert issubclass(elbo.NumericalError, ArithmeticError)
    assert _core.ShapeError is elbo.ShapeError
