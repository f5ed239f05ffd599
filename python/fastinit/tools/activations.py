"""The activations of the propagation analysis (propagation.py) and the Gaussian moments of
each: f and f' by hand in NumPy, and E[g(z)] for z ~ N(0, q) by composite Gauss-Legendre
quadrature split at the kink at 0 (exact to about 1e-14 for every activation here, at any scale
q), not by small-input approximations. With the argument checks the analysis shares. NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Callable

import numpy as np

__all__ = [
    "ACTIVATIONS", "ACTIVATION_FUNCTIONS", "NORMALIZATIONS", "activation_gain", "check_choice", "check_count",
    "check_network", "gaussian_expectation", "norm_name",
]  # fmt: skip

ACTIVATIONS = ("linear", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "gelu")
NORMALIZATIONS = ("none", "batch", "layer")
LEAKY_SLOPE = 0.01  # torch's default negative slope
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

Array = np.ndarray
_Fn = Callable[[Array], Array]


# -- activations and their derivatives, by hand --------------------------------------------------


_ERF = np.frompyfunc(math.erf, 1, 1)


def erf(x: Array) -> Array:
    """erf elementwise through math.erf (correctly rounded to within an ulp or so; NumPy has no
    erf, and the quadratures here evaluate at most a few thousand points)."""
    return np.asarray(_ERF(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


def _selu(z: Array) -> Array:
    return SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))


def _selu_prime(z: Array) -> Array:
    return SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0)))


def _gelu(z: Array) -> Array:
    return z * 0.5 * (1.0 + erf(z / math.sqrt(2.0)))


def _gelu_prime(z: Array) -> Array:
    return np.asarray(
        0.5 * (1.0 + erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    )


ACTIVATION_FUNCTIONS: dict[str, tuple[_Fn, _Fn]] = {
    "linear": (lambda z: z, np.ones_like),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(z.dtype)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
        lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
    ),
    "selu": (_selu, _selu_prime),
    "gelu": (_gelu, _gelu_prime),
}


def check_choice(fn: str, name: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{fn}: {name} must be a str, one of {', '.join(allowed)}; got {value!r}")
    if value not in allowed:
        raise ValueError(f"{fn}: {name}={value!r} is not one of {', '.join(allowed)}")
    return value


def check_count(fn: str, name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}; got {name}={value}")
    return int(value)


def check_network(
    fn: str, depth: object, width: object, batch: object, activation: object
) -> tuple[int, int, int]:
    """(depth, width, batch) of a simulated network, checked (depth and width >= 1, batch >= 2,
    activation one of ACTIVATIONS): TypeError / ValueError naming fn and the argument."""
    counts = (
        check_count(fn, "depth", depth),
        check_count(fn, "width", width),
        check_count(fn, "batch", batch, 2),
    )
    check_choice(fn, "activation", activation, ACTIVATIONS)
    return counts


def norm_name(fn: str, normalization: str | None) -> str:
    return check_choice(
        fn, "normalization", "none" if normalization is None else normalization, NORMALIZATIONS
    )


# -- Gaussian expectations -----------------------------------------------------------------------

_PANEL_NODES, _PANEL_WEIGHTS = np.polynomial.legendre.leggauss(24)
# Panels on [0, 12] standard deviations, geometrically refined towards the kink at 0 so that
# features at any scale (tanh(sqrt(q) t) for huge q) are resolved: [12/2^(k+1), 12/2^k].
_EDGES = np.concatenate([[0.0], 12.0 * 2.0 ** -np.arange(60, -1, -1, dtype=np.float64)])
_LO, _HI = _EDGES[:-1, None], _EDGES[1:, None]
_T = (_LO + (_HI - _LO) * 0.5 * (_PANEL_NODES + 1.0)).ravel()  # nodes in [0, 12]
_W = ((_HI - _LO) * 0.5 * _PANEL_WEIGHTS).ravel() * np.exp(-0.5 * _T * _T) / math.sqrt(2.0 * math.pi)


def gaussian_expectation(g: Callable[[Array], Array], variance: float) -> float:
    """E[g(z)] for z ~ N(0, variance), by composite Gauss-Legendre quadrature on each half-line
    (split at 0, where relu, leaky_relu and selu have their kink), truncated at 12 standard
    deviations. g must accept a float64 array. Accurate to about 1e-14 relative for the
    activations here and their powers; variance = 0 gives g(0).

    Parameters
    ----------
    g : callable
        Elementwise: a float64 array to an array of the same shape.
    variance : float
        The Gaussian's variance, >= 0.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        variance < 0 or NaN.

    Examples
    --------
    >>> from fastinit.analysis import gaussian_expectation
    >>> round(gaussian_expectation(lambda z: z**2, 2.0), 12)
    2.0
    """
    q = float(variance)
    if not q >= 0:
        raise ValueError(f"gaussian_expectation: variance must be >= 0; got variance={variance!r}")
    if q == 0:
        return float(g(np.zeros(1))[0])
    s = math.sqrt(q)
    return float(np.dot(_W, g(s * _T)) + np.dot(_W, g(-s * _T)))


def activation_gain(activation: str, variance: float) -> tuple[float, float, float]:
    """(E[f(z)], E[f(z)^2], E[f'(z)^2]) for z ~ N(0, variance) and f the named activation: the
    three moments the forward and backward variance recursions need.

    Parameters
    ----------
    activation : str
        One of ACTIVATIONS ("linear", "tanh", "sigmoid", "relu", "leaky_relu" (slope 0.01),
        "selu", "gelu").
    variance : float
        The pre-activation variance, >= 0.

    Returns
    -------
    (float, float, float)

    Raises
    ------
    TypeError
        activation is not a str.
    ValueError
        An unknown activation; variance < 0.

    Examples
    --------
    >>> from fastinit.analysis import activation_gain
    >>> [round(m, 10) for m in activation_gain("relu", 1.0)]
    [0.3989422804, 0.5, 0.5]
    """
    f, fp = ACTIVATION_FUNCTIONS[check_choice("activation_gain", "activation", activation, ACTIVATIONS)]
    return (
        gaussian_expectation(f, variance),
        gaussian_expectation(lambda z: f(z) ** 2, variance),
        gaussian_expectation(lambda z: fp(z) ** 2, variance),
    )
