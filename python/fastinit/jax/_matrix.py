"""orthogonal and delta_orthogonal, as jax.nn.initializers has them: real ones from fastinit's
orthogonal_ and delta_orthogonal_ (fastinit.schemes.matrix), complex (unitary) ones from a QR of a
complex Gaussian matrix drawn as fastinit.jax._complex says."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine.aligned import aligned_empty
from ..engine.shapes import AxisError
from ..engine.streams import StreamLike
from ..schemes.fans import axes_of
from ..schemes.matrix import delta_orthogonal_, orthogonal_
from ._complex import complex_normal
from ._initializer import Initializer, real_arg, shared_doc

__all__ = ["delta_orthogonal", "orthogonal"]


@shared_doc
def orthogonal(
    scale: float = 1.0, column_axis: int = -1, dtype: Any = None, *, stream: StreamLike = 0
) -> Initializer:
    """jax.nn.initializers.orthogonal with fastinit values: the shape is viewed as a matrix of
    (prod(other axes), shape[column_axis]) with orthonormal columns (or rows, when wider than
    tall), from fastinit.orthogonal (QR of a Gaussian matrix, sign-corrected: Haar), times scale;
    for a complex dtype a unitary-drawn one (the QR of a complex Gaussian matrix, phase-corrected),
    as jax.random.orthogonal draws it.
    The values are reproducible on one machine and LAPACK build (fastinit.orthogonal_'s Notes).

    Parameters
    ----------
    scale : float or 0-d array, optional
        > 0 (default 1).
    column_axis : int, optional
        The axis of the columns (default -1).
    <dtype and stream>

    <returns an Initializer; raises>
    <matrix type errors>
    ValueError
        scale not > 0 and finite; a stream outside [0, 2**64).
        <calling raises>

    <examples>
    >>> init = fj.orthogonal(2.0)
    <draw 256 x 128>
    >>> bool(np.allclose(np.asarray(w).T @ np.asarray(w), 4 * np.eye(128), atol=1e-4))
    True
    <same as generate>
    """
    fn = "orthogonal"
    sc = real_arg(fn, "scale", scale, "+")
    _check_int(fn, "column_axis", column_axis)

    def column(shape: tuple[int, ...]) -> int:
        if len(shape) < 2:
            raise ValueError(f"{fn}: the shape must be at least 2-D; got {shape}")
        try:
            (col,) = axes_of(fn, "column_axis", column_axis, shape)
        except ValueError as exc:  # an axis outside the shape: JAX raises IndexError
            raise AxisError(str(exc)) from None
        return col

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        col = column(shape)
        if math.prod(shape) == 0:
            return np.zeros(shape, dt)
        n_cols = shape[col]
        q = _matrix(fn, math.prod(shape) // n_cols, n_cols, dt, sc, seed, sid)
        q = q.reshape((*(n for k, n in enumerate(shape) if k != col), n_cols))
        return np.ascontiguousarray(np.moveaxis(q, -1, col))

    params = {"scale": sc, "column_axis": int(column_axis)}
    return Initializer(fn, fill, dtype, stream, params, check=column)


def _check_int(fn: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int; got {value!r}")


def _matrix(fn: str, rows: int, cols: int, dt: np.dtype, scale: float, seed: int, sid: int) -> np.ndarray:
    """A (rows, cols) matrix with orthonormal columns (rows, when rows < cols) times scale: a real
    one from fastinit's orthogonal_; a complex one from the QR of a complex Gaussian matrix
    (max(rows, cols), min(rows, cols)) of the stream, each column of Q times the phase of R's
    diagonal entry (Haar on the unitary group, as jax.random.orthogonal), transposed when wide."""
    if dt.kind != "c":
        return orthogonal_(aligned_empty((rows, cols), dt), scale, seed=seed, stream=sid)
    z = complex_normal(fn, (max(rows, cols), min(rows, cols)), dt, 1.0, seed, sid)
    q, r = np.linalg.qr(z)
    d = np.diagonal(r)
    q *= (d / np.abs(d)) * scale
    return q if rows >= cols else q.T


@shared_doc
def delta_orthogonal(
    scale: float = 1.0, column_axis: int = -1, dtype: Any = None, *, stream: StreamLike = 0
) -> Initializer:
    """jax.nn.initializers.delta_orthogonal with fastinit values (Xiao et al., 2018): for a 3-, 4-
    or 5-D convolution kernel (*spatial, in, out) with in <= out, zero everywhere but the spatial
    position ((k - 1) // 2 for each spatial extent k, JAX's centre), where the (in, out) matrix
    has orthonormal rows times scale: fastinit.delta_orthogonal_'s values (layout="hwio") for a
    real dtype, a unitary-drawn matrix (as :func:`orthogonal`'s) for a complex one.

    Parameters
    ----------
    scale : float or 0-d array, optional
        > 0 (default 1).
    column_axis : int, optional
        -2 or -1 (or 0 or 1), default -1: JAX's argument, checked. The centre (in, out) has
        orthonormal rows whichever axis is given (in <= out), so it does not change the
        distribution; fastinit's values do not depend on it.
    <dtype and stream>

    <returns an Initializer; raises>
    <matrix type errors>
    ValueError
        scale not > 0 and finite; column_axis not an axis of a 2-D matrix; a stream outside
        [0, 2**64). Calling the initializer raises ValueError for a shape that is not 3-, 4- or
        5-D or has shape[-2] > shape[-1], and what Initializer.__call__ says.

    <examples>
    >>> w = np.asarray(fj.delta_orthogonal()(jax.random.key(0), (3, 3, 16, 32)))
    >>> centre = w[1, 1]
    >>> bool(np.allclose(centre @ centre.T, np.eye(16), atol=1e-5)), int(np.count_nonzero(w) - np.count_nonzero(centre))
    (True, 0)
    """
    fn = "delta_orthogonal"
    sc = real_arg(fn, "scale", scale, "+")
    _check_int(fn, "column_axis", column_axis)
    if not -2 <= column_axis <= 1:
        raise AxisError(
            f"{fn}: column_axis={column_axis} is not an axis of the 2-D centre matrix (-2, -1, 0 or 1)"
        )

    def check(shape: tuple[int, ...]) -> None:
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"{fn}: the shape must be 3-, 4- or 5-D (*spatial, in, out); got {shape}")
        if shape[-2] > shape[-1]:
            raise ValueError(f"{fn}: fan_in must be <= fan_out (shape[-2] <= shape[-1]); got shape {shape}")

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        check(shape)
        out = aligned_empty(shape, dt)
        out[...] = 0
        if math.prod(shape) == 0:
            return out
        centre = tuple((k - 1) // 2 for k in shape[:-2])
        if dt.kind == "c":
            out[centre] = _matrix(fn, shape[-1], shape[-2], dt, sc, seed, sid).T
        else:  # JAX's centre is the middle of the odd-sized leading block, where delta_orthogonal_ puts it
            delta_orthogonal_(
                out[tuple(slice(0, 2 * c + 1) for c in centre)], sc, layout="hwio", seed=seed, stream=sid
            )
        return out

    return Initializer(fn, fill, dtype, stream, {"scale": sc, "column_axis": int(column_axis)}, check=check)
