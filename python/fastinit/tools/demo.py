"""The main job, ``python -m fastinit``: fills a few hundred MB of model-shaped float32 buffers
with several initialization schemes and prints, for each, fastinit's throughput, NumPy's
(Generator(PCG64), measured in the same run on the same buffers) and the speed-up, with the
instruction set and thread count used."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..engine import fill as _fill
from ..engine.info import info

# A small decoder-only transformer layer stack (d_model 1024, 8 layers, vocab 32000): about
# 300 MB of float32 weights.
MODEL_SHAPES: list[tuple[str, tuple[int, int]]] = [("embed", (32000, 1024))]
for _layer in range(8):
    MODEL_SHAPES += [
        (f"layers.{_layer}.attn.qkv", (3072, 1024)),
        (f"layers.{_layer}.attn.out", (1024, 1024)),
        (f"layers.{_layer}.mlp.up", (2816, 1024)),
        (f"layers.{_layer}.mlp.down", (1024, 2816)),
    ]


@dataclass
class Scheme:
    name: str
    fastinit_fill: Callable[[np.ndarray, int], object]
    numpy_fill: Callable[[np.ndarray, np.random.Generator], object]
    numpy_what: str


def _numpy_uniform(a: float, b: float) -> Callable[[np.ndarray, np.random.Generator], object]:
    def fill(arr: np.ndarray, rng: np.random.Generator) -> None:
        rng.random(out=arr, dtype=np.float32)
        arr *= b - a
        arr += a

    return fill


def _numpy_normal(std: float) -> Callable[[np.ndarray, np.random.Generator], object]:
    def fill(arr: np.ndarray, rng: np.random.Generator) -> None:
        rng.standard_normal(out=arr, dtype=np.float32)
        arr *= std

    return fill


def _numpy_trunc_normal(std: float, bound: float) -> Callable[[np.ndarray, np.random.Generator], object]:
    def fill(arr: np.ndarray, rng: np.random.Generator) -> None:  # normal, then redraw outliers
        flat = arr.reshape(-1)
        rng.standard_normal(out=flat, dtype=np.float32)
        flat *= std
        bad = np.flatnonzero(np.abs(flat) > bound)
        while bad.size:
            flat[bad] = rng.standard_normal(bad.size, dtype=np.float32) * std
            bad = bad[np.abs(flat[bad]) > bound]

    return fill


def _schemes() -> list[Scheme]:
    bound = 1 / math.sqrt(1024)  # torch's default Linear init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    return [
        Scheme(
            "uniform(+-1/sqrt(fan_in))",
            lambda a, s: _fill.uniform_(a, -bound, bound, seed=s),
            _numpy_uniform(-bound, bound),
            "random(out=) * w + a",
        ),
        Scheme(
            "normal(0, 0.02)",
            lambda a, s: _fill.normal_(a, 0.0, 0.02, seed=s),
            _numpy_normal(0.02),
            "standard_normal(out=) * std",
        ),
        Scheme(
            "trunc_normal(0, 0.02, +-2 std)",
            lambda a, s: _fill.trunc_normal_(a, 0.0, 0.02, -0.04, 0.04, seed=s),
            _numpy_trunc_normal(0.02, 0.04),
            "standard_normal + redraw",
        ),
    ]


def _fastinit_pass(scheme: Scheme, seed: int) -> Callable[[np.ndarray], object]:
    """scheme's fastinit fill of one buffer under seed, bound now (what _time_all times)."""

    def fill(b: np.ndarray) -> object:
        return scheme.fastinit_fill(b, seed)

    return fill


def _numpy_pass(scheme: Scheme, rng: np.random.Generator) -> Callable[[np.ndarray], object]:
    """scheme's NumPy fill of one buffer drawing from rng, bound now (what _time_all times)."""

    def fill(b: np.ndarray) -> object:
        return scheme.numpy_fill(b, rng)

    return fill


def _time_all(fill: Callable[[np.ndarray], object], buffers: list[np.ndarray], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for b in buffers:
            fill(b)
        best = min(best, time.perf_counter() - start)
    return best


def main(repeats: int = 3) -> int:
    """Run the demonstration; returns the process exit status."""
    details = info()
    buffers = [np.zeros(shape, np.float32) for _, shape in MODEL_SHAPES]
    count = sum(b.size for b in buffers)
    nbytes = sum(b.nbytes for b in buffers)
    print(
        f"fastinit {details['version']} (stream v{details['stream_version']}) on "
        f"{details['isa']} with {details['threads']} threads "
        f"(ISAs here: {', '.join(details['isas_available'])})"
    )
    print(
        f"Filling {len(buffers)} buffers shaped like a small transformer: "
        f"{count / 1e6:.0f} M float32 values, {nbytes / 2**20:.0f} MiB; best of {repeats}.\n"
    )
    header = f"{'scheme':32} {'fastinit':>12} {'GB/s':>7} {'NumPy PCG64':>12} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    rng = np.random.Generator(np.random.PCG64(0))
    for k, scheme in enumerate(_schemes()):
        fast = _time_all(_fastinit_pass(scheme, k), buffers, repeats)
        slow = _time_all(_numpy_pass(scheme, rng), buffers, repeats)
        print(
            f"{scheme.name:32} {count / fast / 1e9:9.2f} G/s {nbytes / fast / 1e9:7.1f} "
            f"{count / slow / 1e9:9.3f} G/s {slow / fast:8.1f}x"
        )
    print(
        "\nG/s: billions of values per second. NumPy runs single-threaded, as it always does;"
        "\n`python -m fastinit bench` compares more libraries, sizes and thread counts."
    )
    return 0
