"""A fill's Key: which stream it draws from (seed and stream id, from seed= / stream= /
generator=) and where its target sits in that stream (offset=, or a shard's global_shape= and
index=). docs/stream.md defines both."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .. import _core
from .placement import check_offset
from .shapes import as_shape

__all__ = ["make_key", "shard_placement", "shard_starts"]

_KEYS: dict[tuple[tuple[int, int], int, int], _core.Key] = {}
_STREAM_END = 1 << 58  # elements of 4 or 2 bytes; float64 ends at 2**57 (the engine checks)


def shard_starts(
    fn: str, shape: Sequence[int], global_shape: Sequence[int] | None, index: Sequence[slice] | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(global shape, start of the block in each dimension) of a local block given by
    global_shape= and index= (step-1 slices, one per dimension, selecting exactly the local
    shape); ValueError / TypeError name what does not fit."""
    if global_shape is None or index is None:
        raise ValueError(f"{fn}: global_shape= and index= must be given together")
    gshape = as_shape(fn, global_shape, name="global_shape")
    if isinstance(index, slice):  # a[s] is a[(s,)], as in NumPy
        index = (index,)
    elif not isinstance(index, (tuple, list)):
        raise TypeError(f"{fn}: index must be a slice or a tuple of slices, one per dimension; got {index!r}")
    index = tuple(index)
    shape = tuple(int(n) for n in shape)
    if len(index) != len(gshape) or len(shape) != len(gshape):
        raise ValueError(
            f"{fn}: index must have one slice per dimension of global_shape {gshape} and "
            f"the array must have as many dimensions; got index={index!r}, array shape {shape}"
        )
    starts = []
    for d, (s, n, g) in enumerate(zip(index, shape, gshape)):
        if not isinstance(s, slice):
            raise TypeError(f"{fn}: index[{d}] must be a slice; got {s!r}")
        start, stop, step = s.indices(g)
        if step != 1:
            raise ValueError(f"{fn}: index[{d}] must have step 1; got {s!r}")
        if max(stop - start, 0) != n:
            raise ValueError(
                f"{fn}: index[{d}]={s!r} selects {max(stop - start, 0)} of global extent {g}, "
                f"but the array's extent there is {n}"
            )
        starts.append(start)
    return gshape, tuple(starts)


def shard_placement(
    fn: str,
    shape: Sequence[int],
    global_shape: Sequence[int] | None,
    index: Sequence[slice] | None,
    item_size: int = 4,
) -> tuple[list[int], int]:
    """(logical strides, logical index of the first element) of a local block of a global tensor:
    the global tensor's C-order strides and the block's start in it. A global tensor of more
    elements than the stream of item_size-byte values can index is a ValueError for every block
    of it alike (not only for the blocks that reach past the end: ranks would disagree)."""
    gshape, starts = shard_starts(fn, shape, global_shape, index)
    end = _STREAM_END >> 1 if item_size >= 8 else _STREAM_END
    if math.prod(gshape) > end:
        raise ValueError(
            f"{fn}: global_shape={gshape} has {math.prod(gshape)} elements, more than a stream of "
            f"{item_size}-byte values can index ({end}: 2**58 for 4- and 2-byte values, 2**57 for float64)"
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
    source: tuple[int, int] | Callable[[], tuple[int, int]],
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
    version: int = 1,
    item_size: int = 4,
) -> _core.Key:
    """The Key of a target of `shape` drawing from `source` (streams.key_source: a (seed, stream
    id) pair, or a function that takes them — a generator's next stream, a seed drawn from a torch
    generator — called by the engine only once it has accepted the fill) at offset= or as the
    block `index` of a tensor of `global_shape` (placement.py; its values item_size bytes), in
    stream version `version` (checked: streams.stream_version_of). TypeError / ValueError name
    the argument that is wrong."""
    first = offset if type(offset) is int and 0 <= offset < _STREAM_END else check_offset(fn, offset)
    strides = None
    if global_shape is not None or index is not None:
        if first:
            raise ValueError(f"{fn}: index= and offset= cannot be combined; got offset={first}")
        strides, first = shard_placement(fn, shape, global_shape, index, item_size)
    if isinstance(source, tuple):
        if strides is not None:
            return _core.Key(source[0], source[1], first, strides, None, version)
        key = _KEYS.get((source, first, version))
        if key is None:  # a Key is immutable: the same (seed, stream, offset, version) shares one
            if len(_KEYS) >= 4096:
                _KEYS.clear()
            key = _KEYS[(source, first, version)] = _core.Key(
                source[0], source[1], first, None, None, version
            )
        return key
    return _core.Key(0, 0, first, strides, source, version)
