"""The statistical checks behind ``python -m fastinit check`` and the statistical test suite.

Each check returns a ``Result``: the test's name, its statistic, its p-value (None for an exact,
deterministic check such as a bound) and a verdict. Thresholds are fixed:

* **Per-test threshold.** A p-value below ``P_FAIL = 1e-6`` fails. Moment checks are two-sided
  z-tests whose confidence bound is +-``Z_BOUND`` = 4.89 standard errors (the same 1e-6).
* **Family-wise false-alarm rate.** A run computes at most ``MAX_P_VALUES = 1000`` p-values, so
  by Bonferroni the chance that a correct generator fails *any* check is at most
  1000 * 1e-6 = ``FAMILY_BUDGET`` = 1e-3 per suite. Seeds are fixed, so a given build either
  always passes or always fails: the checks never flake.
* **Power.** At the sample sizes used (2**21 in CI, 2**18 for ``check --quick``, 2e8 in the slow
  suite) a 1% scale error moves the variance check of a normal by 20.6 standard errors at 2**21
  (7.3 at 2**18; the bound is 4.89); ``tests/test_stat_power.py`` feeds deliberately broken
  samples through these same functions and asserts that each fails.

Chi-square checks use fixed bins (``fastinit.tools.exact_laws``) and merge neighbouring bins whose expected
count is under ``MIN_EXPECTED = 20``, so the outermost bins reach as far into both tails as the
sample size allows: for a normal they hold the values beyond 4.25 sigma at 2**21 samples and
beyond 5 sigma at 2e8.

scipy is imported inside the functions: it is a test / optional dependency; numpy is the only
run-time dependency of fastinit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .exact_laws import Law, bin_probabilities

__all__ = [
    "FAMILY_BUDGET",
    "MAX_P_VALUES",
    "MIN_EXPECTED",
    "P_FAIL",
    "Z_BOUND",
    "Result",
    "bin_counts",
    "bounds_check",
    "chi_square_counts",
    "chi_square_test",
    "correlation_test",
    "exact_check",
    "judge",
    "ks_test",
    "moment_sums",
    "moment_tests",
    "normal_two_sided",
    "serial_correlation_test",
]  # fmt: skip

P_FAIL = 1e-6
FAMILY_BUDGET = 1e-3
MAX_P_VALUES = round(FAMILY_BUDGET / P_FAIL)
Z_BOUND = 4.891638475698  # two-sided normal quantile of P_FAIL: 2 * (1 - Phi(Z_BOUND)) = 1e-6
MIN_EXPECTED = 20.0
_CHUNK = 1 << 22  # elements per pass over big samples (bounds the temporaries' memory)


@dataclass(frozen=True)
class Result:
    """One check's outcome. p_value is None for exact (non-statistical) checks; passed is
    p_value >= P_FAIL for statistical ones."""

    test: str
    statistic: float
    p_value: float | None
    passed: bool
    detail: str = ""

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "FAIL"


def judge(test: str, statistic: float, p_value: float, detail: str = "") -> Result:
    """A statistical Result: passes iff p_value >= P_FAIL (a NaN p-value fails)."""
    p = float(p_value)
    return Result(test, float(statistic), p, bool(p >= P_FAIL), detail)


def exact_check(test: str, ok: bool, statistic: float, detail: str = "") -> Result:
    """A deterministic Result (no p-value): passes iff ok."""
    return Result(test, float(statistic), None, bool(ok), detail)


def normal_two_sided(z: float) -> float:
    from scipy import special

    return float(2.0 * special.ndtr(-abs(z))) if math.isfinite(z) else 0.0


def _chunks(n: int) -> range:
    return range(0, n, _CHUNK)


# ---- distribution checks ----------------------------------------------------------------------


def ks_test(x: np.ndarray, law: Law) -> Result:
    """One-sample Kolmogorov-Smirnov test of the sample x against law's exact CDF.

    Values are rounded to x's dtype, so the empirical CDF is compared with the CDF of the law
    *rounded to that dtype*: just after a value v, with F at the midpoint to the next value up;
    just before it, with F at the midpoint to the next value down (ties are handled exactly).
    The p-value is scipy.stats.kstwo's, exact for the continuous case and conservative here."""
    from scipy import stats

    xs = np.sort(np.asarray(x).ravel())
    n = xs.size
    if n == 0 or not np.issubdtype(xs.dtype, np.floating):
        raise ValueError("ks_test: need a non-empty floating-point sample")
    if not np.isfinite(xs[0]) or not np.isfinite(xs[-1]):
        return judge("KS", math.inf, 0.0, "non-finite values")
    d_plus = d_minus = 0.0
    for s in _chunks(n):
        v = xs[s : s + _CHUNK]
        up = (v.astype(np.float64) + np.nextafter(v, np.inf).astype(np.float64)) / 2
        down = (v.astype(np.float64) + np.nextafter(v, -np.inf).astype(np.float64)) / 2
        i = np.arange(s + 1, s + v.size + 1, dtype=np.float64)
        d_plus = max(d_plus, float(np.max(i / n - law.cdf(up))))
        d_minus = max(d_minus, float(np.max(law.cdf(down) - (i - 1) / n)))
    d = max(d_plus, d_minus)
    return judge("KS", d, float(stats.kstwo.sf(d, n)), f"D={d:.3g}")


