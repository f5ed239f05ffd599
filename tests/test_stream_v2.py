"""Stream version 2 (docs/stream.md, section 7): ARS4x32-7 words, version 1's Box-Muller on them
with extension words for float32 radius words of 0; selected by stream_version=, by
Generator(stream_version=) and by FASTINIT_STREAM_VERSION. Version 1 is unchanged
(tests/test_values_pinned.py), and version 2's values are pinned here."""

from __future__ import annotations

import hashlib
import os
import pathlib
import runpy
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit import _core, reference
from fastinit.tools import exact_laws, stats

ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = (np.float32, np.float64, np.float16, ml_dtypes.bfloat16)

# Random123's kat_vectors for ars4x32 with 10 rounds: counter, key, expected output.
ARS_KAT = [
    ([0, 0, 0, 0], [0, 0, 0, 0], [0x8D73EE19, 0x506401EF, 0x13C2DBE4, 0x0CBE9C0D]),
    (
        [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344],
        [0xA4093822, 0x299F31D0, 0x082EFA98, 0xEC4E6C89],
        [0xA516E7D6, 0x8357AD74, 0x5B59B3EC, 0x8763FFF3],
    ),
    (
        [0xFFFFFFFF] * 4,
        [0xFFFFFFFF, 0xFFFFFFFF, 0, 0],
        [0xBB3743B1, 0x9F635551, 0xECBC87FC, 0xA19478A9],
    ),
]

# A float32 pair whose radius word is 0 (found by scanning 3.5e9 words of this stream): block
# 883650688's word 2, so pair k = 2 * 883650688 + 1, elements 2k and 2k + 1.
ZERO_SEED, ZERO_STREAM, ZERO_BLOCK = 2026, 11, 883650688
ZERO_PAIR = 2 * ZERO_BLOCK + 1


def _check_normal(core, dtype, first, mean=0.5, std=2.0, seed=3, stream=9):
    """core (version 2 normals of elements [first, first + core.size)) against the reference:
    float32 and float64 within docs/stream.md's tolerance; half types exactly the float32
    values rounded (they are computed in float32)."""
    n = core.size
    if np.dtype(dtype).itemsize == 2:
        f32 = fastinit.normal_(
            np.empty(n, np.float32), mean, std, seed=seed, stream=stream, offset=first, stream_version=2
        )
        assert np.array_equal(core.reshape(-1), f32.astype(dtype))
        core, dtype = f32, np.float32
    exact = reference.normal(seed, stream, first, n, dtype, mean, std, version=2)
    assert reference.within_tolerance("normal", dtype, core.reshape(-1), exact, mean, std).all()


@pytest.mark.parametrize(("counter", "key", "want"), ARS_KAT)
def test_ars_known_answers(counter, key, want):
    c, k = np.array([counter], np.uint32), np.array(key, np.uint32)
    assert reference.ars4x32(c, k, 10)[0].tolist() == want
    assert _core.ars4x32(c, k, 10)[0].tolist() == want


def test_reference_ars_is_the_core_ars():
    rng = np.random.default_rng(5)
    c = rng.integers(0, 2**32, (500, 4), dtype=np.uint32)
    k = rng.integers(0, 2**32, 4, dtype=np.uint32)
    assert np.array_equal(reference.ars4x32(c, k), _core.ars4x32(c, k))


@pytest.mark.parametrize("first", [0, 3, (1 << 34) - 5, (1 << 57) + 1])
def test_words_are_ars_words(first):
    got = _core.words(7, 2**63 + 5, first, 203, "", 0, 2)
    assert np.array_equal(got, reference.words(7, 2**63 + 5, first, 203, version=2))
    assert not np.array_equal(got, reference.words(7, 2**63 + 5, first, 203, version=1))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("offset", "n"), [(0, 1), (1, 2), (77, 2001), (2**40 + 3, 515)])
