"""The non-random initializations: constant_, ones_, zeros_, eye_ and dirac_ (torch's
semantics). They validate arr like every fill and leave it untouched on bad input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from .._docstrings import documented, expand, takes_placement_keywords
from ..engine.fill import check_in_range, check_real
from ..engine.keys import shard_starts
from ..engine.placement import check_int
from ..engine.targets import as_target, assign, fill_value

__all__ = ["constant_", "dirac_", "eye_", "ones_", "zeros_"]

A = TypeVar("A")


@documented
def constant_(arr: A, val: float) -> A:
    """Fill arr with the finite value val, in place, as torch.nn.init.constant_; returns arr.

    Parameters
    ----------
    <writable arr>
    val : float
        A finite real number within the range of arr's dtype, stored rounded to it.

    <returns arr>

    Raises
    ------
    TypeError
        arr is not an array of a supported dtype, or val is not a real number.
    ValueError
        val is not finite, or beyond the largest finite value of arr's dtype (as the fills'
        parameters are); arr is read-only or overlaps itself. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.constant_(np.empty((2, 3), np.float32), 0.5)
    array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]], dtype=float32)
    """
    a = as_target("constant_", arr)
    v = check_real("constant_", "val", val)
    fill_value(a, check_in_range("constant_", "val", v, str(a.dtype).removeprefix("torch.")))
    return arr


def ones_(arr: A) -> A:
    fill_value(as_target("ones_", arr), 1.0)
    return arr


def zeros_(arr: A) -> A:
    fill_value(as_target("zeros_", arr), 0.0)
    return arr


_FILLED_DOC = """Fill arr with {value}, in place, as torch.nn.init.{name}; returns arr.

    Parameters
    ----------
    <writable arr>

    <returns arr>

    Raises
    ------
    TypeError
        arr is not an array of a supported dtype.
    ValueError
        arr is read-only or overlaps itself. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.{name}({example})
    {result}
    """
ones_.__doc__ = expand(_FILLED_DOC).format(
    value=1, name="ones_", example="np.empty(3)", result="array([1., 1., 1.])"
)
zeros_.__doc__ = expand(_FILLED_DOC).format(
    value=0, name="zeros_", example="np.empty(3, np.float32)", result="array([0., 0., 0.], dtype=float32)"
)


def _block(
    fn: str, a: Any, global_shape: Sequence[int] | None, index: Sequence[slice] | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(global shape, block start) of the local array: itself when not sharded."""
    if global_shape is None and index is None:
        return tuple(a.shape), (0,) * a.ndim
    return shard_starts(fn, a.shape, global_shape, index)


@takes_placement_keywords("global_shape", "index")
def eye_(arr: A, *, global_shape: Sequence[int] | None = None, index: Sequence[slice] | None = None) -> A:
    """The identity matrix in a 2-D arr (ones on the main diagonal, zeros elsewhere; rectangular
    allowed), in place, as torch.nn.init.eye_; returns arr. Other ranks raise ValueError. With
    global_shape= and index=, arr is that block of the global identity.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        A writable 2-D array or CPU torch tensor of a supported dtype (as in uniform_).

    <returns arr>

    Raises
    ------
    <shard type errors>
    ValueError
        arr (or global_shape) is not 2-D; arr is read-only; global_shape= without index= (or the
        reverse), or an index that does not select arr's shape. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.eye_(np.empty((2, 3)))
    array([[1., 0., 0.],
           [0., 1., 0.]])
    >>> fastinit.eye_(np.empty((2, 3)), global_shape=(4, 3), index=(slice(1, 3), slice(0, 3)))
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    a = as_target("eye_", arr)
    gshape, (r0, c0) = _block("eye_", a, global_shape, index) if a.ndim == 2 else ((), (0, 0))
    if a.ndim != 2 or len(gshape) != 2:
        raise ValueError(f"eye_: only 2-D arrays are supported; got shape {global_shape or a.shape}")
    rows = np.arange(r0, r0 + a.shape[0])[:, None]
    cols = np.arange(c0, c0 + a.shape[1])[None, :]
    assign(a, (rows == cols).astype(np.float32))
    return arr


@takes_placement_keywords("global_shape", "index")
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
    global weight.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        A writable 3-, 4- or 5-D array or CPU torch tensor of a supported dtype (as in uniform_),
        in torch's (out, in, *kernel) layout.
    groups : int
        The convolution's groups, >= 1, dividing the out channels.

    <returns arr>

    Raises
    ------
    <shard type errors>
    TypeError
        groups is not an int.
    ValueError
        arr is not 3-, 4- or 5-D; groups is < 1 or does not divide the out channels;
        arr is read-only; a bad global_shape= / index=. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.dirac_(np.empty((2, 2, 3), np.float32))
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    >>> float(w.sum())
    2.0
    """
    a = as_target("dirac_", arr)
    if a.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3-, 4- and 5-D arrays are supported; got shape {a.shape}")
    groups = check_int("dirac_", "groups", groups, 1)  # a TypeError for a float, as torch's
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
