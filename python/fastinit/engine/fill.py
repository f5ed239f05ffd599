"""The three primitive random fills: uniform_, normal_ and trunc_normal_ (docs/stream.md
defines every value they write), and fill_law, the one way from Python into the engine:
everything else in fastinit is built on it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from .. import _core
from .._docstrings import takes_placement
from .keys import make_key
from .placement import check_placement
from .streams import key_source, stream_version_of
from .targets import as_target, tensor_dtype
from .torch_target import is_torch_tensor, mark_written

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .placement import Placement

__all__ = ["FloatOverflowError", "fill_law", "normal_", "trunc_normal_", "uniform_"]

A = TypeVar("A")


class FloatOverflowError(ValueError, OverflowError):
    """A number argument too large for a float: a ValueError, as fastinit's other bad numbers,
    and the OverflowError that Python's float() and torch.nn.init raise for it."""


def check_real(fn: str, name: str, value: object, infinite: float | None = None) -> float:
    """value as a finite float (or exactly `infinite`, where given: an open end of a window), or
    TypeError / ValueError naming fn and name."""
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating)) or (
        not isinstance(value, (int, float)) and not hasattr(value, "__float__")
    ):
        raise TypeError(f"{fn}: {name} must be a real number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: {name} must be a real number; got {value!r}") from None
    except OverflowError:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise FloatOverflowError(f"{fn}: {name} must be finite; got {shown}, too large for a float") from None
    if not math.isfinite(v) and v != infinite:
        allowed = "finite" if infinite is None else f"finite or {infinite}"
        raise ValueError(f"{fn}: {name} must be {allowed}; got {v}")
    return v


def check_in_range(fn: str, name: str, value: float, dtype: str) -> float:
    """value, or ValueError when it lies beyond the largest finite value of dtype (its name):
    the rule the engine's laws apply to their parameters."""
    largest = _core.DType.__members__[dtype].largest
    if abs(value) > largest:
        raise ValueError(
            f"{fn}: {name}={value!r} is outside the range of {dtype} (largest finite value {largest:g})"
        )
    return value


def fill_law(fn: str, arr: A, law: _core.Law, placement: Placement, checked: bool = False) -> A:
    """Fill arr in place with the law's values of the stream `placement` names: the one way into
    the engine (_core.fill). The engine checks the target, the law against its dtype and the
    index range before it takes the key's stream and writes, so arr is untouched and a
    generator's stream not taken if anything is wrong. Errors name fn. checked: the caller has
    checked the placement keywords' names."""
    target: Any = arr
    tensor: Any = None
    if type(arr) is not np.ndarray or not (target.flags.c_contiguous or target.flags.f_contiguous):
        if is_torch_tensor(arr):
            tensor = arr
            dtype, has_storage = tensor_dtype(fn, arr)
        else:  # (a contiguous array goes as it is: the engine checks its dtype and writability)
            target = as_target(fn, arr)
    try:
        if not checked:
            check_placement(fn, placement)
        key = placement_key(fn, placement, tensor if tensor is not None else target)
        if tensor is None:
            _core.fill(target, law, key)
        else:  # a meta tensor has no storage: checked, its stream taken, nothing written
            try:
                _core.fill(tensor, law, key, "", has_storage, dtype)
            except (TypeError, ValueError):
                raise  # refused before anything was written
            except BaseException:
                if has_storage:  # stopped part-way (Ctrl-C): autograd must see the change
                    mark_written(tensor)
                raise
            if has_storage:
                mark_written(tensor)
    except (TypeError, ValueError) as exc:
        raise _named(fn, exc) from None
    return arr


def placement_key(fn: str, placement: Placement, target: Any) -> _core.Key:
    """The Key the placement keywords name for target (whose shape is read only for a shard).
    A call with seed= and no shard is a pure function of seed, stream, offset and
    stream_version: its Key is remembered by their values and types (a Key is immutable), so a
    repeated call skips the checks that made it (remembered by the seed alone, an int, when it is
    the only keyword: the commonest call, looked up with the least work)."""
    p: Any = placement
    seed = p.get("seed")
    memo: Any = None
    if type(seed) is int:
        if len(p) == 1:
            memo = seed
        elif p.get("generator") is None and p.get("global_shape") is None and p.get("index") is None:
            stream, offset, version = p.get("stream"), p.get("offset", 0), p.get("stream_version")
            memo = (seed, stream, type(stream), offset, type(offset), version, type(version))
    if memo is not None:
        try:
            return _SEED_KEYS[memo]
        except KeyError:
            pass
        except TypeError:  # an unhashable argument: checked below, and its error raised
            memo = None
    generator, global_shape, index = p.get("generator"), p.get("global_shape"), p.get("index")
    source = key_source(fn, generator, seed, p.get("stream"))
    version = stream_version_of(fn, p.get("stream_version"), generator)
    sharded = global_shape is not None or index is not None
    shape, item_size = (target.shape, _item_size(target)) if sharded else ((), 4)
    key = make_key(fn, shape, source, p.get("offset", 0), global_shape, index, version, item_size)
    if memo is not None:
        if len(_SEED_KEYS) >= 4096:
            _SEED_KEYS.clear()
        _SEED_KEYS[memo] = key
    return key


