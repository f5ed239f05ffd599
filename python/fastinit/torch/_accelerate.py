"""accelerate(): route torch's own initialization calls on CPU float tensors to fastinit.

A torch.overrides.TorchFunctionMode sees every torch function call made while it is active. It
handles torch.nn.init.uniform_, normal_ and kaiming_uniform_ (the nn.init functions that dispatch
through __torch_function__) and the Tensor methods uniform_ and normal_ (through which the other
nn.init functions and model code such as HF's ``module.weight.data.normal_(0, 0.02)`` draw), so
every layer's reset_parameters() draws from fastinit with the same distribution torch would use.
Anything else — other devices or dtypes, explicit arguments fastinit rejects — goes to torch.

Inside a mode's handler the mode is switched off, so an nn.init function forwarded to torch
would draw from torch's generator: the nn.init functions above are therefore handled themselves,
not forwarded.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable

import torch
from torch.overrides import TorchFunctionMode

import fastinit as _fi
from fastinit._streams import seed_from_torch

__all__ = ["accelerate"]

_FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _fillable(tensor: Any) -> bool:
    return (
        isinstance(tensor, torch.Tensor)
        and tensor.dtype in _FLOAT_DTYPES
        and tensor.device.type in ("cpu", "meta")
        and type(tensor) in (torch.Tensor, torch.nn.Parameter)
    )


def _bind(
    args: tuple[Any, ...], kwargs: dict[str, Any], names: tuple[str, ...], defaults: tuple[Any, ...]
) -> list[Any]:
    """The arguments named `names` (the tensor first), from positions or keywords, with defaults.
    nn.init functions dispatch with everything as keywords; Tensor methods pass self first."""
    values = list(args[: len(names)])
    for name, default in zip(names[len(values) :], defaults[len(values) :]):
        values.append(kwargs.get(name, default))
    return values


class _Mode(TorchFunctionMode):
    def __init__(self, generator: _fi.Generator) -> None:
        super().__init__()
        self.generator = generator
        self.handlers: dict[Callable[..., Any], Callable[[tuple[Any, ...], dict[str, Any]], Any]] = {
            torch.nn.init.uniform_: self._init_uniform,
            torch.nn.init.normal_: self._init_normal,
            torch.nn.init.kaiming_uniform_: self._init_kaiming_uniform,
            torch.Tensor.uniform_: self._tensor_uniform,
            torch.Tensor.normal_: self._tensor_normal,
        }

    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        handler = self.handlers.get(func)
        if handler is not None:
            tensor = args[0] if args else kwargs.get("tensor", kwargs.get("self"))
            if _fillable(tensor):
                try:
                    return handler(args, kwargs)
                except (TypeError, ValueError):
                    pass  # let torch handle (and report) what fastinit does not take
        return func(*args, **kwargs)

    def _gen(self, generator: Any) -> Any:
        return self.generator if generator is None else generator

    def _init_uniform(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        t, a, b, gen = _bind(args, kwargs, ("tensor", "a", "b", "generator"), (None, 0.0, 1.0, None))
        return _fi.uniform_(t, a, b, generator=self._gen(gen))

    def _init_normal(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        t, mean, std, gen = _bind(
            args, kwargs, ("tensor", "mean", "std", "generator"), (None, 0.0, 1.0, None)
        )
        return _fi.normal_(t, mean, std, generator=self._gen(gen))

    def _init_kaiming_uniform(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        names = ("tensor", "a", "mode", "nonlinearity", "generator")
        t, a, mode, nonlinearity, gen = _bind(args, kwargs, names, (None, 0, "fan_in", "leaky_relu", None))
        return _fi.kaiming_uniform_(t, a, mode, nonlinearity, generator=self._gen(gen))

    def _tensor_uniform(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        t, lo, hi = _bind(args, kwargs, ("self", "from", "to"), (None, 0.0, 1.0))
        if torch.is_grad_enabled() and t.requires_grad:
            raise TypeError("autograd leaf: torch raises its own error")
        return _fi.uniform_(t, lo, hi, generator=self._gen(kwargs.get("generator")))

    def _tensor_normal(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        t, mean, std = _bind(args, kwargs, ("self", "mean", "std"), (None, 0.0, 1.0))
        if torch.is_grad_enabled() and t.requires_grad:
            raise TypeError("autograd leaf: torch raises its own error")
        return _fi.normal_(t, mean, std, generator=self._gen(kwargs.get("generator")))


class accelerate(contextlib.ContextDecorator):
    """Context manager and decorator: inside it, torch's initialization of CPU float tensors is
    done by fastinit — same distributions as plain torch, not the same bits.

    ``with fastinit.torch.accelerate(seed=0): model = MyModel()``. Each handled call takes the next
    stream of a fastinit.Generator(seed), so a build is reproducible for a given seed and model
    code. seed=None draws the seed from torch's default generator on entry, so
    ``torch.manual_seed(s)`` before it makes the build reproducible too. Re-entrant per entry; works
    nested with other torch function modes (for example ``torch.device("meta")``, where there is
    nothing to fill).
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._modes: list[_Mode] = []

    def __enter__(self) -> accelerate:
        seed = self.seed
        if seed is None:
            seed = seed_from_torch(torch.default_generator)
        mode = _Mode(_fi.Generator(seed))
        # torch leaves TorchFunctionMode.__enter__ and __exit__ unannotated (torch/overrides.py)
        mode.__enter__()  # type: ignore[no-untyped-call]
        self._modes.append(mode)
        return self

    def __exit__(self, *exc: object) -> None:
        self._modes.pop().__exit__(*exc)  # type: ignore[no-untyped-call]  # unannotated in torch, as above
