"""The bare Philox4x32 bijection (Salmon et al., SC'11), as Random123 defines it."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from .placement import check_int

__all__ = ["philox4x32"]


def _uint32_array(name: str, value: ArrayLike) -> np.ndarray:
    a = np.asarray(value)
    if a.dtype.kind not in "ui":
        raise TypeError(
            f"philox4x32: {name} must be an array of unsigned 32-bit integers; got dtype {a.dtype}"
        )
    if a.size and (int(a.min()) < 0 or int(a.max()) > 0xFFFFFFFF):
        raise ValueError(f"philox4x32: {name} must hold values in [0, 2**32)")
    return np.ascontiguousarray(a, dtype=np.uint32)


def philox4x32(counters: ArrayLike, key: ArrayLike, rounds: int = 10) -> np.ndarray:
    """Philox4x32 with ``rounds`` rounds applied to each row of ``counters`` ((n, 4) uint32)
    under ``key`` ((2,) uint32); returns the (n, 4) uint32 outputs.

    Parameters
    ----------
    counters : array_like of int, shape (n, 4)
        Counter blocks, values in [0, 2**32).
    key : array_like of int, shape (2,)
        The key words, values in [0, 2**32).
    rounds : int, optional
        Rounds, >= 0 (default 10, Random123's Philox4x32-10).

    Returns
    -------
    numpy.ndarray of uint32, shape (n, 4)

    Raises
    ------
    TypeError
        counters or key is not an integer array; rounds is not an int (Python's or NumPy's).
    ValueError
        A value outside [0, 2**32); counters not of shape (n, 4) or key not of shape (2,);
        rounds outside [0, 2**31).

    Examples
    --------
    Random123's known-answer test (kat_vectors, philox4x32_10, all-zero input):

    >>> import fastinit
    >>> [hex(int(w)) for w in fastinit.philox4x32([[0, 0, 0, 0]], [0, 0])[0]]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    c = _uint32_array("counters", counters)
    k = _uint32_array("key", key)
    if c.ndim != 2 or c.shape[1] != 4:
        raise ValueError(f"philox4x32: counters must have shape (n, 4); got {c.shape}")
    if k.shape != (2,):
        raise ValueError(f"philox4x32: key must have shape (2,); got {k.shape}")
    rounds = check_int("philox4x32", "rounds", rounds, 0, 2**31, "an int in [0, 2**31)")
    return np.asarray(_core.philox4x32(c, k, rounds))
