"""What the benchmark compares: for each library, a function that prepares a buffer of a shape
and dtype and returns a zero-argument callable filling it with one operation, or None when the
library cannot do that operation in that dtype. Optional libraries are used when installed."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from ...engine import fill as _fill
from ...schemes import matrix as _matrix
from ...schemes import variance as _variance

Fill = Callable[[], object]
Maker = Callable[[str, str, tuple[int, int]], Optional[Fill]]

OPS = ("uniform", "normal", "trunc_normal", "xavier_uniform", "kaiming_normal", "orthogonal", "sparse")
DTYPES = ("float32", "bfloat16", "float16", "float64")


def _np_dtype(name: str) -> Any:
    if name == "bfloat16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return np.dtype(name)


def _fastinit(op: str, dtype: str, shape: tuple[int, int]) -> Fill | None:
    buf = np.ones(shape, _np_dtype(dtype))  # pages touched: this measures the fill, not faults
    calls = {
        "uniform": lambda: _fill.uniform_(buf, -1.0, 1.0, seed=1),
        "normal": lambda: _fill.normal_(buf, seed=1),
        "trunc_normal": lambda: _fill.trunc_normal_(buf, seed=1),
        "xavier_uniform": lambda: _variance.xavier_uniform_(buf, seed=1),
        "kaiming_normal": lambda: _variance.kaiming_normal_(buf, seed=1),
        "orthogonal": lambda: _matrix.orthogonal_(buf, seed=1),
        "sparse": lambda: _matrix.sparse_(buf, 0.1, seed=1),
    }
    return calls[op]


def _numpy(bit_generator: str) -> Maker:
    def make(op: str, dtype: str, shape: tuple[int, int]) -> Fill | None:
        if dtype not in ("float32", "float64"):
            return None  # Generator draws only float32 and float64
        rng = np.random.Generator(getattr(np.random, bit_generator)(0))
        buf = np.ones(shape, dtype)
        b = math.sqrt(6 / (shape[0] + shape[1]))
        std = math.sqrt(2 / shape[1])

        def uniform() -> None:
            rng.random(out=buf, dtype=buf.dtype)

        def xavier() -> None:
            rng.random(out=buf, dtype=buf.dtype)
            np.multiply(buf, 2 * b, out=buf)
            np.subtract(buf, b, out=buf)

        def kaiming() -> None:
            rng.standard_normal(out=buf, dtype=buf.dtype)
            np.multiply(buf, std, out=buf)

        def orthogonal() -> None:
            q, r = np.linalg.qr(rng.standard_normal(shape))
            buf[...] = q * np.sign(np.diag(r))

        calls: dict[str, Fill] = {
            "uniform": uniform,
            "normal": lambda: rng.standard_normal(out=buf, dtype=buf.dtype),
            "xavier_uniform": xavier,
            "kaiming_normal": kaiming,
            "orthogonal": orthogonal,
        }
        return calls.get(op)

    return make


def _torch(op: str, dtype: str, shape: tuple[int, int]) -> Fill | None:
    import torch

    t = torch.ones(shape, dtype=getattr(torch, dtype))
    init = torch.nn.init
    calls = {
        "uniform": lambda: init.uniform_(t, -1.0, 1.0),
        "normal": lambda: init.normal_(t),
        "trunc_normal": lambda: init.trunc_normal_(t),
        "xavier_uniform": lambda: init.xavier_uniform_(t),
        "kaiming_normal": lambda: init.kaiming_normal_(t),
        "orthogonal": lambda: init.orthogonal_(t) if dtype in ("float32", "float64") else None,
        "sparse": lambda: init.sparse_(t, 0.1),
    }
    if op == "orthogonal" and dtype not in ("float32", "float64"):
        return None  # torch's QR has no half-precision kernels
    return calls[op]


def _mkl_random(op: str, dtype: str, shape: tuple[int, int]) -> Fill | None:
    import mkl_random

    if dtype != "float64" or op not in ("uniform", "normal"):
        return None  # mkl_random returns new float64 arrays; no out=, no other dtypes
    rs = mkl_random.RandomState(0, brng="PHILOX4X32X10")
    if op == "uniform":
        return lambda: rs.uniform(-1.0, 1.0, size=shape)
    return lambda: rs.standard_normal(size=shape)


def available() -> dict[str, Maker]:
    """The libraries installed here, fastinit first."""
    libs: dict[str, Maker] = {"fastinit": _fastinit}
    for name in ("PCG64", "SFC64", "Philox"):
        libs[f"numpy {name}"] = _numpy(name)
    try:
        import torch  # noqa: F401

        libs["torch.nn.init"] = _torch
    except ImportError:
        pass
    try:
        import mkl_random  # noqa: F401

        libs["mkl_random Philox4x32x10"] = _mkl_random
    except ImportError:
        pass
    return libs


def reference_fills(dtype: str, shape: tuple[int, int]) -> dict[str, Fill]:
    """Memory-bandwidth references: ndarray.fill on touched memory, and a fill of fresh memory
    (allocation plus first-touch page faults)."""
    buf = np.ones(shape, _np_dtype(dtype))

    def fresh() -> None:
        np.empty(shape, _np_dtype(dtype)).fill(1.5)

    return {"ndarray.fill": lambda: buf.fill(1.5), "first-touch fill": fresh}
