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
from .schemes import functional as _functional
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
    shape, args = _functional.EXAMPLES[name]
    chunks = tuple(max(1, n // 2) for n in shape)
    blocks = tuple((c,) * (n // c) + ((n % c,) if n % c else ()) for n, c in zip(shape, chunks))
    random = inplace not in _NOT_RANDOM
    build.__doc__ = _functional.twin_doc(
        inplace,
        f"A dask.array of `shape` equal to ``fastinit.{name}(shape, *args, **kwargs)``,\n"
        f"    each chunk made independently by {inplace.__name__} as its block of the whole (arr below\n"
        "    is a chunk).",
        shape="shape : int or sequence of int\n    The array's shape.",
        extra=[
            'chunks : optional\n    Keyword only: dask\'s chunks (default "auto"); the values never depend on them.',
            "dtype : str or numpy.dtype, optional\n    Keyword only: float32 (default), float64, float16 or bfloat16 "
            "(needs ml_dtypes).",
        ],
        returns="dask.array.Array\n    Lazy: computing it (any scheduler, any number of times) gives the same values.",
        raises="TypeError, ValueError\n    At creation: a bad shape, chunks or dtype"
        + (
            ",\n    or bad seed=, stream= or generator= (their (seed, stream) is fixed then)"
            if random
            else ""
        )
        + f".\n    What {inplace.__name__} raises (below) for its other arguments comes when the\n"
        "    array is computed.",
        example=(
            f">>> import numpy as np, fastinit, fastinit.dask\n"
            f">>> w = fastinit.dask.{_functional.call(name, shape, args, chunks=str(chunks))}\n"
            f">>> w.chunks\n{blocks}\n"
            f">>> same = fastinit.{_functional.call(name, shape, args)}\n"
            ">>> np.array_equal(w.compute(), same)\nTrue"
        ),
        drop=("offset", "global_shape", "index"),
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
