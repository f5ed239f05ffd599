"""Sharded fills: any N-D block of a global tensor, filled on its own with global_shape= and
index=, equals the same block of the whole-tensor result — for every scheme and dtype."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit

ml_dtypes = pytest.importorskip("ml_dtypes")

RANDOM = {
    "uniform_": lambda x, **k: fastinit.uniform_(x, -1.0, 2.0, **k),
    "normal_": lambda x, **k: fastinit.normal_(x, 0.5, 2.0, **k),
    "trunc_normal_": lambda x, **k: fastinit.trunc_normal_(x, **k),
    "xavier_uniform_": lambda x, **k: fastinit.xavier_uniform_(x, **k),
    "xavier_normal_": lambda x, **k: fastinit.xavier_normal_(x, **k),
    "kaiming_uniform_": lambda x, **k: fastinit.kaiming_uniform_(x, **k),
    "kaiming_normal_": lambda x, **k: fastinit.kaiming_normal_(x, mode="fan_out", **k),
    "lecun_normal_": lambda x, **k: fastinit.lecun_normal_(x, **k),
    "variance_scaling_": lambda x, **k: fastinit.variance_scaling_(x, 2.0, "fan_avg", "uniform", **k),
    "orthogonal_": lambda x, **k: fastinit.orthogonal_(x, **k),
    "sparse_": lambda x, **k: fastinit.sparse_(x, 0.3, **k) if x.ndim == 2 else None,
}
DETERMINISTIC = {
    "eye_": lambda x, **k: fastinit.eye_(x, **k) if x.ndim == 2 else None,
    "dirac_": lambda x, **k: fastinit.dirac_(x, 2, **k) if x.ndim == 4 else None,
}
DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]


def _random_blocks(rng, shape, count):
    for _ in range(count):
        index = []
        for n in shape:
            a, b = sorted(rng.integers(0, n + 1, size=2))
            if a == b:
                b = min(n, a + 1)
                a = b - 1
            index.append(slice(int(a), int(b)))
        yield tuple(index)


ONLY_RANK = {"sparse_": 2, "eye_": 2, "dirac_": 4}
CASES = [
    (n, s)
    for n in list(RANDOM) + list(DETERMINISTIC)
    for s in [(37, 29), (12, 6, 3, 5)]
    if ONLY_RANK.get(n, len(s)) == len(s)
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("name", "shape"), CASES)
def test_blocks_equal_slices_of_the_whole(name, dtype, shape):
    fill = {**RANDOM, **DETERMINISTIC}[name]
    kw = {} if name in DETERMINISTIC else {"seed": 21, "stream": "w"}
    whole = fill(np.empty(shape, dtype), **kw)
    rng = np.random.default_rng(hash((name, len(shape))) % 2**32)
    for index in _random_blocks(rng, shape, 8):
        block = np.full(whole[index].shape, 7, dtype)
        fill(block, global_shape=shape, index=index, **kw)
        assert block.tobytes() == np.ascontiguousarray(whole[index]).tobytes(), index


def test_fans_come_from_the_global_shape():
    block = fastinit.kaiming_normal_(
        np.empty((100, 50), np.float32), seed=1, global_shape=(1000, 50), index=(slice(0, 100), slice(None))
    )
    whole = fastinit.kaiming_normal_(np.empty((1000, 50), np.float32), seed=1)
    assert block.tobytes() == whole[:100].tobytes()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"global_shape": (10, 10)}, ValueError, "must be given together"),
        ({"global_shape": (10, 10), "index": (slice(0, 5), slice(0, 4))}, ValueError, "index\\[1\\]"),
        ({"global_shape": (10, 10), "index": (slice(0, 5, 2), slice(0, 5))}, ValueError, "step 1"),
        ({"global_shape": (10, 10), "index": (slice(0, 5), 3)}, TypeError, "must be a slice"),
        ({"global_shape": (10, 10), "index": (slice(0, 5), slice(0, 5)), "offset": 3}, ValueError, "offset"),
    ],
)
def test_bad_shard_arguments(kwargs, error, match):
    a = np.zeros((5, 5), np.float32)
    with pytest.raises(error, match=match):
        fastinit.normal_(a, seed=0, **kwargs)
    assert not a.any()


def test_a_one_dimensional_shard_takes_a_bare_slice_and_an_int_global_shape():
    """As a[s] is a[(s,)] in NumPy and shape=100 is (100,): the same block, the same values."""
    spelled_out = fastinit.normal_(
        np.empty(10, np.float32), seed=1, global_shape=(100,), index=(slice(10, 20),)
    )
    bare = fastinit.normal_(np.empty(10, np.float32), seed=1, global_shape=100, index=slice(10, 20))
    assert np.array_equal(bare, spelled_out)
    for index in (5, "a"):
        with pytest.raises(TypeError, match="index must be a slice or a tuple of slices"):
            fastinit.normal_(np.empty(10, np.float32), seed=1, global_shape=100, index=index)
