"""mup_: µP initialization as a call of its own, the "mup" policy of init_module_ under the
names µP's users look for (the rule itself: _mup.py)."""

from __future__ import annotations

from torch import nn

from .._docstrings import documented
from ._init_module import init_module_
from ._mup import Base

__all__ = ["mup_"]


@documented
def mup_(
    model: nn.Module,
    base: Base,
    seed: int | None = None,
    *,
    std: float | None = None,
    zero_readout: bool = False,
) -> nn.Module:
    """µP initialization (Yang et al. 2021, Tensor Programs V) of `model` relative to `base`, in
    place; returns `model`. The same as ``init_module_(model, "mup", seed, base=base, std=std,
    zero_readout=zero_readout)``.

    `base` is the same architecture at the width its hyperparameters were tuned at (an
    nn.Module, built on the meta device if you like) or its parameter shapes by name. Each weight's
    dimensions that differ from the base's are the growing widths: a weight whose fan-in and
    fan-out both grow (hidden) gets std * sqrt(base_fan_in / fan_in); one whose fan-in alone grows
    (the readout) std * base_fan_in / fan_in, or 0 with zero_readout; the others (input layers,
    embeddings, fixed-size layers) std. std None: 1/sqrt(base fan_in) per weight (1.0 for an
    embedding). Biases are 0, norm scales 1. A readout tied to the input embedding keeps the
    embedding's rule: multiply its logits by base_width / width in the forward, as mup's
    MuSharedReadout does.

    What µP also asks of the model and the optimizer, which fastinit does not do: attention
    logits scaled by 1/d_head instead of 1/sqrt(d_head), and the learning rates of
    fastinit.torch.mup_lr_scales (Adam: hidden and output weights lr * base_fan_in / fan_in).

    Raises ValueError, before anything changes, when a parameter has no counterpart of the same
    rank in the base, or the model has recurrent layers.

    Parameters
    ----------
    model : torch.nn.Module
        The model at its width.
    base : torch.nn.Module or mapping of str to tuple of int
        The same architecture at its base width, or its parameter shapes by (canonical) name.
    seed : int, optional
        As in init_module_.
    std : float, optional
        Keyword only: the base std, >= 0 (default 1/sqrt(base fan_in) per weight).
    zero_readout : bool, optional
        Keyword only: zero the output layer (default False).

    <returns model>

    Raises
    ------
    ValueError
        A parameter without a counterpart of the same rank in base; recurrent layers; std < 0.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> def mlp(width):
    ...     return torch.nn.Sequential(torch.nn.Linear(4, width), torch.nn.ReLU(), torch.nn.Linear(width, 2))
    >>> model = ft.mup_(mlp(32), base=mlp(8), seed=0, zero_readout=True)
    >>> float(model[2].weight.detach().abs().sum())
    0.0
    """
    return init_module_(model, "mup", seed, std=std, base=base, zero_readout=zero_readout)
