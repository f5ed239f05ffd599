"""The recording deferred_init() makes and how it replays: the aten operations of a block in
order, with the meta tensors they saw (as _Refs: where each lay when the operation ran), and the
map from those meta tensors to the real ones a replay makes (Replayed).

Tensors are matched by storage: the recorded program maps each meta storage to the real tensor
that the replayed operation produced for it, so ``nn.Parameter(t)`` (which shares t's storage
without an aten operation), views and in-place updates all find their real counterpart. Where a
tensor lies (storage, offset, shape, strides) is captured when the operation runs: code may
later point the same Python object at other memory (``param.data = ...``). How the block
records is in _record.py.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Iterator
from typing import Any, Callable, Optional

import torch
from torch.utils._pytree import tree_map

__all__ = [
    "ALLOCATIONS",
    "HF_INITIALIZED",
    "REPLAYS",
    "Owner",
    "Recording",
    "Replayed",
    "freeze",
    "held_by",
    "held_storages",
    "leaves",
    "refs",
]

aten = torch.ops.aten

# Operations that allocate without writing: their outputs hold no values until written.
ALLOCATIONS = frozenset(
    (aten.empty.memory_format, aten.empty_strided.default, aten.empty_like.default, aten.new_empty.default,
     aten.new_empty_strided.default)
)  # fmt: skip

Geometry = tuple[int, int, tuple[int, ...], tuple[int, ...], torch.dtype]


def HF_INITIALIZED(*args: Any) -> None:
    """Stands in the recording where an HF transformers model's post_init() returned (its
    arguments: a weak reference to the model, and the storages of the meta tensors it held
    then): on the meta device post_init skips HF's initialization, which materialize_ runs at
    this point of the replay, before what came after the constructor (an adapter, the caller's
    own init, loaded weights)."""


# The attribute materialize_ sets on a real tensor it puts in a model: the meta storage it replays.
REPLAYS = "_fastinit_replays"


def held_storages(model: torch.nn.Module) -> frozenset[int]:
    """The meta storages of model's tensors, a tensor the replay has already put in the model
    counted by the one it replays (its own storage is not touched: inside accelerate() that is
    a read, which writes a deferred fill)."""
    held = set()
    for t in [*model.parameters(), *model.buffers()]:
        key = int(t.untyped_storage()._cdata) if t.is_meta else getattr(t, REPLAYS, None)
        if key is not None:
            held.add(key)
    return frozenset(held)


class _Ref:
    """A meta tensor as an operation saw it: where it lay then, and the tensor (kept alive, so
    its storage address is not reused while the recording exists)."""

    __slots__ = ("geometry", "tensor")

    def __init__(self, t: torch.Tensor) -> None:
        self.geometry, self.tensor = _geometry(t), t


def freeze(value: Any) -> Any:
    """A meta tensor as a _Ref (where it lies now); any other value as it is."""
    return _Ref(value) if isinstance(value, torch.Tensor) and value.is_meta else value


def leaves(value: Any) -> Iterator[Any]:
    """A recorded value itself, or what it holds nested in tuples and lists."""
    if isinstance(value, (tuple, list)):
        for v in value:
            yield from leaves(v)
    else:
        yield value


def refs(value: Any) -> Iterator[_Ref]:
    """The meta tensors (_Refs) in a recorded value."""
    return (v for v in leaves(value) if isinstance(v, _Ref))


def _geometry(t: torch.Tensor) -> Geometry:
    storage = int(t.untyped_storage()._cdata)
    return (storage, int(t.storage_offset()), tuple(t.shape), tuple(t.stride()), t.dtype)


# Where a meta tensor was registered: its module (weakly: the recording must not keep models
# alive), the name, and whether it is a parameter.
Owner = tuple[Callable[[], Optional[torch.nn.Module]], str, bool]


def held_by(owner: Owner) -> torch.Tensor | None:
    """What the owner's module holds under that name now (None if the module is gone)."""
    module = owner[0]()
    return None if module is None else (module._parameters if owner[2] else module._buffers).get(owner[1])


