"""fastinit for Dask: ``fastinit.dask.<scheme>(shape, ..., chunks=, dtype=, seed=, stream=)``
returns a dask.array whose chunks are generated independently — each one the block of the
whole tensor (global_shape=/index=), so the result is bit-identical to the in-memory
``fastinit.<scheme>(shape, ...)`` whatever the chunking, scheduler or cluster. The (seed, stream)
pair is fixed when the array is created (drawn from the process-wide generator if neither seed=
nor generator= is given), so recomputing gives the same values.

Every argument is checked when the graph is built, never at ``.compute()``: each function has
the real signature of the in-place function it wraps (``inspect.signature`` shows its
parameters, then chunks= and dtype=), so a misspelt keyword fails at the call, and the call
is then dry-run on an empty block of the whole (``global_shape=shape``, ``index=`` zero-length
slices). That runs the in-place function's own checks — its law, the fans of the whole shape
(a 1-D kaiming shape), the dimensions orthogonal/sparse/eye/dirac need — in the same code the
chunks will run, but generates nothing (orthogonal's QR included), so no check is duplicated
here and none can drift. Its errors keep their type and name the dask function.
"""

from __future__ import annotations

import inspect
import re
from typing import Any, Callable

import numpy as np

from .engine import fill as _fill
from .engine import placement as _placement
from .engine.shapes import as_shape
from .engine.streams import key_source, stream_version_of
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


# The defaults of the keywords an in-place function takes through **placement / **keywords
# (engine.placement's TypedDicts); offset/global_shape/index are the chunks' own business.
_KEYWORD_DEFAULTS = {"generator": None, "seed": None, "stream": None, "stream_version": None, "layout": "oihw",
                     "in_axis": None, "out_axis": None, "batch_axis": ()}  # fmt: skip
_CHUNK_KEYWORDS = ("offset", "global_shape", "index")


def _signature(inplace: Callable[..., Any]) -> inspect.Signature:
    """(shape, inplace's parameters but arr and the chunk keywords, *, chunks, dtype)."""
    params = [inspect.Parameter("shape", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    keyword = inspect.Parameter.KEYWORD_ONLY
    for p in list(inspect.signature(inplace).parameters.values())[1:]:
        if p.kind is inspect.Parameter.VAR_KEYWORD:  # **placement: Unpack[<a TypedDict>]
            typed = getattr(_placement, re.sub(r"^Unpack\[(\w+)\]$", r"\1", str(p.annotation)))
            params += [inspect.Parameter(k, keyword, default=_KEYWORD_DEFAULTS[k])
                       for k in typed.__annotations__ if k not in _CHUNK_KEYWORDS]  # fmt: skip
        elif p.name not in _CHUNK_KEYWORDS:
            params.append(p)
    params += [inspect.Parameter("chunks", keyword, default="auto"),
               inspect.Parameter("dtype", keyword, default="float32")]  # fmt: skip
    return inspect.Signature(params, return_annotation="dask.array.Array")


def _fill_chunk(chunk: np.ndarray, inplace: Callable[..., Any], shape: tuple[int, ...],
                kwargs: dict[str, Any], block_info: Any = None) -> np.ndarray:  # fmt: skip
    out = np.array(chunk, copy=True) if not chunk.flags.writeable else chunk
    if inplace in _POSITION_FREE:
        return inplace(out, **kwargs)  # type: ignore[no-any-return]
    location = block_info[0]["array-location"]
    index = tuple(slice(a, b) for a, b in location)
    return inplace(out, **kwargs, global_shape=shape, index=index)  # type: ignore[no-any-return]


def _dry_run(qualname: str, inplace: Callable[..., Any], shape: tuple[int, ...], dt: np.dtype,
             kwargs: dict[str, Any]) -> None:  # fmt: skip
    """Run inplace on an empty block of the whole, so that its checks of every argument run
    now; what it raises keeps its type and names the dask function and the user's shape
    instead of the empty block's."""
    empty = (0,) * len(shape)
    try:
        if inplace in _POSITION_FREE:
            inplace(np.empty(empty, dt), **kwargs)
        else:
            inplace(
                np.empty(empty, dt), **kwargs, global_shape=shape, index=tuple(slice(0, 0) for _ in shape)
            )
    except (TypeError, ValueError) as exc:
        text = re.sub(rf"^{inplace.__name__}(\(\))?:? ", "", str(exc))
        # A check of the block's own dimensions names the block's shape; the user gave `shape`.
        text = text.replace(f"shape {empty}", f"shape {shape}")
        raise type(exc)(f"{qualname}: {text}") from None


def _make(inplace: Callable[..., Any]) -> Callable[..., Any]:
    name = inplace.__name__.rstrip("_")
    qualname = f"fastinit.dask.{name}"
    signature = _signature(inplace)

    def build(*args: Any, **kwargs: Any) -> Any:
        import dask.array as da

        try:
            given = dict(signature.bind(*args, **kwargs).arguments)
        except TypeError as exc:
            raise TypeError(f"{qualname}: {exc}") from None
        shp = as_shape(qualname, given.pop("shape"))
        chunks, dt = given.pop("chunks", "auto"), resolve_dtype(qualname, given.pop("dtype", "float32"))
        source: Any = None
        if inplace not in _NOT_RANDOM:
            generator = given.pop("generator", None)
            version = stream_version_of(qualname, given.pop("stream_version", None), generator)
            source = key_source(qualname, generator, given.pop("seed", None), given.pop("stream", None))
            given.update(seed=0, stream=0, stream_version=version)  # for the dry run: its stream is not drawn
        _dry_run(qualname, inplace, shp, dt, given)
        try:
            empty = da.empty(shp, chunks=chunks, dtype=dt)
        except (TypeError, ValueError) as exc:  # dask's check of chunks=
            raise type(exc)(f"{qualname}: {exc}") from None
        if source is not None:  # a generator's stream is taken once the arguments are known good
            given["seed"], given["stream"] = source if isinstance(source, tuple) else source()
        return empty.map_blocks(
            _fill_chunk, inplace, shp, given, dtype=dt, meta=np.empty((0,) * len(shp), dt)
        )

    build.__signature__ = signature  # type: ignore[attr-defined]
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
            "dtype : str, numpy.dtype or torch.dtype, optional\n    Keyword only: float32 (default), float64, "
            "float16 or bfloat16 (needs ml_dtypes),\n    as a name, NumPy dtype or torch dtype (torch.bfloat16).",
        ],
        returns="dask.array.Array\n    Lazy: computing it (any scheduler, any number of times) gives the same values.",
        raises="TypeError, ValueError\n    At creation, never at compute: an unknown or missing argument, a bad shape,\n"
        "    chunks or dtype"
        + (", seed=, stream= or generator= (their (seed, stream) is fixed then)" if random else "")
        + f",\n    and what {inplace.__name__} raises (below) for its other arguments, checked by a dry run\n"
        f"    on an empty block; the message names {qualname}.",
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
