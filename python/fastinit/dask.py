"""fastinit for Dask: ``fastinit.dask.<scheme>(shape, ..., chunks=, dtype=, seed=, stream=)``
returns a dask.array whose chunks are generated independently — each one the block of the
whole tensor (global_shape=/index=), so the result is bit-identical to the in-memory
``fastinit.<scheme>(shape, ...)`` whatever the chunking, scheduler or cluster. The (seed, stream)
pair is fixed when the array is created (drawn from the process-wide generator if neither seed=
nor generator= is given), so recomputing gives the same values."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .engine import fill as _fill
from .engine.streams import resolve
from .engine.targets import resolve_dtype
from .schemes import deterministic as _deterministic
from .schemes import matrix as _matrix
from .schemes import variance as _schemes

__all__ = [
    "constant", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform",
    "normal", "ones", "orthogonal", "sparse", "trunc_normal", "uniform", "variance_scaling",
    "xavier_normal", "xavier_uniform", "zeros",
]  # fmt: skip

_POSITION_FREE = (_deterministic.constant_, _deterministic.ones_, _deterministic.zeros_)
_NOT_RANDOM = (*_POSITION_FREE, _deterministic.eye_, _deterministic.dirac_)


def _fill_chunk(chunk: np.ndarray, inplace: Callable[..., Any], shape: tuple[int, ...], args: tuple[Any, ...],
                kwargs: dict[str, Any], block_info: Any = None) -> np.ndarray:  # fmt: skip
    out = np.array(chunk, copy=True) if not chunk.flags.writeable else chunk
    if inplace in _POSITION_FREE:
        return inplace(out, *args, **kwargs)  # type: ignore[no-any-return]
    location = block_info[0]["array-location"]
    index = tuple(slice(a, b) for a, b in location)
    return inplace(out, *args, **kwargs, global_shape=shape, index=index)  # type: ignore[no-any-return]


def _make(inplace: Callable[..., Any]) -> Callable[..., Any]:
    name = inplace.__name__.rstrip("_")

    def build(shape: Any, *args: Any, chunks: Any = "auto", dtype: Any = "float32", **kwargs: Any) -> Any:
        import dask.array as da

        dt = resolve_dtype(name, dtype)
        shp = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
        if inplace not in _NOT_RANDOM:
            seed, stream = resolve(
                name, kwargs.pop("generator", None), kwargs.pop("seed", None), kwargs.pop("stream", None)
            )
            kwargs.update(seed=seed, stream=stream)
        empty = da.empty(shp, chunks=chunks, dtype=dt)
        return empty.map_blocks(
            _fill_chunk, inplace, shp, args, kwargs, dtype=dt, meta=np.empty((0,) * len(shp), dt)
        )

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (
        f"A dask.array of `shape` (chunks=, dtype=, default float32) equal to "
        f"fastinit.{name}(shape, *args, **kwargs), each chunk made independently.\n\n{inplace.__doc__ or ''}"
    )
    return build


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
orthogonal = _make(_matrix.orthogonal_)  # each chunk computes the whole QR (see orthogonal_)
sparse = _make(_matrix.sparse_)
