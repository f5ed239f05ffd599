"""Keras 3 initializers backed by fastinit (docs/keras-jax.md).

Each class has the name, constructor arguments, defaults, validation and ``get_config`` of the
Keras 3 initializer it replaces (``keras.initializers.HeNormal`` -> ``fastinit.keras.HeNormal``),
plus one keyword-only argument, ``stream=`` (an int or a name, default 0: the fastinit stream).
Calling one generates the values with fastinit and returns a backend tensor
(``keras.ops.convert_to_tensor``) of the requested dtype (default ``keras.backend.floatx()``;
float32, float64, float16 and bfloat16 are supported):

* ``seed=S`` (an int in [0, 2**64)): the values are fastinit's for (seed S, stream), the same on
  every call, as Keras's seeded initializers;
* ``seed=None``: a 64-bit seed is drawn at construction from Python's ``random`` (which
  ``keras.utils.set_random_seed`` seeds), so, as in Keras, one instance gives the same values on
  every call and two instances differ; ``get_config`` keeps ``seed=None``;
* ``seed=keras.random.SeedGenerator(...)``: each call advances the generator and reads its two
  32-bit state words (w0, w1) as the seed ``w0 << 32 | w1``: different values on every call.

Fans follow Keras (channels-last kernels; ``input_axes``/``output_axes`` when both are given;
``max(1, n)`` in the denominator). The classes are registered for serialization as
``"fastinit>ClassName"``, so a model using them saves and loads with ``keras.saving``.

This module imports ``keras``; ``import fastinit`` never imports it.
"""

from __future__ import annotations

import abc
import math
import random as _py_random
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from .engine.aligned import aligned_empty
from .engine.fill import fill_law, normal_, trunc_normal_, uniform_
from .engine.streams import StreamLike, check_u64, stream_id
from .engine.targets import resolve_dtype
from .schemes import functional as _functional
from .schemes.core import Scheme
from .schemes.matrix import orthogonal_

__all__ = [
    "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "LecunNormal",
    "LecunUniform", "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "compute_fans",
]  # fmt: skip

_FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
_register = keras.saving.register_keras_serializable(package="fastinit")


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape
    try:
        out = tuple(int(n) for n in dims)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: shape must be a sequence of ints; got {shape!r}") from None
    if any(isinstance(n, bool) for n in dims) or any(n < 0 for n in out):
        raise ValueError(f"{name}: shape must be a sequence of non-negative ints; got {shape!r}")
    return out


def _dtype(name: str, dtype: Any) -> tuple[str, np.dtype]:
    std = keras.backend.standardize_dtype(dtype)
    if std not in _FLOAT_DTYPES:
        raise TypeError(f"{name}: dtype={std!r} is not supported; allowed: {', '.join(_FLOAT_DTYPES)}")
    return std, resolve_dtype(name, std)


