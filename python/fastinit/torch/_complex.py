"""Complex tensors (complex64, complex128) in fastinit.torch, drawn as torch.nn.init draws them,
through the engine with no copy: a complex tensor is filled as its real view
(torch.view_as_real: element k's real part is float element 2k of the stream, its imaginary part
2k + 1; docs/torch.md), so a complex tensor of n elements takes the values a float tensor of 2n
would, at twice the offset (a shard's global shape gains a last axis of 2).

torch's conventions, followed here: uniform_ and the uniform schemes draw each part from the
whole interval; normal_ draws each part N(mean, std**2 / 2) (the complex variance is std**2) and
the normal schemes each part with half the scheme's variance; fans come from the complex
tensor's shape. trunc_normal_ and orthogonal_ raise for complex tensors, as torch's do.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar, cast

import torch

from ..engine import fill as _fill
from ..schemes.core import Scheme
from ..schemes.variance import fill_scheme
from ._semantics import TorchArgumentError

__all__ = ["is_complex", "normal_parts_", "scheme_parts_", "uniform_parts_"]

T = TypeVar("T")

_COMPLEX = (torch.complex64, torch.complex128)


def is_complex(tensor: Any) -> bool:
    """Whether tensor is a complex64 / complex128 torch tensor."""
    return isinstance(tensor, torch.Tensor) and tensor.dtype in _COMPLEX


def _real_view(fn: str, tensor: Any, keywords: dict[str, Any]) -> tuple[torch.Tensor, dict[str, Any]]:
    """tensor's real view and the placement keywords that place it where the complex tensor sits."""
    if tensor.is_conj():
        raise TorchArgumentError(f"{fn}: the tensor is a lazily conjugated view; fill tensor.resolve_conj()")
    placed = dict(keywords)
    offset = placed.get("offset", 0)
    if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
        placed["offset"] = 2 * offset
    if placed.get("global_shape") is not None:
        placed["global_shape"] = (*placed["global_shape"], 2)
    if placed.get("index") is not None:
        placed["index"] = (*placed["index"], slice(0, 2))
    return torch.view_as_real(tensor), placed


def uniform_parts_(fn: str, tensor: T, a: float, b: float, keywords: dict[str, Any]) -> T:
    """Each part of each element U(a, b), as torch's uniform_ on a complex tensor."""
    view, placed = _real_view(fn, tensor, keywords)
    _fill.uniform_(view, a, b, **placed)
    return tensor


def normal_parts_(fn: str, tensor: T, mean: float, std: float, keywords: dict[str, Any]) -> T:
    """Each part of each element N(mean, std**2 / 2), as torch's normal_ on a complex tensor."""
    s = _fill.check_real(fn, "std", std)
    if s < 0:
        raise TorchArgumentError(f"{fn}: std must be >= 0; got std={s}")
    view, placed = _real_view(fn, tensor, keywords)
    _fill.normal_(view, mean, s / math.sqrt(2.0), **placed)
    return tensor


def scheme_parts_(fn: str, tensor: T, scheme: Scheme, keywords: dict[str, Any]) -> T:
    """A variance-scaling scheme on a complex tensor, as torch's: fans from the complex shape, each
    part uniform on the whole bound, or normal with half the scheme's variance."""
    global_shape = keywords.get("global_shape")
    shape = tuple(cast(torch.Tensor, tensor).shape) if global_shape is None else tuple(global_shape)
    if scheme.distribution != "uniform" and scheme.gain is not None:
        scheme = scheme._replace(gain=scheme.gain / math.sqrt(2.0))
    view, placed = _real_view(fn, tensor, keywords)
    fill_scheme(fn, view, scheme, placed, shape)  # type: ignore[arg-type]
    return tensor
