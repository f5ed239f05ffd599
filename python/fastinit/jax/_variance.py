"""variance_scaling and its named specialisations (glorot_*, he_*, lecun_*, and JAX's xavier_* and
kaiming_* aliases), as jax.nn.initializers has them: one factory, the fans by the one fan rule
(fastinit.schemes.fans), the standard deviation by fastinit.schemes.core.Scheme, complex dtypes
drawn as fastinit.jax._complex says."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Callable, Union

import numpy as np

from ..engine.aligned import aligned_empty
from ..engine.fill import fill_law
from ..engine.shapes import AxisError
from ..engine.streams import StreamLike
from ..schemes.core import MODES, Scheme, law_of_std
from ..schemes.fans import fans_by_axes
from ._complex import complex_normal, complex_polar
from ._initializer import Initializer, real_arg, shared_doc

__all__ = [
    "compute_fans", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "kaiming_normal",
    "kaiming_uniform", "lecun_normal", "lecun_uniform", "variance_scaling", "xavier_normal", "xavier_uniform",
]  # fmt: skip

AxisLike = Union[int, Sequence[int]]
DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def compute_fans(
    shape: Sequence[int],
    in_axis: AxisLike = -2,
    out_axis: AxisLike = -1,
    batch_axis: AxisLike = (),
    *,
    fn: str = "compute_fans",
) -> tuple[float, float]:
    """(fan_in, fan_out) by jax.nn.initializers' rule, with its arithmetic: in_axis / out_axis /
    batch_axis may each be an int or a sequence of ints; receptive field = prod(shape) / in_size /
    out_size / batch_size, fan_in = in_size * receptive, fan_out = out_size * receptive. As in JAX
    the axes may overlap (Flax's nn.Embed uses in_axis=-2, out_axis=0 on a 2-D table).

    Parameters
    ----------
    shape : sequence of int
        The array's shape.
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        Defaults -2, -1 and none.
    fn : str, optional
        Keyword only: the function name error messages start with.

    Returns
    -------
    (float, float)
        fan_in and fan_out (for distinct axes the exact products, also where JAX divides by zero;
        fastinit.schemes.fans says how the frameworks differ).

    Raises
    ------
    TypeError
        An axis argument that is not an int or a sequence of ints.
    ValueError
        A shape of fewer than 2 dimensions with the default in_axis.
    ValueError, IndexError
        An axis outside the shape (one error of both types: JAX raises IndexError).

    Examples
    --------
    >>> import fastinit.jax as fj
    >>> fj.compute_fans((3, 3, 16, 32))
    (144.0, 288.0)
    >>> fj.compute_fans((10, 20), in_axis=-2, out_axis=0)  # overlapping axes, as JAX allows
    (20.0, 20.0)
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) <= 1 and isinstance(in_axis, int) and in_axis == -2:
        raise ValueError(  # JAX's ValueError too
            f"{fn}: cannot compute fans of a {len(shape)}-dimensional shape {shape} with the default "
            "in_axis=-2; the shape must be at least 2-D, or give in_axis and out_axis explicitly"
        )
    try:
        return fans_by_axes(shape, in_axis, out_axis, batch_axis, fn=fn)
    except ValueError as exc:  # its only ValueError: an axis outside the shape, JAX's IndexError
        raise AxisError(str(exc)) from None


@shared_doc
def variance_scaling(
    scale: float,
    mode: str,
    distribution: str,
    in_axis: AxisLike = -2,
    out_axis: AxisLike = -1,
    batch_axis: AxisLike = (),
    dtype: Any = None,
    *,
    stream: StreamLike = 0,
) -> Initializer:
    """jax.nn.initializers.variance_scaling with fastinit values: std = sqrt(scale / n), n =
    fan_in, fan_out, (fan_in + fan_out) / 2 or sqrt(fan_in * fan_out) per `mode`;
    distribution "truncated_normal" (truncated to +-2 s, s corrected so the std is exact),
    "normal" or "uniform" (+-sqrt(3) std). Complex dtypes as JAX draws them: "normal" splits the
    variance evenly between the real and imaginary parts, "uniform" is uniform on a disk and
    "truncated_normal" a complex normal with truncated modulus (docs/keras-jax.md).

    Parameters
    ----------
    scale : float or 0-d array
        > 0.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
    distribution : {"truncated_normal", "normal", "uniform"}
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        The fans' axes, as in jax.nn.initializers (defaults -2, -1 and none).
    <dtype and stream>

    <returns an Initializer; raises>
    <type errors>
    ValueError
        scale not > 0 and finite; an unknown mode or distribution; a stream outside [0, 2**64).
        <calling raises>

    <examples>
    >>> init = fj.variance_scaling(2.0, "fan_in", "normal")
    <draw 256 x 128>
    >>> round(float(w.std()) * (256 / 2) ** 0.5, 1)
    1.0
    <same as generate>
    """
    return _variance_scaling(
        "variance_scaling", scale, mode, distribution, in_axis, out_axis, batch_axis, dtype, stream
    )


