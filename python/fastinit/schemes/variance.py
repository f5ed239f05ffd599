"""The initialization schemes: Xavier/Glorot, He/Kaiming, LeCun and variance scaling, each a
named Scheme of the variance-scaling core (core.py; formulas and derivations in
docs/formulas.md), read from the weight's fans and drawn through fill_law."""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from .. import _core
from .._docstrings import scheme_function, takes_scheme_keywords
from ..engine.fill import check_real, fill_law
from ..engine.placement import PLACEMENT_KEYS, check_placement
from ..engine.shapes import as_shape
from ..engine.targets import as_target
from ..engine.torch_target import is_torch_tensor
from .core import MODES, Scheme, checked_scheme
from .fans import compute_fans
from .gain import calculate_gain

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..engine.placement import SchemeKeywords

__all__ = [
    "kaiming_normal_", "kaiming_uniform_", "lecun_normal_", "lecun_uniform_", "variance_scaling_", "xavier_normal_",
    "xavier_uniform_",
]  # fmt: skip

A = TypeVar("A")


def _shape_of(fn: str, arr: object, global_shape: Any) -> tuple[int, ...]:
    if global_shape is not None:
        return as_shape(fn, global_shape, name="global_shape")
    if type(arr) is np.ndarray:
        return arr.shape  # type: ignore[no-any-return]
    if is_torch_tensor(arr):
        return tuple(arr.shape)  # type: ignore[attr-defined]
    return tuple(as_target(fn, arr).shape)


def fill_named(
    fn: str,
    arr: A,
    make: Callable[..., Scheme],
    args: tuple[Any, ...],
    keywords: SchemeKeywords,
    warn_empty: bool = False,
) -> A:
    """fill_scheme(fn, arr, checked_scheme(make, fn, *args), keywords): arr filled by the scheme
    a call's arguments name. A call with placement keywords only (a model's repeated layers)
    takes its Law from one dictionary, remembered by fn, args (the first one's type too, as
    checked_scheme keys them) and arr's shape; anything else (a first call, fan keywords, an
    empty or unusual arr, a bad argument) goes the checked way and raises as it does.
    warn_empty: an empty arr warns, as torch's kaiming functions do."""
    memo: tuple[Any, ...] | None = None
    if keywords.keys() <= PLACEMENT_KEYS:
        try:
            memo = (fn, _shape_of(fn, arr, keywords.get("global_shape")), type(args[0]), *args)
            law = _NAMED_LAWS[memo]
        except KeyError:
            pass
        except (TypeError, ValueError):  # unhashable arguments, a bad arr: raised below
            memo = None
        else:
            return fill_law(fn, arr, law, keywords, checked=True)
    scheme = checked_scheme(make, fn, *args)
    shape = None if memo is None else memo[1]  # (read once: a buffer's shape costs a view)
    if warn_empty:
        shape = _shape_of(fn, arr, keywords.get("global_shape")) if shape is None else shape
        if 0 in shape:
            _nothing_to_fill(fn, arr, keywords)
            warn_empty_is_a_no_op()
            return arr
    drawn, placement = _law_and_placement(fn, arr, scheme, keywords, shape)
    if drawn is None:
        _nothing_to_fill(fn, arr, keywords)
        return arr  # an empty weight: nothing to fill
    if memo is not None:
        if len(_NAMED_LAWS) >= 4096:
            _NAMED_LAWS.clear()
        _NAMED_LAWS[memo] = drawn
    return fill_law(fn, arr, drawn, placement, checked=True)


_NAMED_LAWS: dict[tuple[Any, ...], _core.Law] = {}
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # fastinit's folder


