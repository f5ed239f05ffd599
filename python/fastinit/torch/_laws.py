"""The laws accelerate() records instead of writing a random fill at once, and how each changes
under the in-place operations that initialization code applies next.

A fill is deferred as (law, stream) and written when something observes the tensor. Until then,
an in-place operation whose effect on the law is known in closed form updates the law instead of
touching memory: ``erfinv_`` turns a uniform on [2l-1, 2u-1] into a truncated normal (the
inverse-CDF trick of timm's and older torch's ``trunc_normal_``), ``mul_``/``add_`` scale and
shift, and a ``clamp_`` that only trims rounding is absorbed. A comparison with a number whose
answer is the same for every value the law can produce (torch's ``trunc_normal_`` checking
``(t < a) | (t > b)`` for bounds 100 standard deviations away) is answered from the law.

Every rule returns None when it does not apply exactly; the caller then writes the fill and lets
torch run the operation on the values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Union

import torch

from ..engine import fill as _fill

__all__ = ["Constant", "DeferredLaw", "Normal", "TruncNormal", "Uniform", "check_law", "value_range"]

# Largest |z| a normal_ value can have in either stream version, rounded up: r_max of
# docs/stream.md, 9.493 in version 2 (every dtype) and for float64 in version 1 (6.764 for
# float32 and the half types there). A law does not know which version will write it.
_R_MAX = 9.5
# Largest |z| a trunc_normal_ value can have when its window reaches further (inversion): the
# element whose uniform is 0 takes q floored to the smallest normal number, Phi^-1(2**-126) =
# -12.95 for float32 and the half types (computed in float32), Phi^-1(2**-1022) = -37.52 for
# float64; rounded up. About one value in 2**24 (2**53 for float64) has u = 0.
_TRUNC_REACH_F32, _TRUNC_REACH_F64 = 13.0, 37.6
# Relative rounding of the half types (bfloat16 keeps 8 significant bits).
_ROUNDING = {
    torch.float64: 2.0**-52,
    torch.float32: 2.0**-23,
    torch.float16: 2.0**-10,
    torch.bfloat16: 2.0**-7,
}


class _Rules:
    """The in-place rules a law has no closed form for: each returns None (the fill is written
    and torch runs the operation). A law's write(t, seed, stream, **shard) fills t, a shard's
    global_shape= and index= placing it in the whole fill."""

    def affine(self, scale: float, shift: float) -> DeferredLaw | None:
        return None

    def erfinv(self) -> DeferredLaw | None:
        return None

    def clamp(self, lo: float, hi: float, dtype: torch.dtype) -> DeferredLaw | None:
        return None


@dataclass(frozen=True)
class Uniform(_Rules):
    """U[lo, hi), written by fastinit.uniform_."""

    lo: float
    hi: float

    def write(self, t: torch.Tensor, seed: int, stream: int, **shard: Any) -> None:
        _fill.uniform_(t, self.lo, self.hi, seed=seed, stream=stream, **shard)

    def affine(self, scale: float, shift: float) -> DeferredLaw | None:
        if not scale > 0:  # a negative scale would open the interval at the other end
            return None
        return Uniform(self.lo * scale + shift, self.hi * scale + shift)

    def erfinv(self) -> DeferredLaw | None:
        """erfinv(U) for U uniform on [lo, hi] in [-1, 1]: erf(x) = 2 Phi(x sqrt 2) - 1, so erfinv(U)
        is Z / sqrt 2 with Z standard normal conditioned on [sqrt2 erfinv(lo), sqrt2 erfinv(hi)]."""
        if not -1.0 <= self.lo < self.hi <= 1.0:
            return None
        a, b = (float(torch.special.erfinv(torch.tensor(v, dtype=torch.float64))) for v in (self.lo, self.hi))
        return TruncNormal(0.0, math.sqrt(0.5), a, b)

    def clamp(self, lo: float, hi: float, dtype: torch.dtype) -> DeferredLaw | None:
        return self if lo <= self.lo and hi >= self.hi else None

    def support(self, dtype: torch.dtype) -> tuple[float, float]:
        return self.lo, self.hi


@dataclass(frozen=True)
class Normal(_Rules):
    """N(mean, std**2), written by fastinit.normal_."""

    mean: float
    std: float

    def write(self, t: torch.Tensor, seed: int, stream: int, **shard: Any) -> None:
        _fill.normal_(t, self.mean, self.std, seed=seed, stream=stream, **shard)

    def affine(self, scale: float, shift: float) -> DeferredLaw | None:
        return Normal(self.mean * scale + shift, self.std * abs(scale)) if scale != 0 else None

    def clamp(self, lo: float, hi: float, dtype: torch.dtype) -> DeferredLaw | None:
        values = value_range(self, dtype)
        return self if values is not None and lo <= values[0] and hi >= values[1] else None

    def support(self, dtype: torch.dtype) -> tuple[float, float]:
        r = _R_MAX * self.std
        return self.mean - r, self.mean + r


@dataclass(frozen=True)
class TruncNormal(_Rules):
    """N(mean, std**2) conditioned on [a, b]; a or b may be infinite until a clamp bounds them.
    Written by fastinit.trunc_normal_ (fastinit.normal_ when both are infinite)."""

    mean: float
    std: float
    a: float
    b: float

    def write(self, t: torch.Tensor, seed: int, stream: int, **shard: Any) -> None:
        if math.isinf(self.a) and math.isinf(self.b):
            _fill.normal_(t, self.mean, self.std, seed=seed, stream=stream, **shard)
            return
        # an infinite end holds no mass beyond 40 std (Phi(-40) underflows in float64)
        far = 40.0 * self.std
        a = self.a if math.isfinite(self.a) else self.mean - far
        b = self.b if math.isfinite(self.b) else self.mean + far
        _fill.trunc_normal_(t, self.mean, self.std, a, b, seed=seed, stream=stream, **shard)

    def affine(self, scale: float, shift: float) -> DeferredLaw | None:
        if scale > 0:
            a, b = self.a * scale + shift, self.b * scale + shift
        elif scale < 0:
            a, b = self.b * scale + shift, self.a * scale + shift
        else:
            return None
        return TruncNormal(self.mean * scale + shift, self.std * abs(scale), a, b)

    def clamp(self, lo: float, hi: float, dtype: torch.dtype) -> DeferredLaw | None:
        """The clamp that follows the inverse-CDF step trims rounding only: a bound within a
        millionth of a standard deviation of the law's own is taken, one beyond every value the
        law can produce changes nothing; a clamp that would cut off values is not absorbed."""
        values = value_range(self, dtype)
        if values is None:
            return None
        tol = 1e-6 * self.std
        a, b = self.a, self.b
        if lo > a:
            if lo <= a + tol:
                a = lo
            elif lo > values[0]:
                return None
        if hi < b:
            if hi >= b - tol:
                b = hi
            elif hi < values[1]:
                return None
        return TruncNormal(self.mean, self.std, a, b)

    def support(self, dtype: torch.dtype) -> tuple[float, float]:
        r = (_TRUNC_REACH_F64 if dtype == torch.float64 else _TRUNC_REACH_F32) * self.std
        return max(self.mean - r, self.a), min(self.mean + r, self.b)


@dataclass(frozen=True)
class Constant(_Rules):
    """Every element equal to value (the deferred answer of a comparison: a bool mask)."""

    value: Any

    def write(self, t: torch.Tensor, seed: int, stream: int, **shard: Any) -> None:
        t.fill_(self.value)

    def support(self, dtype: torch.dtype) -> tuple[float, float]:
        return float(self.value), float(self.value)


DeferredLaw = Union[Uniform, Normal, TruncNormal, Constant]


def value_range(law: DeferredLaw, dtype: torch.dtype) -> tuple[float, float] | None:
    """An interval holding every value `law` can write into a tensor of dtype, after rounding
    to dtype; None when it may reach past dtype's finite range (a value could round to inf)."""
    low, high = law.support(dtype)
    if isinstance(law, Constant):
        return low, high
    slack = _ROUNDING[dtype] * max(abs(low), abs(high))
    low, high = low - slack, high + slack
    limit = torch.finfo(dtype).max
    if not (-limit <= low and high <= limit):
        return None
    return low, high


_CHECK_TARGETS: dict[torch.dtype, torch.Tensor] = {}


def check_law(law: DeferredLaw, dtype: torch.dtype) -> None:
    """Raise what fastinit would raise for this law in a tensor of dtype (writing nothing: the
    checks run on an empty tensor of that dtype, so there is one set of rules)."""
    if isinstance(law, Uniform) and not law.lo <= law.hi:
        raise ValueError("uniform_: from > to")  # torch's kernel reports it in its own words
    if isinstance(law, Uniform) and law.hi - law.lo > torch.finfo(dtype).max:
        raise ValueError("uniform_: to - from past the dtype's largest value")  # torch refuses it too
    empty = _CHECK_TARGETS.get(dtype)
    if empty is None:
        with torch.inference_mode(False):  # a normal tensor, even if made inside inference_mode
            empty = _CHECK_TARGETS[dtype] = torch.empty(0, dtype=dtype)
    law.write(empty, 0, 0)
