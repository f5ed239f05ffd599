"""A fill's Key: which stream it draws from (seed and stream id, from seed= / stream= /
generator=) and where its target sits in that stream (offset=, or a shard's global_shape= and
index=). docs/stream.md defines both."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import _core
from .streams import Generator, StreamLike, check_u64, key_source
from .targets import shard_starts

__all__ = ["make_key", "shard_placement"]

_U64 = 1 << 64


def shard_placement(
    fn: str, shape: Sequence[int], global_shape: Sequence[int] | None, index: Sequence[slice] | None
) -> tuple[list[int], int]:
    """(logical strides, logical index of the first element) of a local block of a global tensor:
    the global tensor's C-order strides and the block's start in it."""
    gshape, starts = shard_starts(fn, shape, global_shape, index)
    if math.prod(gshape) >= 2**63:
        raise ValueError(
            f"{fn}: global_shape={gshape} has {math.prod(gshape)} elements, more than a stream can index "
            "(2**58 for 4- and 2-byte values, 2**57 for float64)"
        )
    strides, step = [], 1
    for n in reversed(gshape):
        strides.append(step)
        step *= n
    strides.reverse()
    return strides, sum(s * g for s, g in zip(starts, strides))


def make_key(
    fn: str,
    shape: Sequence[int],
    generator: Generator | Any | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> _core.Key:
    """The Key of a call's placement keywords (placement.py) for a target of `shape`, checked
    (TypeError / ValueError naming the argument). A generator's next stream, or a seed drawn from a torch generator, is taken
    only when the engine has accepted the fill."""
    first = offset if type(offset) is int and 0 <= offset < _U64 else check_u64(fn, "offset", offset)
    strides = None
    if global_shape is not None or index is not None:
        if first:
            raise ValueError(f"{fn}: index= and offset= cannot be combined; got offset={first}")
        strides, first = shard_placement(fn, shape, global_shape, index)
    source = key_source(fn, generator, seed, stream)
    if isinstance(source, tuple):
        return _core.Key(source[0], source[1], first, strides, None)
    return _core.Key(0, 0, first, strides, source)
