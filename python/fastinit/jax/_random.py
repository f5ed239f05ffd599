"""normal, uniform and truncated_normal, as jax.nn.initializers has them, drawn by fastinit's
engine (complex normal as fastinit.jax._complex says)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.aligned import aligned_empty
from ..engine.fill import normal_, trunc_normal_, uniform_
from ..engine.streams import StreamLike
from ._complex import complex_normal
from ._initializer import Initializer, real_arg, shared_doc

__all__ = ["normal", "truncated_normal", "uniform"]


@shared_doc
def normal(stddev: float = 1e-2, dtype: Any = None, *, stream: StreamLike = 0) -> Initializer:
    """jax.nn.initializers.normal with fastinit values: N(0, stddev**2); for a complex dtype the
    real and imaginary parts are each N(0, stddev**2 / 2), as in JAX (docs/keras-jax.md).

    Parameters
    ----------
    stddev : float or 0-d array, optional
        >= 0 (default 0.01). A negative one raises ValueError here (JAX multiplies by it, which
        flips the sign of a symmetric draw; fastinit takes it for a mistake).
    <dtype and stream>

    <returns an Initializer; raises>
    <type errors>
    ValueError
        stddev negative or not finite; a stream outside [0, 2**64).
        <calling raises>

    <examples>
    >>> init = fj.normal(0.1)
    <draw 256 x 128>
    >>> round(float(w.std()), 2)
    0.1
    <same as generate>
    """
    sd = real_arg("normal", "stddev", stddev, "+0")

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        if dt.kind == "c":
            return complex_normal("normal", shape, dt, sd, seed, sid)
        return normal_(aligned_empty(shape, dt), 0.0, sd, seed=seed, stream=sid)

    return Initializer("normal", fill, dtype, stream, {"stddev": sd})


@shared_doc
def uniform(scale: float = 1e-2, dtype: Any = None, *, stream: StreamLike = 0) -> Initializer:
    """jax.nn.initializers.uniform with fastinit values: U[0, scale), or for a negative scale the
    negated values of U[0, -scale), in (scale, 0] as JAX's. Real dtypes only (as in JAX).

    Parameters
    ----------
    scale : float or 0-d array, optional
        Default 0.01.
    <dtype and stream>

    <returns an Initializer; raises>
    <type errors>
    ValueError
        scale not finite; a complex dtype; a stream outside [0, 2**64).
        <calling raises>

    <examples>
    >>> init = fj.uniform(1.0)
    <draw 256 x 128>
    >>> bool(((0 <= w) & (w < 1)).all())
    True
    <same as generate>
    """
    sc = real_arg("uniform", "scale", scale)

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        out = uniform_(aligned_empty(shape, dt), 0.0, abs(sc), seed=seed, stream=sid)
        if sc < 0:
            np.negative(out, out=out)
        return out

    return Initializer("uniform", fill, dtype, stream, {"scale": sc}, complex_ok=False)


@shared_doc
def truncated_normal(
    stddev: float = 1e-2,
    dtype: Any = None,
    lower: float = -2.0,
    upper: float = 2.0,
    *,
    stream: StreamLike = 0,
) -> Initializer:
    """jax.nn.initializers.truncated_normal with fastinit values: stddev * (N(0, 1) truncated to
    [lower, upper]); like JAX, stddev is that of the untruncated normal (no variance correction).
    Real dtypes only (as in JAX).

    Parameters
    ----------
    stddev : float or 0-d array, optional
        > 0 (default 0.01).
    dtype : dtype, optional
        The default dtype of the arrays (float32, float64, float16 or bfloat16); None (default):
        JAX's default float.
    lower, upper : float or 0-d array, optional
        The bounds in units of stddev, lower < upper (default -2 and 2); lower = -inf or
        upper = inf leaves that side open, as in JAX.
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    <returns an Initializer; raises>
    <type errors>
    ValueError
        stddev not > 0 and finite; lower >= upper; a complex dtype; a stream outside [0, 2**64).
        <calling raises>

    <examples>
    >>> init = fj.truncated_normal(0.1)
    <draw 256 x 128>
    >>> bool((abs(np.asarray(w)) <= 0.2).all())
    True
    <same as generate>
    """
    fn = "truncated_normal"
    sd = real_arg(fn, "stddev", stddev, "+")
    lo, hi = real_arg(fn, "lower", lower, infinite=-math.inf), real_arg(fn, "upper", upper, infinite=math.inf)
    if not lo < hi:
        raise ValueError(f"{fn}: lower must be < upper; got lower={lo}, upper={hi}")

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        return trunc_normal_(aligned_empty(shape, dt), 0.0, sd, lo * sd, hi * sd, seed=seed, stream=sid)

    return Initializer(fn, fill, dtype, stream, {"stddev": sd, "lower": lo, "upper": hi}, complex_ok=False)
