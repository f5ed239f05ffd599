"""The core against fastinit.reference (the stream contract in NumPy): raw words and uniforms bit
for bit, normals and truncated normals within the documented tolerance; many seeds, streams,
offsets and sizes, including block counters that cross 2**32."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastinit
from fastinit import _core, reference

ml_dtypes = pytest.importorskip("ml_dtypes")

CASES = [
    # seed, stream, offset, n
    (0, 0, 0, 1),
    (1, 0, 0, 4099),
    (2**64 - 1, 2**64 - 1, 3, 1000),
    (12345, 7, 1, 257),
    (0xDEADBEEF, 2**32 + 1, 255, 3333),
    (42, 3, 4 * (2**32 - 40) + 1, 700),  # float32 blocks cross j = 2**32
    (42, 3, 2 * (2**32 - 40) + 1, 700),  # float64 blocks cross j = 2**32
    (7, 9, 2**57 - 1000, 999),  # near the end of the float64 index range
]
IDS = ["first", "4099", "max-ids", "odd-offset", "mid", "cross32-f4", "cross32-f8", "near-end"]
FLOATS = [np.float32, np.float64]


def _bits_equal(x: np.ndarray, y: np.ndarray) -> bool:
    return x.dtype == y.dtype and bool((x.view(np.uint8) == y.view(np.uint8)).all())


@pytest.mark.parametrize(("seed", "stream", "offset", "n"), CASES, ids=IDS)
def test_words(seed, stream, offset, n):
    np.testing.assert_array_equal(
        _core.words(seed, stream, offset, n), reference.words(seed, stream, offset, n)
    )


TINY = (1e-3, 1e-3 + 1e-9)
BOUNDS = [(0.0, 1.0), (-3.0, 0.1), TINY, (2.5, 2.5), (-6e4, 6e4)]
WIDE = [(-1e30, 1e30)]  # beyond float16's range (an error there: tests/test_bad_input.py)


@pytest.mark.parametrize(
    ("dtype", "a", "b"),
    [(d, a, b) for d in (np.float32, np.float64, np.float16, "bfloat16") for a, b in BOUNDS if (a, b) != TINY]
    + [(d, a, b) for d in (np.float32, np.float64) for a, b in [TINY]]  # no half value lies in TINY: an error
    + [(d, a, b) for d in (np.float32, np.float64, "bfloat16") for a, b in WIDE],
)
@pytest.mark.parametrize(("seed", "stream", "offset", "n"), CASES, ids=IDS)
def test_uniform_bit_exact(seed, stream, offset, n, dtype, a, b):
    dt = np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    core = fastinit.uniform_(np.empty(n, dt), a, b, seed=seed, stream=stream, offset=offset)
    assert _bits_equal(core, reference.uniform(seed, stream, offset, n, dt, a, b))


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (0.5, 2.0), (-3.0, 1e-3), (1e6, 10.0)])
@pytest.mark.parametrize(("seed", "stream", "offset", "n"), CASES, ids=IDS)
def test_normal_within_tolerance(seed, stream, offset, n, dtype, mean, std, version):
    core = fastinit.normal_(
        np.empty(n, dtype), mean, std, seed=seed, stream=stream, offset=offset, stream_version=version
    )
    exact = reference.normal(seed, stream, offset, n, np.dtype(dtype), mean, std, version)
    assert reference.within_tolerance("normal", dtype, core, exact, mean, std).all()


WINDOWS = [
    (0.0, 1.0, -2.0, 2.0),
    (0.5, 2.0, -1.0, 3.0),
    (0.0, 1.0, 3.0, 5.0),
    (0.0, 1.0, -12.0, -11.5),
    (1.0, 0.01, -5.0, 1.001),
    (0.0, 1.0, -1e-6, 1e-6),
    (0.0, 1.0, -0.5, 30.0),
    (0.0, 1.0, -math.inf, math.inf),
    (0.5, 2.0, -math.inf, 1.0),
    (0.0, 1.0, 3.0, math.inf),
]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("mean", "std", "a", "b"), WINDOWS)
@pytest.mark.parametrize(("seed", "stream", "offset", "n"), CASES[:6], ids=IDS[:6])
def test_trunc_normal_within_tolerance(seed, stream, offset, n, dtype, mean, std, a, b, version):
    core = fastinit.trunc_normal_(
        np.empty(n, dtype), mean, std, a, b, seed=seed, stream=stream, offset=offset, stream_version=version
    )
    exact = reference.trunc_normal(seed, stream, offset, n, np.dtype(dtype), mean, std, a, b, version)
    assert reference.within_tolerance("trunc_normal", dtype, core, exact, mean, std).all()
    assert core.min() >= a and core.max() <= b


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_an_open_end_is_the_dtypes_whole_range(dtype):
    """a = -inf / b = inf (torch's and JAX's truncated normals take them): the values are those
    of the window that ends at the dtype's largest finite value (docs/stream.md section 5)."""
    finfo = np.finfo
    if dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        dtype, finfo = ml_dtypes.bfloat16, ml_dtypes.finfo
    arr = np.empty(4096, dtype)
    big = float(finfo(arr.dtype).max)
    for a, b, finite_a, finite_b in [(-math.inf, math.inf, -big, big), (-math.inf, 0.3, -big, 0.3)]:
        open_end = fastinit.trunc_normal_(arr.copy(), 0.0, 0.5, a, b, seed=4)
        closed = fastinit.trunc_normal_(arr.copy(), 0.0, 0.5, finite_a, finite_b, seed=4)
        assert np.array_equal(open_end.view(np.uint8), closed.view(np.uint8))
    for bad in [{"a": math.inf, "b": math.inf}, {"a": math.nan}, {"b": -math.inf}]:
        with pytest.raises(ValueError, match="finite or"):
            fastinit.trunc_normal_(arr, **bad)


def test_tolerance_check_catches_a_real_difference():
    exact = reference.normal(1, 2, 0, 1000, np.dtype(np.float32))
    off = (exact.astype(np.float64) * (1 + 2e-5)).astype(np.float32)
    assert not reference.within_tolerance("normal", np.float32, off, exact, 0.0, 1.0).all()


@pytest.mark.parametrize("fill", ["normal_", "trunc_normal_"])
@pytest.mark.parametrize("dtype", [np.float16, "bfloat16"])
def test_half_precision_is_rounded_float32(fill, dtype):
    dt = np.dtype(ml_dtypes.bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    f = getattr(fastinit, fill)
    half = f(np.empty(10007, dt), seed=5, stream=1, offset=3)
    single = f(np.empty(10007, np.float32), seed=5, stream=1, offset=3)
    assert _bits_equal(half, single.astype(dt))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_within_tolerance_takes_half_types_and_catches_a_few_units_off(dtype):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dt = np.dtype(getattr(ml_dtypes, dtype) if dtype == "bfloat16" else dtype)
    exact = reference.normal(3, 0, 0, 50000, dt, 0.5, 2.0)
    core = fastinit.normal_(np.empty(50000, dt), 0.5, 2.0, seed=3, stream=0)
    assert reference.within_tolerance("normal", dt, core, exact, 0.5, 2.0).all()
    off = (core.astype(np.float64) * (1 + 4 * (2.0**-10 if dtype == "float16" else 2.0**-7))).astype(dt)
    assert (
        not reference.within_tolerance("normal", dt, off, exact, 0.5, 2.0).mean() > 0.01
    )  # (values near 0 stay)
    with pytest.raises(ValueError, match="within_tolerance: kind='uniform'"):
        reference.within_tolerance("uniform", dt, core, exact, 0.5, 2.0)
