"""What init_module_ and materialize_ check on a model before they change anything: modules
a policy cannot reach (lazy modules' uninitialized tensors, mixture-of-experts weights their
modules apply with their own code) and the residual structure a policy's options need. Each
check raises ValueError naming what it found (a plain meta build's unknown constructors, a
deferred build sharded before materialize_); held_garbage names what a plain meta build kept
that cannot be a weight."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import torch
from torch import nn

from ..engine.torch_target import dispatches_in_python
from ._record import recorded_module
from ._semantics import LAZY_TENSORS
from ._structure import Block, blocks, hf_models

__all__ = [
    "check_depth_structure", "check_moe_reachable", "check_no_lazy", "check_not_sharded_after_recording",
    "check_plain_meta_build", "check_residual_found", "held_garbage", "is_torch_layer",
]  # fmt: skip

# No trained or initialized weight comes near it in magnitude; leftover memory read as floats often does.
GARBAGE_ABOVE = 1e30


def held_garbage(model: nn.Module) -> list[str]:
    """The names of the model's floating parameters in memory (not on the meta device) holding a
    NaN, an infinity or a magnitude above GARBAGE_ABOVE: values of no weight, but of the leftover
    memory that legacy constructors (torch.Tensor(n), torch.FloatTensor(...)), which ignore
    torch.device("meta"), leave in a plain meta build. (Leftover memory that reads as ordinary
    numbers passes: only deferred_init() sees those constructors.) Buffers are not looked at:
    masks of -inf and finfo.min are theirs."""
    found = []
    for name, p in model.named_parameters():
        if p.is_meta or not p.is_floating_point() or p.numel() == 0 or isinstance(p, LAZY_TENSORS):
            continue
        lo, hi = torch.aminmax(p.detach())  # one pass; a NaN comes out as NaN
        if not (float(lo) >= -GARBAGE_ABOVE and float(hi) <= GARBAGE_ABOVE):
            found.append(name)
    return found


def check_no_lazy(fn: str, model: nn.Module) -> None:
    """ValueError naming a lazy module's uninitialized parameters or buffers, which a policy
    cannot set (torch.nn.init raises for them too): before anything is changed."""
    lazy = [
        name
        for name, t in [
            *model.named_parameters(remove_duplicate=False),
            *model.named_buffers(remove_duplicate=False),
        ]
        if isinstance(t, LAZY_TENSORS)
    ]
    if lazy:
        raise ValueError(
            f"{fn}: {', '.join(lazy)} are uninitialized parameters or buffers of lazy modules (nn.LazyLinear, ...); run a "
            "forward with a dummy batch first, then apply the policy"
        )


def check_moe_reachable(fn: str, model: nn.Module, scheme: str, keep: Collection[int] = ()) -> None:
    """ValueError naming the weights of mixture-of-experts layers (transformers' fused experts,
    classes named *Experts with stacked (experts, out, in) tensors, and routers, classes named
    *Router with a 2-D weight) under a policy other than "torch": the modules apply them with
    their own code, so no policy rule sees their fans or roles, and keeping their own init would
    silently drop the policy's law, std and depth scaling for most of the model. Parameters
    whose id is in keep (loaded, adapters) are left out. Checked before anything is changed."""
    if scheme == "torch":
        return
    found = []
    for name, module in model.named_modules():
        kind = type(module).__name__
        if not (kind.endswith("Experts") or "Router" in kind):
            continue
        for pname, p in module.named_parameters(recurse=False):
            if id(p) not in keep and (
                p.dim() >= 3 if kind.endswith("Experts") else pname == "weight" and p.dim() == 2
            ):
                found.append(f"{name}.{pname} {tuple(p.shape)}" if name else pname)
    if found:
        raise ValueError(
            f"{fn}: policy {scheme!r} has no rule for the mixture-of-experts weights "
            f"{', '.join(found[:6])}{', ...' if len(found) > 6 else ''} (applied by their modules' own code, "
            "so their fans and roles are unknown): the policy's law, std and depth scaling would not reach "
            "them. Use policy 'torch' (each module's own defaults), or the model's own initialization"
        )


def check_depth_structure(
    model: nn.Module, scheme: str, residual: dict[nn.Module, Block], n_layers: int | None, chosen: bool
) -> None:
    """A depth-aware policy needs the projections that end residual branches, and their layer
    indices: say what is missing rather than guess."""
    if not residual:
        raise ValueError(
            f"init_module_: policy {scheme!r} scales the projections that end residual branches, and the "
            "model has none that can be found (no run of repeated blocks): pass residual= (module names or "
            "a callable) and n_layers="
        )
    if chosen:
        names = {id(m): n for n, m in model.named_modules()}
        unplaced = sorted(names[id(m)] for m, b in residual.items() if b.count == 1 and b.module is m)
        if unplaced and (scheme == "mitchell" or n_layers is None):
            raise ValueError(
                f"init_module_: policy {scheme!r} needs the layer index"
                + ("" if scheme == "mitchell" else " and count")
                + f" of each residual output, and {', '.join(map(repr, unplaced))} lie in no run of repeated blocks"
                + ("" if scheme == "mitchell" else "; pass n_layers=")
            )


def check_residual_found(
    model: nn.Module, scheme: str, residual: dict[nn.Module, Block], n_layers: int | None, zero_init: bool
) -> None:
    """n_layers= under "normal" / "gpt2" scales the projections that end residual branches, and
    zero_init_residual=True zeroes what ends each residual block: with nothing of the kind found
    either would be silently ignored, so say so before anything is changed."""
    if zero_init and not blocks(model):
        raise ValueError(
            "init_module_: zero_init_residual=True starts every residual block as the identity, and the model has "
            "no block that can be found (a run of repeated blocks, or one alone in an nn.ModuleList / "
            "nn.Sequential that maps its input width back); zero the layers that end its branches yourself"
        )
    if n_layers is not None and scheme in ("normal", "gpt2") and not residual:
        raise ValueError(
            f"init_module_: n_layers={n_layers} scales the projections that end residual branches under policy "
            f"{scheme!r}, and the model has none that can be found (no residual block): pass residual= (module "
            "names or a callable)"
        )


def is_torch_layer(module: nn.Module) -> bool:
    """A layer of torch.nn, also as FSDP2's fully_shard re-classes it (FSDPLinear: a class of
    torch.distributed.fsdp over FSDPModule and Linear)."""
    kind = next(
        (c for c in type(module).__mro__ if not c.__module__.startswith("torch.distributed.")), nn.Module
    )
    return kind.__module__.startswith("torch.nn.")


def check_plain_meta_build(fn: str, model: nn.Module) -> None:
    """policy="model" on a plain meta build: only HF models and torch.nn layers have code that
    initializes them after construction; another module's constructor did what cannot be redone."""
    covered = {id(m) for h in hf_models(model) for m in h.modules()}
    unknown = sorted(
        {type(m).__qualname__ for m in model.modules() if id(m) not in covered and not is_torch_layer(m)}
    )
    if unknown:
        raise ValueError(
            f"{fn}: policy='model' needs the model's own initialization, and no deferred_init() block recorded "
            "this model's construction (it was built under torch.device('meta'), or copied, by copy.deepcopy, "
            f"from a model built inside deferred_init()): the constructors of {', '.join(unknown)} may set "
            "values no code can recompute. Build it inside fastinit.torch.deferred_init() and materialize_ "
            "that model (then copy it), or pass a fastinit policy ('torch', 'kaiming', ...)"
        )


def check_not_sharded_after_recording(fn: str, meta: list[Any], recording: Any) -> None:
    """A model built inside deferred_init() and then sharded (fully_shard, parallelize_module)
    holds DTensors the recording did not make: a replay recomputes whole tensors, so it must
    come before sharding. ValueError saying so (the other messages would blame the build)."""
    sharded = [entry for entry in meta if dispatches_in_python(entry[4])]
    if not sharded:
        return
    if recording is None and not any(recorded_module(module) for _, module, _, _, _ in sharded):
        return  # a plain meta build, sharded: the policies and HF's init fill shards
    raise ValueError(
        f"{fn}: {', '.join(entry[0] for entry in sharded)} are DTensors in a model built inside "
        "deferred_init() (sharded after the block, or by distribute_tensor in a constructor), and a "
        "replay recomputes whole tensors. Call materialize_ before sharding, or build under "
        "torch.device('meta'), shard, and call materialize_ or init_module_ with a policy"
    )
