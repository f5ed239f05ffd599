"""Fan-in and fan-out of a weight shape, for torch's layout (out, in, *kernel), Keras/TF's
channels-last layout (*kernel, in, out) or explicit JAX-style axes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

__all__ = ["AxisSpec", "compute_fans"]

AxisSpec = Union[int, Sequence[int]]

_LAYOUT_AXES = {"oihw": (1, 0), "torch": (1, 0), "hwio": (-2, -1), "keras": (-2, -1)}


def _normalize_axis(fn: str, name: str, axis: int, ndim: int, shape: tuple[int, ...]) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise ValueError(f"{fn}: {name}={axis!r} is not an axis of shape {shape}")
    return axis % ndim


def compute_fans(
    shape: Sequence[int],
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    *,
    fn: str = "compute_fans",
) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight of the given shape.

    layout="oihw" (default, torch): shape (out, in, *kernel), so fan_in = in * prod(kernel) and
    fan_out = out * prod(kernel). layout="hwio" (Keras/TF, channels-last): shape (*kernel, in,
    out). in_axis/out_axis override the layout's axes and batch_axis excludes axes from both
    fans, as in jax.nn.initializers. Fewer than 2 dimensions raise ValueError.

    Parameters
    ----------
    shape : sequence of int
        The weight's shape, at least 2-D.
    layout : {"oihw", "hwio"}, optional
        "oihw" (default; alias "torch") or "hwio" (alias "keras").
    in_axis, out_axis : int, optional
        The input and output axes (negative counts from the end), instead of the layout's.
    batch_axis : int or sequence of int, optional
        Axes left out of both fans (default none).
    fn : str, optional
        Keyword only: the function name error messages start with.

    Returns
    -------
    (float, float)
        fan_in and fan_out: each the size of its axis times the product of the other axes that
        are neither input, output nor batch axes (the receptive field).

    Raises
    ------
    ValueError
        Fewer than 2 dimensions; an unknown layout; an axis outside the shape; input, output and
        batch axes that are not distinct.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.compute_fans((64, 32, 3, 3))
    (288.0, 576.0)
    >>> fastinit.compute_fans((3, 3, 32, 64), layout="hwio")
    (288.0, 576.0)
    >>> fastinit.compute_fans((8, 16, 32), in_axis=1, out_axis=2, batch_axis=0)
    (16.0, 32.0)
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2:
        raise ValueError(f"{fn}: fan_in and fan_out need a shape of at least 2 dimensions; got shape {shape}")
    if layout not in _LAYOUT_AXES:
        raise ValueError(f"{fn}: layout={layout!r} is not one of 'oihw' (torch) or 'hwio' (Keras/TF)")
    default_in, default_out = _LAYOUT_AXES[layout]
    ndim = len(shape)
    i = _normalize_axis(fn, "in_axis", default_in if in_axis is None else in_axis, ndim, shape)
    o = _normalize_axis(fn, "out_axis", default_out if out_axis is None else out_axis, ndim, shape)
    batch = (batch_axis,) if isinstance(batch_axis, int) else tuple(batch_axis)
    b = {_normalize_axis(fn, "batch_axis", a, ndim, shape) for a in batch}
    if i == o or i in b or o in b:
        raise ValueError(f"{fn}: in_axis, out_axis and batch_axis must be distinct axes of shape {shape}")
    receptive = math.prod(n for k, n in enumerate(shape) if k not in b and k not in (i, o))
    return float(shape[i] * receptive), float(shape[o] * receptive)
