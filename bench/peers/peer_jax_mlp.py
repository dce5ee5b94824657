"""JAX peer of bench/peers/run_size_peers.sh: mean-field ADVI of a Bayesian MLP, written by
hand in JAX as a new user would (docs/PERFORMANCE.md, "Peers: realistic sizes against JAX
(issue #17)"), timed with the compilation left out.

The model, as `elbo fit --likelihood categorical --hidden H1,H2 --bias` builds it:
  N(0, prior_sd^2) priors on every weight and bias; tanh hidden layers with biases; a
  categorical (softmax) likelihood of the class labels 0..K-1 (or, with --likelihood
  bernoulli, one logit per row), scaled by rows / batch when the step sees a minibatch.
The approximation and the fit:
  a Gaussian mean-field q over all weights and biases, sigma = softplus(rho); one draw per
  step, z = mu + sigma * eps; the loss is the single-draw estimate
  -[scale * log p(y | x, z) + log p(z) - log q(z)] with log q evaluated at the draw (the
  same estimator as elbo and PyMC; no analytic entropy); Adam (beta1 0.9, beta2 0.999,
  eps 1e-8, bias-corrected as elbo's and PyMC's), written out below; minibatches of
  --batch-size rows drawn with replacement every step with jax.random.randint (as elbo and
  pm.Minibatch do); everything float32.
The starting point, elbo fit's: weight means at N(0, 1) draws times
  min(1, 2 / sqrt(fan_in)), bias means at 0, every sigma at 0.05 (rho = softplus^-1(0.05)).
  The draws come from jax.random, not elbo's generator, so the values differ.
Inputs are standardised with the training rows' mean and (population) sd, a constant
  column left as it is (sd taken as 1), as `elbo fit` does by default; outside the clock.

Timing: the whole loop of --steps steps is one lax.scan inside one jax.jit. It is compiled
ahead of time (jax.jit(run).lower(...).compile(), "compile_seconds"), then executed once
under the clock, block_until_ready on the result: "seconds" (wall) and "cpu_seconds"
(process CPU time, all threads) cover exactly that call.

Threads: --threads 1 sets run_peers.sh's one-thread XLA_FLAGS before JAX is imported
(and refuses a different XLA_FLAGS from the environment); --threads all runs without
them (and refuses an XLA_FLAGS that limits the threads), XLA's default use of the cores.

Prints one JSON line (common.fit_record's fields plus the network, batch and threads) and
a few lines of progress on stderr. The test accuracy is that of the posterior predictive
mean (the mean over --draws draws of q of the class probabilities, then argmax) on the
test file; it shows that the fit did real work, not which library fits better.
"""
import argparse
import os
import platform
import sys
import time

ONE_THREAD_XLA_FLAGS = ("--xla_force_host_platform_device_count=1 --xla_cpu_multi_thread_eigen=false "
                        "intra_op_parallelism_threads=1")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", required=True, help="CSV (header row) or NPY [rows, features + 1], label last")
    p.add_argument("--test", required=True, help="the same format, for the test accuracy")
    p.add_argument("--hidden", default="32,32", help="hidden layer widths, comma-separated (default 32,32)")
    p.add_argument("--no-bias", action="store_true", help="no biases (the tutorial's network)")
    p.add_argument("--likelihood", choices=("categorical", "bernoulli"), default="categorical")
    p.add_argument("--batch-size", type=int, default=0, help="rows per step, drawn with replacement (0: full batch)")
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--start-sigma", type=float, default=0.05)
    p.add_argument("--prior-sd", type=float, default=1.0)
    p.add_argument("--threads", choices=("1", "all"), required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=100, help="draws of q for the test accuracy")
    a = p.parse_args()
    try:
        a.hidden_sizes = [int(h) for h in a.hidden.split(",")] if a.hidden.strip() else []
    except ValueError:
        p.error(f"--hidden: '{a.hidden}' is not a comma-separated list of integers")
    if any(h < 1 for h in a.hidden_sizes):
        p.error(f"--hidden: every width must be >= 1, got '{a.hidden}'")
    if a.steps < 1:
        p.error("--steps must be >= 1")
    if a.batch_size < 0:
        p.error("--batch-size must be >= 0")
    if not (a.lr > 0 and a.start_sigma > 0 and a.prior_sd > 0):
        p.error("--lr, --start-sigma and --prior-sd must be positive")
    if a.draws < 1:
        p.error("--draws must be >= 1")
    return a


