"""Chunk-parallel scaling of fastinit.dask on a dask.distributed LocalCluster: the same
1 GiB float32 normal array computed with 1 and with 2 single-threaded worker processes (fastinit's
own pool set to one thread per worker, so the parallelism measured is Dask's), median of 3.

    python bench/bench_dask.py [--mib 1024]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import fastinit.dask as fd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    import distributed

    os.environ["FASTINIT_NUM_THREADS"] = "1"  # inherited by the worker processes
    n = args.mib * 2**20 // 4 // 4096
    results = {}
    for workers in (1, 2):
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            lazy = fd.normal((n, 4096), chunks=(n // 16, 4096), seed=0)
            client.compute(lazy.sum()).result()  # warm-up: imports on the workers
            times = []
            for _ in range(3):
                start = time.perf_counter()
                client.compute(lazy.sum()).result()
                times.append(time.perf_counter() - start)
            results[workers] = statistics.median(times)
    print(f"| workers | seconds for {args.mib} MiB (normal, float32, 16 chunks) | speed-up |")
    print("|---:|---:|---:|")
    for w, t in results.items():
        print(f"| {w} | {t:.2f} | {results[1] / t:.2f}x |")


if __name__ == "__main__":
    main()
