"""How accelerate() reads the arguments of an aten operation: which tensors it may fill, and the
numbers an operation takes (plain or as one-element tensors)."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["FLOAT_DTYPES", "PLAIN", "arg", "bounds", "fillable", "number", "operand"]


FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
PLAIN = (torch.Tensor, torch.nn.Parameter)  # not subclasses: they dispatch on their own


def fillable(t: Any) -> bool:
    """Whether accelerate() fills t itself: a plain strided CPU tensor of a float dtype."""
    return type(t) in PLAIN and t.dtype in FLOAT_DTYPES and t.is_cpu and t.layout == torch.strided


def number(x: Any) -> float | None:
    """x as a float if it is a real number or a one-element CPU tensor holding one, else None."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, torch.Tensor) and x.numel() == 1 and x.device.type == "cpu" and not x.is_complex():
        return float(x.item())
    return None


def operand(t: Any, x: Any) -> float | None:
    """x as a float where ``t.op_(x)`` keeps t's shape: a number, or a one-element tensor of no
    more dimensions than t (one with more broadcasts t to a larger shape, which torch refuses
    in place)."""
    if isinstance(x, torch.Tensor) and x.dim() > t.dim():
        return None
    return number(x)


def arg(args: tuple[Any, ...], kwargs: dict[str, Any], i: int, name: str, default: Any) -> Any:
    """Argument i of an operation, given by position or by name."""
    return args[i] if len(args) > i else kwargs.get(name, default)


def bounds(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[float, float]:
    """uniform_'s (from, to)."""
    return arg(args, kwargs, 1, "from", 0.0), arg(args, kwargs, 2, "to", 1.0)