def set_threads(mode):
    """XLA reads XLA_FLAGS when JAX initialises its backend, so this runs before the import."""
    current = os.environ.get("XLA_FLAGS", "")
    if mode == "1":
        if current and current != ONE_THREAD_XLA_FLAGS:
            raise SystemExit(f"peer_jax_mlp.py: --threads 1 sets XLA_FLAGS itself, but it is already '{current}'")
        os.environ["XLA_FLAGS"] = ONE_THREAD_XLA_FLAGS
    elif "multi_thread_eigen=false" in current or "intra_op_parallelism_threads" in current:
        raise SystemExit(f"peer_jax_mlp.py: --threads all, but XLA_FLAGS limits the threads: '{current}' "
                         "(run it with `env -u XLA_FLAGS`)")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def load_table(path, np):
    """[rows, features] float32 inputs and int32 labels (last column) from CSV or NPY."""
    if not os.path.isfile(path):
        raise SystemExit(f"peer_jax_mlp.py: {path}: no such file")
    if path.lower().endswith(".npy"):
        t = np.load(path, allow_pickle=False)
    else:
        t = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 2:
        raise SystemExit(f"peer_jax_mlp.py: {path}: expected [rows, features + label], got shape {t.shape}")
    t = t.astype(np.float64)
    if not np.all(np.isfinite(t)):
        raise SystemExit(f"peer_jax_mlp.py: {path}: non-finite values")
    y = t[:, -1]
    if not np.all(y == np.round(y)) or y.min() < 0:
        raise SystemExit(f"peer_jax_mlp.py: {path}: the last column must hold class labels 0, 1, ...")
    return t[:, :-1], y.astype(np.int32)


