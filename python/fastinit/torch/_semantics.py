"""What makes a fastinit.torch function behave as torch.nn.init's does, written once for every
wrapper (torch_function):

* with neither generator= nor seed=, the seed is drawn from torch's default generator
  (torch_source), so ``torch.manual_seed(...)`` makes the call reproducible and advances torch's
  generator, as torch.nn.init's own functions do;
* a bad argument raises TorchArgumentError, a ValueError (fastinit's type) that is also a
  RuntimeError (what torch raises for some of the same calls: uniform_ with a > b, normal_ with
  std < 0), so code written against either catches it;
* the parts of the docstrings every wrapper shares (_SHARED).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, TypeVar

import torch

from .. import _docstrings
from .._docstrings import documented, expand
from ..engine.torch_target import dispatches_in_python
from ._subclass import fill_subclass
from ._torch_only import call_torch, torch_only

__all__ = ["TorchArgumentError", "scheme_function", "torch_function", "torch_source"]

F = TypeVar("F", bound=Callable[..., Any])


@documented
class TorchArgumentError(ValueError, RuntimeError):
    """A bad argument to a fastinit.torch function. Both a ValueError (as fastinit's NumPy
    functions raise) and a RuntimeError (as torch.nn.init raises for some of the same calls).

    <exception parameters>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> try:
    ...     ft.uniform_(torch.empty(3), 1.0, 0.0, seed=0)
    ... except RuntimeError as e:  # what torch.nn.init.uniform_ raises here
    ...     print(type(e).__name__, isinstance(e, ValueError))
    TorchArgumentError True
    """


def torch_source(generator: Any, keywords: dict[str, Any]) -> Any:
    """generator, or torch's default CPU generator when the call names neither generator= nor
    seed= (keywords: the call's other keywords)."""
    if generator is None and keywords.get("seed") is None:
        return torch.default_generator
    return generator


# What every wrapper's docstring says alike, written once (torch_function puts it in place).
_SHARED = {
    "<torch's signature>": "torch's signature (generator= positional or keyword, a torch.Generator or a\n"
    "    fastinit.Generator; with neither generator= nor seed=, a seed drawn from torch's default\n"
    "    generator, so torch.manual_seed makes it reproducible); fastinit.{name}'s keywords pass through.",
    "<tensor>": "tensor : torch.Tensor\n        A CPU tensor of dtype float16, bfloat16, float32 or float64, "
    "filled through its data\n        pointer (a meta tensor is left as it is).",
    "<returns and raises>": "Returns\n    -------\n    tensor, filled.\n\n    <raises>",
    "<raises>": "Raises\n    ------\n"
    "    TorchArgumentError\n        A bad argument, as fastinit.{name} checks it (help(fastinit.{name})); "
    "a ValueError\n        and a RuntimeError. A tensor on another device is one too.\n"
    "    TypeError\n        A tensor of another dtype (also a NotImplementedError, as torch raises), or an "
    "argument\n        of the wrong type. tensor is untouched.",
}


# What the shared keyword docs (fastinit._docstrings.PLACEMENT_DOC) say of a call without seed=
# or generator=, and what a fastinit.torch function does instead (torch_source).
_TORCH_SEEDING = {
    "with neither seed= nor generator=, the process-wide generator's key with this stream.":
        "with neither seed= nor generator=, a seed drawn from torch's default generator with this stream.",
    "With none of seed=, generator=, the process-wide generator (fastinit.manual_seed, FASTINIT_SEED) is used.":
        "With none of seed=, generator=, a seed is drawn from torch's default generator (torch.manual_seed "
        "makes the call reproducible).",
}  # fmt: skip


def _reworded(doc: str, old: str, new: str) -> str:
    """doc with the sentence old (wrapped anyhow) replaced by new, wrapped to the lines around it
    (99 columns, the indent of the line it starts on)."""
    found = re.search(r"\s+".join(map(re.escape, old.split())), doc)
    if found is None:
        return doc
    line_start = doc.rfind("\n", 0, found.start()) + 1
    indent = " " * (len(doc[line_start:]) - len(doc[line_start:].lstrip(" ")))
    text, column = "", found.start() - line_start
    for word in new.split():
        step = len(word) + (1 if text else 0)
        if text and column + step > 99:
            text += "\n" + indent + word
            column = len(indent) + len(word)
        else:
            text += (" " if text else "") + word
            column += step
    return doc[: found.start()] + text + doc[found.end() :]


def torch_function(func: F) -> F:
    """func with torch's error types (a ValueError raised as TorchArgumentError) and the shared
    parts of its docstring (_SHARED) filled in, naming the fastinit function of the same name;
    the shared keyword docs say how a call without seed= or generator= is seeded here."""
    doc = expand(func.__doc__ or "")
    for marker, text in _SHARED.items():
        doc = doc.replace(marker, text.format(name=func.__name__))
    for old, new in _TORCH_SEEDING.items():
        doc = _reworded(doc, old, new)
    func.__doc__ = doc
    placed = _docstrings.takes_global_shape(func)  # a shard's global_shape= and index=

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            tensor = args[0] if args else kwargs.get("tensor")  # (tensor=, torch's name)
            if isinstance(tensor, LAZY_TENSORS):
                raise TorchArgumentError(_uninitialized(func.__name__, tensor))
            reason = torch_only(tensor)
            if reason is not None:  # a fake, func-transformed or nested tensor, or a trace
                keywords = {k: v for k, v in kwargs.items() if k != "tensor"}
                return call_torch(func.__name__, reason, tensor, args[1:], keywords)
            if dispatches_in_python(tensor):  # a DTensor: not through its data pointer
                if args:
                    return fill_subclass(func.__name__, func, tensor, args[1:], kwargs, placed)
                rest = {k: v for k, v in kwargs.items() if k != "tensor"}
                return fill_subclass(func.__name__, func, tensor, (), rest, placed)
            return func(*args, **kwargs)
        except (TorchArgumentError, OverflowError):  # (a number too large for a float: as torch)
            raise
        except ValueError as exc:
            raise TorchArgumentError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


# A lazy module's parameters and buffers before its first forward: no storage, no shape yet.
# torch.nn.init raises a ValueError for them before reading anything.
LAZY_TENSORS = (torch.nn.parameter.UninitializedParameter, torch.nn.parameter.UninitializedBuffer)


def _uninitialized(fn: str, tensor: Any) -> str:
    return (
        f"{fn}: attempted to use an uninitialized parameter (torch.nn.parameter."
        f"{type(tensor).__name__}), as a LazyModule has before its first forward; call forward "
        "with a dummy batch first, or use the module's own initialization after it"
    )


def scheme_function(template: str, law: str, example: str, check: str, result: str) -> Callable[[F], F]:
    """fastinit._docstrings.scheme_function (the placement and fan keywords, the docstring
    template) and torch_function, as one decorator for the scheme functions."""

    def decorate(func: F) -> F:
        return torch_function(_docstrings.scheme_function(template, law, example, check, result)(func))

    return decorate