def _real(name: str, arg: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: {arg} must be a real number; got {arg}={value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name}: {arg} must be finite; got {arg}={v}")
    return v


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
        Used when both are given.

    Returns
    -------
    (int, int)

    Raises
    ------
    ValueError
        input_axes or output_axes holds something that is not an axis of shape.

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
                    raise ValueError(
                        f"compute_fans: {arg}={list(axes)!r} is not a list of axes of shape {shape}"
                    )
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class _Base(keras.initializers.Initializer, abc.ABC):  # type: ignore[misc]
    """Shared __call__: validate shape and dtype, draw a NumPy array with fastinit, convert."""

    @abc.abstractmethod
    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        """The values of one call, as a NumPy array of `shape` and `dt`."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        """A backend tensor of `shape` and `dtype` (default keras.backend.floatx()).

        Parameters
        ----------
        shape : int or sequence of int
            Non-negative extents.
        dtype : str or dtype, optional
            float32, float64, float16 or bfloat16 (default keras.backend.floatx()).

        Returns
        -------
        tensor
            A backend tensor (on JAX, a jax.Array) holding fastinit's values.

        Raises
        ------
        TypeError
            A bad shape or an unsupported dtype.
        ValueError
            A negative extent; a shape the initializer cannot fill (Orthogonal: fewer than 2
            dimensions; Identity: not 2-D).

        Examples
        --------
        >>> import keras, fastinit.keras as fk
        >>> w = fk.RandomUniform(seed=0)((2, 3), dtype="float16")
        >>> tuple(w.shape), keras.backend.standardize_dtype(w.dtype)
        ((2, 3), 'float16')
        """
        name = type(self).__name__
        shp = _shape(name, shape)
        dname, dt = _dtype(name, dtype)
        arr = self._draw(shp, dt)
        if keras.backend.backend() == "jax":
            import jax  # already imported by Keras's JAX backend

            return jax.device_put(arr)  # adopts the aligned host buffer on CPU: no copy
        return keras.ops.convert_to_tensor(arr, dtype=dname)


class _Random(_Base):
    """Seed handling shared by the random initializers (module docstring)."""

    def __init__(self, seed: Any = None, *, stream: StreamLike = 0) -> None:
        name = type(self).__name__
        self._init_seed = seed
        if seed is None:
            seed = _py_random.getrandbits(64)
        elif isinstance(seed, dict):
            seed = keras.saving.deserialize_keras_object(seed)
        if isinstance(seed, keras.random.SeedGenerator):
            self.seed: int | keras.random.SeedGenerator = seed
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            self.seed = check_u64(name, "seed", seed)
        else:
            raise TypeError(
                f"{name}: seed must be None, an int in [0, 2**64) or a keras.random.SeedGenerator; "
                f"got seed={seed!r}"
            )
        self.stream = stream
        self._stream_id = stream_id(stream, name)

    def _call_seed(self) -> int:
        if isinstance(self.seed, keras.random.SeedGenerator):
            w = np.asarray(keras.ops.convert_to_numpy(self.seed.next())).astype(np.int64).reshape(-1)
            return ((int(w[0]) & 0xFFFFFFFF) << 32) | (int(w[-1]) & 0xFFFFFFFF)
        return self.seed

    def get_config(self) -> dict[str, Any]:
        """{"seed": the constructor's seed (serialized), "stream": stream}."""
        return {"seed": keras.saving.serialize_keras_object(self._init_seed), "stream": self.stream}


@_register
class RandomNormal(_Random):
    """keras.initializers.RandomNormal with fastinit values: N(mean, stddev**2).

    Parameters
    ----------
    mean : float, optional
        Default 0.
    stddev : float, optional
        Default 0.05; a negative one fails when called.
    seed : None, int or keras.random.SeedGenerator, optional
        None (default): a seed drawn now from Python's random, so this instance gives the same
        values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
        SeedGenerator: a new seed on every call (see the module docstring).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    Raises
    ------
    TypeError
        seed is not None, an int or a SeedGenerator; a number argument is not a real number;
        stream is neither an int nor a str.
    ValueError
        seed or stream outside [0, 2**64);
        mean or stddev not finite; calls raise what __call__ says.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.RandomNormal(stddev=0.1, seed=0)
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> round(float(w.std()), 2)
    0.1
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None, *, stream: StreamLike = 0):
        self.mean = _real("RandomNormal", "mean", mean)
        self.stddev = _real("RandomNormal", "stddev", stddev)
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        return normal_(aligned_empty(shape, dt), self.mean, self.stddev, seed=self._call_seed(),
                                  stream=self._stream_id)  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        """Keras's config (mean, stddev, seed) plus stream.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.RandomNormal(stddev=0.1, seed=0).get_config()
        {'seed': 0, 'stream': 0, 'mean': 0.0, 'stddev': 0.1}
        """
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@_register
class TruncatedNormal(_Random):
    """keras.initializers.TruncatedNormal with fastinit values: N(mean, stddev**2) truncated to
    mean +- 2 stddev (stddev is that of the untruncated normal, as in Keras).

    Parameters
    ----------
    mean : float, optional
        Default 0.
    stddev : float, optional
        > 0 (default 0.05).
    seed : None, int or keras.random.SeedGenerator, optional
        None (default): a seed drawn now from Python's random, so this instance gives the same
        values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
        SeedGenerator: a new seed on every call (see the module docstring).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    Raises
    ------
    TypeError
        seed is not None, an int or a SeedGenerator; a number argument is not a real number;
        stream is neither an int nor a str.
    ValueError
        seed or stream outside [0, 2**64);
        mean not finite; stddev not > 0 and finite; calls raise what __call__ says.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.TruncatedNormal(stddev=0.1, seed=0)
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool((abs(w) <= 0.2).all())
    True
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None, *, stream: StreamLike = 0):
        self.mean = _real("TruncatedNormal", "mean", mean)
        self.stddev = _real("TruncatedNormal", "stddev", stddev)
        if self.stddev <= 0:
            raise ValueError(f"TruncatedNormal: stddev must be > 0; got stddev={self.stddev}")
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        m, s = self.mean, self.stddev
        return trunc_normal_(aligned_empty(shape, dt), m, s, m - 2 * s, m + 2 * s, seed=self._call_seed(),
                                        stream=self._stream_id)  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        """Keras's config (mean, stddev, seed) plus stream.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.TruncatedNormal(seed=0).get_config()
        {'seed': 0, 'stream': 0, 'mean': 0.0, 'stddev': 0.05}
        """
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@_register
class RandomUniform(_Random):
    """keras.initializers.RandomUniform with fastinit values: U[minval, maxval).

    Parameters
    ----------
    minval, maxval : float, optional
        The interval, minval <= maxval (default -0.05, 0.05).
    seed : None, int or keras.random.SeedGenerator, optional
        None (default): a seed drawn now from Python's random, so this instance gives the same
        values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
        SeedGenerator: a new seed on every call (see the module docstring).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    Raises
    ------
    TypeError
        seed is not None, an int or a SeedGenerator; a number argument is not a real number;
        stream is neither an int nor a str.
    ValueError
        seed or stream outside [0, 2**64);
        minval or maxval not finite, or minval > maxval; calls raise what __call__ says.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.RandomUniform(-1.0, 1.0, seed=0)
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(((-1 <= w) & (w < 1)).all())
    True
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None, *, stream: StreamLike = 0
    ) -> None:
        self.minval = _real("RandomUniform", "minval", minval)
        self.maxval = _real("RandomUniform", "maxval", maxval)
        if self.minval > self.maxval:
            raise ValueError(f"RandomUniform: minval must be <= maxval; got minval={minval}, maxval={maxval}")
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        return uniform_(aligned_empty(shape, dt), self.minval, self.maxval, seed=self._call_seed(),
                                   stream=self._stream_id)  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        """Keras's config (minval, maxval, seed) plus stream.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.RandomUniform(seed=1, stream="dense").get_config()
        {'seed': 1, 'stream': 'dense', 'minval': -0.05, 'maxval': 0.05}
        """
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


@_register
class VarianceScaling(_Random):
    """keras.initializers.VarianceScaling with fastinit values: std = sqrt(scale / max(1, n)), n =
    fan_in, fan_out or (fan_in + fan_out) / 2 per `mode` (fans by :func:`compute_fans`);
    distribution "truncated_normal" (alias "normal"; truncated to +-2 s with s = std /
    0.8796..., so the std is exact), "untruncated_normal" or "uniform" (+-sqrt(3) std).

    Parameters
    ----------
    scale : float, optional
        > 0 (default 1).
    mode : {"fan_in", "fan_out", "fan_avg"}, optional
        Default "fan_in".
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}, optional
        Default "truncated_normal" (any case; "normal" is its alias, as in Keras).
    seed : None, int or keras.random.SeedGenerator, optional
        None (default): a seed drawn now from Python's random, so this instance gives the same
        values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
        SeedGenerator: a new seed on every call (see the module docstring).
    input_axes, output_axes : sequence of int, optional
        When both are given, the fans are the products of these axes (Keras 3).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    Raises
    ------
    TypeError
        seed is not None, an int or a SeedGenerator; a number argument is not a real number;
        stream is neither an int nor a str.
    ValueError
        seed or stream outside [0, 2**64);
        scale not > 0 and finite; an unknown mode or distribution; calls raise what __call__ says.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.VarianceScaling(2.0, "fan_in", "uniform", seed=0)
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(abs(w).max() <= (6 / 256) ** 0.5)
    True
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        stream: StreamLike = 0,
    ) -> None:
        name = type(self).__name__
        s = _real(name, "scale", scale)
        if s <= 0:
            raise ValueError(f"{name}: scale must be > 0; got scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"{name}: mode={mode!r} is not one of {', '.join(map(repr, self._MODES))}")
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in self._DISTRIBUTIONS:
            raise ValueError(
                f"{name}: distribution={distribution!r} is not one of 'normal', "
                f"{', '.join(map(repr, self._DISTRIBUTIONS))}"
            )
        self.scale, self.mode, self.distribution = s, mode, dist
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        distribution = "normal" if self.distribution == "untruncated_normal" else self.distribution
        law = Scheme(self.scale, self.mode, distribution, min_fan=1.0).law(fan_in, fan_out)
        assert law is not None  # max(1, n): never empty
        placement = {"seed": self._call_seed(), "stream": self._stream_id}
        return fill_law(type(self).__name__, aligned_empty(shape, dt), law, placement)  # type: ignore[arg-type]

    def get_config(self) -> dict[str, Any]:
        """Keras's config (scale, mode, distribution, seed, input_axes, output_axes) plus stream.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.VarianceScaling(2.0, "fan_out", "uniform", seed=0).get_config()
        {'seed': 0, 'stream': 0, 'scale': 2.0, 'mode': 'fan_out', 'distribution': 'uniform',
         'input_axes': None, 'output_axes': None}
        """
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}  # fmt: skip


