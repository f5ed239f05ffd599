"""torch.nn.init's random functions with torch's exact signatures (generator= positional or
keyword, a fastinit.Generator or a torch.Generator; without it or seed=, torch's default
generator seeds the call), filling CPU tensors in place through their data pointer. Extra
keywords (seed=, stream=, offset=, distribution=, layout=, ...) pass through to the fastinit
function of the same name. The deterministic ones are in _deterministic.py, the schemes torch
lacks in _more_schemes.py, torch's deprecated names in _deprecated.py."""

from __future__ import annotations

import warnings
from typing import Any, Callable, TypeVar

import torch

from .._docstrings import takes_placement
from ..engine import fill as _fill
from ..schemes import matrix as _matrix
from ..schemes import variance as _variance
from ..schemes.variance import outside_fastinit, warn_empty_is_a_no_op
from ._complex import is_complex, normal_parts_, scheme_parts_, uniform_parts_
from ._semantics import scheme_function, torch_function, torch_source

__all__ = [
    "kaiming_normal_", "kaiming_uniform_", "normal_", "orthogonal_", "sparse_", "trunc_normal_", "uniform_",
    "xavier_normal_", "xavier_uniform_",
]  # fmt: skip

T = TypeVar("T")


@torch_function
@takes_placement
def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.uniform_ with fastinit's values: U(a, b) in place; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
    a, b : float
        The interval [a, b), a <= b.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.uniform_(torch.empty(2, 3), -1.0, 1.0, seed=0)
    >>> bool(((w >= -1) & (w < 1)).all())
    True
    >>> def draw():
    ...     return ft.uniform_(torch.empty(3), 0.0, 1.0, torch.Generator().manual_seed(5))
    >>> torch.equal(draw(), draw())  # a seed drawn from the torch generator
    True
    """
    if getattr(tensor, "dtype", None) is torch.float16 and _fill_width(a, b) > 65504.0:
        # torch refuses a width past float16's largest value; fastinit could fill it, but a
        # drop-in raises where torch raises
        raise ValueError(f"uniform_: b - a = {_fill_width(a, b)} exceeds float16's largest value 65504")
    return _primitive(_fill.uniform_, uniform_parts_, tensor, a, b, generator, kwargs)


def _fill_width(a: Any, b: Any) -> float:
    """b - a for real numbers, else 0 (the fill's own checks name a bad bound)."""
    try:
        return float(b) - float(a)
    except (TypeError, ValueError, OverflowError):
        return 0.0


@torch_function
@takes_placement
def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.normal_ with fastinit's values: N(mean, std**2) in place; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
    mean : float
    std : float
        >= 0.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.normal_(torch.empty(256, 256), std=0.02, seed=0, stream="layers.0.weight")
    >>> round(float(w.std()), 3)
    0.02
    """
    return _primitive(_fill.normal_, normal_parts_, tensor, mean, std, generator, kwargs)


@torch_function
@takes_placement
def trunc_normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
    **kwargs: Any,
) -> T:
    """torch.nn.init.trunc_normal_ with fastinit's values: N(mean, std**2) conditioned on
    [a, b], in place; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
    mean, std : float
        The normal before truncation, std >= 0.
    a, b : float
        Bounds on the values (not in units of std), a < b; a = -inf or b = inf leaves that side
        open, as in torch.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.trunc_normal_(torch.empty(1000), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool((w.abs() <= 0.04).all())
    True
    """
    filled = _fill.trunc_normal_(tensor, mean, std, a, b, generator=torch_source(generator, kwargs), **kwargs)
    _warn_far_mean(mean, std, a, b)  # (after the fill: a window it refuses gets its error alone)
    return filled


def _warn_far_mean(mean: Any, std: Any, a: Any, b: Any) -> None:
    """Warn where torch.nn.init.trunc_normal_ warns: mean more than 2 std outside [a, b].
    fastinit's values there are still exact (torch's may not be), but such a window usually
    means bounds meant in units of std, so the warning stays, saying what it is about."""
    try:
        far = float(mean) < float(a) - 2 * float(std) or float(mean) > float(b) + 2 * float(std)
    except (TypeError, ValueError, OverflowError):
        return  # the fill names the bad argument
    if far:
        warnings.warn(
            f"trunc_normal_: mean={mean} is more than 2 std from [a, b] = [{a}, {b}]; the values are "
            "exact, but a and b bound the values themselves, not in units of std",
            UserWarning,
            stacklevel=outside_fastinit(),
        )


def _primitive(
    fill: Callable[..., T],
    parts: Callable[..., T],
    tensor: T,
    p: float,
    q: float,
    generator: Any,
    kwargs: dict[str, Any],
) -> T:
    """uniform_ (p, q = a, b) or normal_ (mean, std) seeded as torch_source says: fastinit's fill
    on a real tensor, its real and imaginary parts as torch draws them on a complex one
    (_complex.py). kwargs: the call's own (changed here)."""
    kwargs["generator"] = torch_source(generator, kwargs)
    if is_complex(tensor):
        return parts(fill.__name__, tensor, p, q, kwargs)
    return fill(tensor, p, q, **kwargs)


_XAVIER_DOC = """torch.nn.init.{name} with fastinit's values: {law}, std = gain *
    sqrt(2 / (fan_in + fan_out)), in place; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
        At least 2-D.
    gain : float
        > 0.
    distribution : str, optional
        Keyword only, passed to fastinit.{name}: the law of the scheme's std.

    <returns and raises>

    <torch scheme example>
    """


@scheme_function(
    _XAVIER_DOC, "U(+-sqrt(3) std)", "torch.empty(30, 20), seed=0",
    "bool(w.abs().max() <= (6 / 50) ** 0.5)", "True",
)  # fmt: skip
def xavier_uniform_(tensor: T, gain: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    return _scheme("xavier_uniform_", tensor, generator, kwargs, gain)


@scheme_function(
    _XAVIER_DOC, "N(0, std**2)", "torch.empty(300, 200, dtype=torch.float64), seed=0",
    "round(float(w.std() * (500 / 2) ** 0.5), 1)", "1.0",
)  # fmt: skip
def xavier_normal_(tensor: T, gain: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    return _scheme("xavier_normal_", tensor, generator, kwargs, gain)


_KAIMING_DOC = """torch.nn.init.{name} with fastinit's values: {law}, std = gain / sqrt(fan), in
    place, gain = calculate_gain(nonlinearity, a); returns tensor. An empty tensor warns, as in
    torch.

    <torch's signature>

    Parameters
    ----------
    <tensor>
        At least 2-D.
    a : float
        The negative slope of a leaky_relu (torch's nn.Linear uses sqrt(5)).
    mode : {{"fan_in", "fan_out"}}
    nonlinearity : str
        A name calculate_gain knows.
    distribution : str, optional
        Keyword only, passed to fastinit.{name}: the law of the scheme's std.

    <returns and raises>

    <torch scheme example>
    """


@scheme_function(
    _KAIMING_DOC, "U(+-sqrt(3) std)", "torch.empty(64, 128), a=5**0.5, seed=0",
    "bool(w.abs().max() <= 1 / 128**0.5)", "True",
)  # fmt: skip
def kaiming_uniform_(
    tensor: T, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None,
    **kwargs: Any,
) -> T:  # fmt: skip
    return _scheme("kaiming_uniform_", tensor, generator, kwargs, a, mode, nonlinearity)


@scheme_function(
    _KAIMING_DOC, "N(0, std**2)", 'torch.empty(512, 256, dtype=torch.float64), nonlinearity="relu", seed=0',
    "round(float(w.std() ** 2 * 256), 1)", "2.0",
)  # fmt: skip
def kaiming_normal_(
    tensor: T, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None,
    **kwargs: Any,
) -> T:  # fmt: skip
    return _scheme("kaiming_normal_", tensor, generator, kwargs, a, mode, nonlinearity)


@torch_function
@takes_placement
def orthogonal_(tensor: T, gain: float = 1, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.orthogonal_ with fastinit's Gaussian: a (semi-)orthogonal matrix times
    gain, in place, its QR by torch.linalg.qr; returns tensor.

    <torch's signature> (See fastinit.orthogonal_'s Notes: the values
    are reproducible on one machine and LAPACK build).

    Parameters
    ----------
    <tensor>
        At least 2-D.
    gain : float
        > 0.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.orthogonal_(torch.empty(3, 5), seed=0)
    >>> torch.allclose(w @ w.T, torch.eye(3), atol=1e-5)
    True
    """
    return _matrix.orthogonal_(tensor, gain, generator=torch_source(generator, kwargs), **kwargs)


@torch_function
@takes_placement
def sparse_(tensor: T, sparsity: float, std: float = 0.01, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.sparse_, with a zero pattern reproducible from the seed: N(0, std**2) values
    with ceil(sparsity * rows) zeros in every column, in place; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
        2-D.
    sparsity : float
        The fraction of each column set to zero, in [0, 1].
    std : float
        >= 0.

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.sparse_(torch.empty(10, 4), 0.5, seed=0)
    >>> (w == 0).sum(dim=0).tolist()
    [5, 5, 5, 5]
    """
    return _matrix.sparse_(tensor, sparsity, std, generator=torch_source(generator, kwargs), **kwargs)


_MODES = ("fan_in", "fan_out")  # kaiming's modes as torch spells them (a call's usual case)


def _scheme(fn: str, tensor: T, generator: Any, kwargs: dict[str, Any], *args: Any) -> T:
    """xavier_* (args: gain) or kaiming_* (args: a, mode, nonlinearity) seeded as torch_source
    says: on a real tensor as the fastinit function of the same name fills it, on a complex one
    as torch draws it (_complex.py). kwargs: the call's own (changed here)."""
    source = torch_source(generator, kwargs)
    if source is not None:
        kwargs["generator"] = source
    if fn[0] == "k" and "global_shape" not in kwargs and 0 in getattr(tensor, "shape", (1,)):
        # torch returns here, before it reads mode or nonlinearity
        warn_empty_is_a_no_op()
        return tensor
    distribution = kwargs.pop("distribution", "uniform" if fn.endswith("uniform_") else "normal")
    if fn[0] == "k" and args[1] not in _MODES and isinstance(args[1], str):
        args = (args[0], args[1].lower(), args[2])  # torch's fan rule lower-cases mode
    if is_complex(tensor):
        if fn.startswith("xavier"):
            scheme = _variance.xavier_scheme(fn, args[0], distribution)
        else:
            scheme = _variance.kaiming_scheme(fn, args[0], args[1], args[2], distribution)
        return scheme_parts_(fn, tensor, scheme, kwargs)
    if fn.startswith("xavier"):
        return _variance.xavier_fill(fn, tensor, args[0], distribution, kwargs)  # type: ignore[arg-type]
    return _variance.kaiming_fill(fn, tensor, args[0], args[1], args[2], distribution, kwargs)  # type: ignore[arg-type]
