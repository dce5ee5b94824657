#!/usr/bin/env python3
"""Issue #18's comparison (docs/DIAGNOSTICS.md): PSIS k-hat, test score and wall time of
`elbo fit` with mean-field ADVI, full-rank ADVI, Pathfinder (4 paths and 1) and Laplace on
three data sets, each with the command line's defaults; then Pathfinder as ADVI's
initialisation on the tutorial's moons and on digits: steps and wall time to reach the
ELBO that the default start reaches at the end.

    bench/peers/.venv/bin/python bench/diagnostics/compare_methods.py --elbo build/bin/elbo \\
        --out build-diagnostics

Data: the tutorial's moons (make_moons(1000, noise 0.2), half for training, as PyMC's
tutorial), scikit-learn's breast cancer (569 rows, 30 features, half for training) and the
UCI concrete set's published split 0 (../shared/data/uci, 90 % training). Digits (1797 rows,
64 features, 10 classes, 70 % training) for the initialisation only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import scale

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_csv(path, x, y):
    names = [f"x{i}" for i in range(x.shape[1])] + ["y"]
    np.savetxt(path, np.c_[x, y], delimiter=",", header=",".join(names), comments="", fmt="%.10g")


def make_data(out, uci):
    sets = {}
    x, y = make_moons(1000, noise=0.2, random_state=0)
    xtr, xte, ytr, yte = train_test_split(scale(x), y, test_size=0.5, random_state=0)
    sets["moons (tutorial)"] = (xtr, xte, ytr, yte)
    bc = load_breast_cancer()
    xtr, xte, ytr, yte = train_test_split(bc.data, bc.target, test_size=0.5, random_state=0)
    sets["breast cancer"] = (xtr, xte, ytr, yte)
    folder = os.path.join(uci, "concrete")
    data = np.loadtxt(os.path.join(folder, "data.txt"))
    feat = np.loadtxt(os.path.join(folder, "index_features.txt"), dtype=int)
    targ = int(np.loadtxt(os.path.join(folder, "index_target.txt")))
    tr = np.loadtxt(os.path.join(folder, "index_train_0.txt"), dtype=int)
    te = np.loadtxt(os.path.join(folder, "index_test_0.txt"), dtype=int)
    sets["concrete (UCI, split 0)"] = (data[tr][:, feat], data[te][:, feat], data[tr, targ], data[te, targ])
    dg = load_digits()
    xtr, xte, ytr, yte = train_test_split(dg.data, dg.target, test_size=0.3, random_state=0)
    sets["digits"] = (xtr, xte, ytr, yte)
    paths = {}
    for i, (name, (xtr, xte, ytr, yte)) in enumerate(sets.items()):
        tr_path, te_path = os.path.join(out, f"set{i}_train.csv"), os.path.join(out, f"set{i}_test.csv")
        write_csv(tr_path, xtr, ytr)
        write_csv(te_path, xte, yte)
        paths[name] = (tr_path, te_path, len(ytr))
    return paths


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout, seconds


METHODS = [
    ("mean-field ADVI", ["--method", "advi"]),
    ("full-rank ADVI", ["--method", "fullrank_advi"]),
    ("Pathfinder, 4 paths", ["--method", "pathfinder"]),
    ("Pathfinder, 1 path", ["--method", "pathfinder", "--paths", "1"]),
    ("Laplace (last layer, full)", ["--method", "laplace"]),
    ("Laplace (all, diag)", ["--method", "laplace", "--subset", "all", "--hessian", "diag",
                             "--predictive", "sampled"]),
    ("Laplace (all, diag, linearised)", ["--method", "laplace", "--subset", "all", "--hessian", "diag"]),
    ("Laplace (all, full, linearised)", ["--method", "laplace", "--subset", "all", "--hessian", "full"]),
    ("Laplace (all, kron, linearised)", ["--method", "laplace", "--subset", "all", "--hessian", "kron"]),
    # The variants that are level with ADVI over 40 breast-cancer splits (repeated_splits.py).
    ("Laplace (all, diag, linearised, 10 evidence iterations)",
     ["--method", "laplace", "--subset", "all", "--hessian", "diag", "--evidence-iterations", "10"]),
    ("Pathfinder, 4 paths, --prior-scale evidence", ["--method", "pathfinder", "--prior-scale", "evidence"]),
]


def compare(elbo, out, data, threads):
    rows = []
    for name in ["moons (tutorial)", "breast cancer", "concrete (UCI, split 0)"]:
        train, test, n = data[name]
        for label, args in METHODS:
            model = os.path.join(out, f"{len(rows)}.elbo")
            text, seconds = run([elbo, "fit", "--recipe", "single", "--train", train, "--out", model, "--seed", "1",
                                 "--threads", str(threads)] + args)
            k = re.search(r"PSIS k-hat: ([-a-z0-9.]+)", text)
            ev, _ = run([elbo, "evaluate", "--model", model, "--data", test, "--json"])
            ev = json.loads(ev)
            score = f"accuracy {100 * ev['accuracy']:.1f}%" if "accuracy" in ev else f"RMSE {ev['rmse']:.2f}"
            rows.append((name, label, k.group(1) if k else "-", score, ev["mlpd"], seconds))
            print(f"{name} | {label} | k-hat {rows[-1][2]} | {score} | {seconds:.2f} s", file=sys.stderr)
    return rows


def loss_history(path):
    return np.loadtxt(path, delimiter=",", skiprows=1)[:, 1]


def init_measurement(elbo, out, data, threads):
    results = []
    for name, hidden, steps in [("moons (tutorial)", "5,5", 5000), ("digits", "32,32", 3000)]:
        train, _, _ = data[name]
        runs = {}
        for init in ["default", "pathfinder"]:
            hist = os.path.join(out, f"hist_{init}.csv")
            text, seconds = run([elbo, "fit", "--recipe", "single", "--train", train, "--out",
                                 os.path.join(out, "init.elbo"), "--hidden", hidden, "--iters", str(steps), "--seed",
                                 "1", "--threads", str(threads), "--init", init, "--loss-history", hist,
                                 "--psis-draws", "0"])
            fit_s = float(re.search(r"fitted: \d+ steps in ([0-9.]+) s", text).group(1))
            m = re.search(r"initialisation: pathfinder, .* ([0-9.]+) s\n", text)
            runs[init] = (loss_history(hist), fit_s, float(m.group(1)) if m else 0.0)
        base = runs["default"][0]
        target = base[-steps // 10:].mean()  # the default start's loss at the end
        for init, (h, fit_s, init_s) in runs.items():
            running = np.convolve(h, np.ones(100) / 100, mode="valid")
            hit = np.nonzero(running <= target)[0]
            step = int(hit[0]) + 100 if hit.size else None
            per_step = fit_s / steps
            results.append((name, init, target, step, init_s, None if step is None else init_s + step * per_step))
            print(f"{name} | {init} | target loss {target:.2f} | steps {step} | init {init_s:.2f} s", file=sys.stderr)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--elbo", default=os.path.join(ROOT, "build", "bin", "elbo"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build-diagnostics"))
    ap.add_argument("--uci", default=os.path.join(ROOT, "..", "shared", "data", "uci"))
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    data = make_data(a.out, a.uci)
    rows = compare(a.elbo, a.out, data, a.threads)
    print("| data | method | PSIS k-hat | test score | test mlpd | wall time |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, label, k, score, mlpd, s in rows:
        print(f"| {name} | {label} | {k} | {score} | {mlpd:.3f} | {s:.2f} s |")
    print()
    init = init_measurement(a.elbo, a.out, data, a.threads)
    print("| data | start | target loss | steps to reach it | Pathfinder time | wall time to reach it |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, start, target, step, init_s, total in init:
        steps = "not reached" if step is None else str(step)
        wall = "-" if total is None else f"{total:.2f} s"
        print(f"| {name} | {start} | {target:.2f} | {steps} | {init_s:.2f} s | {wall} |")


if __name__ == "__main__":
    main()