def fill_scheme(
    fn: str, arr: A, scheme: Scheme, keywords: SchemeKeywords, shape: tuple[int, ...] | None = None
) -> A:
    """Fill arr by `scheme`, its fans read from arr's shape (the global shape of a shard, or
    `shape` if the caller has it) by the fan keywords; the rest of `keywords` place the values
    in the stream."""
    law, placement = _law_and_placement(fn, arr, scheme, keywords, shape)
    if law is None:
        _nothing_to_fill(fn, arr, keywords)
        return arr  # an empty weight: nothing to fill
    return fill_law(fn, arr, law, placement, checked=True)


def _nothing_to_fill(fn: str, arr: object, keywords: SchemeKeywords) -> None:
    """An empty weight's call (its fans are 0, or one extent): arr must be empty too. A shard
    of an empty global_shape with elements of its own is a ValueError, as the fills raise it
    (the weight would be returned unfilled)."""
    if "global_shape" in keywords and math.prod(_shape_of(fn, arr, None)) > 0:
        raise ValueError(
            f"{fn}: global_shape={keywords['global_shape']!r} holds no elements, but arr has "
            f"shape {_shape_of(fn, arr, None)}: no block of it can have elements"
        )


def _law_and_placement(
    fn: str, arr: object, scheme: Scheme, keywords: SchemeKeywords, shape: tuple[int, ...] | None
) -> tuple[_core.Law | None, Any]:
    """fill_scheme's Law (None for an empty weight) and the placement keywords (keywords less
    the fan keywords; keywords itself when it has none)."""
    placement: Any = keywords
    fans: dict[str, Any] = {}
    if not keywords.keys() <= PLACEMENT_KEYS:  # fan keywords (or a misspelt keyword) as well
        check_placement(fn, keywords, fans=True)
        placement = {k: v for k, v in keywords.items() if k in PLACEMENT_KEYS}
        fans = {k: v for k, v in keywords.items() if k not in PLACEMENT_KEYS}
    if shape is None:
        shape = _shape_of(fn, arr, keywords.get("global_shape"))
    if not fans and len(shape) == 2:
        fan_in, fan_out = float(shape[1]), float(shape[0])  # the common case, without the general machinery
    else:
        fan_in, fan_out = compute_fans(shape, **fans, fn=fn)
    return scheme.cached_law(fan_in, fan_out), placement


def warn_empty_is_a_no_op() -> None:
    """torch's kaiming_* warning for a zero-element weight, at the caller's line."""
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=outside_fastinit())


