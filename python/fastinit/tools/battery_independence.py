"""The independence part of the statistical battery (see fastinit.tools.battery for groups and rows):
serial correlation at several lags; correlation across Philox blocks, thread-chunk edges and
Box-Muller pairs (the two halves of a pair, and their squares); between streams, seeds (s and
s + 1, 0 and 1, seeds one bit apart), named streams and spawn children; bit-level frequency and
runs tests on the raw words."""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np

from .. import _core
from ..engine import fill as _fill
from ..engine.streams import Generator, stream_id
from .battery_groups import DEFAULT_SEED, Group, Row, Sizes
from .exact_laws import Uniform
from .stats import Result, correlation_test, joint_uniformity_test, ks_test, serial_correlation_test
from .word_tests import (
    bit_frequency_test,
    bit_transitions_test,
    byte_frequency_test,
    monobit_test,
    runs_test,
    unit_uniform,
)

__all__ = ["CHUNK_ELEMENTS", "LAGS", "independence_groups", "stream_pairs"]

LAGS = (1, 2, 3, 4, 5, 8, 16, 1000)
CHUNK_ELEMENTS = 1 << 15  # the engine's work item (csrc/fill.cpp): parallel fills split here
_U64 = 1 << 64


def _rows(label: str, dtype: str, n: int, results: list[Result]) -> list[Row]:
    return [Row(label, dtype, str(_core.isa()), n, r) for r in results]


def _values(kind: str, dtype: type, n: int, seed: int, stream: str, offset: int = 0) -> np.ndarray:
    fill = _fill.normal_ if kind == "normal" else _fill.uniform_
    return fill(np.empty(n, dtype), seed=seed, stream=stream, offset=offset)


def serial_rows(kind: str, dtype: type, n: int, seed: int) -> list[Row]:
    """Correlation of x[i] with x[i + lag] for each lag in LAGS (float64: the first four), and
    for normals of x[i]**2 with x[i + lag]**2 at lags 1 and 2."""
    name = np.dtype(dtype).name
    x = _values(kind, dtype, n, seed, f"check serial {kind} {name}")
    lags = LAGS if dtype is np.float32 else LAGS[:4]
    results = [serial_correlation_test(x, k) for k in lags]
    if kind == "normal":
        sq = x.astype(np.float64) ** 2
        results += [
            _renamed(serial_correlation_test(sq, k), f"lag-{k} correlation of squares") for k in (1, 2)
        ]
    return _rows(f"serial: {kind}", name, n, results)


def _renamed(r: Result, test: str) -> Result:
    return Result(test, r.statistic, r.p_value, r.passed, r.detail)


def block_rows(n: int, seed: int) -> list[Row]:
    """Raw words: correlation between the four word positions of a Philox block (6 pairs) and
    between the last word of block j and the first of block j + 1; float64 uniforms: between the
    two values of a block and across blocks."""
    w = unit_uniform(_core.words(seed, stream_id("check blocks"), 0, n - n % 4)).reshape(-1, 4)
    results = []
    for p in range(4):
        for q in range(p + 1, 4):
            results.append(_renamed(correlation_test(w[:, p], w[:, q]), f"words {p},{q} of a block"))
    results.append(_renamed(correlation_test(w[:-1, 3], w[1:, 0]), "word 3 / next block's word 0"))
    out = _rows("Philox blocks: words", "uint32", w.size, results)
    x = _fill.uniform_(np.empty(n - n % 2), seed=seed, stream="check blocks f64").reshape(-1, 2)
    f64 = [
        _renamed(correlation_test(x[:, 0], x[:, 1]), "values 0,1 of a block"),
        _renamed(correlation_test(x[:-1, 1], x[1:, 0]), "value 1 / next block's value 0"),
    ]
    return out + _rows("Philox blocks: uniform_", "float64", x.size, f64)


def chunk_rows(dtype: type, chunks: int, seed: int) -> list[Row]:
    """One parallel normal_ fill of chunks * 2**15 elements, split by the engine at every 2**15:
    with offset 0 the pairs (x[e - 1], x[e]) at each chunk edge e straddle a Box-Muller pair
    boundary; with offset 1 they are the two halves of one pair, computed in two chunks.
    Correlations of those values, of their squares, and of (x[e - 2], x[e + 1])."""
    name = np.dtype(dtype).name
    results = []
    for offset in (0, 1):
        x = _values("normal", dtype, chunks * CHUNK_ELEMENTS, seed, f"check chunks {name}", offset)
        e = np.arange(1, chunks) * CHUNK_ELEMENTS
        a, b = x[e - 1].astype(np.float64), x[e].astype(np.float64)
        what = "one pair's halves" if offset else "across pairs"
        results += [
            _renamed(correlation_test(a, b), f"offset {offset}: edge ({what})"),
            _renamed(correlation_test(a * a, b * b), f"offset {offset}: edge squares"),
            _renamed(correlation_test(x[e - 2], x[e + 1]), f"offset {offset}: x[e-2], x[e+1]"),
        ]
    return _rows(f"thread chunks ({chunks} edges)", name, chunks * CHUNK_ELEMENTS, results)


