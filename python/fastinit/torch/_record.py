"""deferred_init(): build a model on the meta device and record how its constructor initializes
it, so that materialize_() can replay exactly that code on real memory.

A model built on the meta device has shapes and no values. Its constructor decided the values
(layer scales of 1e-6, rotary frequencies, position ids, BatchNorm statistics, a custom
parameter's ``torch.randn(d) * 0.02``) and they are lost. Inside deferred_init(), a
TorchDispatchMode records every aten operation the construction runs, with its arguments;
replaying the operations in order on real tensors recomputes every parameter and buffer as the
constructor would, with random draws made by fastinit (materialize_ replays inside accelerate()).

The recording and its replay are in _recording.py; this module makes it: the dispatch mode, the
hooks that note where modules register tensors, and the registry materialize_ looks models up in.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Callable

import torch
from torch.nn.modules.module import (
    register_module_buffer_registration_hook,
    register_module_parameter_registration_hook,
)
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

from ._meta_init import META_SKIPPING
from ._recording import (
    ALLOCATIONS,
    HF_INITIALIZED,
    Owner,
    Recording,
    freeze,
    held_by,
    held_storages,
    leaves,
    refs,
)
from ._semantics import LAZY_TENSORS

__all__ = ["deferred_init", "forget", "recorded_module", "recording_of"]


class _Recorder(TorchDispatchMode):  # type: ignore[no-untyped-call]  # torch leaves it unannotated
    def __init__(self, recording: Recording) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.recording = recording

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        try:
            out = func(*args, **kwargs)
        except Exception as exc:
            first_line = (str(exc).splitlines() or [""])[0][:160]  # (a message may be empty)
            self.recording.failed.append(f"{func} ({type(exc).__name__}: {first_line})")
            if not isinstance(exc, RuntimeError) or "meta tensors" not in str(exc):
                raise
            # code that reads values (.item(), .tolist(), a data-dependent shape) cannot run on
            # the meta device: say where, and what to do (HF's resize_token_embeddings(n) averages
            # the old rows)
            raise RuntimeError(
                f"deferred_init(): {func} reads tensor values, which the meta device does not have ({exc}); "
                "run that code after materialize_"
            ) from exc
        if (
            isinstance(out, torch.Tensor)
            and not out.is_meta
            and (func in ALLOCATIONS or _draws_anew(func, args, out))
        ):
            self.recording.allocated_on_cpu.add(int(out.untyped_storage()._cdata))
        frozen = (
            func, tree_map(freeze, args), tree_map(freeze, kwargs), tree_map(freeze, out),
            torch.get_default_dtype(),
        )  # fmt: skip
        self.recording.ops.append(frozen)
        return out


# torch.tensor(data) and its kin build a meta tensor from data without an aten operation, so the
# values would be lost: inside deferred_init() they are made on the CPU and moved to the meta
# device, a copy the recording sees (with the CPU tensor as its input).
_FROM_DATA = frozenset((torch.tensor, torch.as_tensor, torch.asarray, torch.Tensor.new_tensor))


class _DataOnTheCpu(TorchFunctionMode):
    def __torch_function__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        if func in _INDEXING and isinstance(args[0], torch.Tensor) and args[0].is_meta:
            return func(args[0], _index_on_meta(args[1]), *args[2:], **kwargs)
        if func not in _FROM_DATA or kwargs.get("device") not in (None, "meta", torch.device("meta")):
            return func(*args, **kwargs)
        requires_grad = kwargs.pop("requires_grad", False)
        on_cpu = func(*args, **{**kwargs, "device": "cpu"})
        return on_cpu.to("meta").requires_grad_(requires_grad)


# w[[0, 2]] = v on a meta tensor: torch turns the list into an index tensor on w's device
# without an aten operation, so the indices would be lost as torch.tensor's data would. Inside
# deferred_init() such lists become index tensors made on the CPU and moved, as torch.tensor's do.
_INDEXING = frozenset((torch.Tensor.__getitem__, torch.Tensor.__setitem__))


def _index_on_meta(index: Any) -> Any:
    """index with each list or tuple of numbers that torch would make an index tensor of made
    one the recording sees: by torch's rule, a top-level list of fewer than 32 items is a tuple
    of indices if an item is None, Ellipsis, a slice, a tensor or a sequence, else one index;
    its integer indices int64, booleans a mask (uint8 too), other numbers truncated to int64."""
    if isinstance(index, list) and not (len(index) < 32 and any(_tuple_item(i) for i in index)):
        return _index_tensor(index)
    if isinstance(index, (list, tuple)):  # (a list stays one: torch's rule and warning for it)
        return type(index)(_index_tensor(i) if isinstance(i, (list, tuple)) else i for i in index)
    return index


def _tuple_item(item: Any) -> bool:
    return item is None or item is Ellipsis or isinstance(item, (slice, torch.Tensor, list, tuple))


def _index_tensor(data: Any) -> torch.Tensor:
    inferred = torch.tensor(data, device="cpu")
    keep = inferred.dtype in (torch.bool, torch.uint8)
    return (inferred if keep else torch.tensor(data, dtype=torch.int64, device="cpu")).to("meta")


@contextlib.contextmanager
def _nn_init_recorded_on_meta() -> Iterator[None]:
    """torch.nn.init's functions that return at once on a meta tensor (they dispatch nothing
    torch can see) run as recorded operations of the same law (_meta_init.py) while the block
    lasts; on other tensors they run as they are. (Code that imported them by name before keeps
    the originals.)"""
    originals = {name: getattr(torch.nn.init, name) for name in META_SKIPPING}

    def on_meta(name: str) -> Callable[..., Any]:
        original, recorded = originals[name], META_SKIPPING[name]

        def init(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            return (recorded if tensor.is_meta else original)(tensor, *args, **kwargs)

        return init

    try:
        for name in originals:
            setattr(torch.nn.init, name, on_meta(name))
        yield
    finally:
        for name, original in originals.items():
            setattr(torch.nn.init, name, original)


# meta storage of a module's parameter or buffer -> the recording whose operations made it. A
# recording holds its tensors alive, so a storage address cannot be reused while its entry
# exists; materialize_ removes each model's entries (forget), and the recording goes with the
# last (one nobody materializes stays, with the meta tensors and small CPU inputs it holds).
_RECORDINGS: dict[int, Recording] = {}


def recording_of(t: torch.Tensor) -> Recording | None:
    """The recording of the deferred_init() block that made the meta tensor t, if any."""
    return _RECORDINGS.get(t.untyped_storage()._cdata) if t.is_meta else None


def recorded_module(module: torch.nn.Module) -> bool:
    """Whether a deferred_init() block that nobody has materialized registered tensors on module
    (one that holds other tensors now: sharded by fully_shard after the block)."""
    return any(
        owner[0]() is module
        for r in set(_RECORDINGS.values())
        for owners in r.owners.values()
        for owner in owners
    )


def forget(recording: Recording, tensors: Iterable[torch.Tensor]) -> None:
    """Drop the registry entries of these meta tensors' storages (a model just materialized), and
    those of the recording's storages that no module holds any more (a weight replaced after it
    was registered: the untied output layer that tie_weights drops). Other models built in the
    same block keep finding the recording through their own tensors; once no entry is left,
    nothing holds the recording."""
    for t in tensors:
        key = t.untyped_storage()._cdata
        if _RECORDINGS.get(key) is recording:
            del _RECORDINGS[key]
    for key in [k for k, r in _RECORDINGS.items() if r is recording]:
        if not any(_still_holds(owner, key) for owner in recording.owners.get(key, ())):
            del _RECORDINGS[key]


def _still_holds(owner: Owner, key: int) -> bool:
    """Does the owner's module still hold a meta tensor on storage `key` under that name?"""
    t = held_by(owner)
    if t is None or isinstance(t, LAZY_TENSORS):  # (a lazy module's stand-in for what it registered)
        return False
    return t.is_meta and t.untyped_storage()._cdata == key


