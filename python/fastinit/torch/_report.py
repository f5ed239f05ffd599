"""report(): per-layer scale of a torch model's weights, activations and gradients at init."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, TextIO

import torch
from torch import nn

from ..engine import fill as _fill
from ..schemes import fans as _fans
from ..tools.activations import ACTIVATIONS
from ..tools.optional import require_matplotlib
from ..tools.propagation import SCHEMES, scheme_std
from ._no_trace import buffers_and_rng_restored
from ._structure import torch_layout

__all__ = ["LayerReport", "format_report", "report"]


@dataclass(frozen=True)
class LayerReport:
    """One weight of the model: its qualified name and module type, shape, fans, the std `scheme`
    implies and the measured one; the std of its module's output and of the gradient of the loss
    with respect to that output (nan when no gradient reaches it); and flags: "act" and/or "grad"
    when that std differs from the reference (the input's) by more than the threshold factor."""

    name: str
    module: str
    shape: tuple[int, ...]
    fan_in: float
    fan_out: float
    implied_std: float
    weight_std: float
    output_std: float
    grad_std: float
    flags: tuple[str, ...]


def _std(t: torch.Tensor) -> float:
    return float(t.detach().double().std(correction=0)) if t.numel() else math.nan


def _first_tensor(out: Any) -> torch.Tensor | None:
    """A module's main output: the tensor itself, the first item of a tuple or list, or the first
    tensor value of a mapping (HF's ModelOutput, dicts)."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    if isinstance(out, Mapping):
        return next((v for v in out.values() if isinstance(v, torch.Tensor)), None)
    return None


def _drifts(value: float, ref: float, threshold: float) -> bool:
    if math.isnan(value) or not math.isfinite(ref) or ref <= 0:
        return False  # nothing to compare
    return value > threshold * ref or value * threshold < ref


def report(
    model: nn.Module,
    example_input: Any,
    scheme: str = "kaiming",
    *,
    nonlinearity: str = "relu",
    threshold: float = 10.0,
    loss_fn: Callable[[Any], torch.Tensor] | None = None,
    seed: int = 0,
    show: bool = True,
    file: TextIO | None = None,
    plot: str | None = None,
) -> list[LayerReport]:
    """Run one forward and one backward pass of `model` on `example_input` (a tensor, or a tuple of
    positional arguments) and report, for every module's own weight of 2 or more dimensions, in
    the order the forward pass reaches them: shape, fan_in/fan_out, the std that `scheme` (one of
    fastinit.analysis.SCHEMES, gain from `nonlinearity`) implies, the measured weight std, and
    the std of the module's output and of dL/d(output). The loss is loss_fn(output), or by
    default sum(output * r) with r ~ N(0, 1) from a fastinit stream of `seed`. A layer is flagged
    "act" when its output std differs by more than `threshold` times from the input's (the first
    floating-point input; with none, the first layer's output), "grad" when its gradient std does
    from the gradient at the model's output.

    Prints the table (to `file`, default stdout) unless show=False, draws a figure to `plot` if
    given (needs matplotlib), and returns the records. The model runs in its current train/eval
    mode; hooks are removed, and parameters, buffers (BatchNorm's running statistics), .grad
    fields and torch's CPU RNG state are as before, even on error.

    Parameters
    ----------
    model : torch.nn.Module
        The model, as it is (report changes nothing).
    example_input : torch.Tensor or tuple
        An input batch: a tensor, or a tuple of positional arguments of model.
    scheme : str, optional
        One of fastinit.analysis.SCHEMES, for the implied std (default "kaiming").
    nonlinearity : str, optional
        Keyword only: one of fastinit.analysis.ACTIVATIONS, the scheme's gain (default "relu").
    threshold : float, optional
        Keyword only: the factor beyond which a std is flagged, > 1 (default 10).
    loss_fn : callable, optional
        Keyword only: output -> scalar loss for the backward pass.
    seed : int, optional
        Keyword only: the seed of the default loss's r (default 0).
    show : bool, optional
        Keyword only: print the table (default True).
    file : file-like, optional
        Keyword only: where to print (default sys.stdout).
    plot : str, optional
        Keyword only: a path to save the figure to (needs matplotlib).

    Returns
    -------
    list of LayerReport
        One per weight, in forward order.

    Raises
    ------
    TypeError
        model is not a torch.nn.Module.
    ValueError
        An unknown scheme or nonlinearity; threshold <= 1.
    ImportError
        plot= without matplotlib.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    >>> rows = ft.report(model, ft.normal_(torch.empty(8, 16), seed=0), show=False)
    >>> [(r.name, r.shape, r.fan_in) for r in rows]
    [('0.weight', (32, 16), 16.0), ('2.weight', (4, 32), 32.0)]
    """
    fn = "report"
    if not isinstance(model, nn.Module):
        raise TypeError(f"{fn}: model must be a torch.nn.Module; got {type(model).__name__}")
    if scheme not in SCHEMES:
        raise ValueError(f"{fn}: scheme={scheme!r} is not one of {', '.join(SCHEMES)}")
    if nonlinearity not in ACTIVATIONS:
        raise ValueError(f"{fn}: nonlinearity={nonlinearity!r} is not one of {', '.join(ACTIVATIONS)}")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 1:
        raise ValueError(f"{fn}: threshold must be a number > 1; got threshold={threshold!r}")
    if plot is not None:
        require_matplotlib()
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    weights = [
        (mname, pname, module, p)
        for mname, module in model.named_modules()
        for pname, p in module.named_parameters(recurse=False)
        if p.dim() >= 2
    ]
    owners = {id(m): m for _, _, m, _ in weights}
    out_std: dict[int, float] = {}
    grad_std: dict[int, float] = {}
    order: list[int] = []
    handles: list[Any] = []

    def forward_hook(module: nn.Module, _inputs: Any, output: Any) -> None:
        key = id(module)
        t = _first_tensor(output)
        if key in out_std or t is None:
            return  # a shared module: its first call is reported
        order.append(key)
        out_std[key] = _std(t)
        if t.requires_grad:

            def grad_hook(g: torch.Tensor, key: int = key) -> None:
                grad_std.setdefault(key, _std(g))

            handles.append(t.register_hook(grad_hook))  # type: ignore[no-untyped-call]

    with buffers_and_rng_restored(model):
        try:
            handles.extend(m.register_forward_hook(forward_hook) for m in owners.values())
            # copies of the caller's inputs with gradients on, fed to the model as non-leaf tensors so
            # that a model which modifies its input in place works (and the caller's stays intact)
            input_leaves = [a.detach().clone().requires_grad_(True) if _floating(a) else a for a in args]
            inputs = [a.clone() if _floating(a) else a for a in input_leaves]
            ref_grad: list[float] = []
            with torch.enable_grad():  # the backward pass needs a graph even under torch.no_grad()
                output = model(*inputs)
                out = _first_tensor(output)
                if out is None or not out.requires_grad:
                    raise ValueError(
                        "report: the model's output has no tensor with gradients (tensor, tuple/list "
                        f"starting with one, or mapping holding one); got {type(output).__name__}"
                    )
                handles.append(out.register_hook(lambda g: ref_grad.append(_std(g))))  # type: ignore[no-untyped-call]
                if loss_fn is not None:
                    loss = loss_fn(output)
                else:
                    r = _fill.normal_(torch.empty(out.shape, dtype=torch.float32), seed=seed, stream="report")
                    loss = (out * r.to(out.dtype)).sum()
                leaves = [a for a in input_leaves if isinstance(a, torch.Tensor) and a.requires_grad]
                leaves += [p for p in model.parameters() if p.requires_grad]
                torch.autograd.grad(loss, leaves, allow_unused=True)  # no .grad is written
        finally:
            for h in handles:
                h.remove()
    floats = [a for a in input_leaves if _floating(a)]
    act_ref = _std(floats[0]) if floats else (out_std[order[0]] if order else math.nan)
    g_ref = ref_grad[0] if ref_grad else math.nan
    position = {key: i for i, key in enumerate(order)}
    records = []
    reached = sorted((w for w in weights if id(w[2]) in position), key=lambda w: position[id(w[2])])
    for mname, pname, module, p in reached:
        key = id(module)
        shape = tuple(int(n) for n in p.shape)
        as_torch = torch_layout(module, shape)  # fans and implied std in torch's (out, in, *kernel)
        fan_in, fan_out = _fans.compute_fans(as_torch)
        o, g = out_std[key], grad_std.get(key, math.nan)
        flags = tuple(
            f for f, v, ref in (("act", o, act_ref), ("grad", g, g_ref)) if _drifts(v, ref, threshold)
        )
        records.append(
            LayerReport(
                f"{mname}.{pname}" if mname else pname,
                type(module).__name__,
                shape,
                fan_in,
                fan_out,
                scheme_std(scheme, as_torch, nonlinearity),
                _std(p),
                o,
                g,
                flags,
            )
        )
    if show:
        print(format_report(records, act_ref, g_ref, scheme, threshold), file=file or sys.stdout)
    if plot is not None:
        _plot(records, act_ref, g_ref, threshold, plot)
    return records


def _floating(a: object) -> bool:
    return isinstance(a, torch.Tensor) and a.is_floating_point()


def format_report(
    records: Sequence[LayerReport], act_ref: float, grad_ref: float, scheme: str, threshold: float
) -> str:
    """The text table of report()."""
    head = (
        f"{'layer':<28}{'shape':<18}{'fan_in':>8}{'fan_out':>8}{scheme + ' std':>13}{'weight std':>11}"
        f"{'out std':>11}{'grad std':>11}  flags"
    )
    lines = [
        f"input std {act_ref:.3g}, output gradient std {grad_ref:.3g}; flagged beyond {threshold:g}x",
        head,
    ]
    for r in records:
        lines.append(
            f"{r.name[:27]:<28}{'x'.join(map(str, r.shape)):<18}{r.fan_in:>8.0f}{r.fan_out:>8.0f}"
            f"{r.implied_std:>13.3e}{r.weight_std:>11.3e}{r.output_std:>11.3e}{r.grad_std:>11.3e}"
            f"  {','.join(r.flags)}"
        )
    return "\n".join(lines)


def _plot(
    records: Sequence[LayerReport], act_ref: float, grad_ref: float, threshold: float, path: str
) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(6.0, 0.35 * len(records) + 2), 4), constrained_layout=True)
    ax = fig.subplots()
    x = range(len(records))
    ax.plot(x, [r.output_std / act_ref for r in records], "o-", label="output std / input std")
    ax.plot(x, [r.grad_std / grad_ref for r in records], "s-", label="grad std / output grad std")
    ax.plot(x, [r.weight_std / r.implied_std for r in records], "^:", label="weight std / implied std")
    for level in (threshold, 1 / threshold):
        ax.axhline(level, color="k", linestyle="--", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(x))
    ax.set_xticklabels([r.name for r in records], rotation=60, ha="right", fontsize=7)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=72)
