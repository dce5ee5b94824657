"""Reads the JSON lines that run_peers.sh collected and prints the comparison as Markdown.

Usage: summarize.py RESULTS_DIR
RESULTS_DIR holds elbo-1.json, elbo-2.json, ... (elbo runs spread through the session)
and numpyro.json, pymc.json, pytorch.json (one line each), and env.txt.
Ratios are peer time per step / elbo time per step ("elbo is N times faster"), against the
median of the elbo runs of the same session, for the wall clock and the CPU clock alike.
"""
import json
import statistics
import sys
from pathlib import Path


def load(path):
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"summarize.py: no JSON line in {path}")


def main():
    out = Path(sys.argv[1])
    elbo_runs = [load(p) for p in sorted(out.glob("elbo-*.json"))]
    peers = [load(out / f"{n}.json") for n in ("numpyro", "pymc", "pytorch") if (out / f"{n}.json").exists()]
    if not elbo_runs:
        raise SystemExit("summarize.py: no elbo run")
    if (out / "env.txt").exists():
        print((out / "env.txt").read_text().rstrip())
        print()

    for fit, title in (("full", "Full batch (500 rows)"), ("minibatch", "Minibatch (50 rows per step)")):
        e_wall = statistics.median(r[fit]["us_per_step"] for r in elbo_runs)
        e_cpu = statistics.median(r[fit]["cpu_us_per_step"] for r in elbo_runs)
        walls = ", ".join("%.1f" % r[fit]["us_per_step"] for r in elbo_runs)
        cpus = ", ".join("%.1f" % r[fit]["cpu_us_per_step"] for r in elbo_runs)
        print(f"**{title}**, elbo = median of {len(elbo_runs)} runs in this session "
              f"(wall {walls} µs/step; CPU {cpus} µs/step)")
        print()
        print("| peer | optimizer | steps | µs/step (wall) | µs/step (CPU) | steps/s (wall) | steps/s (CPU) "
              "| elbo faster (wall) | elbo faster (CPU) | test accuracy | left out: compile / warm-up (s) "
              "| whole fit call (s) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        accs = statistics.median(r[fit]["test_accuracy"] for r in elbo_runs)
        e = elbo_runs[0][fit]
        print(f"| elbo (median) | {elbo_runs[0]['optimizer']} | {e['steps']} | {e_wall:.1f} | {e_cpu:.1f} "
              f"| {1e6 / e_wall:,.0f} | {1e6 / e_cpu:,.0f} | 1 | 1 | {100 * accs:.1f}% | {statistics.median(r[fit]['warmup_seconds'] for r in elbo_runs):.2f} "
              f"| {statistics.median(r[fit]['wall_seconds'] for r in elbo_runs):.2f} |")
        rows = [(p, p[fit], p["impl"] + " " + p.get("version", "")) for p in peers]
        if fit == "minibatch":  # NumPyro's second minibatch fit, rows drawn with replacement
            rows = [(p, p[fit], n + (" (plate subsample_size)" if "minibatch_randint" in p else "")) for p, _, n in rows]
            rows[1:1] = [(p, p["minibatch_randint"], p["impl"] + " " + p.get("version", "") + " (randint rows)")
                         for p in peers if "minibatch_randint" in p]
        for p, f, name in rows:
            print(f"| {name} | {p['optimizer']} | {f['steps']} | {f['us_per_step']:.1f} | {f['cpu_us_per_step']:.1f} "
                  f"| {f['steps_per_s']:,.0f} | {1e6 / f['cpu_us_per_step']:,.0f} "
                  f"| **{f['us_per_step'] / e_wall:.0f}x** | **{f['cpu_us_per_step'] / e_cpu:.0f}x** "
                  f"| {100 * f['test_accuracy']:.1f}% | {f['warmup_seconds']:.2f} | {f['wall_seconds']:.2f} |")
        print()
    print("How each peer's time was taken:")
    print()
    for r in [elbo_runs[0]] + peers:
        print(f"- {r['impl']}: {r['full']['timing']}")


if __name__ == "__main__":
    main()