def outside_fastinit() -> int:
    """The stacklevel of the first caller outside fastinit (a warning names the user's line, as
    torch's do, however many of fastinit's wrappers the call went through)."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _positive(fn: str, name: str, value: float) -> float:
    v = check_real(fn, name, value)
    if v <= 0:
        raise ValueError(f"{fn}: {name} must be > 0; got {name}={v}")
    return v


@takes_scheme_keywords
def variance_scaling_(
    arr: A,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    **keywords: Unpack[SchemeKeywords],
) -> A:
    """Keras/JAX variance scaling, in place: Var(w) = scale / n, n = fan_in, fan_out,
    (fan_in + fan_out) / 2 or (JAX's fan_geo_avg) sqrt(fan_in * fan_out) per `mode`; returns arr.

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        At least 2-D (fans need an input and an output axis); any fillable array (uniform_).
    scale : float
        > 0.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}
        "truncated_normal" is corrected so its variance is exactly scale / n (as Keras and JAX);
        "uniform" is U(+-sqrt(3 scale / n)).

    Returns
    -------
    arr, filled (an empty arr is returned as it is).

    Raises
    ------
    ValueError
        scale <= 0, an unknown mode or distribution, a shape without fans, or what uniform_
        raises. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.variance_scaling_(np.empty((256, 512)), 2.0, "fan_in", "normal", seed=0)
    >>> round(float(w.std() ** 2 * 512), 1)
    2.0
    """
    fn = "variance_scaling_"
    return fill_named(fn, arr, _variance_scheme, (scale, mode, distribution), keywords)


def _variance_scheme(fn: str, scale: float, mode: str, distribution: str) -> Scheme:
    s = check_real(fn, "scale", scale)
    Scheme.check(fn, s, mode, distribution, MODES)
    return Scheme(s, mode, distribution)


def xavier_scheme(fn: str, gain: float, distribution: str) -> Scheme:
    """The validated Scheme of xavier_uniform_ / xavier_normal_ (ValueError naming fn)."""
    return checked_scheme(_xavier_scheme, fn, gain, distribution)


def _xavier_scheme(fn: str, gain: float, distribution: str) -> Scheme:
    g = _positive(fn, "gain", gain)
    Scheme.check(fn, 1.0, "fan_avg", distribution)
    return Scheme(1.0, "fan_avg", distribution, gain=g)


def xavier_fill(fn: str, arr: A, gain: float, distribution: str, keywords: SchemeKeywords) -> A:
    """xavier_uniform_ / xavier_normal_ (fn) with the call's keywords as a dict (the adapters'
    entry: fastinit.torch)."""
    return fill_named(fn, arr, _xavier_scheme, (gain, distribution), keywords)


_XAVIER_DOC = """Glorot & Bengio (2010), in place, as torch.nn.init.{name}: std = gain *
    sqrt(2 / (fan_in + fan_out)), {law} by default; returns arr.

    Parameters
    ----------
    <weight arr>
    gain : float
        > 0 (fastinit.calculate_gain gives torch's gain of an activation).
    distribution : {{{choices}}}
        The law of that std (variance_scaling_).

    <returns arr>

    Raises
    ------
    ValueError
        gain <= 0, an unknown distribution, a shape without fans, or what {fill} raises.

    <scheme example>
    """


@scheme_function(
    _XAVIER_DOC, "uniform on +-sqrt(3) std", "np.empty((30, 20), np.float32), seed=0",
    "bool(abs(w).max() <= (6 / 50) ** 0.5)", "True",
)  # fmt: skip
def xavier_uniform_(
    arr: A, gain: float = 1.0, *, distribution: str = "uniform", **keywords: Unpack[SchemeKeywords]
) -> A:
    return xavier_fill("xavier_uniform_", arr, gain, distribution, keywords)


@scheme_function(
    _XAVIER_DOC, "N(0, std**2)", "np.empty((300, 200)), seed=0",
    "round(float(w.std() * (500 / 2) ** 0.5), 1)", "1.0",
)  # fmt: skip
def xavier_normal_(
    arr: A, gain: float = 1.0, *, distribution: str = "normal", **keywords: Unpack[SchemeKeywords]
) -> A:
    return xavier_fill("xavier_normal_", arr, gain, distribution, keywords)


def kaiming_scheme(fn: str, a: float, mode: str, nonlinearity: str, distribution: str) -> Scheme:
    """The validated Scheme of kaiming_uniform_ / kaiming_normal_ (ValueError naming fn)."""
    return checked_scheme(_kaiming_scheme, fn, a, mode, nonlinearity, distribution)


def _kaiming_scheme(fn: str, a: float, mode: str, nonlinearity: str, distribution: str) -> Scheme:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode={mode!r} is not one of 'fan_in', 'fan_out'")
    Scheme.check(fn, 1.0, mode, distribution)
    try:
        gain = calculate_gain(nonlinearity, a)
    except ValueError as exc:  # in the caller's name, with its argument names (a, nonlinearity)
        reason = str(exc).removeprefix("calculate_gain: ").replace("negative_slope param", "a")
        raise ValueError(f"{fn}: {reason}") from None
    return Scheme(1.0, mode, distribution, gain=gain)


def kaiming_fill(
    fn: str, arr: A, a: float, mode: str, nonlinearity: str, distribution: str, keywords: SchemeKeywords
) -> A:
    """kaiming_uniform_ / kaiming_normal_ (fn) with the call's keywords as a dict (the adapters'
    entry: fastinit.torch); an empty arr warns, as torch does, and is returned as it is."""
    return fill_named(
        fn, arr, _kaiming_scheme, (a, mode, nonlinearity, distribution), keywords, warn_empty=True
    )


_KAIMING_DOC = """He et al. (2015), in place, as torch.nn.init.{name}: std = gain / sqrt(fan),
    gain = calculate_gain(nonlinearity, a), fan = fan_in or fan_out per `mode`; {law} by
    default; returns arr.

    Parameters
    ----------
    <weight arr>
        An empty one warns, as torch does.
    a : float
        The negative slope of a leaky_relu (torch's nn.Linear default init uses a = sqrt(5)).
    mode : {{"fan_in", "fan_out"}}
    nonlinearity : str
        Any name calculate_gain knows ("relu", "leaky_relu", "tanh", "selu", ...).
    distribution : {{{choices}}}
        The law of that std; "truncated_normal" with kaiming_normal_ gives Keras's HeNormal.

    <returns arr>

    Raises
    ------
    ValueError
        An unknown mode, nonlinearity or distribution, a shape without fans, or what {fill}
        raises.

    <scheme example>
    """


@scheme_function(
    _KAIMING_DOC, "uniform on +-sqrt(3) std", "np.empty((64, 128), np.float32), a=5**0.5, seed=0",
    "bool(abs(w).max() <= 1 / 128**0.5)", "True",
)  # fmt: skip
def kaiming_uniform_(
    arr: A,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    distribution: str = "uniform",
    **keywords: Unpack[SchemeKeywords],
) -> A:
    return kaiming_fill("kaiming_uniform_", arr, a, mode, nonlinearity, distribution, keywords)


@scheme_function(
    _KAIMING_DOC, "N(0, std**2)", 'np.empty((512, 256)), nonlinearity="relu", seed=0',
    "round(float(w.std() ** 2 * 256), 1)", "2.0",
)  # fmt: skip
def kaiming_normal_(
    arr: A, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *, distribution: str = "normal",
    **keywords: Unpack[SchemeKeywords],
) -> A:  # fmt: skip
    return kaiming_fill("kaiming_normal_", arr, a, mode, nonlinearity, distribution, keywords)


_LECUN_DOC = """LeCun et al. (1998), in place: Var(w) = 1 / fan_in, {law} by default, as Keras's
    LecunUniform / LecunNormal and JAX's lecun_uniform / lecun_normal draw it; returns arr.

    Parameters
    ----------
    <weight arr>
    distribution : {{{choices}}}
        The law of that variance (variance_scaling_'s names).

    <returns arr>

    Raises
    ------
    ValueError
        As variance_scaling_.

    <scheme example>
    """


def _lecun(fn: str, arr: A, distribution: str, keywords: SchemeKeywords) -> A:
    return fill_named(fn, arr, _lecun_scheme, (1.0, distribution), keywords)


def _lecun_scheme(fn: str, scale: float, distribution: str) -> Scheme:
    Scheme.check(fn, scale, "fan_in", distribution)
    return Scheme(scale, "fan_in", distribution)


@scheme_function(
    _LECUN_DOC, "uniform on +-sqrt(3 / fan_in)", "np.empty((10, 300), np.float32), seed=0",
    "bool(abs(w).max() <= 0.1)", "True",
)  # fmt: skip
def lecun_uniform_(arr: A, *, distribution: str = "uniform", **keywords: Unpack[SchemeKeywords]) -> A:
    return _lecun("lecun_uniform_", arr, distribution, keywords)


@scheme_function(
    _LECUN_DOC, "from a truncated normal", "np.empty((400, 100)), seed=0",
    "round(float(w.std() ** 2 * 100), 1)", "1.0",
)  # fmt: skip
def lecun_normal_(arr: A, *, distribution: str = "truncated_normal", **keywords: Unpack[SchemeKeywords]) -> A:
    return _lecun("lecun_normal_", arr, distribution, keywords)
