"""Why residual networks need their own initialization: a residual MLP without normalization,
measured and predicted, under plain He initialization and under the depth-aware rules.

The network: h_0 = x ~ N(0, 1) of shape (batch, width); for l = 1..depth,
h_l = h_{l-1} + f(h_{l-1} A_l^T) B_l^T, each branch two square layers. The schemes:

* "plain": A and B He-initialized for the activation (kaiming). Every block adds a branch as
  large as its input, so the activations grow geometrically with depth;
* "depth_scaled": B He-initialized times 1/sqrt(depth) (Megatron's / GPT-2's rule for the
  layer that ends each residual branch, with one branch per block): the sum of depth branch
  variances stays bounded, so the activations stay O(1) at any depth;
* "fixup": A He-initialized times depth^(-1/(2m-2)) = depth^(-1/2) (m = 2 layers per branch)
  and B zero (Fixup, Zhang et al. 2019): each block starts as the identity.

The prediction (mean-field, as for the plain MLP): with Q_l the mean square of h_l and
z ~ N(0, width Var(A) Q_{l-1}), Q_l = Q_{l-1} + width Var(B) E[f(z)^2]; going back, the gradient's
mean square gains 1 + width^2 Var(A) Var(B) E[f'(z)^2] per block.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.fill import normal_
from .activations import (
    ACTIVATION_FUNCTIONS,
    activation_gain,
    check_choice,
    check_network,
)
from .propagation import LayerStats, init_weight_, scheme_std

__all__ = ["RESIDUAL_SCHEMES", "propagate_residual"]

RESIDUAL_SCHEMES = ("plain", "depth_scaled", "fixup")


def _branch_scales(scheme: str, depth: int) -> tuple[float, float]:
    """Factors on the He-initialized A and B of every branch."""
    if scheme == "plain":
        return 1.0, 1.0
    if scheme == "depth_scaled":
        return 1.0, 1 / math.sqrt(depth)
    return depth**-0.5, 0.0  # fixup, m = 2


def propagate_residual(
    depth: int, width: int, activation: str, scheme: str, *, batch: int = 256, seed: int = 0
) -> list[LayerStats]:
    """Push a batch x ~ N(0, 1) of shape (batch, width) through the residual MLP of `depth`
    blocks (module docstring) initialized by `scheme` (one of RESIDUAL_SCHEMES), and a gradient
    r ~ N(0, 1) back; return depth + 1 LayerStats (row 0 is the input) with the measured std of
    h_l and dL/dh_l beside the mean-field prediction. Weights and data come from fastinit streams
    of `seed`. Bad arguments raise TypeError or ValueError naming them.

    Parameters
    ----------
    depth, width : int
        The number of blocks and their width, >= 1.
    activation : str
        One of ACTIVATIONS.
    scheme : str
        One of RESIDUAL_SCHEMES ("plain", "depth_scaled", "fixup").
    batch : int, optional
        Keyword only: the batch size, >= 2 (default 256).
    seed : int, optional
        Keyword only: the fastinit seed of the weights and the data (default 0).

    Returns
    -------
    list of LayerStats
        Their act_std_predicted and grad_std_predicted are the predicted root mean squares.

    Raises
    ------
    TypeError
        A count that is not an int; a choice that is not a str.
    ValueError
        A count below its minimum; an unknown activation or scheme.

    Examples
    --------
    >>> from fastinit.analysis import propagate_residual
    >>> rows = propagate_residual(16, 64, "relu", "depth_scaled", batch=32)
    >>> 0.5 < rows[-1].act_std < 4
    True
    """
    fn = "propagate_residual"
    depth, width, batch = check_network(fn, depth, width, batch, activation)
    check_choice(fn, "scheme", scheme, RESIDUAL_SCHEMES)
    f, fp = ACTIVATION_FUNCTIONS[activation]
    scale_a, scale_b = _branch_scales(scheme, depth)
    a = [
        init_weight_(np.empty((width, width)), "kaiming", activation, seed, f"residual.{i}.a")
        for i in range(depth)
    ]
    b = [
        init_weight_(np.empty((width, width)), "kaiming", activation, seed, f"residual.{i}.b")
        for i in range(depth)
    ]
    a, b = [w * scale_a for w in a], [w * scale_b for w in b]
    h = normal_(np.empty((batch, width)), seed=seed, stream="propagate.input")
    g = normal_(np.empty((batch, width)), seed=seed, stream="propagate.grad")
    act, saved = [float(h.std())], []
    with np.errstate(all="ignore"):  # overflow is what "plain" is here to show
        for wa, wb in zip(a, b):
            z = h @ wa.T
            saved.append(z)
            h = h + f(z) @ wb.T
            act.append(float(h.std()))
        grad = [float(g.std())]
        for wa, wb, z in zip(reversed(a), reversed(b), reversed(saved)):
            g = g + ((g @ wb) * fp(z)) @ wa
            grad.append(float(g.std()))
    var_a = (scheme_std("kaiming", (width, width), activation) * scale_a) ** 2
    var_b = (scheme_std("kaiming", (width, width), activation) * scale_b) ** 2
    q, gains = [1.0], []
    for _ in range(depth):
        _, f2, fp2 = activation_gain(activation, width * var_a * q[-1])
        q.append(q[-1] + width * var_b * f2)
        gains.append(1 + width * width * var_a * var_b * fp2)
    v = [1.0]
    for gain in reversed(gains):
        v.append(v[-1] * gain)
    v.reverse()
    return [
        LayerStats(scheme, i, act[i], grad[::-1][i], math.sqrt(q[i]), math.sqrt(v[i]))
        for i in range(depth + 1)
    ]
