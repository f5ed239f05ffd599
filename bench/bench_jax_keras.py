"""fastinit.jax and fastinit.keras against jax.nn.initializers and keras.initializers on CPU, for a
large embedding table (issue 10). Prints a markdown table and saves it to
bench/results/jax_keras.md.

    python bench/bench_jax_keras.py [--rows 32768] [--cols 1024] [--repeats 5]

Each case is timed as a user sees it: the call returns a JAX array / Keras backend tensor and the
timer stops after ``block_until_ready()``. JAX's initializers are timed jitted (its fastest form,
compiled before timing) and as plain calls. Each pair (original, fastinit) runs once untimed, then
`--repeats` times interleaved; the table gives the best times and the ratio original / fastinit
(above 1: fastinit is faster) of the best runs and of the medians. Keras runs on the JAX backend
(KERAS_BACKEND=jax unless already set).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras

import fastinit
import fastinit.jax as fj
import fastinit.keras as fk
from fastinit.engine.info import cpu_name


def _time_pair(
    orig: Callable[[], Any], ours: Callable[[], Any], repeats: int
) -> tuple[list[float], list[float]]:
    """Interleaved timings (seconds) of the two calls, each run once before timing."""
    jax.block_until_ready(orig())  # warm-up: compilation, page faults
    jax.block_until_ready(ours())
    t_orig, t_ours = [], []
    for _ in range(repeats):
        for fn, out in ((orig, t_orig), (ours, t_ours)):
            t = time.perf_counter()
            jax.block_until_ready(fn())
            out.append(time.perf_counter() - t)
    return t_orig, t_ours


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=32768)
    parser.add_argument("--cols", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "jax_keras.md")
    args = parser.parse_args()
    shape = (args.rows, args.cols)
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    key = jax.random.key(0)
    rows: list[tuple[str, str, str, list[float], list[float]]] = []

    def jax_case(label: str, ours: fj.Initializer, theirs: Any, dtype: Any) -> None:
        jitted = jax.jit(lambda k: theirs(k, shape, dtype))
        name = jnp.dtype(dtype).name
        t_jit, t_ours = _time_pair(lambda: jitted(key), lambda: ours(key, shape, dtype), args.repeats)
        rows.append((f"jax {label}", name, "jax.jit", t_jit, t_ours))
        t_eager, t_ours = _time_pair(
            lambda: theirs(key, shape, dtype), lambda: ours(key, shape, dtype), args.repeats
        )
        rows.append((f"jax {label}", name, "eager", t_eager, t_ours))

    ini = jax.nn.initializers
    jax_case("normal(0.02)", fj.normal(0.02), ini.normal(0.02), jnp.float32)
    jax_case("normal(0.02)", fj.normal(0.02), ini.normal(0.02), jnp.bfloat16)
    jax_case("truncated_normal(0.02)", fj.truncated_normal(0.02), ini.truncated_normal(0.02), jnp.float32)
    jax_case("uniform(0.02)", fj.uniform(0.02), ini.uniform(0.02), jnp.float32)
    embed = dict(scale=1.0, mode="fan_in", distribution="normal", out_axis=0)  # flax nn.Embed's default
    jax_case("variance_scaling (flax Embed)", fj.variance_scaling(**embed), ini.variance_scaling(**embed),
             jnp.float32)  # fmt: skip
    jax_case("he_normal", fj.he_normal(), ini.he_normal(), jnp.float32)

    def keras_case(name: str, kwargs: dict[str, Any], dtype: str = "float32") -> None:
        theirs = getattr(keras.initializers, name)(seed=0, **kwargs)
        ours = getattr(fk, name)(seed=0, **kwargs)
        t_theirs, t_ours = _time_pair(
            lambda: theirs(shape, dtype=dtype), lambda: ours(shape, dtype=dtype), args.repeats
        )
        rows.append((f"keras {name}", dtype, "keras", t_theirs, t_ours))

    keras_case("RandomUniform", {})  # keras.layers.Embedding's default
    keras_case("RandomNormal", {"stddev": 0.02})
    keras_case("RandomNormal", {"stddev": 0.02}, "bfloat16")
    keras_case("TruncatedNormal", {"stddev": 0.02})
    keras_case("GlorotUniform", {})
    keras_case("HeNormal", {})

    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    info = fastinit.info()
    lines = [
        f"Machine: {cpu_name()}, {os.cpu_count()} logical CPUs; fastinit {info['version']} "
        f"(ISA {info['isa']}, {info['threads']} threads); jax {jax.__version__} (CPU, "
        f"{jax.devices()[0].platform}); keras {keras.__version__} (backend {keras.backend.backend()}).",
        f"Embedding table {shape[0]} x {shape[1]} ({shape[0] * shape[1] / 1e6:.1f} M values), "
        f"{args.repeats} interleaved runs after one warm-up call each; times are the best run (the "
        "machine is shared: the best run is the least disturbed); ratio = original time / fastinit time "
        "(above 1: fastinit faster), from the best runs and from the medians. 1-minute load average "
        f"{load_start:.1f} at the start and {load_end:.1f} at the end.",
        "",
        "| initializer | dtype | original as | original ms | fastinit ms | ratio (best) | ratio (median) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for label, dtype, how, t_orig, t_ours in rows:
        best = min(t_orig) / min(t_ours)
        med = statistics.median(t_orig) / statistics.median(t_ours)
        lines.append(
            f"| {label} | {dtype} | {how} | {min(t_orig) * 1e3:.1f} | {min(t_ours) * 1e3:.1f} | "
            f"{best:.1f}x | {med:.1f}x |"
        )
    table = "\n".join(lines)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
