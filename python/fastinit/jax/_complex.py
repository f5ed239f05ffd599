"""Complex draws, as jax.nn.initializers makes them, through fastinit's engine.

A complex array of n elements is filled as the float array of 2n elements that views it (NumPy's
layout): element k's real part is float element 2k of the stream, its imaginary part element
2k + 1. Then, per jax.nn.initializers:

* **normal** (``normal``, ``variance_scaling(..., "normal")``): the 2n floats are N(0, std**2 / 2),
  so E|z|**2 = std**2, the variance split evenly between the parts (jax.random.normal's complex
  draw).
* **polar** forms: the 2n floats are U[0, 1); element k's pair (u, v) = (float 2k, float 2k + 1)
  becomes r * exp(2 pi i v) * scale, in place, chunk by chunk (no temporary of the full size):
  ``variance_scaling(..., "uniform")`` takes r = sqrt(2 u) (uniform on the disk of radius sqrt(2),
  JAX's ``_complex_uniform``) and scale = std; ``"truncated_normal"`` takes
  r = sqrt(-log(1 - (1 - exp(-4)) u)) (a unit-variance complex normal with modulus truncated to 2,
  JAX's ``_complex_truncated_normal``) and scale = std / 0.95311164380491208, JAX's constant.
  (That constant is sqrt(1 - 5 exp(-4)); the truncated modulus's E r**2 is
  (1 - 5 exp(-4)) / (1 - exp(-4)), so JAX's complex truncated draws, and these, have a variance
  1.9 % above scale / n. fastinit keeps JAX's constant: a drop-in gives JAX's distribution.)

The transform is computed in float64 and rounded once to the part's dtype.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .. import _core
from ..engine.aligned import aligned_empty
from ..engine.fill import fill_law

__all__ = ["COMPLEX_TRUNCATED_STD_FACTOR", "complex_normal", "complex_polar"]

COMPLEX_TRUNCATED_STD_FACTOR = 0.95311164380491208  # jax.nn.initializers' constant, kept (docstring)
_CHUNK = 1 << 16  # pairs transformed at a time


def _parts(z: np.ndarray) -> np.ndarray:
    """The float view of a C-contiguous complex array: (n, 2) rows of (real, imaginary)."""
    return z.reshape(-1).view(z.real.dtype).reshape(-1, 2)


def complex_normal(
    fn: str, shape: tuple[int, ...], dt: np.dtype, std: float, seed: int, sid: int
) -> np.ndarray:
    """A new complex array of `shape` and `dt` whose parts are N(0, std**2 / 2) (module docstring)."""
    out = aligned_empty(shape, dt)
    fill_law(fn, _parts(out), _core.Law.normal(0.0, std / math.sqrt(2.0)), {"seed": seed, "stream": sid})
    return out


def _disk(u: np.ndarray) -> np.ndarray:
    return np.sqrt(2.0 * u)


def _truncated(u: np.ndarray) -> np.ndarray:
    return np.sqrt(-np.log1p(-(1.0 - math.exp(-4.0)) * u))


RADII: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    "uniform": (_disk, 1.0),
    "truncated_normal": (_truncated, 1.0 / COMPLEX_TRUNCATED_STD_FACTOR),
}


def complex_polar(
    fn: str, shape: tuple[int, ...], dt: np.dtype, std: float, distribution: str, seed: int, sid: int
) -> np.ndarray:
    """A new complex array drawn in polar form (module docstring): distribution "uniform" (the
    disk) or "truncated_normal", with JAX's scale for std."""
    radius, factor = RADII[distribution]
    out = aligned_empty(shape, dt)
    pairs = _parts(out)
    fill_law(fn, pairs, _core.Law.uniform(0.0, 1.0), {"seed": seed, "stream": sid})
    scale = std * factor
    for start in range(0, len(pairs), _CHUNK):
        block = pairs[start : start + _CHUNK]
        r = radius(block[:, 0].astype(np.float64)) * scale
        theta = (2.0 * math.pi) * block[:, 1].astype(np.float64)
        block[:, 0] = r * np.cos(theta)
        block[:, 1] = r * np.sin(theta)
    return out
