"""Reads the JSON lines that run_family_peers.sh collected and prints the comparison of the
approximating families as Markdown.

Usage: summarize_families.py RESULTS_DIR
RESULTS_DIR holds, per pairing P in fullrank, svgd, lowrank, iaf: elbo-P-1.json,
elbo-P-2.json, ... (elbo's runs before and after the peer's) and peer-P.json, plus env.txt.
"elbo faster" is the peer's time per step divided by the median of elbo's runs of that
pairing, for the wall clock and the process CPU clock alike. A missing file (a failed run)
leaves its row marked as such.
"""
import json
import statistics
import sys
from pathlib import Path

PAIRINGS = [  # name, label
    ("fullrank", "full-rank Gaussian"),
    ("svgd", "SVGD"),
    ("lowrank", "low-rank + diagonal Gaussian"),
    ("iaf", "inverse autoregressive flow"),
]


def load(path):
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"summarize_families.py: no JSON line in {path}")


def ratio(x):
    return f"{x:.0f}x" if x >= 9.5 else f"{x:.2g}x"


def side(r):
    name = r["impl"] + (" " + r["version"] if "version" in r else "")
    what = r["method"] + (f" ({r['settings']})" if r.get("settings") else "")
    return name, what


def main():
    out = Path(sys.argv[1])
    if (out / "env.txt").exists():
        print((out / "env.txt").read_text().rstrip())
        print()
    print("| family | elbo | peer | optimizer | steps | elbo µs/step (wall / CPU) | peer µs/step (wall / CPU) "
          "| elbo faster (wall) | elbo faster (CPU) | test accuracy (elbo / peer) "
          "| compilation, left out (s): elbo / peer | whole fit call (s): elbo / peer |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    notes, timings = [], {}
    for pair, label in PAIRINGS:
        elbo_runs = [load(p) for p in sorted(out.glob(f"elbo-{pair}-*.json"))]
        peer_path = out / f"peer-{pair}.json"
        peer = load(peer_path) if peer_path.exists() else None
        if not elbo_runs or peer is None:
            missing = ("elbo" if not elbo_runs else "") + (" and " if not elbo_runs and peer is None else "") + (
                "the peer" if peer is None else "")
            print(f"| {label} | | | | | | | | | (no result: {missing} failed) | | |")
            continue
        e_wall = statistics.median(r["full"]["us_per_step"] for r in elbo_runs)
        e_cpu = statistics.median(r["full"]["cpu_us_per_step"] for r in elbo_runs)
        e_acc = statistics.median(r["full"]["test_accuracy"] for r in elbo_runs)
        e_whole = statistics.median(r["full"]["wall_seconds"] for r in elbo_runs)
        e_warm = statistics.median(r["full"]["warmup_seconds"] for r in elbo_runs)
        f = peer["full"]
        ename, ewhat = side(elbo_runs[0])
        pname, pwhat = side(peer)
        opt = elbo_runs[0]["optimizer"]
        if peer["optimizer"] != opt:
            opt += f" / {peer['optimizer']}"
        print(f"| {label} | {ewhat} | {pname}: {pwhat} | {opt} | {f['steps']} | {e_wall:.1f} / {e_cpu:.1f} "
              f"| {f['us_per_step']:.1f} / {f['cpu_us_per_step']:.1f} "
              f"| **{ratio(f['us_per_step'] / e_wall)}** | **{ratio(f['cpu_us_per_step'] / e_cpu)}** "
              f"| {100 * e_acc:.1f}% / {100 * f['test_accuracy']:.1f}% | {e_warm:.3f} / {f['warmup_seconds']:.2f} "
              f"| {e_whole:.2f} / {f['wall_seconds']:.2f} |")
        walls = ", ".join("%.1f" % r["full"]["us_per_step"] for r in elbo_runs)
        cpus = ", ".join("%.1f" % r["full"]["cpu_us_per_step"] for r in elbo_runs)
        accs = ", ".join("%.1f%%" % (100 * r["full"]["test_accuracy"]) for r in elbo_runs)
        notes.append(f"- {label}: elbo's {len(elbo_runs)} runs (before and after the peer): wall {walls} µs/step; "
                     f"CPU {cpus} µs/step; test accuracy {accs}; {elbo_runs[0]['variational_params']} variational "
                     f"parameters ({elbo_runs[0]['approximation']})")
        timings.setdefault("elbo", elbo_runs[0]["full"]["timing"])
        timings.setdefault(peer["impl"], f["timing"])
    print()
    print("elbo's figure in each row is the median of its runs in that pairing:")
    print()
    print("\n".join(notes))
    print()
    print("How each side's time was taken:")
    print()
    for impl, t in timings.items():
        print(f"- {impl}: {t}")


if __name__ == "__main__":
    main()
