"""The initialization API: formulas against hand-derived values and against torch.nn.init,
distributions (KS against the exact law), fans and layouts, half precision, the matrix schemes,
out-of-place twins and bad input."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import numpy as np
import pytest

import fastinit

stats = pytest.importorskip("scipy.stats")
ml_dtypes = pytest.importorskip("ml_dtypes")

P_MIN = 1e-6  # fail a KS test only below this p-value (fixed seeds: never flakes)


# ---- gains and fans ------------------------------------------------------------------------

GAINS = [
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0), ("conv_transpose3d", None, 1.0),
    ("sigmoid", None, 1.0), ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
    ("leaky_relu", 0, math.sqrt(2)), ("selu", None, 0.75),
]  # fmt: skip


@pytest.mark.parametrize(("name", "param", "expected"), GAINS)
def test_calculate_gain(name, param, expected):
    assert fastinit.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("name", "param"), [(n, p) for n, p, _ in GAINS])
def test_calculate_gain_matches_torch(name, param):
    torch = pytest.importorskip("torch")
    assert fastinit.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=1e-12
    )


@pytest.mark.parametrize(("name", "param"), [("softmax", None), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_rejects(name, param):
    with pytest.raises(ValueError, match="calculate_gain"):
        fastinit.calculate_gain(name, param)


@pytest.mark.parametrize(
    ("shape", "kwargs", "fans"),
    [
        ((30, 20), {}, (20, 30)),  # torch Linear weight (out, in)
        ((16, 3, 5, 5), {}, (75, 400)),  # torch Conv2d (out, in, kh, kw)
        ((20, 30), {"layout": "hwio"}, (20, 30)),  # Keras Dense kernel (in, out)
        ((5, 5, 3, 16), {"layout": "hwio"}, (75, 400)),  # Keras Conv2D kernel
        ((4, 5, 6), {"in_axis": 0, "out_axis": 2}, (20, 30)),
        ((7, 5, 6), {"in_axis": -2, "out_axis": -1, "batch_axis": 0}, (5, 6)),
    ],
)
def test_compute_fans(shape, kwargs, fans):
    assert fastinit.compute_fans(shape, **kwargs) == fans


def test_compute_fans_matches_torch():
    torch = pytest.importorskip("torch")
    for shape in [(30, 20), (16, 3, 5, 5), (8, 4, 3), (2, 3, 4, 5, 6)]:
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert fastinit.compute_fans(shape) == (fan_in, fan_out)


@pytest.mark.parametrize("shape", [(5,), ()])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match=rf"shape {re_escape(shape)}"):
        fastinit.compute_fans(shape)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        fastinit.xavier_uniform_(np.zeros(shape, np.float32), seed=0)


def re_escape(shape):
    import re

    return re.escape(str(tuple(shape)))


# ---- formulas: std and bound of every scheme -------------------------------------------------

FAN_SHAPES = [(300, 500), (64, 32, 3, 3)]
TRUNC = 0.87962566103423978


def _expected(scheme: str, shape, **kw) -> tuple[str, float]:
    """(distribution, std) of a scheme, derived by hand from its paper's formula."""
    fan_in, fan_out = fastinit.compute_fans(shape, kw.get("layout", "oihw"))
    if scheme == "xavier_uniform_":
        return "uniform", kw.get("gain", 1.0) * math.sqrt(2 / (fan_in + fan_out))
    if scheme == "xavier_normal_":
        return "normal", kw.get("gain", 1.0) * math.sqrt(2 / (fan_in + fan_out))
    if scheme in ("kaiming_uniform_", "kaiming_normal_"):
        slope = kw.get("a", 0.0)
        gain = (
            math.sqrt(2 / (1 + slope**2))
            if kw.get("nonlinearity", "leaky_relu") == "leaky_relu"
            else math.sqrt(2)
        )
        fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
        return ("uniform" if scheme == "kaiming_uniform_" else "normal"), gain / math.sqrt(fan)
    if scheme == "lecun_uniform_":
        return "uniform", math.sqrt(1 / fan_in)
    if scheme == "lecun_normal_":
        return "truncated_normal", math.sqrt(1 / fan_in)
    raise AssertionError(scheme)


