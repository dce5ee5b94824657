"""Reads what bench/peers/run_size_peers.sh collected and prints the comparison as Markdown.

Usage: summarize_sizes.py RESULTS_DIR
RESULTS_DIR holds env.txt, rows.txt (one row a line: NAME|LABEL) and, per row NAME and
round R (1, 2, ...), the JSON lines NAME--elbo-1.rR.json, NAME--jax-1.rR.json (one thread
each, pinned to one CPU), NAME--elbo-2.rR.json (elbo --threads 2) and NAME--jax-all.rR.json
(JAX with XLA's default threads), and once NAME--jax-flags.json (JAX with the one-thread
XLA_FLAGS, not pinned). A missing or empty file (a run that failed) shows as "failed".

Each steps/s figure is the median over the rounds. Each ratio is the median over the
rounds of that round's own ratio (above 1: elbo is faster, or two threads are faster than
one): the runs of a round are minutes apart at most, so a burst of load on a shared host
moves both sides of it. A median of two is their mean.
"""
import json
import statistics
import sys
from pathlib import Path

KINDS = ("elbo-1", "jax-1", "elbo-2", "jax-all")


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

    def rounds_of(name):
        found = sorted({int(p.name.rsplit(".r", 1)[1][:-5]) for k in KINDS for p in out.glob(f"{name}--{k}.r*.json")
                        if p.name.rsplit(".r", 1)[1][:-5].isdigit()})
        return found or [1]

    runs = {}
    for name, _ in rows:
        rs = rounds_of(name)
        runs[name] = {k: [load(out / f"{name}--{k}.r{r}.json") for r in rs] for k in KINDS}
        runs[name]["jax-flags"] = load(out / f"{name}--jax-flags.json")

    def rate(x):
        return x["steps_per_s"] if x else None

    def median_rate(r, kind):
        ok = [rate(x) for x in r[kind] if x]
        return statistics.median(ok) if ok else None

    def median_ratio(r, num, den):
        ok = [rate(a) / rate(b) for a, b in zip(r[num], r[den]) if a and b]
        return statistics.median(ok) if ok else None

    def steps(r):
        for k in KINDS:
            for x in r[k]:
                if x:
                    return f"{x['steps']:,}"
        return "n/a"

    def fmt_x(v):
        if v is None:
            return "n/a"
        return f"**{v:.2f}x**" if v < 10 else f"**{v:.0f}x**"

    print("steps/s: elbo's as `elbo fit` reports it; JAX's over one timed call of the compiled lax.scan; each the "
          "median over the rounds. Ratios: the median of the rounds' own ratios; elbo/JAX above 1: elbo is faster.")
    print()
    print("| row | steps | rounds | elbo, 1 thread | JAX, 1 thread | elbo/JAX, 1 thread | elbo, 2 threads "
          "| elbo 2 threads / 1 thread | JAX, all threads | elbo/JAX, all threads | test accuracy (elbo / JAX) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label in rows:
        r = runs[name]
        e1, j1, e2, ja = (median_rate(r, k) for k in KINDS)
        first_e = next((x for x in r["elbo-1"] if x), None)
        first_j = next((x for x in r["jax-1"] if x), None)
        acc_e = first_e["test_accuracy"] if first_e else None
        acc_j = first_j["test_accuracy"] if first_j else None
        print(f"| {label} | {steps(r)} | {len(r['elbo-1'])} | {fmt_rate(e1)} | {fmt_rate(j1)} "
              f"| {fmt_x(median_ratio(r, 'elbo-1', 'jax-1'))} | {fmt_rate(e2)} "
              f"| {fmt_x(median_ratio(r, 'elbo-2', 'elbo-1'))} | {fmt_rate(ja)} "
              f"| {fmt_x(median_ratio(r, 'elbo-2', 'jax-all'))} | {pct(acc_e)} / {pct(acc_j)} |")
    print()

    print("Every round (steps/s): elbo 1 thread, JAX 1 thread, elbo 2 threads, JAX all threads. elbo as a whole "
          "process (its first round): the fit's own seconds / the process's wall / CPU seconds (reading and "
          "standardising the data, the model, the fit, the training score on all training rows, with as many draws "
          "as cost less than the fit (10 to 200), the model file). JAX: steps/s with run_peers.sh's one-thread "
          "XLA_FLAGS but not pinned to one CPU, and CPU time over wall time of each timed call in the first round "
          "(1.00: one core busy); the compilation left out.")
    print()
    print("| row | parameters | rounds: elbo-1 / JAX-1 / elbo-2 / JAX-all (steps/s) | elbo fit / process wall / process "
          "CPU (s), 1 thread | the same, 2 threads | JAX, XLA_FLAGS only (steps/s) | JAX CPU/wall: pinned / XLA_FLAGS "
          "only / all threads | JAX compile (s): pinned / all threads |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label in rows:
        r = runs[name]
        each = "; ".join(" / ".join(fmt_rate(rate(r[k][i])) for k in KINDS) for i in range(len(r["elbo-1"])))
        first = {k: next((x for x in r[k] if x), None) for k in KINDS}
        params = next((f"{x['parameters']:,}" for x in (first["jax-1"], first["jax-all"], r["jax-flags"]) if x), "n/a")

        def proc(x):
            return "failed" if x is None else (f"{x['fit_seconds']:.2f} / {x['process_wall_seconds']:.2f} / "
                                               f"{x['process_cpu_seconds']:.2f}")

        def cpu_wall(x):
            return "failed" if x is None else f"{x['cpu_seconds'] / x['seconds']:.2f}"

        cw = " / ".join(cpu_wall(x) for x in (first["jax-1"], r["jax-flags"], first["jax-all"]))
        comp = " / ".join("failed" if x is None else f"{x['compile_seconds']:.2f}"
                          for x in (first["jax-1"], first["jax-all"]))
        print(f"| {label} | {params} | {each} | {proc(first['elbo-1'])} | {proc(first['elbo-2'])} "
              f"| {fmt_rate(rate(r['jax-flags']))} | {cw} | {comp} |")
    print()
    first = next((x for r in runs.values() for x in r["elbo-1"] if x and x["impl"] == "elbo"), None)
    if first:
        print(f"elbo's command (first row, first run): `{first['command']}`")


if __name__ == "__main__":
    main()
