"""Reads of a tensor's memory that run no aten operation — ``tolist``, ``numpy``, ``__array__``,
``__dlpack__`` and ``torch.utils.dlpack.to_dlpack``, ``data_ptr``, ``untyped_storage``,
``storage``, pickling — write the deferred fills of the tensor first, while an accelerate()
block is active on the calling thread.

A TorchFunctionMode would see these calls too, but it also sees every other torch function and
attribute access, which costs about 15% of building a ResNet-152. So instead, while any
accelerate() block is active in the process, these few torch.Tensor methods are wrapped; the
wrapper looks at the calling thread's blocks only, and the originals are put back when the last
block ends.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

import torch

if TYPE_CHECKING:
    from ._deferred import DeferredFills


__all__ = ["written_before_raw_reads"]

_METHODS = (
    "tolist", "numpy", "__array__", "__dlpack__", "data_ptr", "untyped_storage", "storage",
    "_typed_storage", "__reduce_ex__",
)  # fmt: skip

_thread = threading.local()  # .active: the DeferredFills of this thread's accelerate() blocks
_lock = threading.Lock()
_blocks = 0  # accelerate() blocks active in the process
_own: dict[str, Any] = {}  # the methods torch.Tensor itself defined (the rest it inherits)


def _wrapped(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        active = getattr(_thread, "active", ())
        if active and not getattr(_thread, "writing", False):
            _thread.writing = True  # the write reads data_ptr itself
            try:
                for deferred in active:
                    if deferred:
                        deferred.write_touched((self,))
            finally:
                _thread.writing = False
        return original(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = original.__doc__
    method.__wrapped__ = original  # type: ignore[attr-defined]
    return method


# Functions that take a tensor's memory as their first argument: torch.utils.dlpack.to_dlpack
# (the capsule route to DLPack, beside the __dlpack__ method).
_FUNCTIONS = ((torch.utils.dlpack, "to_dlpack"),)
_own_functions: dict[str, Any] = {}


def _install() -> None:
    for name in _METHODS:
        if name in torch.Tensor.__dict__:
            _own[name] = torch.Tensor.__dict__[name]
        setattr(torch.Tensor, name, _wrapped(name, getattr(torch.Tensor, name)))
    for module, name in _FUNCTIONS:
        _own_functions[name] = getattr(module, name)
        setattr(module, name, _wrapped(name, _own_functions[name]))


def _uninstall() -> None:
    for name in _METHODS:
        if name in _own:
            setattr(torch.Tensor, name, _own.pop(name))
        else:
            delattr(torch.Tensor, name)
    for module, name in _FUNCTIONS:
        setattr(module, name, _own_functions.pop(name))


@contextlib.contextmanager
def written_before_raw_reads(deferred: DeferredFills) -> Iterator[None]:
    """Inside, a raw read of a tensor on this thread writes its fill in `deferred` first."""
    global _blocks
    with _lock:
        if _blocks == 0:
            _install()
        _blocks += 1
    active = _thread.__dict__.setdefault("active", [])
    active.append(deferred)
    try:
        yield
    finally:
        active.remove(deferred)
        with _lock:
            _blocks -= 1
            if _blocks == 0:
                _uninstall()
