"""HF transformers' own initialization of a model whose weights are missing, as materialize_
runs it on a model built on the meta device (plain, or at the point of a deferred_init() replay
where HF's post_init returned); and named_tensors, the model's parameters and buffers by name,
which it and materialize_ walk."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._semantics import LAZY_TENSORS

__all__ = ["hf_initialize", "named_tensors", "retie_loaded", "tie_place"]


def hf_initialize(model: nn.Module, loaded: set[int], retie: bool = True) -> None:
    """HF transformers' own initialization of a model whose weights are missing, as
    from_pretrained runs it: tensors already in memory flagged as initialized (HF's init
    functions skip them), every tied weight's target (an output layer tied to the embedding) set
    aside so that only its source is drawn — one tensor for both, and an output layer's normal_
    must not redraw the embedding's zeroed padding row —, _init_weights on every module, then
    the ties, symmetric as in from_pretrained: a loaded target is kept and its missing source
    tied to it (retie=False: the ties stay as they are, each target put back)."""
    for module in model.modules():
        module.__dict__.pop("_is_hf_initialized", None)
    named = named_tensors(model)
    for _, _, _, _, t in named:
        if id(t) in loaded:
            t._is_hf_initialized = True  # type: ignore[attr-defined]
        else:
            t.__dict__.pop("_is_hf_initialized", None)
    set_aside = []
    for target in getattr(model, "all_tied_weights_keys", None) or {}:
        place = tie_place(model, target)
        if place is None:  # a layer the caller removed or renamed: nothing to set aside
            continue
        module, attr = place
        weight = module._parameters.get(attr)
        if weight is not None and id(weight) not in loaded:  # tie_weights puts the source here
            stand_in = nn.Parameter(
                torch.empty_like(weight, device="meta"), requires_grad=weight.requires_grad
            )
            stand_in._is_hf_initialized = True  # type: ignore[attr-defined]
            module._parameters[attr] = stand_in
            set_aside.append((module, attr, weight, stand_in))
    model.initialize_weights()  # type: ignore[operator]
    if retie:  # (else the ties are the ones the recording keeps: a head replaced later stays apart)
        missing = {name for name, _, _, _, t in named if id(t) not in loaded}
        # with something loaded, tie towards what is there
        model.tie_weights(**({"missing_keys": missing} if len(missing) < len(named) else {}))  # type: ignore[operator]
    for module, attr, weight, stand_in in set_aside:
        if module._parameters.get(attr) is stand_in:  # not tied after all: the tensor comes back
            module._parameters[attr] = weight  # (written through its source, or reported unwritten)


def retie_loaded(model: nn.Module, recording: Any, loaded: set[int]) -> None:
    """After a deferred_init() build, load_state_dict(assign=True) replaces the tensor it loads
    and leaves its tie partners on the recording's meta tensor (HF checkpoints hold a tied weight
    once). As from_pretrained ties after loading, the places that held one parameter when the
    block ended (a tie: HF's tied weights, or any module's shared parameter) all get the loaded
    tensor where exactly one tensor was loaded into them and the others still hold that
    parameter. A place replaced in the block by other code (a new output layer) did not hold it
    then, and stays apart; places loaded with different tensors stay as loaded."""
    places: dict[int, tuple[Any, list[tuple[nn.Module, str]]]] = {}
    for module in model.modules():
        for attr, ref in recording.params_at_end.get(module, {}).items():
            held_then = ref()
            if held_then is not None:
                places.setdefault(id(held_then), (held_then, []))[1].append((module, attr))
    for held_then, tied in places.values():
        now = [module._parameters.get(attr) for module, attr in tied]
        new = {id(t): t for t in now if t is not None and id(t) in loaded}
        if len(tied) < 2 or len(new) != 1:
            continue
        (tensor,) = new.values()
        for module, attr in tied:
            if module._parameters.get(attr) is held_then:
                module._parameters[attr] = tensor


def tie_place(model: nn.Module, name: str) -> tuple[nn.Module, str] | None:
    """(module, attribute) of a tied-weight key of model, or None where no such module is."""
    module_name, _, attr = name.rpartition(".")
    try:
        return model.get_submodule(module_name), attr
    except AttributeError:
        return None


def named_tensors(model: nn.Module) -> list[tuple[str, nn.Module, str, bool, torch.Tensor]]:
    """(qualified name, owning module, attribute, is parameter, tensor) of every parameter and
    buffer, tied ones under each name; not a lazy module's uninitialized ones, which its first
    forward creates and initializes (with torch's generator, as on any device)."""
    found = []
    for prefix, module in model.named_modules(remove_duplicate=False):
        for kind, table in ((True, module._parameters), (False, module._buffers)):
            for attr, t in table.items():
                if t is not None and not isinstance(t, LAZY_TENSORS):  # a lazy module's: made by its forward
                    found.append((f"{prefix}.{attr}" if prefix else attr, module, attr, kind, t))
    return found
