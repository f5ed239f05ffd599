"""torch tensors as fill targets: validated here (targets.tensor_dtype names the engine's dtype;
the engine reads the data pointer, shape and strides itself in the call that fills), so the core
writes in place with no copy (never through tensor.numpy(), which cannot hold bfloat16). This
module never imports torch at its own import: it recognizes tensors by their type's name and
imports torch only when it is handed one, so torch stays optional. It imports nothing of
fastinit: the adapter sits below the engine's targets."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "TorchDTypeError", "TorchView", "check_tensor", "dispatches_in_python", "is_torch_tensor", "mark_written",
    "torch_view",
]  # fmt: skip


_TENSOR_TYPES: dict[type, bool] = {}
_IN_PYTHON: dict[type, bool] = {}


class TorchDTypeError(TypeError, NotImplementedError):
    """A tensor of a dtype (or a layout) fastinit does not fill: a TypeError, as fastinit raises
    for arrays, and a NotImplementedError, as torch's own fills raise for integer or sparse
    tensors."""


def is_torch_tensor(obj: object) -> bool:
    """True for torch.Tensor (and nn.Parameter) without importing torch."""
    kind = type(obj)
    known = _TENSOR_TYPES.get(kind)
    if known is None:
        known = _TENSOR_TYPES[kind] = any(
            c.__module__ == "torch" and c.__name__ == "Tensor" for c in kind.__mro__
        )
    return known


class TorchView:
    """A validated CPU (or meta) torch tensor: its address, dtype name, shape and element strides
    for the engine, and the few whole-array writes the non-stream initializers need (done by
    torch, under no_grad)."""

    __slots__ = ("data", "dtype", "is_meta", "itemsize", "ndim", "shape", "size", "strides", "tensor")

    def __init__(self, tensor: Any, dtype: str, itemsize: int, is_meta: bool) -> None:
        self.tensor = tensor
        self.shape: tuple[int, ...] = tuple(tensor.shape)
        self.strides: tuple[int, ...] = tuple(tensor.stride())  # in elements, as torch counts them
        self.ndim = len(self.shape)
        self.size = math.prod(self.shape)
        self.is_meta = is_meta
        self.dtype = dtype
        self.itemsize = itemsize
        self.data = 0 if is_meta else tensor.data_ptr()

    def assign(self, values: np.ndarray) -> None:
        """tensor[...] = values (any float dtype; converted by torch)."""
        import torch

        if self.is_meta:
            return
        with torch.no_grad():
            self.tensor.copy_(torch.from_numpy(np.ascontiguousarray(values)).reshape(self.shape))

    def fill(self, value: float) -> None:
        import torch

        if self.is_meta:
            return
        with torch.no_grad():
            self.tensor.fill_(value)

    def zero_where(self, mask: np.ndarray) -> None:
        import torch

        if self.is_meta:
            return
        with torch.no_grad():
            self.tensor.masked_fill_(torch.from_numpy(np.ascontiguousarray(mask)), 0)

    def written(self) -> None:
        """Tell autograd the tensor changed (mark_written), unless it is a meta tensor."""
        if not self.is_meta:
            mark_written(self.tensor)


_TORCH: Any = None  # the torch module, once a tensor has been handed in
_DTYPES: dict[Any, tuple[str, int]] = {}  # torch dtype -> (fastinit's name, bytes per element)
_BUMP: Any = None  # torch's bump of a tensor's version counter


def _load_torch() -> Any:
    """Import torch (on the first tensor) and look up what this module uses of it: the dtypes
    the engine fills (_DTYPES) and torch.autograd.graph.increment_version (_BUMP; a no-op on
    torch versions without it)."""
    global _TORCH, _BUMP
    import torch

    _DTYPES.update(
        {
            torch.float32: ("float32", 4),
            torch.float64: ("float64", 8),
            torch.float16: ("float16", 2),
            torch.bfloat16: ("bfloat16", 2),
        }
    )
    _BUMP = getattr(torch.autograd.graph, "increment_version", lambda tensor: None)
    _TORCH = torch
    return torch


def torch_view(fn: str, tensor: Any) -> TorchView:
    """Validate a torch tensor as a fill target (check_tensor) and describe it as a TorchView;
    whether its elements overlap is checked by the caller (targets.as_target)."""
    return TorchView(tensor, *check_tensor(fn, tensor))


def dispatches_in_python(tensor: Any) -> bool:
    """Whether tensor is a torch tensor whose class defines __torch_dispatch__ (DTensor, wrapper
    subclasses): its operations run in Python, and its data pointer is 0 or not its values."""
    kind = type(tensor)
    known = _IN_PYTHON.get(kind)
    if known is None:
        known = _IN_PYTHON[kind] = is_torch_tensor(tensor) and any(
            "__torch_dispatch__" in c.__dict__ for c in kind.__mro__ if c.__module__ != "torch"
        )
    return known


def check_tensor(fn: str, tensor: Any) -> tuple[str, int, bool]:
    """(dtype name, bytes per element, is_meta) of a tensor fastinit can fill: CPU (or meta, a
    no-op), float16, bfloat16, float32 or float64, not a lazily negated view, not an inference
    tensor outside inference mode. TypeError / ValueError / RuntimeError name what is wrong."""
    torch = _TORCH or _load_torch()
    found = _DTYPES.get(tensor.dtype)
    if (
        dispatches_in_python(tensor)
        or found is None
        or tensor.layout is not torch.strided
        or tensor.is_neg()
        or (tensor.is_inference() and not torch.is_inference_mode_enabled())
    ):
        _reject(fn, tensor)
    if tensor.is_cpu:
        if not _has_memory(tensor):
            raise TypeError(
                f"{fn}: the tensor has no memory of its own (its data pointer is 0 or unreadable: a "
                "tensor of torch.func's transforms, functionalization or a fake tensor mode); "
                "fastinit.torch's functions hand such a tensor to torch's own"
            )
        return found[0], found[1], False  # type: ignore[index]
    if tensor.is_meta:
        return found[0], found[1], True  # type: ignore[index]
    raise ValueError(
        f"{fn}: fastinit fills CPU tensors; got a tensor on {tensor.device}. Fill it on the CPU "
        "and move it, or use torch.nn.init for this device"
    )


def _has_memory(tensor: Any) -> bool:
    """Whether a CPU tensor's data pointer addresses its elements: not 0 with elements to write
    (torch.func.functionalize's tensors have a data pointer of 0), and readable (torch.func's
    vmap and grad wrappers raise when asked)."""
    try:
        return bool(tensor.data_ptr() != 0 or tensor.numel() == 0)
    except RuntimeError:
        return False


def mark_written(tensor: Any) -> None:
    """Tell autograd the tensor changed (bumps its version counter, as an in-place op does)."""
    if _TORCH is None:
        _load_torch()
    _BUMP(tensor)


def _reject(fn: str, tensor: Any) -> None:
    """Raise the error for the first reason check_tensor refuses tensor (checked in this order)."""
    torch = _TORCH or _load_torch()
    if dispatches_in_python(tensor):
        raise TypeError(
            f"{fn}: a {type(tensor).__name__} runs its operations in Python (__torch_dispatch__) and has no "
            "memory fastinit can write; fastinit.torch's functions fill it (a DTensor shard by shard)"
        )
    if tensor.layout != torch.strided:
        raise TorchDTypeError(
            f"{fn}: fastinit fills dense (strided) tensors; got a tensor with layout {tensor.layout}. "
            "Fill a dense tensor and convert it, or use torch.nn.init"
        )
    if tensor.dtype not in _DTYPES:
        raise TorchDTypeError(
            f"{fn}: tensors of dtype {tensor.dtype} cannot be filled; allowed dtypes: torch.float16, "
            "torch.bfloat16, torch.float32, torch.float64"
        )
    # (the conjugate bit is never set on the real dtypes accepted above; the negative bit can be,
    # as on x.conj().imag)
    if tensor.is_neg():
        raise ValueError(
            f"{fn}: the tensor is a lazily negated or conjugated view (torch's neg/conj bit is set, "
            "as for x.conj().imag), so writing its memory would store negated values; fill "
            "tensor.resolve_neg() / resolve_conj() or the tensor it views"
        )
    raise RuntimeError(
        f"{fn}: in-place update to an inference tensor outside torch.inference_mode() is not "
        "allowed (as in torch); fill it inside inference_mode() or fill a normal tensor"
    )
