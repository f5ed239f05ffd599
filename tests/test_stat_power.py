"""The statistical checks catch real defects (issue 4, part 3): deliberately broken samples - a
1% scale error, a stuck bit, a truncated tail, two identical streams, a correlated Box-Muller
pair, serial correlation, a pile-up, a non-Haar orthogonal matrix - go through the same check
functions the battery uses (fastinit.tools.stats) at the CI sample size, and each must fail at the
suite's threshold (p < 1e-6), while the unbroken sample passes the same check. Fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastinit
from fastinit import _core
from fastinit.tools import battery as _battery
from fastinit.tools import exact_laws as _laws
from fastinit.tools import stats as _stats
from fastinit.tools import word_tests as _word_tests

pytest.importorskip("scipy")

N = _battery.SIZES["default"].samples  # 2**21, the CI size
SEED = 4242


def _check_catches(check, good, bad, test=None):
    """check(good) passes, check(bad) fails; with test=, pick that Result from a list."""

    def pick(results):
        if isinstance(results, _stats.Result):
            return results
        return next(r for r in results if r.test == test)

    ok, broken = pick(check(good)), pick(check(bad))
    assert ok.passed, f"control failed: {ok}"
    assert not broken.passed, f"missed the defect: {broken}"
    return broken


def _normal(n=N, stream="power normal", dtype=np.float32):
    return fastinit.normal_(np.empty(n, dtype), seed=SEED, stream=stream).astype(np.float64)


def _moments(law):
    return lambda x: _stats.moment_tests(_stats.moment_sums(x, law.mean), law)


# ---- a 1% scale error -------------------------------------------------------------------------

NORMAL = _laws.Normal(0.0, 1.0)
UNIFORM = _laws.Uniform(-1.0, 1.0)


@pytest.mark.parametrize("check", ["KS", "chi-square", "variance"])
def test_normal_scale_error(check):
    x = _normal()
    fn = {"KS": lambda v: _stats.ks_test(v, NORMAL), "chi-square": lambda v: _stats.chi_square_test(v, NORMAL),
          "variance": _moments(NORMAL)}[check]  # fmt: skip
    _check_catches(fn, x, x * 1.01, "variance")


@pytest.mark.parametrize("check", ["KS", "variance"])
def test_uniform_scale_error(check):
    x = fastinit.uniform((N,), -1.0, 1.0, seed=SEED).astype(np.float64)
    fn = (lambda v: _stats.ks_test(v, UNIFORM)) if check == "KS" else _moments(UNIFORM)
    _check_catches(fn, x, x * 0.99, "variance")


def test_scheme_std_against_a_formula_one_percent_off():
    """The scheme check compares the sample std with the formula: a formula 1% off fails."""
    w = fastinit.kaiming_normal((2048, 1024), nonlinearity="relu", seed=SEED).ravel().astype(np.float64)
    right = _laws.Normal(0.0, math.sqrt(2 / 1024))
    wrong = _laws.Normal(0.0, 1.01 * math.sqrt(2 / 1024))
    assert all(r.passed for r in _moments(right)(w))
    variance = next(r for r in _moments(wrong)(w) if r.test == "variance")
    assert not variance.passed, variance


@pytest.mark.parametrize(
    ("label", "wrong_std"),
    [("Xavier 1/sqrt(fan_in + fan_out)", 1 / math.sqrt(3072)), ("He std = 2 / fan_in", 2 / 1024)],
)
def test_the_common_wrong_formulas_fail(label, wrong_std):
    """docs/formulas.md's list of common mistakes: each is rejected by the scheme check."""
    w = (
        fastinit.xavier_normal((2048, 1024), seed=SEED)
        if "Xavier" in label
        else fastinit.kaiming_normal((2048, 1024), nonlinearity="relu", seed=SEED)
    )
    results = _battery.continuous_results(w.ravel(), _laws.Normal(0.0, wrong_std), None)
    assert not next(r for r in results if r.test == "variance").passed
    assert not next(r for r in results if r.test == "KS").passed


# ---- a stuck bit ------------------------------------------------------------------------------


@pytest.mark.parametrize("bit", [0, 8, 17, 31])
def test_stuck_bit_in_the_words(bit):
    w = _core.words(SEED, 0, 0, N)
    stuck = w | np.uint32(1 << bit)
    _check_catches(_word_tests.bit_frequency_test, w, stuck)
    _check_catches(_word_tests.byte_frequency_test, w, stuck)
    _check_catches(_word_tests.monobit_test, w, stuck)


