"""PyMC peer: the tutorial's fits with pm.fit(method="advi") and its default optimizer
(adagrad_window, learning rate 1e-3), progress bar off, floatX = float32 as in the tutorial.

The model is the tutorial's construct_nn (pm.Data inputs, testval-style initial values from
standard-normal draws, total_size on the likelihood); the minibatch fit uses
pm.Minibatch(X, Y, batch_size=50).

Timing: pm.fit compiles its step function (PyTensor graph rewrites and C compilation,
partly cached on disk between runs) inside the call. A callback records the clock after
step 1 and after the last step, so "seconds" covers steps 2..n and excludes compilation;
the per-step figure is (t_last - t_first) / (n - 1), scaled back to n steps (for the wall
clock and the process CPU clock alike). The callback
itself (one Python call per step) stays inside the clock. "wall_seconds" is the whole
pm.fit call.
"""
import os

os.environ.setdefault("PYTENSOR_FLAGS", "floatX=float32")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402
import pytensor  # noqa: E402

from common import accuracy_from_probs, emit, fit_record, parse_args, read_xy  # noqa: E402

floatX = pytensor.config.floatX


def construct_nn(x, y, total_size, seed, minibatch=None):
    """minibatch=None: x, y go in pm.Data containers (the tutorial's theano.shared);
    otherwise pm.Minibatch(x, y, batch_size=minibatch)."""
    rng = np.random.default_rng(seed)
    init_1 = rng.standard_normal((2, 5)).astype(floatX)
    init_2 = rng.standard_normal((5, 5)).astype(floatX)
    init_out = rng.standard_normal(5).astype(floatX)
    with pm.Model() as model:
        if minibatch is None:
            x = pm.Data("ann_input", x)
            y = pm.Data("ann_output", y)
        else:
            x, y = pm.Minibatch(x, y, batch_size=minibatch)
        w_in_1 = pm.Normal("w_in_1", 0, sigma=1, shape=(2, 5), initval=init_1)
        w_1_2 = pm.Normal("w_1_2", 0, sigma=1, shape=(5, 5), initval=init_2)
        w_2_out = pm.Normal("w_2_out", 0, sigma=1, shape=(5,), initval=init_out)
        act_1 = pm.math.tanh(pm.math.dot(x, w_in_1))
        act_2 = pm.math.tanh(pm.math.dot(act_1, w_1_2))
        act_out = pm.math.sigmoid(pm.math.dot(act_2, w_2_out))
        pm.Bernoulli("out", act_out, observed=y, total_size=total_size)
    return model


def probs(idata, x_test, draws):
    post = idata.posterior
    w1 = post["w_in_1"].values.reshape(-1, 2, 5)[:draws]
    w2 = post["w_1_2"].values.reshape(-1, 5, 5)[:draws]
    w3 = post["w_2_out"].values.reshape(-1, 5)[:draws]
    h = np.tanh(np.einsum("rf,dfh->drh", x_test, w1))
    h = np.tanh(np.einsum("drh,dhk->drk", h, w2))
    return 1 / (1 + np.exp(-np.einsum("drh,dh->dr", h, w3)))


def run_fit(model, steps, seed, x_test, y_test, draws, method="advi", **fit_kwargs):
    """pm.fit(steps, method=method, **fit_kwargs) under the callback clock; method and
    fit_kwargs (obj_optimizer, inf_kwargs, ...) are for peer_families_pymc.py."""
    marks = {}

    def clock(approx, losses, i):
        t = (time.perf_counter(), time.process_time())
        if "first" not in marks:
            marks["first"] = t
        marks["last"] = t

    with model:
        t0 = time.perf_counter()
        approx = pm.fit(steps, method=method, random_seed=seed, progressbar=False, callbacks=[clock], **fit_kwargs)
        wall = time.perf_counter() - t0
        idata = approx.sample(draws, random_seed=seed + 1)
    per_step = (marks["last"][0] - marks["first"][0]) / max(1, steps - 1)
    cpu_per_step = (marks["last"][1] - marks["first"][1]) / max(1, steps - 1)
    acc = accuracy_from_probs(probs(idata, x_test, draws), list(y_test))
    final = float(approx.hist[-1]) if len(approx.hist) else None  # SVGD records no loss
    return fit_record(steps, per_step * steps, cpu_per_step * steps, acc, final, wall, marks["first"][0] - t0,
                      "callback clock from step 1 to step n (compilation excluded), scaled to n steps")


def main():
    a = parse_args(__doc__, 30000, 40000)
    xs, ys = read_xy(a.train)
    xt, yt = read_xy(a.test)
    x = np.asarray(xs, dtype=floatX)
    y = np.asarray(ys, dtype=floatX)
    x_test = np.asarray(xt, dtype=floatX)
    y_test = np.asarray(yt, dtype=floatX)

    full_model = construct_nn(x, y, len(y), a.seed + 2)
    full = run_fit(full_model, a.full_steps, a.seed + 3, x_test, y_test, a.draws)

    mb_model = construct_nn(x, y, len(y), a.seed + 2, minibatch=50)
    mb = run_fit(mb_model, a.minibatch_steps, a.seed + 9, x_test, y_test, a.draws)

    emit({"impl": "pymc", "version": pm.__version__, "pytensor": pytensor.__version__,
          "dtype": floatX, "threads": 1, "optimizer": "adagrad_window(1e-3) (default)",
          "full": full, "minibatch": mb})


if __name__ == "__main__":
    main()