SCHEMES = [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 5 / 3}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_normal_", {"mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "relu"}), ("lecun_uniform_", {}), ("lecun_normal_", {}),
]  # fmt: skip


def _law(distribution: str, std: float):
    if distribution == "uniform":
        b = math.sqrt(3) * std
        return stats.uniform(-b, 2 * b)
    if distribution == "normal":
        return stats.norm(0, std)
    s = std / TRUNC
    return stats.truncnorm(-2, 2, scale=s)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", FAN_SHAPES)
@pytest.mark.parametrize(("scheme", "kw"), SCHEMES)
def test_scheme_follows_its_exact_law(scheme, kw, shape, dtype):
    w = getattr(fastinit, scheme)(np.empty(shape, dtype), **kw, seed=17)
    distribution, std = _expected(scheme, shape, **kw)
    law = _law(distribution, std)
    assert stats.kstest(w.reshape(-1), law.cdf).pvalue > P_MIN
    n = w.size
    # sample std within 6 standard errors of the formula (se of a sample std ~ std * sqrt(k/n))
    assert abs(w.std() / std - 1) < 6 * math.sqrt(1.0 / n)
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3) * std
    if distribution == "truncated_normal":
        assert np.abs(w).max() <= 2 * std / TRUNC


def test_common_wrong_formulas_would_fail():
    # "std = 1/sqrt(n_in + n_out)" for Xavier and "std = 2/n_in" for He are wrong: the samples
    # reject them.
    w = fastinit.xavier_normal_(np.empty((300, 500), np.float32), seed=1).reshape(-1)
    assert stats.kstest(w, stats.norm(0, 1 / math.sqrt(800)).cdf).pvalue < P_MIN
    h = fastinit.kaiming_normal_(np.empty((300, 500), np.float32), nonlinearity="relu", seed=1).reshape(-1)
    assert stats.kstest(h, stats.norm(0, 2 / 500).cdf).pvalue < P_MIN


@pytest.mark.parametrize(("scheme", "kw"), SCHEMES[:7])
@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_scheme_matches_torch(scheme, kw, shape):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = getattr(torch.nn.init, scheme)(torch.empty(shape), **kw).numpy().reshape(-1)
    w = getattr(fastinit, scheme)(np.empty(shape, np.float32), **kw, seed=5).reshape(-1)
    assert stats.ks_2samp(w, t).pvalue > P_MIN
    assert w.std() == pytest.approx(t.std(), rel=0.03)
    if "uniform" in scheme:  # the same bound: both samples reach within 0.1% of it
        assert np.abs(w).max() == pytest.approx(np.abs(t).max(), rel=1e-3)


