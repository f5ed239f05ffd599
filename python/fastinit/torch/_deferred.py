"""Deferred fills: random fills recorded by accelerate() and written when first observed.

A fill of a large CPU tensor inside accelerate() is recorded as (tensor, law, seed, stream)
instead of written. It is written, with exactly the values fastinit.<law>_(tensor, seed=seed,
stream=stream) gives, as soon as anything could observe the tensor's memory: any torch
operation on a tensor sharing its storage (reads, views, in-place updates), any raw access from
Python (``tolist``, ``numpy``, ``data_ptr``, ``untyped_storage``, DLPack, pickling; see
_raw_access.py), and the end of the accelerate() block. Two things can happen first, both
provably invisible: the whole tensor is overwritten (the constructor's kaiming draw that a
library's ``_init_weights`` replaces) — the recorded fill is dropped; or an in-place operation
maps the law to another law in closed form (_laws.py) — the law is updated.

At most one fill is deferred per storage; recording a second region of the same storage writes
the first.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable

import torch

if TYPE_CHECKING:
    from ._laws import DeferredLaw


__all__ = ["DEFER_MIN_NUMEL", "Deferred", "DeferredFills", "tensors_in"]

# Fills of at least this many elements are deferred; smaller ones are written at once.
DEFER_MIN_NUMEL = 1 << 15

Region = tuple[int, tuple[int, ...], tuple[int, ...], torch.dtype]


class Deferred:
    """One recorded fill: `law` written into the tensor's elements from (seed, stream).

    Held strongly, the target is an alias made when the fill was recorded (``detach()``: the
    same storage, offset, shape and strides), not the caller's tensor object: ``p.data = x``
    and ``torch.utils.swap_tensors`` give that object other memory without an aten operation,
    and the fill belongs to the memory it was drawn into, as torch's own draw would."""

    __slots__ = ("_tensor", "law", "region", "seed", "stream", "weak")

    def __init__(
        self, tensor: torch.Tensor, region: Region, law: DeferredLaw, seed: int, stream: int, weak: bool
    ) -> None:
        if weak:
            self._tensor: Callable[[], torch.Tensor | None] = weakref.ref(tensor)
        else:
            alias = tensor.detach()
            self._tensor = lambda: alias
        self.region, self.law, self.seed, self.stream, self.weak = region, law, seed, stream, weak

    @property
    def tensor(self) -> torch.Tensor | None:
        """The target's elements, or None if they were held weakly and are gone."""
        return self._tensor()

    def write(self) -> None:
        """Write the fill, unless no one but this record can reach its memory any more (the
        weight an untied output layer had before tie_weights replaced it): nothing could ever
        read those values, so they are not drawn."""
        t = self.tensor
        if t is not None and (self.weak or not _orphan(t)):
            self.law.write(t, self.seed, self.stream)


# The C method itself: torch.Tensor's may be wrapped to write deferred fills (_raw_access.py).
_untyped_storage = torch._C.TensorBase.untyped_storage


def _storage_key(t: torch.Tensor) -> int:
    return int(_untyped_storage(t).data_ptr())


def _storage_holders(t: torch.Tensor) -> int:
    """How many references c10 counts on t's storage (each tensor on it, views included)."""
    return int(torch._C._storage_Use_Count(_untyped_storage(t)._cdata))


def _alias_only_holders() -> int:
    """The count of a storage that only one alias holds, measured here rather than assumed (a
    storage's Python object may or may not count, by torch version)."""
    original = torch.empty(1)
    alias = original.detach()
    del original
    return _storage_holders(alias)


_ALIAS_ONLY = _alias_only_holders()


def _orphan(alias: torch.Tensor) -> bool:
    """Is the record's alias the only tensor left on its storage?"""
    return _storage_holders(alias) <= _ALIAS_ONLY


def _region(t: torch.Tensor) -> Region:
    return (int(t.storage_offset()), tuple(t.shape), tuple(t.stride()), t.dtype)


def tensors_in(args: Iterable[Any]) -> Iterable[torch.Tensor]:
    """The plain CPU tensors among args, looking one level into lists and tuples (torch.cat's)."""
    for a in args:
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from (x for x in a if isinstance(x, torch.Tensor))


_PLAIN = (torch.Tensor, torch.nn.Parameter)


def _plain_cpu(t: torch.Tensor) -> bool:
    return type(t) in _PLAIN and t.is_cpu


class DeferredFills:
    """The fills recorded and not yet written, keyed by storage."""

    def __init__(self) -> None:
        self._by_storage: dict[int, Deferred] = {}

    def __bool__(self) -> bool:
        return bool(self._by_storage)

    def record(self, t: torch.Tensor, law: DeferredLaw, seed: int, stream: int, weak: bool = False) -> None:
        """Defer law into t. A fill deferred on the same storage is dropped if it covers exactly
        t (t is overwritten whole, so its values were never observable), else written first.
        weak=True holds t by a weak reference, for a tensor made here and seen by no one else
        yet (a comparison's mask): if it is dropped unread, nothing is written. Tensors made by
        a random factory are held strongly: ``nn.Parameter(torch.randn(n))`` shares the
        storage without an aten operation."""
        key, region = _storage_key(t), _region(t)
        old = self._by_storage.pop(key, None)
        if old is not None and old.region != region:
            old.write()
        self._by_storage[key] = Deferred(t, region, law, seed, stream, weak)

    def exact(self, t: torch.Tensor) -> Deferred | None:
        """The fill deferred on exactly t's elements, if any."""
        if not self._by_storage or not _plain_cpu(t):
            return None
        key = _storage_key(t)
        d = self._by_storage.get(key)
        if d is not None and d.tensor is None:  # a weak target's memory is gone; the address may be reused
            del self._by_storage[key]
            return None
        return d if d is not None and d.region == _region(t) else None

    def drop(self, t: torch.Tensor) -> None:
        """t is about to be overwritten whole: a fill deferred on exactly t is never written."""
        d = self.exact(t)
        if d is not None:
            del self._by_storage[_storage_key(t)]

    def shares_storage(self, a: torch.Tensor, b: torch.Tensor) -> bool:
        """Do a and b (plain CPU tensors) live in the same storage?"""
        return _plain_cpu(a) and _plain_cpu(b) and _storage_key(a) == _storage_key(b)

    def write_touched(self, tensors: Iterable[torch.Tensor]) -> None:
        """Write the fills deferred on the storages of `tensors` — of any CPU tensor, a subclass
        too (``MyParameter(torch.randn(n))`` shares the draw's storage), though only plain ones
        carry fills of their own."""
        for t in tensors:
            if self._by_storage and t.is_cpu and not t.is_meta:
                try:
                    key = _storage_key(t)
                except (RuntimeError, NotImplementedError):  # a subclass without real storage
                    continue
                d = self._by_storage.pop(key, None)
                if d is not None:
                    d.write()

    def write_all(self) -> None:
        """Write every deferred fill; one that raises does not stop the others (the first
        error is raised once all are written)."""
        first: BaseException | None = None
        while self._by_storage:
            try:
                self._by_storage.pop(next(iter(self._by_storage))).write()
            except Exception as error:  # re-raised below, once the other fills are written
                first = first or error
        if first is not None:
            raise first
