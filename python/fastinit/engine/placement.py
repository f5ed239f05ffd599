"""The keywords every random fill takes — which stream it draws from and where its target sits
in that stream — bundled once (Placement) and checked once (check_placement); documented once
in fastinit._docstrings (PLACEMENT_DOC, appended to each function's docstring by
takes_placement)."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

if TYPE_CHECKING:
    from .streams import Generator, StreamLike

__all__ = [
    "PLACEMENT_KEYS", "FanKeywords", "Placement", "SchemeKeywords", "check_int", "check_offset", "check_placement",
    "check_u64",
]  # fmt: skip


class Placement(TypedDict, total=False):
    """generator=, seed=, stream=, offset=, global_shape=, index=, stream_version=
    (PLACEMENT_DOC)."""

    generator: Generator | Any | None
    seed: int | None
    stream: StreamLike | None
    offset: int
    global_shape: Sequence[int] | None
    index: Sequence[slice] | None
    stream_version: int | None


class FanKeywords(TypedDict, total=False):
    """layout=, in_axis=, out_axis=, batch_axis=: how a scheme reads fans (FANS_DOC)."""

    layout: str
    in_axis: int | None
    out_axis: int | None
    batch_axis: int | Sequence[int]


class SchemeKeywords(FanKeywords, Placement, total=False):
    """The keywords of every variance-scaling scheme: its fans and its placement."""


PLACEMENT_KEYS = frozenset(Placement.__annotations__)  # the placement keywords' names
_FAN_KEYS = frozenset(FanKeywords.__annotations__)
_SCHEME_KEYS = PLACEMENT_KEYS | _FAN_KEYS

_U64 = 1 << 64


def check_u64(fn: str, name: str, value: object) -> int:
    """value as a Python int in [0, 2**64), or TypeError / ValueError naming fn and name."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int in [0, 2**64); got {value!r}")
    v = int(value)
    if not 0 <= v < _U64:
        raise ValueError(f"{fn}: {name} must be an int in [0, 2**64); got {v}")
    return v


def check_int(fn: str, name: str, value: object, lo: int, hi: int | None = None, allowed: str = "") -> int:
    """value as a Python int in [lo, hi) (hi None: no upper end), from a Python or NumPy integer
    or anything else with __index__ but a bool: TypeError / ValueError naming fn and name, and
    saying what is allowed (default "an int >= lo" or "an int in [lo, hi)")."""
    allowed = allowed or (f"an int >= {lo}" if hi is None else f"an int in [{lo}, {hi})")
    if isinstance(value, (bool, np.bool_)) or not hasattr(type(value), "__index__"):
        raise TypeError(f"{fn}: {name} must be {allowed}; got {value!r}")
    try:
        v = operator.index(value)  # type: ignore[arg-type]  # (it has __index__)
    except TypeError:  # a NumPy array that is not an integer scalar
        raise TypeError(f"{fn}: {name} must be {allowed}; got {value!r}") from None
    if v < lo or (hi is not None and v >= hi):
        raise ValueError(f"{fn}: {name} must be {allowed}; got {value!r}")
    return v


def check_offset(fn: str, offset: object) -> int:
    """offset= as a Python int: TypeError / ValueError naming fn and the range a stream has
    (2**58 elements of 4 or 2 bytes, 2**57 of float64; docs/stream.md). The engine checks the
    last element's index against its dtype's limit."""
    if isinstance(offset, (bool, np.bool_)) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"{fn}: offset must be an int in [0, 2**58) (2**57 for float64); got {offset!r}")
    v = int(offset)
    if not 0 <= v < 1 << 58:
        raise ValueError(
            f"{fn}: offset must be an int in [0, 2**58) (2**57 for float64), the element indices a "
            f"stream has; got offset={v}"
        )
    return v


def check_placement(fn: str, placement: Mapping[str, object], fans: bool = False) -> None:
    """TypeError naming a keyword that is not a placement keyword (with fans, nor a fan keyword),
    as Python would for an explicit signature."""
    if placement.keys() <= (_SCHEME_KEYS if fans else PLACEMENT_KEYS):
        return
    unknown = placement.keys() - PLACEMENT_KEYS - (_FAN_KEYS if fans else frozenset())
    if unknown:
        name = sorted(unknown)[0]
        raise TypeError(f"{fn}() got an unexpected keyword argument {name!r}")
