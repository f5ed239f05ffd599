"""What the statistical battery (fastinit.tools.battery) checks: the primitive fills with the
exact laws they sample, and each initialization scheme with its formula - std(fan_in, fan_out)
from docs/formulas.md, written out independently of fastinit.schemes - the law a draw of that
std follows, and the shape a check draws."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ..engine import fill as _fill
from ..schemes import variance as _schemes
from .exact_laws import Law, Normal, TruncNormal, Uniform

__all__ = [
    "HALF_PRIMITIVES", "PRIMITIVES", "SCHEMES", "TRUNCATED_STD_FACTOR", "Primitive", "Scheme", "scheme_law", "scheme_shape",
]  # fmt: skip

TRUNCATED_STD_FACTOR = 0.87962566103423978  # std of N(0, 1) truncated to +-2 (docs/formulas.md)


@dataclass(frozen=True)
class Primitive:
    """A primitive fill and the exact law it samples."""

    law: Law
    fill: Callable[..., Any]  # fill(arr, seed=, stream=) -> arr
    stream_version: int = 1

    @property
    def label(self) -> str:
        return self.law.name + (" stream v2" if self.stream_version == 2 else "")


def _uniform(a: float, b: float) -> Primitive:
    return Primitive(Uniform(a, b), lambda arr, **kw: _fill.uniform_(arr, a, b, **kw))


def _normal(mean: float, std: float, version: int = 1) -> Primitive:
    return Primitive(
        Normal(mean, std),
        lambda arr, **kw: _fill.normal_(arr, mean, std, stream_version=version, **kw),
        version,
    )


def _trunc(mean: float, std: float, a: float, b: float, version: int = 1) -> Primitive:
    return Primitive(
        TruncNormal(mean, std, a, b),
        lambda arr, **kw: _fill.trunc_normal_(arr, mean, std, a, b, stream_version=version, **kw),
        version,
    )


_WINDOWS = [
    (0.0, 1.0, -2.0, 2.0),
    (0.5, 2.0, -1.0, 3.0),
    (0.0, 1.0, 3.0, 5.0),  # a window in the upper tail
    (0.0, 1.0, -12.0, -11.5),  # far in the lower tail: mass 1e-33
    (0.0, 1.0, -0.5, 30.0),  # one-sided in effect
    (0.0, 0.02, -2.0, 2.0),  # timm's and HF's trunc_normal_(std=0.02): version 2's normal values
]


PRIMITIVES = [
    _uniform(0.0, 1.0),
    _uniform(-1.5, 2.5),
    _normal(0.0, 1.0),
    _normal(0.5, 2.0),
    _normal(0.0, 1.0, version=2),
    _normal(0.5, 2.0, version=2),
    *(_trunc(*w, version=v) for v in (1, 2) for w in _WINDOWS),
]
# In the half types: the uniforms and normals, and the truncated normals of three windows (around
# the mean, in the upper tail, and timm's).
HALF_PRIMITIVES = [*PRIMITIVES[:6], *(_trunc(*_WINDOWS[i], version=v) for v in (1, 2) for i in (0, 2, 5))]


@dataclass(frozen=True)
class Scheme:
    """An initialization call and its formula: std(fan_in, fan_out) from docs/formulas.md,
    written out here independently of fastinit.schemes.variance."""

    label: str
    call: Callable[..., Any]  # call(arr, seed=, stream=) -> arr
    std: Callable[[float, float], float]  # the formula's std from (fan_in, fan_out)
    distribution: str  # "uniform", "normal" or "truncated_normal"
    layout: str = "oihw"  # "oihw": (out, in, *kernel); "hwio": (*kernel, in, out)
    kernel: tuple[int, ...] = ()


def scheme_law(distribution: str, std: float) -> Law:
    """The law of a zero-mean scheme draw of standard deviation std (docs/formulas.md)."""
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return Uniform(-bound, bound)
    if distribution == "normal":
        return Normal(0.0, std)
    s = std / TRUNCATED_STD_FACTOR
    return TruncNormal(0.0, s, -2 * s, 2 * s)


def scheme_shape(s: Scheme, n: int) -> tuple[tuple[int, ...], float, float]:
    """(shape, fan_in, fan_out) of about n elements: 1024 inputs (64 with a kernel)."""
    fan_in_ch = 64 if s.kernel else 1024
    receptive = math.prod(s.kernel)
    out = max(2, n // (fan_in_ch * receptive))
    shape = (out, fan_in_ch, *s.kernel) if s.layout == "oihw" else (*s.kernel, fan_in_ch, out)
    return shape, float(fan_in_ch * receptive), float(out * receptive)


def _xavier_std(gain: float) -> Callable[[float, float], float]:
    return lambda fi, fo: gain * math.sqrt(2.0 / (fi + fo))


def _he_std(gain: float, fan: str) -> Callable[[float, float], float]:
    return lambda fi, fo: gain / math.sqrt(fi if fan == "fan_in" else fo)


def _vs_std(scale: float, mode: str) -> Callable[[float, float], float]:
    def std(fi: float, fo: float) -> float:
        n = {"fan_in": fi, "fan_out": fo, "fan_avg": (fi + fo) / 2}[mode]
        return math.sqrt(scale / n)

    return std


_TANH = 5.0 / 3.0
_RELU = math.sqrt(2.0)
_LEAKY_02 = math.sqrt(2.0 / (1 + 0.2**2))
_TORCH_LINEAR = math.sqrt(2.0 / (1 + 5.0))  # kaiming_uniform_(a=sqrt(5)), torch's nn.Linear default

SCHEMES = [
    Scheme("xavier_uniform_", _schemes.xavier_uniform_, _xavier_std(1.0), "uniform"),
    Scheme("xavier_uniform_(gain=5/3)", lambda a, **k: _schemes.xavier_uniform_(a, _TANH, **k), _xavier_std(_TANH), "uniform"),
    Scheme("xavier_normal_ conv 3x3", _schemes.xavier_normal_, _xavier_std(1.0), "normal", kernel=(3, 3)),
    Scheme("kaiming_uniform_(a=sqrt(5))", lambda a, **k: _schemes.kaiming_uniform_(a, math.sqrt(5), **k), _he_std(_TORCH_LINEAR, "fan_in"), "uniform"),
    Scheme("kaiming_uniform_(relu)", lambda a, **k: _schemes.kaiming_uniform_(a, nonlinearity="relu", **k), _he_std(_RELU, "fan_in"), "uniform"),
    Scheme("kaiming_normal_(fan_out, relu)", lambda a, **k: _schemes.kaiming_normal_(a, mode="fan_out", nonlinearity="relu", **k), _he_std(_RELU, "fan_out"), "normal"),
    Scheme("kaiming_normal_(leaky 0.2)", lambda a, **k: _schemes.kaiming_normal_(a, 0.2, **k), _he_std(_LEAKY_02, "fan_in"), "normal"),
    Scheme("kaiming_normal_ HeNormal hwio 3x3", lambda a, **k: _schemes.kaiming_normal_(a, nonlinearity="relu", distribution="truncated_normal", layout="hwio", **k), _he_std(_RELU, "fan_in"), "truncated_normal", "hwio", (3, 3)),
    Scheme("lecun_uniform_", _schemes.lecun_uniform_, _he_std(1.0, "fan_in"), "uniform"),
    Scheme("lecun_normal_", _schemes.lecun_normal_, _he_std(1.0, "fan_in"), "truncated_normal"),
    Scheme("variance_scaling_(2, fan_avg, uniform)", lambda a, **k: _schemes.variance_scaling_(a, 2.0, "fan_avg", "uniform", **k), _vs_std(2.0, "fan_avg"), "uniform"),
    Scheme("variance_scaling_(0.5, fan_out, normal)", lambda a, **k: _schemes.variance_scaling_(a, 0.5, "fan_out", "normal", **k), _vs_std(0.5, "fan_out"), "normal"),
    Scheme("variance_scaling_ conv 5x5", lambda a, **k: _schemes.variance_scaling_(a, 1.0, "fan_in", **k), _vs_std(1.0, "fan_in"), "truncated_normal", kernel=(5, 5)),
]  # fmt: skip