def main():
    a = parse_args()
    set_threads(a.threads)

    import numpy as np
    import jax
    import jax.numpy as jnp
    import jaxlib
    from jax import lax, random

    from common import emit, fit_record

    if jax.config.jax_enable_x64:
        raise SystemExit("peer_jax_mlp.py: JAX_ENABLE_X64 is set; this peer runs float32")
    x_np, y_np = load_table(a.train, np)
    xt_np, yt_np = load_table(a.test, np)
    if xt_np.shape[1] != x_np.shape[1]:
        raise SystemExit(f"peer_jax_mlp.py: {a.test} has {xt_np.shape[1]} features, {a.train} {x_np.shape[1]}")
    classes = int(y_np.max()) + 1
    if a.likelihood == "bernoulli":
        if classes > 2:
            raise SystemExit(f"peer_jax_mlp.py: --likelihood bernoulli needs labels 0/1, {a.train} has up to {classes - 1}")
        outputs = 1
    else:
        if classes < 2:
            raise SystemExit(f"peer_jax_mlp.py: {a.train}: a categorical likelihood needs at least two classes")
        outputs = classes
    if yt_np.max() >= max(classes, 2):
        raise SystemExit(f"peer_jax_mlp.py: {a.test} has label {yt_np.max()}, unseen in {a.train}")
    rows, features = x_np.shape
    if a.batch_size > rows:
        raise SystemExit(f"peer_jax_mlp.py: --batch-size {a.batch_size} is more than the {rows} training rows")

    mean, sd = x_np.mean(0), x_np.std(0)
    sd = np.where((sd == 0) | (sd <= 10 * np.finfo(np.float64).eps * np.abs(mean)), 1.0, sd)
    x = jnp.asarray((x_np - mean) / sd, dtype=jnp.float32)
    x_test = jnp.asarray((xt_np - mean) / sd, dtype=jnp.float32)
    y = jnp.asarray(y_np)
    y_test = np.asarray(yt_np)

    sizes = [features] + a.hidden_sizes + [outputs]
    bias = not a.no_bias
    batch = a.batch_size if a.batch_size > 0 else rows
    scale = jnp.float32(rows / batch)
    half_log_2pi = jnp.float32(0.5 * np.log(2 * np.pi))
    log_prior_sd = jnp.float32(np.log(a.prior_sd))
    inv_prior_var = jnp.float32(1.0 / a.prior_sd ** 2)

    # Variational parameters: a list of per-layer dicts {"w": ..., "b": ...} for mu and rho.
    key = random.PRNGKey(a.seed)
    key, init_key = random.split(key)
    mu = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = random.normal(random.fold_in(init_key, i), (fan_in, fan_out), jnp.float32)
        layer = {"w": w * min(1.0, 2.0 / np.sqrt(fan_in))}
        if bias:
            layer["b"] = jnp.zeros((fan_out,), jnp.float32)
        mu.append(layer)
    rho0 = float(np.log(np.expm1(a.start_sigma)))  # softplus(rho0) = start_sigma
    rho = jax.tree.map(lambda m: jnp.full_like(m, rho0), mu)
    params = {"mu": mu, "rho": rho}
    n_params = sum(int(np.prod(l.shape)) for l in jax.tree.leaves(mu))

    def forward(z, xb):
        h = xb
        for i, layer in enumerate(z):
            h = h @ layer["w"]
            if bias:
                h = h + layer["b"]
            if i + 1 < len(z):
                h = jnp.tanh(h)
        return h  # [rows, outputs] logits

    def log_lik(logits, yb):
        if outputs == 1:
            l = logits[:, 0]
            yf = yb.astype(jnp.float32)
            return jnp.sum(yf * l - jax.nn.softplus(l))
        return jnp.sum(jnp.take_along_axis(jax.nn.log_softmax(logits), yb[:, None], axis=1))

    def normal_like(k, tree):
        leaves, treedef = jax.tree.flatten(tree)
        keys = random.split(k, len(leaves))
        return jax.tree.unflatten(treedef, [random.normal(kk, l.shape, l.dtype) for kk, l in zip(keys, leaves)])

    def loss_fn(p, eps, xb, yb):
        sigma = jax.tree.map(jax.nn.softplus, p["rho"])
        z = jax.tree.map(lambda m, s, e: m + s * e, p["mu"], sigma, eps)
        log_prior = sum(jnp.sum(-0.5 * inv_prior_var * l * l - log_prior_sd - half_log_2pi) for l in jax.tree.leaves(z))
        log_q = sum(jnp.sum(-0.5 * e * e - jnp.log(s) - half_log_2pi)
                    for e, s in zip(jax.tree.leaves(eps), jax.tree.leaves(sigma)))
        return -(scale * log_lik(forward(z, xb), yb) + log_prior - log_q)

    b1, b2, adam_eps, lr = 0.9, 0.999, 1e-8, a.lr

    def step(carry, data):
        p, m, v, t, k = carry
        k, k_eps, k_rows = random.split(k, 3)
        eps = normal_like(k_eps, p["mu"])
        if batch < rows:
            idx = random.randint(k_rows, (batch,), 0, rows)
            xb, yb = data[0][idx], data[1][idx]
        else:
            xb, yb = data
        loss, g = jax.value_and_grad(loss_fn)(p, eps, xb, yb)
        t = t + 1
        tf = t.astype(jnp.float32)
        m = jax.tree.map(lambda mm, gg: b1 * mm + (1 - b1) * gg, m, g)
        v = jax.tree.map(lambda vv, gg: b2 * vv + (1 - b2) * gg * gg, v, g)
        rate = lr * jnp.sqrt(1 - b2 ** tf) / (1 - b1 ** tf)
        p = jax.tree.map(lambda pp, mm, vv: pp - rate * mm / (jnp.sqrt(vv) + adam_eps), p, m, v)
        return (p, m, v, t, k), loss

    # The data enter run() as arguments, not as constants baked into the compiled program.
    def run(state, xd, yd):
        out, losses = lax.scan(lambda carry, _: step(carry, (xd, yd)), state, None, length=a.steps)
        return out[0], losses

    zeros = jax.tree.map(jnp.zeros_like, params)
    key, fit_key = random.split(key)
    state = (params, zeros, zeros, jnp.int32(0), fit_key)
    jax.block_until_ready(state)

    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(state, x, y).compile()
    compile_s = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    fitted, losses = compiled(state, x, y)
    jax.block_until_ready((fitted, losses))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    losses = np.asarray(losses)
    if not np.all(np.isfinite(losses)):
        raise SystemExit(f"peer_jax_mlp.py: the loss became non-finite at step {int(np.argmin(np.isfinite(losses))) + 1}")

    # Posterior predictive mean on the test rows: the mean over draws of the probabilities.
    @jax.jit
    def predictive(p, k, xt):
        sigma = jax.tree.map(jax.nn.softplus, p["rho"])

        def one(acc, kk):
            eps = normal_like(kk, p["mu"])
            z = jax.tree.map(lambda m_, s, e: m_ + s * e, p["mu"], sigma, eps)
            logits = forward(z, xt)
            prob = jax.nn.sigmoid(logits) if outputs == 1 else jax.nn.softmax(logits)
            return acc + prob, None

        acc, _ = lax.scan(one, jnp.zeros((xt.shape[0], outputs), jnp.float32), random.split(k, a.draws))
        return acc / a.draws

    key, pred_key = random.split(key)
    probs = np.asarray(predictive(fitted, pred_key, x_test))
    labels = (probs[:, 0] > 0.5).astype(np.int32) if outputs == 1 else np.argmax(probs, 1)
    accuracy = float(np.mean(labels == y_test))

    rec = {"impl": "jax", "version": jax.__version__, "jaxlib": jaxlib.__version__,
           "python": platform.python_version(), "dtype": "float32", "threads": a.threads,
           "xla_flags": os.environ.get("XLA_FLAGS", ""), "optimizer": f"adam({a.lr:g})",
           "network": "-".join(str(s) for s in sizes), "bias": bias, "likelihood": a.likelihood,
           "parameters": n_params, "rows": rows, "batch_size": batch, "train": a.train,
           "compile_seconds": compile_s}
    rec.update(fit_record(a.steps, seconds, cpu, accuracy, float(np.mean(losses[-min(100, len(losses)):])),
                          compile_s + seconds, compile_s,
                          "the whole loop in one jax.jit + lax.scan, compiled ahead "
                          "(jax.jit(run).lower().compile()), then one timed call"))
    print(f"jax {a.threads} thread(s): {rec['network']}, {n_params} parameters, batch {batch} of {rows} rows: "
          f"{a.steps} steps in {seconds:.2f} s ({rec['steps_per_s']:.0f} steps/s, CPU {cpu:.2f} s), "
          f"compiled in {compile_s:.2f} s; test accuracy {100 * accuracy:.1f}%", file=sys.stderr)
    emit(rec)


if __name__ == "__main__":
    main()
