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
from functools import partial
from typing import Any

import numpy as np

from .. import _core
from ..engine.streams import stream_id
from ..schemes import matrix as _matrix
from .battery_groups import DEFAULT_SEED, SIZES, Group, Row, Sizes
from .battery_table import HALF_PRIMITIVES, PRIMITIVES, SCHEMES, Primitive, Scheme, scheme_law, scheme_shape
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

__all__ = ["DEFAULT_SEED", "SIZES", "Group", "Row", "Sizes", "distribution_groups", "half_dtypes"]

R_MAX = {
    np.dtype(np.float32): math.sqrt(66 * math.log(2)),
    np.dtype(np.float64): math.sqrt(130 * math.log(2)),
}


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


def value_bounds(law: Law, dtype: np.dtype, version: int = 1) -> tuple[float, float, bool]:
    """(lo, hi, hi_open): where every value of a fill with law must lie (docs/stream.md): a
    uniform's values are in [dtype(a), b) - never b; a truncated normal's in [a, b]; a normal's
    within the stream's largest |z|, r_max * std of the mean (6.764 float32 in stream version 1,
    else 9.493)."""
    if isinstance(law, Uniform):
        return min(law.a, float(dtype.type(law.a))), law.b, True
    if isinstance(law, Normal):
        dt = np.dtype(dtype)
        r_max = R_MAX[np.dtype(np.float64 if dt == np.float64 or version == 2 else np.float32)]
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
    return _rows(p.label, dt, n, continuous_results(x, p.law, value_bounds(p.law, dt, p.stream_version)))


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
    lo, hi, hi_open = value_bounds(p.law, dt, p.stream_version)
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
