"""The data of bench/peers/run_size_peers.sh (docs/PERFORMANCE.md, "Peers: realistic sizes
against JAX (issue #17)"): two 10-class problems, each written as a training and a test
file, in CSV (a header row, the class label 0..9 in the last column) and in NPY (the same
2-D float32 array [rows, features + 1], label last).

  digits:   scikit-learn's load_digits (1797 rows, 64 features: 8x8 images with pixel
            values 0..16), split with train_test_split(test_size=0.3, random_state=0,
            stratify=y): 1257 training rows (70 %) and 540 test rows.
  synth784: a synthetic stand-in for MNIST (784 features, 10 classes); MNIST itself cannot
            be downloaded on the machine this was written for. Inputs are 28x28 "images":
            a seeded mix of 16 smooth random patterns (Gaussian bumps; each image holds
            about half of them, with random weights) plus noise, clipped to [0, 1], so
            that the features are correlated like pixels. Labels come from a fixed, seeded
            random teacher network on the 16 pattern weights c of the image (standardised),
            argmax(tanh(c W1 + b1) W2 + b2), with 64 tanh units.
            The teacher's output bias is set so that the 10 classes are about equally
            frequent. Default 10,000 training and 2,000 test rows (--synth-train,
            --synth-test).

Both sides (elbo fit, peer_jax_mlp.py) read these files as they are and standardise the
features with the training statistics themselves.

Usage: make_size_data.py OUT_DIR [--synth-train N] [--synth-test N] [--seed S]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

CLASSES = 10


def write_set(out, name, x, y):
    """x: [rows, F] float, y: [rows] int labels 0..9 -> NAME.csv and NAME.npy in out."""
    if x.ndim != 2 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise SystemExit(f"make_size_data.py: {name}: bad shapes {x.shape} and {y.shape}")
    if not np.all(np.isfinite(x)):
        raise SystemExit(f"make_size_data.py: {name}: non-finite feature values")
    if y.min() < 0 or y.max() >= CLASSES:
        raise SystemExit(f"make_size_data.py: {name}: labels outside 0..{CLASSES - 1}")
    table = np.concatenate([x.astype(np.float32), y.astype(np.float32)[:, None]], axis=1)
    np.save(out / f"{name}.npy", table)
    header = ",".join([f"x{i}" for i in range(x.shape[1])] + ["label"])
    # Features printed with float32's round-trip precision ('%.9g'), labels as integers.
    fmt = ["%.9g"] * x.shape[1] + ["%d"]
    with open(out / f"{name}.csv", "w") as f:
        f.write(header + "\n")
        np.savetxt(f, np.concatenate([x.astype(np.float32).astype(np.float64), y[:, None].astype(np.float64)], axis=1),
                   fmt=fmt, delimiter=",")
    counts = np.bincount(y, minlength=CLASSES)
    print(f"wrote {out}/{name}.csv and .npy: {x.shape[0]} rows, {x.shape[1]} features; "
          f"rows per class {counts.min()}..{counts.max()}", file=sys.stderr)


def digits(out, seed):
    d = load_digits()
    x, y = d.data.astype(np.float32), d.target.astype(np.int64)
    if x.shape != (1797, 64):
        raise SystemExit(f"make_size_data.py: load_digits gave {x.shape}, expected (1797, 64)")
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=seed, stratify=y)
    if x_tr.shape[0] != 1257:
        raise SystemExit(f"make_size_data.py: the digits training split has {x_tr.shape[0]} rows, expected 1257")
    write_set(out, "digits_train", x_tr, y_tr)
    write_set(out, "digits_test", x_te, y_te)


def synth784(out, n_train, n_test, seed):
    rng = np.random.default_rng(seed)
    side, patterns, hidden = 28, 16, 64
    # Smooth random 28x28 patterns: Gaussian bumps at random places, random widths.
    grid = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1).reshape(-1, 2)
    centres = rng.uniform(3, side - 3, size=(patterns, 2))
    widths = rng.uniform(2.0, 5.0, size=patterns)
    d2 = ((grid[None, :, :] - centres[:, None, :]) ** 2).sum(-1)
    basis = np.exp(-d2 / (2 * widths[:, None] ** 2))  # [patterns, 784]
    n = n_train + n_test
    coef = rng.gamma(1.0, 0.25, size=(n, patterns)) * (rng.uniform(size=(n, patterns)) < 0.5)
    x = np.clip(coef @ basis + rng.normal(0.0, 0.02, size=(n, side * side)), 0.0, 1.0)
    # The teacher: a fixed random tanh network on the standardised pattern weights, the
    # content of each image (so that the label can be read off the pixels, up to noise).
    z = (coef - coef[:n_train].mean(0)) / coef[:n_train].std(0)
    w1 = rng.normal(0.0, 1.0 / np.sqrt(z.shape[1]), size=(z.shape[1], hidden))
    b1 = rng.normal(0.0, 0.5, size=hidden)
    w2 = rng.normal(0.0, 1.0, size=(hidden, CLASSES))
    logits = np.tanh(z @ w1 + b1) @ w2
    # Output bias: a few rounds pushing every class towards 1/10 of the rows.
    b2 = np.zeros(CLASSES)
    for _ in range(200):
        freq = np.bincount(np.argmax(logits + b2, 1), minlength=CLASSES) / n
        b2 -= 0.5 * (freq - 1.0 / CLASSES)
    y = np.argmax(logits + b2, 1).astype(np.int64)
    if np.bincount(y, minlength=CLASSES).min() < n // (4 * CLASSES):
        raise SystemExit("make_size_data.py: the teacher left a class nearly empty; try another --seed")
    write_set(out, "synth784_train", x[:n_train], y[:n_train])
    write_set(out, "synth784_test", x[n_train:], y[n_train:])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--synth-train", type=int, default=10000)
    p.add_argument("--synth-test", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.synth_train < 100 or a.synth_test < 10:
        raise SystemExit("make_size_data.py: --synth-train must be >= 100 and --synth-test >= 10")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    digits(out, a.seed)
    synth784(out, a.synth_train, a.synth_test, a.seed)


if __name__ == "__main__":
    main()