@pytest.mark.parametrize(
    ("kw", "std"),
    [
        ({"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}, math.sqrt(2 / 500)),
        ({"scale": 1.0, "mode": "fan_out", "distribution": "untruncated_normal"}, math.sqrt(1 / 300)),
        ({"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}, math.sqrt(1 / 400)),
        ({"scale": 0.5, "mode": "fan_avg", "distribution": "normal"}, math.sqrt(0.5 / 400)),
    ],
)
def test_variance_scaling(kw, std):
    w = fastinit.variance_scaling_(np.empty((300, 500), np.float64), **kw, seed=3).reshape(-1)
    dist = {"untruncated_normal": "normal"}.get(kw["distribution"], kw["distribution"])
    assert stats.kstest(w, _law(dist, std).cdf).pvalue > P_MIN
    assert w.std() == pytest.approx(std, rel=0.01)


def test_truncation_constant_is_the_std_of_the_truncated_normal():
    assert stats.truncnorm(-2, 2).std() == pytest.approx(TRUNC, rel=1e-15)


def test_keras_layout_and_he_truncated_in_one_call():
    kernel = fastinit.kaiming_normal_(np.empty((3, 3, 64, 128), np.float32), layout="hwio",
                                      distribution="truncated_normal", nonlinearity="relu", seed=2)  # fmt: skip
    std = math.sqrt(2 / (3 * 3 * 64))
    assert stats.kstest(kernel.reshape(-1), _law("truncated_normal", std).cdf).pvalue > P_MIN


# ---- half precision --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16], ids=["float16", "bfloat16"])
@pytest.mark.parametrize(("scheme", "kw"), SCHEMES)
def test_half_precision_is_rounded_float32(scheme, kw, dtype):
    half = getattr(fastinit, scheme)(np.empty((300, 500), dtype), **kw, seed=8)
    single = getattr(fastinit, scheme)(np.empty((300, 500), np.float32), **kw, seed=8)
    distribution, std = _expected(scheme, (300, 500), **kw)
    if distribution == "uniform":  # rounding may not reach the bound b = sqrt(3) std
        assert (half.astype(np.float64) < math.sqrt(3) * std).all()
    assert (half == single.astype(dtype)).mean() > 0.999


@pytest.mark.parametrize("fill", ["uniform_", "normal_", "trunc_normal_"])
def test_half_fill_needs_no_full_size_temporary(fill):
    arr = np.empty(16 * 2**20, ml_dtypes.bfloat16)  # 32 MiB
    tracemalloc.start()
    try:
        getattr(fastinit, fill)(arr, seed=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_bfloat16_uniform_never_reaches_b_and_truncation_stays_inside():
    u = fastinit.uniform_(np.empty(2_000_000, ml_dtypes.bfloat16), 0.0, 1.0, seed=4).astype(np.float32)
    assert u.max() < 1.0 and u.min() >= 0.0
    t = fastinit.trunc_normal_(np.empty(2_000_000, ml_dtypes.bfloat16), 0.0, 1.0, -0.3, 0.3, seed=4).astype(
        np.float32
    )
    assert t.min() >= -0.3 and t.max() <= 0.3
    # not piled up at the bounds: each end value holds about as much as its neighbour (the
    # bfloat16 grid is even there), not the mass of a clamped tail
    _, counts = np.unique(t, return_counts=True)
    assert counts[0] < 1.3 * counts[1] and counts[-1] < 1.3 * counts[-2]


# ---- deterministic and matrix schemes --------------------------------------------------------


def test_constant_ones_zeros():
    a = np.empty((3, 4), np.float32)
    assert (fastinit.constant_(a, 2.5) == 2.5).all()
    assert (fastinit.ones_(a) == 1).all()
    assert (fastinit.zeros_(a) == 0).all()


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (6, 2)])
def test_eye_matches_torch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init.eye_(torch.empty(shape)).numpy()
    np.testing.assert_array_equal(fastinit.eye_(np.full(shape, 9.0, np.float32)), expected)


@pytest.mark.parametrize(
    ("shape", "groups"), [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 3, 3, 3), 4), ((8, 2, 5, 5), 2)]
)
def test_dirac_matches_torch(shape, groups):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
    np.testing.assert_array_equal(fastinit.dirac_(np.full(shape, 9.0, np.float32), groups), expected)


@pytest.mark.parametrize("shape", [(64, 128), (128, 64), (32, 4, 3, 3), (50, 50)])
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_orthogonal(shape, gain):
    w = (
        fastinit.orthogonal_(np.empty(shape, np.float32), gain, seed=9)
        .reshape(shape[0], -1)
        .astype(np.float64)
    )
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-5 * gain**2)
    again = fastinit.orthogonal_(np.empty(shape, np.float32), gain, seed=9).reshape(rows, -1)
    assert (again == w.astype(np.float32)).all()


def test_orthogonal_is_haar_distributed():
    # the sign correction makes the diagonal of Q symmetric around 0 (without it, it is biased)
    diag = np.concatenate(
        [np.diag(fastinit.orthogonal((8, 8), seed=s, dtype=np.float64)) for s in range(400)]
    )
    assert abs(diag.mean()) < 4 * diag.std() / math.sqrt(diag.size)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 1.0])
