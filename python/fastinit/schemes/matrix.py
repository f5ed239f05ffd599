"""Initializations that need the whole matrix: orthogonal_ (a QR of a Gaussian matrix from the
stream, through LAPACK in the target's precision) and sparse_ (normal values with a per-column zero pattern drawn
from the stream's purpose-tag-2 words)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from .. import _core
from .._docstrings import takes_placement, takes_placement_keywords
from ..engine.fill import check_in_range, check_real, normal_
from ..engine.keys import shard_starts
from ..engine.placement import check_offset, check_placement
from ..engine.resolve import resolve, resolve_after
from ..engine.streams import Generator, StreamLike, stream_version_of
from ..engine.targets import as_target, assign, fill_value, zero_where
from .conv_layout import checked_conv_weight

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..engine.placement import Placement

__all__ = ["delta_orthogonal_", "orthogonal_", "sparse_"]

A = TypeVar("A")

TAG_SPARSE_MASK = 2  # docs/stream.md, purpose tags


def _placed(fn: str, placement: Placement) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """The placement keywords' values (generator, seed, stream, offset, global_shape, index,
    stream_version), their names checked (check_placement)."""
    check_placement(fn, placement)
    p: Any = placement
    return tuple(p.get(k, 0 if k == "offset" else None) for k in _PLACEMENT_ORDER)


_PLACEMENT_ORDER = ("generator", "seed", "stream", "offset", "global_shape", "index", "stream_version")


# the largest finite value of each dtype whose range a gain can exceed (csrc/law.cpp's largest_finite)


@takes_placement
def orthogonal_(
    arr: A,
    gain: float = 1.0,
    **placement: Unpack[Placement],
) -> A:
    """A (semi-)orthogonal matrix times gain, in place, as torch.nn.init.orthogonal_ (Saxe et
    al., 2013). arr (at least 2-D) is viewed as (rows, cols) = (shape[0], prod(shape[1:])); a
    Gaussian matrix of that shape in arr's compute precision (float64 for float64, float32 for
    the other dtypes) — the normal_ values of the stream at indices offset, offset + 1, ... — is
    factored by LAPACK's QR in that precision (transposed first when rows < cols): torch's
    (torch.linalg.qr) for a torch tensor, NumPy's for an array. Q is sign-corrected by diag(R)
    so the result is Haar-distributed. Then W W^T = gain**2 I (rows <= cols) or W^T W = gain**2 I
    (rows > cols). Reproducible on a given machine and LAPACK build; across builds the values
    agree to rounding.

    Sharded (global_shape= and index=): orthogonality is a property of the whole matrix, so each
    shard computes the QR of the whole global matrix and keeps its block — the same values as
    slicing the unsharded result, at the cost of the full QR on every rank.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        At least 2-D; a writable float16, bfloat16, float32 or float64 array or CPU torch tensor
        (as in uniform_).
    gain : float
        > 0.

    <returns arr or empty>

    Raises
    ------
    <fill type errors>
    ValueError
        gain <= 0; arr has fewer than 2 dimensions; offset= with index=; a bad placement keyword.
        arr is untouched.

    Notes
    -----
    Unlike the element-wise fills, the values are reproducible on one machine and LAPACK build
    (across builds they agree to rounding), and offset= moves the Gaussian matrix's draws: the
    pieces of a matrix filled with offsets are not its blocks (global_shape= and index= give
    those).

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.orthogonal_(np.empty((3, 5)), gain=2.0, seed=0)
    >>> bool(np.allclose(w @ w.T, 4 * np.eye(3)))
    True
    """
    fn = "orthogonal_"
    generator, seed, stream, offset, global_shape, index, stream_version = _placed(fn, placement)
    a = as_target(fn, arr)
    g = check_real(fn, "gain", gain)
    if g <= 0:
        raise ValueError(f"{fn}: gain must be > 0; got gain={g}")
    check_in_range(fn, "gain", g, str(a.dtype).removeprefix("torch."))  # (an entry can come near gain)
    if a.ndim < 2:
        raise ValueError(f"{fn}: only arrays with 2 or more dimensions are supported; got shape {a.shape}")
    first = check_offset(fn, offset)
    block = None
    shape = tuple(a.shape)
    if global_shape is not None or index is not None:
        if first:
            raise ValueError(f"{fn}: index= and offset= cannot be combined; got offset={first}")
        shape, starts = shard_starts(fn, a.shape, global_shape, index)
        block = tuple(slice(s, s + n) for s, n in zip(starts, a.shape))
    version = stream_version_of(fn, stream_version, generator)
    if a.size == 0 or getattr(a, "is_meta", False):
        resolve(fn, generator, seed, stream)  # (a call takes its stream, whatever the size)
        return arr
    rows = shape[0]
    cols = math.prod(shape) // rows
    precision = np.float64 if str(a.dtype) == "float64" else np.float32
    on_torch = not isinstance(a, np.ndarray)  # torch's LAPACK then, as torch.nn.init.orthogonal_
    drawn: list[Any] = []

    def gaussian_fill(key: int, sid: int) -> None:
        buffer = _torch_empty((rows, cols), precision) if on_torch else np.empty((rows, cols), precision)
        drawn[:] = [
            named_after(fn, normal_, buffer, seed=key, stream=sid, offset=first, stream_version=version)
        ]

    resolve_after(fn, generator, seed, stream, gaussian_fill)
    gaussian = drawn[0]
    if on_torch:
        _orthogonal_torch(a, gaussian, shape, block, g)
        return arr
    q, r = np.linalg.qr(gaussian.T if rows < cols else gaussian)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0).astype(q.dtype)  # Haar: R's diagonal positive (Mezzadri, 2007)
    q *= g
    whole = (q.T if rows < cols else q).reshape(shape)
    assign(a, whole if block is None else whole[block])
    return arr


def named_after(fn: str, fill: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fill(*args, **kwargs), an error of its naming fn (the function the user called) instead:
    fastinit's own ("fill_: ...") and Python's about the call ("fill_() got an unexpected
    keyword argument ...")."""
    try:
        return fill(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        text = str(exc)
        for prefix in (f"{fill.__name__}: ", f"{fill.__name__}() "):
            if text.startswith(prefix):
                raise type(exc)(f"{fn}{prefix[len(fill.__name__) :]}{text[len(prefix) :]}") from None
        raise


def _torch_empty(shape: tuple[int, int], precision: type) -> Any:
    import torch

    return torch.empty(shape, dtype=torch.float64 if precision is np.float64 else torch.float32)


def _orthogonal_torch(
    view: Any, gaussian: Any, shape: tuple[int, ...], block: tuple[slice, ...] | None, gain: float
) -> None:
    """orthogonal_'s steps for a torch tensor, all in torch: the QR of the (rows, cols) Gaussian
    tensor by torch.linalg.qr, the result copied once into the target."""
    import torch

    rows, cols = gaussian.shape
    q, r = torch.linalg.qr(gaussian.t() if rows < cols else gaussian)
    q.mul_(torch.where(torch.diagonal(r) < 0, -gain, gain).to(q.dtype))
    whole = (q.t() if rows < cols else q).reshape(shape)
    with torch.no_grad():  # copy_ bumps the version counter, as any in-place op
        view.tensor.copy_(whole if block is None else whole[block])


@takes_placement_keywords("generator", "seed", "stream", "stream_version")
def delta_orthogonal_(
    arr: A,
    gain: float = 1.0,
    *,
    layout: str = "oihw",
    generator: Generator | None = None,
    seed: int | None = None,
    stream: StreamLike | None = None,
    stream_version: int | None = None,
) -> A:
    """Delta-orthogonal initialization of a convolution kernel, in place (Xiao et al., 2018,
    "Dynamical Isometry and a Mean Field Theory of CNNs"): zero everywhere but the spatial
    centre, where the (out, in) matrix is orthogonal_'s (times gain), so the convolution starts
    as an orthogonal map of the channels at every position. arr has 3 to 5 dimensions, in torch's
    (out, in, *kernel) layout or, with layout="hwio", Keras/JAX's (*kernel, in, out); it needs
    out >= in (an orthogonal map cannot lose channels), as in jax.nn.initializers.delta_orthogonal.
    The centre draws from the stream as orthogonal_ would on its own; returns arr.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        A 3-, 4- or 5-D writable array or CPU torch tensor of a supported dtype (as in uniform_).
    gain : float
        > 0.
    <channel layout>

    <returns arr or empty>

    Raises
    ------
    <fill type errors>
    ValueError
        An unknown layout; arr not 3- to 5-D; in channels > out channels; gain <= 0 or a bad
        placement keyword (found by orthogonal_ on the centre before arr is written). arr is
        untouched.

    Notes
    -----
    The centre, as orthogonal_'s values, is reproducible on one machine and LAPACK build.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.delta_orthogonal_(np.empty((8, 4, 3, 3), np.float32), seed=0)
    >>> centre = w[:, :, 1, 1]
    >>> bool(np.allclose(centre.T @ centre, np.eye(4), atol=1e-5)), int(np.count_nonzero(w) - np.count_nonzero(centre))
    (True, 0)
    """
    fn = "delta_orthogonal_"
    a, shape = checked_conv_weight(fn, arr, layout, range(3, 6), "the kernel must have 3, 4 or 5")
    out, inp, kernel = (
        (shape[0], shape[1], shape[2:]) if layout == "oihw" else (shape[-1], shape[-2], shape[:-2])
    )
    if inp > out:
        raise ValueError(f"{fn}: in channels must not exceed out channels; got shape {shape} ({layout})")
    check_real(fn, "gain", gain)  # orthogonal_ below checks its sign
    centre = tuple(k // 2 for k in kernel)
    every = slice(None)
    middle: Any = (every, every, *centre) if layout == "oihw" else (*centre, every, every)
    if getattr(a, "is_meta", False) or a.size == 0:
        return arr
    # the engine's view of arr (arr may be a buffer or a DLPack object, which cannot be indexed)
    view: Any = a[middle] if isinstance(a, np.ndarray) else a.tensor[middle]
    matrix = view if layout == "oihw" else view.T  # (out, in) for orthogonal_
    # The centre first, into a new matrix of arr's kind and dtype (the same values as drawn in
    # place): if orthogonal_ rejects an argument, arr is untouched and the error names this function.
    fresh: Any = (
        np.empty((out, inp), a.dtype) if isinstance(a, np.ndarray) else a.tensor.new_empty((out, inp))
    )
    centre_values = named_after(
        fn,
        orthogonal_,
        fresh,
        gain,
        generator=generator,
        seed=seed,
        stream=stream,
        stream_version=stream_version,
    )
    fill_value(a, 0.0)
    if isinstance(a, np.ndarray):
        matrix[...] = centre_values
    else:
        import torch

        with torch.no_grad():
            matrix.copy_(centre_values)
    return arr


def _smallest_in_columns(words: np.ndarray, k: int) -> np.ndarray:
    """A mask of words' shape, True at each column's k smallest words, ties by row (the first
    rows among equal words): a partial sort for each column's k-th word, a comparison, and for
    the rare column with several words equal to its k-th, its first rows among those."""
    kth = np.partition(np.ascontiguousarray(words.T), k - 1, axis=1)[:, k - 1]
    chosen = words <= kth
    surplus = chosen.sum(axis=0) - k
    for c in np.flatnonzero(surplus):
        tied = np.flatnonzero(words[:, c] == kth[c])
        chosen[tied[len(tied) - surplus[c] :], c] = False
    return chosen


@takes_placement
def sparse_(
    arr: A,
    sparsity: float,
    std: float = 0.01,
    **placement: Unpack[Placement],
) -> A:
    """A sparse 2-D matrix, in place, as torch.nn.init.sparse_ (Martens, 2010): N(0, std**2)
    values (the normal_ values of the stream) with ceil(sparsity * rows) zeros in every column.
    Unlike torch, the zero pattern is reproducible from the seed: element (r, c) draws the 32-bit
    word of its logical index from the stream's purpose-tag-2 blocks, and each column zeros the
    rows with the smallest words (ties by row).

    Sharded (global_shape= and index=): a column's zeros depend on the whole column, so each
    shard draws the keys of its columns' rows in full (no values, one word per element) and keeps
    the zeros that fall in its block — the same values as slicing the unsharded result.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        A 2-D writable array or CPU torch tensor of a supported dtype (as in uniform_).
    sparsity : float
        The fraction of each column set to zero, in [0, 1].
    std : float
        The standard deviation of the non-zero values, >= 0.

    <returns arr>

    Raises
    ------
    <fill type errors>
    ValueError
        arr is not 2-D; sparsity outside [0, 1]; std < 0; a bad placement keyword. arr is
        untouched.

    Notes
    -----
    offset= moves both the values and the zero pattern's words; a column's zeros depend on the
    whole column, so pieces filled with offsets are not the blocks of one matrix (global_shape=
    and index= give those).

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.sparse_(np.empty((10, 4), np.float32), 0.5, std=0.01, seed=0)
    >>> (w == 0).sum(axis=0).tolist()
    [5, 5, 5, 5]
    """
    fn = "sparse_"
    generator, seed, stream, offset, global_shape, index, stream_version = _placed(fn, placement)
    a = as_target(fn, arr)
    if a.ndim != 2:
        raise ValueError(f"{fn}: only 2-D arrays are supported; got shape {a.shape}")
    p = check_real(fn, "sparsity", sparsity)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: sparsity must be in [0, 1]; got sparsity={p}")
    s = check_real(fn, "std", std)
    if s < 0:
        raise ValueError(f"{fn}: std must be >= 0; got std={s}")
    first = check_offset(fn, offset)
    (rows, cols), (r0, c0) = (a.shape, (0, 0))
    if global_shape is not None or index is not None:
        (rows, cols), (r0, c0) = shard_starts(fn, a.shape, global_shape, index)
    version = stream_version_of(fn, stream_version, generator)

    def values_fill(key: int, sid: int) -> None:
        named_after(fn, normal_, arr, 0.0, s, seed=key, stream=sid, offset=first,
                    global_shape=global_shape, index=index, stream_version=version)  # fmt: skip

    key, sid = resolve_after(fn, generator, seed, stream, values_fill)
    if getattr(a, "is_meta", False):
        return arr
    zeros_per_column = math.ceil(p * rows)
    if a.size == 0 or zeros_per_column == 0:
        return arr
    local_rows, local_cols = a.shape
    if (local_rows, local_cols) == (rows, cols):
        words = _core.words(key, sid, first, a.size, "", TAG_SPARSE_MASK).reshape(rows, cols)
    else:  # all rows of this block's columns
        words = np.stack(
            [_core.words(key, sid, r * cols + c0, local_cols, "", TAG_SPARSE_MASK) for r in range(rows)]
        )
    if zeros_per_column >= rows:
        mask = np.ones((local_rows, local_cols), bool)
    else:
        mask = _smallest_in_columns(words, zeros_per_column)[r0 : r0 + local_rows]
    zero_where(a, mask)
    return arr
