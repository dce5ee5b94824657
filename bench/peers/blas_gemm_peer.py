#!/usr/bin/env python3
"""The float32 products of issue #17's 784-feature networks at 128 rows, one thread, through
the tuned BLAS libraries a user could put behind elbo's products: NumPy's OpenBLAS (its
scipy-openblas wheel, the runtime-chosen kernel printed) and BLIS (the `blis` package of
PyPI, when installed). bench/gemm_shapes_bench times elbo's engine and Eigen on the same
shapes; docs/PERFORMANCE.md, "A tuned BLAS?", has both.

    bench/peers/.venv/bin/python bench/peers/blas_gemm_peer.py
"""
import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "BLIS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # before NumPy loads its BLAS

import time  # noqa: E402

import numpy as np  # noqa: E402

# C[M,N] = A[M,K] B[K,N], the shapes of bench/gemm_shapes_bench.cpp; transposed: A^T B with
# A stored [K,M] (a weight gradient X^T dY, K = the 128 rows).
SHAPES = [(128, 784, 400, False), (784, 128, 400, True), (128, 400, 400, False), (400, 128, 400, True),
          (128, 784, 100, False), (784, 128, 100, True)]


def best_time(fn, reps=7, inner=50):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def main():
    libs = [("openblas", lambda a, b, c, t: np.matmul(a.T if t else a, b, out=c))]
    try:
        from blis.py import gemm  # PyPI's blis; its beta defaults to 1 (C += AB)
        libs.append(("blis", lambda a, b, c, t: gemm(a, b, out=c, trans1=t, beta=0.0)))
    except ImportError:
        print("blis not installed (pip install blis): its rows are left out")
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            print(f"{info.get('internal_api')}: {info.get('version')}, kernel {info.get('architecture')}, "
                  f"{info.get('num_threads')} thread(s)")
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    print("| product M x K x N | library | us | GFLOP/s |")
    print("| --- | --- | ---: | ---: |")
    for m, k, n, transposed in SHAPES:
        a = rng.standard_normal((k, m) if transposed else (m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        c = np.zeros((m, n), np.float32)
        for name, fn in libs:
            t = best_time(lambda: fn(a, b, c, transposed))
            print(f"| {m}x{k}x{n}{'T' if transposed else ''} | {name} | {t * 1e6:.1f} | {2 * m * k * n / t / 1e9:.1f} |")


if __name__ == "__main__":
    main()
