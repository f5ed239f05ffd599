"""The propagation experiment as a table: propagate() runs simulate() and predict()
(propagation.py) on one network and gives a LayerStats row per layer; layer_gains() reduces a
table to the per-layer gains over a range of layers. NumPy only; docs/formulas.md has the
theory."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._docstrings import documented
from ..engine.fill import normal_
from .activations import check_choice, check_network, norm_name
from .propagation import SCHEMES, LayerStats, init_weight_, predict, simulate

__all__ = ["LayerGains", "layer_gains", "propagate"]


@documented
def propagate(
    depth: int,
    width: int,
    activation: str,
    scheme: str,
    *,
    batch: int = 256,
    normalization: str | None = None,
    seed: int = 0,
) -> list[LayerStats]:
    """Initialize `depth` square (width x width) float64 weights with fastinit's `scheme` (one of
    SCHEMES; see scheme_std), push a batch x ~ N(0, 1) of shape (batch, width) through the MLP
    forward and a gradient r ~ N(0, 1) backward (see simulate), and return depth + 1 LayerStats
    (layer 0 is the input) with the measured stds beside predict()'s. `activation` is one of
    ACTIVATIONS, `normalization` None, "none", "batch" or "layer". Everything is drawn from
    fastinit streams of `seed`, so the table is reproducible. Bad arguments raise TypeError or
    ValueError naming them.

    Parameters
    ----------
    <network parameters>
    scheme : str
        One of SCHEMES.
    batch : int, optional
        Keyword only: the batch size, >= 2 (default 256).
    normalization : {None, "none", "batch", "layer"}, optional
        Keyword only, as in simulate.
    seed : int, optional
        Keyword only: the fastinit seed of the weights and the data (default 0).

    Returns
    -------
    list of LayerStats

    <propagation arguments>

    Examples
    --------
    >>> from fastinit.analysis import propagate
    >>> rows = propagate(4, 64, "tanh", "xavier", batch=32)
    >>> len(rows), rows[0].act_std_predicted
    (5, 1.0)
    >>> rows == propagate(4, 64, "tanh", "xavier", batch=32)
    True
    """
    fn = "propagate"
    depth, width, batch = check_network(fn, depth, width, batch, activation)
    check_choice(fn, "scheme", scheme, SCHEMES)
    norm = norm_name(fn, normalization)
    weights = [
        init_weight_(np.empty((width, width)), scheme, activation, seed, f"propagate.{scheme}.{i}")
        for i in range(depth)
    ]
    x = normal_(np.empty((batch, width)), seed=seed, stream="propagate.input")
    r = normal_(np.empty((batch, width)), seed=seed, stream="propagate.grad")
    act, grad = simulate(weights, x, r, activation, norm)
    act_p, grad_p = predict(depth, width, activation, scheme, batch=batch, normalization=norm)
    return [
        LayerStats(scheme, i, float(act[i]), float(grad[i]), float(act_p[i]), float(grad_p[i]))
        for i in range(depth + 1)
    ]


@dataclass(frozen=True)
class LayerGains:
    """Per-layer variance gains between layers first and last of a table (geometric means):
    forward Var(h_last) / Var(h_first) and backward Var(dL/dh_first) / Var(dL/dh_last), each to
    the power 1 / (last - first), measured and predicted.

    Parameters
    ----------
    first, last : int
        The layers compared.
    act_measured, act_predicted : float
        The forward gain per layer.
    grad_measured, grad_predicted : float
        The backward gain per layer (nan where a std is 0).

    Examples
    --------
    >>> from fastinit.analysis import layer_gains, propagate
    >>> gains = layer_gains(propagate(4, 64, "relu", "kaiming", batch=32), 1, 4)
    >>> gains.first, gains.last, round(gains.act_predicted, 6)
    (1, 4, 1.0)
    """

    first: int
    last: int
    act_measured: float
    act_predicted: float
    grad_measured: float
    grad_predicted: float


def layer_gains(table: Sequence[LayerStats], first: int, last: int) -> LayerGains:
    """The per-layer variance gains of `table` (one scheme's rows) between layers first < last.

    Parameters
    ----------
    table : sequence of LayerStats
        One scheme's rows, as propagate() returns them.
    first, last : int
        Layers of the table, first < last.

    Returns
    -------
    LayerGains

    Raises
    ------
    ValueError
        first or last is not a layer of the table, or first >= last.

    Examples
    --------
    >>> from fastinit.analysis import layer_gains, propagate
    >>> gains = layer_gains(propagate(8, 64, "tanh", "naive", batch=32), 1, 8)
    >>> gains.act_predicted < 0.01  # N(0, 0.01**2) weights: the signal vanishes
    True
    """
    rows = {row.layer: row for row in table}
    if first not in rows or last not in rows or not first < last:
        raise ValueError(
            f"layer_gains: need layers first < last in the table; got first={first}, last={last}"
        )
    a, b, k = rows[first], rows[last], last - first

    def gain(top: float, bottom: float) -> float:
        with np.errstate(all="ignore"):
            return float(np.float64(top / bottom) ** (2.0 / k)) if bottom > 0 else math.nan

    return LayerGains(
        first, last,
        gain(b.act_std, a.act_std), gain(b.act_std_predicted, a.act_std_predicted),
        gain(a.grad_std, b.grad_std), gain(a.grad_std_predicted, b.grad_std_predicted),
    )  # fmt: skip
