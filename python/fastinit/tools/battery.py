"""The statistical battery: which distributions and schemes are checked, with which parameters,
seeds and sample sizes, and which checks (fastinit.tools.stats) each gets. ``python -m fastinit
check`` and the test suite (tests/test_statistics.py, tests/test_independence.py) run the same
groups; the independence groups live in fastinit.tools.battery_independence.

A group is a named, lazily run list of checks; running it returns Rows (distribution, dtype,
ISA, n and the check's Result). Every group draws from a fixed seed and its own named stream
(the group's name), so results are reproducible and groups never share samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import numpy as np

from .. import _core
from ..engine import fill as _fill
from ..engine.streams import stream_id
from ..schemes import matrix as _matrix
from ..schemes import variance as _schemes
from .exact_laws import Law, Normal, SphereCoordinate, TruncNormal, Uniform
from .stats import (
    Result,
    bounds_check,
    chi_square_counts,
    chi_square_test,
    discrete_counts,
    discrete_probabilities,
    exact_check,
    judge,
    ks_test,
    moment_sums,
    moment_tests,
    pile_up_test,
    representable_values,
)

__all__ = ["SIZES", "Group", "Row", "Sizes", "distribution_groups", "half_dtypes"]

DEFAULT_SEED = 12345
TRUNCATED_STD_FACTOR = 0.87962566103423978  # std of N(0, 1) truncated to +-2 (docs/formulas.md)
R_MAX = {
    np.dtype(np.float32): math.sqrt(66 * math.log(2)),
    np.dtype(np.float64): math.sqrt(130 * math.log(2)),
}


@dataclass(frozen=True)
class Sizes:
    """Sample sizes of one battery mode."""

    samples: int  # values per distribution and dtype
    scheme_samples: int  # values per scheme and dtype
    words: int  # raw words (or values) per independence check
    chunks: int  # thread-chunk boundaries crossed by one fill
    matrices: int  # orthogonal_ matrices per shape and dtype
    identity: int  # elements per ISA bit-identity comparison
    half_samples: int  # values per half-precision distribution (its discrete checks need 2**17)
    exact_rows: int  # orthogonal_'s exactness checked on (rows, 2 rows) and (2 rows, rows)


# quick: every group and check, at sizes that take a few seconds (a 2% scale error is still
# 7 standard errors out; 64x128 matrices stay below OpenBLAS's threading, whose QR of 128x256
# took 2.6 s instead of 8 ms on a busy 2-core machine); default: the CI suite's; full: release.
SIZES = {
    "quick": Sizes(2**16, 2**15, 2**16, 64, 300, 3 * 2**15 + 7, 2**17, 64),
    "default": Sizes(2**21, 2**20, 2**21, 512, 20_000, 5 * 2**15 + 7, 2**21, 128),
    "full": Sizes(2**24, 2**22, 2**24, 4096, 100_000, 9 * 2**15 + 7, 2**24, 128),
}


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    distribution: str
    dtype: str
    isa: str
    n: int
    result: Result


@dataclass(frozen=True)
class Group:
    """A named list of checks, run on demand."""

    name: str
    run: Callable[[], list[Row]]


def half_dtypes() -> list[np.dtype]:
    """float16, and bfloat16 when ml_dtypes is installed."""
    out = [np.dtype(np.float16)]
    try:
        import ml_dtypes

        out.append(np.dtype(ml_dtypes.bfloat16))
    except ImportError:
        pass
    return out


# ---- the primitive distributions --------------------------------------------------------------


@dataclass(frozen=True)
class Primitive:
    """A primitive fill and the exact law it samples."""

    law: Law
    fill: Callable[..., Any]  # fill(arr, seed=, stream=) -> arr

    @property
    def label(self) -> str:
        return self.law.name


def _uniform(a: float, b: float) -> Primitive:
    return Primitive(Uniform(a, b), lambda arr, **kw: _fill.uniform_(arr, a, b, **kw))


def _normal(mean: float, std: float) -> Primitive:
    return Primitive(Normal(mean, std), lambda arr, **kw: _fill.normal_(arr, mean, std, **kw))


def _trunc(mean: float, std: float, a: float, b: float) -> Primitive:
    return Primitive(
        TruncNormal(mean, std, a, b), lambda arr, **kw: _fill.trunc_normal_(arr, mean, std, a, b, **kw)
    )


PRIMITIVES = [
    _uniform(0.0, 1.0),
    _uniform(-1.5, 2.5),
    _normal(0.0, 1.0),
    _normal(0.5, 2.0),
    _trunc(0.0, 1.0, -2.0, 2.0),
    _trunc(0.5, 2.0, -1.0, 3.0),
    _trunc(0.0, 1.0, 3.0, 5.0),  # a window in the upper tail
    _trunc(0.0, 1.0, -12.0, -11.5),  # far in the lower tail: mass 1e-33
    _trunc(0.0, 1.0, -0.5, 30.0),  # one-sided in effect
]
HALF_PRIMITIVES = [PRIMITIVES[i] for i in (0, 1, 2, 3, 4, 6)]


def value_bounds(law: Law, dtype: np.dtype) -> tuple[float, float, bool]:
    """(lo, hi, hi_open): where every value of a fill with law must lie (docs/stream.md): a
    uniform's values are in [dtype(a), b) - never b; a truncated normal's in [a, b]; a normal's
    within the stream's largest |z|, r_max * std of the mean (6.764 float32, 9.493 float64)."""
    if isinstance(law, Uniform):
        return min(law.a, float(dtype.type(law.a))), law.b, True
    if isinstance(law, Normal):
        dt = np.dtype(dtype)
        r_max = R_MAX[np.dtype(np.float64 if dt == np.float64 else np.float32)]
        slack = 2.0**-7 if dt.itemsize == 2 else 1e-6  # half types: rounding may step outward
        reach = r_max * law.std * (1 + slack) + abs(law.mean) * slack
        return law.mean - reach, law.mean + reach, False
    return law.lo, law.hi, False


