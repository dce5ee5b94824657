"""PyMC peer of the approximating families (bench/peers/run_family_peers.sh): the tutorial's
network (peer_pymc.py's construct_nn: pm.Data inputs, standard-normal initial values,
total_size) fitted full batch on the 500 training rows with

  --method fullrank_advi     pm.fit(method="fullrank_advi")
  --method svgd              pm.fit(method="svgd", inf_kwargs={"n_particles": N}), i.e.
                             pm.SVGD(n_particles=N) with its defaults jitter=1, temperature=1
                             and the RBF kernel with the median heuristic

and the optimizer --optimizer (adam or adagrad_window, PyMC's default) at --lr, passed as
obj_optimizer; one Monte Carlo draw per step for fullrank_advi (obj_n_mc=1, the default),
every particle every step for svgd. floatX = float32, progress bar off.

Timing: as peer_pymc.py (its run_fit): pm.fit compiles its step function inside the call;
a callback records the clock after step 1 and after the last step, so "seconds" covers
steps 2..n scaled back to n steps and excludes compilation; the callback (one Python call
per step) stays inside. "wall_seconds" is the whole pm.fit call. Test accuracy: --draws
draws from the fitted approximation (for SVGD, particles drawn with replacement), mean
probability > 0.5.

Prints one JSON line: {"impl": "pymc", "method": ..., "full": FIT} (common.py's schema).
"""
import argparse
import os

os.environ.setdefault("PYTENSOR_FLAGS", "floatX=float32")

import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402
import pytensor  # noqa: E402

from common import emit, read_xy  # noqa: E402
from peer_pymc import construct_nn, floatX, run_fit  # noqa: E402

OPTIMIZERS = {"adam": pm.adam, "adagrad_window": pm.adagrad_window}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--method", required=True, choices=["fullrank_advi", "svgd"])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--particles", type=int, default=100)
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=500)
    a = p.parse_args()

    xs, ys = read_xy(a.train)
    xt, yt = read_xy(a.test)
    x, y = np.asarray(xs, dtype=floatX), np.asarray(ys, dtype=floatX)
    x_test, y_test = np.asarray(xt, dtype=floatX), np.asarray(yt, dtype=floatX)

    model = construct_nn(x, y, len(y), a.seed + 2)
    kwargs = {"obj_optimizer": OPTIMIZERS[a.optimizer](learning_rate=a.lr)}
    settings = ""
    if a.method == "svgd":
        kwargs["inf_kwargs"] = {"n_particles": a.particles}
        settings = f"{a.particles} particles"
    full = run_fit(model, a.steps, a.seed + 3, x_test, y_test, a.draws, method=a.method, **kwargs)
    emit({"impl": "pymc", "version": pm.__version__, "pytensor": pytensor.__version__, "method": a.method,
          "settings": settings, "particles": a.particles if a.method == "svgd" else None,
          "dtype": floatX, "threads": 1, "optimizer": f"{a.optimizer}({a.lr:g})", "full": full})


if __name__ == "__main__":
    main()
