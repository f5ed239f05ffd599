"""Data-dependent initialization: LSUV (Mishkin & Matas, ICLR 2016) and output-bias calibration."""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import nn

import fastinit as _fi
from fastinit._streams import seed_from_torch

__all__ = ["calibrate_output_bias_", "lsuv_"]

_LAYERS = (nn.Linear, nn.modules.conv._ConvNd)


def lsuv_(
    model: nn.Module,
    batch: Any,
    *,
    tol: float = 0.05,
    max_iters: int = 10,
    seed: int | None = None,
) -> nn.Module:
    """Layer-Sequential Unit-Variance initialization, in place: every Linear/Conv weight is first
    made orthogonal (fastinit.orthogonal_, stream = the parameter's name), then, layer by layer in
    the order the forward pass reaches them, rescaled until the variance of that layer's output on
    `batch` is 1 within `tol` (at most `max_iters` forward passes per layer). Biases are zeroed.
    Forward hooks are removed afterwards, even on error. Returns the model."""
    if seed is None:
        seed = seed_from_torch(torch.default_generator)
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, _LAYERS)]
    for name, layer in layers:
        _fi.orthogonal_(layer.weight, seed=seed, stream=name + ".weight")
        if layer.bias is not None:
            _fi.zeros_(layer.bias)
    order: list[nn.Module] = []
    outputs: dict[nn.Module, torch.Tensor] = {}

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        if module not in outputs:
            order.append(module)
        outputs[module] = output.detach() if isinstance(output, torch.Tensor) else output

    hooks = [m.register_forward_hook(record) for _, m in layers]
    try:
        with torch.no_grad():
            model(batch)  # the order in which the forward pass reaches the layers
            # the hooks sit on `layers` only, so every module reached is one of them
            for layer in cast("list[nn.Linear | nn.modules.conv._ConvNd]", list(order)):
                for _ in range(max_iters):
                    var = float(outputs[layer].float().var())
                    if not math.isfinite(var) or var == 0 or abs(var - 1) < tol:
                        break
                    layer.weight.mul_(1 / math.sqrt(var))
                    model(batch)
    finally:
        for h in hooks:
            h.remove()
    return model


def calibrate_output_bias_(
    layer: nn.Module, targets: Any, task: str = "classification", eps: float = 1e-6
) -> nn.Module:
    """Set the final layer's bias so the untrained model's first predictions match the data:
    classification (targets: class indices) — bias = log of each class's prior, or for a single
    output (binary, sigmoid) log(p / (1 - p)); regression (targets: values, shape (n,) or
    (n, outputs)) — bias = the target mean. Returns the layer."""
    bias = getattr(layer, "bias", None)
    if bias is None:
        raise ValueError("calibrate_output_bias_: the layer has no bias")
    t = torch.as_tensor(targets)
    with torch.no_grad():
        if task == "classification":
            n_out = bias.shape[0]
            if n_out == 1:
                p = float(t.float().mean().clamp(eps, 1 - eps))
                bias.fill_(math.log(p / (1 - p)))
            else:
                counts = torch.bincount(t.long().reshape(-1), minlength=n_out).double()
                if counts.numel() > n_out:
                    raise ValueError(
                        f"calibrate_output_bias_: targets hold class {counts.numel() - 1} but the layer has {n_out} outputs"
                    )
                prior = (counts + eps) / (counts.sum() + eps * n_out)
                bias.copy_(prior.log().to(bias.dtype))
        elif task == "regression":
            mean = t.double().reshape(t.shape[0], -1).mean(dim=0)
            bias.copy_(mean.expand(bias.shape[0]) if mean.numel() == 1 else mean.to(bias.dtype))
        else:
            raise ValueError(f"calibrate_output_bias_: task={task!r} is not 'classification' or 'regression'")
    return layer
