"""materialize_(): a model built on the meta device, in real memory, with every parameter and
buffer initialized by the code that defines it — or an error that names what could not be.

Two routes, one check:

* built inside ``deferred_init()``: the recorded construction is replayed on real memory
  (_record.py records it, _recording.py replays it) — exactly the constructor's values, random
  draws by fastinit;
* built under plain ``torch.device("meta")``: CPU memory for each meta tensor (ties kept), then the code that
  owns each tensor: HF transformers' ``initialize_weights()`` (what ``from_pretrained`` runs for
  missing weights: parameters, rotary frequencies, position ids, norm statistics) and, for the
  layers of torch.nn, their ``reset_parameters()``. A module of another library has code in its
  constructor that cannot be re-run, so its tensors can only come from a fastinit policy, or
  from a deferred_init() build.

Then, under any policy but "model", init_module_ re-initializes the parameters by that policy.
Every tensor that nothing wrote (its version counter never moved) is an error naming it
(``on_uninitialized="warn"``: a warning), and holds NaN (or its dtype's lowest value) so that it
cannot pass for a trained value.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, cast

import torch
from torch import nn

from fastinit.engine.streams import stream_version_of
from fastinit.engine.torch_seeds import seed_from_torch

from .._docstrings import documented
from ._accelerate import accelerate
from ._hf_init import hf_initialize, named_tensors, retie_loaded
from ._init_module import POLICIES, reinitialize
from ._meta_ties import Place, set_aside, tie_owners
from ._model_checks import (
    check_moe_reachable,
    check_no_lazy,
    check_not_sharded_after_recording,
    check_plain_meta_build,
    held_garbage,
    is_torch_layer,
)
from ._record import forget, recording_of
from ._recording import REPLAYS, Replayed, held_by
from ._structure import hf_models

__all__ = ["NotInitializedError", "materialize_"]


@documented
class NotInitializedError(RuntimeError):
    """materialize_ found parameters or buffers that no initialization code wrote.

    A RuntimeError; the message names every such tensor (they hold NaN).

    <exception parameters>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> class Scale(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = torch.nn.Parameter(torch.empty(3))  # no code fills it
    >>> with ft.deferred_init():
    ...     model = Scale()
    >>> try:
    ...     ft.materialize_(model, seed=0)
    ... except ft.NotInitializedError as error:
    ...     print(error)
    materialize_: no code initialized 1 tensor(s): w. They hold NaN. The model's code leaves them empty
    """


def materialize_(
    model: nn.Module,
    policy: str = "model",
    seed: int | None = None,
    *,
    device: Any = "cpu",
    on_uninitialized: str = "raise",
    stream_version: int | None = None,
) -> nn.Module:
    """Give a model built on the meta device real memory and initialize all of it; return it.

    Parameters
    ----------
    model : torch.nn.Module
        Built under ``fastinit.torch.deferred_init()`` (every constructor's initialization is
        replayed exactly) or under ``torch.device("meta")``. Tensors already in memory (loaded
        with ``load_state_dict(assign=True)``) are kept; with nothing on the meta device, this
        does nothing.
    policy : str
        ``"model"``: the values the model's own code gives, drawn by fastinit — the replayed
        construction, then HF transformers' ``initialize_weights()`` for HF models. For a plain
        meta build of a model that is neither an HF model nor made only of torch.nn layers,
        "model" raises ValueError: its constructor's initialization is unknown. On any plain
        meta build, a tensor tied between layers that initialize it differently is written by
        none of them (which one made it is not recorded) unless HF names the tie's source, and
        a tensor a constructor made in memory despite the meta device is kept as if loaded. Any
        ``init_module_`` policy but "mup" ("torch", "xavier", "kaiming", "lecun", "normal",
        "gpt2", ...): buffers and structure as under "model" where known, parameters by the
        policy. For µP, materialize and then call ``mup_(model, base)``.
    seed : int, optional
        Every value is a function of the seed; None draws one from torch's default generator.
    device : str or torch.device
        Where the model ends up; it is initialized on the CPU and moved.
    on_uninitialized : {"raise", "warn"}
        What to do about parameters or buffers that no code wrote, and about parameters of a
        plain meta build that hold leftover memory.
    stream_version : {1, 2}, optional
        The stream version of a policy's draws, as in init_module_ (default
        fastinit.default_stream_version()); the model's own code draws in the default.

    Returns
    -------
    torch.nn.Module
        The model, in place.

    Raises
    ------
    ValueError
        A bad argument, or "model" for a plain meta build whose constructor's initialization
        cannot be known; under another policy, what init_module_ refuses (a lazy module's
        uninitialized tensors, mixture-of-experts weights), before anything is materialized.
    NotInitializedError
        (a RuntimeError) listing every parameter and buffer left unwritten; they hold NaN. Also
        for a deferred_init() construction the replay cannot reproduce: code that caught an
        error of the meta device (before anything is materialized), or tensors made on the CPU
        by legacy constructors, holding uninitialized memory or a draw of torch's generator,
        that no initialization code sets (an HF model's own init does set XLNet's and
        Wav2Vec2's). For a plain meta build, parameters in memory holding NaN, infinities or
        magnitudes above 1e30, before anything is materialized.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> with ft.deferred_init():
    ...     model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    >>> ft.materialize_(model, seed=0)[1].running_var.tolist() == [1.0] * 8
    True
    """
    fn = "materialize_"
    if policy == "mup":
        raise ValueError(
            f"{fn}: policy 'mup' needs a base model: materialize_ first, then call mup_(model, base)"
        )
    if policy != "model" and policy not in POLICIES:
        raise ValueError(f"{fn}: policy={policy!r} is not 'model' or one of {', '.join(map(repr, POLICIES))}")
    if on_uninitialized not in ("raise", "warn"):
        raise ValueError(f"{fn}: on_uninitialized={on_uninitialized!r} is not 'raise' or 'warn'")
    policy_version = stream_version_of(fn, stream_version, None)
    target = torch.device(device)
    tensors = named_tensors(model)
    meta = [entry for entry in tensors if entry[4].is_meta]
    if not meta:  # everything is in memory already (loaded, or materialized before)
        return model
    recording = next((r for r in (recording_of(entry[4]) for entry in meta) if r is not None), None)
    check_not_sharded_after_recording(fn, meta, recording)
    if policy != "model":
        check_no_lazy(fn, model)
        check_moe_reachable(fn, model, policy)
    made = _made_on_cpu(recording, model) if recording is not None else []
    if made and not hf_models(model):
        _refuse_made_on_cpu(fn, [name for name, _, _ in made])
    if recording is not None and recording.failed:
        raise NotInitializedError(
            f"{fn}: while the model was built inside deferred_init(), {recording.failed[0]} raised on the meta "
            "device and the model's code caught it and went on, as it would not on real tensors, so the "
            "recording cannot be replayed (torch's parametrizations.orthogonal does this). Build the model "
            "on the CPU (under fastinit.torch.accelerate() for speed), or add that part after materialize_"
        )
    if recording is None and policy == "model":
        check_plain_meta_build(fn, model)
    garbage = held_garbage(model) if recording is None else []
    if garbage:
        _report(
            on_uninitialized,
            f"{fn}: {', '.join(garbage)} {'holds' if len(garbage) == 1 else 'hold'} NaN, infinities or "
            "magnitudes above 1e30: leftover memory, not weights. A legacy constructor (torch.Tensor(n), torch.FloatTensor(...): HF XLNet's) ignores "
            "torch.device('meta'), and without a deferred_init() recording its tensor cannot be told from a loaded "
            "one. Build the model inside fastinit.torch.deferred_init(), or load those tensors first",
        )
    if seed is None:
        seed = seed_from_torch(torch.default_generator)
    loaded = {id(t) for _, _, _, _, t in tensors if not t.is_meta}  # e.g. by load_state_dict(assign=True)
    loaded -= {id(t) for _, t, _ in made}  # an HF model's own init draws those (XLNet's, Wav2Vec2's)
    if recording is not None:
        retie_loaded(model, recording, loaded)
    unknown_ties: list[list[str]] = []
    with accelerate(seed=seed):
        initialized: set[int] = set()  # HF models initialized where their post_init returned
        if recording is not None:
            written = _replay(fn, model, recording, loaded, initialized)
            forget(recording, [entry[4] for entry in meta])
        else:
            not_owners, unknown_ties = tie_owners(model)
            written = _allocate(fn, model, loaded, not_owners)
        for hf in hf_models(model):
            if id(hf) not in initialized:
                hf_initialize(hf, loaded)
        if policy != "model":
            reinitialize(  # (what it leaves unwritten is reported below)
                model, policy, seed, keep=loaded, warn_kept=False, stream_version=policy_version
            )
    left = [name for name, t, version in made if t._version == version]
    if left:
        _refuse_made_on_cpu(fn, left)
    missing = [name for name, _, _, _, t in named_tensors(model) if not written(t)]
    if missing:
        _poison(model, set(missing))
        message = (
            f"{fn}: no code initialized {len(missing)} tensor(s): {', '.join(missing)}. They hold NaN. "
            + ("Build the model inside fastinit.torch.deferred_init() so that its constructor is replayed, or "
               "initialize them yourself (on_uninitialized='warn')" if recording is None else
               "The model's code leaves them empty")
            + "".join(f". {' and '.join(tie)} hold one tensor, made by one of their layers, and a meta build "
                      "does not record which" for tie in unknown_ties if set(tie) & set(missing))
        )  # fmt: skip
        _report(on_uninitialized, message)
    _move_lazy(model, target)
    if target.type != "cpu":
        model.to(target)
    return model


def _report(on_uninitialized: str, message: str) -> None:
    if on_uninitialized == "raise":
        raise NotInitializedError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def _move_lazy(model: nn.Module, device: torch.device) -> None:
    """A lazy module's uninitialized parameters and buffers, made on the meta device, are made
    anew on `device` (they have no values to copy): its first forward creates them there."""
    for module in model.modules():
        for name, p in module._parameters.items():
            if isinstance(p, nn.parameter.UninitializedParameter) and p.device != device:
                module._parameters[name] = nn.parameter.UninitializedParameter(
                    p.requires_grad, device, p.dtype
                )
        for name, b in module._buffers.items():
            if isinstance(b, nn.parameter.UninitializedBuffer) and b.device != device:
                module._buffers[name] = nn.parameter.UninitializedBuffer(  # (torch's stub types it wrongly)
                    requires_grad=b.requires_grad,
                    device=device,
                    dtype=b.dtype,  # type: ignore[call-arg]
                )


def _made_on_cpu(recording: Any, model: nn.Module) -> list[tuple[str, torch.Tensor, int]]:
    """(path, tensor, version) of the real tensors the deferred_init() block made (torch.Tensor(n),
    torch.FloatTensor(...): legacy constructors ignore the meta device) that the model's modules
    still hold unchanged, with no values of the construction's own (uninitialized memory, or a
    draw of torch's generator): not the seed's. Loaded ones (copied into, or replaced) are not."""
    names = {id(m): n for n, m in model.named_modules(remove_duplicate=False)}
    made: list[tuple[str, torch.Tensor, int]] = []
    for owner, ref, version in recording.made_on_cpu:
        t, current = ref(), held_by(owner)
        if t is None or current is None or current is not t or t._version != version:
            continue  # gone, replaced (loaded with assign=True), or written since
        prefix = names.get(id(owner[0]()), type(owner[0]()).__name__)
        made.append((f"{prefix}.{owner[1]}" if prefix else owner[1], t, version))
    return made


def _refuse_made_on_cpu(fn: str, names: list[str]) -> None:
    """NotInitializedError naming the tensors _made_on_cpu found that no code then wrote."""
    names = list(dict.fromkeys(names))
    raise NotInitializedError(
        f"{fn}: {', '.join(names)} {'was' if len(names) == 1 else 'were'} made on the CPU while the model was "
        "built inside deferred_init() (by torch.Tensor(n), torch.FloatTensor(...) or torch.normal(mean, std, "
        "size=...), which ignore the meta device), holding uninitialized memory or torch's generator's draw, and no "
        "initialization code of the model sets them. Build the model under fastinit.torch.accelerate(seed=...) "
        "instead, or load those tensors first"
    )


def _bind(
    fn: str, model: nn.Module, real_of: Callable[[torch.Tensor], torch.Tensor], partial: bool = False
) -> None:
    """Replace every meta parameter and buffer by real_of(it), one real tensor per meta tensor
    object (a tensor tied under several names stays tied). real_of raising KeyError: a
    ValueError naming those tensors, or, partial, they stay as they are (not replayed yet)."""
    real: dict[int, torch.Tensor] = {}
    unknown = []
    for name, module, attr, is_param, t in named_tensors(model):
        if not t.is_meta:
            continue
        new = real.get(id(t))
        if new is None:
            try:
                value = real_of(t)
            except KeyError:
                unknown.append(name)
                continue
            new = nn.Parameter(value, requires_grad=t.requires_grad) if is_param else value
            setattr(new, REPLAYS, int(t.untyped_storage()._cdata))
            real[id(t)] = new
        if is_param:
            module._parameters[attr] = cast(nn.Parameter, new)
        else:
            module._buffers[attr] = new
    if unknown and not partial:
        raise ValueError(f"{fn}: {', '.join(unknown)} were made on the meta device outside the deferred_init() "
                         "block that built the rest of the model; nothing records their values")  # fmt: skip


def _replay(
    fn: str, model: nn.Module, recording: Any, loaded: set[int], initialized: set[int]
) -> Callable[[torch.Tensor], bool]:
    """Replay the recording and put its real tensors in the model. Returns the written-check.
    Where an HF model of `model` finished its constructor (an HF_INITIALIZED marker), the
    tensors replayed so far are put in it and HF's initialization runs there, as post_init
    runs it off the meta device, so that what the block did to the model afterwards (an
    adapter, the caller's own init, loaded weights) is replayed over it; its id goes into
    `initialized`."""
    tops = {id(hf) for hf in hf_models(model)}

    def hf_initialized(hf: nn.Module, replayed: Replayed, check: Callable[[], None]) -> None:
        if id(hf) in tops:
            check()
            _bind(fn, hf, replayed.real, partial=True)
            hf_initialize(hf, loaded, retie=False)
            initialized.add(id(hf))

    try:
        replayed: Replayed = recording.replay(torch.device("cpu"), hf_initialized)
    except KeyError:  # an operation's input is a meta tensor the recording did not make
        raise ValueError(
            f"{fn}: the construction recorded inside deferred_init() used a meta tensor the recording did "
            "not make (a DTensor from distribute_tensor, or a tensor made before the block), so it cannot "
            "be replayed; build that part outside deferred_init(), or build under torch.device('meta') "
            "and use a policy"
        ) from None
    _bind(fn, model, replayed.real)
    return replayed.written


def _allocate(
    fn: str, model: nn.Module, loaded: set[int], not_owners: list[Place]
) -> Callable[[torch.Tensor], bool]:
    """CPU memory for every meta tensor (ties kept), then the reset_parameters() of each
    torch.nn layer with a meta tensor in it or below it (children before parents, as
    constructors run: nn.Transformer, which holds no tensor itself, re-draws its layers' weights
    after they have made them; a layer's tensors that were already in memory are put back; a
    tie's place in not_owners gets a scratch tensor meanwhile). Returns the written-check: a
    new tensor whose version counter has not moved was not written."""
    pending = {id(m) for m in model.modules() if any(t.is_meta for t in _subtree_tensors(m))}
    _bind(fn, model, lambda t: torch.empty_like(t, device="cpu"))
    versions = {id(t): _version(t) for _, _, _, _, t in named_tensors(model) if id(t) not in loaded}
    with torch.no_grad(), set_aside(not_owners):
        for module in _post_order(model):
            if is_torch_layer(module) and id(module) in pending:
                reset = getattr(module, "reset_parameters", None) or getattr(
                    module, "_reset_parameters", None
                )
                if reset is not None:
                    saved = [(t, t.clone()) for t in _subtree_tensors(module) if id(t) in loaded]
                    reset()
                    for t, value in saved:
                        t.copy_(value)
    return lambda t: id(t) not in versions or _version(t) != versions[id(t)]


def _version(t: torch.Tensor) -> int:
    """t's version counter; a DTensor's, plus its local tensor's: torch's in-place operations
    move the DTensor's counter alone, fastinit's fills of the shard (init_module_) the local's."""
    local = getattr(t, "_local_tensor", None)
    return t._version + (local._version if local is not None else 0)


def _subtree_tensors(module: nn.Module) -> list[torch.Tensor]:
    return [*module.parameters(), *module.buffers()]


def _post_order(module: nn.Module) -> list[nn.Module]:
    order: list[nn.Module] = []
    for child in module.children():
        order += _post_order(child)
    return [*order, module]


def _poison(model: nn.Module, names: set[str]) -> None:
    with torch.no_grad():
        for name, _, _, _, t in named_tensors(model):
            if name in names and not t.is_meta:
                if t.is_floating_point() or t.is_complex():
                    t.fill_(math.nan)
                else:
                    t.fill_(False if t.dtype == torch.bool else torch.iinfo(t.dtype).min)