def bin_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of x in the bins (-inf, e0), [e0, e1), ..., [e_last, inf) (len(edges) + 1)."""
    x = np.asarray(x).ravel()
    counts = np.zeros(len(edges) + 1, np.int64)
    for s in _chunks(x.size):
        idx = np.searchsorted(edges, x[s : s + _CHUNK].astype(np.float64), side="right")
        counts += np.bincount(idx, minlength=len(edges) + 1)
    return counts


def merge_bins(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge neighbouring bins, left to right, until each expected count is >= MIN_EXPECTED;
    a short remainder at the right end joins the last full bin."""
    obs: list[float] = []
    exp: list[float] = []
    acc_o = acc_e = 0.0
    for o, e in zip(observed.tolist(), expected.tolist()):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= MIN_EXPECTED:
            obs.append(acc_o)
            exp.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0 or acc_o > 0:
        if exp:
            obs[-1] += acc_o
            exp[-1] += acc_e
        else:
            obs.append(acc_o)
            exp.append(acc_e)
    return np.array(obs), np.array(exp)


def chi_square_counts(observed: np.ndarray, probs: np.ndarray, test: str = "chi-square") -> Result:
    """Pearson's chi-square of observed counts against exact bin probabilities (no fitted
    parameters: dof = merged bins - 1), after merge_bins. detail names the merged bin count
    and how far the outermost bins reach (their expected counts)."""
    from scipy import stats

    observed = np.asarray(observed, np.float64)
    n = observed.sum()
    merged_o, merged_e = merge_bins(observed, np.asarray(probs, np.float64) * n)
    if merged_e.size < 2:
        raise ValueError(f"{test}: too few samples ({n:g}) for two bins of {MIN_EXPECTED:g} expected")
    stat = float(np.sum((merged_o - merged_e) ** 2 / merged_e))
    dof = merged_e.size - 1
    return judge(test, stat, float(stats.chi2.sf(stat, dof)), f"X2={stat:.1f}, dof={dof}")


def chi_square_test(x: np.ndarray, law: Law, edges: np.ndarray | None = None) -> Result:
    """Chi-square of x over law's fixed bins (law.edges() unless given), tails merged to
    MIN_EXPECTED. detail says how many standard deviations the outermost tested bins reach."""
    e = law.edges() if edges is None else np.asarray(edges, np.float64)
    probs = bin_probabilities(law, e)
    result = chi_square_counts(bin_counts(x, e), probs)
    reach = _tail_reach(law, e, probs, np.asarray(x).size)
    return Result(result.test, result.statistic, result.p_value, result.passed, f"{result.detail}{reach}")