def test_sparse(sparsity):
    w = fastinit.sparse_(np.empty((100, 30), np.float32), sparsity, std=0.02, seed=6)
    zeros = (w == 0).sum(axis=0)
    assert (zeros == math.ceil(sparsity * 100)).all()
    again = fastinit.sparse_(np.empty((100, 30), np.float32), sparsity, std=0.02, seed=6)
    assert again.tobytes() == w.tobytes()
    nonzero = w[w != 0]
    if nonzero.size > 1000:
        assert stats.kstest(nonzero, stats.norm(0, 0.02).cdf).pvalue > P_MIN
    other = fastinit.sparse_(np.empty((100, 30), np.float32), sparsity, std=0.02, seed=7)
    if 0 < sparsity < 1:
        assert ((w == 0) != (other == 0)).any()


@pytest.mark.parametrize("distinct", [2**32, 8, 1])
def test_sparse_zeros_each_columns_smallest_words_ties_by_row(distinct):
    # docs/stream.md: each column zeros the rows with the smallest keys, ties by row (few
    # distinct words force ties at the cut)
    from fastinit.schemes.matrix import _smallest_in_columns

    for shape, k in (((300, 40), 31), ((37, 5), 12), ((64, 3), 1), ((5, 7), 4)):
        words = np.random.default_rng(1).integers(0, distinct, size=shape, dtype=np.uint64).astype(np.uint32)
        want = np.zeros(shape, bool)
        want[np.argsort(words, axis=0, kind="stable")[:k], np.arange(shape[1])] = True
        assert np.array_equal(_smallest_in_columns(words, k), want)


# ---- out-of-place twins ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [("uniform", (-1, 1)), ("normal", (0, 2)), ("trunc_normal", ()), ("kaiming_normal", ()),
     ("xavier_uniform", ()), ("lecun_normal", ()), ("variance_scaling", (2.0,)), ("orthogonal", ()),
     ("sparse", (0.2,)), ("eye", ()), ("constant", (3.0,)), ("ones", ()), ("zeros", ())],
)  # fmt: skip
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", np.float64])
def test_out_of_place_twin_equals_in_place(name, args, dtype):
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype
    kwargs = {} if name in ("eye", "constant", "ones", "zeros") else {"seed": 3}
    new = getattr(fastinit, name)((40, 30), *args, dtype=dtype, **kwargs)
    assert new.dtype == np.dtype(dt) and new.shape == (40, 30)
    old = getattr(fastinit, name + "_")(np.empty((40, 30), dt), *args, **kwargs)
    assert new.tobytes() == old.tobytes()


def test_out_of_place_default_dtype_and_bad_shape():
    assert fastinit.normal((2, 3), seed=0).dtype == np.float32
    with pytest.raises(TypeError, match="normal: shape"):
        fastinit.normal("abc", seed=0)
    with pytest.raises(ValueError, match="non-negative"):
        fastinit.normal((2, -3), seed=0)
    with pytest.raises(TypeError, match="dtype"):
        fastinit.normal((2, 3), dtype=np.int32, seed=0)


def test_out_of_place_takes_torch_dtypes():
    """dtype=torch.bfloat16 (or a tensor's .dtype) names the same NumPy dtype; torch's other dtypes
    are refused by name, and fastinit itself never imports torch to tell."""
    torch = pytest.importorskip("torch")
    pairs = [(torch.float32, np.float32), (torch.float64, np.float64), (torch.float16, np.float16),
             (torch.bfloat16, ml_dtypes.bfloat16), (torch.empty(0, dtype=torch.half).dtype, np.float16)]  # fmt: skip
    for torch_dtype, numpy_dtype in pairs:
        got = fastinit.kaiming_normal((6, 5), dtype=torch_dtype, seed=1)
        want = fastinit.kaiming_normal((6, 5), dtype=numpy_dtype, seed=1)
        assert got.dtype == np.dtype(numpy_dtype) and got.tobytes() == want.tobytes()
    with pytest.raises(TypeError, match=r"^normal: dtype=torch\.int8 cannot be filled; allowed: float16"):
        fastinit.normal((2, 3), dtype=torch.int8, seed=0)


