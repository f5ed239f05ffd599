"""Keras 3's fan rule (keras.src.initializers.random_initializers.compute_fans), as a
translation: the channels-last layout, or the kernel's own input and output axes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


class AxisError(ValueError, IndexError):
    """An axis that is not an axis of the shape. Keras raises IndexError (when called); this
    error is both, as NumPy's AxisError."""


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
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive
