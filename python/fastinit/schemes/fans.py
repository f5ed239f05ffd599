"""Fan-in and fan-out of a weight shape: the one rule, :func:`fans_by_axes`, that every framework's
fans are expressed through.

A weight has input axes, output axes and batch axes (each an int or a sequence of ints, as in
jax.nn.initializers); every other axis is "receptive field" (a convolution's kernel). Then

    fan_in = prod(shape[in_axis]) * receptive,   fan_out = prod(shape[out_axis]) * receptive,

receptive = prod(shape) / prod(shape[in_axis]) / prod(shape[out_axis]) / prod(shape[batch_axis])
(for distinct axes: the product of the remaining extents). The frameworks differ only in where
the axes are and in a few edges:

* **torch** (``layout="oihw"``, fastinit's default): shape (out, in, *kernel): in_axis=1,
  out_axis=0; at least 2 dimensions.
* **Keras/TF and JAX** (``layout="hwio"``): shape (*kernel, in, out): in_axis=-2, out_axis=-1.
  Keras divides by max(1, n) later (``Scheme.min_fan``, not here).
* **JAX** (``fastinit.jax.compute_fans``) also allows overlapping axes (Flax's ``nn.Embed`` has
  in_axis=-2 and out_axis=0 on a 2-D table) and, with an explicit in_axis, shapes of fewer than
  2 dimensions; it divides prod(shape) by the sizes in floating point. With overlapping axes
  fastinit does the same divisions; with distinct axes it multiplies the remaining extents,
  which gives JAX's result wherever JAX's is defined (the quotients are exact integers) and
  fastinit.compute_fans's where JAX divides by zero (an empty weight: nothing is drawn).
  Overlapping axes with a zero extent give (0.0, 0.0).
* fastinit.compute_fans (NumPy, torch) requires distinct axes and 2 or more dimensions.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Union

from ..engine.shapes import as_shape

__all__ = ["AxisSpec", "compute_fans", "fans_by_axes", "layout_axes"]

AxisSpec = Union[int, Sequence[int]]

_LAYOUT_AXES = {"oihw": (1, 0), "torch": (1, 0), "hwio": (-2, -1), "keras": (-2, -1)}


def layout_axes(fn: str, layout: str) -> tuple[int, int]:
    """(in_axis, out_axis) of a named layout: "oihw" (alias "torch") is (1, 0), "hwio" (alias
    "keras") is (-2, -1); ValueError naming fn for another name."""
    if layout not in _LAYOUT_AXES:
        raise ValueError(f"{fn}: layout={layout!r} is not one of 'oihw' (torch) or 'hwio' (Keras/TF)")
    return _LAYOUT_AXES[layout]


def axes_of(fn: str, name: str, axis: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """An axis argument (an int or a sequence of ints) as non-negative axes of shape: TypeError
    for another type, ValueError for an axis outside the shape, both naming fn and the argument."""
    ndim = len(shape)
    try:
        items: tuple[Any, ...] = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an int or a sequence of ints; got {axis!r}") from None
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral) or not -ndim <= int(a) < ndim:
            raise ValueError(f"{fn}: {name}={axis!r} is not an axis (or axes) of shape {shape}")
        out.append(int(a) % ndim)
    return tuple(out)


def fans_by_axes(
    shape: Sequence[int],
    in_axis: AxisSpec,
    out_axis: AxisSpec,
    batch_axis: AxisSpec = (),
    *,
    fn: str = "compute_fans",
) -> tuple[float, float]:
    """(fan_in, fan_out) by the one rule (module docstring): each axis argument an int or a
    sequence of ints (negative counts from the end); axes may overlap, as JAX allows.

    Parameters
    ----------
    shape : sequence of int
        The weight's shape.
    in_axis, out_axis, batch_axis : int or sequence of int
        The input, output and batch axes (batch_axis default none).
    fn : str, optional
        Keyword only: the function name error messages start with.

    Returns
    -------
    (float, float)
        fan_in and fan_out.

    Raises
    ------
    TypeError
        An axis argument that is not an int or a sequence of ints.
    ValueError
        An axis outside the shape.

    Examples
    --------
    >>> from fastinit.schemes.fans import fans_by_axes
    >>> fans_by_axes((3, 3, 16, 32), -2, -1)
    (144.0, 288.0)
    >>> fans_by_axes((10, 20), -2, 0)  # overlapping axes, as Flax's nn.Embed has them
    (20.0, 20.0)
    """
    shape = tuple(int(n) for n in shape)
    axes = [axes_of(fn, name, a, shape) for name, a in
            (("in_axis", in_axis), ("out_axis", out_axis), ("batch_axis", batch_axis))]  # fmt: skip
    in_size, out_size, batch_size = (math.prod(shape[a] for a in ax) for ax in axes)
    counted = [a for ax in axes for a in ax]
    if len(set(counted)) == len(counted):
        receptive: float = math.prod(n for k, n in enumerate(shape) if k not in counted)
    elif in_size * out_size * batch_size == 0:
        return 0.0, 0.0
    else:
        receptive = math.prod(shape) / in_size / out_size / batch_size  # JAX's arithmetic
    return float(in_size * receptive), float(out_size * receptive)


def compute_fans(
    shape: Sequence[int],
    layout: str = "oihw",
    in_axis: AxisSpec | None = None,
    out_axis: AxisSpec | None = None,
    batch_axis: AxisSpec = (),
    *,
    fn: str = "compute_fans",
) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight of the given shape.

    layout="oihw" (default, torch): shape (out, in, *kernel), so fan_in = in * prod(kernel) and
    fan_out = out * prod(kernel). layout="hwio" (Keras/TF, channels-last): shape (*kernel, in,
    out). in_axis/out_axis override the layout's axes and batch_axis excludes axes from both
    fans, as in jax.nn.initializers. Fewer than 2 dimensions raise ValueError. The rule, and how
    the frameworks differ, is fastinit.schemes.fans's (module docstring).

    Parameters
    ----------
    shape : sequence of int
        The weight's shape, at least 2-D.
    layout : {"oihw", "hwio"}, optional
        "oihw" (default; alias "torch") or "hwio" (alias "keras").
    in_axis, out_axis : int or sequence of int, optional
        The input and output axes (negative counts from the end), instead of the layout's; a
        sequence counts the product of its axes, as in jax.nn.initializers.
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
    TypeError
        shape is not a sequence of ints (engine.shapes's rule); an axis argument is not an int
        or a sequence of ints.
    ValueError
        A negative extent; fewer than 2 dimensions; an unknown layout; an axis outside the shape;
        input, output and batch axes that are not distinct.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.compute_fans((64, 32, 3, 3))
    (288.0, 576.0)
    >>> fastinit.compute_fans((3, 3, 32, 64), layout="hwio")
    (288.0, 576.0)
    >>> fastinit.compute_fans((8, 16, 32), in_axis=1, out_axis=2, batch_axis=0)
    (16.0, 32.0)
    >>> fastinit.compute_fans((2, 4, 6, 8), in_axis=(1, 2), out_axis=3)
    (48.0, 16.0)
    """
    shape = as_shape(fn, shape)
    if len(shape) < 2:
        raise ValueError(f"{fn}: fan_in and fan_out need a shape of at least 2 dimensions; got shape {shape}")
    default_in, default_out = layout_axes(fn, layout)
    i, o = (default_in if in_axis is None else in_axis), (default_out if out_axis is None else out_axis)
    counted = [a for name, ax in (("in_axis", i), ("out_axis", o), ("batch_axis", batch_axis))
               for a in axes_of(fn, name, ax, shape)]  # fmt: skip
    if len(set(counted)) != len(counted):
        raise ValueError(f"{fn}: in_axis, out_axis and batch_axis must be distinct axes of shape {shape}")
    return fans_by_axes(shape, i, o, batch_axis, fn=fn)
