"""Helpers shared by the peer scripts: the data files, accuracy, the JSON result line.

Every peer prints exactly one JSON line on stdout with the same fields as elbo's
bench/tutorial_fit_timing, so summarize.py can put them in one table:
  {"impl": ..., "dtype": "float32", "threads": 1, ..., "full": FIT, "minibatch": FIT}
  FIT = {"steps", "seconds", "steps_per_s", "us_per_step", "cpu_seconds", "cpu_us_per_step",
         "test_accuracy", "final_loss", "wall_seconds", "warmup_seconds", "timing"}
"seconds" is the wall time of the steps alone (compilation excluded where separable;
"timing" says how), "cpu_seconds" the process CPU time over the same interval (less
sensitive to other work on a shared machine); "wall_seconds" is the whole fit call as the
user sees it, and "warmup_seconds" the compilation or warm-up left out of "seconds".
"""
import csv
import json
import sys


def read_xy(path):
    """Rows of (x1, x2) and labels from a CSV written by make_data.py, as Python lists."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    x = [[float(r["x1"]), float(r["x2"])] for r in rows]
    y = [float(r["y"]) for r in rows]
    return x, y


def accuracy_from_probs(probs, y):
    """probs: [draws][rows] (any nested sequence / array); label = mean prob > 0.5."""
    rows = len(y)
    draws = len(probs)
    ok = 0
    for r in range(rows):
        m = sum(float(probs[d][r]) for d in range(draws)) / draws
        ok += (1.0 if m > 0.5 else 0.0) == (1.0 if y[r] > 0.5 else 0.0)
    return ok / rows


def fit_record(steps, seconds, cpu_seconds, accuracy, final_loss, wall_seconds, warmup_seconds, timing):
    return {
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": steps / seconds,
        "us_per_step": 1e6 * seconds / steps,
        "cpu_seconds": cpu_seconds,
        "cpu_us_per_step": 1e6 * cpu_seconds / steps,
        "test_accuracy": accuracy,
        "final_loss": final_loss,
        "wall_seconds": wall_seconds,
        "warmup_seconds": warmup_seconds,
        "timing": timing,
    }


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def parse_args(description, full_default, minibatch_default):
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--full-steps", type=int, default=full_default)
    p.add_argument("--minibatch-steps", type=int, default=minibatch_default)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=500)
    return p.parse_args()
