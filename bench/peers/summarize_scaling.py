"""Reads what bench/peers/run_scaling_peers.sh collected (wW--elbo.json and wW--jax.json
for each width W) and writes scaling.csv, a Markdown table (stdout) and scaling.png
(gnuplot, log-log: steps/s against parameters, elbo and JAX).

Usage: summarize_scaling.py RESULTS_DIR
"""
import json
import re
import subprocess
import sys
from pathlib import Path


def load(path):
    if not path.exists():
        return None
    for line in reversed(path.read_text().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: summarize_scaling.py RESULTS_DIR")
    out = Path(sys.argv[1])
    rows = []
    for f in out.glob("w*--jax.json"):
        w = int(re.match(r"w(\d+)--jax\.json", f.name).group(1))
        j, e = load(f), load(out / f"w{w}--elbo.json")
        if j is None or e is None:
            raise SystemExit(f"summarize_scaling.py: width {w}: a run failed (see {out}/w{w}--*.log)")
        rows.append((j["parameters"], w, e["steps_per_s"], j["steps_per_s"], e["test_accuracy"], j["test_accuracy"]))
    if not rows:
        raise SystemExit(f"summarize_scaling.py: no results in {out}")
    rows.sort()
    if (out / "env.txt").exists():
        print((out / "env.txt").read_text().rstrip())
        print()
    with open(out / "scaling.csv", "w") as csv:
        csv.write("parameters,width,elbo_steps_per_s,jax_steps_per_s\n")
        for p, w, e, j, _, _ in rows:
            csv.write(f"{p},{w},{e:.6g},{j:.6g}\n")
    print("| network | parameters | elbo steps/s | JAX steps/s | elbo/JAX | test accuracy (elbo / JAX) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for p, w, e, j, ea, ja in rows:
        print(f"| 64-{w}-{w}-10 | {p:,} | {e:,.1f} | {j:,.1f} | **{e / j:.2f}x** | {100 * ea:.1f}% / {100 * ja:.1f}% |")
    script = f"""
set terminal pngcairo size 800,520
set output '{out / "scaling.png"}'
set datafile separator ','
set logscale xy
set xlabel 'variational parameters / 2 (weights and biases)'
set ylabel 'steps per second (one thread)'
set title 'Mean-field ADVI step, 64-W-W-10, 128 rows per step, float32'
set key top right
set grid
plot '{out / "scaling.csv"}' every ::1 using 1:3 with linespoints lw 2 title 'elbo fit', \\
     '' every ::1 using 1:4 with linespoints lw 2 title 'JAX (jit + lax.scan)'
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"(no scaling.png: gnuplot failed: {err})", file=sys.stderr)


if __name__ == "__main__":
    main()
