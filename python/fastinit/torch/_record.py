"""deferred_init(): build a model on the meta device and record how its constructor initializes
it, so that materialize_() can replay exactly that code on real memory.

A model built on the meta device has shapes and no values. Its constructor decided the values
(layer scales of 1e-6, rotary frequencies, position ids, BatchNorm statistics, a custom
parameter's ``torch.randn(d) * 0.02``) and they are lost. Inside deferred_init(), a
TorchDispatchMode records every aten operation the construction runs, with its arguments;
replaying the operations in order on real tensors recomputes every parameter and buffer as the
constructor would, with random draws made by fastinit (materialize_ replays inside accelerate()).

Tensors are matched by storage: the recorded program maps each meta storage to the real tensor
that the replayed operation produced for it, so ``nn.Parameter(t)`` (which shares t's storage
without an aten operation), views and in-place updates all find their real counterpart. Where a
tensor lies (storage, offset, shape, strides) is captured when the operation runs: code may
later point the same Python object at other memory (``param.data = ...``).
"""

from __future__ import annotations

import contextlib
import functools
import sys
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Callable, Optional

import torch
from torch.nn.modules.module import (
    register_module_buffer_registration_hook,
    register_module_parameter_registration_hook,
)
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map

from ._meta_init import META_SKIPPING
from ._semantics import LAZY_TENSORS

__all__ = [
    "HF_INITIALIZED",
    "REPLAYS",
    "Recording",
    "deferred_init",
    "forget",
    "held_by",
    "recorded_module",
    "recording_of",
]

aten = torch.ops.aten

# Operations that allocate without writing: their outputs hold no values until written.
_ALLOCATIONS = frozenset(
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


def _held_storages(model: torch.nn.Module) -> frozenset[int]:
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


def _freeze(value: Any) -> Any:
    return _Ref(value) if isinstance(value, torch.Tensor) and value.is_meta else value


def _leaves(value: Any) -> Iterator[Any]:
    """A recorded value itself, or what it holds nested in tuples and lists."""
    if isinstance(value, (tuple, list)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _refs(value: Any) -> Iterator[_Ref]:
    """The meta tensors (_Refs) in a recorded value."""
    return (v for v in _leaves(value) if isinstance(v, _Ref))


def _geometry(t: torch.Tensor) -> Geometry:
    storage = int(t.untyped_storage()._cdata)
    return (storage, int(t.storage_offset()), tuple(t.shape), tuple(t.stride()), t.dtype)


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
                if next(_refs((out, args, tuple(kwargs.values()))), None) is None:
                    continue
                real_args = tree_map(replayed.real, args)
                real_kwargs = {
                    k: replayed.device_of(v) if k == "device" else tree_map(replayed.real, v)
                    for k, v in kwargs.items()
                }
                if dtype is not torch.get_default_dtype():
                    torch.set_default_dtype(dtype)
                real_out = func(*real_args, **real_kwargs)
                replayed.bind(out, real_out, allocated=func in _ALLOCATIONS)
        finally:
            torch.set_default_dtype(default_dtype)
        return replayed

    def _check_reads(self, model: torch.nn.Module, held: frozenset[int], at: int) -> None:
        dropped = held - _held_storages(model)
        if not dropped:
            return
        for func, args, kwargs, _, _ in self.ops[at + 1 :]:
            if any(ref.geometry[0] in dropped for ref in _refs((args, tuple(kwargs.values())))):
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
        if func in _ALLOCATIONS and isinstance(out, torch.Tensor) and not out.is_meta:
            self.recording.allocated_on_cpu.add(int(out.untyped_storage()._cdata))
        frozen = (
            func, tree_map(_freeze, args), tree_map(_freeze, kwargs), tree_map(_freeze, out),
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
        if func not in _FROM_DATA or kwargs.get("device") not in (None, "meta", torch.device("meta")):
            return func(*args, **kwargs)
        requires_grad = kwargs.pop("requires_grad", False)
        on_cpu = func(*args, **{**kwargs, "device": "cpu"})
        return on_cpu.to("meta").requires_grad_(requires_grad)


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


# Where a meta tensor was registered: its module (weakly: the recording must not keep models
# alive), the name, and whether it is a parameter.
Owner = tuple[Callable[[], Optional[torch.nn.Module]], str, bool]


def held_by(owner: Owner) -> torch.Tensor | None:
    """What the owner's module holds under that name now (None if the module is gone)."""
    module = owner[0]()
    return None if module is None else (module._parameters if owner[2] else module._buffers).get(owner[1])


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
    replay cannot stand behind (made_on_cpu): nothing wrote them (uninitialized memory) or a
    random operation did (torch's generator, not the seed). A deterministic fill is kept."""
    candidates = recording.allocated_on_cpu & held.keys()
    writers: dict[int, list[str]] = {key: [] for key in candidates}
    for func, args, kwargs, _, _ in recording.ops if candidates else ():
        for t in _leaves((args, tuple(kwargs.values()))):
            if not isinstance(t, torch.Tensor) or t.is_meta:
                continue  # (meta tensors are _Refs in the recording; a real one is itself)
            key = int(t.untyped_storage()._cdata)
            if key in writers and func not in _ALLOCATIONS:
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
            marker = (weakref.ref(model), _held_storages(model))
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
            made = {ref.geometry[0] for op in recording.ops for ref in _refs(op[3])}
            recording.owners = {key: owners for key, owners in held.items() if key in made}
            _note_made_on_cpu(recording, held)
            for key in recording.owners or made:  # no module registered anything: every storage
                _RECORDINGS[key] = recording
