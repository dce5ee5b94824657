"""Writes the data-parallel benchmark's training file: N rows of F standard-normal features
and a target y = sin(x0) + 0.5 x1 (- 0.3 x2 x3 with 4 features or more) + 0.1 noise, as a
float32 NPY array
[N, F + 1] (the target last). Standard library only, seeded, so every run writes the same
bytes.

    python3 bench/mpi/make_rows.py OUT.npy [--rows 1000000] [--features 20] [--seed 0]
"""
import argparse
import array
import math
import random


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.rows < 1 or a.features < 2:
        raise SystemExit("make_rows.py: --rows must be >= 1 and --features >= 2")
    rng = random.Random(a.seed)
    cols = a.features + 1
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (a.rows, cols)
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(a.out, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1"))
        chunk = array.array("f")
        for r in range(a.rows):
            x = [rng.gauss(0.0, 1.0) for _ in range(a.features)]
            y = math.sin(x[0]) + 0.5 * x[1] + (-0.3 * x[2] * x[3] if a.features >= 4 else 0.0)
            y += 0.1 * rng.gauss(0.0, 1.0)
            chunk.extend(x)
            chunk.append(y)
            if len(chunk) >= 1 << 20:
                chunk.tofile(f)
                chunk = array.array("f")
        chunk.tofile(f)


if __name__ == "__main__":
    main()
