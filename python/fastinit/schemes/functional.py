"""Out-of-place twins of the in-place functions, for immutable-array users (JAX) and for
convenience: ``kaiming_normal((4096, 1024), dtype="bfloat16", seed=0)`` allocates an
uninitialized array of the shape and dtype and fills it in place, so the values are written
straight into fresh memory with no temporary. Each takes the in-place function's arguments after
the shape, plus ``dtype=`` (default float32)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..engine import fill as _fill
from ..engine.targets import resolve_dtype
from . import deterministic as _deterministic
from . import matrix as _matrix
from . import variance as _schemes

__all__ = [
    "constant", "delta_orthogonal", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "lecun_normal",
    "lecun_uniform", "normal", "ones", "orthogonal", "sparse", "trunc_normal", "uniform",
    "variance_scaling", "xavier_normal", "xavier_uniform", "zeros",
]  # fmt: skip


def _shape(fn: str, shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        out = tuple(int(n) for n in dims if not isinstance(n, bool) and isinstance(n, (int, np.integer)))
    except TypeError:
        out = ()
    if (not isinstance(dims, (tuple, list)) and not isinstance(shape, (int, np.integer))) or len(out) != len(
        dims
    ):
        raise TypeError(f"{fn}: shape must be an int or a sequence of ints; got {shape!r}")
    if any(n < 0 for n in out):
        raise ValueError(f"{fn}: shape must have non-negative extents; got {out}")
    return out


def _make(inplace: Callable[..., Any]) -> Callable[..., np.ndarray]:
    name = inplace.__name__.rstrip("_")

    def out_of_place(shape: Any, *args: Any, dtype: Any = "float32", **kwargs: Any) -> np.ndarray:
        dt = resolve_dtype(name, dtype)
        return inplace(np.empty(_shape(name, shape), dt), *args, **kwargs)  # type: ignore[no-any-return]

    out_of_place.__name__ = out_of_place.__qualname__ = name
    out_of_place.__doc__ = (
        f"Out-of-place {inplace.__name__}: a new array of `shape` and `dtype` (default float32), "
        f"filled by {inplace.__name__}(arr, *args, **kwargs).\n\n{inplace.__doc__ or ''}"
    )
    return out_of_place


uniform = _make(_fill.uniform_)
normal = _make(_fill.normal_)
trunc_normal = _make(_fill.trunc_normal_)
constant = _make(_deterministic.constant_)
ones = _make(_deterministic.ones_)
zeros = _make(_deterministic.zeros_)
eye = _make(_deterministic.eye_)
dirac = _make(_deterministic.dirac_)
xavier_uniform = _make(_schemes.xavier_uniform_)
xavier_normal = _make(_schemes.xavier_normal_)
kaiming_uniform = _make(_schemes.kaiming_uniform_)
kaiming_normal = _make(_schemes.kaiming_normal_)
lecun_uniform = _make(_schemes.lecun_uniform_)
lecun_normal = _make(_schemes.lecun_normal_)
variance_scaling = _make(_schemes.variance_scaling_)
orthogonal = _make(_matrix.orthogonal_)
delta_orthogonal = _make(_matrix.delta_orthogonal_)
sparse = _make(_matrix.sparse_)
