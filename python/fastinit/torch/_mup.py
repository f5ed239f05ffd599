"""µP, the maximal update parametrization (Yang et al. 2021, "Tensor Programs V: Tuning Large
Neural Networks via Zero-Shot Hyperparameter Transfer"), as an initialization relative to a
base model: each weight's dimensions are compared with the same parameter's in the base, the
ones that differ are the widths that grow, and they decide the weight's kind —

* "input": only its output dimension grows (the first layer, an embedding), or none does
  (a fixed-size layer): std as at the base;
* "hidden": both grow: std times sqrt(base fan_in / fan_in);
* "output": only its input dimension grows (the readout): std times base fan_in / fan_in, or 0
  with zero_readout.

At the base width every weight has the base std: `std` if given, else 1/sqrt(base fan_in)
(an embedding's 1.0, torch's N(0, 1)). Then the first step of Adam with the learning rates of
lr_scales() changes every layer's output coordinates by the same amount at any width.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Union

import torch
from torch import nn

from ..schemes import fans as _fan_rule
from ._shards import canonical_module_name, canonical_name
from ._structure import is_linear, torch_layout

__all__ = ["Base", "MupRule", "Width", "base_shapes", "lr_scales", "widths_of"]

# A base model, or its parameters' shapes by name (as in model.named_parameters()).
Base = Union[nn.Module, Mapping[str, Sequence[int]]]


def base_shapes(base: Base, fn: str) -> dict[str, tuple[int, ...]]:
    """The base's parameter shapes by canonical name, a shared parameter under each of its names
    (the model's policy may reach it by any of them: T5's shared and embed_tokens)."""
    if isinstance(base, nn.Module):
        return {canonical_name(n): tuple(p.shape) for n, p in base.named_parameters(remove_duplicate=False)}
    if not isinstance(base, Mapping):
        raise TypeError(
            f"{fn}: base must be an nn.Module or a mapping of parameter names to shapes; got {base!r}"
        )
    shapes: dict[str, tuple[int, ...]] = {}
    for name, shape in base.items():
        if not isinstance(name, str) or not all(isinstance(s, int) and s >= 0 for s in shape):
            raise TypeError(f"{fn}: base maps names to shapes of non-negative ints; got {name!r}: {shape!r}")
        shapes[canonical_name(name)] = tuple(shape)
    return shapes


@dataclass(frozen=True)
class Width:
    """A weight's kind ("input", "hidden", "output"), its fan-in and fan-out, and the base's."""

    kind: str
    fan_in: int
    fan_out: int
    base_fan_in: int
    base_fan_out: int


def _fans(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a linear layer's or embedding's weight of this shape."""
    if isinstance(module, nn.Embedding):  # (num_embeddings, dim): a map from one-hot rows to dim
        return shape[0], shape[1]
    fan_in, fan_out = _fan_rule.compute_fans(torch_layout(module, shape))
    return int(fan_in), int(fan_out)


def widths_of(module: nn.Module, shape: tuple[int, ...], base_shape: tuple[int, ...]) -> Width:
    """How a weight of `shape` in `module` relates to its base of `base_shape`."""
    fan_in, fan_out = _fans(module, shape)
    base_in, base_out = _fans(module, base_shape)
    grows_in, grows_out = fan_in != base_in, fan_out != base_out
    kind = "hidden" if grows_in and grows_out else "output" if grows_in else "input"
    return Width(kind, fan_in, fan_out, base_in, base_out)


