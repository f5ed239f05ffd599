"""Philox4x32 against Random123's known-answer vectors, in the core and in the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import fastinit
from fastinit import reference

KAT = Path(__file__).parent / "data" / "philox4x32-kat.txt"


def _vectors():
    for line in KAT.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, rounds, *words = line.split()
        values = [int(w, 16) for w in words]
        yield pytest.param(
            int(rounds), values[:4], values[4:6], values[6:10], id=f"{name}-{rounds}-{words[0]}"
        )


@pytest.mark.parametrize(("rounds", "ctr", "key", "expected"), list(_vectors()))
@pytest.mark.parametrize("impl", [fastinit.philox4x32, reference.philox4x32], ids=["core", "reference"])
def test_known_answers(impl, rounds, ctr, key, expected):
    out = impl(np.array([ctr], dtype=np.uint32), np.array(key, dtype=np.uint32), rounds)
    assert out.dtype == np.uint32
    assert out.tolist() == [expected]


def test_core_and_reference_agree_on_random_inputs():
    rng = np.random.default_rng(0)
    ctr = rng.integers(0, 2**32, size=(1000, 4), dtype=np.uint32)
    key = rng.integers(0, 2**32, size=2, dtype=np.uint32)
    np.testing.assert_array_equal(fastinit.philox4x32(ctr, key), reference.philox4x32(ctr, key))


def test_stream_words_are_philox_of_the_documented_counter():
    # block j of stream s under seed k: counter (lo32 j, hi32 j, lo32 s, hi32 s), key (lo32 k, hi32 k)
    seed, stream, j = 0x0123456789ABCDEF, 0xFEDCBA9876543210, (1 << 32) + 5
    ctr = np.array([[j & 0xFFFFFFFF, j >> 32, stream & 0xFFFFFFFF, stream >> 32]], dtype=np.uint32)
    key = np.array([seed & 0xFFFFFFFF, seed >> 32], dtype=np.uint32)
    from fastinit import _core

    np.testing.assert_array_equal(_core.words(seed, stream, 4 * j, 4), fastinit.philox4x32(ctr, key)[0])


@pytest.mark.parametrize(
    ("counters", "key", "error"),
    [
        (np.zeros((3, 3), np.uint32), np.zeros(2, np.uint32), ValueError),
        (np.zeros((3, 4), np.uint32), np.zeros(3, np.uint32), ValueError),
        (np.zeros((3, 4), np.float32), np.zeros(2, np.uint32), TypeError),
        (np.full((1, 4), -1), np.zeros(2, np.uint32), ValueError),
    ],
    ids=["counters-shape", "key-shape", "float-counters", "negative"],
)
def test_bad_arguments(counters, key, error):
    with pytest.raises(error, match="philox4x32"):
        fastinit.philox4x32(counters, key)