class _Fixed(VarianceScaling):
    """A VarianceScaling with fixed (scale, mode, distribution), configured like Keras's."""

    _EXAMPLE: tuple[str, str] = ("", "")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        check, result = cls._EXAMPLE
        cls.__doc__ = (cls.__doc__ or "").rstrip() + _FIXED_DOC.format(
            name=cls.__name__, check=check, result=result
        )

    _FIXED: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(
        self,
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        stream: StreamLike = 0,
    ) -> None:
        scale, mode, dist = self._FIXED
        super().__init__(scale, mode, dist, seed, input_axes, output_axes, stream=stream)

    def get_config(self) -> dict[str, Any]:
        """Keras's config (seed, input_axes, output_axes) plus stream.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.HeNormal(seed=0).get_config()
        {'seed': 0, 'stream': 0, 'input_axes': None, 'output_axes': None}
        """
        cfg = super().get_config()
        return {k: cfg[k] for k in ("seed", "stream", "input_axes", "output_axes")}


# The six fixed schemes share their constructor, so their docstrings are written once: each
# class gives its summary and the line its example checks (_Fixed.__init_subclass__ composes them).
_FIXED_DOC = """

    Parameters
    ----------
    seed : None, int or keras.random.SeedGenerator, optional
        None (default): a seed drawn now from Python's random, so this instance gives the same
        values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
        SeedGenerator: a new seed on every call (see the module docstring).
    input_axes, output_axes : sequence of int, optional
        When both are given, the fans are the products of these axes (Keras 3).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    Raises
    ------
    TypeError
        seed is not None, an int or a SeedGenerator; a number argument is not a real number;
        stream is neither an int nor a str.
    ValueError
        seed or stream outside [0, 2**64);
        an axis outside the shape (when called); calls raise what __call__ says.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.{name}(seed=0)
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> {check}
    {result}
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
"""


