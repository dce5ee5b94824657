"""The Python package against the C++ library, and the Python peers, from
run_python_peers.sh's results: Markdown for docs/PERFORMANCE.md.

Usage: summarize_python.py RESULTS_DIR
RESULTS_DIR holds elbo-N.json (the C++ program) and elbo-python-N.json (the package),
run alternately, and numpyro.json and pymc.json. Ratios are medians over the runs of one
session: Python's time / C++'s time (the targets: whole fit <= 1.05, sample_node <= 1.1).
"""
import json
import statistics
import sys
from pathlib import Path


def load(path):
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"summarize_python.py: no JSON line in {path}")


def med(runs, fit, key):
    return statistics.median(r[fit][key] for r in runs)


def main():
    out = Path(sys.argv[1])
    cpp = [load(p) for p in sorted(out.glob("elbo-[0-9]*.json"))]
    py = [load(p) for p in sorted(out.glob("elbo-python-[0-9]*.json"))]
    peers = [load(out / f"{n}.json") for n in ("numpyro", "pymc") if (out / f"{n}.json").exists()]
    if not cpp or not py:
        raise SystemExit("summarize_python.py: need elbo-N.json and elbo-python-N.json runs")
    if (out / "env.txt").exists():
        print((out / "env.txt").read_text().rstrip())
        print()
    for fit, title in (("full", "Full batch (500 rows, 30000 steps)"), ("minibatch", "Minibatch (50 rows, 40000 steps)")):
        print(f"**{title}**: medians of {len(cpp)} C++ and {len(py)} Python runs, alternated")
        print()
        print("| implementation | whole fit (s) | of which compile (s) | µs/step (wall) | µs/step (CPU) "
              "| sample_node, 500 draws x 500 rows (ms) | test accuracy | time / elbo C++ (whole fit) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        base = med(cpp, fit, "wall_seconds")
        rows = [("elbo, C++ library", cpp, True), ("elbo, Python package", py, True)]
        for name, runs, has_predict in rows:
            whole = med(runs, fit, "wall_seconds")
            predict = f"{1e3 * med(runs, fit, 'predict_seconds'):.3f}" if has_predict else "-"
            print(f"| {name} | {whole:.3f} | {med(runs, fit, 'warmup_seconds'):.3f} | {med(runs, fit, 'us_per_step'):.2f} "
                  f"| {med(runs, fit, 'cpu_us_per_step'):.2f} | {predict} | {100 * med(runs, fit, 'test_accuracy'):.1f}% "
                  f"| {whole / base:.3f} |")
        for p in peers:
            f = p[fit]
            print(f"| {p['impl']} {p.get('version', '')} | {f['wall_seconds']:.2f} | {f['warmup_seconds']:.2f} "
                  f"| {f['us_per_step']:.1f} | {f['cpu_us_per_step']:.1f} | - | {100 * f['test_accuracy']:.1f}% "
                  f"| {f['wall_seconds'] / base:.1f} |")
        ratio_fit = med(py, fit, "wall_seconds") / base
        ratio_pred = med(py, fit, "predict_seconds") / med(cpp, fit, "predict_seconds")
        print()
        print(f"Python / C++: whole fit **{ratio_fit:.3f}x** (target <= 1.05), "
              f"sample_node **{ratio_pred:.3f}x** (target <= 1.1).")
        print()


if __name__ == "__main__":
    main()
