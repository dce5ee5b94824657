"""PyMC3's tutorial "Variational Inference: Bayesian Neural Networks", end to end in
Python with elbo: the moons data, the 2-5-5-1 tanh network, mean-field ADVI with
cost_part_grad_scale, the loss histories, 5000 draws, slow (posterior predictive) and
compiled (sample_node) prediction, accuracy, the uncertainty surfaces, and minibatch ADVI.

    python examples/python/bnn_moons.py [--out DIR] [--no-plots]

Needs the package with scikit-learn (pip install .[sklearn]); the figures need matplotlib.
"""
import argparse
import os
import time

import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import scale

import elbo

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="elbo-python-demo", help="folder for the figures")
parser.add_argument("--no-plots", action="store_true", help="skip the figures (no matplotlib needed)")
parser.add_argument("--n", type=int, default=30000, help="ADVI steps (the tutorial's 30000)")
args = parser.parse_args()

floatX = "float32"
X, Y = make_moons(noise=0.2, random_state=0, n_samples=1000)
X = scale(X).astype(floatX)
Y = Y.astype(floatX)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.5, random_state=0)


def construct_nn(ann_input, ann_output):
    n_hidden = 5
    # Initialize random weights between each layer
    rng = np.random.default_rng(2)
    init_1 = rng.standard_normal(size=(X.shape[1], n_hidden)).astype(floatX)
    init_2 = rng.standard_normal(size=(n_hidden, n_hidden)).astype(floatX)
    init_out = rng.standard_normal(size=n_hidden).astype(floatX)

    with elbo.Model(dtype=floatX) as neural_network:
        ann_input = elbo.Data("ann_input", ann_input)
        ann_output = elbo.Data("ann_output", ann_output)
        # Weights from input to hidden layer
        weights_in_1 = elbo.Normal("w_in_1", 0, sigma=1, shape=(X.shape[1], n_hidden), testval=init_1)
        # Weights from 1st to 2nd layer
        weights_1_2 = elbo.Normal("w_1_2", 0, sigma=1, shape=(n_hidden, n_hidden), testval=init_2)
        # Weights from hidden layer to output
        weights_2_out = elbo.Normal("w_2_out", 0, sigma=1, shape=(n_hidden,), testval=init_out)
        # Build neural-network using tanh activation function
        act_1 = elbo.math.tanh(elbo.math.dot(ann_input, weights_in_1))
        act_2 = elbo.math.tanh(elbo.math.dot(act_1, weights_1_2))
        act_out = elbo.math.sigmoid(elbo.math.dot(act_2, weights_2_out))
        # Binary classification -> Bernoulli likelihood
        out = elbo.Bernoulli("out", act_out, observed=ann_output,
                             total_size=Y_train.shape[0])  # IMPORTANT for minibatches
    return neural_network


neural_network = construct_nn(X_train, Y_train)