def test_normal_matches_reference(dtype, offset, n):
    core = fastinit.normal_(np.empty(n, dtype), 0.5, 2.0, seed=3, stream=9, offset=offset, stream_version=2)
    _check_normal(core, dtype, offset)
    v1 = fastinit.normal_(np.empty(n, dtype), 0.5, 2.0, seed=3, stream=9, offset=offset, stream_version=1)
    assert not np.array_equal(core, v1)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_radius_word_zero_takes_its_extension_word(dtype):
    """Element values of the pair whose radius word is 0: the radius comes from the extension
    word, sqrt(-2 ln(E 2**-64 + 2**-65)), not version 1's sqrt(-2 ln 2**-33) = 5.64 (float32 and
    half types; float64 pairs use 64-bit radius words and have no extension)."""
    first = 2 * ZERO_PAIR
    core = fastinit.normal_(
        np.empty(4, dtype), seed=ZERO_SEED, stream=ZERO_STREAM, offset=first, stream_version=2
    )
    _check_normal(core, dtype, first, 0.0, 1.0, ZERO_SEED, ZERO_STREAM)
    if np.dtype(dtype) == np.float32:
        e = reference.block_words(ZERO_SEED, ZERO_STREAM, (3 << 56) | (ZERO_PAIR >> 2), 1, 2)[
            0, ZERO_PAIR & 3
        ]
        radius = np.sqrt(-2 * np.log(float(e) * 2.0**-64 + 2.0**-65))
        assert reference.words(ZERO_SEED, ZERO_STREAM, first, 1, 2)[0] == 0
        assert np.hypot(float(core[0]), float(core[1])) == pytest.approx(radius, rel=1e-6)
        assert radius > 6.0
    # the same pair reached through a shard and through a strided view (the gathered path)
    whole = fastinit.normal_(
        np.empty(8, dtype), seed=ZERO_SEED, stream=ZERO_STREAM, offset=first - 2, stream_version=2
    )
    assert np.array_equal(whole[2:6], core)
    column = np.empty((4, 3), dtype)
    fastinit.normal_(
        column[:, 1:2],
        seed=ZERO_SEED,
        stream=ZERO_STREAM,
        global_shape=(2**34, 3),
        index=(slice(first // 3, first // 3 + 4), slice(first % 3, first % 3 + 1)),
        stream_version=2,
    )
    at = 3 * (first // 3) + first % 3  # the column's first element, 3 apart
    line = fastinit.normal_(
        np.empty(10, dtype), seed=ZERO_SEED, stream=ZERO_STREAM, offset=at, stream_version=2
    )
    assert np.array_equal(column[:, 1], line[::3])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_shards_and_views_equal_the_whole(dtype):
    whole = fastinit.normal_(np.empty((300, 257), dtype), seed=4, stream=1, stream_version=2)
    shard = np.empty((100, 60), dtype)
    index = (slice(150, 250), slice(7, 67))
    fastinit.normal_(shard, seed=4, stream=1, global_shape=(300, 257), index=index, stream_version=2)
    assert np.array_equal(shard, whole[index])
    band = np.zeros((300, 9), dtype)
    fastinit.normal_(band[:, 2:5], seed=4, stream=1, global_shape=(300, 257), index=(slice(None), slice(100, 103)), stream_version=2)  # fmt: skip
    assert np.array_equal(band[:, 2:5], whole[:, 100:103]) and not band[:, :2].any() and not band[:, 5:].any()
    fortran = np.asfortranarray(np.empty((300, 257), dtype))
    fastinit.normal_(fortran, seed=4, stream=1, stream_version=2)
    assert np.array_equal(fortran, whole)
    piece = fastinit.normal_(
        np.empty(1001, dtype), seed=4, stream=1, offset=300 * 257 - 1001, stream_version=2
    )
    assert np.array_equal(piece, whole.reshape(-1)[-1001:])


def test_only_the_normal_family_changes():
    for dt in DTYPES:
        v1 = fastinit.uniform_(np.empty(999, dt), -1.0, 2.0, seed=2, stream_version=1)
        assert np.array_equal(fastinit.uniform_(np.empty(999, dt), -1.0, 2.0, seed=2, stream_version=2), v1)
        # truncated normals: ARS words, and float32's quantile by a table (docs/stream.md, section 9)
        t1 = fastinit.trunc_normal_(np.empty(999, dt), 0.0, 1.0, -1.0, 1.5, seed=2, stream_version=1)
        t2 = fastinit.trunc_normal_(np.empty(999, dt), 0.0, 1.0, -1.0, 1.5, seed=2, stream_version=2)
        assert not np.array_equal(t1, t2)
        if dt in (np.float32, np.float64):
            exact = reference.trunc_normal(2, 0, 0, 999, np.dtype(dt), 0.0, 1.0, -1.0, 1.5, version=2)
            assert reference.within_tolerance("trunc_normal", dt, t2, exact, 0.0, 1.0).all()
    sparse = fastinit.sparse_(
        np.empty((30, 8)), 0.5, seed=1, stream_version=2
    )  # v1's zero pattern, v2's values
    assert np.array_equal(
        sparse == 0, fastinit.sparse_(np.empty((30, 8)), 0.5, seed=1, stream_version=1) == 0
    )
    values = fastinit.normal_(np.empty((30, 8)), std=0.01, seed=1, stream_version=2)
    assert np.array_equal(sparse[sparse != 0], values[sparse != 0])
    q2 = fastinit.orthogonal_(np.empty((6, 6)), seed=1, stream_version=2)
    q1 = fastinit.orthogonal_(np.empty((6, 6)), seed=1, stream_version=1)
    assert np.allclose(q2 @ q2.T, np.eye(6)) and not np.allclose(q1, q2)
    d2 = fastinit.delta_orthogonal_(np.empty((6, 6, 3, 3)), seed=1, stream_version=2)
    assert np.array_equal(d2[:, :, 1, 1], q2)
    v2 = fastinit.kaiming_normal_(np.empty((64, 32)), seed=1, stream_version=2)
    assert np.array_equal(
        v2, fastinit.normal_(np.empty((64, 32)), std=np.sqrt(2 / 32), seed=1, stream_version=2)
    )


def _pinned_digest():
    h = hashlib.sha256()
    for dt in DTYPES:
        for out in (
            fastinit.normal_(np.empty((37, 21), dt), 0.25, 1.5, seed=7, stream="layer.0", stream_version=2),
            fastinit.xavier_normal_(np.empty((37, 21), dt), seed=7, stream_version=2),
            fastinit.kaiming_normal_(
                np.empty((5, 6, 3, 3), dt), nonlinearity="tanh", seed=3, stream_version=2
            ),
            fastinit.normal_(np.empty((8, 9), dt), seed=5, offset=2**40 + 3, stream_version=2),
            fastinit.normal_(
                np.empty(9, dt),
                seed=ZERO_SEED,
                stream=ZERO_STREAM,
                offset=2 * ZERO_PAIR - 3,
                stream_version=2,
            ),
        ):
            h.update(np.ascontiguousarray(out).view(np.uint8).tobytes())
    return h.hexdigest()


def test_values_pinned():
    """Version 2's values are a contract as version 1's are: this hash changes only with them."""
    assert _pinned_digest() == "afa66bedf28088fda3addeb3f76a8d10db3b4be75637ac7e967b3457efee8ac7"


def test_truncated_normal_values_pinned():
    """Version 2's truncated normals (ARS words; inversion, float32's by the quantile table),
    every dtype, a window around the mean, one in a tail and a shard."""
    h = hashlib.sha256()
    for dt in DTYPES:
        for out in (
            fastinit.trunc_normal_(np.empty((37, 21), dt), 0.0, 0.02, -0.04, 0.04, seed=7, stream_version=2),
            fastinit.trunc_normal_(
                np.empty(300, dt), 1.0, 2.0, 7.0, 11.0, seed=8, stream="t", stream_version=2
            ),
            fastinit.trunc_normal_(
                np.empty((4, 5), dt),
                seed=2,
                global_shape=(10, 14),
                index=(slice(3, 7), slice(8, 13)),
                stream_version=2,
            ),
            fastinit.trunc_normal_(np.empty(200, dt), 0.0, 1.0, 0.5, 0.5001, seed=3, stream_version=2),
        ):
            h.update(np.ascontiguousarray(out).view(np.uint8).tobytes())
    assert h.hexdigest() == "31ce69fd1e68d9d7ce623c9a665a7150da371974c18102903c2fda4fba2a04e5"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_a_window_holding_every_normal_value_gives_the_normal_values(dtype):
    """Version 2: alpha <= -9.5 and beta >= 9.5 (timm's and HF's trunc_normal_(std=0.02) keep
    a = -2, b = 2, i.e. +-100 std) cannot bind, so trunc_normal_ writes normal_'s values, at any
    offset and in any shard; narrower windows, and version 1, invert as before."""
    kw = dict(seed=6, stream="blocks.0.attn.qkv.weight", stream_version=2)
    for mean, std, a, b in (
        (0.0, 0.02, -2.0, 2.0),
        (1.0, 0.125, 1.0 - 9.5 * 0.125, 1.0 + 9.5 * 0.125),
        (0.0, 1.0, -np.inf, np.inf),
    ):
        for offset in (0, 3):
            t = fastinit.trunc_normal_(np.empty(513, dtype), mean, std, a, b, offset=offset, **kw)
            assert np.array_equal(t, fastinit.normal_(np.empty(513, dtype), mean, std, offset=offset, **kw))
    whole = fastinit.trunc_normal_(np.empty((40, 33), dtype), std=0.02, **kw)
    shard = np.empty((10, 7), dtype)
    fastinit.trunc_normal_(shard, std=0.02, global_shape=(40, 33), index=(slice(5, 15), slice(20, 27)), **kw)
    assert np.array_equal(shard, whole[5:15, 20:27])
    # just inside the reach on one side: inversion, whose values are others
    t = fastinit.trunc_normal_(np.empty(513, dtype), 0.0, 1.0, -9.49, 9.5, **kw)
    assert not np.array_equal(t, fastinit.normal_(np.empty(513, dtype), **kw))
    v1 = dict(kw, stream_version=1)
    t1 = fastinit.trunc_normal_(np.empty(513, dtype), 0.0, 0.02, -2.0, 2.0, **v1)
    assert not np.array_equal(t1, fastinit.normal_(np.empty(513, dtype), 0.0, 0.02, **v1))
    if np.dtype(dtype).itemsize >= 4:
        exact = reference.trunc_normal(
            6, fastinit.stream_id(kw["stream"]), 0, 513, np.dtype(dtype), 0.0, 0.02
        )
        t = fastinit.trunc_normal_(np.empty(513, dtype), 0.0, 0.02, **kw)
        assert reference.within_tolerance("trunc_normal", dtype, t, exact, 0.0, 0.02).all()


@pytest.mark.parametrize(
    "dtype", [np.float32, np.float16, ml_dtypes.bfloat16], ids=lambda d: np.dtype(d).name
)
def test_quantile_table_is_within_tolerance_over_its_range(dtype):
    """Version 2's float32 quantile table covers q in [2**-9, 1/2] (16 intervals read off q's
    bits), the tail branch below: windows whose quantiles sweep all of it and cross the switch,
    each value within the documented tolerance of the exact inverse, and float32's worst error
    well inside it (the table's own error is 0.04 of the bound)."""
    n = 300_000
    for a, b in ((-2.9, 2.9), (-4.0, 0.1), (-0.5, 6.0), (1.0, 1.5), (-1e-3, 1e-3), (-2.0, 2.0)):
        got = fastinit.trunc_normal_(np.empty(n, dtype), 0.0, 1.0, a, b, seed=11, stream_version=2)
        exact = reference.trunc_normal(11, 0, 0, n, np.dtype(dtype), 0.0, 1.0, a, b, version=2)
        assert reference.within_tolerance("trunc_normal", dtype, got, exact, 0.0, 1.0).all(), (a, b)
        if dtype == np.float32:
            bound = reference.TOLERANCE[("trunc_normal", "float32")] * (1 + 2 * np.abs(exact))
            assert np.max(np.abs(got - exact) / bound) < 0.25, (a, b)


@pytest.mark.parametrize(("a", "b"), [(-1e-5, 1e-5), (3.0, 3.001), (0.5, 0.5001), (-2.0, -1.995)])
def test_a_narrow_float32_window_takes_every_value_in_it(a, b):
    """A window of less than 2**-9 of the mass inverts in float64 for float32 (version 2): its
    values reach every float32 value of the window, as the exact inverse does. Inverting in
    float32, P(Z < alpha) + u * mass resolves u * mass only to P(Z < alpha)'s ulp: [-1e-5, 1e-5]
    took 269 distinct values in 200000 (version 1 still does), [3, 3.001] 2800 of its 4195."""
    n = 200_000
    got = fastinit.trunc_normal_(np.empty(n, np.float32), 0.0, 1.0, a, b, seed=1, stream_version=2)
    exact = reference.trunc_normal(1, 0, 0, n, np.dtype(np.float32), 0.0, 1.0, a, b, version=2)
    assert reference.within_tolerance("trunc_normal", np.float32, got, exact, 0.0, 1.0).all()
    ulp = np.spacing(np.abs(exact)).astype(np.float64)
    assert np.all(np.abs(got - exact) <= ulp)  # the float64 inversion is accurate to rounding
    lo, hi = np.float32(a), np.float32(b)
    lo = lo if lo >= a else np.nextafter(lo, np.float32(np.inf))
    hi = hi if hi <= b else np.nextafter(hi, np.float32(-np.inf))
    in_window = int(hi.view(np.int32)) - int(lo.view(np.int32)) + 1 if lo > 0 else None
    distinct = len(np.unique(got))
    assert distinct > 0.99 * len(np.unique(exact))
    if in_window is not None and in_window < n // 40:  # each value expected about 40 times or more
        assert distinct >= in_window - 2  # the two end values take half an ulp of the window or less


def test_quantile_table_is_the_fit_tools():
    """csrc/normal_quantile_table.h is what tools/fit_normal_quantile.py fits (to a float32
    rounding: another LAPACK may round a coefficient the other way), and its worst error, by
    the tool's measure, is under a tenth of the float32 tolerance."""
    pytest.importorskip("scipy")
    tool = pathlib.Path(__file__).resolve().parent.parent / "tools" / "fit_normal_quantile.py"
    if not tool.exists():
        pytest.skip("tools/ is not beside tests/ (an installed test tree)")
    fit = runpy.run_path(str(tool))
    table = fit["committed"]()
    np.testing.assert_allclose(table, fit["fit"](), rtol=3e-7)
    assert fit["worst_error"](table) < 0.1 * 2.0**-20


def test_open_ends_stand_for_the_dtypes_largest_value():
    """An infinite end is the dtype's largest finite value: float16 with std 7000 keeps
    alpha = -65504/7000 = -9.36 inside the normals' reach, so the window inverts, in the
    engine and in the reference alike."""
    kw = dict(seed=3, stream="open", stream_version=2)
    sid = fastinit.stream_id("open")
    for dt in (np.float16, ml_dtypes.bfloat16):
        got = fastinit.trunc_normal_(np.empty(2000, dt), 0.0, 7000.0, -np.inf, np.inf, **kw)
        exact = reference.trunc_normal(3, sid, 0, 2000, np.dtype(dt), 0.0, 7000.0, -np.inf, np.inf, version=2)
        assert reference.within_tolerance("trunc_normal", dt, got, exact, 0.0, 7000.0).all()
        if dt == np.float16:
            assert not np.array_equal(got, fastinit.normal_(np.empty(2000, dt), 0.0, 7000.0, **kw))


def test_wide_window_values_pinned():
    """Version 2's truncated normals in windows that hold every normal value, every dtype."""
    h = hashlib.sha256()
    for dt in DTYPES:
        for out in (
            fastinit.trunc_normal_(np.empty((37, 21), dt), std=0.02, seed=7, stream_version=2),
            fastinit.trunc_normal_(
                np.empty(300, dt), 5.0, 0.5, -np.inf, 10.0, seed=8, stream="t", stream_version=2
            ),
        ):
            h.update(np.ascontiguousarray(out).view(np.uint8).tobytes())
    assert h.hexdigest() == "fc0a702e6fcbb4983fa5ab190e370d170aad9660f6f3f3cb56fc14a7651891ab"


def test_stream_version_keyword_is_checked():
    a = np.arange(4.0)
    for bad, exc in ((3, ValueError), (0, ValueError), (True, TypeError), ("2", TypeError), (2.0, TypeError)):
        with pytest.raises(exc, match=r"normal_: stream_version must be 1 or 2; got"):
            fastinit.normal_(a, seed=1, stream_version=bad)
        assert np.array_equal(a, np.arange(4.0))
    with pytest.raises(ValueError, match="Generator: stream_version must be 1 or 2; got 5"):
        fastinit.Generator(1, stream_version=5)


def test_generator_stream_version():
    g = fastinit.Generator(9, stream_version=2)
    assert g.stream_version == 2 and repr(g).endswith("stream_version=2)")
    a = fastinit.normal_(np.empty(50, np.float32), generator=g)
    assert np.array_equal(a, fastinit.normal_(np.empty(50, np.float32), seed=9, stream=0, stream_version=2))
    b = fastinit.normal_(np.empty(50, np.float32), generator=g, stream_version=1)  # the call's own wins
    assert np.array_equal(b, fastinit.normal_(np.empty(50, np.float32), seed=9, stream=1, stream_version=1))
    child = g.spawn(1)[0]
    assert child.stream_version == 2
    assert fastinit.Generator(9).stream_version == fastinit.default_stream_version()


def _run(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_environment_variable():
    code = (
        "import numpy as np, fastinit; print(fastinit.default_stream_version(), fastinit.info()['stream_version']);"
        "a = fastinit.normal_(np.empty(5), seed=1); b = fastinit.normal_(np.empty(5), seed=1, stream_version=2);"
        "c = fastinit.normal_(np.empty(5), seed=1, stream_version=1); print(np.array_equal(a, b), np.array_equal(a, c))"
    )
    assert _run(code, FASTINIT_STREAM_VERSION="").stdout.split() == ["2", "2", "True", "False"]  # unset
    assert _run(code, FASTINIT_STREAM_VERSION="2").stdout.split() == ["2", "2", "True", "False"]
    assert _run(code, FASTINIT_STREAM_VERSION="1").stdout.split() == ["1", "1", "False", "True"]
    bad = _run("import fastinit", FASTINIT_STREAM_VERSION="3")
    assert (
        bad.returncode != 0 and "FASTINIT_STREAM_VERSION='3' is not allowed; it must be 1 or 2" in bad.stderr
    )


def test_torch_passes_stream_version_through():
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    t = ft.normal_(torch.empty(6, 7), std=0.02, seed=3, stream_version=2)
    want = fastinit.normal_(np.empty((6, 7), np.float32), std=0.02, seed=3, stream_version=2)
    assert np.array_equal(t.numpy(), want)


@pytest.mark.parametrize("dtype", (np.float32, np.float64), ids=lambda d: np.dtype(d).name)
def test_distribution(dtype):
    """KS, chi-square (outer bins beyond 4.25 sigma) and the first four moments of 2**21 values,
    under the battery's thresholds."""
    law = exact_laws.Normal(0.5, 2.0)
    x = fastinit.normal_(np.empty(2**21, dtype), 0.5, 2.0, seed=12345, stream="v2 check", stream_version=2)
    results = [stats.ks_test(x, law), stats.chi_square_test(x, law)]
    results += stats.moment_tests(stats.moment_sums(x, 0.5), law)
    assert all(r.passed for r in results), [r for r in results if not r.passed]


# Probabilities P(|Z| > t) for a standard normal, from math.erfc (exact to double precision).
TAIL_POINTS = (4.0, 5.0, 6.0, 7.0)


@pytest.mark.slow
def test_tails_on_a_billion_values():
    """Counts beyond 4, 5, 6 and 7 sigma in 1e9 float32 values against the exact tail
    probabilities: each count within 5 standard deviations of its Poisson mean, and the 7 sigma
    count possible at all (version 1's float32 values stop at 6.76 sigma)."""
    import math

    n, chunk = 10**9, 2**26
    counts = np.zeros(len(TAIL_POINTS), np.int64)
    buf = np.empty(chunk, np.float32)
    done = 0
    while done < n:
        m = min(chunk, n - done)
        x = np.abs(fastinit.normal_(buf[:m], seed=20261130, stream="tails", offset=done, stream_version=2))
        counts += [int(np.count_nonzero(x > t)) for t in TAIL_POINTS]
        done += m
    for t, c in zip(TAIL_POINTS, counts):
        mean = n * math.erfc(t / math.sqrt(2))
        assert abs(c - mean) <= 5 * math.sqrt(mean) + 1, (t, c, mean)


def test_dask_chunks_and_generators_carry_the_version():
    fd = pytest.importorskip("fastinit.dask")
    pytest.importorskip("dask")
    whole = fastinit.normal((100, 30), seed=3, stream_version=2)
    assert np.array_equal(fd.normal((100, 30), chunks=(33, 7), seed=3, stream_version=2).compute(), whole)
    lazy = fd.normal((100, 30), chunks=(33, 7), generator=fastinit.Generator(3, stream_version=2))
    assert np.array_equal(lazy.compute(), whole)


def test_init_module_draws_in_the_version_asked():
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))

    v2 = ft.init_module_(model(), "kaiming", seed=5, stream_version=2)
    v1 = ft.init_module_(model(), "kaiming", seed=5, stream_version=1)
    w = v2[0].weight.detach().numpy()
    want = fastinit.kaiming_normal_(np.empty((32, 16), np.float32), nonlinearity="relu", seed=5, stream="0.weight", stream_version=2)  # fmt: skip
    assert np.array_equal(w, want) and not torch.equal(v1[0].weight, v2[0].weight)
    with pytest.raises(ValueError, match="init_module_: stream_version must be 1 or 2; got 7"):
        ft.init_module_(model(), "kaiming", seed=5, stream_version=7)
