"""The argument checks shared by the fills that place a matrix at a convolution kernel's spatial
centre (hadamard_identity_, delta_orthogonal_): the channel layout and the number of
dimensions."""

from __future__ import annotations

from typing import Any

from ..engine.targets import as_target


def checked_conv_weight(
    fn: str, arr: object, layout: str, dims: range, what: str
) -> tuple[Any, tuple[int, ...]]:
    """(the engine's view of arr, arr's shape) once layout is "oihw" or "hwio" and arr has a
    number of dimensions in dims; else the ValueError naming fn and what must have them ("the
    weight must have 2 to 5")."""
    a = as_target(fn, arr)
    if layout not in ("oihw", "hwio"):
        raise ValueError(f"{fn}: layout={layout!r} is not 'oihw' (torch) or 'hwio' (Keras/JAX)")
    if a.ndim not in dims:
        raise ValueError(f"{fn}: {what} dimensions; got shape {tuple(a.shape)}")
    return a, tuple(int(n) for n in a.shape)