@contextlib.contextmanager
def _registered_storages(on_register: Callable[[], None]) -> Iterator[dict[int, list[Owner]]]:
    """The storages of the parameters and buffers that modules register while the block lasts
    (meta ones, and real ones a constructor made), with where each was registered: the tensors
    models hold, which materialize_ looks the recording up by (a constructor's temporaries are
    not among them). on_register() runs at each registration."""
    found: dict[int, list[Owner]] = {}

    def note(is_parameter: bool) -> Callable[[torch.nn.Module, str, torch.Tensor | None], None]:
        def hook(module: torch.nn.Module, name: str, t: torch.Tensor | None) -> None:
            on_register()
            if t is not None and not isinstance(t, LAZY_TENSORS):  # (a lazy module's has no storage yet)
                found.setdefault(int(t.untyped_storage()._cdata), []).append(
                    (weakref.ref(module), name, is_parameter)
                )

        return hook

    handles = [
        register_module_parameter_registration_hook(note(True)),
        register_module_buffer_registration_hook(note(False)),
    ]
    try:
        yield found
    finally:
        for handle in handles:
            handle.remove()


def _note_made_on_cpu(recording: Recording, held: dict[int, list[Owner]]) -> None:
    """Record the real tensors the block allocated that modules still hold and whose values the
    replay cannot stand behind (made_on_cpu): nothing wrote them (uninitialized memory, or the
    draw that allocated them) or a random operation did (torch's generator, not the seed). A
    deterministic fill is kept."""
    candidates = recording.allocated_on_cpu & held.keys()
    writers: dict[int, list[str]] = {key: [] for key in candidates}
    for func, args, kwargs, _, _ in recording.ops if candidates else ():
        for t in leaves(_written_arguments(func, args, kwargs)):
            if not isinstance(t, torch.Tensor) or t.is_meta:
                continue  # (meta tensors are _Refs in the recording; a real one is itself)
            key = int(t.untyped_storage()._cdata)
            if key in writers:
                writers[key].append(func.overloadpacket.__name__)
    for key in candidates:
        if writers[key] and not _RANDOM_OPS.intersection(writers[key]):
            continue  # computed by the constructor from constants: the same on any replay
        for owner in held[key]:
            held_now = held_by(owner)
            if (
                held_now is not None
                and not held_now.is_meta
                and int(held_now.untyped_storage()._cdata) == key
            ):
                recording.made_on_cpu.append((owner, weakref.ref(held_now), held_now._version))
    recording.allocated_on_cpu.clear()


