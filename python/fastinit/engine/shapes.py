"""The one shape rule every entry point shares: what a shape argument may be, and the error for
an axis outside a shape.

A shape is an extent or a sequence of extents. An extent is anything ``operator.index`` takes
except a bool: Python and NumPy integers, and 0-d integer arrays (NumPy's or JAX's), as JAX's
``canonicalize_shape`` takes them; a float (2.5, and 2.0 too) is not one, so it can never be
truncated silently. A sequence is a tuple, a list or a 1-D integer array (NumPy's, or anything
with ``ndim`` and an integer ``dtype``, such as a jax.Array). The two ways to get it wrong — not
a shape at all, or a negative extent — raise separately chosen errors, so that each adapter
raises its framework's types with one message."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

__all__ = ["AxisError", "as_shape"]

_ALLOWED = "an int or a sequence of ints (a tuple, list or 1-D integer array; not floats or bools)"


class AxisError(ValueError, IndexError):
    """An axis that is not an axis of the shape. Keras and JAX raise IndexError (they index the
    shape with it), fastinit's own functions ValueError; this error is both, as NumPy's AxisError."""


def _extent(n: Any) -> int | None:
    """n as an int if it is an extent (module docstring), else None."""
    if isinstance(n, (bool, np.bool_)):  # an int to operator.index, but never a size
        return None
    try:
        return operator.index(n)
    except TypeError:  # floats, strings, arrays that are not 0-d integers, traced values
        return None


def _items(shape: Any) -> list[Any] | None:
    """The elements of a sequence-of-extents candidate, or None if shape is not a sequence kind
    the rule allows."""
    if isinstance(shape, (tuple, list)):
        return list(shape)
    if getattr(shape, "ndim", None) != 1:
        return None
    try:
        integer = np.dtype(shape.dtype).kind in "iu"
    except TypeError:  # a dtype NumPy does not know (a torch dtype): not an array of ints to us
        return None
    return list(shape) if integer else None


def _extents(shape: Any) -> tuple[int, ...] | None:
    """shape as a tuple of ints (signs unchecked), or None if it is not a shape."""
    single = _extent(shape)
    if single is not None:
        return (single,)
    items = _items(shape)
    if items is None:
        return None
    dims = [_extent(n) for n in items]
    out = tuple(n for n in dims if n is not None)
    return out if len(out) == len(dims) else None


def as_shape(
    fn: str,
    shape: Any,
    *,
    name: str = "shape",
    not_a_shape: type[Exception] = TypeError,
    negative: type[Exception] = ValueError,
) -> tuple[int, ...]:
    """A shape argument as a tuple of non-negative ints, by the one rule (module docstring).

    Parameters
    ----------
    fn : str
        The function the user called; messages start with it.
    shape : object
        The argument as given.
    name : str, optional
        Keyword only: the argument's name in messages (default "shape").
    not_a_shape, negative : type of Exception, optional
        Keyword only: what to raise when shape is not a shape (default TypeError) and when it
        has a negative extent (default ValueError); an adapter passes its framework's types.

    Returns
    -------
    tuple of int

    Raises
    ------
    not_a_shape
        shape is neither an extent nor a sequence of extents.
    negative
        An extent is negative.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.engine.shapes import as_shape
    >>> as_shape("f", 3), as_shape("f", [np.int64(2), 3]), as_shape("f", np.array([4, 5]))
    ((3,), (2, 3), (4, 5))
    >>> as_shape("f", (3, 2.5))
    Traceback (most recent call last):
    ...
    TypeError: f: shape must be an int or a sequence of ints (...); got shape=(3, 2.5)
    """
    out = _extents(shape)
    if out is None:
        raise not_a_shape(f"{fn}: {name} must be {_ALLOWED}; got {name}={shape!r}")
    if any(n < 0 for n in out):
        raise negative(f"{fn}: {name} must have non-negative extents; got {name}={shape!r}")
    return out
