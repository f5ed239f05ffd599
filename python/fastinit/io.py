"""Initialized checkpoints written straight to disk, window by window, with bounded memory:
``write_safetensors`` (the safetensors format, header written by hand since the safetensors
package has no streaming writer) and ``write_npy``. Each tensor's values are those the in-memory
functions give for the same (seed, stream = the tensor's name), so a file equals initializing
in RAM and saving — without ever holding more than a window."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, Union

import numpy as np

from .engine import fill as _fill
from .engine.placement import PLACEMENT_KEYS, check_int, check_u64
from .engine.shapes import as_shape
from .engine.targets import resolve_dtype
from .schemes import deterministic as _deterministic
from .schemes import matrix as _matrix
from .schemes import variance as _schemes

__all__ = ["write_npy", "write_safetensors"]

Scheme = Union[str, tuple[str, Mapping[str, Any]]]
Spec = tuple[Sequence[int], Any, Scheme]

WINDOW_BYTES = 16 * 2**20
_SAFETENSORS_DTYPES = {"float32": "F32", "float64": "F64", "float16": "F16", "bfloat16": "BF16"}
_RANDOM = {
    "uniform": _fill.uniform_, "normal": _fill.normal_, "trunc_normal": _fill.trunc_normal_,
    "xavier_uniform": _schemes.xavier_uniform_, "xavier_normal": _schemes.xavier_normal_,
    "kaiming_uniform": _schemes.kaiming_uniform_, "kaiming_normal": _schemes.kaiming_normal_,
    "lecun_uniform": _schemes.lecun_uniform_, "lecun_normal": _schemes.lecun_normal_,
    "variance_scaling": _schemes.variance_scaling_,
}  # fmt: skip
_WHOLE = {"orthogonal": _matrix.orthogonal_, "sparse": _matrix.sparse_}  # need the whole matrix
_CONSTANT = {"zeros": _deterministic.zeros_, "ones": _deterministic.ones_, "constant": _deterministic.constant_,
             "eye": _deterministic.eye_, "dirac": _deterministic.dirac_}  # fmt: skip


# Placed by the writer: the file's seed, the tensor's name as its stream, each window's block
# (a scheme may still choose its stream_version).
_PLACED_BY_THE_WRITER = PLACEMENT_KEYS - {"stream_version"}


def _scheme(fn: str, scheme: Scheme) -> tuple[Any, dict[str, Any], str]:
    """(the fill, its keywords, its kind) of a scheme entry: a name, or (name, keywords)."""
    if isinstance(scheme, str):
        key, kwargs = scheme, {}
    elif (
        isinstance(scheme, (tuple, list)) and len(scheme) == 2 and isinstance(scheme[0], str)
        and isinstance(scheme[1], Mapping)
    ):  # fmt: skip
        key, kwargs = scheme[0], dict(scheme[1])
    else:
        raise TypeError(f"{fn}: a scheme is a name or (name, dict of keywords); got {scheme!r}")
    placed = sorted(kwargs.keys() & _PLACED_BY_THE_WRITER)
    if placed:
        raise ValueError(
            f"{fn}: the scheme's keywords cannot set {', '.join(placed)}: the writer draws each tensor "
            "from seed= and stream = its name, window by window"
        )
    for table, kind in ((_RANDOM, "random"), (_WHOLE, "whole"), (_CONSTANT, "constant")):
        if key in table:
            return table[key], kwargs, kind
    allowed = sorted({*_RANDOM, *_WHOLE, *_CONSTANT})
    raise ValueError(f"{fn}: scheme={key!r} is unknown; allowed: {', '.join(allowed)}")


@contextlib.contextmanager
def _naming(fn: str, name: str) -> Iterator[None]:
    """Re-raise a TypeError or ValueError about one tensor with its name in the message (and the
    same type): "write_safetensors: tensor 'w': std must be >= 0; ..."."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        text = str(exc).removeprefix(f"{fn}: ")
        raise type(exc)(f"{fn}: tensor {name!r}: {text}") from exc


