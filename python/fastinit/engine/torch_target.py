"""torch tensors as fill targets: validated and described to the engine by their data pointer,
dtype, shape and strides (a Target), so the core writes in place with no copy (never through
tensor.numpy(), which cannot hold bfloat16). This module never imports torch at its own import:
it recognizes tensors by their type's name and imports torch only when it is handed one, so torch
stays optional."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _core
from .overlap import check_no_overlap

__all__ = ["TorchView", "is_torch_tensor", "torch_view"]


_TENSOR_TYPES: dict[type, bool] = {}


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
    """A validated CPU torch tensor: shape, byte strides and address for the core, and the few
    whole-array writes the non-stream initializers need (done by torch, under no_grad)."""

    def __init__(self, tensor: Any, dtype: _core.DType, is_meta: bool) -> None:
        self.tensor = tensor
        self.shape = tuple(tensor.shape)
        self.ndim = len(self.shape)
        self.size = math.prod(self.shape)
        self.is_meta = is_meta
        self.dtype = dtype.name
        self._engine_dtype = dtype

    def target(self) -> _core.Target:
        """The engine's description of the tensor's memory (a meta tensor's: address 0)."""
        item = self.tensor.element_size()
        strides = [s * item for s in self.tensor.stride()]
        data = 0 if self.is_meta else self.tensor.data_ptr()
        return _core.Target(data, self._engine_dtype, self.shape, strides)

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
        """Tell autograd the tensor changed (bumps its version counter, as an in-place op does)."""
        import torch

        bump = getattr(torch.autograd.graph, "increment_version", None)
        if bump is not None and not self.is_meta:
            bump(self.tensor)


_DTYPES: dict[Any, _core.DType] = {}


def _dtypes() -> dict[Any, _core.DType]:
    if not _DTYPES:
        import torch

        D = _core.DType
        _DTYPES.update(
            {
                torch.float32: D.float32,
                torch.float64: D.float64,
                torch.float16: D.float16,
                torch.bfloat16: D.bfloat16,
            }
        )
    return _DTYPES


def torch_view(fn: str, tensor: Any) -> TorchView:
    """Validate a torch tensor as a fill target: CPU (or meta, a no-op), float16, bfloat16, float32
    or float64, elements not overlapping. TypeError / ValueError name what is wrong."""
    import torch

    if tensor.layout != torch.strided:
        raise TypeError(
            f"{fn}: fastinit fills dense (strided) tensors; got a tensor with layout {tensor.layout}. "
            "Fill a dense tensor and convert it, or use torch.nn.init"
        )
    dtype = _dtypes().get(tensor.dtype)
    if dtype is None:
        raise TypeError(
            f"{fn}: tensors of dtype {tensor.dtype} cannot be filled; allowed dtypes: torch.float16, "
            "torch.bfloat16, torch.float32, torch.float64"
        )
    if tensor.is_neg() or tensor.is_conj():
        raise ValueError(
            f"{fn}: the tensor is a lazily negated or conjugated view (torch's neg/conj bit is set, "
            "as for x.conj().imag), so writing its memory would store negated values; fill "
            "tensor.resolve_neg() / resolve_conj() or the tensor it views"
        )
    if tensor.is_inference() and not torch.is_inference_mode_enabled():
        raise RuntimeError(
            f"{fn}: in-place update to an inference tensor outside torch.inference_mode() is not "
            "allowed (as in torch); fill it inside inference_mode() or fill a normal tensor"
        )
    if tensor.is_cpu:
        if not tensor.is_contiguous():
            check_no_overlap(fn, tuple(tensor.shape), tuple(tensor.stride()), 1, "tensor")
        return TorchView(tensor, dtype, False)
    if tensor.is_meta:
        return TorchView(tensor, dtype, True)
    raise ValueError(
        f"{fn}: fastinit fills CPU tensors; got a tensor on {tensor.device}. Fill it on the CPU "
        "and move it, or use torch.nn.init for this device"
    )
