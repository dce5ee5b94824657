"""elbo's Python package on the tutorial's two fits, against the C++ program
bench/tutorial_fit_timing on the same data (run_python_peers.sh): the same network
(2-5-5-1 tanh, no biases, N(0, 1) priors, standard-normal initial means), float32, one
thread, ADVI with PyMC's default optimizer (adagrad_window), 500 draws at the 500 test rows.

Timing, as tutorial_fit_timing takes it:
  "warmup_seconds": inference.fit(0), which builds and compiles the model's program (the
    C++ ADVI constructor);
  "seconds" / "cpu_seconds": inference.fit(n, progressbar=False), the steps;
  "wall_seconds": the two together, the whole fit as elbo.fit(n) makes it;
  "predict_seconds": approx.sample_node(p, 500, {x: X_test}), median of 31 calls after one
    that compiles the predictor (the tutorial's sample_proba(X_test, 500)).
"""
import statistics
import time

import numpy as np

import elbo
from common import emit, fit_record, parse_args, read_xy


def network(x, y, total_size, seed):
    """The tutorial's construct_nn on inputs x and targets y (data or minibatch)."""
    rng = np.random.default_rng(seed)
    w_in_1 = elbo.Normal("w_in_1", 0, sigma=1, shape=(2, 5), testval=rng.standard_normal((2, 5)))
    w_1_2 = elbo.Normal("w_1_2", 0, sigma=1, shape=(5, 5), testval=rng.standard_normal((5, 5)))
    w_2_out = elbo.Normal("w_2_out", 0, sigma=1, shape=(5,), testval=rng.standard_normal(5))
    act_2 = elbo.math.tanh(elbo.math.tanh(x @ w_in_1) @ w_1_2)
    p = elbo.Deterministic("p", elbo.math.sigmoid(act_2 @ w_2_out))
    elbo.Bernoulli("out", p, observed=y, total_size=total_size)
    return p


def timed_fit(model, x, p, steps, seed, X_test, y_test, draws):
    inference = elbo.ADVI(model=model, random_seed=seed)
    t0 = time.perf_counter()
    inference.fit(0, progressbar=False)
    warmup = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    approx = inference.fit(steps, progressbar=False)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    probs = approx.sample_node(p, size=draws, more_replacements={x: X_test})
    accuracy = float(((probs.mean(axis=0) > 0.5) == (y_test > 0.5)).mean())
    times = []
    for _ in range(31):
        t0 = time.perf_counter()
        approx.sample_node(p, size=draws, more_replacements={x: X_test})
        times.append(time.perf_counter() - t0)
    hist = approx.hist
    record = fit_record(steps, seconds, cpu, accuracy, float(hist[-1]), seconds + warmup, warmup,
                        "inference.fit(n) only; fit(0) before builds and compiles (warmup_seconds)")
    record["average_loss_last_1000"] = float(np.mean(hist[-1000:]))
    record["predict_seconds"] = statistics.median(times)
    return record


def main():
    a = parse_args(__doc__.splitlines()[0], 30000, 40000)
    X, Y = (np.asarray(v, dtype=np.float32) for v in read_xy(a.train))
    X_test, y_test = (np.asarray(v, dtype=np.float32) for v in read_xy(a.test))
    with elbo.Model(dtype="float32") as full_model:
        x = elbo.Data("ann_input", X)
        p = network(x, elbo.Data("ann_output", Y), len(Y), a.seed + 2)
    full = timed_fit(full_model, x, p, a.full_steps, a.seed + 3, X_test, y_test, a.draws)
    with elbo.Model(dtype="float32") as mb_model:
        xb, yb = elbo.Minibatch(X, Y, batch_size=50, random_seed=a.seed + 8)
        p = network(xb, yb, len(Y), a.seed + 2)
    mb = timed_fit(mb_model, xb, p, a.minibatch_steps, a.seed + 9, X_test, y_test, a.draws)
    emit({"impl": "elbo-python", "version": elbo.__version__, "dtype": "float32", "threads": 1,
          "optimizer": "adagrad_window", "train_rows": len(Y), "test_rows": len(y_test), "full": full,
          "minibatch": mb})


if __name__ == "__main__":
    main()
