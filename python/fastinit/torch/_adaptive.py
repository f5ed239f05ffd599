"""Data-dependent initialization: LSUV (Mishkin & Matas, ICLR 2016) and output-bias calibration."""

from __future__ import annotations

import math
import warnings
from typing import Any, cast

import torch
from torch import nn

from fastinit.engine.torch_seeds import seed_from_torch

from .._docstrings import documented
from ..engine import streams as _streams
from ..schemes import deterministic as _deterministic
from ..schemes import matrix as _matrix
from ._no_trace import buffers_and_rng_restored
from ._shards import canonical_name
from ._structure import is_linear

__all__ = ["calibrate_output_bias_", "lsuv_"]


@documented
def lsuv_(
    model: nn.Module,
    batch: Any,
    *,
    tol: float = 0.05,
    max_iters: int = 10,
    seed: int | None = None,
) -> nn.Module:
    """Layer-Sequential Unit-Variance initialization, in place: every linear layer's weight
    (nn.Linear, convolutions, HF's Conv1D: see fastinit.torch.FAN_LAYOUTS) and every
    nn.MultiheadAttention's projections are first made orthogonal (fastinit.orthogonal_, stream
    = the parameter's canonical name, wrapper prefixes removed), then, layer by layer in the order
    the forward pass reaches them, rescaled until the variance of that layer's output on `batch`
    (a tensor, or a tuple of arguments) is 1 within `tol` (at most `max_iters` forward passes per
    layer). An attention layer is scaled through its output projection, on the attention's
    output. Biases are zeroed.

    Layers LSUV does not apply to are left as they are and named in one RuntimeWarning:
    recurrent layers (their gated outputs are bounded, so unit variance is not reachable),
    other modules with weights of two or more dimensions (embeddings excepted), and layers the
    forward pass never reached.

    The calibration passes leave no other trace: buffers (BatchNorm running statistics) and
    torch's RNG state are restored, and dropout draws from a generator seeded from `seed`, so
    the same seed and batch give the same weights. A first forward pass finds the layers' order
    before anything is written, so a batch the model cannot take changes nothing. Forward hooks
    are removed afterwards, even on error. Returns the model.

    Parameters
    ----------
    model : torch.nn.Module
        The model, on the CPU.
    batch : torch.Tensor or tuple
        A representative input: a tensor, or a tuple of positional arguments of model.
    tol : float, optional
        Keyword only: the tolerance on each output's variance, > 0 (default 0.05).
    max_iters : int, optional
        Keyword only: the most forward passes per layer, >= 1 (default 10).
    seed : int, optional
        Keyword only: the seed of the orthogonal weights and of dropout during calibration; None
        (default) draws one from torch's default generator.

    <returns model>

    Raises
    ------
    ValueError
        tol or max_iters out of range (nothing changed).
    Exception
        Whatever model(*batch) raises; if the first pass fails, nothing is changed.

    Warns
    -----
    RuntimeWarning
        Naming the layers left as they were.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> model = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.Tanh(), torch.nn.Linear(64, 8))
    >>> x = ft.normal_(torch.empty(256, 16), seed=1)
    >>> _ = ft.lsuv_(model, x, seed=0)
    >>> with torch.no_grad():
    ...     abs(float(model(x).var()) - 1) < 0.05
    True
    """
    if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"lsuv_: tol must be a finite number > 0; got {tol!r}")
    if isinstance(max_iters, bool) or not isinstance(max_iters, int) or max_iters < 1:
        raise ValueError(f"lsuv_: max_iters must be an int >= 1; got {max_iters!r}")
    if seed is None:
        seed = seed_from_torch(torch.default_generator)
    args = batch if isinstance(batch, tuple) else (batch,)
    layers = [
        (n, m) for n, m in model.named_modules() if is_linear(m) or isinstance(m, nn.MultiheadAttention)
    ]
    inside_attention = {id(m.out_proj) for _, m in layers if isinstance(m, nn.MultiheadAttention)}
    layers = [(n, m) for n, m in layers if id(m) not in inside_attention]  # scaled with their attention
    order: list[nn.Module] = []
    outputs: dict[nn.Module, torch.Tensor] = {}

    def record(module: nn.Module, _inputs: Any, output: Any) -> None:
        out = output[0] if isinstance(output, tuple) else output
        if module not in outputs:
            order.append(module)
        outputs[module] = out.detach() if isinstance(out, torch.Tensor) else out

    hooks = [m.register_forward_hook(record) for _, m in layers]
    try:
        with torch.no_grad(), buffers_and_rng_restored(model):
            torch.manual_seed(_streams.Generator(seed ^ _streams.stream_id("lsuv_ dropout")).seed)
            model(*args)  # the order in which the forward pass reaches the layers; nothing written yet
            for name, layer in layers:
                for pname, p in _weights(layer):
                    _matrix.orthogonal_(p, seed=seed, stream=canonical_name(f"{name}.{pname}"))
                for b in _biases(layer):
                    _deterministic.zeros_(b)
            model(*args)
            for layer in order:
                scaled = _scaled_weight(layer)
                for _ in range(max_iters):
                    var = float(outputs[layer].float().var())
                    if not math.isfinite(var) or var == 0 or abs(var - 1) < tol:
                        break
                    scaled.mul_(1 / math.sqrt(var))
                    model(*args)
    finally:
        for h in hooks:
            h.remove()
    _warn_skipped(model, layers, order)
    return model


