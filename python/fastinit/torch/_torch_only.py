"""Tensors fastinit.torch hands to torch's own function, because fastinit cannot write them
through a data pointer, or because what it wrote would go unseen:

* a fake tensor (torch's FakeTensorMode: torch.export, torch.compile's tracing) holds no values:
  torch's function records its operations; fastinit's own keywords (seed=, stream=, ...) are
  dropped, since they choose values that do not exist, and a function torch.nn.init lacks
  leaves the tensor as it is, as fastinit leaves a meta tensor;
* a tensor of torch.func's transforms (vmap, grad, functionalize) has no memory of its own, and
  a nested tensor none fastinit fills; while make_fx or torch.jit.trace records, a write through
  the data pointer would be missing from the trace. torch's function runs there, as the
  transform or the trace expects it to, with torch's values; a call with fastinit's own keywords
  raises TypeError, since fastinit's values cannot be honoured.

Plain CPU and meta tensors pass the first checks (no transform, no trace, a data pointer); this
costs a few hundred nanoseconds a call."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch

__all__ = ["call_torch", "torch_only"]

_FAKE = "a fake tensor (FakeTensorMode)"


def torch_only(tensor: Any) -> str | None:
    """Why tensor must be filled by torch's own function (see the module docstring), or None."""
    kind = type(tensor)
    if kind is not torch.Tensor and kind is not torch.nn.Parameter:  # (a fake tensor is neither)
        if not isinstance(tensor, torch.Tensor):
            return None
        if isinstance(tensor, _fake_tensor_type()):
            return _FAKE
    if _is_tracing():
        return "torch.jit.trace is recording, and would not see fastinit's write"
    if _interpreters() is not None and _wrapped(tensor):
        return "a tensor of a torch.func transform (vmap, grad, functionalize), without memory of its own"
    if tensor.is_nested:
        return "a nested tensor"
    if _modes() > 0 and torch._C._get_dispatch_mode(torch._C._TorchDispatchModeKey.PROXY) is not None:
        return "make_fx is recording, and would not see fastinit's write"
    return None


_is_tracing = torch._C._is_tracing
_interpreters = torch._C._functorch.peek_interpreter_stack
_modes = torch._C._len_torch_dispatch_stack


def _wrapped(tensor: torch.Tensor) -> bool:
    return bool(
        torch._C._functorch.is_functorch_wrapped_tensor(tensor) or torch._is_functional_tensor(tensor)
    )


@functools.cache
def _fake_tensor_type() -> type:
    from torch._subclasses.fake_tensor import FakeTensor

    return FakeTensor


@functools.cache
def _signature(name: str) -> inspect.Signature | None:
    original = getattr(torch.nn.init, name, None)
    return None if original is None else inspect.signature(original)


def call_torch(name: str, reason: str, tensor: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """torch.nn.init.<name>(tensor, *args, **kwargs) for a tensor torch_only gave `reason` for,
    without fastinit's own keywords (a fake tensor drops them; elsewhere they raise TypeError,
    as does a function torch.nn.init lacks)."""
    signature = _signature(name)
    fake = reason == _FAKE
    if signature is None:
        if fake:
            return tensor
        raise TypeError(
            f"{name}: {reason}; fastinit cannot fill it, and torch.nn.init has no {name} that could"
        )
    ours = sorted(k for k, v in kwargs.items() if k not in signature.parameters and v is not None)
    bound = signature.bind_partial(
        tensor, *args, **{k: v for k, v in kwargs.items() if k in signature.parameters}
    )
    generator = bound.arguments.get("generator")
    if generator is not None and not isinstance(generator, torch.Generator):
        ours.append("generator")
        bound.arguments["generator"] = None
    if ours and not fake:
        raise TypeError(
            f"{name}: {reason}; torch's own {name} fills it, and it takes no "
            f"{', '.join(k + '=' for k in ours)} (fastinit's values cannot be honoured there)"
        )
    return getattr(torch.nn.init, name)(*bound.args, **bound.kwargs)
