"""A pure-NumPy implementation of fastinit's random stream, versions 1 and 2 (docs/stream.md).

Anyone can reproduce fastinit's values with it, without the compiled core: raw words and
uniforms bit for bit; normals and truncated normals by the exact transform (computed in float64
with NumPy's and the math module's functions), which the core matches within the tolerances
docs/stream.md states. It is slow (a few million values per second) and meant for checking.

All functions take logical element indices [first, first + n) of a flat stream.
"""

from __future__ import annotations

from .ars import ars4x32
from .laws import TOLERANCE as TOLERANCE  # the tests' tolerances, not public API
from .laws import normal, trunc_normal, uniform
from .laws import within_tolerance as within_tolerance
from .philox import STREAM_VERSION, block_words, philox4x32, words

__all__ = [
    "STREAM_VERSION",
    "ars4x32",
    "block_words",
    "normal",
    "philox4x32",
    "trunc_normal",
    "uniform",
    "words",
]