def _weights(layer: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """The weights LSUV makes orthogonal, by name in the layer."""
    if isinstance(layer, nn.MultiheadAttention):
        return [(n, p) for n, p in layer.named_parameters() if p.dim() >= 2 and n not in ("bias_k", "bias_v")]
    return [("weight", cast("torch.Tensor", layer.weight))]


def _biases(layer: nn.Module) -> list[torch.Tensor]:
    if isinstance(layer, nn.MultiheadAttention):
        return [p for p in layer.parameters() if p.dim() == 1]
    bias = getattr(layer, "bias", None)
    return [bias] if isinstance(bias, torch.Tensor) else []


def _scaled_weight(layer: nn.Module) -> torch.Tensor:
    """The weight LSUV rescales: the layer's own, or an attention's output projection."""
    if isinstance(layer, nn.MultiheadAttention):
        return layer.out_proj.weight
    return cast("torch.Tensor", layer.weight)


def _warn_skipped(model: nn.Module, layers: list[tuple[str, nn.Module]], reached: list[nn.Module]) -> None:
    covered = {id(x) for _, m in layers for x in m.modules()}
    skipped = [
        f"{name} ({type(m).__name__})"
        for name, m in model.named_modules()
        if id(m) not in covered
        and not isinstance(m, nn.Embedding)
        and any(p.dim() >= 2 for p in m.parameters(recurse=False))
    ]
    seen = {id(m) for m in reached}
    skipped += [f"{name} (not reached by the forward pass)" for name, m in layers if id(m) not in seen]
    if skipped:
        warnings.warn(
            f"lsuv_: left {', '.join(skipped)} as they were: LSUV rescales linear layers and attention by "
            "their output variance",
            RuntimeWarning,
            stacklevel=3,
        )


def calibrate_output_bias_(
    layer: nn.Module, targets: Any, task: str = "classification", eps: float = 1e-6
) -> nn.Module:
    """Set the final layer's bias so the untrained model's first predictions match the data.

    classification, several outputs: targets are class indices (integers 0 .. outputs - 1, any
    shape) or one-hot / probability rows of shape (..., outputs); bias = log of each class's
    prior. One output (binary, sigmoid): targets are labels or probabilities in [0, 1]; bias =
    log(p / (1 - p)). eps keeps empty classes finite.
    regression: targets of shape (..., outputs), or any shape for one output; bias = the mean
    over everything but the last dimension.
    Empty or malformed targets are a ValueError, with the bias untouched. Returns the layer.

    Parameters
    ----------
    layer : torch.nn.Module
        The output layer; it must have a ``bias`` of shape (outputs,).
    targets : array_like
        The training targets (or a sample of them): anything torch.as_tensor takes.
    task : {"classification", "regression"}, optional
        Default "classification".
    eps : float, optional
        Added to each class's count (default 1e-6).

    Returns
    -------
    torch.nn.Module
        layer, its bias set.

    Raises
    ------
    ValueError
        The layer has no bias; an unknown task; targets empty, complex, non-finite or not of
        the task's form. The bias is untouched.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> head = torch.nn.Linear(8, 3)
    >>> _ = ft.calibrate_output_bias_(head, torch.tensor([0, 0, 1, 2]))
    >>> [round(p, 4) for p in head.bias.detach().softmax(0).tolist()]
    [0.5, 0.25, 0.25]
    """
    fn = "calibrate_output_bias_"
    bias = getattr(layer, "bias", None)
    if bias is None:
        raise ValueError(f"{fn}: the layer has no bias")
    if task not in ("classification", "regression"):
        raise ValueError(f"{fn}: task={task!r} is not 'classification' or 'regression'")
    t = torch.as_tensor(targets).detach().cpu()
    if t.numel() == 0:
        raise ValueError(f"{fn}: targets are empty")
    if t.is_complex() or (t.dtype == torch.bool and task == "regression"):
        raise ValueError(f"{fn}: targets of dtype {t.dtype} are not {task} targets")
    n_out = bias.shape[0]
    values = _bias_values(fn, t, task, n_out, eps)
    with torch.no_grad():
        bias.copy_(values.to(bias.dtype))
    return layer


def _bias_values(fn: str, t: torch.Tensor, task: str, n_out: int, eps: float) -> torch.Tensor:
    """The bias calibrate_output_bias_ sets, as float64 of shape (n_out,)."""
    x = t.double()
    if not torch.isfinite(x).all():
        raise ValueError(f"{fn}: targets hold NaN or infinite values")
    if task == "regression":
        if n_out == 1:
            return x.mean().reshape(1)
        if t.dim() == 0 or t.shape[-1] != n_out:
            raise ValueError(f"{fn}: regression targets must have shape (..., {n_out}); got {tuple(t.shape)}")
        return x.reshape(-1, n_out).mean(dim=0)
    if n_out == 1:
        if (x < 0).any() or (x > 1).any():
            raise ValueError(f"{fn}: a single output takes labels or probabilities in [0, 1]; got values in "
                             f"[{float(x.min())}, {float(x.max())}]")  # fmt: skip
        p = min(max(float(x.mean()), eps), 1 - eps)
        return torch.tensor([math.log(p / (1 - p))], dtype=torch.float64)
    rows = x.reshape(-1, n_out) if t.dim() >= 2 and t.shape[-1] == n_out else None
    one_hot = rows is not None and bool(((rows == 0) | (rows == 1)).all() and (rows.sum(dim=1) == 1).all())
    if rows is not None and (t.is_floating_point() or one_hot):  # probability or one-hot rows
        if (rows < 0).any():
            raise ValueError(f"{fn}: probability targets must be >= 0")
        mass = rows.sum(dim=0)
    else:  # class indices
        if (x != x.round()).any():
            raise ValueError(f"{fn}: class indices must be integers; got non-integral values")
        if (x < 0).any() or (x >= n_out).any():
            raise ValueError(
                f"{fn}: class indices must lie in 0..{n_out - 1}; got [{int(x.min())}, {int(x.max())}]"
            )
        mass = torch.bincount(x.long().reshape(-1), minlength=n_out).double()
    prior = (mass + eps) / (mass.sum() + eps * n_out)
    return prior.log()
