"""The three primitive random fills: uniform_, normal_ and trunc_normal_ (docs/stream.md
defines every value they write). Everything else in fastinit is built on them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from . import _core
from ._streams import Generator, StreamLike, check_u64, resolve
from ._target import as_target

__all__ = ["normal_", "trunc_normal_", "uniform_"]

_U64 = 1 << 64

A = TypeVar("A")

_UNIFORM, _NORMAL, _TRUNC_NORMAL = 0, 1, 2
_FLOAT32_CODE, _FLOAT64_CODE = 0, 1  # dtype codes: float32 0, float64 1, float16 2, bfloat16 3
_CODE_NAMES = {0: "float32", 1: "float64", 2: "float16", 3: "bfloat16"}
# largest finite value of each dtype but float64 (bfloat16: 8 exponent and 8 significand bits)
_MAX_FINITE = {
    0: float(np.finfo(np.float32).max),
    2: float(np.finfo(np.float16).max),
    3: float.fromhex("0x1.fep127"),
}
_INDEX_LIMIT, _INDEX_LIMIT_F64 = 2**58, 2**57  # logical index limits (docs/stream.md)


def check_real(fn: str, name: str, value: object) -> float:
    """value as a finite float, or TypeError / ValueError naming fn and name."""
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating)) or (
        not isinstance(value, (int, float)) and not hasattr(value, "__float__")
    ):
        raise TypeError(f"{fn}: {name} must be a real number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a real number; got {value!r}") from None
    except OverflowError:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise ValueError(f"{fn}: {name} must be finite; got {shown}, too large for a float") from None
    if not math.isfinite(v):
        raise ValueError(f"{fn}: {name} must be finite; got {v}")
    return v


def check_in_range(fn: str, code: int, named: dict[str, float]) -> None:
    """Each named value must lie within the finite range of the dtype with code `code` (float32
    or a half type; float64 holds every finite float)."""
    limit = _MAX_FINITE[code]
    for name, v in named.items():
        if abs(v) > limit:
            raise ValueError(
                f"{fn}: {name}={v} is outside the range of {_CODE_NAMES[code]} (largest finite value {limit:g})"
            )


def run_fill(
    fn: str,
    arr: A,
    dist: int,
    values: list[float],
    generator: Generator | None,
    seed: int | None,
    stream: StreamLike | None,
    offset: int,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
    in_range: dict[str, float] | None = None,
    in_compute_range: dict[str, float] | None = None,
) -> A:
    """Validate everything, then fill arr in place; arr is untouched if anything is wrong.
    in_range names parameters that must lie within the finite range of arr's dtype,
    in_compute_range those that must lie within the range of the precision the kernels compute
    in (float32 for every dtype but float64)."""
    first = offset if type(offset) is int and 0 <= offset < _U64 else check_u64(fn, "offset", offset)
    view, code, logical, first = as_target(fn, arr, first, global_shape, index)
    if code != _FLOAT64_CODE:  # float32 and the half types overflow before float64
        if in_range:
            check_in_range(fn, code, in_range)
        if in_compute_range:
            check_in_range(fn, _FLOAT32_CODE, in_compute_range)
    check_index_limit(fn, view.shape, logical, first, code)
    try:  # parameters the dtype cannot honour fail here, before a stream id is taken
        _core.check_params(dist, values, code)
    except _core.NoMassError as exc:
        raise _no_mass_error(fn, dist, values, view.dtype, exc) from None
    key, sid = resolve(fn, generator, seed, stream)
    if type(view) is np.ndarray:
        _core.fill(dist, values, code, view, logical, first, key, sid)
    elif not view.is_meta:  # a torch tensor; meta tensors have no storage: a no-op
        _core.fill_raw(
            dist, values, code, view.data_ptr, view.shape, view.byte_strides, logical, first, key, sid
        )
        view.written()
    return arr


def check_index_limit(
    fn: str, shape: Sequence[int], logical: Sequence[int] | None, first: int, code: int
) -> None:
    """ValueError unless every element's logical index lies below the stream's end for the
    dtype: 2**58 for 4- and 2-byte values, 2**57 for float64 (docs/stream.md)."""
    size = math.prod(int(n) for n in shape)
    if size == 0:
        return
    if logical is None:  # C order: the last element is the size-th
        last = first + size - 1
    else:
        last = first + sum((int(n) - 1) * int(st) for n, st in zip(shape, logical))
    limit = _INDEX_LIMIT_F64 if code == _FLOAT64_CODE else _INDEX_LIMIT
    if last >= limit:
        raise ValueError(
            f"{fn}: the element indices reach past {limit}, the end of the stream for this element "
            f"size (offset={first}, last index {last})"
        )


def _no_mass_error(fn: str, dist: int, values: list[float], dtype: Any, exc: Exception) -> ValueError:
    """The ValueError for parameters whose window holds no value or no mass in dtype."""
    if dist == _UNIFORM:
        a, b = values
        return ValueError(
            f"{fn}: the window [a, b) = [{a}, {b}) {exc} ({dtype}); widen it, or use constant_ for a single value"
        )
    mean, std, a, b = values
    return ValueError(
        f"{fn}: the truncation window [a, b] = [{a}, {b}] of a normal with mean={mean} and std={std} {exc}; "
        "choose a window closer to the mean"
    )


def uniform_(
    arr: A,
    a: float = 0.0,
    b: float = 1.0,
    *,
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """Fill arr in place with samples of the uniform distribution on [a, b) and return it.

    Values never equal b (a value that would round to b is replaced by the largest value below b
    in arr's dtype); a == b fills with a. ``seed=`` alone makes the call a pure function of
    (seed, stream, shape): the same arguments give the same values every time.
    """
    fn = "uniform_"
    lo, hi = check_real(fn, "a", a), check_real(fn, "b", b)
    if lo > hi:
        raise ValueError(f"{fn}: a must be <= b; got a={lo}, b={hi}")
    if not math.isfinite(hi - lo):
        raise ValueError(f"{fn}: b - a must be finite; got a={lo}, b={hi}")
    return run_fill(
        fn, arr, _UNIFORM, [lo, hi], generator, seed, stream, offset, global_shape, index,
        {"a": lo, "b": hi}, {"b - a": hi - lo},
    )  # fmt: skip


def normal_(
    arr: A,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """Fill arr in place with samples of N(mean, std**2) and return it (std >= 0)."""
    fn = "normal_"
    m, s = check_real(fn, "mean", mean), check_real(fn, "std", std)
    if s < 0:
        raise ValueError(f"{fn}: std must be >= 0; got std={s}")
    return run_fill(
        fn, arr, _NORMAL, [m, s], generator, seed, stream, offset, global_shape, index, {"mean": m, "std": s}
    )


def trunc_normal_(
    arr: A,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    *,
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    offset: int = 0,
    global_shape: Sequence[int] | None = None,
    index: Sequence[slice] | None = None,
) -> A:
    """Fill arr in place with samples of N(mean, std**2) conditioned on [a, b] and return it.

    As in torch.nn.init.trunc_normal_, a and b are bounds on the values (not in units of std).
    Every value lies in [a, b]. The window must hold probability mass at arr's precision.
    """
    fn = "trunc_normal_"
    m, s = check_real(fn, "mean", mean), check_real(fn, "std", std)
    lo, hi = check_real(fn, "a", a), check_real(fn, "b", b)
    if s < 0:
        raise ValueError(f"{fn}: std must be >= 0; got std={s}")
    if not lo < hi:
        raise ValueError(f"{fn}: a must be < b; got a={lo}, b={hi}")
    return run_fill(
        fn,
        arr,
        _TRUNC_NORMAL,
        [m, s, lo, hi],
        generator,
        seed,
        stream,
        offset,
        global_shape,
        index,
        {"mean": m, "std": s, "a": lo, "b": hi},
    )