def box_muller_rows(dtype: type, n: int, seed: int) -> list[Row]:
    """normal_ values paired (2k, 2k + 1): correlation of the halves and of their squares; the
    pair's angle atan2(z1, z0) uniform on [-pi, pi) and exp(-r**2 / 2) uniform on (0, 1) (KS:
    together they say the pair is a standard bivariate normal); correlation across pairs and,
    for float32, across Philox blocks (z[4j + 3], z[4j + 4])."""
    name = np.dtype(dtype).name
    z = _values("normal", dtype, n - n % 4, seed, f"check box-muller {name}").astype(np.float64)
    z0, z1 = z[0::2], z[1::2]
    angle = np.arctan2(z1, z0) / (2 * np.pi) + 0.5
    radius = np.exp(-0.5 * (z0 * z0 + z1 * z1))
    unit = Uniform(0.0, 1.0)
    results = [
        _renamed(correlation_test(z0, z1), "pair halves"),
        _renamed(correlation_test(z0 * z0, z1 * z1), "pair halves' squares"),
        _renamed(ks_test(angle, unit), "pair angle uniform (KS)"),
        _renamed(ks_test(radius, unit), "pair radius exp(-r2/2) uniform (KS)"),
        _renamed(correlation_test(z1[:-1], z0[1:]), "across pairs"),
    ]
    if dtype is np.float32:
        results.append(_renamed(correlation_test(z[3:-1:4], z[4::4]), "across Philox blocks"))
    return _rows("Box-Muller pairs", name, z.size, results)


def stream_pairs(seed: int = DEFAULT_SEED) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """(label, (seed, stream), (seed, stream)) of the stream pairs that must look independent."""
    parent = Generator(seed)
    c0, c1 = parent.spawn(2)
    pairs = [
        (f"seed {seed}: streams 0 and 1", (seed, 0), (seed, 1)),
        (f"seeds {seed} and {(seed + 1) % _U64}", (seed, 0), ((seed + 1) % _U64, 0)),
        ("seeds 0 and 1", (0, 0), (1, 0)),
        (f"seed {seed}: streams 0 and 2**32", (seed, 0), (seed, 1 << 32)),
        (
            "named streams layers.0/1.weight",
            (seed, stream_id("layers.0.weight")),
            (seed, stream_id("layers.1.weight")),
        ),
        ("spawn children 0 and 1", (c0.seed, 0), (c1.seed, 0)),
        ("parent and spawn child 0", (seed, 0), (c0.seed, 0)),
    ]
    for bit in (0, 31, 32, 63):
        pairs.append((f"seeds {seed} and {seed} ^ 2**{bit}", (seed, 0), (seed ^ (1 << bit), 0)))
    return pairs  # fmt: skip


def pair_rows(label: str, a: tuple[int, int], b: tuple[int, int], n: int) -> list[Row]:
    """Two streams: correlation of their uniforms, joint 16x16 uniformity, bit frequency of
    their XOR (raw words); correlation of their normal_ values and of the squares."""
    wa, wb = _core.words(a[0], a[1], 0, n), _core.words(b[0], b[1], 0, n)
    ua, ub = unit_uniform(wa), unit_uniform(wb)
    za = _fill.normal_(np.empty(n, np.float32), seed=a[0], stream=a[1]).astype(np.float64)
    zb = _fill.normal_(np.empty(n, np.float32), seed=b[0], stream=b[1]).astype(np.float64)
    results = [
        _renamed(correlation_test(ua, ub), "word correlation"),
        joint_uniformity_test(ua, ub),
        _renamed(bit_frequency_test(wa ^ wb), "XOR bit frequency"),
        _renamed(correlation_test(za, zb), "normal_ correlation"),
        _renamed(correlation_test(za * za, zb * zb), "normal_ squares correlation"),
    ]
    return _rows(label, "uint32", n, results)


def bit_rows(label: str, seed: int, stream: int, first: int, n: int) -> list[Row]:
    """Raw words: per-position bit frequency and runs, NIST monobit and runs, byte frequency."""
    w = _core.words(seed, stream, first, n)
    tests: list[Callable[[np.ndarray], Result]] = [
        bit_frequency_test,
        bit_transitions_test,
        monobit_test,
        runs_test,
        byte_frequency_test,
    ]
    return _rows(label, "uint32", n, [t(w) for t in tests])


def independence_groups(sizes: Sizes, seed: int = DEFAULT_SEED) -> list[Group]:
    """Every independence group at the given sizes."""
    n = sizes.words
    groups = [
        Group(f"serial {kind} {np.dtype(dt).name}", partial(serial_rows, kind, dt, n, seed))
        for kind in ("uniform", "normal")
        for dt in (np.float32, np.float64)
    ]
    groups.append(Group("Philox blocks", partial(block_rows, n, seed)))
    for dt in (np.float32, np.float64):
        name = np.dtype(dt).name
        groups.append(Group(f"thread chunks {name}", partial(chunk_rows, dt, sizes.chunks, seed)))
        groups.append(Group(f"Box-Muller pairs {name}", partial(box_muller_rows, dt, n, seed)))
    for label, a, b in stream_pairs(seed):
        groups.append(Group(label, partial(pair_rows, label, a, b, n)))
    far = (1 << 58) - n  # the last words of the element stream (tag 0)
    for label, s, t, first in (
        (f"bits: seed {seed}", seed, 0, 0),
        ("bits: seed 0", 0, 0, 0),
        ("bits: seed and stream 2**64-1, last words", _U64 - 1, _U64 - 1, far),
    ):
        groups.append(Group(label, partial(bit_rows, label, s, t, first, n)))
    return groups