def _checked_metadata(fn: str, metadata: Mapping[str, str]) -> dict[str, str]:
    """metadata as the format holds it, str to str (TypeError naming an entry that is not, as
    safetensors' own save_file raises; nothing is converted behind the caller's back)."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{fn}: metadata must map str to str; got the entry {k!r}: {v!r}")
    return dict(metadata)


def _check_name(fn: str, name: Any) -> None:
    """A tensor name the format can hold: a str (its header is a JSON object, and the values are
    drawn from stream = the name, which an int name would make a different stream from the
    one its header key names) other than "__metadata__" (the header's metadata entry)."""
    if not isinstance(name, str):
        raise TypeError(f"{fn}: tensors: a tensor name must be a str; got the {type(name).__name__} {name!r}")
    if name == "__metadata__":
        raise ValueError(
            f"{fn}: tensors: {name!r} is not allowed as a tensor name (safetensors reserves it for the "
            "header's metadata; pass metadata= instead)"
        )


def _spec(fn: str, spec: Any) -> tuple[np.dtype, tuple[int, ...], Scheme]:
    """A tensor's (shape, dtype, scheme) checked before anything is written: (dtype, shape, scheme)."""
    try:
        shape, dtype, scheme = spec
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: expected (shape, dtype, scheme); got {spec!r}") from None
    dt = resolve_dtype(fn, dtype)
    shp = as_shape(fn, shape)
    _scheme(fn, scheme)
    return dt, shp, scheme


def _write_tensor(
    fn: str, f: IO[bytes], name: str, shape: tuple[int, ...], dtype: np.dtype, scheme: Scheme,
    seed: int, window_bytes: int, progress: Any,
) -> None:  # fmt: skip
    """Write the tensor's bytes (C order) to f in windows of whole leading-dimension rows. The
    scheme's errors name fn, the function the user called."""
    scheme_fill, kwargs, kind = _scheme(fn, scheme)

    def fill(*args: Any, **keywords: Any) -> Any:
        return _matrix.named_after(fn, scheme_fill, *args, **keywords)

    rand = {"seed": seed, "stream": name} if kind != "constant" else {}
    if kind == "whole" or len(shape) == 0 or math.prod(shape) == 0:
        data = fill(np.empty(shape, dtype), **kwargs, **rand)
        f.write(np.ascontiguousarray(data).tobytes())
        progress(data.nbytes)
        return
    row_bytes = math.prod(shape[1:]) * dtype.itemsize
    rows_per_window = max(1, window_bytes // max(row_bytes, 1))
    buf = np.empty((min(rows_per_window, shape[0]), *shape[1:]), dtype)
    for r0 in range(0, shape[0], rows_per_window):
        rows = min(rows_per_window, shape[0] - r0)
        window = buf[:rows]
        index = (slice(r0, r0 + rows), *(slice(None) for _ in shape[1:]))
        if scheme_fill in (_deterministic.zeros_, _deterministic.ones_, _deterministic.constant_):
            fill(window, **kwargs)  # position-independent
        else:
            fill(window, **kwargs, **rand, global_shape=shape, index=index)
        f.write(window.reshape(-1).view(np.uint8).data)  # the window's bytes, not a copy
        progress(window.nbytes)


def _progress(total: int, enabled: bool | None, desc: str) -> tuple[Any, Any]:
    """(update, bar): a tqdm bar on stderr when enabled, or when enabled is None for 1 GiB or
    more and stderr is a terminal (a piped or captured stderr gets no bar)."""
    if enabled is None:
        enabled = total >= 1 << 30 and sys.stderr is not None and sys.stderr.isatty()
    if not enabled:
        return (lambda n: None), None
    try:
        from tqdm import tqdm
    except ImportError:
        return (lambda n: None), None
    bar = tqdm(total=total, unit="B", unit_scale=True, desc=desc)
    return bar.update, bar


def write_safetensors(
    path: str | os.PathLike[str],
    tensors: Mapping[str, Spec],
    seed: int,
    *,
    metadata: Mapping[str, str] | None = None,
    window_bytes: int = WINDOW_BYTES,
    progress: bool | None = None,
) -> None:
    """Write an initialized checkpoint in the safetensors format, tensor by tensor and window by
    window (memory bounded by `window_bytes` or one slice along a tensor's first dimension,
    whichever is larger; orthogonal/sparse need their whole matrix). tensors maps each name to (shape, dtype, scheme): scheme is a name ("normal",
    "kaiming_uniform", "zeros", "orthogonal", ...) or (name, kwargs), e.g.
    ("normal", {"std": 0.02}). Each tensor uses stream = its name, so its values equal
    ``fastinit.<scheme>(shape, dtype=dtype, seed=seed, stream=name, **kwargs)``. A progress bar
    (tqdm) shows for files of 1 GiB or more when stderr is a terminal, or when progress=True.

    The file appears only once it is complete: if anything fails, an existing file at `path` is
    untouched and the partial one removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (replaced if it exists; through a symbolic link, the file it points to).
    tensors : mapping of str to (shape, dtype, scheme)
        In the file's order (a state dict's shapes and dtypes work as they are). dtype:
        float16, bfloat16, float32 or float64, as a name, NumPy dtype or torch dtype; scheme: one of
        "uniform", "normal", "trunc_normal", "xavier_uniform", "xavier_normal",
        "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal",
        "variance_scaling", "orthogonal", "sparse", "zeros", "ones", "constant", "eye", "dirac",
        or (one of those, {keyword: value}) with the arguments of the in-place function.
    seed : int
        The key of every tensor, in [0, 2**64).
    metadata : mapping of str to str, optional
        Keyword only: the file's "__metadata__".
    window_bytes : int, optional
        Keyword only: the most bytes generated at once (default 16 MiB).
    progress : bool, optional
        Keyword only: show a tqdm bar on stderr (if tqdm is installed); None (default) shows one
        for 1 GiB or more when stderr is a terminal, never when it is piped or captured.

    Raises
    ------
    TypeError
        tensors is not a mapping; seed is not an int; a tensor name that is not a str; a
        tensor's entry is not (shape, dtype, scheme), its shape not an int or a sequence of
        ints, or its dtype not supported;
        metadata not str to str; window_bytes not an int.
        Errors about one tensor name it: "write_safetensors: tensor 'w': ...".
    ValueError
        seed outside [0, 2**64); window_bytes < 1; the tensor name "__metadata__"; a negative extent or an unknown
        scheme (all checked before anything is written). A scheme's own arguments are checked
        when its tensor is written; what its function raises then (naming the tensor) leaves no
        file behind.
    OSError
        The file cannot be written (IsADirectoryError for a directory, before anything is
        generated).

    Examples
    --------
    >>> import os, tempfile, numpy as np, fastinit, fastinit.io
    >>> from safetensors.numpy import load_file
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "init.safetensors")
    >>> fastinit.io.write_safetensors(path, {
    ...     "w": ((4, 3), "float32", ("normal", {"std": 0.02})),
    ...     "b": ((4,), "float32", "zeros"),
    ... }, seed=0)
    >>> loaded = load_file(path)
    >>> np.array_equal(loaded["w"], fastinit.normal((4, 3), std=0.02, seed=0, stream="w"))
    True
    >>> try:
    ...     fastinit.io.write_safetensors(path, {"w": ((4, 3), "float32", ("normal", {"std": -1}))}, seed=0)
    ... except ValueError as e:
    ...     print(e)
    write_safetensors: tensor 'w': std must be >= 0; got std=-1.0
    >>> tmp.cleanup()
    """
    fn = "write_safetensors"
    key = check_u64(fn, "seed", seed)
    window_bytes = check_int(fn, "window_bytes", window_bytes, 1)
    if not isinstance(tensors, Mapping):
        raise TypeError(
            f"{fn}: tensors must be a mapping of tensor names to (shape, dtype, scheme); got {type(tensors).__name__}"
        )
    entries, offset = {}, 0
    specs = []
    for name, spec in tensors.items():
        _check_name(fn, name)
        with _naming(fn, name):
            dt, shp, scheme = _spec(fn, spec)
        nbytes = math.prod(shp) * dt.itemsize
        entries[name] = {
            "dtype": _SAFETENSORS_DTYPES[dt.name],
            "shape": list(shp),
            "data_offsets": [offset, offset + nbytes],
        }
        specs.append((name, shp, dt, scheme))
        offset += nbytes
    header: dict[str, Any] = dict(entries)
    if metadata:
        header["__metadata__"] = _checked_metadata(fn, metadata)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data starts 8-byte aligned
    update, bar = _progress(offset, progress, os.fspath(path))
    try:
        with _replacing(path) as f:
            f.write(len(raw).to_bytes(8, "little"))
            f.write(raw)
            for name, shp, dt, scheme in specs:
                with _naming(fn, name):
                    _write_tensor(fn, f, name, shp, dt, scheme, key, window_bytes, update)
    finally:
        if bar is not None:
            bar.close()


@contextlib.contextmanager
def _replacing(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A new file written beside `path` that replaces it only once it is complete: if writing
    fails (bad scheme arguments, Ctrl-C, a full disk), an existing file at `path` is untouched and
    the partial file is removed. The new file gets the usual permissions (0o666 minus umask). A
    path that is a symbolic link replaces the file it points to; a directory is an
    IsADirectoryError before anything is written."""
    target = os.path.realpath(os.fspath(path))  # a symbolic link is written through, as open() does
    if os.path.isdir(target):  # found now, not once the whole file is written beside it
        raise IsADirectoryError(errno.EISDIR, "the path to write is a directory", os.fspath(path))
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{uuid.uuid4().hex}.partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_npy(
    path: str | os.PathLike[str],
    shape: Sequence[int],
    dtype: Any,
    scheme: Scheme,
    seed: int,
    *,
    stream: str = "",
    window_bytes: int = WINDOW_BYTES,
    progress: bool | None = None,
) -> None:
    """Write one initialized array as a .npy file, window by window (memory bounded by
    window_bytes or one slice along the first dimension, whichever is larger). Its values equal
    ``fastinit.<scheme>(shape, dtype=dtype, seed=seed, stream=stream, **kwargs)``. As
    write_safetensors, the file appears only once it is complete.

    The .npy format has no bfloat16 descriptor: a bfloat16 array is stored as ``np.save``
    stores one, with descr '<V2' (2-byte void), so ``np.load`` gives a void array; read it back
    as bfloat16 with ``np.load(path).view(ml_dtypes.bfloat16)`` (Examples).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (replaced if it exists; through a symbolic link, the file it points to).
    shape : int or sequence of int
        The array's shape (non-negative extents).
    dtype : str, numpy.dtype or torch.dtype
        float16, bfloat16, float32 or float64.
    scheme : str or (str, mapping)
        A scheme name or (name, {keyword: value}), as in write_safetensors.
    seed : int
        The key, in [0, 2**64).
    stream : str, optional
        Keyword only: the stream's name (default "").
    window_bytes : int, optional
        Keyword only: the most bytes generated at once (default 16 MiB).
    progress : bool, optional
        Keyword only: as in write_safetensors.

    Raises
    ------
    TypeError
        seed is not an int; shape is not an int or a sequence of ints; dtype is not supported;
        window_bytes is not an int.
    ValueError
        seed outside [0, 2**64); window_bytes < 1; a negative extent; an unknown scheme; what the scheme's
        function raises for its arguments, in write_npy's name (no file is left behind).
    OSError
        As write_safetensors.

    Examples
    --------
    >>> import os, tempfile, numpy as np, fastinit, fastinit.io
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "w.npy")
    >>> fastinit.io.write_npy(path, (8, 4), "float32", "kaiming_uniform", seed=0, stream="w")
    >>> np.array_equal(np.load(path), fastinit.kaiming_uniform((8, 4), seed=0, stream="w"))
    True
    >>> import ml_dtypes
    >>> fastinit.io.write_npy(path, (8, 4), "bfloat16", "normal", seed=0, stream="w")
    >>> np.load(path).dtype  # the void descriptor np.save writes for bfloat16
    dtype('V2')
    >>> w = np.load(path).view(ml_dtypes.bfloat16)
    >>> w.dtype, w.tobytes() == fastinit.normal((8, 4), dtype="bfloat16", seed=0, stream="w").tobytes()
    (dtype(bfloat16), True)
    >>> tmp.cleanup()
    """
    fn = "write_npy"
    key = check_u64(fn, "seed", seed)
    window_bytes = check_int(fn, "window_bytes", window_bytes, 1)
    dt, shp, scheme = _spec(fn, (shape, dtype, scheme))
    update, bar = _progress(math.prod(shp) * dt.itemsize, progress, os.fspath(path))
    try:
        with _replacing(path) as f:
            np.lib.format.write_array_header_2_0(
                f, {"descr": np.lib.format.dtype_to_descr(dt), "fortran_order": False, "shape": shp}
            )
            _write_tensor(fn, f, stream, shp, dt, scheme, key, window_bytes, update)
    finally:
        if bar is not None:
            bar.close()
