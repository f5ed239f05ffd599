"""Why initialization matters: variance propagation through a deep MLP, measured and predicted.

``propagate()`` pushes a random batch through a plain MLP of ``depth`` square layers (weights from
fastinit's schemes, NumPy's BLAS for the matmuls, float64), then back through it by hand, and
records each layer's activation std and gradient std beside what the variance-preservation
theory of docs/formulas.md predicts. ``simulate()`` and ``predict()`` are the two halves, for
weights of your own. ``plot_propagation()`` draws the classic figure (needs matplotlib, the
optional extra "plot"). The residual network's analysis is residual_propagation.py. NumPy only at import; torch is never imported
here.

The network: h_0 = x ~ N(0, 1) of shape (batch, width); for l = 1..depth, z_l = h_{l-1} W_l^T
(W_l of shape (width, width), no bias), optionally normalized ("batch": per unit over the batch;
"layer": per sample over the units; no affine, eps = 1e-5), then h_l = f(z_l). The backward pass
starts from a fixed random gradient dL/dh_depth ~ N(0, 1) (the loss sum(h_depth * r)).

The prediction (mean-field, for wide layers and weights independent of the signal): if z_l ~
N(0, q_l) then q_{l+1} = width * Var(w) * E[f(z_l)^2], and the gradient variance gains
width * Var(w) * E[f'(z_l)^2] per layer going back. The Gaussian expectations are computed by
composite Gauss-Legendre quadrature split at the kink at 0 (exact to about 1e-14 for every
supported activation, at any scale q), not by small-input approximations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .._docstrings import documented
from ..engine.fill import normal_
from ..schemes.fans import compute_fans
from ..schemes.gain import calculate_gain
from ..schemes.matrix import orthogonal_
from ..schemes.variance import kaiming_normal_, kaiming_uniform_, lecun_normal_, xavier_normal_
from .activations import (
    ACTIVATION_FUNCTIONS,
    ACTIVATIONS,
    LEAKY_SLOPE,
    activation_gain,
    check_choice,
    check_network,
    gaussian_expectation,
    norm_name,
)

__all__ = ["NAIVE_STD", "SCHEMES", "LayerStats", "init_weight_", "predict", "scheme_std", "simulate"]

SCHEMES = ("naive", "xavier", "kaiming", "lecun", "orthogonal", "torch")
NAIVE_STD = 0.01  # N(0, 0.01**2): the pre-2010 practice
NORM_EPS = 1e-5  # torch's BatchNorm / LayerNorm default

Array = np.ndarray
_Fn = Callable[[Array], Array]


# -- the schemes ---------------------------------------------------------------------------------


def _gain(activation: str) -> float:
    # gelu is not in torch's table; the ReLU gain is what practice uses for it
    return calculate_gain("relu" if activation == "gelu" else activation)


def scheme_std(scheme: str, shape: Sequence[int], activation: str = "relu") -> float:
    """The weight std that `scheme` implies for a weight of `shape` (torch layout, (out, in,
    *kernel)), from docs/formulas.md: naive 0.01; xavier sqrt(2 / (fan_in + fan_out)) (gain 1,
    Glorot & Bengio's original); kaiming gain / sqrt(fan_in); lecun sqrt(1 / fan_in); orthogonal
    gain / sqrt(max(rows, cols)) (rows = shape[0], cols = the rest: the entry std of a scaled
    semi-orthogonal matrix); torch (nn.Linear's default, kaiming_uniform_ with a = sqrt(5))
    1 / sqrt(3 fan_in). gain = calculate_gain(activation) (gelu: the ReLU gain, sqrt(2)).

    Parameters
    ----------
    scheme : str
        One of SCHEMES ("naive", "xavier", "kaiming", "lecun", "orthogonal", "torch").
    shape : sequence of int
        The weight's shape, at least 2-D.
    activation : str, optional
        One of ACTIVATIONS (default "relu").

    Returns
    -------
    float

    Raises
    ------
    TypeError
        scheme or activation is not a str.
    ValueError
        An unknown scheme or activation; a shape of fewer than 2 dimensions.

    Examples
    --------
    >>> from fastinit.analysis import scheme_std
    >>> scheme_std("kaiming", (256, 128), "relu")
    0.125
    """
    fn = "scheme_std"
    check_choice(fn, "scheme", scheme, SCHEMES)
    check_choice(fn, "activation", activation, ACTIVATIONS)
    fan_in, fan_out = compute_fans(tuple(shape), fn=fn)
    if scheme == "naive":
        return NAIVE_STD
    if scheme == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme == "kaiming":
        return _gain(activation) / math.sqrt(fan_in)
    if scheme == "lecun":
        return math.sqrt(1.0 / fan_in)
    if scheme == "orthogonal":
        rows = int(shape[0])
        return _gain(activation) / math.sqrt(max(rows, math.prod(int(n) for n in shape) // rows))
    return 1.0 / math.sqrt(3.0 * fan_in)


def init_weight_(w: Array, scheme: str, activation: str, seed: int, stream: str) -> Array:
    """Fill w in place with fastinit's implementation of `scheme` (see scheme_std)."""
    check_choice("init_weight_", "scheme", scheme, SCHEMES)
    nl = "relu" if activation == "gelu" else activation
    if scheme == "naive":
        return normal_(w, 0.0, NAIVE_STD, seed=seed, stream=stream)
    if scheme == "xavier":
        return xavier_normal_(w, seed=seed, stream=stream)
    if scheme == "kaiming":
        return kaiming_normal_(w, LEAKY_SLOPE, nonlinearity=nl, seed=seed, stream=stream)
    if scheme == "lecun":
        return lecun_normal_(w, seed=seed, stream=stream)
    if scheme == "orthogonal":
        return orthogonal_(w, _gain(activation), seed=seed, stream=stream)
    return kaiming_uniform_(w, math.sqrt(5.0), seed=seed, stream=stream)


# -- measurement ---------------------------------------------------------------------------------


def _normalize(z: Array, axis: int) -> tuple[Array, Array]:
    mu = z.mean(axis=axis, keepdims=True)
    sigma = np.sqrt(z.var(axis=axis, keepdims=True) + NORM_EPS)
    return (z - mu) / sigma, sigma


def _normalize_backward(dy: Array, y: Array, sigma: Array, axis: int) -> Array:
    # y = (z - mean) / sqrt(var + eps)  =>  dz = (dy - mean(dy) - y * mean(dy * y)) / sigma
    return np.asarray(
        (dy - dy.mean(axis=axis, keepdims=True) - y * (dy * y).mean(axis=axis, keepdims=True)) / sigma
    )


def simulate(
    weights: Sequence[Array],
    x: Array,
    grad_out: Array,
    activation: str,
    normalization: str | None = None,
) -> tuple[Array, Array]:
    """Measure a forward and a backward pass through the MLP with the given weights (each of shape
    (out, in), chained): h_0 = x (batch, in); z_l = h_{l-1} W_l^T, normalized if asked, h_l =
    f(z_l); then from dL/dh_depth = grad_out back to dL/dx, by the hand-derived derivatives.
    Returns (act_std, grad_std), each of length len(weights) + 1: the std over all entries of h_l
    and of dL/dh_l for l = 0..depth (float64 throughout).

    Parameters
    ----------
    weights : sequence of numpy.ndarray
        At least one (out, in) matrix, each in matching the previous out.
    x : numpy.ndarray
        The input batch, (batch, in).
    grad_out : numpy.ndarray
        dL/d(output), of the output's shape.
    activation : str
        One of ACTIVATIONS.
    normalization : {None, "none", "batch", "layer"}, optional
        Normalize each pre-activation over the batch ("batch") or the units ("layer").

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        act_std and grad_std.

    Raises
    ------
    TypeError
        activation or normalization is not a str.
    ValueError
        An unknown activation or normalization; no weights; grad_out not of the output's shape.

    Examples
    --------
    >>> import fastinit
    >>> from fastinit.analysis import simulate
    >>> weights = [fastinit.kaiming_normal((64, 64), nonlinearity="relu", seed=0, stream=i) for i in range(3)]
    >>> x = fastinit.normal((32, 64), seed=0, stream="x")
    >>> act, grad = simulate(weights, x, fastinit.normal((32, 64), seed=0, stream="r"), "relu")
    >>> act.shape, grad.shape
    ((4,), (4,))
    """
    fn = "simulate"
    f, fp = ACTIVATION_FUNCTIONS[check_choice(fn, "activation", activation, ACTIVATIONS)]
    norm = norm_name(fn, normalization)
    axis = 0 if norm == "batch" else 1
    if len(weights) < 1:
        raise ValueError(f"{fn}: weights must hold at least one matrix; got {len(weights)}")
    h = np.asarray(x, dtype=np.float64)
    act = [float(h.std())]
    saved: list[tuple[Array, Array | None]] = []
    with np.errstate(all="ignore"):  # collapse to 0 or overflow is what we are here to show
        for w in weights:
            z = h @ np.asarray(w, dtype=np.float64).T
            sigma = None
            if norm != "none":
                z, sigma = _normalize(z, axis)
            saved.append((z, sigma))
            h = f(z)
            act.append(float(h.std()))
        g = np.asarray(grad_out, dtype=np.float64)
        if g.shape != h.shape:
            raise ValueError(f"{fn}: grad_out has shape {g.shape}; the output has shape {h.shape}")
        grad = [float(g.std())]
        for w, (z, sigma) in zip(reversed(weights), reversed(saved)):
            dz = g * fp(z)
            if sigma is not None:
                dz = _normalize_backward(dz, z, sigma, axis)
            g = dz @ np.asarray(w, dtype=np.float64)
            grad.append(float(g.std()))
    return np.array(act), np.array(grad[::-1])


# -- prediction ----------------------------------------------------------------------------------


@documented
def predict(
    depth: int,
    width: int,
    activation: str,
    scheme: str,
    *,
    batch: int = 256,
    normalization: str | None = None,
) -> tuple[Array, Array]:
    """The mean-field prediction for propagate()'s network: (act_std, grad_std), each of length
    depth + 1 (l = 0..depth), with s = width * Var(w) from scheme_std. Forward: z_l ~ N(0, q_l),
    q_1 = s, q_{l+1} = s * E[f(z_l)^2]; std(h_l) = sqrt(E[f^2] - E[f]^2). With normalization, z_l
    is divided by the square root of c + eps, where c = s * Var(h_{l-1}) (batch: per-unit variance
    over the batch) or s * E[h_{l-1}^2] (layer: per-sample over the units), so q_l = c / (c + eps).
    Backward: Var(dL/dh_{l-1}) = Var(dL/dh_l) * s * E[f'(z_l)^2], times, with normalization,
    (1 - 1/m - (2 - q_l) E[f'^2 z^2] / (m q_l E[f'^2])) / (c + eps) for groups of m = batch or
    width (the mean and the y-direction the normalization's backward removes). Assumes wide
    layers, weights independent of the signal (and of the gradient: the usual gradient
    independence assumption) and Gaussian pre-activations.

    Parameters
    ----------
    <network parameters>
    scheme : str
        One of SCHEMES.
    batch : int, optional
        Keyword only: the batch size, >= 2 (default 256; it matters with normalization only).
    normalization : {None, "none", "batch", "layer"}, optional
        Keyword only, as in simulate.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        act_std and grad_std, each of length depth + 1.

    <propagation arguments>

    Examples
    --------
    >>> from fastinit.analysis import predict
    >>> act, grad = predict(3, 64, "relu", "kaiming")
    >>> [round(float(s), 4) for s in act], [round(float(g), 4) for g in grad]
    ([1.0, 0.8256, 0.8256, 0.8256], [1.0, 1.0, 1.0, 1.0])
    """
    fn = "predict"
    depth, width, batch = check_network(fn, depth, width, batch, activation)
    norm = norm_name(fn, normalization)
    s = width * scheme_std(scheme, (width, width), activation) ** 2
    f, fp = ACTIVATION_FUNCTIONS[activation]
    second, var = 1.0, 1.0  # h_0 = x ~ N(0, 1)
    act, backward_gain = [1.0], []
    for _ in range(depth):
        if norm == "none":
            q, scale = s * second, 1.0
        else:
            c = s * (var if norm == "batch" else second)
            q = c / (c + NORM_EPS)
            m = batch if norm == "batch" else width
            fp2 = gaussian_expectation(lambda z: fp(z) ** 2, q)
            fp2z2 = gaussian_expectation(lambda z: (fp(z) * z) ** 2, q)
            kept = 1.0 - 1.0 / m - ((2.0 - q) * fp2z2 / (m * q * fp2) if q > 0 and fp2 > 0 else 0.0)
            scale = max(kept, 0.0) / (c + NORM_EPS)  # a group of one normalizes to 0
        mean, second, fp2 = activation_gain(activation, q)

        def centred(z: Array, m: float = mean) -> Array:
            return (f(z) - m) ** 2

        var = max(gaussian_expectation(centred, q), 0.0)
        act.append(math.sqrt(var))
        backward_gain.append(s * fp2 * scale)
    grad = [1.0]
    for gain in reversed(backward_gain):
        grad.append(grad[-1] * math.sqrt(gain))
    return np.array(act), np.array(grad[::-1])


@dataclass(frozen=True)
class LayerStats:
    """One row of propagate()'s table: layer l (0 = the input), the measured std of the
    activations h_l and of the gradients dL/dh_l, and the predicted ones.

    Parameters
    ----------
    scheme : str
        The scheme the weights were initialized by.
    layer : int
        l, from 0 (the input) to depth.
    act_std, grad_std : float
        The measured std of h_l and of dL/dh_l.
    act_std_predicted, grad_std_predicted : float
        The mean-field predictions of the same.

    Examples
    --------
    >>> from fastinit.analysis import propagate
    >>> row = propagate(4, 64, "tanh", "xavier", batch=32)[-1]
    >>> row.scheme, row.layer
    ('xavier', 4)
    """

    scheme: str
    layer: int
    act_std: float
    grad_std: float
    act_std_predicted: float
    grad_std_predicted: float
