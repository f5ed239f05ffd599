"""What every fastinit.keras class shares: a call's shape and dtype checked as Keras checks them,
the values drawn on the host by fastinit and handed to the backend; the common parts of the
classes' docstrings; and their registration for keras.saving as "fastinit>ClassName".

Each public class lists the adapter (or Seeded, which extends it) first and the Keras class it
stands in for second: Keras's layers see the Keras class (EinsumDense passes the kernel's axes
only to instances of keras.initializers.VarianceScaling), and __call__ is the adapter's."""

from __future__ import annotations

import abc
import math
from typing import Any, TypeVar

import keras
import numpy as np

from ..engine.shapes import as_shape
from ..engine.targets import resolve_dtype

FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
C = TypeVar("C", bound=type)


class ShapeError(TypeError, ValueError):
    """A shape that is not an int or a sequence of non-negative ints (engine.shapes's rule: a
    float extent such as 2.5 is not truncated). Keras (JAX backend) raises TypeError for a
    negative or float extent and ValueError for one that is not a number; this error is both."""


def check_real(name: str, arg: str, value: Any) -> float:
    """value as a finite float: a Python or NumPy real number, or a scalar tensor (Keras takes
    a scalar keras tensor for mean, stddev, minval and maxval). TypeError for anything else,
    ValueError for inf or nan."""
    v = value
    if keras.ops.is_tensor(v) or isinstance(v, np.ndarray):
        a = np.asarray(keras.ops.convert_to_numpy(v))
        if a.ndim != 0 or a.dtype.kind not in "iuf":
            raise TypeError(f"{name}: {arg} must be a real number or a scalar tensor; got {arg}={value!r}")
        v = a.item()
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: {arg} must be a real number; got {arg}={value!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{name}: {arg} must be finite; got {arg}={f}")
    return f


def from_config(value: Any) -> Any:
    """A constructor argument as given, or, for a scalar tensor's serialized form (what
    get_config's value becomes in a saved model), the tensor again: so a model whose initializer
    took a scalar tensor reloads (Keras keeps the dict and fails when the initializer is called)."""
    return keras.saving.deserialize_keras_object(value) if isinstance(value, dict) else value


def to_backend(arr: np.ndarray, dtype: str) -> Any:
    """A backend tensor holding arr (on JAX, the aligned host buffer is adopted without a copy)."""
    if keras.backend.backend() == "jax":
        import jax  # already imported by Keras's JAX backend

        return jax.device_put(arr)
    return keras.ops.convert_to_tensor(arr, dtype=dtype)


class Adapter(abc.ABC):
    """The shared __call__: check the shape and dtype, draw a NumPy array with fastinit (_draw),
    hand it to the backend. A dtype fastinit does not fill is a ValueError for the random
    initializers, as Keras's; the constant ones (_KERAS_FOR_OTHER_DTYPES) make it with the Keras
    class's own code."""

    _KERAS_FOR_OTHER_DTYPES = False

    @abc.abstractmethod
    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        """The values of one call, as a NumPy array of `shape` and `dt` (each class its own)."""

    def _fills(self, dtype: str) -> bool:
        """Does fastinit draw a call of this (standardized) dtype?"""
        return dtype in FLOAT_DTYPES

    def _standard_dtype(self, name: str, dtype: Any) -> str:
        """dtype as Keras's standard name. An unknown one raises what the Keras class raises:
        the constant ones (_KERAS_FOR_OTHER_DTYPES) standardize it first, keeping Keras's
        ValueError; the random ones hand it to the backend's sampler, which raises TypeError."""
        try:
            return str(keras.backend.standardize_dtype(dtype))
        except ValueError:
            if self._KERAS_FOR_OTHER_DTYPES:
                raise ValueError(
                    f"{name}: dtype={dtype!r} is not a dtype; allowed: {', '.join(FLOAT_DTYPES)} or "
                    "another dtype Keras takes"
                ) from None
            raise TypeError(
                f"{name}: dtype={dtype!r} is not a dtype; allowed: {', '.join(FLOAT_DTYPES)}"
            ) from None

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        """A backend tensor of `shape` and `dtype` (default keras.backend.floatx()).

        Parameters
        ----------
        shape : int or sequence of int
            Non-negative extents.
        dtype : str or dtype, optional
            float32, float64, float16 or bfloat16 (default keras.backend.floatx()); Zeros, Ones,
            Constant and Identity also take the other dtypes Keras takes (made by Keras's code).

        Returns
        -------
        tensor
            A backend tensor (on JAX, a jax.Array) holding fastinit's values.

        Raises
        ------
        TypeError
            An unknown dtype (a random initializer, as Keras's); a SeedGenerator seed under
            jax.jit (its traced state cannot seed fastinit's host draw; an int seed can).
        ValueError
            An unknown dtype (Zeros, Ones, Constant, Identity, as Keras's); a dtype the
            initializer cannot draw (an integer dtype for a random one, as Keras); a shape it
            cannot fill (Orthogonal: fewer than 2 dimensions; Identity: not 2-D).
        TypeError, ValueError
            A shape that is not a sequence of non-negative ints (one error of both types).

        Examples
        --------
        >>> import keras, fastinit.keras as fk
        >>> w = fk.RandomUniform(seed=0)((2, 3), dtype="float16")
        >>> tuple(w.shape), keras.backend.standardize_dtype(w.dtype)
        ((2, 3), 'float16')
        """
        name = type(self).__name__
        shp = as_shape(name, shape, not_a_shape=ShapeError, negative=ShapeError)
        std = self._standard_dtype(name, dtype)
        if not self._fills(std):
            if not self._KERAS_FOR_OTHER_DTYPES:
                raise ValueError(
                    f"{name}: dtype={std!r} is not supported; allowed: {', '.join(FLOAT_DTYPES)}"
                )
            return super().__call__(shp, std)  # type: ignore[misc]  # the Keras class, next in the MRO
        return to_backend(self._draw(shp, resolve_dtype(name, std)), std)


# What the classes' docstrings say alike, written once: a line holding only a marker becomes the
# text, indented as the marker is (public() puts it in place; Seeded adds the random examples).
SHARED = {
    "<seed>": """seed : None, int or keras.random.SeedGenerator, optional
    None (default): a seed drawn now from Python's random, so this instance gives the same
    values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
    SeedGenerator: a new seed on every call (see the module docstring).""",
    "<stream>": """stream : int or str, optional
    Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).""",
    "<seed raises>": """TypeError
    A number argument that is not a real number or a scalar tensor; stream neither an int
    nor a str.
ValueError
    seed not None, an int or a SeedGenerator (as Keras); stream outside [0, 2**64); a number
    argument that is not finite; calls raise what __call__ says.
ValueError, OverflowError
    An int seed outside [0, 2**64) (one error of both types; Keras's JAX backend raises
    OverflowError).""",
    "<call raises>": """Raises
------
TypeError, ValueError
    When called, what __call__ says.""",
    "<config>": """Returns
-------
dict

Examples
--------
>>> import fastinit.keras as fk""",
}


def fill_doc(doc: str) -> str:
    """doc with each line that holds only a marker of SHARED replaced by its text, indented as
    the marker."""
    out = []
    for line in doc.split("\n"):
        text = SHARED.get(line.strip())
        indent = line[: len(line) - len(line.lstrip())]
        out.append(line if text is None else "\n".join(indent + t if t else t for t in text.split("\n")))
    return "\n".join(out)


PUBLIC: list[type] = []  # every public class, in the order defined


def public(cls: C) -> C:
    """Fill the shared parts of the docstrings of cls and of its fastinit methods (fill_doc), register cls
    for keras.saving as "fastinit>ClassName" and list it in PUBLIC."""
    cls.__doc__ = fill_doc(cls.__doc__ or "")
    for klass in cls.__mro__:
        if klass.__module__.startswith("fastinit"):
            for value in vars(klass).values():
                if callable(value) and value.__doc__:
                    value.__doc__ = fill_doc(value.__doc__)
    PUBLIC.append(cls)
    registered: C = keras.saving.register_keras_serializable(package="fastinit")(cls)
    return registered
