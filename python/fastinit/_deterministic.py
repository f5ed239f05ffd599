"""The non-random initializations: constant_, ones_, zeros_, eye_ and dirac_ (torch's
semantics). They validate arr like every fill and leave it untouched on bad input."""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from ._fill import check_real
from ._target import as_target, assign, fill_value

__all__ = ["constant_", "dirac_", "eye_", "ones_", "zeros_"]

A = TypeVar("A")


def constant_(arr: A, val: float) -> A:
    """Fill arr with the finite value val, in place; returns arr."""
    a = as_target("constant_", arr)[0]
    fill_value(a, check_real("constant_", "val", val))
    return arr


def ones_(arr: A) -> A:
    """Fill arr with 1, in place; returns arr."""
    fill_value(as_target("ones_", arr)[0], 1.0)
    return arr


def zeros_(arr: A) -> A:
    """Fill arr with 0, in place; returns arr."""
    fill_value(as_target("zeros_", arr)[0], 0.0)
    return arr


def eye_(arr: A) -> A:
    """The identity matrix in a 2-D arr (ones on the main diagonal, zeros elsewhere; rectangular
    allowed), in place, as torch.nn.init.eye_; returns arr. Other ranks raise ValueError."""
    a = as_target("eye_", arr)[0]
    if a.ndim != 2:
        raise ValueError(f"eye_: only 2-D arrays are supported; got shape {a.shape}")
    identity = np.eye(*a.shape, dtype=np.float32)
    assign(a, identity)
    return arr


def dirac_(arr: A, groups: int = 1) -> A:
    """The Dirac delta in a 3-, 4- or 5-D convolution weight (out, in, *kernel), in place, as
    torch.nn.init.dirac_: with groups g, each group's first min(out / g, in) output channels copy
    the matching input channel through the kernel's centre; everything else is 0. The out
    channels must be divisible by groups."""
    a = as_target("dirac_", arr)[0]
    if a.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only 3-, 4- and 5-D arrays are supported; got shape {a.shape}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"dirac_: groups must be an int >= 1; got {groups!r}")
    if a.shape[0] % groups != 0:
        raise ValueError(
            f"dirac_: out channels {a.shape[0]} of shape {a.shape} are not divisible by groups={groups}"
        )
    out_per_group = a.shape[0] // groups
    n = min(out_per_group, a.shape[1])
    centre = tuple(k // 2 for k in a.shape[2:])
    delta = np.zeros(a.shape, np.float32)
    for g in range(groups):
        d = np.arange(n)
        delta[(g * out_per_group + d, d, *centre)] = 1
    assign(a, delta)
    return arr