def _tail_reach(law: Law, edges: np.ndarray, probs: np.ndarray, n: int) -> str:
    """', tail bins <-4.25, >+4.25 sd': where the outermost (merged) bins begin, in standard
    deviations from the mean: those bins hold everything beyond."""
    exp = probs * n
    lo_i = int(np.argmax(np.cumsum(exp) >= MIN_EXPECTED))
    hi_i = int(np.argmax(np.cumsum(exp[::-1]) >= MIN_EXPECTED))
    lo_edge = edges[min(lo_i, len(edges) - 1)]
    hi_edge = edges[max(len(edges) - 1 - hi_i, 0)]
    return f", tail bins <{(lo_edge - law.mean) / law.std:+.2f}, >{(hi_edge - law.mean) / law.std:+.2f} sd"


def moment_sums(x: np.ndarray, center: float) -> np.ndarray:
    """[n, S1, S2, S3, S4] with Sk = sum((x - center)**k) in float64; sums of several pieces of
    one sample add up, so huge samples can be processed piecewise."""
    x = np.asarray(x).ravel()
    out = np.zeros(5)
    out[0] = x.size
    for s in _chunks(x.size):
        d = x[s : s + _CHUNK].astype(np.float64) - center
        d2 = d * d
        out[1:] += [d.sum(), d2.sum(), (d2 * d).sum(), (d2 * d2).sum()]
    return out


def moment_tests(sums: np.ndarray, law: Law) -> list[Result]:
    """Mean, variance, skewness and excess kurtosis of a sample (sums from moment_sums about
    law.mean) against law's exact values. Each is the k-th central moment about the exact mean,
    Mk = Sk / n, whose standard error is sqrt((mu_2k - mu_k**2) / n) exactly; the check fails
    outside the confidence bound E[Mk] +- Z_BOUND * se (two-sided p < P_FAIL). Skewness and
    kurtosis are Mk / std**k (- 3), their bounds scaled alike."""
    n = float(sums[0])
    mu = law.central_moments()
    sd = law.std
    out = []
    specs = [
        ("mean", 1, law.mean, 1.0, 0.0),
        ("variance", 2, 0.0, 1.0, 0.0),
        ("skewness", 3, 0.0, sd**3, 0.0),
        ("excess kurtosis", 4, 0.0, sd**4, -3.0),
    ]
    for name, k, shift, scale, add in specs:
        observed = sums[k] / n
        se = math.sqrt(max(mu[2 * k] - mu[k] ** 2, 0.0) / n)
        z = (observed - mu[k]) / se if se > 0 else (0.0 if observed == mu[k] else math.inf)
        value = shift + observed / scale + add
        expect = shift + mu[k] / scale + add
        half = Z_BOUND * se / scale
        detail = f"{value:.6g} in {expect:.6g} +- {half:.2g}"
        out.append(judge(name, value, normal_two_sided(z), detail))
    return out


def bounds_check(x: np.ndarray, lo: float, hi: float, hi_open: bool, test: str = "bounds") -> Result:
    """Exact check that every value lies in [lo, hi) (hi_open) or [lo, hi]; NaN fails."""
    x = np.asarray(x).ravel()
    if x.size == 0:
        return exact_check(test, True, 0.0, "empty")
    mn, mx = float(np.min(x)), float(np.max(x))
    ok = lo <= mn and (mx < hi if hi_open else mx <= hi)
    bracket = ")" if hi_open else "]"
    detail = f"[{mn:.9g}, {mx:.9g}] in [{lo:.9g}, {hi:.9g}{bracket}"
    return exact_check(test, ok and not math.isnan(mn + mx), 0.0 if ok else 1.0, detail)


# ---- independence checks ----------------------------------------------------------------------


def correlation_test(x: np.ndarray, y: np.ndarray, test: str = "correlation") -> Result:
    """Pearson correlation r of paired samples; under independence sqrt(n) * r is
    asymptotically N(0, 1) whatever the marginals (finite variances), two-sided p."""
    x = np.asarray(x, np.float64).ravel()
    y = np.asarray(y, np.float64).ravel()
    if x.size != y.size or x.size < 3:
        raise ValueError(f"{test}: need two samples of the same size >= 3; got {x.size}, {y.size}")
    xc, yc = x - x.mean(), y - y.mean()
    # einsum, not np.dot: a BLAS dot wakes OpenBLAS's threads, which then spin and starve
    # fastinit's own pool (a quick check took 2-4x longer on a busy 2-core machine).
    sxx, syy = float(np.einsum("i,i->", xc, xc)), float(np.einsum("i,i->", yc, yc))
    r = float(np.einsum("i,i->", xc, yc)) / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 1.0
    z = r * math.sqrt(x.size)
    return judge(test, r, normal_two_sided(z), f"r={r:+.2e}, n={x.size}")


