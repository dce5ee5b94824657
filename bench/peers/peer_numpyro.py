"""NumPyro peer: the tutorial's fits with SVI, an AutoNormal guide and Adam(0.01), run by
svi.run(..., progress_bar=False) (one lax.scan over the steps), float32 on the CPU.

Model: N(0, 1) priors on the three weight arrays; the likelihood in a plate over the 500
training rows. Minibatch fit: the same plate with subsample_size=50, NumPyro's own way to
minibatch (each step draws 50 distinct rows, without replacement within a batch, and
scales the likelihood by 500 / 50). On the CPU that subsample is a lax.scan of 50
Fisher-Yates swaps per step, which costs more than the network does, so a second
minibatch fit ("minibatch_randint") draws the 50 rows with replacement from
numpyro.prng_key() instead, as pm.Minibatch and elbo do, and scales the likelihood with
handlers.scale(500 / 50).

Timing: svi.init runs first, outside the clock. svi.run traces and compiles its lax.scan
afresh on every call (the loop body is a new closure each time), then runs it, so:
  "wall_seconds": one plain svi.run(key, n, ..., progress_bar=False) call, compilation included;
  "seconds": the same svi.run call, jitted as a whole and compiled ahead of time with
    jax.jit(...).lower(...).compile() (the compile time is "warmup_seconds"), then executed
    once under the clock, with block_until_ready on the result.
"""
import os
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from jax import random
from numpyro.infer import SVI, Trace_ELBO
from numpyro.infer.autoguide import AutoNormal
from numpyro.optim import Adam

from common import accuracy_from_probs, emit, fit_record, parse_args, read_xy

numpyro.set_platform("cpu")

def net_logits(x, w1, w2, w3):
    return jnp.tanh(jnp.tanh(x @ w1) @ w2) @ w3


def model(x, y, batch=None, with_replacement=False):
    n = x.shape[0]
    w1 = numpyro.sample("w_in_1", dist.Normal(0.0, 1.0).expand([2, 5]).to_event(2))
    w2 = numpyro.sample("w_1_2", dist.Normal(0.0, 1.0).expand([5, 5]).to_event(2))
    w3 = numpyro.sample("w_2_out", dist.Normal(0.0, 1.0).expand([5]).to_event(1))
    if with_replacement:
        idx = random.randint(numpyro.prng_key(), (batch,), 0, n)
        with numpyro.handlers.scale(scale=n / batch), numpyro.plate("data", batch):
            numpyro.sample("out", dist.Bernoulli(logits=net_logits(x[idx], w1, w2, w3)), obs=y[idx])
        return
    with numpyro.plate("data", n, subsample_size=batch) as idx:
        xb, yb = (x, y) if batch is None else (x[idx], y[idx])
        numpyro.sample("out", dist.Bernoulli(logits=net_logits(xb, w1, w2, w3)), obs=yb)


def run_fit(x, y, x_test, y_test, steps, batch, seed, draws, with_replacement=False, make_guide=AutoNormal,
            optimizer=None):
    """make_guide(model) and optimizer (default Adam(0.01)) are for peer_families_numpyro.py."""
    model_ = partial(model, with_replacement=with_replacement)
    guide = make_guide(model_)
    svi = SVI(model_, guide, Adam(0.01) if optimizer is None else optimizer, Trace_ELBO())
    state = svi.init(random.PRNGKey(seed), x, y, batch)
    jax.block_until_ready(state)
    key = random.PRNGKey(seed + 1)

    # As a user runs it: compilation and the steps.
    t0 = time.perf_counter()
    res = svi.run(key, steps, x, y, batch, progress_bar=False, init_state=state)
    jax.block_until_ready(res.losses)
    wall = time.perf_counter() - t0

    # The same call compiled ahead of time, then timed alone.
    def run(key, state, x, y):
        r = svi.run(key, steps, x, y, batch, progress_bar=False, init_state=state)
        return r.params, r.losses

    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(key, state, x, y).compile()
    compile_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    params, losses = compiled(key, state, x, y)
    jax.block_until_ready(losses)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0

    post = guide.sample_posterior(random.PRNGKey(seed + 2), params, sample_shape=(draws,))
    logits = jax.vmap(net_logits, in_axes=(None, 0, 0, 0))(x_test, post["w_in_1"], post["w_1_2"], post["w_2_out"])
    acc = accuracy_from_probs(np.asarray(jax.nn.sigmoid(logits)), list(np.asarray(y_test)))
    rec = fit_record(steps, seconds, cpu, acc, float(losses[-1]), wall, compile_s,
                     "svi.run jitted whole and compiled ahead (jax.jit(...).lower().compile()), "
                     "then one timed call")
    rec["plain_run_final_loss"] = float(res.losses[-1])
    return rec


def main():
    a = parse_args(__doc__, 30000, 40000)
    xs, ys = read_xy(a.train)
    xt, yt = read_xy(a.test)
    x, y = jnp.asarray(xs, dtype=jnp.float32), jnp.asarray(ys, dtype=jnp.float32)
    x_test, y_test = jnp.asarray(xt, dtype=jnp.float32), jnp.asarray(yt, dtype=jnp.float32)
    full = run_fit(x, y, x_test, y_test, a.full_steps, None, a.seed, a.draws)
    mb = run_fit(x, y, x_test, y_test, a.minibatch_steps, 50, a.seed + 10, a.draws)
    mb_r = run_fit(x, y, x_test, y_test, a.minibatch_steps, 50, a.seed + 20, a.draws, with_replacement=True)
    emit({"impl": "numpyro", "version": numpyro.__version__, "jax": jax.__version__,
          "dtype": "float32", "threads": 1, "optimizer": "adam(0.01)",
          "xla_flags": os.environ.get("XLA_FLAGS", ""), "full": full, "minibatch": mb, "minibatch_randint": mb_r})


if __name__ == "__main__":
    main()
