"""The initialization schemes: Xavier/Glorot, He/Kaiming, LeCun and variance scaling (formulas
and derivations in docs/formulas.md). Each computes a standard deviation from the weight's fans
and draws with one of three distributions of that variance:

* "uniform": U(-sqrt(3) std, sqrt(3) std);
* "normal" (alias "untruncated_normal"): N(0, std**2);
* "truncated_normal": N(0, s**2) truncated to [-2s, 2s] with s = std / 0.87962566103423978,
  the std of N(0, 1) truncated to +-2, so the result's variance is std**2 (Keras and JAX).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TypeVar, cast

import numpy as np

from ._fans import AxisSpec, compute_fans
from ._fill import check_real, normal_, trunc_normal_, uniform_
from ._gain import calculate_gain
from ._streams import Generator, StreamLike
from ._target import as_target
from ._torch_target import is_torch_tensor

__all__ = [
    "kaiming_normal_",
    "kaiming_uniform_",
    "lecun_normal_",
    "lecun_uniform_",
    "variance_scaling_",
    "xavier_normal_",
    "xavier_uniform_",
]

A = TypeVar("A")

TRUNCATED_STD_FACTOR = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]
DISTRIBUTIONS = ("uniform", "normal", "untruncated_normal", "truncated_normal")
MODES = ("fan_in", "fan_out", "fan_avg")


def _shape_of(fn: str, arr: object, global_shape: Sequence[int] | None) -> tuple[int, ...]:
    if global_shape is not None:
        return tuple(int(n) for n in global_shape)
    if type(arr) is np.ndarray:
        return cast(tuple[int, ...], arr.shape)
    if is_torch_tensor(arr):
        return tuple(arr.shape)  # type: ignore[attr-defined]
    return tuple(as_target(fn, arr)[0].shape)


def draw_with_std(
    fn: str,
    arr: A,
    std: float,
    distribution: str,
    generator: Generator | None,
    seed: int | None,
    stream: StreamLike | None,
    offset: int,
    global_shape: Sequence[int] | None,
    index: Sequence[slice] | None,
) -> A:
    """Fill arr with zero-mean values of standard deviation std from `distribution`."""
    kw = dict(
        generator=generator, seed=seed, stream=stream, offset=offset, global_shape=global_shape, index=index
    )
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return uniform_(arr, -bound, bound, **kw)  # type: ignore[arg-type]
    if distribution in ("normal", "untruncated_normal"):
        return normal_(arr, 0.0, std, **kw)  # type: ignore[arg-type]
    if distribution == "truncated_normal":
        s = std / TRUNCATED_STD_FACTOR
        return trunc_normal_(arr, 0.0, s, -2.0 * s, 2.0 * s, **kw)  # type: ignore[arg-type]
    raise ValueError(
        f"{fn}: distribution={distribution!r} is not one of {', '.join(map(repr, DISTRIBUTIONS))}"
    )


def _check_distribution(fn: str, distribution: str) -> None:
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"{fn}: distribution={distribution!r} is not one of {', '.join(map(repr, DISTRIBUTIONS))}"
        )


def _check_positive(fn: str, name: str, value: float) -> float:
    v = check_real(fn, name, value)
    if v <= 0:
        raise ValueError(f"{fn}: {name} must be > 0; got {name}={v}")
    return v


def _fans(
    fn: str, arr: object, global_shape: Sequence[int] | None, layout: str,
    in_axis: int | None, out_axis: int | None, batch_axis: AxisSpec,
) -> tuple[float, float]:  # fmt: skip
    shape = _shape_of(fn, arr, global_shape)
    if layout == "oihw" and in_axis is None and out_axis is None and not batch_axis and len(shape) == 2:
        return float(shape[1]), float(shape[0])  # the common case, without the general machinery
    return compute_fans(shape, layout, in_axis, out_axis, batch_axis, fn=fn)


def variance_scaling_(
    arr: A,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    *,
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """Keras/JAX variance scaling, in place: Var(w) = scale / n with n = fan_in, fan_out or
    (fan_in + fan_out) / 2 per `mode`; `distribution` as in the module docstring (the
    truncated normal is corrected so its variance is exactly scale / n)."""
    fn = "variance_scaling_"
    s = _check_positive(fn, "scale", scale)
    if mode not in MODES:
        raise ValueError(f"{fn}: mode={mode!r} is not one of 'fan_in', 'fan_out', 'fan_avg'")
    _check_distribution(fn, distribution)
    fan_in, fan_out = _fans(fn, arr, global_shape, layout, in_axis, out_axis, batch_axis)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if n == 0:
        return arr  # an empty weight: nothing to fill
    return draw_with_std(
        fn, arr, math.sqrt(s / n), distribution, generator, seed, stream, offset, global_shape, index
    )


def _xavier(
    fn: str, arr: A, gain: float, distribution: str, layout: str, in_axis: int | None,
    out_axis: int | None, batch_axis: AxisSpec, generator: Generator | None, seed: int | None,
    stream: StreamLike | None, offset: int, global_shape: Sequence[int] | None,
    index: Sequence[slice] | None,
) -> A:  # fmt: skip
    g = _check_positive(fn, "gain", gain)
    _check_distribution(fn, distribution)
    fan_in, fan_out = _fans(fn, arr, global_shape, layout, in_axis, out_axis, batch_axis)
    if fan_in + fan_out == 0:
        return arr
    std = g * math.sqrt(2.0 / (fan_in + fan_out))
    return draw_with_std(fn, arr, std, distribution, generator, seed, stream, offset, global_shape, index)


def xavier_uniform_(
    arr: A,
    gain: float = 1.0,
    *,
    distribution: str = "uniform",
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """Glorot & Bengio (2010), in place: std = gain * sqrt(2 / (fan_in + fan_out)); uniform on
    +-gain * sqrt(6 / (fan_in + fan_out)) by default, as torch.nn.init.xavier_uniform_."""
    return _xavier("xavier_uniform_", arr, gain, distribution, layout, in_axis, out_axis, batch_axis,
                   generator, seed, stream, offset, global_shape, index)  # fmt: skip


def xavier_normal_(
    arr: A,
    gain: float = 1.0,
    *,
    distribution: str = "normal",
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """Glorot & Bengio (2010), in place: N(0, std**2) with std = gain * sqrt(2 / (fan_in +
    fan_out)) by default, as torch.nn.init.xavier_normal_."""
    return _xavier("xavier_normal_", arr, gain, distribution, layout, in_axis, out_axis, batch_axis,
                   generator, seed, stream, offset, global_shape, index)  # fmt: skip


def _kaiming(
    fn: str, arr: A, a: float, mode: str, nonlinearity: str, distribution: str, layout: str,
    in_axis: int | None, out_axis: int | None, batch_axis: AxisSpec, generator: Generator | None,
    seed: int | None, stream: StreamLike | None, offset: int, global_shape: Sequence[int] | None,
    index: Sequence[slice] | None,
) -> A:  # fmt: skip
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode={mode!r} is not one of 'fan_in', 'fan_out'")
    _check_distribution(fn, distribution)
    gain = calculate_gain(nonlinearity, a)
    if 0 in _shape_of(fn, arr, global_shape):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return arr
    fan_in, fan_out = _fans(fn, arr, global_shape, layout, in_axis, out_axis, batch_axis)
    fan = fan_in if mode == "fan_in" else fan_out
    std = gain / math.sqrt(fan)
    return draw_with_std(fn, arr, std, distribution, generator, seed, stream, offset, global_shape, index)


def kaiming_uniform_(
    arr: A,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    distribution: str = "uniform",
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """He et al. (2015), in place: std = gain / sqrt(fan) with gain = calculate_gain(nonlinearity,
    a) and fan = fan_in or fan_out per `mode`; uniform on +-sqrt(3) * std by default, as
    torch.nn.init.kaiming_uniform_."""
    return _kaiming("kaiming_uniform_", arr, a, mode, nonlinearity, distribution, layout, in_axis,
                    out_axis, batch_axis, generator, seed, stream, offset, global_shape, index)  # fmt: skip


def kaiming_normal_(
    arr: A,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    distribution: str = "normal",
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """He et al. (2015), in place: N(0, std**2) with std = gain / sqrt(fan) by default, as
    torch.nn.init.kaiming_normal_. distribution="truncated_normal" gives Keras's HeNormal."""
    return _kaiming("kaiming_normal_", arr, a, mode, nonlinearity, distribution, layout, in_axis,
                    out_axis, batch_axis, generator, seed, stream, offset, global_shape, index)  # fmt: skip


