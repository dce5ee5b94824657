"""NumPyro peer of the approximating families (bench/peers/run_family_peers.sh): the
tutorial's network (peer_numpyro.py's model: N(0, 1) priors on the 40 weights, the
Bernoulli likelihood in a plate over the 500 training rows) fitted full batch by SVI with
Trace_ELBO (one draw per step) and

  --guide lowrank   AutoLowRankMultivariateNormal(rank=K)              (--rank K)
  --guide iaf       AutoIAFNormal(num_flows=F, hidden_dims=[D, D],     (--flows F)
                    nonlinearity=stax.Tanh by default (--nonlinearity)), D = 40 latent
                    dimensions: the MADE of elbo's "iaf" layer (two hidden layers of D
                    units, tanh). NumPyro's own defaults are num_flows=3 and stax.Elu.

and Adam(--lr, default 0.01), float32 on the CPU. The guides keep NumPyro's other defaults
(init_to_uniform; AutoLowRank's init_scale=0.1).

Timing: as peer_numpyro.py (its run_fit): svi.init outside the clock; "wall_seconds" is one
plain svi.run(..., progress_bar=False) call, compilation included; "seconds" the same
svi.run call jitted whole, compiled ahead with jax.jit(...).lower(...).compile() (that time
is "warmup_seconds") and executed once under the clock with block_until_ready. Test
accuracy: --draws draws from the guide, mean probability > 0.5.

Prints one JSON line: {"impl": "numpyro", "method": ..., "full": FIT} (common.py's schema).
"""
import argparse
import os

import jax
import jax.numpy as jnp
import numpyro
from jax.example_libraries import stax
from numpyro.infer.autoguide import AutoIAFNormal, AutoLowRankMultivariateNormal
from numpyro.optim import Adam

from common import emit, read_xy
from peer_numpyro import run_fit

NONLINEARITIES = {"tanh": stax.Tanh, "elu": stax.Elu}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--guide", required=True, choices=["lowrank", "iaf"])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--rank", type=int, default=0, help="0: NumPyro's default, round(sqrt(D))")
    p.add_argument("--flows", type=int, default=2)
    p.add_argument("--nonlinearity", choices=sorted(NONLINEARITIES), default="tanh")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=500)
    a = p.parse_args()

    xs, ys = read_xy(a.train)
    xt, yt = read_xy(a.test)
    x, y = jnp.asarray(xs, dtype=jnp.float32), jnp.asarray(ys, dtype=jnp.float32)
    x_test, y_test = jnp.asarray(xt, dtype=jnp.float32), jnp.asarray(yt, dtype=jnp.float32)

    guides = []

    def make_guide(model):
        if a.guide == "lowrank":
            g = AutoLowRankMultivariateNormal(model, rank=a.rank or None)
        else:
            # hidden_dims=None is NumPyro's [latent_dim, latent_dim]
            g = AutoIAFNormal(model, num_flows=a.flows, hidden_dims=None, nonlinearity=NONLINEARITIES[a.nonlinearity])
        guides.append(g)
        return g

    full = run_fit(x, y, x_test, y_test, a.steps, None, a.seed, a.draws, make_guide=make_guide, optimizer=Adam(a.lr))
    g = guides[0]
    d = g.latent_dim
    if a.guide == "lowrank":
        method, rank = "AutoLowRankMultivariateNormal", a.rank or int(round(d**0.5))
        settings = f"rank {rank}"
    else:
        method, rank = "AutoIAFNormal", None
        settings = f"num_flows {a.flows}, hidden_dims [{d}, {d}], {a.nonlinearity}"
    emit({"impl": "numpyro", "version": numpyro.__version__, "jax": jax.__version__, "method": method,
          "settings": settings, "rank": rank, "latent_dim": d, "dtype": "float32", "threads": 1,
          "optimizer": f"adam({a.lr:g})", "xla_flags": os.environ.get("XLA_FLAGS", ""), "full": full})


if __name__ == "__main__":
    main()