@pytest.mark.parametrize("bit", [26, 31])
def test_stuck_bit_in_uniform_values(bit):
    """A stuck high bit among the 24 a float32 uniform uses (docs/stream.md: (w >> 8) * 2**-24)
    moves the values; a stuck low bit moves them by too little for any test of the values, and
    is the bit-level tests' job (test_stuck_bit_in_the_words)."""
    w = _core.words(SEED, 1, 0, N)
    unit = _laws.Uniform(0.0, 1.0)

    def values(words):
        return (words >> np.uint32(8)).astype(np.float64) * 2.0**-24

    _check_catches(lambda v: _stats.ks_test(v, unit), values(w), values(w | np.uint32(1 << bit)))
    _check_catches(lambda v: _stats.chi_square_test(v, unit), values(w), values(w | np.uint32(1 << bit)))


def test_sticky_bit_fails_the_runs_test():
    """A bit that copies its value from the previous word 5% of the time: its frequency stays
    fair, its runs get longer."""
    w = _core.words(SEED, 2, 0, N).copy()
    keep = fastinit.uniform((N,), seed=SEED, stream="sticky") < 0.05
    mask = np.uint32(1 << 13)
    for i in np.flatnonzero(keep[1:]) + 1:
        w[i] = (w[i] & ~mask) | (w[i - 1] & mask)
    good = _core.words(SEED, 2, 0, N)
    assert _word_tests.bit_frequency_test(w).passed
    _check_catches(_word_tests.bit_transitions_test, good, w)


# ---- a truncated tail -------------------------------------------------------------------------


def test_normal_missing_its_tails_beyond_4_sigma():
    """Values beyond 4 sigma (about 130 of 2**21) replaced by values from the body: KS cannot
    see it, the chi-square tail bins do."""
    x = _normal()
    refill = _normal(stream="power refill")
    body = refill[np.abs(refill) < 4]
    bad = x.copy()
    out = np.flatnonzero(np.abs(x) >= 4)
    assert 80 < out.size < 200
    bad[out] = body[: out.size]
    assert _stats.ks_test(bad, NORMAL).passed  # too small a change for KS ...
    _check_catches(lambda v: _stats.chi_square_test(v, NORMAL), x, bad)  # ... but not for the tails


def test_truncated_normal_missing_the_far_end_of_its_window():
    law = _laws.TruncNormal(0.0, 1.0, 3.0, 5.0)
    x = fastinit.trunc_normal((N,), 0.0, 1.0, 3.0, 5.0, seed=SEED).astype(np.float64)
    bad = np.where(x > 4.5, 3.0 + (x - 4.5), x)  # the top of the window folded back
    _check_catches(lambda v: _stats.chi_square_test(v, law), x, bad)


def test_uniform_missing_its_top_thousandth():
    x = fastinit.uniform((N,), -1.0, 1.0, seed=SEED).astype(np.float64)
    bad = np.where(x > 1 - 2e-3, x - 1.0, x)
    _check_catches(lambda v: _stats.chi_square_test(v, UNIFORM), x, bad)


# ---- two identical streams, and correlated streams --------------------------------------------


def test_two_identical_streams():
    a, b = _core.words(SEED, 0, 0, N), _core.words(SEED, 1, 0, N)
    ua, ub = _word_tests.unit_uniform(a), _word_tests.unit_uniform(b)
    _check_catches(lambda v: _stats.correlation_test(ua, v), ub, ua)
    _check_catches(lambda v: _stats.joint_uniformity_test(ua, v), ub, ua)
    _check_catches(lambda w: _word_tests.bit_frequency_test(a ^ w), b, a)


def test_streams_sharing_one_bit():
    """Two streams whose words agree in a single bit: the XOR bit frequency test fails."""
    a, b = _core.words(SEED, 0, 0, N), _core.words(SEED, 1, 0, N)
    mask = np.uint32(1 << 5)
    shared = (b & ~mask) | (a & mask)
    _check_catches(lambda w: _word_tests.bit_frequency_test(a ^ w), b, shared)


# ---- Box-Muller pairs and serial correlation --------------------------------------------------


