"""accelerate(): every random draw torch makes on a CPU float tensor, done by fastinit.

Libraries wrap and replace torch.nn.init's functions (HF transformers' guards, timm's own
trunc_normal_), so accelerate() does not look at functions: it sits in torch's dispatcher, a
TorchDispatchMode, where every one of them ends as aten operations. There it

* draws the aten random fills of CPU float tensors (``uniform_``, ``normal_``, ``randn``,
  ``rand``, ``normal`` with numbers, ``randn_like``, ``rand_like``) from fastinit, each call
  taking the next stream of ``fastinit.Generator(seed)``; fills of large tensors are deferred
  (_deferred.py) so that a draw overwritten whole before anyone reads it is never made, and the
  inverse-CDF and rejection steps of truncated normals fold into one fastinit pass (_laws.py);
* runs every other random operation on the CPU (``randperm``, ``randint``, ``bernoulli_``,
  dropout, other dtypes, ...) with torch's own kernel on torch's default CPU generator, which
  the block seeds from seed= on entry and puts back on exit — so ``seed=`` decides every value,
  torch's global generator is left as it was, and inside the block torch's own RNG calls
  (manual_seed, set_rng_state, activation checkpointing's replay) govern these ops as usual;
* passes everything else, and everything on other devices, to torch unchanged.

Deferred fills are also written before Python reads a tensor's memory without an aten
operation (tolist, numpy, data_ptr, untyped_storage, DLPack, pickling; _raw_access.py).
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from fastinit.engine.streams import spawned_seed
from fastinit.engine.torch_seeds import seed_from_torch

from ..engine import streams as _streams
from ..engine.overlap import check_no_overlap
from ..engine.torch_target import dispatches_in_python
from ._aten_args import FLOAT_DTYPES, PLAIN, arg, bounds, fillable, number, operand
from ._deferred import DEFER_MIN_NUMEL, DeferredFills, tensors_in
from ._laws import Constant, DeferredLaw, Normal, Uniform, check_law, value_range
from ._raw_access import written_before_raw_reads
from ._shards import local_shard

__all__ = ["accelerate"]

aten = torch.ops.aten

Handler = Callable[[tuple[Any, ...], dict[str, Any]], Any]


class _DispatchMode(TorchDispatchMode):  # type: ignore[no-untyped-call]  # torch leaves it unannotated
    def __init__(self, generator: _streams.Generator) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.generator = generator
        self.deferred = DeferredFills()
        fill, factory, like = self._fill_op, self._factory_op, self._like_op
        self.handlers: dict[Any, Handler] = {
            aten.uniform_.default: lambda a, k: fill(a[0], Uniform(*bounds(a, k)), k.get("generator")),
            aten.normal_.default: lambda a, k: fill(
                a[0], Normal(arg(a, k, 1, "mean", 0.0), arg(a, k, 2, "std", 1.0)), k.get("generator")
            ),
            aten.randn.default: lambda a, k: factory(a[0], k, Normal(0.0, 1.0)),
            aten.randn.generator: lambda a, k: factory(a[0], k, Normal(0.0, 1.0)),
            aten.rand.default: lambda a, k: factory(a[0], k, Uniform(0.0, 1.0)),
            aten.rand.generator: lambda a, k: factory(a[0], k, Uniform(0.0, 1.0)),
            aten.normal.float_float: lambda a, k: factory(
                arg(a, k, 2, "size", None), k, Normal(arg(a, k, 0, "mean", 0.0), arg(a, k, 1, "std", 1.0))
            ),
            aten.randn_like.default: lambda a, k: like(a[0], k, Normal(0.0, 1.0)),
            aten.randn_like.generator: lambda a, k: like(a[0], k, Normal(0.0, 1.0)),
            aten.rand_like.default: lambda a, k: like(a[0], k, Uniform(0.0, 1.0)),
            aten.rand_like.generator: lambda a, k: like(a[0], k, Uniform(0.0, 1.0)),
            aten.erfinv_.default: lambda a, k: self._fold(a[0], lambda law: law.erfinv()),
            aten.mul_.Tensor: self._scale,
            aten.mul_.Scalar: self._scale,
            aten.div_.Tensor: lambda a, k: self._scale(a, k, divide=True),
            aten.div_.Scalar: lambda a, k: self._scale(a, k, divide=True),
            aten.add_.Tensor: self._shift,
            aten.add_.Scalar: self._shift,
            aten.sub_.Tensor: lambda a, k: self._shift(a, k, sign=-1.0),
            aten.sub_.Scalar: lambda a, k: self._shift(a, k, sign=-1.0),
            aten.clamp_.default: lambda a, k: self._clamp(a[0], arg(a, k, 1, "min", None), arg(a, k, 2, "max", None)),
            aten.clamp_min_.default: lambda a, k: self._clamp(a[0], arg(a, k, 1, "min", None), None),
            aten.clamp_max_.default: lambda a, k: self._clamp(a[0], None, arg(a, k, 1, "max", None)),
            # (every value compares true when, every value compares false when) for values in [lo, hi]
            aten.lt.Scalar: lambda a, k: self._compare(a, lambda lo, hi, c: (hi < c, lo >= c)),
            aten.le.Scalar: lambda a, k: self._compare(a, lambda lo, hi, c: (hi <= c, lo > c)),
            aten.gt.Scalar: lambda a, k: self._compare(a, lambda lo, hi, c: (lo > c, hi <= c)),
            aten.ge.Scalar: lambda a, k: self._compare(a, lambda lo, hi, c: (lo >= c, hi < c)),
            aten.bitwise_or.Tensor: lambda a, k: self._combine(a, lambda x, y: x or y),
            aten.logical_or.default: lambda a, k: self._combine(a, lambda x, y: x or y),
            aten.bitwise_and.Tensor: lambda a, k: self._combine(a, lambda x, y: x and y),
            aten.logical_and.default: lambda a, k: self._combine(a, lambda x, y: x and y),
            aten.any.default: lambda a, k: self._reduce(a[0]),
            aten.all.default: lambda a, k: self._reduce(a[0]),
            aten.fill_.Scalar: lambda a, k: self._overwrite(aten.fill_.Scalar, a, k),
            aten.zero_.default: lambda a, k: self._overwrite(aten.zero_.default, a, k),
            aten.copy_.default: lambda a, k: self._overwrite(aten.copy_.default, a, k),
        }  # fmt: skip

    # -- the dispatcher's entry point ------------------------------------------------------------

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        handler = self.handlers.get(func)
        if handler is not None:
            out = handler(args, kwargs)
            if out is not NotImplemented:
                return out
        # Anything else runs on torch's kernel, a random operation no handler took (dropout, a
        # complex tensor's normal_) too: on torch's default generator, which the block seeded
        # from seed= (_torch_seeded), so torch.manual_seed, set_rng_state and activation
        # checkpointing's replay govern it as in plain torch.
        if self.deferred:
            self.deferred.write_touched(tensors_in((*args, *kwargs.values())))
        return func(*args, **kwargs)

    def _key(self) -> tuple[int, int]:
        """(seed, stream) of the next fill: the next stream of the block's generator."""
        return self.generator.seed, self.generator.take_stream()

    # -- random fills --------------------------------------------------------------------------

    def _fill_op(self, t: Any, law: DeferredLaw, generator: Any) -> Any:
        """t filled by fastinit, or NotImplemented: torch's kernel runs it. A call that names its
        own torch.Generator wants that generator's values (PEFT's VeRA regenerates its saved-
        less projections from a seeded one, under plain torch), so torch's kernel draws it."""
        if generator is not None:
            return NotImplemented
        if type(t) not in PLAIN and dispatches_in_python(t):
            return self._fill_shard(t, law)
        if not fillable(t):
            return NotImplemented
        try:
            check_law(law, t.dtype)
            check_no_overlap("accelerate", tuple(t.shape), t.stride(), 1, "tensor")
        except (TypeError, ValueError):
            return NotImplemented  # torch's kernel runs and reports (or accepts) it
        self.deferred.drop(t)  # overwritten whole: an earlier deferred fill is never written
        seed, stream = self._key()
        # An inference tensor can be written only inside inference_mode: no later write.
        if t.numel() < DEFER_MIN_NUMEL or t.is_inference():
            self.deferred.write_touched((t,))
            law.write(t, seed, stream)
        else:
            self.deferred.record(t, law, seed, stream)
        return t

    def _fill_shard(self, t: Any, law: DeferredLaw) -> Any:
        """A DTensor's fill (FSDP2, tensor parallel): its local shard written at once with the
        values its block has in the whole fill, as fastinit.torch's functions write it (on a CPU
        mesh torch's own draw repeats the same values on every rank). Other subclasses, and a
        DTensor placed otherwise (Partial), go to torch's kernel."""
        try:
            local, shard = local_shard(t, "accelerate")
        except TypeError:
            return NotImplemented
        if not shard or not fillable(local):
            return NotImplemented
        try:
            check_law(law, local.dtype)
        except (TypeError, ValueError):
            return NotImplemented
        seed, stream = self._key()
        law.write(local, seed, stream, **shard)
        return t

    def _factory_op(self, size: Any, kwargs: dict[str, Any], law: DeferredLaw) -> Any:
        device, layout = kwargs.get("device"), kwargs.get("layout")
        if (device is not None and torch.device(device).type != "cpu") or layout not in (None, torch.strided):
            return NotImplemented
        if kwargs.get("pin_memory") or size is None:
            return NotImplemented
        dtype = kwargs.get("dtype") or torch.get_default_dtype()
        if dtype not in FLOAT_DTYPES:
            return NotImplemented
        return self._fill_op(torch.empty(size, dtype=dtype), law, kwargs.get("generator"))

    def _like_op(self, t: Any, kwargs: dict[str, Any], law: DeferredLaw) -> Any:
        options = {k: v for k, v in kwargs.items() if k != "generator"}
        if type(t) not in PLAIN:
            return NotImplemented
        return self._fill_op(torch.empty_like(t, **options), law, kwargs.get("generator"))

    # -- in-place operations on a deferred fill --------------------------------------------------

    def _fold(self, t: Any, rule: Callable[[DeferredLaw], DeferredLaw | None]) -> Any:
        d = self.deferred.exact(t)
        law = rule(d.law) if d is not None else None
        if d is None or law is None:
            return NotImplemented
        try:
            check_law(law, t.dtype)
        except (TypeError, ValueError):
            # Not a law fastinit draws in t's dtype (a nan or inf factor, a float16 range past
            # 65504): the fill is written and torch's kernel computes what it computes.
            return NotImplemented
        d.law = law
        return t

    def _scale(self, args: tuple[Any, ...], kwargs: dict[str, Any], divide: bool = False) -> Any:
        c = operand(args[0], arg(args, kwargs, 1, "other", None))
        if c is None or (divide and c == 0):
            return NotImplemented
        scale = 1.0 / c if divide else c
        return self._fold(args[0], lambda law: law.affine(scale, 0.0))

    def _shift(self, args: tuple[Any, ...], kwargs: dict[str, Any], sign: float = 1.0) -> Any:
        c, alpha = operand(args[0], arg(args, kwargs, 1, "other", None)), number(kwargs.get("alpha", 1))
        if c is None or alpha is None:
            return NotImplemented
        return self._fold(args[0], lambda law: law.affine(1.0, sign * alpha * c))

    def _clamp(self, t: Any, lo: Any, hi: Any) -> Any:
        low = -math.inf if lo is None else number(lo)
        high = math.inf if hi is None else number(hi)
        if low is None or high is None or math.isnan(low) or math.isnan(high):
            return NotImplemented
        return self._fold(t, lambda law: law.clamp(low, high, t.dtype))

    # -- comparisons answered from the law -------------------------------------------------------

    def _compare(
        self, args: tuple[Any, ...], answer: Callable[[float, float, float], tuple[bool, bool]]
    ) -> Any:
        """``t < c`` (and <=, >, >=) for a deferred t whose every possible value gives the same
        answer: a deferred constant mask, and t stays deferred."""
        t, c = args[0], number(args[1])
        d = self.deferred.exact(t)
        if d is None or c is None or math.isnan(c):
            return NotImplemented
        values = value_range(d.law, t.dtype)
        if values is None:
            return NotImplemented
        c = float(torch.tensor(c, dtype=t.dtype))  # the comparison is made in t's dtype
        every_true, every_false = answer(values[0], values[1], c)
        if not (every_true or every_false):
            return NotImplemented
        return self._constant(torch.empty_like(t, dtype=torch.bool), every_true)

    def _combine(self, args: tuple[Any, ...], op: Callable[[bool, bool], bool]) -> Any:
        x, y = (self.deferred.exact(t) if isinstance(t, torch.Tensor) else None for t in args[:2])
        if x is None or y is None or not isinstance(x.law, Constant) or not isinstance(y.law, Constant):
            return NotImplemented
        if args[0].shape != args[1].shape:
            return NotImplemented
        return self._constant(torch.empty_like(args[0]), op(x.law.value, y.law.value))

    def _reduce(self, t: Any) -> Any:
        d = self.deferred.exact(t)
        if d is None or not isinstance(d.law, Constant) or t.numel() == 0:
            return NotImplemented
        return torch.tensor(bool(d.law.value))

    def _constant(self, out: torch.Tensor, value: bool) -> torch.Tensor:
        if out.numel() < DEFER_MIN_NUMEL:
            out.fill_(value)
        else:
            self.deferred.record(out, Constant(value), 0, 0, weak=True)
        return out

    def _overwrite(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """fill_, zero_, copy_ of exactly a deferred target: the operation runs, and only once it
        has succeeded is the fill dropped, never written (an operation that raises leaves the
        tensor holding its fill, as in torch). One that reads the target's memory (a copy from
        a view of it) goes the general way: the fill is written first."""
        t = args[0]
        d = self.deferred.exact(t) if isinstance(t, torch.Tensor) else None
        if d is None:
            return NotImplemented
        sources = list(tensors_in((*args[1:], *kwargs.values())))
        if any(self.deferred.shares_storage(s, t) for s in sources):
            return NotImplemented
        self.deferred.write_touched(sources)
        out = func(*args, **kwargs)
        self.deferred.drop(t)
        return out


@contextlib.contextmanager
def _torch_seeded(seed: int) -> Iterator[None]:
    """torch's default CPU generator seeded from the block's seed (its first spawned child seed,
    docs/stream.md) while the block lasts, then put back as it was."""
    default = torch.default_generator
    state = default.get_state()
    default.manual_seed(spawned_seed(seed, 0))
    try:
        yield
    finally:
        default.set_state(state)


class accelerate(contextlib.ContextDecorator):
    """Context manager and decorator: inside it, every random draw torch makes on a CPU float
    tensor comes from fastinit — same distributions as plain torch, not the same bits.

    ``with fastinit.torch.accelerate(seed=0): model = MyModel()``. Model code runs unchanged:
    torch.nn.init, HF transformers' ``_init_weights`` (and its guards), timm's helpers and
    ``tensor.normal_()`` in user code all end in the aten operations accelerate() handles.
    Each draw takes the next stream of ``fastinit.Generator(seed)``, so a build is reproducible
    for a given seed and model code, and two seeds give two different models. seed=None draws
    the seed from torch's default generator on entry, so ``torch.manual_seed(s)`` before it
    makes the build reproducible too; apart from that draw, torch's default generator is left
    as it was.

    Random operations fastinit does not draw itself (randperm, randint, bernoulli_, dropout,
    integer and complex tensors) run on torch's kernels with torch's default CPU generator,
    which the block seeds from seed= on entry and puts back on exit: inside the block,
    ``torch.manual_seed``, ``set_rng_state``, ``fork_rng`` and activation checkpointing's
    replay govern those as in plain torch. fastinit's own draws take the block's streams in
    order and do not follow such calls (reseeding inside the block does not repeat them). That
    generator is one per process: as with ``torch.random.fork_rng``, other threads drawing from
    it meanwhile see it reseeded and rewound, and blocks in several threads at once share it
    (docs/torch.md); each thread's entries of one accelerate object are its own. Calls
    that pass their own ``generator=`` run on torch's kernel with it, so they give torch's
    values exactly (PEFT's VeRA regenerates unsaved projections from a seeded generator), and
    other devices are left to torch.

    Large fills are written when first observed, and at the latest when the block ends; a fill
    overwritten whole before that is never made. Within the block, read and write tensors
    through torch on the building thread (any operation, ``.tolist()``, ``.numpy()``,
    ``.data_ptr()``, ...): memory read by other threads, or by C code holding a pointer obtained
    before the fill, may not hold the values yet, and memory written that way (another thread's
    ``copy_``, the NumPy array a tensor was made from) may still be overwritten by the pending
    draw — load weights after the block, or through torch. Re-entrant per entry; nests with
    other torch modes (``torch.device("meta")``, where there is nothing to fill).

    Parameters
    ----------
    seed : int, optional
        The fastinit seed, in [0, 2**64); None (default) draws one from torch's default
        generator at each entry.

    Raises
    ------
    TypeError, ValueError
        On entry: seed is not an int in [0, 2**64). Inside the block, a draw fastinit does not
        make (a law outside a tensor's dtype, an expanded tensor) runs on torch's kernel from
        the block's seed, so it raises what torch raises, when torch does.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> with ft.accelerate(seed=0):
    ...     a = torch.nn.Linear(64, 32)
    >>> with ft.accelerate(seed=0):
    ...     b = torch.nn.Linear(64, 32)
    >>> torch.equal(a.weight, b.weight)
    True
    >>> @ft.accelerate(seed=1)
    ... def build():
    ...     return torch.nn.Linear(64, 32)
    >>> torch.equal(build().weight, build().weight)
    True
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._threads = threading.local()  # each thread's open entries (a decorated build may run in several)

    @property
    def _entered(self) -> list[tuple[_DispatchMode, contextlib.ExitStack]]:
        entered: list[tuple[_DispatchMode, contextlib.ExitStack]] | None = getattr(
            self._threads, "entered", None
        )
        if entered is None:
            entered = self._threads.entered = []
        return entered

    def __enter__(self) -> accelerate:
        seed = self.seed
        if seed is None:
            seed = seed_from_torch(torch.default_generator)
        dispatch = _DispatchMode(_streams.Generator(seed))
        with contextlib.ExitStack() as stack:
            stack.enter_context(_torch_seeded(seed))
            stack.enter_context(written_before_raw_reads(dispatch.deferred))
            stack.enter_context(dispatch)
            self._entered.append((dispatch, stack.pop_all()))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        dispatch, stack = self._entered.pop()
        try:
            dispatch.deferred.write_all()
        finally:
            stack.__exit__(kind, error, trace)
