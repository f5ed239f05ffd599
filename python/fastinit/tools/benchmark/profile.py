"""Where one thread's time goes: the engine's raw words and its fills on a buffer that stays in
the core's cache (so memory does not count), in nanoseconds per value, and the transform's
share — a fill's time less the time of the words it consumes. The engine benchmark's second
table: it says whether a fill on this CPU is bound by its generator (Philox, ARS) or by its
transform (Box-Muller, the truncated normal's inversion), the profile behind its rates."""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

from ... import _core
from ...engine.threads import get_num_threads, set_num_threads

N = 2**14  # values per call: 64 KiB of float32, in L2 on every CPU the engine targets

_V1 = _core.Key(1, 0, 0, None, None, 1)
_V2 = _core.Key(1, 0, 0, None, None, 2)

# (case, the words it consumes: (stream version, words per value) or None, a call for n values)
Case = tuple[str, "tuple[int, int] | None", Callable[[int], Callable[[], object]]]


def _fill(dtype: type, law: _core.Law, key: _core.Key) -> Callable[[int], Callable[[], object]]:
    def make(n: int) -> Callable[[], object]:
        buf: np.ndarray = np.empty(n, dtype)
        return lambda: _core.fill(buf, law, key)

    return make


# The raw-words case of each stream version, which the fills of that version are measured against.
_WORDS = {1: "words, version 1 (Philox4x32-10)", 2: "words, version 2 (ARS4x32-7)"}


def _words(version: int) -> Callable[[int], Callable[[], object]]:
    return lambda n: lambda: _core.words(1, 0, 0, n, "", 0, version)


def _cases() -> list[Case]:
    uniform, normal = _core.Law.uniform(-1.0, 1.0), _core.Law.normal(0.0, 1.0)
    trunc = _core.Law.trunc_normal(0.0, 1.0, -2.0, 2.0)
    timm = _core.Law.trunc_normal(0.0, 0.02, -2.0, 2.0)  # +-100 std: version 2's normal values
    return [
        (_WORDS[1], None, _words(1)),
        (_WORDS[2], None, _words(2)),
        ("uniform_ float32", (1, 1), _fill(np.float32, uniform, _V1)),
        ("normal_ float32, version 1", (1, 1), _fill(np.float32, normal, _V1)),
        ("normal_ float32, version 2", (2, 1), _fill(np.float32, normal, _V2)),
        ("trunc_normal_ float32, version 1", (1, 1), _fill(np.float32, trunc, _V1)),
        ("trunc_normal_ float32, version 2", (2, 1), _fill(np.float32, trunc, _V2)),
        ("trunc_normal_ float32 std=0.02, version 1", (1, 1), _fill(np.float32, timm, _V1)),
        ("trunc_normal_ float32 std=0.02, version 2", (2, 1), _fill(np.float32, timm, _V2)),
        ("normal_ float64, version 1", (1, 2), _fill(np.float64, normal, _V1)),
        ("normal_ float64, version 2", (2, 2), _fill(np.float64, normal, _V2)),
    ]


def _seconds(call: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def run(rounds: int = 7, calls: int = 40) -> list[dict[str, Any]]:
    """One row a case: ns per value on one thread (a call of N values less a call of one, so
    neither the call nor an output's allocation counts), and for a fill the words' share and the
    transform's (the fill less its words). Minima of `rounds` rounds, the cases interleaved."""
    threads = get_num_threads()
    cases = [(name, consumes, make(N), make(1)) for name, consumes, make in _cases()]
    best = {name: float("inf") for name, *_ in cases}
    try:
        set_num_threads(1)
        for _ in range(rounds):
            for name, _, many, one in cases:
                ns = (_seconds(many, calls) - _seconds(one, calls)) / (N - 1) * 1e9
                best[name] = min(best[name], ns)
    finally:
        set_num_threads(threads)
    rows = []
    for name, consumes, *_ in cases:
        row: dict[str, Any] = {"case": name, "ns_per_value": best[name]}
        if consumes is not None:
            version, per_value = consumes
            row["words_ns"] = best[_WORDS[version]] * per_value
            row["transform_ns"] = best[name] - row["words_ns"]
        rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    lines = [
        f"Where one thread's time goes ({N} values in cache, ns per value, minima; transform = "
        "the fill less the words it consumes, float64 two words a value):",
        "",
        "| case | ns per value | its words | transform and store |",
        "|---|---:|---:|---:|",
    ]
    for r in rows:
        if "words_ns" in r:
            lines.append(
                f"| {r['case']} | {r['ns_per_value']:.3f} | {r['words_ns']:.3f} | {r['transform_ns']:.3f} |"
            )
        else:
            lines.append(f"| {r['case']} | {r['ns_per_value']:.3f} | | |")
    return "\n".join(lines)