_SEED_KEYS: dict[int | tuple[Any, ...], _core.Key] = {}


def _item_size(target: Any) -> int:
    """Bytes per element of a NumPy array, torch tensor or _core.Target."""
    size = getattr(target, "itemsize", None)
    if isinstance(size, int):
        return size
    return 8 if getattr(target, "dtype", None) == _core.DType.float64 else 4


def make_law(fn: str, make: Any, *args: float) -> _core.Law:
    """make(*args) (a _core.Law constructor), its ValueError naming fn."""
    try:
        law: _core.Law = make(*args)
    except ValueError as exc:
        raise _named(fn, exc) from None
    return law


def _named(fn: str, exc: Exception) -> Exception:
    """exc with fn's name in front of its message (once)."""
    return exc if str(exc).startswith(fn) else type(exc)(f"{fn}: {exc}")


@takes_placement
def uniform_(arr: A, a: float = 0.0, b: float = 1.0, **placement: Unpack[Placement]) -> A:
    """Fill arr in place with samples of the uniform distribution on [a, b) and return it.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        A writable float16, bfloat16, float32 or float64 array (any strides that step past one
        another, each beyond what the smaller ones span — every view NumPy or torch slicing makes;
        an interleaved as_strided layout can be refused though its elements are distinct;
        objects exporting DLPack or the buffer protocol are filled through a view),
        or a CPU torch tensor.
    a, b : float
        The interval, a <= b, b - a finite. Values never equal b (one that would round to b is
        replaced by the largest value below b in arr's dtype); a == b fills with a.

    <returns arr>

    Raises
    ------
    <fill type errors>
    ValueError
        a > b; a or b outside arr's dtype; [a, b) holding no value of the dtype; arr read-only
        or overlapping itself; a placement keyword out of range. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.uniform_(np.empty((2, 3), np.float32), -1.0, 1.0, seed=0)
    >>> bool(((-1 <= w) & (w < 1)).all())
    True
    >>> np.array_equal(w, fastinit.uniform_(np.empty((2, 3), np.float32), -1.0, 1.0, seed=0))
    True
    """
    fn = "uniform_"
    lo, hi = check_real(fn, "a", a), check_real(fn, "b", b)
    return fill_law(fn, arr, make_law(fn, _core.Law.uniform, lo, hi), placement)


@takes_placement
def normal_(arr: A, mean: float = 0.0, std: float = 1.0, **placement: Unpack[Placement]) -> A:
    """Fill arr in place with samples of N(mean, std**2) and return it.

    Parameters
    ----------
    <writable arr>
    mean : float
    std : float
        std >= 0; std = 0 fills with mean. Both must lie within arr's dtype.

    <returns arr>

    Raises
    ------
    <fill type errors>
    ValueError
        std < 0; mean or std outside arr's dtype; a bad placement keyword. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.normal_(np.empty(100_000), std=0.02, seed=1, stream="layers.0.mlp")
    >>> round(float(w.std()), 3)
    0.02
    """
    fn = "normal_"
    m, s = check_real(fn, "mean", mean), check_real(fn, "std", std)
    return fill_law(fn, arr, make_law(fn, _core.Law.normal, m, s), placement)


@takes_placement
def trunc_normal_(
    arr: A,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    **placement: Unpack[Placement],
) -> A:
    """Fill arr in place with samples of N(mean, std**2) conditioned on [a, b] and return it.

    Parameters
    ----------
    <writable arr>
    mean, std : float
        The normal before truncation, std >= 0.
    a, b : float
        Bounds on the values, a < b, as in torch.nn.init.trunc_normal_ (not in units of std).
        Every value lies in [a, b]; the window must hold probability mass at arr's precision.
        a = -inf or b = inf leaves that side open, up to the dtype's largest value (both open:
        N(mean, std**2); in stream version 2 the element's normal_ value where the dtype's
        range reaches 9.5 std on both sides, docs/stream.md).

    <returns arr>

    Raises
    ------
    <fill type errors>
    ValueError
        std < 0 or a >= b; a parameter outside arr's dtype; a window without mass; a bad
        placement keyword. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.trunc_normal_(np.empty(1000, np.float32), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool((abs(w) <= 0.04).all())
    True
    """
    fn = "trunc_normal_"
    m, s = check_real(fn, "mean", mean), check_real(fn, "std", std)
    lo, hi = check_real(fn, "a", a, -math.inf), check_real(fn, "b", b, math.inf)
    return fill_law(fn, arr, make_law(fn, _core.Law.trunc_normal, m, s, lo, hi), placement)
