"""Zeros, Ones and Constant: fastinit fills float tensors; the other dtypes Keras takes (ints,
bool) and a Constant whose value is not a finite real scalar are made by Keras's own code, so
every call Keras accepts gives Keras's result. Each derives from the Keras class of the same
name."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from ..engine.aligned import aligned_empty
from ..schemes.deterministic import constant_, ones_, zeros_
from ._adapter import Adapter, check_real, public


class _KerasForOtherDtypes(Adapter):
    """A deterministic initializer: a dtype fastinit does not fill is made by Keras's code; a float
    one by _FILL (fastinit's zeros_ or ones_), unless _draw says otherwise."""

    _FILL: Any = None
    _KERAS_FOR_OTHER_DTYPES = True

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        out: np.ndarray = type(self)._FILL(aligned_empty(shape, dt))
        return out


@public
class Zeros(_KerasForOtherDtypes, keras.initializers.Zeros):  # type: ignore[misc]
    """keras.initializers.Zeros with fastinit: a tensor of zeros.

    Float tensors are filled by fastinit.zeros_; integer and bool dtypes by Keras's code.

    <call raises>

    Examples
    --------
    >>> import keras, fastinit.keras as fk
    >>> keras.ops.convert_to_numpy(fk.Zeros()((2, 3)))
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    >>> keras.ops.convert_to_numpy(fk.Zeros()((2,), dtype="int32"))
    array([0, 0], dtype=int32)
    """

    _FILL = zeros_


@public
class Ones(_KerasForOtherDtypes, keras.initializers.Ones):  # type: ignore[misc]
    """keras.initializers.Ones with fastinit: a tensor of ones.

    Float tensors are filled by fastinit.ones_; integer and bool dtypes by Keras's code.

    <call raises>

    Examples
    --------
    >>> import keras, fastinit.keras as fk
    >>> keras.ops.convert_to_numpy(fk.Ones()((2, 2), dtype="float16"))
    array([[1., 1.],
           [1., 1.]], dtype=float16)
    """

    _FILL = ones_


@public
class Constant(_KerasForOtherDtypes, keras.initializers.Constant):  # type: ignore[misc]
    """keras.initializers.Constant with fastinit: every element `value`.

    A finite real scalar (a Python or NumPy number, or a scalar tensor) fills float tensors with
    fastinit.constant_; any other value Keras takes (an array broadcast to the shape, inf, nan)
    and integer and bool dtypes are made by Keras's code (value cast to the dtype, times ones).
    The config is Keras's: {"value": value, serialized}.

    Parameters
    ----------
    value : scalar, array or tensor, optional
        Default 0.

    Raises
    ------
    ValueError
        When called: a value that cannot be cast to the dtype or broadcast to the shape (Keras's
        code), and what __call__ says.

    Examples
    --------
    >>> import keras, fastinit.keras as fk
    >>> keras.ops.convert_to_numpy(fk.Constant(2.5)((3,)))
    array([2.5, 2.5, 2.5], dtype=float32)
    >>> fk.Constant(2.5).get_config()
    {'value': 2.5}
    """

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value
        try:
            self._scalar: float | None = check_real("Constant", "value", value)
        except (TypeError, ValueError):
            self._scalar = None  # Keras's code makes it (or raises as Keras)

    def _fills(self, dtype: str) -> bool:
        return self._scalar is not None and super()._fills(dtype)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        assert self._scalar is not None
        return constant_(aligned_empty(shape, dt), self._scalar)
