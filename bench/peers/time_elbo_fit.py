"""elbo's side of bench/peers/run_size_peers.sh: runs `elbo fit` as a user would, times the
whole process, reads the fit's own steps/s from its output, then (outside the clock) runs
`elbo evaluate` on the test file for the test accuracy. Prints one JSON line.

Usage: time_elbo_fit.py --elbo BIN --train FILE --test FILE --out MODEL --steps N
                        --threads T [--hidden 32,32] [--batch-size B] [--no-bias]
                        [--likelihood categorical] [--seed S] [--lr 0.01] [--draws 100]

The command it runs:
  elbo fit --train FILE --out MODEL --likelihood L --hidden H --bias|--no-bias
           --optimizer adam --lr LR [--batch-size B] --iters N --psis-draws 0
           --threads T --seed S
Fields of the JSON line:
  steps_per_s, us_per_step: elbo's own figure, from the line "fitted: N steps in X s
    (Y steps/s)" (the wall time of Inference::fit): Y, or N / X where that has more digits
    (elbo prints X with 2 decimals and Y as a whole number: 200 steps in 12.79 s is
    "16 steps/s", 15.64 from N / X); reported_steps_per_s: Y as printed;
  fit_seconds: X of that line;
  process_wall_seconds, process_cpu_seconds: the whole `elbo fit` process (reading and
    standardising the data, building the model, the fit, the training-accuracy report on
    all training rows with as many draws as cost less than the fit (10 to 200), writing the
    model file), wall clock and user + system
    CPU time of the child (resource.getrusage(RUSAGE_CHILDREN));
  training_accuracy: what elbo fit printed; test_accuracy: `elbo evaluate --draws 100
    --json`'s (the posterior predictive mean over 100 draws, as peer_jax_mlp.py's).
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

FITTED = re.compile(r"^fitted: (\d+) steps in ([0-9.]+) s \(([0-9.]+) steps/s\)", re.M)
TRAINING = re.compile(r"^training accuracy: ([0-9.]+)%", re.M)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--elbo", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--hidden", default="32,32")
    p.add_argument("--batch-size", type=int, default=0, help="0: full batch")
    p.add_argument("--no-bias", action="store_true")
    p.add_argument("--likelihood", default="categorical", choices=("categorical", "bernoulli"))
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=100, help="elbo evaluate's posterior draws (test accuracy)")
    a = p.parse_args()
    if a.draws < 1:
        p.error("--draws must be >= 1")
    if a.steps < 1 or a.threads < 1 or a.batch_size < 0 or not a.lr > 0:
        p.error("--steps and --threads must be >= 1, --batch-size >= 0, --lr > 0")
    for f in (a.elbo, a.train, a.test):
        if not os.path.isfile(f):
            p.error(f"{f}: no such file")
    return a


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    a = parse_args()
    cmd = [a.elbo, "fit", "--recipe", "single", "--train", a.train, "--out", a.out, "--likelihood", a.likelihood,
           "--hidden", a.hidden, "--no-bias" if a.no_bias else "--bias", "--optimizer", "adam", "--lr", repr(a.lr)]
    if a.batch_size > 0:
        cmd += ["--batch-size", str(a.batch_size)]
    cmd += ["--iters", str(a.steps), "--psis-draws", "0", "--threads", str(a.threads), "--seed", str(a.seed)]

    c0, t0 = cpu_children(), time.perf_counter()
    fit = subprocess.run(cmd, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, cpu_children() - c0
    sys.stderr.write(fit.stdout + fit.stderr)
    if fit.returncode != 0:
        raise SystemExit(f"time_elbo_fit.py: `{' '.join(cmd)}` exited with {fit.returncode}")
    m = FITTED.search(fit.stdout)
    if not m:
        raise SystemExit("time_elbo_fit.py: no 'fitted: N steps in X s (Y steps/s)' line in elbo fit's output")
    steps, fit_s, reported = int(m.group(1)), float(m.group(2)), float(m.group(3))
    # elbo prints the seconds with 2 decimals and steps/s as a whole number: take the rate
    # from whichever is the more precise (a slow fit: N / seconds; a fast one: steps/s).
    steps_per_s = steps / fit_s if fit_s > 0 and 0.005 / fit_s < 0.5 / max(reported, 1e-9) else reported
    if steps != a.steps:
        raise SystemExit(f"time_elbo_fit.py: elbo fit ran {steps} steps, not {a.steps}")
    t = TRAINING.search(fit.stdout)
    network = re.search(r"^network: (.*)$", fit.stdout, re.M)

    ev_cmd = [a.elbo, "evaluate", "--model", a.out, "--data", a.test, "--draws", str(a.draws), "--threads",
              str(os.cpu_count() or 1), "--json"]
    ev = subprocess.run(ev_cmd, capture_output=True, text=True)
    if ev.returncode != 0:
        sys.stderr.write(ev.stdout + ev.stderr)
        raise SystemExit(f"time_elbo_fit.py: `{' '.join(ev_cmd)}` exited with {ev.returncode}")
    lines = [l for l in ev.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit(f"time_elbo_fit.py: no JSON in `{' '.join(ev_cmd)}`'s output")
    evaluation = json.loads(lines[-1])
    if "accuracy" not in evaluation:
        raise SystemExit(f"time_elbo_fit.py: `elbo evaluate --json` gave no accuracy: {lines[-1]}")

    rec = {"impl": "elbo", "threads": a.threads, "dtype": "float32", "optimizer": f"adam({a.lr:g})",
           "network": network.group(1) if network else "", "hidden": a.hidden, "bias": not a.no_bias,
           "batch_size": a.batch_size, "steps": steps, "steps_per_s": steps_per_s, "us_per_step": 1e6 / steps_per_s,
           "reported_steps_per_s": reported,
           "fit_seconds": fit_s, "process_wall_seconds": wall, "process_cpu_seconds": cpu,
           "training_accuracy": float(t.group(1)) / 100 if t else None,
           "test_accuracy": float(evaluation["accuracy"]), "command": " ".join(cmd),
           "timing": "elbo fit's own 'fitted: ... steps/s' (Inference::fit, wall clock); the process timed whole "
                     "as well"}
    sys.stdout.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
