"""Residual networks that start as (near) identities: each residual branch's contribution made
zero or small at initialization, found from the module tree.

* zero_init_residual: in each residual block, its residual gains are zeroed where it has them
  (SkipInit's and ReZero's scalar gains, timm's LayerScale ls1/ls2 and ConvNeXt's gamma), else
  the branch's last normalization scale when the block keeps its layers side by side
  (torchvision's and timm's BasicBlock.bn2 / Bottleneck.bn3), else the weight that ends each
  residual branch (a transformer's o_proj / down_proj): every block starts as the identity.
* Fixup (Zhang, Dauphin & Ma, ICLR 2019, "Fixup Initialization: Residual Learning Without
  Normalization"): He initialization, then in each residual branch of m layers the first m - 1
  scaled by L^(-1/(2m-2)) (L residual branches in the network) and the last one zeroed; the
  output layer zeroed; the branch's scalar multipliers set to 1 and scalar biases to 0.
"""

from __future__ import annotations

import re
from typing import cast

import torch
from torch import nn

from ..schemes import deterministic as _deterministic
from ._shards import local_shard
from ._structure import Block, blocks, is_linear, output_layer, residual_outputs

__all__ = ["fixup_", "fixup_branches", "zero_residual_branches_"]

_NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
# The names blocks give the gains that multiply a residual branch: ReZero's alpha / resweight,
# SkipInit's gain, layer scale's gamma (timm's ConvNeXt), numbered or not.
_GAIN_NAMES = re.compile(
    r"(alpha|gain|gamma|resweight|res_weight|layer_scale|skip_gain|rezero)_?\d*", re.IGNORECASE
)


def _residual_gains(block: nn.Module) -> list[torch.Tensor]:
    """A block's residual gains: the parameters of its layer-scale modules (class name with
    "Scale": timm's LayerScale, LayerScale2d) and its scalar or vector parameters named like a
    gain, outside its linear and normalization layers."""
    found: list[torch.Tensor] = []
    for module in block.modules():
        if is_linear(module) or isinstance(module, _NORM_TYPES) or "Norm" in type(module).__name__:
            continue
        scale_module = "Scale" in type(module).__name__
        for name, p in module.named_parameters(recurse=False):
            if p.dim() <= 1 and (scale_module or _GAIN_NAMES.fullmatch(name)):
                found.append(p)
    return found


def _weight(module: nn.Module, name: str = "weight") -> torch.Tensor:
    """The local shard of module's weight (or bias) tensor."""
    return local_shard(cast(torch.Tensor, getattr(module, name)))[0]


def _side_by_side(block: nn.Module) -> list[nn.Module]:
    """The linear layers a block keeps as direct children, in the order it creates them — the
    residual branch of a ResNet block (conv1, conv2[, conv3]); a shortcut projection sits in a
    child container (downsample) and is not among them."""
    return [m for m in block.children() if is_linear(m)]


def zero_residual_branches_(model: nn.Module, *, gains_and_norms: bool = True) -> set[int]:
    """Zero what ends each residual branch (see the module docstring); returns the ids of the
    residual gains it zeroed. With gains_and_norms=False (ZerO's rule), always the layers that
    end the branches: the block's residual outputs, or for a block that chains its layers side
    by side (a ResNet block) the last of them (conv2 / conv3)."""
    outputs = residual_outputs(model)
    zeroed: set[int] = set()
    for block in blocks(model):
        gains = _residual_gains(block.module) if gains_and_norms else []
        for gain in gains:
            _deterministic.zeros_(local_shard(gain)[0])
            zeroed.add(id(gain))
        layers = _side_by_side(block.module)
        if gains or _zero_last_norm(block.module, layers, gains_and_norms):
            continue
        ends = [m for m, owner in outputs.items() if owner.module is block.module]
        if len(layers) >= 2 and not any(m is layer for m in ends for layer in layers):
            ends = layers[-1:]  # a ResNet block's chain (what residual_outputs found is its shortcut)
        for layer in ends:
            _deterministic.zeros_(_weight(layer))
    return zeroed


def _zero_last_norm(block: nn.Module, layers: list[nn.Module], allowed: bool) -> bool:
    """Zero the scale of the first norm after the last of a block's side-by-side layers, if
    allowed and there is one; whether it did."""
    if not allowed or len(layers) < 2:
        return False
    children = list(block.children())
    after = children[children.index(layers[-1]) + 1 :]
    norms = [m for m in after if isinstance(m, _NORM_TYPES) and getattr(m, "weight", None) is not None]
    if norms:
        _deterministic.zeros_(_weight(norms[0]))
    return bool(norms)


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
            _deterministic.zeros_(_weight(layers[-1]))
            for name, p in block.module.named_parameters(recurse=False):
                if p.numel() == 1:  # Fixup's scalar multipliers (1) and biases (0)
                    p.fill_(1.0 if "scale" in name else 0.0)
        head = output_layer(model)
        if head is not None and not any(head is layer for _, layers in found for layer in layers):
            _deterministic.zeros_(_weight(head))
            if getattr(head, "bias", None) is not None:
                _deterministic.zeros_(_weight(head, "bias"))