# ADVI with cost_part_grad_scale: 1 for two thirds of the steps, then 0 (the tutorial's
# theano.shared s, set to 0 between the two fit calls); then ADVI without the scaling.
# Adam at 0.01 instead of the tutorial's default adagrad_window at 0.001, which has not
# converged by 30000 steps here (93.6-94.6 % on three splits against 96.0-96.2 %).
optimizer = elbo.adam(learning_rate=0.01)
t0 = time.perf_counter()
with neural_network:
    inference = elbo.ADVI(cost_part_grad_scale=1.0, random_seed=2)
    approx = elbo.fit(n=args.n * 2 // 3, method=inference, obj_optimizer=optimizer)
    inference.cost_part_grad_scale = 0.0
    approx = inference.refine(args.n - args.n * 2 // 3)
fit_s = time.perf_counter() - t0
with neural_network:
    inference_no_s = elbo.ADVI(random_seed=3)
    approx_no_s = elbo.fit(n=args.n, method=inference_no_s, obj_optimizer=optimizer)
print(f"ADVI: {args.n} steps in {fit_s:.2f} s")

trace = approx.sample(draws=5000)

# Slow prediction: posterior predictive draws at the test data.
t0 = time.perf_counter()
elbo.set_data({"ann_input": X_test, "ann_output": Y_test}, model=neural_network)
ppc = elbo.sample_posterior_predictive(trace, model=neural_network, random_seed=0)
pred_slow = ppc.posterior_predictive["out"].mean(("chain", "draw")).values > 0.5
slow_s = time.perf_counter() - t0

# Compiled prediction: sample_node of the network's output at replaced inputs.
p_node = neural_network.out.distribution.p


def sample_proba(x, n):
    return approx.sample_node(p_node, size=n, more_replacements={neural_network["ann_input"]: x})


sample_proba(X_test, 500)  # compiles once
t0 = time.perf_counter()
pred = sample_proba(X_test, 500).mean(0) > 0.5
fast_s = time.perf_counter() - t0
accuracy = (Y_test == pred).mean() * 100
print(f"Accuracy = {accuracy:.1f}% (posterior predictive: {(Y_test == pred_slow).mean() * 100:.1f}%)")
print(f"prediction: posterior predictive {slow_s * 1e3:.1f} ms, sample_node {fast_s * 1e3:.2f} ms")

# Uncertainty surfaces on a grid.
grid = np.mgrid[-3:3:100j, -3:3:100j].astype(floatX)
grid_2d = grid.reshape(2, -1).T
ppc_grid = sample_proba(grid_2d, 500)

# Minibatch ADVI: 50 rows per step, total_size scaling; construct_nn unchanged.
minibatch_x, minibatch_y = elbo.Minibatch(X_train, Y_train, batch_size=50)
neural_network_minibatch = construct_nn(minibatch_x, minibatch_y)
with neural_network_minibatch:
    inference_mb = elbo.ADVI(random_seed=4)
    approx_mb = elbo.fit(40000, method=inference_mb, obj_optimizer=optimizer)
pred_mb = approx_mb.sample_node(neural_network_minibatch.out.distribution.p, size=500,
                                more_replacements={neural_network_minibatch["ann_input"]: X_test}).mean(0) > 0.5
print(f"Minibatch ADVI: accuracy = {(Y_test == pred_mb).mean() * 100:.1f}%")

if not args.no_plots:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(args.out, exist_ok=True)
    fig, ax = plt.subplots()
    ax.plot(-inference.hist, label="new ADVI", alpha=0.3)
    ax.plot(-inference_no_s.hist, label="new ADVI no scaling", alpha=0.3)
    ax.legend()
    ax.set(ylabel="ELBO", xlabel="iteration")
    fig.savefig(os.path.join(args.out, "elbo.png"))
    fig, ax = plt.subplots()
    ax.scatter(X_test[pred == 0, 0], X_test[pred == 0, 1])
    ax.scatter(X_test[pred == 1, 0], X_test[pred == 1, 1], color="r")
    ax.set(title="Predicted labels in testing set", xlabel="X", ylabel="Y")
    fig.savefig(os.path.join(args.out, "predictions.png"))
    for name, values, title in (("mean", ppc_grid.mean(axis=0), "Posterior predictive mean probability of class label = 0"),
                                ("sd", ppc_grid.std(axis=0), "Uncertainty (Posterior predictive standard deviation)")):
        fig, ax = plt.subplots(figsize=(16, 9))
        contour = ax.contourf(grid[0], grid[1], values.reshape(100, 100), cmap="RdBu" if name == "mean" else "viridis")
        ax.scatter(X_test[pred == 0, 0], X_test[pred == 0, 1])
        ax.scatter(X_test[pred == 1, 0], X_test[pred == 1, 1], color="r")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), xlabel="X", ylabel="Y", title=title)
        fig.colorbar(contour, ax=ax)
        fig.savefig(os.path.join(args.out, f"uncertainty_{name}.png"))
    fig, ax = plt.subplots()
    ax.plot(-inference_mb.hist)
    ax.set(ylabel="ELBO", xlabel="iteration")
    fig.savefig(os.path.join(args.out, "elbo_minibatch.png"))
    print(f"figures in {args.out}/")
