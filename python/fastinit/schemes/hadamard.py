"""ZerO initialization (Zhao, Schäfer & Anandkumar, TMLR 2022, "ZerO Initialization:
Initializing Neural Networks with only Zeros and Ones"): a deterministic weight made of
identities and a Hadamard matrix, no random draw at all."""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np

from .._docstrings import documented
from ..engine.targets import assign
from .conv_layout import checked_conv_weight

__all__ = ["hadamard_identity_", "zero_one_matrix"]

A = TypeVar("A")


def _sylvester(m: int) -> np.ndarray:
    """The 2^m x 2^m Hadamard matrix of Sylvester's construction, H_{k+1} = [[H_k, H_k],
    [H_k, -H_k]] (scipy.linalg.hadamard's; built here so numpy alone suffices)."""
    h = np.ones((1, 1))
    for _ in range(m):
        h = np.block([[h, h], [h, -h]])
    return h


def zero_one_matrix(rows: int, cols: int) -> np.ndarray:
    """ZerO's (rows, cols) matrix (Algorithm 1 of the paper), float64: the identity when
    rows == cols, the partial identity (ones on the main diagonal) when rows < cols, and when
    rows > cols c * I*(rows, 2^m) H_m I*(2^m, cols) — the top-left (rows, cols) block of the
    Sylvester-Hadamard matrix H_m, m = ceil(log2(rows)), times c = 2^(-(m-1)/2)."""
    if rows <= cols:
        return np.eye(rows, cols)
    m = math.ceil(math.log2(rows))
    block: np.ndarray = 2.0 ** (-(m - 1) / 2) * _sylvester(m)[:rows, :cols]
    return block


@documented
def hadamard_identity_(arr: A, *, layout: str = "oihw") -> A:
    """ZerO initialization of a linear or convolution weight, in place; returns arr.

    A 2-D weight (out, in) becomes zero_one_matrix(out, in): the identity when out == in, the
    partial identity (ones on the diagonal, zeros elsewhere) when out < in, and when out > in a
    scaled Hadamard block, c * H[:out, :in] with H the 2^m Sylvester-Hadamard matrix,
    m = ceil(log2(out)) and c = 2^(-(m-1)/2), whose signs spread the inputs over the extra
    outputs. A convolution
    kernel (3 to 5 dimensions) is zero but at its spatial centre, which holds that matrix: a
    convolution that starts as the same channel map at every position. layout "oihw" is torch's
    (out, in, *kernel), "hwio" Keras/JAX's (*kernel, in, out). No random numbers are drawn:
    ZerO's networks break symmetry through the Hadamard signs and training. In a residual
    network the paper zeroes the last layer of each branch (init_module_(model, "zerO") does).

    Parameters
    ----------
    arr : numpy.ndarray, torch.Tensor or buffer
        A 2- to 5-D writable array or CPU torch tensor of a supported dtype (as in uniform_).
    <channel layout>

    <returns arr or empty>

    Raises
    ------
    TypeError
        arr is not an array of a supported dtype.
    ValueError
        An unknown layout; arr not 2- to 5-D; arr read-only. arr is untouched.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.hadamard_identity_(np.empty((4, 2)))
    array([[ 0.70710678,  0.70710678],
           [ 0.70710678, -0.70710678],
           [ 0.70710678,  0.70710678],
           [ 0.70710678, -0.70710678]])
    """
    fn = "hadamard_identity_"
    a, shape = checked_conv_weight(fn, arr, layout, range(2, 6), "the weight must have 2 to 5")
    if getattr(a, "is_meta", False) or math.prod(shape) == 0:
        return arr
    oihw = shape if layout == "oihw" else (shape[-1], shape[-2], *shape[:-2])
    values = np.zeros(oihw)
    centre: tuple[slice | int, ...] = (slice(None), slice(None), *(k // 2 for k in oihw[2:]))
    values[centre] = zero_one_matrix(oihw[0], oihw[1])
    if layout == "hwio":
        values = np.moveaxis(values, (0, 1), (-1, -2))
    assign(a, values)
    return arr