# ---- bad input -------------------------------------------------------------------------------


def _untouched(call, arr=None, error=ValueError, match=""):
    arr = np.arange(24, dtype=np.float32).reshape(4, 6) if arr is None else arr
    before = arr.tobytes()
    with pytest.raises(error, match=match):
        call(arr)
    assert arr.tobytes() == before


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda a: fastinit.kaiming_normal_(a, mode="fan_avg", seed=0), "mode='fan_avg'"),
        (
            lambda a: fastinit.kaiming_uniform_(a, nonlinearity="swish", seed=0),
            "unsupported nonlinearity 'swish'",
        ),
        (lambda a: fastinit.variance_scaling_(a, distribution="cauchy", seed=0), "distribution='cauchy'"),
        (lambda a: fastinit.variance_scaling_(a, mode="fan", seed=0), "mode='fan'"),
        (lambda a: fastinit.variance_scaling_(a, scale=0.0, seed=0), "scale must be > 0; got scale=0.0"),
        (lambda a: fastinit.variance_scaling_(a, scale=-1.0, seed=0), "scale must be > 0"),
        (lambda a: fastinit.xavier_uniform_(a, gain=0.0, seed=0), "gain must be > 0; got gain=0.0"),
        (lambda a: fastinit.xavier_normal_(a, gain=-2.0, seed=0), "gain must be > 0"),
        (lambda a: fastinit.orthogonal_(a, gain=0.0, seed=0), "gain must be > 0"),
        (lambda a: fastinit.sparse_(a, 1.5, seed=0), r"sparsity must be in \[0, 1\]; got sparsity=1.5"),
        (lambda a: fastinit.sparse_(a, -0.1, seed=0), "sparsity must be in"),
        (lambda a: fastinit.sparse_(a, 0.1, std=-1.0, seed=0), "std must be >= 0"),
        (lambda a: fastinit.constant_(a, math.nan), "val must be finite"),
        (lambda a: fastinit.kaiming_normal_(a, layout="nchw", seed=0), "layout='nchw'"),
        (lambda a: fastinit.xavier_normal_(a, in_axis=5, seed=0), "in_axis=5"),
    ],
)
def test_bad_scheme_arguments(call, match):
    _untouched(call, match=match)


@pytest.mark.parametrize(
    ("call", "shape", "match"),
    [
        (lambda a: fastinit.eye_(a), (2, 3, 4), "only 2-D"),
        (lambda a: fastinit.dirac_(a), (4, 4), "only 3-, 4- and 5-D"),
        (lambda a: fastinit.dirac_(a, groups=3), (4, 2, 3, 3), "not divisible by groups=3"),
        (lambda a: fastinit.sparse_(a, 0.1, seed=0), (4, 2, 3), "only 2-D"),
        (lambda a: fastinit.orthogonal_(a, seed=0), (6,), "2 or more dimensions"),
        (lambda a: fastinit.kaiming_uniform_(a, seed=0), (6,), "at least 2 dimensions; got shape"),
    ],
)
def test_bad_shapes(call, shape, match):
    _untouched(call, np.arange(math.prod(shape), dtype=np.float32).reshape(shape), match=match)


def test_kaiming_warns_on_zero_elements_like_torch():
    with pytest.warns(UserWarning, match="zero-element"):
        fastinit.kaiming_uniform_(np.empty((0, 5), np.float32), seed=0)
    assert fastinit.xavier_normal_(np.empty((0, 5), np.float32), seed=0).size == 0