class Recording:
    """The aten operations of one deferred_init() block, in order, holding their (meta)
    arguments and outputs alive so that storages are never reused within it."""

    def __init__(self) -> None:
        # (operation, args, kwargs, outputs, torch's default dtype when it ran)
        self.ops: list[tuple[Any, tuple[Any, ...], dict[str, Any], Any, torch.dtype]] = []
        self.owners: dict[int, list[Owner]] = {}  # storage -> where modules registered it
        # operations that raised while recorded: code that caught the error (torch's parametrize
        # does, for a right_inverse without a meta kernel) went on as it would not on real tensors
        self.failed: list[str] = []
        # real (CPU) storages the block allocated: legacy constructors (torch.Tensor(n),
        # torch.FloatTensor(...)) ignore the meta device
        self.allocated_on_cpu: set[int] = set()
        # those a module registered whose values are not the construction's to keep (nothing wrote
        # them, or a random draw did): where (Owner), the tensor, its version when the block ended
        self.made_on_cpu: list[tuple[Owner, Callable[[], torch.Tensor | None], int]] = []
        # the parameters each module that registered one held when the block ended, by name: a
        # tie is the same object in two places (HF's may swap a parameter's storage with .data =)
        self.params_at_end: weakref.WeakKeyDictionary[torch.nn.Module, dict[str, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def replay(
        self,
        device: torch.device,
        hf_initialized: Callable[[torch.nn.Module, Replayed, Callable[[], None]], None] | None = None,
    ) -> Replayed:
        """Run the recorded operations on `device`; the mapping from recorded tensors to real ones.

        Only operations that touched a meta tensor run again (as an argument or an output: the
        ``_foreach_*_`` ops change their meta arguments and return nothing); one on real tensors
        alone (a CPU tensor's ``mul_`` in a constructor) already ran on real memory while it was
        recorded, and running it again would change that memory a second time.

        Each operation runs under the default dtype it was recorded under: a factory without a
        dtype takes it from there (HF's ``from_config(dtype=torch.bfloat16)`` builds by setting
        it), and the default may have changed since. At an HF_INITIALIZED marker,
        hf_initialized(model, replayed so far, check) runs, if given and the model is alive;
        check() raises ValueError naming the model if a tensor it held at its post_init, no
        longer held, is read by later operations (an embedding resize_token_embeddings copies, a
        weight PiSSA decomposes): HF's initialization there cannot reach it."""
        replayed = Replayed(device)
        default_dtype = torch.get_default_dtype()
        try:
            for at, (func, args, kwargs, out, dtype) in enumerate(self.ops):
                if func is HF_INITIALIZED:
                    model = args[0]()
                    if hf_initialized is not None and model is not None:
                        check = functools.partial(self._check_reads, model, args[1], at)
                        hf_initialized(model, replayed, check)
                    continue
                if next(refs((out, args, tuple(kwargs.values()))), None) is None:
                    continue
                real_args = tree_map(replayed.real, args)
                real_kwargs = {
                    k: replayed.device_of(v) if k == "device" else tree_map(replayed.real, v)
                    for k, v in kwargs.items()
                }
                if dtype is not torch.get_default_dtype():
                    torch.set_default_dtype(dtype)
                real_out = func(*real_args, **real_kwargs)
                replayed.bind(out, real_out, allocated=func in ALLOCATIONS)
        finally:
            torch.set_default_dtype(default_dtype)
        return replayed

    def _check_reads(self, model: torch.nn.Module, held: frozenset[int], at: int) -> None:
        dropped = held - held_storages(model)
        if not dropped:
            return
        for func, args, kwargs, _, _ in self.ops[at + 1 :]:
            if any(ref.geometry[0] in dropped for ref in refs((args, tuple(kwargs.values())))):
                raise ValueError(
                    f"materialize_: after the constructor of {type(model).__name__}, the deferred_init() block "
                    f"replaced tensors of it and read their values ({func}), as resize_token_embeddings or "
                    "PiSSA do; HF initializes a model built on the meta device only in materialize_, so "
                    "those values would be the layers' defaults. Do that after materialize_"
                )


class Replayed:
    """Recorded tensor -> real tensor, by storage and view geometry."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self._by_geometry: dict[Geometry, torch.Tensor] = {}
        self._by_storage: dict[int, torch.Tensor] = {}
        self.allocated: dict[int, int] = {}  # real storage address -> version when allocated

    def device_of(self, value: Any) -> Any:
        if isinstance(value, (torch.device, str)) and torch.device(value).type == "meta":
            return self.device
        return value

    def bind(self, recorded: Any, real: Any, allocated: bool) -> None:
        if isinstance(recorded, (tuple, list)):
            for r, x in zip(recorded, real):
                self.bind(r, x, allocated)
            return
        if not isinstance(recorded, _Ref) or not isinstance(real, torch.Tensor):
            return
        key = recorded.geometry
        self._by_geometry[key] = real
        self._by_storage.setdefault(key[0], real)
        if allocated:
            self.allocated[real.untyped_storage().data_ptr()] = real._version

    def real(self, value: Any) -> Any:
        """The real counterpart of a recorded meta tensor (a _Ref) or of a meta tensor of the
        model now; anything else as it is (a tensor made outside the recording, on a real
        device, is used as it is)."""
        if isinstance(value, torch.device):
            return self.device_of(value)
        if isinstance(value, _Ref):
            key = value.geometry
        elif isinstance(value, torch.Tensor) and value.is_meta:
            key = _geometry(value)
        else:
            return value
        found = self._by_geometry.get(key)
        if found is not None:
            return found
        base = self._by_storage.get(key[0])
        if base is None:
            raise KeyError(key)
        view = base.as_strided(key[2], key[3], key[1])
        self._by_geometry[key] = view
        return view

    def written(self, t: torch.Tensor) -> bool:
        """False if t's storage was allocated by the replay and nothing has written to it."""
        version = self.allocated.get(t.untyped_storage().data_ptr())
        return version is None or t._version != version