def lecun_uniform_(
    arr: A,
    *,
    distribution: str = "uniform",
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """LeCun et al. (1998), in place: Var(w) = 1 / fan_in; uniform on +-sqrt(3 / fan_in) by
    default (Keras LecunUniform, JAX lecun_uniform)."""
    return variance_scaling_(arr, 1.0, "fan_in", distribution, layout=layout, in_axis=in_axis,
                             out_axis=out_axis, batch_axis=batch_axis, generator=generator, seed=seed,
                             stream=stream, offset=offset, global_shape=global_shape, index=index)  # fmt: skip


def lecun_normal_(
    arr: A,
    *,
    distribution: str = "truncated_normal",
    layout: str = "oihw",
    in_axis: int | None = None,
    out_axis: int | None = None,
    batch_axis: AxisSpec = (),
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """LeCun et al. (1998), in place: Var(w) = 1 / fan_in, from a truncated normal by default
    as Keras's LecunNormal and JAX's lecun_normal (distribution="normal" for the plain one)."""
    return variance_scaling_(arr, 1.0, "fan_in", distribution, layout=layout, in_axis=in_axis,
                             out_axis=out_axis, batch_axis=batch_axis, generator=generator, seed=seed,
                             stream=stream, offset=offset, global_shape=global_shape, index=index)  # fmt: skip
