"""Results: ArviZ InferenceData, posterior predictive draws, sample_node."""
import arviz as az
import numpy as np
import pytest

import elbo


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = X @ np.array([1.0, -2.0]) + 0.5 + 0.3 * rng.standard_normal(40)
    with elbo.Model() as m:
        x = elbo.Data("x", X)
        w = elbo.Normal("w", 0, 5, shape=(2,))
        b = elbo.Normal("b", 0, 5)
        s = elbo.HalfNormal("s", 1.0)
        mu = elbo.Deterministic("mu", x @ w + b)
        elbo.Normal("y", mu, s, observed=y)
        approx = elbo.fit(15000, random_seed=0, obj_optimizer=elbo.adam(learning_rate=0.01), progressbar=False)
    return m, approx, X, y


def test_sample_returns_inference_data(regression):
    m, approx, X, _ = regression
    idata = approx.sample(1000, random_seed=1)
    assert isinstance(idata, az.InferenceData)
    post = idata.posterior
    assert post["w"].shape == (1, 1000, 2) and post["s"].shape == (1, 1000) and post["mu"].shape == (1, 1000, 40)
    assert "s_log__" in idata.unconstrained_posterior
    summary = az.summary(idata, var_names=["w", "b", "s"], kind="stats")
    # Least squares gives w = (1, -2) up to noise 0.3 / sqrt(40) ~ 0.05: 0.2 is 4 SE.
    np.testing.assert_allclose(summary["mean"][["w[0]", "w[1]"]], [1.0, -2.0], atol=0.2)
    assert (np.asarray(post["s"]) > 0).all()


def test_arrays_are_not_copied(regression):
    _, approx, _, _ = regression
    trace = approx.sample(10, return_inferencedata=False)
    # The library's buffer is handed over: NumPy does not own it.
    assert not trace["w"].flags.owndata and trace["w"].base is not None


def test_posterior_predictive_at_new_data(regression):
    m, approx, X, y = regression
    idata = approx.sample(400, random_seed=2)
    X_new = np.array([[0.0, 0.0], [1.0, 1.0]])
    elbo.set_data({"x": X_new, "y_observed": np.zeros(2)}, model=m)
    try:
        pp = elbo.sample_posterior_predictive(idata, model=m, random_seed=3)
        draws = pp.posterior_predictive["y"].values.reshape(400, 2)
    finally:
        elbo.set_data({"x": X, "y_observed": y}, model=m)
    # Mean at x = (0, 0) is b ~ 0.5, at (1, 1) it is b + w0 + w1 ~ -0.5; predictive sd ~ 0.3,
    # so the mean of 400 draws is within 0.1 (6 SE) of those.
    np.testing.assert_allclose(draws.mean(axis=0), [0.5, -0.5], atol=0.15)


def test_sample_node_matches_deterministic(regression):
    m, approx, X, _ = regression
    out = approx.sample_node(m["mu"], size=2000, more_replacements={m["x"]: X[:5]})
    assert out.shape == (2000, 5)
    single = approx.sample_node(m["mu"], more_replacements={"x": X[:5]})
    assert single.shape == (5,)
    w_mean = approx.sample(2000, random_seed=5, return_inferencedata=False)["mu"][:, :5].mean(axis=0)
    # Two Monte Carlo means of 2000 draws: posterior sd of mu ~0.05, difference SE ~0.002.
    np.testing.assert_allclose(out.mean(axis=0), w_mean, atol=0.02)


def test_sample_node_errors(regression):
    m, approx, _, _ = regression
    with pytest.raises(ValueError, match="size"):
        approx.sample_node(m["mu"], size=0)
    with pytest.raises(ValueError, match="node"):
        approx.sample_node("mu")
    with pytest.raises(elbo.ShapeError):
        approx.sample_node(m["mu"], size=3, more_replacements={m["x"]: np.ones((4, 3))})


def test_coords_and_dims_reach_arviz():
    X = np.random.default_rng(1).standard_normal((30, 2))
    coords = {"feature": ["age", "dose"], "obs": list(range(30))}
    with elbo.Model(coords=coords) as m:
        x = elbo.Data("x", X, dims=("obs", "feature"))
        w = elbo.Normal("w", 0, 1, dims="feature")
        mu = elbo.Deterministic("mu", x @ w, dims="obs")
        elbo.Normal("y", mu, 1.0, observed=X @ np.array([1.0, -1.0]), dims="obs")
        approx = elbo.fit(2000, random_seed=0, progressbar=False)
    assert w.shape == (2,)
    idata = approx.sample(100, random_seed=0)
    assert idata.posterior["w"].dims == ("chain", "draw", "feature")
    assert list(idata.posterior["w"].coords["feature"].values) == ["age", "dose"]
    assert idata.posterior["mu"].dims == ("chain", "draw", "obs")
    pp = elbo.sample_posterior_predictive(idata, model=m, random_seed=1, extend_inferencedata=True)
    assert pp.posterior_predictive["y"].dims == ("chain", "draw", "obs")
    with elbo.Model(coords=coords):
        with pytest.raises(ValueError, match="'hidden' is not a dimension"):
            elbo.Normal("v", 0, 1, dims=("feature", "hidden"))
        with pytest.raises(ValueError, match="does not match dims"):
            elbo.Normal("u", 0, 1, shape=(3,), dims="feature")