class MupRule:
    """The std of each weight under µP (the module docstring), for init_module_'s policy."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], std: float | None, zero_readout: bool) -> None:
        self.shapes, self.std, self.zero_readout = shapes, std, zero_readout

    def weight_std(self, module: nn.Module, name: str, w: torch.Tensor) -> float:
        width = widths_of(module, tuple(w.shape), self.shapes[name])
        if self.std is not None:
            base = self.std
        elif isinstance(module, nn.Embedding):
            base = 1.0
        else:
            base = 1 / math.sqrt(width.base_fan_in) if width.base_fan_in else 0.0
        if width.kind == "hidden":
            return base * math.sqrt(width.base_fan_in / width.fan_in)
        if width.kind == "output":
            return 0.0 if self.zero_readout else base * width.base_fan_in / width.fan_in
        return base


def _weights(model: nn.Module) -> list[tuple[str, nn.Module, nn.Parameter]]:
    """(canonical name, module, parameter) of every parameter, each once."""
    seen: set[int] = set()
    found = []
    for mname, module in model.named_modules():
        prefix = canonical_module_name(mname)
        for n, p in module.named_parameters(recurse=False):
            if id(p) not in seen:
                seen.add(id(p))
                found.append((f"{prefix}.{n}" if prefix else n, module, p))
    return found


def check_base(model: nn.Module, shapes: dict[str, tuple[int, ...]], fn: str) -> None:
    """ValueError naming what µP cannot place: parameters missing from the base or of another
    rank, and recurrent layers (their gates mix input and hidden widths in one weight)."""
    recurrent = [n for n, m in model.named_modules() if isinstance(m, nn.RNNBase)]
    if recurrent:
        raise ValueError(f"{fn}: µP has no rule here for recurrent layers: {', '.join(recurrent)}")
    missing = [n for n, _, p in _weights(model) if n not in shapes or len(shapes[n]) != p.dim()]
    if missing:
        listed = ", ".join(
            f"{n} {tuple(p.shape)}: base {shapes.get(n)}" for n, _, p in _weights(model) if n in missing
        )
        raise ValueError(
            f"{fn}: the base must have every parameter of the model, with the same number of dimensions; "
            f"these have no counterpart: {listed}"
        )


def lr_scales(model: nn.Module, base: Base, optimizer: str = "adam") -> dict[str, float]:
    """The learning-rate multiplier µP gives each parameter of `model` (by canonical name),
    relative to the learning rate tuned on `base`.

    Adam (and AdamW): hidden and output weights base_fan_in / fan_in, everything else 1.
    SGD: input weights and biases fan_out / base_fan_out, hidden weights 1, output weights
    base_fan_in / fan_in. fastinit initializes; apply these to the optimizer's parameter groups
    yourself, e.g. ``[{"params": [p], "lr": lr * scales[n]} for n, p in model.named_parameters()]``.

    Parameters
    ----------
    model : torch.nn.Module
        The model to train.
    base : torch.nn.Module or mapping of str to tuple of int
        The same architecture at its base width, or its parameter shapes by name (as mup_).
    optimizer : {"adam", "sgd"}, optional
        Default "adam" (also for AdamW).

    Returns
    -------
    dict of str to float
        The multiplier of each parameter, by canonical name.

    Raises
    ------
    ValueError
        An unknown optimizer; a parameter without a counterpart of the same rank in base.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> def mlp(width):
    ...     return torch.nn.Sequential(torch.nn.Linear(4, width), torch.nn.ReLU(), torch.nn.Linear(width, 2))
    >>> ft.mup_lr_scales(mlp(32), base=mlp(8))
    {'0.weight': 1.0, '0.bias': 1.0, '2.weight': 0.25, '2.bias': 1.0}
    """
    fn = "mup_lr_scales"
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"{fn}: optimizer={optimizer!r} is not one of 'adam', 'sgd'")
    shapes = base_shapes(base, fn)
    check_base(model, shapes, fn)
    scales: dict[str, float] = {}
    for name, module, p in _weights(model):
        if p.dim() >= 2 and (is_linear(module) or isinstance(module, (nn.Embedding, nn.MultiheadAttention))):
            w = widths_of(module, tuple(p.shape), shapes[name])
            if w.kind != "input":
                scale = w.base_fan_in / w.fan_in
                scales[name] = scale if optimizer == "adam" or w.kind == "output" else 1.0
                continue
            scales[name] = 1.0 if optimizer == "adam" else w.fan_out / w.base_fan_out
        elif optimizer == "sgd" and p.dim() == 1 and shapes[name][0]:
            scales[name] = p.shape[0] / shapes[name][0]  # a bias or norm vector: its width ratio
        else:
            scales[name] = 1.0
    return scales