@_register
class GlorotUniform(_Fixed):
    """keras.initializers.GlorotUniform with fastinit values: U(+-sqrt(6 / (fan_in + fan_out)))."""

    _FIXED = (1.0, "fan_avg", "uniform")
    _EXAMPLE = ("bool(abs(w).max() <= (6 / 384) ** 0.5)", "True")


@_register
class GlorotNormal(_Fixed):
    """keras.initializers.GlorotNormal with fastinit values: truncated normal of std
    sqrt(2 / (fan_in + fan_out))."""

    _FIXED = (1.0, "fan_avg", "truncated_normal")
    _EXAMPLE = ("round(float(w.std() * (384 / 2) ** 0.5), 1)", "1.0")


@_register
class HeUniform(_Fixed):
    """keras.initializers.HeUniform with fastinit values: U(+-sqrt(6 / fan_in))."""

    _FIXED = (2.0, "fan_in", "uniform")
    _EXAMPLE = ("bool(abs(w).max() <= (6 / 256) ** 0.5)", "True")


@_register
class HeNormal(_Fixed):
    """keras.initializers.HeNormal with fastinit values: truncated normal of std sqrt(2 / fan_in)."""

    _FIXED = (2.0, "fan_in", "truncated_normal")
    _EXAMPLE = ("round(float(w.std() * (256 / 2) ** 0.5), 1)", "1.0")


