"""Reads what bench/peers/run_size_peers.sh collected and prints the comparison as Markdown.

Usage: summarize_sizes.py RESULTS_DIR
RESULTS_DIR holds env.txt, rows.txt (one row a line: NAME|LABEL) and, per row NAME, the
JSON lines NAME--elbo-1a.json, NAME--jax-1.json, NAME--elbo-1b.json (one thread each,
pinned to one CPU), NAME--jax-flags.json (JAX with the one-thread XLA_FLAGS, not pinned),
NAME--elbo-2.json (elbo --threads 2) and NAME--jax-all.json (JAX with XLA's default
threads). A missing or empty file (a run that failed) shows as "failed".

Ratios are elbo's steps/s divided by JAX's (above 1: elbo is faster). elbo's one-thread
figure is the mean of its two one-thread runs (their median), each its own reported steps/s.
"""
import json
import sys
from pathlib import Path


def load(path):
    if not path.exists():
        return None
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def fmt_rate(v):
    if v is None:
        return "failed"
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def fmt_ratio(a, b):
    if a is None or b is None:
        return "n/a"
    r = a / b
    return f"**{r:.2f}x**" if r < 10 else f"**{r:.0f}x**"


def pct(v):
    return "n/a" if v is None else f"{100 * v:.1f}%"


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: summarize_sizes.py RESULTS_DIR")
    out = Path(sys.argv[1])
    rows_file = out / "rows.txt"
    if not rows_file.exists():
        raise SystemExit(f"summarize_sizes.py: {rows_file} is missing")
    rows = []
    for line in rows_file.read_text().splitlines():
        if line.strip():
            name, _, label = line.partition("|")
            if not label:
                raise SystemExit(f"summarize_sizes.py: {rows_file}: bad line '{line}' (expected NAME|LABEL)")
            rows.append((name, label))
    if (out / "env.txt").exists():
        print((out / "env.txt").read_text().rstrip())
        print()

    runs = {name: {k: load(out / f"{name}--{k}.json") for k in ("elbo-1a", "jax-1", "elbo-1b", "jax-flags", "elbo-2", "jax-all")}
            for name, _ in rows}

    def elbo_one(r):
        ok = [x["steps_per_s"] for x in (r["elbo-1a"], r["elbo-1b"]) if x]
        return sum(ok) / len(ok) if ok else None

    def rate(x):
        return x["steps_per_s"] if x else None

    def steps(r):
        for x in r.values():
            if x:
                return f"{x['steps']:,}"
        return "n/a"

    print("steps/s: elbo's as `elbo fit` reports it; JAX's over one timed call of the compiled lax.scan. "
          "elbo/JAX above 1: elbo is faster.")
    print()
    print("| row | steps | elbo, 1 thread | JAX, 1 thread | elbo/JAX, 1 thread | elbo, 2 threads | JAX, all threads "
          "| elbo/JAX, all threads | test accuracy (elbo / JAX) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label in rows:
        r = runs[name]
        e1, j1, e2, ja = elbo_one(r), rate(r["jax-1"]), rate(r["elbo-2"]), rate(r["jax-all"])
        acc_e = r["elbo-1a"]["test_accuracy"] if r["elbo-1a"] else None
        acc_j = r["jax-1"]["test_accuracy"] if r["jax-1"] else None
        print(f"| {label} | {steps(r)} | {fmt_rate(e1)} | {fmt_rate(j1)} | {fmt_ratio(e1, j1)} | {fmt_rate(e2)} "
              f"| {fmt_rate(ja)} | {fmt_ratio(e2, ja)} | {pct(acc_e)} / {pct(acc_j)} |")
    print()

    print("Details. elbo: its two one-thread runs (steps/s), and `elbo fit` as a whole process: the fit's own "
          "seconds / the process's wall / CPU seconds (reading and standardising the data, the model, the fit, the "
          "training score on all training rows, with as many draws as cost less than the fit (10 to 200), the model file). JAX: steps/s with "
          "run_peers.sh's one-thread XLA_FLAGS but not pinned to one CPU, and CPU time over wall time of each timed "
          "call (1.00: one core busy); the compilation left out.")
    print()
    print("| row | parameters | elbo 1-thread runs (steps/s) | elbo fit / process wall / process CPU (s), 1 thread "
          "| the same, 2 threads | JAX, XLA_FLAGS only (steps/s) | JAX CPU/wall: pinned / XLA_FLAGS only / all "
          "threads | JAX compile (s): pinned / all threads |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label in rows:
        r = runs[name]
        e1 = ", ".join(fmt_rate(rate(r[k])) for k in ("elbo-1a", "elbo-1b"))
        params = next((f"{x['parameters']:,}" for x in (r["jax-1"], r["jax-all"], r["jax-flags"]) if x), "n/a")

        def proc(x):
            return "failed" if x is None else (f"{x['fit_seconds']:.2f} / {x['process_wall_seconds']:.2f} / "
                                               f"{x['process_cpu_seconds']:.2f}")

        def cpu_wall(x):
            return "failed" if x is None else f"{x['cpu_seconds'] / x['seconds']:.2f}"

        cw = " / ".join(cpu_wall(r[k]) for k in ("jax-1", "jax-flags", "jax-all"))
        comp = " / ".join("failed" if r[k] is None else f"{r[k]['compile_seconds']:.2f}" for k in ("jax-1", "jax-all"))
        print(f"| {label} | {params} | {e1} | {proc(r['elbo-1a'])} | {proc(r['elbo-2'])} "
              f"| {fmt_rate(rate(r['jax-flags']))} | {cw} | {comp} |")
    print()
    first = next((x for r in runs.values() for x in r.values() if x and x["impl"] == "elbo"), None)
    if first:
        print(f"elbo's command (first row, first run): `{first['command']}`")


if __name__ == "__main__":
    main()
