"""Tensor subclasses that route their operations through Python (``__torch_dispatch__``):
DTensor, which FSDP2 and tensor parallelism make of every parameter, and wrappers such as
torch's TwoTensor. They hold no memory of their own (their data pointer is 0) or mean something
else by it, so fastinit cannot write them through a pointer; torch.nn.init fills them by calling
their in-place operations. fastinit.torch fills them so:

* a DTensor sharded (``Shard``) or replicated over its mesh: its local shard, in place, with the
  values that block has in the whole tensor (``global_shape=``/``index=``: the same values
  however the tensor is sharded; the elementwise fills allocate nothing beyond the shard, while
  orthogonal_ computes the whole matrix and sparse_ the keys of whole columns); a function
  without those keywords fills the whole tensor once and the shard takes its block (a DTensor
  placed otherwise, a Partial sum or a strided shard, raises TypeError);
* any other such subclass: a plain tensor of its shape is filled and copied in with ``copy_``,
  which the subclass handles as it handles any copy.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..engine.torch_target import mark_written
from ._shards import local_shard

__all__ = ["fill_subclass"]

_POSITION_FREE = frozenset(("constant_", "zeros_", "ones_"))  # every element the same value


def fill_subclass(
    fn: str,
    fill: Callable[..., Any],
    tensor: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    placed: bool,
) -> Any:
    """Run fill(tensor-like, *args, **kwargs) for a tensor that dispatches in Python (see the
    module docstring); placed: fill takes global_shape= and index=. Returns tensor."""
    with torch.no_grad():
        local, shard = local_shard(tensor, fn)
        if not shard:  # not a DTensor
            whole = torch.empty(tensor.shape, dtype=tensor.dtype)
            fill(whole, *args, **kwargs)
            tensor.copy_(whole)
        elif "global_shape" in kwargs or "index" in kwargs:
            raise ValueError(
                f"{fn}: a DTensor carries its own placement; global_shape= and index= are for plain shards"
            )
        elif placed:
            fill(local, *args, **shard, **kwargs)
        elif local.is_meta or fn in _POSITION_FREE:  # (nothing to write / the same in every block)
            fill(local, *args, **kwargs)
        else:
            whole = torch.empty(tensor.shape, dtype=tensor.dtype)
            fill(whole, *args, **kwargs)
            local.copy_(whole[shard["index"]])
        if shard:
            mark_written(tensor)  # (the fill bumped its local tensor's version, not the DTensor's)
    return tensor
