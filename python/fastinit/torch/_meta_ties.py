"""Which place of a tie owns its tensor in a model built under plain ``torch.device("meta")``.

A tie (one tensor held by two layers: an output layer sharing the input embedding, an MLM
head's ``decoder.bias`` sharing the head's ``bias``) is made after both layers were
constructed: each drew its own tensor, and the one assigned over the other survives with the
values its own layer gave it. A plain meta build keeps only the tie, so when materialize_
re-runs the torch.nn layers' ``reset_parameters()``, a layer that did not make the tensor must
not write it:

* HF transformers names the surviving side of each of its ties (``all_tied_weights_keys``:
  target → source); the target's layer is the one left out.
* Another tie whose layers would all initialize it alike (the same class with the same
  ``extra_repr()``) may be written by any of them.
* Otherwise which layer made the tensor is unknown, and none writes it: HF's own
  initialization may still, or materialize_ reports it (a deferred_init() build records it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from ._hf_init import named_tensors, tie_place
from ._structure import hf_models

__all__ = ["Place", "set_aside", "tie_owners"]

Place = tuple[nn.Module, str]  # (module, attribute of its parameter)


def tie_owners(model: nn.Module) -> tuple[list[Place], list[list[str]]]:
    """(places whose layer must not write their tied tensor, the ties whose owner is unknown
    as lists of their qualified names), for the meta parameters of `model`. (A buffer's
    reset is a constant: any layer may write it.)"""
    ties: dict[int, dict[tuple[int, str], tuple[str, nn.Module, str]]] = {}
    for name, module, attr, is_param, t in named_tensors(model):
        if is_param and t.is_meta:  # (one module registered twice is one place)
            ties.setdefault(id(t), {}).setdefault((id(module), attr), (name, module, attr))
    targets = _hf_tie_targets(model)
    left_out: list[Place] = []
    unknown: list[list[str]] = []
    for places in ties.values():
        if len(places) < 2:
            continue
        owners = [(m, a) for key, (_, m, a) in places.items() if key not in targets]
        left_out += [(m, a) for key, (_, m, a) in places.items() if key in targets]
        if len({(type(m), m.extra_repr(), a) for m, a in owners}) > 1:
            left_out += owners
            unknown.append([name for name, _, _ in places.values()])
    return left_out, unknown


def _hf_tie_targets(model: nn.Module) -> set[tuple[int, str]]:
    """(id(module), attribute) of the target of every HF tie whose target holds its source."""
    found = set()
    for hf in hf_models(model):
        for target, source in (getattr(hf, "all_tied_weights_keys", None) or {}).items():
            to, of = tie_place(hf, target), tie_place(hf, str(source))
            if to is None or of is None:
                continue
            held = to[0]._parameters.get(to[1])
            if held is not None and held is of[0]._parameters.get(of[1]):
                found.add((id(to[0]), to[1]))
    return found


@contextmanager
def set_aside(places: list[Place]) -> Iterator[None]:
    """Within the block, each place holds a scratch tensor of its shape, so that what its layer
    writes there reaches no other place; the tied tensors come back at the end."""
    saved: list[tuple[nn.Module, str, nn.Parameter]] = []
    for module, attr in places:
        held = module._parameters.get(attr)
        if held is not None:
            scratch = torch.empty_like(held, device="cpu")
            module._parameters[attr] = nn.Parameter(scratch, requires_grad=held.requires_grad)
            saved.append((module, attr, held))
    try:
        yield
    finally:
        for module, attr, held in saved:
            module._parameters[attr] = held