def _written_arguments(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The arguments an aten operation writes (self of uniform_, out=): by its schema; the
    others it only reads (nn.Parameter's detach). The recording's own markers (HF_INITIALIZED)
    write nothing."""
    schema = getattr(func, "_schema", None)
    if schema is None:
        return []
    return [
        args[i] if i < len(args) else kwargs.get(a.name)
        for i, a in enumerate(schema.arguments)
        if a.alias_info is not None and a.alias_info.is_write
    ]


def _draws_anew(func: Any, args: tuple[Any, ...], out: torch.Tensor) -> bool:
    """Whether func made `out` in new memory of torch's generator's values: a factory that
    ignores the meta device (torch.normal(mean, std, size=...): HF DiffLlama's lambdas)."""
    if func.overloadpacket.__name__ not in _RANDOM_OPS:
        return False
    key = int(out.untyped_storage()._cdata)
    return all(
        t.is_meta or int(t.untyped_storage()._cdata) != key
        for t in leaves(args)
        if isinstance(t, torch.Tensor)
    )


# aten operations whose values come from torch's generator
_RANDOM_OPS = frozenset(
    ("uniform_", "normal_", "random_", "bernoulli_", "bernoulli", "exponential_", "geometric_", "log_normal_",
     "cauchy_", "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "multinomial",
     "normal", "poisson")
)  # fmt: skip


class _PostInitMarker:
    """While a block lasts, HF transformers' PreTrainedModel.post_init appends an HF_INITIALIZED
    marker to the recording when it returns. transformers loads its modeling code lazily, so
    the method is wrapped (once) as soon as that code is imported: at the block's start, or when
    a module registers a tensor in it (a model under construction), never by importing it."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.wrapped: tuple[Any, Any] | None = None

    def ensure(self) -> None:
        if self.wrapped is not None:
            return
        model_class = getattr(sys.modules.get("transformers.modeling_utils"), "PreTrainedModel", None)
        if model_class is None:
            return
        original, recording = model_class.post_init, self.recording

        def post_init(model: Any, *args: Any, **kwargs: Any) -> Any:
            out = original(model, *args, **kwargs)
            marker = (weakref.ref(model), held_storages(model))
            recording.ops.append((HF_INITIALIZED, marker, {}, None, torch.get_default_dtype()))
            return out

        model_class.post_init = post_init
        self.wrapped = (model_class, original)

    def restore(self) -> None:
        if self.wrapped is not None:
            self.wrapped[0].post_init = self.wrapped[1]
            self.wrapped = None


@contextlib.contextmanager
def deferred_init() -> Iterator[Recording]:
    """Build modules on the meta device, recording how their code initializes them.

    ``with fastinit.torch.deferred_init(): model = MyModel()`` allocates nothing: parameters and
    buffers are meta tensors, as under ``torch.device("meta")``. Every aten operation of the
    construction is recorded, so that ``materialize_(model, seed=s)`` can replay it on real
    memory: the layer scales, rotary frequencies, position ids, normalization statistics and
    custom parameters the constructor computes come out as the constructor computes them, and
    the random draws are fastinit's. Build models inside the block, do not run them. Yields the
    Recording.

    Libraries that skip their own initialization when they see the meta device (HF
    transformers' ``post_init``) are initialized by materialize_ as they initialize missing
    weights. The replay runs each operation under torch's default dtype as it was recorded (HF
    builds a bfloat16 model by setting it), which is process-wide, as HF's own setting is: other
    threads making tensors during materialize_ see it.

    Yields
    ------
    Recording
        What the block's constructors did (materialize_ finds it from the model's tensors).

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> with ft.deferred_init():
    ...     model = torch.nn.Linear(4, 8)
    >>> model.weight.is_meta
    True
    >>> ft.materialize_(model, seed=0).weight.is_meta
    False
    """
    recording = Recording()
    marker = _PostInitMarker(recording)
    marker.ensure()
    with _registered_storages(marker.ensure) as held:
        try:
            with torch.device("meta"), _DataOnTheCpu(), _Recorder(recording), _nn_init_recorded_on_meta():
                yield recording
        finally:
            marker.restore()
            made = {ref.geometry[0] for op in recording.ops for ref in refs(op[3])}
            recording.owners = {key: owners for key, owners in held.items() if key in made}
            _note_made_on_cpu(recording, held)
            for owners in held.values():
                for module in {m for m in (owner[0]() for owner in owners) if m is not None}:
                    recording.params_at_end[module] = {
                        attr: weakref.ref(t) for attr, t in module._parameters.items() if t is not None
                    }
            for key in recording.owners or made:  # no module registered anything: every storage
                _RECORDINGS[key] = recording
