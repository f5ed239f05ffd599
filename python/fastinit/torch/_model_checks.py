"""What init_module_ and materialize_ check on a model before they change anything: modules
a policy cannot reach (lazy modules' uninitialized tensors, mixture-of-experts weights their
modules apply with their own code) and the residual structure a policy's options need. Each
check raises ValueError naming what it found."""

from __future__ import annotations

from collections.abc import Collection

from torch import nn

from ._semantics import LAZY_TENSORS
from ._structure import Block, blocks

__all__ = ["check_depth_structure", "check_moe_reachable", "check_no_lazy", "check_residual_found"]


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
