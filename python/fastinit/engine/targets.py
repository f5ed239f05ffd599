"""What a fill writes to: a writable NumPy array of a supported float dtype (objects exporting
DLPack or the buffer protocol are viewed as one) or a CPU torch tensor (torch_target.py), and
the few whole-array writes of the initializations that draw nothing (assign, fill_value,
zero_where)."""

from __future__ import annotations

from types import ModuleType
from typing import Any, cast

import numpy as np

from .. import _core
from . import torch_target as _torch_target
from .overlap import check_no_overlap

__all__ = [
    "as_target",
    "assign",
    "dtype_name",
    "fill_value",
    "resolve_dtype",
    "supported_dtype_names",
    "tensor_dtype",
    "zero_where",
]

_SUPPORTED = {np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)}
try:  # bfloat16 arrays come from ml_dtypes (an optional extra)
    import ml_dtypes

    _SUPPORTED.add(np.dtype(ml_dtypes.bfloat16))
    _ml_dtypes: ModuleType | None = ml_dtypes
except ImportError:  # pragma: no cover - exercised only without the extra
    _ml_dtypes = None


def supported_dtype_names() -> list[str]:
    return ["float16", "bfloat16", "float32", "float64"]


def dtype_name(fn: str, dtype: np.dtype) -> str:
    """dtype's name if the engine can fill it, else TypeError naming what is allowed."""
    if dtype not in _SUPPORTED or not dtype.isnative:
        why = "non-native byte order " if not dtype.isnative else ""
        raise TypeError(
            f"{fn}: arrays of {why}dtype {dtype.str if not dtype.isnative else dtype} cannot be "
            "filled; allowed dtypes: float16, bfloat16 (ml_dtypes), float32, float64 in native "
            "byte order"
        )
    return str(dtype)


def _torch_dtype_name(fn: str, dtype: Any) -> str | None:
    """torch.float32 / float64 / float16 / bfloat16 as its NumPy name (known by its type's name:
    torch is never imported here); None for anything that is not a torch dtype."""
    kind = type(dtype)
    if kind.__name__ != "dtype" or kind.__module__ != "torch":
        return None
    name = str(dtype).rpartition(".")[2]
    if name not in supported_dtype_names():
        raise TypeError(
            f"{fn}: dtype={dtype} cannot be filled; allowed: {', '.join(supported_dtype_names())} "
            "(as names, NumPy dtypes or torch dtypes)"
        )
    return name


def resolve_dtype(fn: str, dtype: Any) -> np.dtype:
    """A dtype argument (name, numpy dtype or type, or torch dtype) as a supported numpy dtype;
    None is the default, float32, as torch and JAX read it (NumPy would make it float64)."""
    if dtype is None:
        return np.dtype(np.float32)
    dtype = _torch_dtype_name(fn, dtype) or dtype
    if isinstance(dtype, str) and dtype == "bfloat16":
        if _ml_dtypes is None:
            raise TypeError(f"{fn}: dtype='bfloat16' needs the ml_dtypes package (pip install ml_dtypes)")
        return cast(np.dtype, np.dtype(_ml_dtypes.bfloat16))
    try:
        dt: np.dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{fn}: dtype={dtype!r} is not a dtype; allowed: {', '.join(supported_dtype_names())}"
        ) from None
    dtype_name(fn, dt)
    return dt


def _as_ndarray(fn: str, arr: Any) -> np.ndarray:
    """arr as a plain ndarray over the same memory: subclasses (np.memmap, masked arrays' data)
    as a base-class view, other objects through DLPack or the buffer protocol."""
    if isinstance(arr, np.ndarray):
        return arr.view(np.ndarray)
    if hasattr(arr, "__dlpack__"):
        try:
            return np.from_dlpack(arr)
        except (TypeError, ValueError, BufferError, RuntimeError) as exc:
            raise TypeError(f"{fn}: cannot view {type(arr).__name__} through DLPack: {exc}") from None
    try:
        view = memoryview(arr)
    except TypeError:
        raise TypeError(
            f"{fn}: arr must be a numpy array or an object exporting DLPack or the buffer "
            f"protocol; got {type(arr).__name__}"
        ) from None
    if view.readonly:
        raise ValueError(f"{fn}: arr is read-only; a fill needs a writable buffer")
    return np.asarray(view)


def as_target(fn: str, arr: Any) -> Any:
    """arr as something the engine writes: a NumPy array (itself; other objects through DLPack or
    the buffer protocol, as a view of the same memory) or a TorchView of a torch tensor.
    TypeError / ValueError name what is wrong; the engine checks dtype and writability of
    arrays when it fills, this checks them for the writes that do not go through it."""
    if type(arr) is np.ndarray:
        a: Any = arr
        if not a.flags.writeable:
            raise ValueError(f"{fn}: arr is read-only; a fill needs a writable array")
        if a.dtype not in _SUPPORTED:
            dtype_name(fn, a.dtype)
    elif _torch_target.is_torch_tensor(arr):
        view = _torch_target.torch_view(fn, arr)
        if not arr.is_contiguous():
            check_no_overlap(fn, view.shape, view.strides, 1, "tensor")
        return view
    else:
        a = _as_ndarray(fn, arr)
        dtype_name(fn, a.dtype)
        if not a.flags.writeable:
            raise ValueError(f"{fn}: arr is read-only; a fill needs a writable array")
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        check_no_overlap(fn, a.shape, a.strides, a.itemsize, "array")
    return a


_ENGINE_DTYPES = {name: getattr(_core.DType, name) for name in ("float32", "float64", "float16", "bfloat16")}


def tensor_dtype(fn: str, tensor: Any) -> tuple[_core.DType, bool]:
    """The engine's DType of a torch tensor fastinit fills (checked as torch_target.check_tensor
    does, and that its elements do not overlap) and whether it has memory (False for a meta
    tensor: checked and its stream taken, never written). The engine reads the tensor's address,
    shape and strides itself when it fills it (_core.fill's tensor_dtype)."""
    dtype, _, is_meta = _torch_target.check_tensor(fn, tensor)
    if not tensor.is_contiguous():
        check_no_overlap(fn, tuple(tensor.shape), tensor.stride(), 1, "tensor")
    return _ENGINE_DTYPES[dtype], not is_meta


def assign(view: Any, values: np.ndarray) -> None:
    """view[...] = values, for an ndarray or a TorchView."""
    if isinstance(view, np.ndarray):
        view[...] = values
    else:
        view.assign(values)
        view.written()


def fill_value(view: Any, value: float) -> None:
    """Every element of view = value."""
    if isinstance(view, np.ndarray):
        view[...] = value
    else:
        view.fill(value)
        view.written()


def zero_where(view: Any, mask: np.ndarray) -> None:
    """view[mask] = 0 (mask: a bool array of view's shape)."""
    if isinstance(view, np.ndarray):
        view[mask] = 0
    else:
        view.zero_where(mask)
        view.written()
