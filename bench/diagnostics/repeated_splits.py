#!/usr/bin/env python3
"""Issue #18's "no worse than ADVI", over many splits instead of one (docs/DIAGNOSTICS.md):
test accuracy of `elbo fit` with mean-field ADVI, Pathfinder (4 paths, their draws pooled by
default or resampled, and 1 path) and Laplace
(last layer; all weights with K-FAC and the linearised predictive; all weights with MacKay's
evidence iterations, full and diagonal Hessian; Pathfinder with the prior sd the evidence chooses) on breast cancer over random half/half splits, and RMSE on the UCI
concrete set's published splits (at most its 20); each with the command line's defaults and
--seed 1. Prints the mean over the splits, its standard error, and the mean paired
difference to ADVI with its standard error.

    bench/peers/.venv/bin/python bench/diagnostics/repeated_splits.py --elbo build/bin/elbo \\
        --out /tmp/splits --splits 10 --jobs 2
"""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_methods import ROOT, write_csv  # noqa: E402  (the same CSV layout)

METHODS = [
    ("mean-field ADVI", ["--method", "advi"]),
    ("Pathfinder, 4 paths", ["--method", "pathfinder"]),
    ("Pathfinder, 4 paths, --resampling psis", ["--method", "pathfinder", "--resampling", "psis"]),
    ("Pathfinder, 1 path", ["--method", "pathfinder", "--paths", "1"]),
    ("Laplace (last layer, full)", ["--method", "laplace"]),
    ("Laplace (all, kron, linearised)", ["--method", "laplace", "--subset", "all", "--hessian", "kron"]),
    ("Laplace (all, full, linearised, 10 evidence iterations)",
     ["--method", "laplace", "--subset", "all", "--evidence-iterations", "10"]),
    ("Laplace (all, diag, linearised, 10 evidence iterations)",
     ["--method", "laplace", "--subset", "all", "--hessian", "diag", "--evidence-iterations", "10"]),
    ("Pathfinder, 1 path, --prior-scale evidence", ["--method", "pathfinder", "--paths", "1", "--prior-scale", "evidence"]),
    ("Pathfinder, 4 paths, --prior-scale evidence", ["--method", "pathfinder", "--prior-scale", "evidence"]),
]


def splits(name, uci, n):
    if name == "breast cancer":
        bc = load_breast_cancer()
        for s in range(n):
            yield train_test_split(bc.data, bc.target, test_size=0.5, random_state=s)
        return
    folder = os.path.join(uci, "concrete")
    data = np.loadtxt(os.path.join(folder, "data.txt"))
    feat = np.loadtxt(os.path.join(folder, "index_features.txt"), dtype=int)
    targ = int(np.loadtxt(os.path.join(folder, "index_target.txt")))
    for s in range(min(n, 20)):  # its 20 published splits
        tr = np.loadtxt(os.path.join(folder, f"index_train_{s}.txt"), dtype=int)
        te = np.loadtxt(os.path.join(folder, f"index_test_{s}.txt"), dtype=int)
        yield data[tr][:, feat], data[te][:, feat], data[tr, targ], data[te, targ]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def score_split(a, name, metric, s, xtr, xte, ytr, yte):
    """Every method on one split, in its own folder: {label: score}."""
    folder = os.path.join(a.out, f"{name.split()[0]}-{s}")
    os.makedirs(folder, exist_ok=True)
    train, test = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
    write_csv(train, xtr, ytr)
    write_csv(test, xte, yte)
    scores = {}
    for label, args in METHODS:
        model = os.path.join(folder, "m.elbo")
        run([a.elbo, "fit", "--recipe", "single", "--train", train, "--out", model, "--seed", "1", "--threads", "1"]
            + args)
        ev = json.loads(run([a.elbo, "evaluate", "--model", model, "--data", test, "--json"]))
        scores[label] = ev[metric]
        print(f"{name} split {s} | {label} | {metric} {ev[metric]:.4f}", file=sys.stderr)
    return scores


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elbo", default=os.path.join(ROOT, "build", "bin", "elbo"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build-diagnostics"))
    ap.add_argument("--uci", default=os.path.join(ROOT, "..", "shared", "data", "uci"))
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1, help="splits fitted at once (each fit on one thread)")
    a = ap.parse_args()
    if a.jobs < 1:
        ap.error(f"--jobs is {a.jobs}, but must be >= 1")
    os.makedirs(a.out, exist_ok=True)
    print("| data | method | mean test score | its SE | mean difference to ADVI | its SE |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, metric in [("breast cancer", "accuracy"), ("concrete (UCI)", "rmse")]:
        with ThreadPoolExecutor(max_workers=a.jobs) as pool:
            try:
                per_split = list(pool.map(lambda split: score_split(a, name, metric, split[0], *split[1]),
                                          enumerate(splits(name, a.uci, a.splits))))
            except RuntimeError as e:  # a failed fit: stop the splits not yet started
                pool.shutdown(cancel_futures=True)
                sys.exit(str(e))
        scores = {label: [sc[label] for sc in per_split] for label, _ in METHODS}
        base = np.array(scores["mean-field ADVI"])
        for label, _ in METHODS:
            v = np.array(scores[label])
            d = v - base
            k = len(v)
            scale = 100 if metric == "accuracy" else 1
            unit = " %" if metric == "accuracy" else ""
            print(f"| {name} | {label} | {scale * v.mean():.2f}{unit} | {scale * v.std(ddof=1) / np.sqrt(k):.2f} | "
                  f"{scale * d.mean():+.2f} | {scale * d.std(ddof=1) / np.sqrt(k):.2f} |", flush=True)


if __name__ == "__main__":
    main()