def continuous_results(x: np.ndarray, law: Law, bounds: tuple[float, float, bool] | None) -> list[Result]:
    """KS, chi-square, mean, variance, skewness, excess kurtosis and (if given) bounds."""
    results = [ks_test(x, law), chi_square_test(x, law), *moment_tests(moment_sums(x, law.mean), law)]
    if bounds is not None:
        results.append(bounds_check(x, *bounds))
    return results


def _rows(label: str, dtype: Any, n: int, results: list[Result]) -> list[Row]:
    return [Row(label, np.dtype(dtype).name, str(_core.isa()), n, r) for r in results]


def primitive_rows(p: Primitive, dtype: Any, n: int, seed: int) -> list[Row]:
    """The continuous checks of a primitive fill on float32 or float64."""
    dt = np.dtype(dtype)
    x = p.fill(np.empty(n, dt), seed=seed, stream=f"check {p.label} {dt.name}")
    return _rows(p.label, dt, n, continuous_results(x, p.law, value_bounds(p.law, dt)))


# ---- half precision: a discrete distribution --------------------------------------------------


def _half_support(law: Law, dt: np.dtype) -> tuple[np.ndarray, float, float]:
    """(support, lowest, highest): the dtype values a fill can produce."""
    if isinstance(law, Uniform):
        below_b = representable_values(dt, -math.inf, law.b)
        top = float(below_b[below_b < law.b][-1])
        low = float(np.float32(law.a).astype(dt))
        return representable_values(dt, low, top), low, top
    if isinstance(law, TruncNormal):
        v = representable_values(dt, law.a, law.b)
        return v, float(v[0]), float(v[-1])
    reach = 8 * law.std
    return representable_values(dt, law.mean - reach, law.mean + reach), -math.inf, math.inf