@pytest.mark.parametrize(
    "fill, kw",
    [("kaiming_uniform_", {"a": 1}), ("kaiming_uniform_", {"a": 1.5}), ("xavier_uniform_", {"gain": 2}),
     ("lecun_uniform_", {}), ("variance_scaling_", {"scale": 3, "mode": "fan_avg", "distribution": "uniform"})],
)  # fmt: skip
def test_repeated_scheme_calls_take_each_shape_its_own_law(fill, kw):
    """The Law of a repeated call (a model's layers) is remembered by the call's arguments and the
    weight's shape, or its global shape for a shard: every call in a sequence that changes one of
    them gives what the same call spelt with layout= (never remembered) gives."""
    f = getattr(fastinit, fill)
    calls = [((48, 16), {}), ((16, 48), {}), ((48, 16), {}), ((48, 16), {"global_shape": (48, 32), "index": np.s_[:, 16:]}),
             ((48, 16), {}), ((16, 48), {"global_shape": (32, 48), "index": np.s_[16:, :]}), ((16, 48), {})]  # fmt: skip
    for shape, placement in calls * 2:
        got = f(np.empty(shape, np.float32), **kw, seed=3, **placement)
        want = f(np.empty(shape, np.float32), **kw, seed=3, layout="oihw", **placement)
        np.testing.assert_array_equal(got, want, err_msg=f"{fill}{kw} {shape} {placement}")


@pytest.mark.parametrize(
    "fill", ["xavier_uniform_", "kaiming_normal_", "lecun_normal_", "orthogonal_", "sparse_"]
)
def test_engine_errors_apply_to_schemes(fill):
    args = (0.1,) if fill == "sparse_" else ()
    ro = np.zeros((4, 6), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        getattr(fastinit, fill)(ro, *args, seed=0)
    with pytest.raises(TypeError, match="allowed dtypes"):
        getattr(fastinit, fill)(np.zeros((4, 6), np.int32), *args, seed=0)
    with pytest.raises(ValueError, match="seed must be an int"):
        getattr(fastinit, fill)(np.zeros((4, 6), np.float32), *args, seed=-1)


def test_variance_scaling_takes_the_geometric_mean_of_the_fans():
    """fan_geo_avg (JAX's) is one of the core's modes; fastinit.variance_scaling_ (and the torch
    one, whose docstring offered it) refused it."""
    w = fastinit.variance_scaling_(np.empty((400, 300), np.float64), 2.0, "fan_geo_avg", "normal", seed=0)
    assert abs(w.std() / np.sqrt(2.0 / np.sqrt(400 * 300)) - 1) < 0.01
    with pytest.raises(ValueError, match="'fan_geo_avg'"):
        fastinit.variance_scaling_(np.empty((4, 4)), 1.0, "fan_geometric", seed=0)


@pytest.mark.parametrize("make", ["xavier_uniform_", "kaiming_normal_", "lecun_normal_", "variance_scaling_"])
@pytest.mark.parametrize("global_shape", [(4, 0), (9, -9)])
def test_a_scheme_refuses_an_empty_or_negative_global_shape(make, global_shape):
    """The fans came from global_shape before anything checked it: an empty one made the
    weight 'empty' and it was returned unfilled (np.empty's memory), a negative one raised a
    bare math domain error."""
    arr = np.full((4, 4), 7.0, np.float32)
    with pytest.raises(ValueError, match=f"{make}: (global_shape|index)"):
        getattr(fastinit, make)(arr, seed=1, global_shape=global_shape, index=(slice(0, 4), slice(0, 4)))
    assert (arr == 7.0).all()
    empty = np.empty((0, 4), np.float32)  # an empty block of an empty whole: nothing to do
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if 0 in global_shape:
            index = (slice(0, 0), slice(0, 4))
            assert getattr(fastinit, make)(empty, seed=1, global_shape=(0, 4), index=index) is empty


class _DLPackOnly:
    """An array of another library that exports DLPack alone."""

    def __init__(self, a):
        self.a = a

    def __dlpack__(self, **kwargs):
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


@pytest.mark.parametrize("wrap", [memoryview, _DLPackOnly])
def test_delta_orthogonal_fills_buffers_and_dlpack_objects(wrap):
    """It indexed the object it was given rather than its array view: a memoryview or a
    DLPack-only object failed with an error naming neither the function nor the argument."""
    base = np.full((4, 2, 3, 3), 9.0, np.float32)
    fastinit.delta_orthogonal_(wrap(base), seed=0)
    expected = fastinit.delta_orthogonal_(np.empty((4, 2, 3, 3), np.float32), seed=0)
    assert np.array_equal(base, expected)