def test_correlated_pair_halves():
    z = _normal()
    z0, z1 = z[0::2], z[1::2]
    rho = 0.02
    bad1 = rho * z0 + math.sqrt(1 - rho**2) * z1  # still exactly N(0, 1): only the pair is wrong
    assert _stats.ks_test(bad1, NORMAL).passed
    _check_catches(lambda v: _stats.correlation_test(z0, v), z1, bad1)


def test_pair_halves_with_correlated_squares():
    """Halves uncorrelated, but the second's scale depends on the first's size: only the
    squares' correlation sees it."""
    z = _normal()
    z0, z1 = z[0::2], z[1::2]
    scale = np.where(np.abs(z0) > 0.6745, 1.05, 0.95)  # |z0| above / below its median
    bad1 = z1 * scale / math.sqrt((1.05**2 + 0.95**2) / 2)
    assert _stats.correlation_test(z0, bad1).passed
    _check_catches(lambda v: _stats.correlation_test(z0 * z0, v * v), z1, bad1)


def test_pair_angle_on_half_the_circle():
    z = _normal()
    z0, z1 = z[0::2], z[1::2]
    unit = _laws.Uniform(0.0, 1.0)

    def angle(a, b):
        return np.arctan2(b, a) / (2 * np.pi) + 0.5

    _check_catches(lambda v: _stats.ks_test(angle(z0, v), unit), z1, np.abs(z1))


@pytest.mark.parametrize("lag", [1, 4, 1000])
def test_serial_correlation(lag):
    x = _normal()
    bad = x + 0.01 * np.roll(x, lag)
    _check_catches(lambda v: _stats.serial_correlation_test(v, lag), x, bad)


def test_chunk_edge_reusing_a_pair_half():
    """A chunked fill that wrote the same Box-Muller half on both sides of each chunk edge."""
    chunks, size = 512, 2**15
    x = fastinit.normal_(np.empty(chunks * size, np.float32), seed=SEED, offset=1).astype(np.float64)
    e = np.arange(1, chunks) * size
    bad = x.copy()
    bad[e] = bad[e - 1]
    _check_catches(lambda v: _stats.correlation_test(v[e - 1], v[e]), x, bad)


# ---- moments: the kurtosis bound --------------------------------------------------------------


def test_scale_mixture_with_the_right_variance_fails_kurtosis():
    """Half the values scaled by 0.9, half by sqrt(2 - 0.9**2): variance exactly 1, but heavier
    tails (excess kurtosis 3 * 0.0361 = 0.11; the bound at 2**21 values is +-0.033)."""
    x = _normal()
    half = fastinit.uniform((N,), seed=SEED, stream="mix") < 0.5
    bad = x * np.where(half, 0.9, math.sqrt(2 - 0.9**2))
    results = _moments(NORMAL)(bad)
    assert next(r for r in results if r.test == "variance").passed
    _check_catches(_moments(NORMAL), x, bad, "excess kurtosis")


# ---- half precision: a pile-up ----------------------------------------------------------------


def test_half_precision_pile_up_at_the_top():
    """0.2% of the uniform float16 values moved onto the largest value below b."""
    dt = np.dtype(np.float16)
    x = fastinit.uniform((N,), -1.5, 2.5, dtype=dt, seed=SEED).astype(np.float64)
    support = _stats.representable_values(dt, float(np.float16(-1.5)), float(x.max()))
    probs = _stats.discrete_probabilities(_laws.Uniform(-1.5, 2.5), support)
    bad = x.copy()
    bad[: N // 500] = x.max()

    def pile_up(v):
        return _stats.pile_up_test(_stats.discrete_counts(v, support)[0], probs)

    def chi(v):
        return _stats.chi_square_counts(_stats.discrete_counts(v, support)[0], probs)

    _check_catches(pile_up, x, bad)
    _check_catches(chi, x, bad)


# ---- orthogonal: a QR without the sign correction is not Haar ---------------------------------


def test_orthogonal_without_sign_correction():
    law = _laws.SphereCoordinate(8)
    good, bad = np.empty(5000), np.empty(5000)
    w = np.empty((8, 8))
    for i in range(good.size):
        fastinit.orthogonal_(w, seed=SEED, stream=i)
        good[i] = w[0, 0]
        g = fastinit.normal_(np.empty((8, 8)), seed=SEED, stream=i)
        bad[i] = np.linalg.qr(g)[0][0, 0]  # Q of the QR, signs not fixed by diag(R)
    _check_catches(lambda v: _stats.ks_test(v, law), good, bad)
