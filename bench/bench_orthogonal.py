"""orthogonal_ side by side: fastinit.torch.orthogonal_ and torch.nn.init.orthogonal_ on the same
torch tensors, and fastinit.orthogonal_ on a NumPy array, for the shapes LSUV and orthogonal
policies meet (square layers, a conv's (out, in * k * k) matrix, a tall projection). Medians of
--repeats calls in one process, all threads. Writes bench/results/orthogonal.md.

    python bench/bench_orthogonal.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import fastinit
import fastinit.torch as ft
from fastinit.engine.info import cpu_name

SHAPES = [(512, 512), (2048, 2048), (4608, 512), (512, 512, 3, 3)]


def _median_ms(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up: LAPACK workspace, first-touch pages
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    info = fastinit.info()
    lines = [
        f"Machine: {cpu_name()}, fastinit {info['version']} ({info['isa']}), torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), NumPy {np.__version__}; float32, median of {args.repeats} calls.",
        "",
        "| shape | torch.nn.init.orthogonal_ | fastinit.torch.orthogonal_ | speed-up | fastinit.orthogonal_ (NumPy) |",
        "|---|---:|---:|---:|---:|",
    ]
    for shape in SHAPES:
        t = torch.empty(shape)
        a = np.empty(shape, np.float32)
        torch_ms = _median_ms(lambda t=t: torch.nn.init.orthogonal_(t), args.repeats)
        ours_ms = _median_ms(lambda t=t: ft.orthogonal_(t, seed=1), args.repeats)
        numpy_ms = _median_ms(lambda a=a: fastinit.orthogonal_(a, seed=1), args.repeats)
        lines.append(
            f"| {'x'.join(map(str, shape))} | {torch_ms:.1f} ms | {ours_ms:.1f} ms | "
            f"{torch_ms / ours_ms:.2f}x | {numpy_ms:.1f} ms |"
        )
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "orthogonal.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
