"""Canonical parameter names and DTensor shards: what makes init_module_'s values a pure function
of (seed, parameter name), whatever wraps the model and however it is split."""

from __future__ import annotations

import sys
from typing import Any

import torch

__all__ = ["canonical_module_name", "canonical_name", "local_shard"]

# Wrapper modules insert these into parameter names; removing them makes a wrapped model (DDP,
# torch.compile, FSDP, activation checkpointing, ...) initialize exactly like the bare one.
_WRAPPER_PREFIXES = (
    "module.", "_orig_mod.", "_fsdp_wrapped_module.", "_checkpoint_wrapped_module.",
    "_forward_module.", "_wrapped_module.", "model._orig_mod.", "base_model.model.", "base_layer.",
)  # fmt: skip


def canonical_name(name: str) -> str:
    """A parameter's qualified name with wrapper prefixes removed, wherever they appear.

    The prefixes: "module." (DDP, DataParallel), "_orig_mod." (torch.compile),
    "_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_forward_module.",
    "_wrapped_module.", and PEFT's "base_model.model." (a PeftModel) and "base_layer." (the
    layer an adapter wraps). init_module_ and lsuv_ use the canonical name as the stream, so a
    wrapped model gets the bare model's values.

    Parameters
    ----------
    name : str
        A name as model.named_parameters() gives it.

    Returns
    -------
    str

    Examples
    --------
    >>> import fastinit.torch as ft
    >>> ft.canonical_name("module._orig_mod.encoder.fc1.weight")
    'encoder.fc1.weight'
    """
    for prefix in _WRAPPER_PREFIXES:
        name = name.replace("." + prefix, ".")
        while name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def canonical_module_name(name: str) -> str:
    """A module's qualified name with wrapper prefixes removed, including a wrapper's name at the
    end ("module" of DDP, "fc1._orig_mod" of a compiled layer): the name its parameters'
    canonical names start with ("" for the root)."""
    if not name:
        return ""
    return canonical_name(name + ".").removesuffix(".")


def _dtensor_type() -> Any:
    """The DTensor class if torch.distributed.tensor has been imported, else None: a parameter
    can only be a DTensor once that module is loaded, and importing it costs about 0.5 s."""
    module = sys.modules.get("torch.distributed.tensor")
    return getattr(module, "DTensor", None)


def local_shard(p: torch.Tensor, fn: str = "init_module_") -> tuple[torch.Tensor, dict[str, Any]]:
    """The tensor to fill and the keywords that place it in the whole parameter: for a DTensor
    (FSDP2 dim-0 shards, tensor-parallel row/column shards, uneven splits) its local shard with
    global_shape= and index=, so each rank fills exactly its part of the single-process result;
    for an ordinary tensor, itself; on a rank outside the DTensor's mesh, an empty block. A
    DTensor placed otherwise than by Shard and Replicate (a Partial sum, a strided shard)
    raises TypeError naming fn: its local tensor is no block."""
    dtensor = _dtensor_type()
    if dtensor is None or not isinstance(p, dtensor):
        return p, {}
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    if any(type(placement) not in (Shard, Replicate) for placement in p.placements):
        raise TypeError(
            f"{fn}: fastinit fills a DTensor sharded (Shard) or replicated (Replicate) over its mesh; got "
            f"placements {tuple(p.placements)}, whose local tensor is no block of the whole (a Partial "
            "sum, or the strided shard FSDP makes of a tensor-parallel weight). Initialize before that "
            "sharding (init_module_ after parallelize_module, fully_shard after), or use torch.nn.init"
        )

    if p.device_mesh.get_coordinate() is None:  # this rank holds no part of it (a sub-mesh)
        return p.to_local().new_empty((0,) * p.dim()), {
            "global_shape": tuple(p.shape), "index": (slice(0, 0),) * p.dim()
        }  # fmt: skip
    # the DTensor's own local tensor: to_local() gives an alias with a version counter of its own,
    # so a write through it would leave the shard's counter (what autograd and materialize_ read)
    local = getattr(p, "_local_tensor", None)
    local = p.to_local() if local is None else local
    _, offset = compute_local_shape_and_global_offset(p.shape, p.device_mesh, p.placements)
    index = tuple(slice(int(o), int(o) + int(n)) for o, n in zip(offset, local.shape))
    return local, {"global_shape": tuple(p.shape), "index": index}