def half_rows(p: Primitive, dtype: Any, n: int, seed: int) -> list[Row]:
    """float16 / bfloat16 as a discrete distribution: equal to the float32 fill rounded to
    nearest even (with the bound rules of docs/stream.md section 6), inside the bounds, each
    value's frequency against the exact probability of rounding to it (chi-square, cells with
    expected count < 20 merged), and no single value over-represented (pile-up)."""
    dt = np.dtype(dtype)
    stream = f"check {p.label} half"
    half = p.fill(np.empty(n, dt), seed=seed, stream=stream)
    single = p.fill(np.empty(n, np.float32), seed=seed, stream=stream)
    support, low, high = _half_support(p.law, dt)
    expected = single.astype(dt).astype(np.float64)
    if isinstance(p.law, (Uniform, TruncNormal)):
        expected = np.clip(expected, -math.inf if isinstance(p.law, Uniform) else low, high)
    got = half.astype(np.float64)
    mismatches = int(np.count_nonzero(got != expected))
    results = [exact_check("equals rounded float32", mismatches == 0, mismatches, f"{mismatches} differ")]
    lo, hi, hi_open = value_bounds(p.law, dt)
    if isinstance(p.law, Uniform):
        lo = low
    results.append(bounds_check(got, lo, hi, hi_open))
    counts, outside = discrete_counts(got, support)
    probs = discrete_probabilities(p.law, support)
    chi = chi_square_counts(counts, probs, "chi-square (discrete)")
    if outside:
        chi = exact_check(chi.test, False, outside, f"{outside} values outside the support")
    results += [chi, pile_up_test(counts, probs)]
    return _rows(p.label, dt, n, results)


# ---- initialization schemes -------------------------------------------------------------------


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


def scheme_rows(s: Scheme, dtype: Any, n: int, seed: int) -> list[Row]:
    """A scheme's draws against the law its formula implies (KS, chi-square, moments, bounds);
    the variance check is the sample std against the formula's std (detail: their ratio)."""
    dt = np.dtype(dtype)
    shape, fan_in, fan_out = scheme_shape(s, n)
    std = s.std(fan_in, fan_out)
    law = scheme_law(s.distribution, std)
    x = s.call(np.empty(shape, dt), seed=seed, stream=f"check {s.label} {dt.name}").ravel()
    results = continuous_results(x, law, value_bounds(law, dt))
    sample_std = math.sqrt(float(np.mean(np.square(x.astype(np.float64)))))
    results = [
        Result(r.test, r.statistic, r.p_value, r.passed, f"{r.detail}; std/formula={sample_std / std:.5f}")
        if r.test == "variance"
        else r
        for r in results
    ]
    label = f"{s.label} {'x'.join(map(str, shape))}"
    return _rows(label, dt, x.size, results)


# ---- orthogonal_ and sparse_ ------------------------------------------------------------------

ORTHOGONAL_SHAPES = [((8, 8), 1.0), ((6, 10), 2.0), ((10, 6), 0.5)]


def orthogonal_rows(
    shape: tuple[int, int], gain: float, dtype: Any, matrices: int, seed: int, exact_rows: int = 128
) -> list[Row]:
    """Haar distribution of orthogonal_: over many matrices (each from its own
    fresh stream), the entries at (0, 0) and (-1, -1) against the exact law of a coordinate of a
    uniform unit vector in R**max(rows, cols), times gain (KS, chi-square, moments); and, on one
    r x 2r and one 2r x r matrix (r = exact_rows), W W^T = gain**2 I (or W^T W) and the entries' std equal to
    the formula gain / sqrt(max(rows, cols)), both exact to rounding."""
    dt = np.dtype(dtype)
    rows, cols = shape
    label = f"orthogonal_(gain={gain:g}) {rows}x{cols}"
    base = stream_id(f"check {label} {dt.name}")
    first, last = np.empty(matrices, dt), np.empty(matrices, dt)
    w = np.empty(shape, dt)
    for i in range(matrices):
        _matrix.orthogonal_(w, gain, seed=seed, stream=(base + i) % 2**64)
        first[i], last[i] = w[0, 0], w[-1, -1]
    law = SphereCoordinate(max(rows, cols), gain)
    out = _rows(f"{label} [0,0]", dt, matrices, continuous_results(first, law, None))
    out += _rows(f"{label} [-1,-1]", dt, matrices, continuous_results(last, law, None))
    tol = 1e-5 if dt == np.float32 else 1e-12
    exact = []
    for big in ((exact_rows, 2 * exact_rows), (2 * exact_rows, exact_rows)):
        m = _matrix.orthogonal_(np.empty(big, dt), gain, seed=seed, stream=(base - 1 - big[0]) % 2**64)
        m = m.astype(np.float64)
        gram = m @ m.T if big[0] <= big[1] else m.T @ m
        err = float(np.max(np.abs(gram - gain**2 * np.eye(min(big)))))
        exact.append(
            exact_check(
                f"orthogonality {big[0]}x{big[1]}", err <= tol * gain**2, err, f"max|WW'-g2 I|={err:.2g}"
            )
        )
        ratio = math.sqrt(float(np.mean(m * m))) / (gain / math.sqrt(max(big)))
        exact.append(
            exact_check(f"std/formula {big[0]}x{big[1]}", abs(ratio - 1) <= tol, ratio, f"{ratio:.9f}")
        )
    return out + _rows(label, dt, 1, exact)