def serial_correlation_test(x: np.ndarray, lag: int) -> Result:
    """Correlation between x[i] and x[i + lag] over the whole sample."""
    x = np.asarray(x).ravel()
    if not 1 <= lag < x.size - 2:
        raise ValueError(f"serial_correlation_test: lag must be in [1, {x.size - 3}]; got {lag}")
    return correlation_test(x[:-lag], x[lag:], f"lag-{lag} correlation")


def joint_uniformity_test(u: np.ndarray, v: np.ndarray, bins: int = 16, test: str = "joint 16x16") -> Result:
    """Chi-square of the pairs (u, v) of U[0, 1) samples over a bins x bins grid: catches any
    dependence between u and v (and non-uniform marginals)."""
    u = np.asarray(u, np.float64).ravel()
    v = np.asarray(v, np.float64).ravel()
    iu = np.clip((u * bins).astype(np.int64), 0, bins - 1)
    iv = np.clip((v * bins).astype(np.int64), 0, bins - 1)
    counts = np.bincount(iu * bins + iv, minlength=bins * bins)
    return chi_square_counts(counts, np.full(bins * bins, 1.0 / (bins * bins)), test)


# ---- discrete (half precision) checks ---------------------------------------------------------


def representable_values(dtype: Any, lo: float, hi: float) -> np.ndarray:
    """Every finite value of a 2-byte float dtype in [lo, hi], sorted, as float64."""
    dt = np.dtype(dtype)
    if dt.itemsize != 2:
        raise ValueError(f"representable_values: need a 2-byte float dtype; got {dt}")
    with np.errstate(invalid="ignore"):  # the NaN patterns
        v = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(dt).astype(np.float64)
    v = v[np.isfinite(v)]
    return np.unique(v[(v >= lo) & (v <= hi)])


def discrete_probabilities(law: Law, support: np.ndarray) -> np.ndarray:
    """P(value = s) for each support value when a draw from law is rounded to the nearest
    support value: the cells are bounded by midpoints, the outermost cells extend to -inf /
    +inf (so a value clamped to the nearest support value lands there too)."""
    mids = (support[1:] + support[:-1]) / 2
    return bin_probabilities(law, mids)


def discrete_counts(x: np.ndarray, support: np.ndarray) -> tuple[np.ndarray, int]:
    """(count of each support value in x, number of values not in support)."""
    xf = np.asarray(x).ravel().astype(np.float64)
    idx = np.clip(np.searchsorted(support, xf), 0, support.size - 1)
    hit = support[idx] == xf
    return np.bincount(idx[hit], minlength=support.size), int(xf.size - np.count_nonzero(hit))


def pile_up_test(counts: np.ndarray, probs: np.ndarray) -> Result:
    """The most over-represented single value: z = (O - E) / sqrt(E (1 - p)) over the values with
    E >= MIN_EXPECTED, one-sided, Bonferroni-corrected over those values."""
    from scipy import special

    counts = np.asarray(counts, np.float64)
    n = counts.sum()
    exp = probs * n
    keep = exp >= MIN_EXPECTED
    if not keep.any():
        raise ValueError("pile_up_test: no value has enough expected count")
    z = (counts[keep] - exp[keep]) / np.sqrt(exp[keep] * (1 - probs[keep]))
    i = int(np.argmax(z))
    p = min(1.0, float(keep.sum()) * float(special.ndtr(-z[i])))
    ratio = counts[keep][i] / exp[keep][i]
    return judge("pile-up", float(z[i]), p, f"worst value x{ratio:.3f} of expected (z={z[i]:+.1f})")
