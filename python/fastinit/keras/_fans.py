"""Keras 3's fan rule (keras.src.initializers.random_initializers.compute_fans), as a
translation into fastinit's one rule (schemes.fans.fans_by_axes): the channels-last layout
(in -2, out -1, the rest receptive field), or the kernel's own input and output axes with every
other axis left out of both fans (batch axes). Keras's edges for 0- and 1-D shapes stay here."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..engine.shapes import AxisError
from ..schemes.fans import fans_by_axes


def compute_fans(
    shape: Sequence[int], input_axes: Sequence[int] | None = None, output_axes: Sequence[int] | None = None
) -> tuple[int, int]:
    """(fan_in, fan_out) by Keras 3's rule: with both input_axes and output_axes, the products of
    those axes; else () -> (1, 1), (n,) -> (n, n), (i, o) -> (i, o) and (*kernel, i, o) ->
    (i * prod(kernel), o * prod(kernel)).

    Parameters
    ----------
    shape : sequence of int
        The kernel's shape, channels last.
    input_axes, output_axes : sequence of int, optional
        Used when both are given (EinsumDense and so MultiHeadAttention give them).

    Returns
    -------
    (int, int)

    Raises
    ------
    ValueError, IndexError
        input_axes or output_axes holds something that is not an axis of shape (one error of
        both types).

    Examples
    --------
    >>> import fastinit.keras as fk
    >>> fk.compute_fans((3, 3, 16, 32))
    (144, 288)
    >>> fk.compute_fans((2, 3, 4), input_axes=[0], output_axes=[1, 2])
    (2, 12)
    """
    shape = tuple(int(n) for n in shape)
    if input_axes is not None and output_axes is not None:
        for arg, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
            for a in axes:
                if (
                    isinstance(a, bool)
                    or not isinstance(a, (int, np.integer))
                    or not -len(shape) <= a < len(shape)
                ):
                    raise AxisError(
                        f"compute_fans: {arg}={list(axes)!r} is not a list of axes of shape {shape}"
                    )
        named = [a % len(shape) for a in (*input_axes, *output_axes)]
        if len(set(named)) < len(named):  # an axis in both (Keras allows it): the plain products
            return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
        others = [a for a in range(len(shape)) if a not in named]
        fan_in, fan_out = fans_by_axes(shape, list(input_axes), list(output_axes), others)
        return int(fan_in), int(fan_out)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    fan_in, fan_out = fans_by_axes(shape, -2, -1)
    return int(fan_in), int(fan_out)
