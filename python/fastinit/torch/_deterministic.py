"""torch.nn.init's deterministic functions with torch's signatures (the tensor is `tensor`, as
in torch, so ``constant_(tensor=w, val=0.5)`` works): constant_, ones_, zeros_, eye_, dirac_,
and calculate_gain. They draw nothing; fastinit's NumPy functions of the same names do the
work (eye_ and dirac_ also take a shard's global_shape= and index=). A tensor of a dtype the
engine does not fill (integer, bool, complex), or whose elements overlap in memory (an
expand()ed view, which the engine refuses), gets torch's own function, as torch would fill it:
these values need no random stream."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import torch

from .._docstrings import takes_placement_keywords
from ..engine.overlap import check_no_overlap
from ..schemes import deterministic as _deterministic
from ..schemes import gain as _gain
from ._semantics import torch_function

__all__ = ["calculate_gain", "constant_", "dirac_", "eye_", "ones_", "zeros_"]

T = TypeVar("T")

_TORCH_INIT: Any = torch.nn.init  # (its functions are typed for Tensor; ours pass T through)
_ENGINE_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _engine_fills(tensor: Any) -> bool:
    """Whether fastinit fills tensor (a dense float tensor whose elements are distinct, or not a
    tensor: its own error then); torch's own function fills the rest as torch would (a sparse
    tensor's zeros_, an expand()ed view's constant_)."""
    if not isinstance(tensor, torch.Tensor):
        return True
    if tensor.dtype not in _ENGINE_DTYPES or tensor.layout is not torch.strided:
        return False
    if tensor.is_contiguous():  # (the common case, without a second overlap check in Python)
        return True
    try:
        check_no_overlap("", tensor.shape, tensor.stride(), 1, "tensor")
    except ValueError:
        return False
    return True


calculate_gain = _gain.calculate_gain


@torch_function
def constant_(tensor: T, val: float) -> T:
    """torch.nn.init.constant_: every element = val; returns tensor.

    Parameters
    ----------
    <tensor>
    val : float
        Finite, and within the range of the tensor's dtype.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> ft.constant_(tensor=torch.empty(2), val=0.5)
    tensor([0.5000, 0.5000])
    """
    if not _engine_fills(tensor) or isinstance(val, (bool, np.bool_)):  # torch fills True as 1
        return _TORCH_INIT.constant_(tensor, val)  # type: ignore[no-any-return]
    return _deterministic.constant_(tensor, val)


def ones_(tensor: T) -> T:
    if not _engine_fills(tensor):
        return _TORCH_INIT.ones_(tensor)  # type: ignore[no-any-return]
    return _deterministic.ones_(tensor)


def zeros_(tensor: T) -> T:
    if not _engine_fills(tensor):
        return _TORCH_INIT.zeros_(tensor)  # type: ignore[no-any-return]
    return _deterministic.zeros_(tensor)


_FILLED_DOC = """torch.nn.init.{name}: every element = {value}; returns tensor.

    Parameters
    ----------
    <tensor>

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> ft.{name}(torch.{example}(2))
    tensor([{value}., {value}.])
    """
ones_.__doc__ = _FILLED_DOC.format(name="ones_", value=1, example="empty")
zeros_.__doc__ = _FILLED_DOC.format(name="zeros_", value=0, example="ones")
ones_ = torch_function(ones_)
zeros_ = torch_function(zeros_)


@torch_function
@takes_placement_keywords("global_shape", "index")
def eye_(tensor: T, **kwargs: Any) -> T:
    """torch.nn.init.eye_: the identity matrix (ones on the diagonal of a 2-D tensor, zeros
    elsewhere); returns tensor.

    Parameters
    ----------
    <tensor>
        2-D.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> ft.eye_(torch.empty(2, 3))
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    if not _engine_fills(tensor) and not kwargs:
        return _TORCH_INIT.eye_(tensor)  # type: ignore[no-any-return]
    return _deterministic.eye_(tensor, **kwargs)


@torch_function
@takes_placement_keywords("global_shape", "index")
def dirac_(tensor: T, groups: int = 1, **kwargs: Any) -> T:
    """torch.nn.init.dirac_: the Dirac delta of a convolution kernel, (out, in, *kernel) with 3,
    4 or 5 dimensions, so the convolution keeps its input's channels (per group); returns tensor.

    Parameters
    ----------
    <tensor>
        3-, 4- or 5-D, its first dimension divisible by groups.
    groups : int
        The convolution's groups.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.dirac_(torch.empty(2, 2, 3))
    >>> w[:, :, 1]
    tensor([[1., 0.],
            [0., 1.]])
    """
    if not _engine_fills(tensor) and not kwargs:
        return _TORCH_INIT.dirac_(tensor, groups)  # type: ignore[no-any-return]
    return _deterministic.dirac_(tensor, groups, **kwargs)
