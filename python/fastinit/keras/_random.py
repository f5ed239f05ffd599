"""RandomNormal, TruncatedNormal and RandomUniform: Keras's arguments (Python numbers or scalar
tensors), fastinit's values. Each derives from the Keras class of the same name."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from ..engine.aligned import aligned_empty
from ..engine.fill import normal_, trunc_normal_, uniform_
from ..engine.streams import StreamLike
from ..schemes.deterministic import constant_
from ._adapter import SHARED, check_real, fill_doc, from_config, public
from ._seeds import Seeded


class _TwoNumbers(Seeded):
    """A random initializer of two numbers (mean and stddev, or minval and maxval), kept as given
    (Keras's config holds them so; a scalar tensor's serialized form is read back by from_config)
    and checked as finite reals for the draw."""

    _ARGS = ("mean", "stddev")

    def __init__(self, first: Any, second: Any, seed: Any, stream: StreamLike) -> None:
        name = type(self).__name__
        a, b = self._ARGS
        first, second = from_config(first), from_config(second)
        self._a, self._b = check_real(name, a, first), check_real(name, b, second)
        setattr(self, a, first)
        setattr(self, b, second)
        super().__init__(seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        """Keras's config (the two numbers and seed) plus stream.

        <config>
        >>> fk.RandomNormal(stddev=0.1, seed=0).get_config()
        {'seed': 0, 'stream': 0, 'mean': 0.0, 'stddev': 0.1}
        >>> fk.RandomUniform(seed=1, stream="dense").get_config()
        {'seed': 1, 'stream': 'dense', 'minval': -0.05, 'maxval': 0.05}
        """
        a, b = self._ARGS
        return {**super().get_config(), a: getattr(self, a), b: getattr(self, b)}


class _Normal(_TwoNumbers):
    """RandomNormal's and TruncatedNormal's constructor (their docstrings' <normal arguments>)."""

    def __init__(self, mean: Any = 0.0, stddev: Any = 0.05, seed: Any = None, *, stream: StreamLike = 0):
        super().__init__(mean, stddev, seed, stream)


_NORMAL_ARGUMENTS = """Parameters
----------
mean : float or scalar tensor, optional
    Default 0.
stddev : float or scalar tensor, optional
    Default 0.05; 0 gives `mean` everywhere and a negative one draws as its absolute value
    (the same distribution), as Keras.
<seed>
<stream>

Raises
------
<seed raises>"""
SHARED["<normal arguments>"] = fill_doc(_NORMAL_ARGUMENTS)


@public
class RandomNormal(_Normal, keras.initializers.RandomNormal):  # type: ignore[misc]
    """keras.initializers.RandomNormal with fastinit values: N(mean, stddev**2).

    <normal arguments>
    """

    _EXAMPLE = ("RandomNormal(stddev=0.1, seed=0)", "round(float(w.std()), 2)", "0.1")

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        return normal_(aligned_empty(shape, dt), self._a, abs(self._b), **self._placement())


@public
class TruncatedNormal(_Normal, keras.initializers.TruncatedNormal):  # type: ignore[misc]
    """keras.initializers.TruncatedNormal with fastinit values: N(mean, stddev**2) truncated to
    mean +- 2 stddev (stddev is that of the untruncated normal, as in Keras).

    <normal arguments>
    """

    _EXAMPLE = ("TruncatedNormal(stddev=0.1, seed=0)", "bool((abs(w) <= 0.2).all())", "True")

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        m, s = self._a, abs(self._b)
        arr = aligned_empty(shape, dt)
        if s == 0:
            return constant_(arr, m)
        return trunc_normal_(arr, m, s, m - 2 * s, m + 2 * s, **self._placement())


@public
class RandomUniform(_TwoNumbers, keras.initializers.RandomUniform):  # type: ignore[misc]
    """keras.initializers.RandomUniform with fastinit values: U[minval, maxval).

    Parameters
    ----------
    minval, maxval : float or scalar tensor, optional
        The interval (default -0.05, 0.05). minval >= maxval gives minval everywhere, as Keras
        on the JAX backend (JAX clamps its uniform at minval).
    <seed>
    <stream>

    Raises
    ------
    <seed raises>
    """

    _ARGS = ("minval", "maxval")
    _EXAMPLE = ("RandomUniform(-1.0, 1.0, seed=0)", "bool(((-1 <= w) & (w < 1)).all())", "True")

    def __init__(
        self, minval: Any = -0.05, maxval: Any = 0.05, seed: Any = None, *, stream: StreamLike = 0
    ) -> None:
        super().__init__(minval, maxval, seed, stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        arr = aligned_empty(shape, dt)
        if self._a >= self._b:
            return constant_(arr, self._a)
        return uniform_(arr, self._a, self._b, **self._placement())