@_register
class LecunUniform(_Fixed):
    """keras.initializers.LecunUniform with fastinit values: U(+-sqrt(3 / fan_in))."""

    _FIXED = (1.0, "fan_in", "uniform")
    _EXAMPLE = ("bool(abs(w).max() <= (3 / 256) ** 0.5)", "True")


@_register
class LecunNormal(_Fixed):
    """keras.initializers.LecunNormal with fastinit values: truncated normal of std sqrt(1 / fan_in)."""

    _FIXED = (1.0, "fan_in", "truncated_normal")
    _EXAMPLE = ("round(float(w.std() * 256**0.5), 1)", "1.0")


@_register
class Orthogonal(_Random):
    """keras.initializers.Orthogonal with fastinit values: the shape (at least 2-D) viewed as
    (prod(shape[:-1]), shape[-1]) is a (semi-)orthogonal matrix times gain, from fastinit.orthogonal
    (QR of a Gaussian matrix, sign-corrected by diag(R): Haar-distributed).

    Parameters
    ----------
    gain : float, optional
        > 0 (default 1).
    seed : None, int or keras.random.SeedGenerator, optional
        None (default): a seed drawn now from Python's random, so this instance gives the same
        values on every call; an int in [0, 2**64): fastinit's values for (seed, stream); a
        SeedGenerator: a new seed on every call (see the module docstring).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    Raises
    ------
    TypeError
        seed is not None, an int or a SeedGenerator; a number argument is not a real number;
        stream is neither an int nor a str.
    ValueError
        seed or stream outside [0, 2**64);
        gain not > 0 and finite; calls raise what __call__ says.

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.Orthogonal(gain=2.0, seed=0)
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(np.allclose(w.T @ w, 4 * np.eye(128), atol=1e-4))
    True
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
    """

    def __init__(self, gain: float = 1.0, seed: Any = None, *, stream: StreamLike = 0) -> None:
        self.gain = _real("Orthogonal", "gain", gain)
        if self.gain <= 0:
            raise ValueError(f"Orthogonal: gain must be > 0; got gain={gain}")
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must be at least 2-D; got shape={shape}")
        if math.prod(shape) == 0:
            return np.zeros(shape, dt)
        rows = math.prod(shape[:-1])
        q = orthogonal_(aligned_empty((rows, shape[-1]), dt), self.gain, seed=self._call_seed(),
                                   stream=self._stream_id)  # fmt: skip
        return q.reshape(shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's config (gain, seed) plus stream.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.Orthogonal(gain=2.0, seed=0).get_config()
        {'seed': 0, 'stream': 0, 'gain': 2.0}
        """
        return {**super().get_config(), "gain": self.gain}


@_register
class Identity(_Base):
    """keras.initializers.Identity with fastinit: gain * I for a 2-D shape (rectangular allowed).

    Parameters
    ----------
    gain : float, optional
        Default 1.

    Raises
    ------
    TypeError
        gain is not a real number.
    ValueError
        gain is not finite; a shape that is not 2-D (when called).

    Examples
    --------
    >>> import keras, fastinit.keras as fk
    >>> keras.ops.convert_to_numpy(fk.Identity(2.0)((2, 3)))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = _real("Identity", "gain", gain)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity: the shape must be 2-D; got shape={shape} of rank {len(shape)}")
        arr = _functional.eye(shape, dtype=dt)
        if self.gain != 1.0:
            arr = (arr.astype(np.float64) * self.gain).astype(dt)
        return arr

    def get_config(self) -> dict[str, Any]:
        """Keras's config: {"gain": gain}.

        Returns
        -------
        dict

        Examples
        --------
        >>> import fastinit.keras as fk
        >>> fk.Identity(2.0).get_config()
        {'gain': 2.0}
        """
        return {"gain": self.gain}
