"""The engine benchmark: on one float32 buffer, interleaved in the same run, fastinit's
uniform_, normal_ and trunc_normal_ (its default window [-2, 2] and timm's std=0.02) in stream
versions 1 and 2, all threads and one, NumPy's Generator(PCG64) with out=, ndarray.fill, and
the store limit: a constant written by fastinit's engine on all threads (uniform_ with a == b,
the kernels' plain store loop). Medians of the repeats with their spread, throughput and
ratios; then profile.py's table of one thread's time per value in cache; markdown on stdout,
JSON on request."""

from __future__ import annotations

import functools
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ... import _core
from ...engine import fill as _fill
from ...engine.info import cpu_name, info
from ...engine.streams import default_stream_version
from ...engine.threads import get_num_threads, set_num_threads
from . import profile, report, runner

STORE_LIMIT = "store limit: constant, engine threads"
V2_NORMAL = (
    _core.Law.normal(0.0, 1.0),
    _core.Key(1, 0, 0, None, None, 2),
)  # normal_(seed=1, stream_version=2)


# The kernel target each VAES target extends (the side-by-side row of stream version 2's normals).
_WITHOUT_VAES = {"avx2_vaes": "avx2", "avx512_vaes": "avx512", "neon_aes": "neon"}


# The fills measured in both stream versions (the normal family's), side by side: the case's
# name, the fill and its arguments, each in every version.
_FAMILY: list[tuple[str, Callable[..., object], dict[str, float]]] = [
    ("normal_", _fill.normal_, {}),
    ("trunc_normal_", _fill.trunc_normal_, {}),
    ("trunc_normal_ std=0.02 (timm's, HF's call)", _fill.trunc_normal_, {"std": 0.02}),
]
_VERSIONED = [(name, fill, kw, v) for name, fill, kw in _FAMILY for v in _core.stream_versions]


def _versioned(name: str, version: int) -> str:
    """The case of fastinit's fill `name` in stream `version`, marked where it is the default."""
    default = ", default" if version == default_stream_version() else ""
    return f"fastinit {name} (stream v{version}{default})"


def _cases(buf: np.ndarray, threads: int) -> list[tuple[str, int, Callable[[], object]]]:
    rng = np.random.Generator(np.random.PCG64(0))
    cases: list[tuple[str, int, Callable[[], object]]] = [
        ("ndarray.fill(1.5)", 1, lambda: buf.fill(1.5)),
        ("numpy PCG64 random(out=)", 1, lambda: rng.random(out=buf, dtype=np.float32)),
        ("numpy PCG64 standard_normal(out=)", 1, lambda: rng.standard_normal(out=buf, dtype=np.float32)),
    ]
    plain = _WITHOUT_VAES.get(_core.isa())
    for t in sorted({threads, 1}, reverse=True):
        cases += [
            (STORE_LIMIT, t, lambda: _fill.uniform_(buf, 1.5, 1.5)),
            ("fastinit uniform_", t, lambda: _fill.uniform_(buf, seed=1)),
        ]
        cases += [
            (_versioned(name, v), t, functools.partial(fill, buf, seed=1, stream_version=v, **kw))
            for name, fill, kw, v in _VERSIONED
        ]
        if plain:  # what VAES gives version 2: the same fill on the target without it
            cases.append(
                (f"fastinit normal_ (stream v2, ISA {plain})", t, lambda: _core.fill(buf, *V2_NORMAL, plain))
            )
    return cases


def run(size_mib: float = 256.0, repeats: int = 5) -> dict[str, Any]:
    """Measure every case `repeats` times, interleaved; returns the results as a dict."""
    threads = get_num_threads()
    buf = np.ones(int(size_mib * 2**20) // 4, np.float32)  # pages touched before timing
    cases = _cases(buf, threads)
    times: dict[tuple[str, int], list[float]] = {(n, t): [] for n, t, _ in cases}
    try:
        for _ in range(repeats):
            for name, t, call in cases:
                set_num_threads(t)
                start = time.perf_counter()
                call()
                times[(name, t)].append(time.perf_counter() - start)
    finally:
        set_num_threads(threads)
    rows: list[dict[str, Any]] = []
    for (name, t), ts in times.items():
        med = statistics.median(ts)
        rows.append(
            {
                "case": name,
                "threads": t,
                "median_s": med,
                "min_s": min(ts),
                "max_s": max(ts),
                "gsamples_per_s": buf.size / med / 1e9,
                "gb_per_s": buf.nbytes / med / 1e9,
            }
        )
    by = {(r["case"], r["threads"]): r for r in rows}
    fill_rate = by[("ndarray.fill(1.5)", 1)]["gsamples_per_s"]
    store_rate = by[(STORE_LIMIT, threads)]["gsamples_per_s"]
    for r in rows:
        r["vs_fill"] = r["gsamples_per_s"] / fill_rate
        r["vs_store"] = r["gsamples_per_s"] / store_rate
    details = info()
    return {
        "machine": {
            "cpu": cpu_name(),
            "isa": details["isa"],
            "threads": threads,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "fastinit": details["version"],
        },
        "buffer": {"dtype": "float32", "mib": size_mib, "elements": int(buf.size)},
        "repeats": repeats,
        "rows": rows,
        "profile": profile.run(),
    }


def markdown(result: dict[str, Any]) -> str:
    """The results as a markdown table with ratios to ndarray.fill, to the store limit (all
    threads) and to NumPy."""
    rows = result["rows"]
    m = result["machine"]
    by = {(r["case"], r["threads"]): r for r in rows}
    normal_rate = by[("numpy PCG64 standard_normal(out=)", 1)]["gsamples_per_s"]  # for the normal family
    numpy_rate = {
        "fastinit uniform_": by[("numpy PCG64 random(out=)", 1)]["gsamples_per_s"],
        **{_versioned(name, v): normal_rate for name, _, _, v in _VERSIONED},
    }
    lines = [
        f"Machine: {m['cpu']}, ISA {m['isa']}, {m['threads']} threads; "
        f"{result['buffer']['mib']:g} MiB float32 buffer, median of {result['repeats']}.",
        "",
        "| case | threads | median ms (min-max) | G samples/s | GB/s | vs fill | vs store limit | vs NumPy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        vs_numpy = r["gsamples_per_s"] / numpy_rate[r["case"]] if r["case"] in numpy_rate else None
        lines.append(
            f"| {r['case']} | {r['threads']} | {r['median_s'] * 1e3:.1f} "
            f"({r['min_s'] * 1e3:.1f}-{r['max_s'] * 1e3:.1f}) | {r['gsamples_per_s']:.3f} | "
            f"{r['gb_per_s']:.2f} | {r['vs_fill']:.2f}x | {r['vs_store']:.2f}x | "
            f"{'' if vs_numpy is None else f'{vs_numpy:.1f}x'} |"
        )
    if "profile" in result:
        lines += ["", profile.markdown(result["profile"])]
    return "\n".join(lines)


def main(args: Any) -> int:
    """`python -m fastinit bench`: the engine benchmark (--engine) or the full harness."""
    if args.engine:
        result = run(args.size_mib, args.repeats or 5)
        print(markdown(result))
    else:
        plan = runner.QUICK if args.quick else runner.DEFAULT
        if args.repeats:
            plan.repeats = args.repeats
        result = runner.run(plan)
        print(report.markdown(result))
        if args.plot_dir:
            for path in report.plots(result, Path(args.plot_dir)):
                print(f"wrote {path}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0
