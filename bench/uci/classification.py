#!/usr/bin/env python3
"""Classification side of the fit-quality benchmark (issue #19): the tutorial's moons and
sklearn's 8x8 digits, fitted with one recipe through the `elbo` command line.

- moons: make_moons(1000, noise 0.2, random_state r) standardised, half for training, for
  r = 0, 1, 2 (the tutorial's data is r = 0), network 5-5 (the CLI's default);
- digits: load_digits, 70 % / 30 % split (random_state 0; 1257 training rows), network 32-32.

Prints test accuracy, ECE and mlpd (`elbo evaluate --json`) and the fit's wall time per
problem, for every `--methods` entry. Needs numpy and scikit-learn (the peer benchmarks'
venv: bench/peers/setup_env.sh). Example:

    bench/peers/.venv/bin/python bench/uci/classification.py --out /tmp/cls
    bench/peers/.venv/bin/python bench/uci/classification.py --out /tmp/cls --methods advi,fullrank_advi
"""
import argparse
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import scale

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_csv(path, x, y):
    names = [f"x{i}" for i in range(x.shape[1])] + ["y"]
    np.savetxt(path, np.c_[x, y], delimiter=",", header=",".join(names), comments="", fmt="%.10g")


def problems(out):
    sets = []
    for r in range(3):
        x, y = make_moons(1000, noise=0.2, random_state=r)
        xtr, xte, ytr, yte = train_test_split(scale(x), y, test_size=0.5, random_state=r)
        sets.append((f"moons r={r}", xtr, xte, ytr, yte, "5,5"))
    dg = load_digits()
    xtr, xte, ytr, yte = train_test_split(dg.data, dg.target, test_size=0.3, random_state=0)
    sets.append(("digits", xtr, xte, ytr, yte, "32,32"))
    paths = []
    for i, (name, xtr, xte, ytr, yte, hidden) in enumerate(sets):
        tr, te = os.path.join(out, f"c{i}_train.csv"), os.path.join(out, f"c{i}_test.csv")
        write_csv(tr, xtr, ytr)
        write_csv(te, xte, yte)
        paths.append((name, tr, te, hidden))
    return paths


def run_one(args, name, tr, te, hidden, method, i):
    model = os.path.join(args.out, f"m{i}_{method}.elbo")
    # k-hat is not scored here (multi-path pathfinder's is its resampling's and always runs).
    no_khat = [] if method == "pathfinder" else ["--psis-draws", "0"]
    cmd = [args.elbo, "fit", "--train", tr, "--out", model, "--hidden", hidden, "--method", method, "--threads", "1"
           ] + no_khat + args.fit_args.split()
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{name} {method}: elbo fit failed:\n{p.stderr}")
    steps = next((line.split(" in ")[0].replace("fitted: ", "") for line in p.stdout.splitlines()
                  if line.startswith("fitted:")), "")
    e = subprocess.run([args.elbo, "evaluate", "--model", model, "--data", te, "--json", "--threads", "1"],
                       capture_output=True, text=True)
    if e.returncode != 0:
        raise RuntimeError(f"{name} {method}: elbo evaluate failed:\n{e.stderr}")
    j = json.loads(e.stdout)
    return name, method, j["accuracy"], j["ece"], j["mlpd"], seconds, steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elbo", default=os.path.join(ROOT, "build", "bin", "elbo"))
    ap.add_argument("--methods", default="advi", help="comma-separated --method values")
    ap.add_argument("--fit-args", default="", help="extra flags for elbo fit")
    ap.add_argument("--problems", default="moons,digits",
                    help="comma-separated: moons (the three moons sets), digits")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    kinds = set(args.problems.split(","))
    if not kinds <= {"moons", "digits"}:
        ap.error(f"--problems: expected moons and/or digits, got {args.problems!r}")
    paths = [p for p in problems(args.out) if p[0].split()[0] in kinds]
    with ThreadPoolExecutor(args.jobs) as pool:
        jobs = [pool.submit(run_one, args, name, tr, te, hidden, m, i)
                for i, (name, tr, te, hidden) in enumerate(paths) for m in args.methods.split(",")]
        rows = [j.result() for j in jobs]
    print(f"elbo fit {args.fit_args}".rstrip())
    print("| problem | method | accuracy | ECE | mlpd | fit s | steps |")
    print("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for name, method, acc, ece, mlpd, s, steps in rows:
        print(f"| {name} | {method} | {100 * acc:.1f} % | {ece:.3f} | {mlpd:.3f} | {s:.1f} | {steps} |")


if __name__ == "__main__":
    main()