def _variance_scaling(
    fn: str, scale: float, mode: str, distribution: str, in_axis: AxisLike, out_axis: AxisLike,
    batch_axis: AxisLike, dtype: Any, stream: StreamLike,
) -> Initializer:  # fmt: skip
    """variance_scaling's initializer, its errors naming fn (the function the user called)."""
    s = real_arg(fn, "scale", scale, "+")
    if mode not in MODES:
        raise ValueError(f"{fn}: mode={mode!r} is not one of {', '.join(map(repr, MODES))}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"{fn}: distribution={distribution!r} is not one of {', '.join(map(repr, DISTRIBUTIONS))}"
        )
    scheme = Scheme(s, mode, distribution)

    def fans(shape: tuple[int, ...]) -> tuple[float, float]:
        return compute_fans(shape, in_axis, out_axis, batch_axis, fn=fn)

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        std = scheme.std(*fans(shape))
        if math.prod(shape) == 0 or std is None:
            return np.zeros(shape, dt)
        if dt.kind == "c" and distribution == "normal":
            return complex_normal(fn, shape, dt, std, seed, sid)
        if dt.kind == "c":
            return complex_polar(fn, shape, dt, std, distribution, seed, sid)
        return fill_law(
            fn, aligned_empty(shape, dt), law_of_std(std, distribution), {"seed": seed, "stream": sid}
        )

    params = dict(scale=s, mode=mode, distribution=distribution, in_axis=in_axis, out_axis=out_axis,
                  batch_axis=batch_axis)  # fmt: skip
    return Initializer(fn, fill, dtype, stream, params, check=fans)


@shared_doc
def _scheme(name: str, scale: float, mode: str, distribution: str) -> Callable[..., Initializer]:
    def factory(
        in_axis: AxisLike = -2,
        out_axis: AxisLike = -1,
        batch_axis: AxisLike = (),
        dtype: Any = None,
        *,
        stream: StreamLike = 0,
    ) -> Initializer:
        init = _variance_scaling(
            name, scale, mode, distribution, in_axis, out_axis, batch_axis, dtype, stream
        )
        init.params = dict(in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis)
        return init

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"""jax.nn.initializers.{name} with fastinit values: variance_scaling({scale}, {mode!r},
    {distribution!r}, in_axis, out_axis, batch_axis, dtype, stream=stream).

    Parameters
    ----------
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        The fans' axes, as in jax.nn.initializers (defaults -2, -1 and none).
    <dtype and stream>

    <returns an Initializer; raises>
    TypeError
        An unsupported dtype; a stream that is neither an int nor a str.
    ValueError
        A stream outside [0, 2**64). Calling the initializer raises what Initializer.__call__
        says (axes outside the shape among them).

    <examples>
    >>> init = fj.{name}()
    <draw 256 x 128>
    >>> same = fj.variance_scaling({scale}, {mode!r}, {distribution!r})
    >>> np.array_equal(np.asarray(w), same.generate((256, 128), seed=0))
    True
    """
    return shared_doc(factory)


glorot_uniform = _scheme("glorot_uniform", 1.0, "fan_avg", "uniform")
glorot_normal = _scheme("glorot_normal", 1.0, "fan_avg", "truncated_normal")
lecun_uniform = _scheme("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_normal = _scheme("lecun_normal", 1.0, "fan_in", "truncated_normal")
he_uniform = _scheme("he_uniform", 2.0, "fan_in", "uniform")
he_normal = _scheme("he_normal", 2.0, "fan_in", "truncated_normal")
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal  # JAX's aliases
kaiming_uniform, kaiming_normal = he_uniform, he_normal