def sparse_rows(dtype: Any, n: int, seed: int, sparsity: float = 0.1, std: float = 0.01) -> list[Row]:
    """sparse_ on a (2000, n // 2000) matrix: exactly ceil(sparsity * rows) zeros per column;
    the other values against N(0, std**2); the zero pattern uniform over the rows (chi-square
    over 20 row bands, with the finite-population factor (N - 1) / (N - k) because each column
    draws its k zero rows without replacement)."""
    dt = np.dtype(dtype)
    rows, cols = 2000, max(2, n // 2000)
    w = _matrix.sparse_(
        np.empty((rows, cols), dt), sparsity, std, seed=seed, stream=f"check sparse {dt.name}"
    )
    zeros = w == 0
    k = math.ceil(sparsity * rows)
    per_col = zeros.sum(axis=0)
    wrong = int(np.count_nonzero(per_col != k))
    results = [
        exact_check("zeros per column", wrong == 0, wrong, f"{k} in each of {cols} columns; {wrong} differ")
    ]
    values = w[~zeros]
    law = Normal(0.0, std)
    results += continuous_results(values, law, value_bounds(law, dt))
    bands = zeros.reshape(20, rows // 20, cols).sum(axis=(1, 2)).astype(np.float64)
    expected = k * cols / 20
    stat = float(np.sum((bands - expected) ** 2 / expected)) * (rows - 1) / (rows - k)
    results.append(_judge_chi2("zero pattern rows", stat, 19))
    return _rows(f"sparse_({sparsity:g}, std={std:g}) {rows}x{cols}", dt, w.size, results)


def _judge_chi2(test: str, stat: float, dof: int) -> Result:
    from scipy import stats

    return judge(test, stat, float(stats.chi2.sf(stat, dof)), f"X2={stat:.1f}, dof={dof}")


# ---- the groups -------------------------------------------------------------------------------

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def distribution_groups(sizes: Sizes, seed: int = DEFAULT_SEED) -> list[Group]:
    """Every distribution and scheme on float32 and float64, and the half types as discrete
    distributions: one group per (distribution, dtype)."""
    groups = []
    for p in PRIMITIVES:
        for dt in FLOATS:
            groups.append(Group(f"{p.label} {dt.name}", partial(primitive_rows, p, dt, sizes.samples, seed)))
    for p in HALF_PRIMITIVES:
        for dt in half_dtypes():
            groups.append(Group(f"{p.label} {dt.name}", partial(half_rows, p, dt, sizes.half_samples, seed)))
    for s in SCHEMES:
        for dt in FLOATS:
            groups.append(
                Group(f"{s.label} {dt.name}", partial(scheme_rows, s, dt, sizes.scheme_samples, seed))
            )
    for shape, gain in ORTHOGONAL_SHAPES:
        for dt in FLOATS:
            name = f"orthogonal_ {shape[0]}x{shape[1]} {dt.name}"
            groups.append(
                Group(name, partial(orthogonal_rows, shape, gain, dt, sizes.matrices, seed, sizes.exact_rows))
            )
    for dt in FLOATS:
        groups.append(Group(f"sparse_ {dt.name}", partial(sparse_rows, dt, sizes.scheme_samples, seed)))
    return groups
