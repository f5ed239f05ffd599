"""Statistical validation of every distribution and scheme (issue 4), through the battery that
`python -m fastinit check` runs (fastinit.tools.battery): on float32 and float64, one-sample KS
against the exact CDF, chi-square over fixed bins reaching both tails (expected counts < 20
merged), mean / variance / skewness / excess kurtosis inside their confidence bounds, bounds
(uniform never reaches b, truncated normals inside [a, b]) and, for each scheme, the sample std
against the scheme's formula; half precision as a discrete distribution.

Thresholds (fastinit.tools.stats): a check fails at p < 1e-6; with at most 1000 p-values per suite
the family-wise false-alarm rate is <= 1e-3 (Bonferroni). Seeds are fixed, so the suite never
flakes. Statistics run on the default ISA; tests/test_isa.py carries them to the other paths.
The CI size is 2**21 values per distribution; the `slow` tests use 2e8 (chi-square bins then
reach beyond 5 sigma).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastinit
from fastinit.tools import battery as _battery
from fastinit.tools import battery_table as _battery_table
from fastinit.tools import exact_laws as _laws
from fastinit.tools import stats as _stats

stats = pytest.importorskip("scipy.stats")

SEED = _battery.DEFAULT_SEED
CI = _battery.SIZES["default"]
SLOW_SAMPLES = 200_000_000
SLOW_SEED = 2


def _failures(rows):
    return [
        f"{r.distribution} {r.dtype}: {r.result.test} {r.result.detail} p={r.result.p_value}"
        for r in rows
        if not r.result.passed
    ]


GROUPS = _battery.distribution_groups(CI, SEED)


@pytest.mark.parametrize("group", GROUPS, ids=[g.name for g in GROUPS])
def test_distribution(group):
    rows = group.run()
    assert rows
    assert not _failures(rows)


def test_every_distribution_and_scheme_is_covered():
    names = " ".join(g.name for g in GROUPS)
    for fill in ("uniform", "normal", "trunc_normal", "orthogonal_", "sparse_"):
        assert fill in names
    for scheme in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                   "lecun_uniform_", "lecun_normal_", "variance_scaling_"):  # fmt: skip
        for dtype in ("float32", "float64"):
            assert any(g.name.startswith(scheme) and g.name.endswith(dtype) for g in GROUPS), (scheme, dtype)
    for half in ("float16", "bfloat16"):
        assert any(g.name.endswith(half) for g in GROUPS)


def test_battery_stays_within_the_false_alarm_budget():
    """The CLI's default battery (the CI sizes) computes fewer p-values than the budget."""
    from fastinit.tools.battery_independence import independence_groups

    quick = _battery.SIZES["quick"]
    groups = _battery.distribution_groups(quick, SEED) + independence_groups(quick, SEED)
    count = sum(r.result.p_value is not None for g in groups for r in g.run())
    assert 300 <= count <= _stats.MAX_P_VALUES
    assert _stats.MAX_P_VALUES * _stats.P_FAIL <= _stats.FAMILY_BUDGET + 1e-15


# ---- the exact laws and constants the checks rely on ------------------------------------------


def test_threshold_constants():
    assert _stats.P_FAIL == 1e-6
    assert stats.norm.isf(_stats.P_FAIL / 2) == pytest.approx(_stats.Z_BOUND, rel=1e-12)
    assert stats.truncnorm(-2, 2).std() == pytest.approx(_battery_table.TRUNCATED_STD_FACTOR, rel=1e-15)


