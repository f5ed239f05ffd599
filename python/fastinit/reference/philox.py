"""The reference's bit source: Philox4x32-10 in NumPy (and ARS4x32-7 for stream version 2, from
reference.ars), the stream's block and word layout, and the uniform in [0, 1) each element
starts from (docs/stream.md); bit for bit the core's."""

from __future__ import annotations

from typing import cast

import numpy as np

from .._docstrings import documented
from .ars import ars4x32

__all__ = ["MASK32", "STREAM_VERSION", "block_words", "philox4x32", "u64_pairs", "unit", "words"]

STREAM_VERSION = 1

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


@documented
def philox4x32(counters: np.ndarray, key: np.ndarray, rounds: int = 10) -> np.ndarray:
    """Philox4x32 of each row of counters ((n, 4) uint32) under key ((2,) uint32).

    Parameters
    ----------
    counters : numpy.ndarray, shape (n, 4)
        Counter blocks, values in [0, 2**32).
    key : numpy.ndarray, shape (2,)
        The key words, values in [0, 2**32).
    rounds : int, optional
        Rounds (default 10).

    Returns
    -------
    numpy.ndarray of uint32, shape (n, 4)

    <unchecked arguments>

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> from fastinit import reference
    >>> counters = np.array([[0, 0, 0, 0], [1, 2, 3, 4]], np.uint32)
    >>> key = np.array([5, 6], np.uint32)
    >>> np.array_equal(reference.philox4x32(counters, key), fastinit.philox4x32(counters, key))
    True
    """
    x = np.asarray(counters, dtype=np.uint64).reshape(-1, 4)
    x0, x1, x2, x3 = (x[:, i].copy() for i in range(4))
    k0, k1 = int(key[0]), int(key[1])
    for _ in range(rounds):
        p0 = x0 * np.uint64(M0)
        p1 = x2 * np.uint64(M1)
        y0 = (p1 >> np.uint64(32)) ^ x1 ^ np.uint64(k0)
        y2 = (p0 >> np.uint64(32)) ^ x3 ^ np.uint64(k1)
        x0, x1, x2, x3 = y0, p1 & MASK32, y2, p0 & MASK32
        k0 = (k0 + W0) & 0xFFFFFFFF
        k1 = (k1 + W1) & 0xFFFFFFFF
    return np.stack([x0, x1, x2, x3], axis=1).astype(np.uint32)


@documented
def block_words(seed: int, stream: int, first_block: int, count: int, version: int = 1) -> np.ndarray:
    """The (count, 4) words of blocks j = first_block ..: counter (lo32(j), hi32(j),
    lo32(stream), hi32(stream)), key (lo32(seed), hi32(seed)) - and (.., 0, 0) for version 2.

    Parameters
    ----------
    <seed and stream>
    first_block, count : int
        The blocks [first_block, first_block + count), both >= 0.
    version : {1, 2}, optional
        The stream version: Philox4x32-10's words (1, default) or ARS4x32-7's (2).

    Returns
    -------
    numpy.ndarray of uint32, shape (count, 4)
        The generator's output for each block.

    <unchecked arguments>

    Examples
    --------
    >>> from fastinit import reference
    >>> reference.block_words(0, 0, 0, 2).shape
    (2, 4)
    """
    j = np.arange(first_block, first_block + count, dtype=np.uint64)
    counters = np.empty((count, 4), dtype=np.uint64)
    counters[:, 0] = j & MASK32
    counters[:, 1] = j >> np.uint64(32)
    counters[:, 2] = stream & 0xFFFFFFFF
    counters[:, 3] = stream >> 32
    if version == 2:
        return ars4x32(counters.astype(np.uint32), np.array([seed & 0xFFFFFFFF, seed >> 32, 0, 0], np.uint32))
    key = np.array([seed & 0xFFFFFFFF, seed >> 32], dtype=np.uint64)
    return philox4x32(counters, key)


@documented
def words(seed: int, stream: int, first: int, n: int, version: int = 1) -> np.ndarray:
    """32-bit word i of the stream for i in [first, first + n): word i mod 4 of block i // 4.

    Parameters
    ----------
    <seed and stream>
    <element range>
    version : {1, 2}, optional
        The stream version whose generator gives the words (default 1).

    Returns
    -------
    numpy.ndarray of uint32, shape (n,)

    <unchecked arguments>

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import reference
    >>> np.array_equal(reference.words(3, 1, 2, 5), reference.block_words(3, 1, 0, 2).reshape(-1)[2:7])
    True
    """
    j0, j1 = first // 4, (first + n + 3) // 4
    return block_words(seed, stream, j0, j1 - j0, version).reshape(-1)[first - 4 * j0 : first - 4 * j0 + n]


def u64_pairs(seed: int, stream: int, first: int, n: int, version: int = 1) -> np.ndarray:
    """For 8-byte element i: words 2(i mod 2) (low) and 2(i mod 2) + 1 (high) of block i // 2,
    from stream version `version`'s generator."""
    j0, j1 = first // 2, (first + n + 1) // 2
    w = block_words(seed, stream, j0, j1 - j0, version).astype(np.uint64).reshape(-1, 2)
    u = w[:, 0] | (w[:, 1] << np.uint64(32))
    return cast(np.ndarray, u[first - 2 * j0 : first - 2 * j0 + n])


def unit(seed: int, stream: int, first: int, n: int, dtype: np.dtype, version: int = 1) -> np.ndarray:
    """The uniform in [0, 1) of each element: (w >> 8) * 2**-24 or (u64 >> 11) * 2**-53, from
    the words of stream version `version`'s generator (uniform_ takes version 1's in every
    version; trunc_normal_ its own version's)."""
    if dtype == np.float64:
        u64 = u64_pairs(seed, stream, first, n, version)
        return cast(np.ndarray, (u64 >> np.uint64(11)).astype(np.float64) * 2.0**-53)
    w = words(seed, stream, first, n, version)
    return cast(np.ndarray, (w >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24))
