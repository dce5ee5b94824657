"""docs/SCALING.md's tables from bench/mpi/run_scaling.sh's results: the measured fits, the
allreduce's cost fitted as latency + bytes / bandwidth, and the cost model's predictions
for 8 to 64 machines.

Usage: summarize_scaling.py OUT_DIR   (fits.txt, allreduce.txt, env.txt)

The model of one step of a data-parallel fit on M machines with B rows per step in all:
    T(M) = c * B / M + A(M),   A(M) = 2 log2(M) * alpha + 2 (M - 1) / M * bytes / beta
c is the compute per row of the network (seconds per row per step, from one process; it
includes the step's fixed work, which is small beside thousands of rows), `bytes` the
allreduce's payload (16 bytes per weight, plus four 16-byte scalars), and alpha, beta the
network's latency and bandwidth (a ring allreduce's volume, a tree's rounds). alpha and
beta are measured locally (processes on one machine, through shared memory); the
predictions use a cluster's instead, stated below.
"""
import json
import math
import sys
from pathlib import Path

CLUSTER_ALPHA = 25e-6  # s per message round: MPI over TCP on 10-25 GbE
CLUSTER_BETA = 1.25e9  # bytes/s: 10 GbE
NETWORKS = [  # name in fits.txt, label, weights D
    ("2-5-5-1", "tutorial 2-5-5-1 (with biases)", 2 * 5 + 5 + 5 * 5 + 5 + 5 + 1 + 1),
    ("20-100-100-1", "20-100-100-1", 20 * 100 + 100 + 100 * 100 + 100 + 100 + 1 + 1),
    ("784-400-400-1", "784-400-400-10", 784 * 400 + 400 + 400 * 400 + 400 + 400 * 10 + 10),
]


def allreduce_time(machines, nbytes, alpha, beta):
    if machines == 1:
        return 0.0
    return 2 * math.log2(machines) * alpha + 2 * (machines - 1) / machines * nbytes / beta


def main():
    out = Path(sys.argv[1])
    fits = {}
    for line in (out / "fits.txt").read_text().split("\n"):
        parts = line.split()
        if len(parts) == 5:
            name, procs, rows, steps, seconds = parts
            fits[(name, int(procs))] = (int(rows), float(seconds), int(steps) / float(seconds))
    if (out / "env.txt").exists():
        print((out / "env.txt").read_text().rstrip())
        print()

    print("**Measured**: steps per second of `mpirun -np R elbo fit` on 10^6 rows x 20 features "
          "(2 cores: 4 processes are oversubscribed)")
    print()
    print("| network | processes | s per step | steps/s | speed-up | efficiency |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in ("20-50-1", "20-100-100-1"):
        if (name, 1) not in fits:
            continue
        base = fits[(name, 1)][2]
        for procs in (1, 2, 4):
            if (name, procs) in fits:
                rate = fits[(name, procs)][2]
                print(f"| {name} | {procs} | {1 / rate:.3f} | {rate:.2f} | {rate / base:.2f} | "
                      f"{rate / base / procs:.2f} |")
    print()

    samples = [json.loads(l) for l in (out / "allreduce.txt").read_text().splitlines() if l.startswith("{")]
    print("**Allreduce** (`mpi_allreduce_timing`, median of 50) by payload; alpha is the time of the "
          "smallest payload, beta the bandwidth of the largest beyond it")
    print()
    print("| processes | " + " | ".join(f"{s['bytes']:,} B" for s in samples if s["processes"] == 2) +
          " | alpha (µs) | beta (GB/s) |")
    print("| ---: |" + " ---: |" * (sum(1 for s in samples if s["processes"] == 2) + 2))
    local = {}
    for procs in sorted({s["processes"] for s in samples}):
        rows = [s for s in samples if s["processes"] == procs]
        alpha = rows[0]["median_seconds"]
        beta = rows[-1]["bytes"] / max(rows[-1]["median_seconds"] - alpha, 1e-12)
        local[procs] = (alpha, beta)
        print(f"| {procs} | " + " | ".join(f"{1e6 * s['median_seconds']:.1f} µs" for s in rows) +
              f" | {1e6 * alpha:.1f} | {beta / 1e9:.2f} |")
    print()

    print(f"**Predicted** speed-up on M machines (one process each) with B rows per step in all, "
          f"for a cluster network of alpha = {1e6 * CLUSTER_ALPHA:.0f} µs and beta = "
          f"{CLUSTER_BETA / 1e9:.2f} GB/s; compute per row c from one local process; "
          "B* = the rows per step at which each machine's compute equals the allreduce")
    print()
    print("| network | weights | c (µs/row) | B | M=8 | M=16 | M=32 | M=64 | B* at M=8 | B* at M=64 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label, weights in NETWORKS:
        if (name, 1) not in fits:
            continue
        rows, seconds, rate = fits[(name, 1)]
        c = 1.0 / rate / rows  # seconds per row per step
        nbytes = 16 * (weights + 4)
        for batch in (50, 500, 1000, 10000):
            speedups = []
            for machines in (8, 16, 32, 64):
                t1 = c * batch
                tm = c * batch / machines + allreduce_time(machines, nbytes, CLUSTER_ALPHA, CLUSTER_BETA)
                speedups.append(t1 / tm)
            hide = [machines * allreduce_time(machines, nbytes, CLUSTER_ALPHA, CLUSTER_BETA) / c for machines in (8, 64)]
            cells = " | ".join(f"**{s:.2f}**" if s < 1 else f"{s:.1f}" for s in speedups)
            print(f"| {label} | {weights:,} | {1e6 * c:.3f} | {batch:,} | {cells} | {hide[0]:,.0f} | {hide[1]:,.0f} |")
    print()
    print("Bold: slower than one machine.")


if __name__ == "__main__":
    main()
