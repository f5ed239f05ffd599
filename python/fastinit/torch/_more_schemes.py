"""The schemes torch.nn.init lacks, with torch's conventions (the tensor is `tensor`; generator=
a torch.Generator or a fastinit.Generator, torch's default generator without it or seed=):
LeCun, variance scaling (Keras's and JAX's), delta-orthogonal for convolutions and ZerO's
Hadamard identity. fastinit's NumPy functions of the same names do the work."""

from __future__ import annotations

from typing import Any, TypeVar

from .._docstrings import takes_placement_keywords, takes_scheme_keywords
from ..schemes import hadamard as _hadamard
from ..schemes import matrix as _matrix
from ..schemes import variance as _variance
from ._semantics import scheme_function, torch_function, torch_source

__all__ = ["delta_orthogonal_", "hadamard_identity_", "lecun_normal_", "lecun_uniform_", "variance_scaling_"]

T = TypeVar("T")


_LECUN_DOC = """LeCun {law} by default, in place; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
        At least 2-D.
    distribution : str, optional
        Keyword only: the law of the scheme's std (fastinit.{name}'s choices).

    <returns and raises>

    <torch scheme example>
    """


@scheme_function(
    _LECUN_DOC, "uniform (Keras's LecunUniform): U(+-sqrt(3 / fan_in))", "torch.empty(64, 48), seed=0",
    "bool(w.abs().max() <= (3 / 48) ** 0.5)", "True",
)  # fmt: skip
def lecun_uniform_(tensor: T, generator: Any = None, **kwargs: Any) -> T:
    return _variance.lecun_uniform_(tensor, generator=torch_source(generator, kwargs), **kwargs)


@scheme_function(
    _LECUN_DOC, "normal (Keras's LecunNormal): a truncated normal of std sqrt(1 / fan_in)",
    "torch.empty(512, 256, dtype=torch.float64), seed=0", "round(float(w.std() ** 2 * 256), 1)", "1.0",
)  # fmt: skip
def lecun_normal_(tensor: T, generator: Any = None, **kwargs: Any) -> T:
    return _variance.lecun_normal_(tensor, generator=torch_source(generator, kwargs), **kwargs)


@torch_function
@takes_scheme_keywords
def variance_scaling_(
    tensor: T,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    generator: Any = None,
    **kwargs: Any,
) -> T:
    """Variance scaling as Keras and JAX define it: Var(w) = scale / n, n = fan_in, fan_out,
    their mean or (fan_geo_avg) their geometric mean, drawn from `distribution`; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
        At least 2-D.
    scale : float
        > 0.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.variance_scaling_(torch.empty(256, 512), 2.0, "fan_in", "uniform", seed=0)
    >>> bool(w.abs().max() <= (6 / 512) ** 0.5)
    True
    """
    return _variance.variance_scaling_(
        tensor, scale, mode, distribution, generator=torch_source(generator, kwargs), **kwargs
    )


@torch_function
@takes_placement_keywords("generator", "seed", "stream")
def delta_orthogonal_(tensor: T, gain: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """Delta-orthogonal (Xiao et al. 2018): a convolution kernel zero but for its centre tap, an
    orthogonal matrix times gain; returns tensor.

    <torch's signature>

    Parameters
    ----------
    <tensor>
        3-, 4- or 5-D, (out, in, *kernel) with out >= in.
    gain : float
        > 0.
    <keyword layout>

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> w = ft.delta_orthogonal_(torch.empty(8, 4, 3, 3), seed=0)
    >>> centre = w[:, :, 1, 1]
    >>> torch.allclose(centre.T @ centre, torch.eye(4), atol=1e-5)
    True
    """
    return _matrix.delta_orthogonal_(tensor, gain, generator=torch_source(generator, kwargs), **kwargs)


@torch_function
def hadamard_identity_(tensor: T, **kwargs: Any) -> T:
    """ZerO's deterministic weights (Zhao et al. 2022): the identity (partial where out < in), a
    scaled Hadamard block where out > in, at a kernel's centre for a convolution; returns tensor.

    Parameters
    ----------
    <tensor>
        At least 2-D.
    <keyword layout>

    <returns and raises>

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> ft.hadamard_identity_(torch.empty(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
    """
    return _hadamard.hadamard_identity_(tensor, **kwargs)
