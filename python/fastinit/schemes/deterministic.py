"""The non-random initializations: constant_, ones_, zeros_, eye_ and dirac_ (torch's
semantics). They validate arr like every fill and leave it untouched on bad input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from ..engine.fill import check_real
from ..engine.keys import shard_starts
from ..engine.targets import as_target, assign, fill_value

__all__ = ["constant_", "dirac_", "eye_", "ones_", "zeros_"]

A = TypeVar("A")


def constant_(arr: A, val: float) -> A:
    """Fill arr with the finite value val, in place; returns arr."""
    a = as_target("constant_", arr)
    fill_value(a, check_real("constant_", "val", val))
    return arr


def ones_(arr: A) -> A:
    """Fill arr with 1, in place; returns arr."""
    fill_value(as_target("ones_", arr), 1.0)
    return arr


def zeros_(arr: A) -> A:
    """Fill arr with 0, in place; returns arr."""
    fill_value(as_target("zeros_", arr), 0.0)
    return arr


def _block(
    fn: str, a: Any, global_shape: Sequence[int] | None, index: Sequence[slice] | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(global shape, block start) of the local array: itself when not sharded."""
    if global_shape is None and index is None:
        return tuple(a.shape), (0,) * a.ndim
    return shard_starts(fn, a.shape, global_shape, index)


def eye_(arr: A, *, global_shape: Sequence[int] | None = None, index: Sequence[slice] | None = None) -> A:
    """The identity matrix in a 2-D arr (ones on the main diagonal, zeros elsewhere; rectangular
    allowed), in place, as torch.nn.init.eye_; returns arr. Other ranks raise ValueError. With
    global_shape= and index=, arr is that block of the global identity."""
    a = as_target("eye_", arr)
    gshape, (r0, c0) = _block("eye_", a, global_shape, index) if a.ndim == 2 else ((), (0, 0))
    if a.ndim != 2 or len(gshape) != 2:
        raise ValueError(f"eye_: only 2-D arrays are supported; got shape {global_shape or a.shape}")
    rows = np.arange(r0, r0 + a.shape[0])[:, None]
    cols = np.arange(c0, c0 + a.shape[1])[None, :]
    assign(a, (rows == cols).astype(np.float32))
    return arr


def dirac_(
    arr: A,
    groups: int = 1,
    *,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """The Dirac delta in a 3-, 4- or 5-D convolution weight (out, in, *kernel), in place, as
    torch.nn.init.dirac_: with groups g, each group's first min(out / g, in) output channels copy
    the matching input channel through the kernel's centre; everything else is 0. The out
    channels must be divisible by groups. With global_shape= and index=, arr is that block of the
    global weight."""
    a = as_target("dirac_", arr)
    if a.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3-, 4- and 5-D arrays are supported; got shape {a.shape}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"dirac_: groups must be an int >= 1; got {groups!r}")
    gshape, starts = _block("dirac_", a, global_shape, index)
    if gshape[0] % groups != 0:
        raise ValueError(
            f"dirac_: out channels {gshape[0]} of shape {gshape} are not divisible by groups={groups}"
        )
    out_per_group = gshape[0] // groups
    n = min(out_per_group, gshape[1])
    coords = np.ix_(*(np.arange(s, s + k) for s, k in zip(starts, a.shape)))
    out_ch, in_ch, kernel = coords[0], coords[1], coords[2:]
    d = out_ch % out_per_group
    delta = (d == in_ch) & (d < n)
    for k, g in zip(kernel, gshape[2:]):
        delta = delta & (k == g // 2)
    assign(a, delta.astype(np.float32))
    return arr
