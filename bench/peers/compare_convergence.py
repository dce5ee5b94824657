"""Where do elbo's and PyMC's tutorial fits end? The same data (the CSVs run_peers.sh writes),
the tutorial's model and optimizer (ADVI, adagrad_window at 1e-3, 30,000 full-batch steps),
several seeds for the initial weights and the draws. Prints, per seed, the mean of the last
1000 losses (the progress bar's "Average Loss") and the test accuracy, for PyMC here and for
elbo through bench/tutorial_fit_timing.

Usage (after bash bench/peers/run_peers.sh, with its venv):
  bench/peers/.venv/bin/python bench/peers/compare_convergence.py \
      --train build-peers/peers/data/train.csv --test build-peers/peers/data/test.csv \
      --elbo build-peers/bench/tutorial_fit_timing --seeds 0 1 2 3 4
"""
import argparse
import json
import os
import statistics
import subprocess

os.environ.setdefault("PYTENSOR_FLAGS", "floatX=float32")

import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402

from common import accuracy_from_probs, read_xy  # noqa: E402
from peer_pymc import construct_nn, probs  # noqa: E402


def pymc_fit(x, y, xt, yt, steps, seed):
    model = construct_nn(x, y, len(y), seed)
    with model:
        approx = pm.fit(steps, method="advi", random_seed=seed, progressbar=False)
        idata = approx.sample(500, random_seed=seed + 1)
    return float(np.mean(approx.hist[-1000:])), accuracy_from_probs(probs(idata, xt, 500), list(yt))


def elbo_fit(binary, train, test, steps, seed):
    out = subprocess.run([binary, "--train", train, "--test", test, "--full-steps", str(steps),
                          "--minibatch-steps", "1", "--seed", str(seed)], check=True, capture_output=True, text=True)
    full = json.loads(out.stdout)["full"]
    return full["average_loss_last_1000"], full["test_accuracy"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--elbo", required=True)
    p.add_argument("--steps", type=int, default=30000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    a = p.parse_args()
    xs, ys = read_xy(a.train)
    xt, yt = read_xy(a.test)
    x, y = np.asarray(xs, dtype="float32"), np.asarray(ys, dtype="float32")
    xt = np.asarray(xt, dtype="float32")
    rows = []
    for s in a.seeds:
        pl, pa = pymc_fit(x, y, xt, yt, a.steps, s)
        el, ea = elbo_fit(a.elbo, a.train, a.test, a.steps, s)
        rows.append((s, pl, pa, el, ea))
        print(f"seed {s}: PyMC average loss {pl:.2f}, accuracy {pa:.1%} | elbo average loss {el:.2f}, "
              f"accuracy {ea:.1%}", flush=True)
    print(f"median average loss: PyMC {statistics.median(r[1] for r in rows):.2f}, "
          f"elbo {statistics.median(r[3] for r in rows):.2f}")


if __name__ == "__main__":
    main()
