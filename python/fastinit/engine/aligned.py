"""Host buffers that JAX can adopt: its CPU client takes 64-byte-aligned memory without copying
(used by fastinit.jax and by fastinit.keras on the JAX backend)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["aligned_empty"]

_ALIGN = 64


def aligned_empty(shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    """An uninitialized C-contiguous array whose data is 64-byte aligned, so that
    jax.device_put can adopt it on CPU instead of copying it."""
    n = math.prod(shape) * dt.itemsize
    raw = np.empty(n + _ALIGN, np.uint8)
    off = (-raw.ctypes.data) % _ALIGN
    return raw[off : off + n].view(dt).reshape(shape)
