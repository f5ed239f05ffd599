"""Residual networks that start as (near) identities: each residual branch's contribution made
zero or small at initialization, found from the module tree.

* zero_init_residual: in each repeated block, the branch's last normalization scale is zeroed
  when the block keeps its layers side by side (torchvision's and timm's BasicBlock.bn2 /
  Bottleneck.bn3), otherwise the weight that ends each residual branch (a transformer's
  o_proj / down_proj): every block starts as the identity.
* Fixup (Zhang, Dauphin & Ma, ICLR 2019, "Fixup Initialization: Residual Learning Without
  Normalization"): He initialization, then in each residual branch of m layers the first m - 1
  scaled by L^(-1/(2m-2)) (L residual branches in the network) and the last one zeroed; the
  output layer zeroed; the branch's scalar multipliers set to 1 and scalar biases to 0.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

import fastinit as _fi

from ._shards import local_shard
from ._structure import Block, blocks, is_linear, output_layer, residual_outputs

__all__ = ["fixup_", "fixup_branches", "zero_residual_branches_"]

_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)


def _weight(module: nn.Module, name: str = "weight") -> torch.Tensor:
    """The local shard of module's weight (or bias) tensor."""
    return local_shard(cast(torch.Tensor, getattr(module, name)))[0]


def _side_by_side(block: nn.Module) -> list[nn.Module]:
    """The linear layers a block keeps as direct children, in the order it creates them — the
    residual branch of a ResNet block (conv1, conv2[, conv3]); a shortcut projection sits in a
    child container (downsample) and is not among them."""
    return [m for m in block.children() if is_linear(m)]


def zero_residual_branches_(model: nn.Module) -> None:
    """Zero what ends each residual branch (see the module docstring)."""
    outputs = residual_outputs(model)
    for block in blocks(model):
        layers = _side_by_side(block.module)
        if len(layers) >= 2:
            children = list(block.module.children())
            after = children[children.index(layers[-1]) + 1 :]
            norms = [
                m for m in after if isinstance(m, _NORM_TYPES) and getattr(m, "weight", None) is not None
            ]
            if norms:
                _fi.zeros_(_weight(norms[0]))
                continue
        for layer, owner in outputs.items():
            if owner.module is block.module:
                _fi.zeros_(_weight(layer))


def fixup_branches(model: nn.Module) -> list[tuple[Block, list[nn.Module]]]:
    """The residual blocks Fixup rescales, each with its branch's layers; ValueError if none."""
    found = [(b, _side_by_side(b.module)) for b in blocks(model)]
    found = [(b, layers) for b, layers in found if len(layers) >= 2]
    if not found:
        raise ValueError(
            "init_module_: policy 'fixup' needs residual blocks whose layers sit side by side, as a ResNet's "
            "BasicBlock or Bottleneck keeps its convolutions; this model has none"
        )
    return found


def fixup_(model: nn.Module) -> None:
    """Fixup's rescaling of a model whose weights hold He initialization."""
    found = fixup_branches(model)
    n_branches = len(found)
    with torch.no_grad():
        for block, layers in found:
            m = len(layers)
            scale = n_branches ** (-1.0 / (2 * m - 2))
            for layer in layers[:-1]:
                _weight(layer).mul_(scale)
            _fi.zeros_(_weight(layers[-1]))
            for name, p in block.module.named_parameters(recurse=False):
                if p.numel() == 1:  # Fixup's scalar multipliers (1) and biases (0)
                    p.fill_(1.0 if "scale" in name else 0.0)
        head = output_layer(model)
        if head is not None and not any(head is layer for _, layers in found for layer in layers):
            _fi.zeros_(_weight(head))
            if getattr(head, "bias", None) is not None:
                _fi.zeros_(_weight(head, "bias"))
