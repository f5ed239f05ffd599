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