@pytest.mark.parametrize(
    ("mean", "std", "a", "b"),
    [(0, 1, -2, 2), (0.5, 2, -1, 3), (0, 1, 3, 5), (0, 1, -0.5, 30), (1, 0.01, -5, 1.001)],
)
def test_trunc_normal_law_matches_scipy(mean, std, a, b):
    law = _laws.TruncNormal(mean, std, a, b)
    ref = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert law.mean == pytest.approx(ref.mean(), rel=1e-12, abs=1e-14)
    assert law.std == pytest.approx(ref.std(), rel=1e-10)
    mu = law.central_moments()
    assert mu[3] == pytest.approx(ref.stats(moments="s") * ref.std() ** 3, rel=1e-8, abs=1e-14)
    assert mu[4] == pytest.approx((ref.stats(moments="k") + 3) * ref.var() ** 2, rel=1e-8)
    x = np.linspace(a, b, 101)
    np.testing.assert_allclose(law.cdf(x), ref.cdf(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(law.sf(x), ref.sf(x), rtol=1e-10, atol=1e-15)
    assert _laws.bin_probabilities(law, law.edges()).sum() == pytest.approx(1.0, rel=1e-12)


def test_far_tail_window_keeps_relative_precision():
    """[-12, -11.5] holds mass 1.8e-33: the CDF is still right to 1e-12, relative (checked
    against an independent route: log Phi and expm1)."""
    law = _laws.TruncNormal(0.0, 1.0, -12.0, -11.5)
    x = np.array([-11.95, -11.9, -11.7, -11.55])
    log_lo = stats.norm.logcdf(-12.0)
    want = np.expm1(stats.norm.logcdf(x) - log_lo) / np.expm1(stats.norm.logcdf(-11.5) - log_lo)
    np.testing.assert_allclose(law.cdf(x), want, rtol=1e-12)
    np.testing.assert_allclose(law.sf(x), 1 - want, rtol=1e-11)


@pytest.mark.parametrize("m", [2, 3, 8, 10, 100])
def test_sphere_coordinate_law(m):
    law = _laws.SphereCoordinate(m, 2.0)
    ref = stats.beta((m - 1) / 2, (m - 1) / 2, loc=-2.0, scale=4.0)
    x = np.linspace(-2, 2, 41)
    np.testing.assert_allclose(law.cdf(x), ref.cdf(x), atol=1e-13)
    h = (m - 1) / 2  # u = (t + 1) / 2 ~ Beta(h, h): E u**i = prod_j (h + j) / (2h + j)
    beta_moment = [math.prod((h + j) / (2 * h + j) for j in range(i)) for i in range(9)]
    for k in (2, 4, 6, 8):  # E (2t)**k = 2**k E (2u - 1)**k
        raw = sum(math.comb(k, i) * 2**i * beta_moment[i] * (-1) ** (k - i) for i in range(k + 1))
        assert law.central_moments()[k] == pytest.approx(2**k * raw, rel=1e-9)


@pytest.mark.parametrize("law", [_laws.Normal(0.5, 2.0), _laws.Uniform(-1.5, 2.5)], ids=str)
def test_law_moments_match_scipy(law):
    ref = stats.norm(0.5, 2.0) if isinstance(law, _laws.Normal) else stats.uniform(-1.5, 4.0)
    for k in range(2, 9):
        central = ref.expect(lambda x, k=k: (x - ref.mean()) ** k)
        assert law.central_moments()[k] == pytest.approx(central, rel=1e-8, abs=1e-12)


def test_normal_bins_reach_both_tails():
    law = _laws.Normal(0.0, 1.0)
    probs = _laws.bin_probabilities(law, law.edges())
    ci = _stats.chi_square_test(fastinit.normal((CI.samples,), seed=SEED, stream="tails"), law)
    assert ci.passed and "tail bins <-4.25, >+4.25 sd" in ci.detail  # 2**21 samples
    slow = _stats._tail_reach(law, law.edges(), probs, SLOW_SAMPLES)
    assert slow == ", tail bins <-5.00, >+5.00 sd"  # 2e8 samples: the counts beyond 5 sigma are tested


# ---- scheme formulas, written out by hand -----------------------------------------------------


@pytest.mark.parametrize(
    ("label", "std"),
    [
        ("xavier_uniform_", math.sqrt(2 / (1024 + 2048))),
        ("xavier_uniform_(gain=5/3)", 5 / 3 * math.sqrt(2 / 3072)),
        ("kaiming_uniform_(a=sqrt(5))", 1 / math.sqrt(3 * 1024)),
        ("kaiming_uniform_(relu)", math.sqrt(2 / 1024)),
        ("kaiming_normal_(fan_out, relu)", math.sqrt(2 / 2048)),
        ("lecun_normal_", math.sqrt(1 / 1024)),
        ("variance_scaling_(2, fan_avg, uniform)", math.sqrt(2 / 1536)),
    ],
)
def test_scheme_formula(label, std):
    scheme = next(s for s in _battery_table.SCHEMES if s.label == label)
    shape, fan_in, fan_out = _battery_table.scheme_shape(scheme, 2048 * 1024)
    assert shape == (2048, 1024)
    assert scheme.std(fan_in, fan_out) == pytest.approx(std, rel=1e-15)


def test_conv_scheme_fans():
    scheme = next(s for s in _battery_table.SCHEMES if s.label == "kaiming_normal_ HeNormal hwio 3x3")
    shape, fan_in, fan_out = _battery_table.scheme_shape(scheme, 2**20)
    assert shape == (3, 3, 64, 2**20 // 576) and fan_in == 576 and fan_out == 9 * shape[-1]
    assert fastinit.compute_fans(shape, layout="hwio") == (fan_in, fan_out)


# ---- bounds on tricky parameters --------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0 + 2**-20), (0.1, 0.3), (-3.0, 1e-3)])
def test_uniform_never_reaches_b(dtype, a, b):
    x = fastinit.uniform((2**20,), a, b, dtype=dtype, seed=SEED).astype(np.float64)
    rounded_a = float(fastinit.uniform((1,), a, a, dtype=dtype, seed=SEED)[0])  # a == b gives dtype(a)
    result = _stats.bounds_check(x, rounded_a, b, hi_open=True)
    assert result.passed, result.detail


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize(("mean", "std", "a", "b"), [(0, 1, -0.1, 0.3), (0, 1, 3, 3.01), (0, 0.3, -1, 1)])
def test_trunc_normal_inside_window(dtype, mean, std, a, b):
    x = fastinit.trunc_normal((2**20,), mean, std, a, b, dtype=dtype, seed=SEED).astype(np.float64)
    assert _stats.bounds_check(x, a, b, False).passed


# ---- the slow suite: 2e8 samples --------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("dtype", _battery.FLOATS, ids=str)
@pytest.mark.parametrize("primitive", _battery_table.PRIMITIVES, ids=lambda p: p.label)
def test_distribution_2e8(primitive, dtype):
    rows = _battery.primitive_rows(primitive, dtype, SLOW_SAMPLES, SLOW_SEED)
    print(f"\n{primitive.label} {dtype}, n={SLOW_SAMPLES}:")
    for r in rows:
        p = "-" if r.result.p_value is None else f"{r.result.p_value:.3g}"
        print(f"  {r.result.test}: {r.result.detail}, p={p}, {r.result.verdict}")
    assert not _failures(rows)


SLOW_GROUPS = [
    g
    for g in _battery.distribution_groups(_battery.SIZES["full"], SLOW_SEED)
    if not any(g.name == f"{p.label} {dt.name}" for p in _battery_table.PRIMITIVES for dt in _battery.FLOATS)
]


@pytest.mark.slow
@pytest.mark.parametrize("group", SLOW_GROUPS, ids=[g.name for g in SLOW_GROUPS])
def test_distribution_full_size(group):
    """Schemes (2**22 values), half precision (2**24), orthogonal_ (100000 matrices), sparse_."""
    rows = group.run()
    smallest = min(r.result.p_value for r in rows if r.result.p_value is not None)
    print(f"\n{group.name}: {len(rows)} checks, n={rows[0].n}, smallest p={smallest:.3g}")
    assert not _failures(rows)
