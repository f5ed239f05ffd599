"""fastinit.torch as a drop-in for torch.nn.init, judged by what torch itself does: seeding by
torch.manual_seed, the argument names (tensor=), torch's deprecated names, and the exception
types torch raises for the same bad calls."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit.torch as ft  # noqa: E402

init = torch.nn.init

# torch.nn.init's public functions (its own module's, not the names it imports)
TORCH_FUNCTIONS = sorted(
    n
    for n, f in vars(init).items()
    if not n.startswith("_") and inspect.isfunction(f) and f.__module__ == "torch.nn.init"
)
RANDOM = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
          "kaiming_normal_", "orthogonal_", "sparse_"]  # fmt: skip
EXTRA_RANDOM = ["lecun_uniform_", "lecun_normal_", "variance_scaling_", "delta_orthogonal_"]


def _shape(name: str) -> tuple[int, ...]:
    return (8, 4, 3) if name == "delta_orthogonal_" else (16, 8)


def _call(name: str, t, **kw):
    fn = getattr(ft, name)
    return fn(t, 0.1, **kw) if name == "sparse_" else fn(t, **kw)


def test_every_torch_function_and_deprecated_name_exists():
    missing = [n for n in TORCH_FUNCTIONS if not hasattr(ft, n)]
    assert not missing, f"fastinit.torch lacks torch.nn.init's {missing}"


@pytest.mark.parametrize("name", [n for n in TORCH_FUNCTIONS if n.endswith("_") or n == "calculate_gain"])
def test_parameter_names_are_torchs(name):
    """Every parameter torch's function has, fastinit's has under the same name and in the same
    position, so keyword calls written for torch (tensor=, val=, ...) work unchanged."""
    theirs = list(inspect.signature(getattr(init, name)).parameters)
    ours = list(inspect.signature(getattr(ft, name)).parameters)
    assert ours[: len(theirs)] == theirs


def test_keyword_calls_as_torchs_own_tests_write_them():
    assert torch.equal(ft.constant_(tensor=torch.empty(3), val=0.25), torch.full((3,), 0.25))
    assert torch.equal(ft.ones_(tensor=torch.empty(2)), torch.ones(2))
    assert torch.equal(ft.zeros_(tensor=torch.ones(2)), torch.zeros(2))
    assert torch.equal(ft.eye_(tensor=torch.empty(2, 2)), torch.eye(2))
    assert torch.equal(ft.dirac_(tensor=torch.empty(2, 2, 3), groups=1), init.dirac_(torch.empty(2, 2, 3)))


@pytest.mark.parametrize("name", RANDOM + EXTRA_RANDOM)
def test_torch_manual_seed_makes_calls_reproducible(name):
    """torch's test_trunc_normal_generator, for every random function: with neither generator=
    nor seed=, the seed comes from torch's default generator."""
    torch.manual_seed(42)
    a = _call(name, torch.empty(_shape(name)))
    after_first = torch.rand(1)
    torch.manual_seed(42)
    b = _call(name, torch.empty(_shape(name)))
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(1), after_first)  # torch's generator advanced alike
    c = _call(name, torch.empty(_shape(name)))
    assert not torch.equal(a, c)  # and each call draws a new seed


def test_default_seed_is_drawn_from_torchs_generator_by_the_documented_rule():
    torch.manual_seed(7)
    words = torch.randint(0, 2**32, (2,), dtype=torch.int64).tolist()
    seed = words[0] | (words[1] << 32)
    torch.manual_seed(7)
    assert torch.equal(ft.normal_(torch.empty(64)), ft.normal_(torch.empty(64), seed=seed))


def test_explicit_seed_leaves_torchs_generator_alone():
    torch.manual_seed(3)
    expected = torch.rand(2)
    torch.manual_seed(3)
    ft.kaiming_uniform_(torch.empty(4, 4), seed=0)
    ft.orthogonal_(torch.empty(4, 4), generator=None, seed=1)
    assert torch.equal(torch.rand(2), expected)


@pytest.mark.parametrize(
    "name", [n for n in TORCH_FUNCTIONS if not n.endswith("_") and n != "calculate_gain"]
)
def test_deprecated_names_warn_as_torchs_and_fill_alike(name):
    shape = (2, 2, 3) if name == "dirac" else (6, 4)
    args = (0.5,) if name in ("constant", "sparse") else ()
    with pytest.warns(FutureWarning, match=f"fastinit.torch.{name}`"):
        got = getattr(ft, name)(
            torch.empty(shape), *args, **({} if name in ("constant", "eye", "dirac") else {"seed": 5})
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        want = getattr(ft, name + "_")(
            torch.empty(shape), *args, **({} if name in ("constant", "eye", "dirac") else {"seed": 5})
        )
    assert torch.equal(got, want)


BAD_CALLS = {
    "uniform_ a > b": ("uniform_", (1.0, 0.0)),
    "normal_ std < 0": ("normal_", (0.0, -1.0)),
    "trunc_normal_ a > b": ("trunc_normal_", (0.0, 1.0, 2.0, -2.0)),
    "xavier_uniform_ gain < 0": ("xavier_uniform_", (-1.0,)),
    "uniform_ nan": ("uniform_", (float("nan"), 1.0)),
    "uniform_ beyond float": ("uniform_", (-(10**400), 1.0)),  # OverflowError
    "normal_ std beyond float": ("normal_", (0.0, 10**400)),
    "kaiming 1-D": ("kaiming_uniform_", ()),
    "kaiming mode": ("kaiming_normal_", (0.0, "fan_mid")),
    "kaiming nonlinearity": ("kaiming_uniform_", (0.0, "fan_in", "swish")),
    "orthogonal_ 1-D": ("orthogonal_", ()),
    "sparse_ 3-D": ("sparse_", (0.1,)),
    "eye_ 3-D": ("eye_", ()),
    "dirac_ 2-D": ("dirac_", ()),
    "dirac_ groups": ("dirac_", (2,)),
    "dirac_ groups float": ("dirac_", (2.0,)),
}
BAD_SHAPES = {"kaiming 1-D": (5,), "orthogonal_ 1-D": (5,), "sparse_ 3-D": (3, 3, 3), "eye_ 3-D": (3, 3, 3),
              "dirac_ 2-D": (3, 3), "dirac_ groups": (3, 3, 3), "dirac_ groups float": (4, 2, 3)}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_arguments_raise_what_torch_raises(case):
    """Where torch raises RuntimeError (uniform_ with a > b, normal_ with std < 0, ...) or
    ValueError, fastinit.torch raises an exception of that type too (TorchArgumentError is
    both), and leaves the tensor untouched."""
    name, args = BAD_CALLS[case]
    shape = BAD_SHAPES.get(case, (4, 6))
    with pytest.raises(Exception) as theirs:
        getattr(init, name)(torch.empty(shape), *args)
    t = torch.full(shape, 7.0)
    with pytest.raises(type(theirs.value)):
        getattr(ft, name)(t, *args, **({} if name in ("eye_", "dirac_") else {"seed": 0}))
    assert torch.equal(t, torch.full(shape, 7.0))


@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_"])
def test_integer_tensors_raise_what_torch_raises(name):
    with pytest.raises(Exception) as theirs:
        getattr(init, name)(torch.zeros(3, 3, dtype=torch.int64))
    with pytest.raises(type(theirs.value)) as ours:
        getattr(ft, name)(torch.zeros(3, 3, dtype=torch.int64), seed=0)
    assert isinstance(ours.value, TypeError)  # and fastinit's own type


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.complex64])
def test_deterministic_fills_take_every_dtype_torch_takes(dtype):
    """constant_/ones_/zeros_/eye_/dirac_ draw nothing, so like torch's they fill integer, bool
    and complex tensors (num_batches_tracked buffers, masks)."""
    calls = [("constant_", (2, 3), (1,)), ("ones_", (2, 3), ()), ("zeros_", (2, 3), ()), ("eye_", (2, 3), ()),
             ("dirac_", (2, 2, 3), ())]  # fmt: skip
    for name, shape, args in calls:
        want = getattr(init, name)(torch.full(shape, 5).to(dtype), *args)
        got = getattr(ft, name)(torch.full(shape, 5).to(dtype), *args)
        assert got.dtype == dtype and torch.equal(got, want), name


COMPLEX_CALLS = {
    "uniform_": (lambda m, t, **kw: m.uniform_(t, -1.0, 3.0, **kw)),
    "normal_": (lambda m, t, **kw: m.normal_(t, 1.0, 2.0, **kw)),
    "xavier_uniform_": (lambda m, t, **kw: m.xavier_uniform_(t, **kw)),
    "xavier_normal_": (lambda m, t, **kw: m.xavier_normal_(t, **kw)),
    "kaiming_uniform_": (lambda m, t, **kw: m.kaiming_uniform_(t, **kw)),
    "kaiming_normal_": (lambda m, t, **kw: m.kaiming_normal_(t, nonlinearity="relu", **kw)),
}


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128], ids=str)
@pytest.mark.parametrize("name", list(COMPLEX_CALLS))
def test_complex_tensors_are_drawn_as_torch_draws_them(name, dtype):
    """Each part of a complex tensor has the law torch gives it (uniform_: each part on the whole
    interval; normal_: each part variance std**2 / 2; the schemes alike, fans from the complex
    shape): two-sample KS tests of the real and the imaginary parts against torch's own draws.
    With 120000 values a part, a variance off by a factor of 2 gives p < 1e-100."""
    stats = pytest.importorskip("scipy.stats")
    call = COMPLEX_CALLS[name]
    ours = torch.view_as_real(call(ft, torch.empty(400, 300, dtype=dtype), seed=11))
    torch.manual_seed(11)
    theirs = torch.view_as_real(call(init, torch.empty(400, 300, dtype=dtype)))
    for part in (0, 1):
        p = stats.ks_2samp(ours[..., part].flatten().numpy(), theirs[..., part].flatten().numpy()).pvalue
        assert p > 1e-6, (name, part, p)


def test_complex_element_mapping_is_the_float_stream_in_pairs():
    """Element k of a complex tensor takes float elements 2k (real) and 2k + 1 (imaginary) of the
    stream: the values of a float tensor twice as long, at twice the offset, and a shard of a
    complex tensor those of the same block of the whole."""
    c = ft.uniform_(torch.empty(6, 5, dtype=torch.complex64), seed=3, offset=7)
    f = ft.uniform_(torch.empty(60), seed=3, offset=14)
    assert torch.equal(torch.view_as_real(c).flatten(), f)
    whole = ft.normal_(torch.empty(8, 6, dtype=torch.complex128), seed=4)
    block = ft.normal_(
        torch.empty(4, 3, dtype=torch.complex128),
        seed=4,
        global_shape=(8, 6),
        index=(slice(4, 8), slice(3, 6)),
    )
    assert torch.equal(block, whole[4:8, 3:6])


@pytest.mark.parametrize("name", ["trunc_normal_", "orthogonal_"])
def test_complex_tensors_raise_where_torch_raises(name):
    with pytest.raises(Exception) as theirs:
        getattr(init, name)(torch.empty(4, 4, dtype=torch.complex64))
    with pytest.raises(type(theirs.value)):
        getattr(ft, name)(torch.empty(4, 4, dtype=torch.complex64), seed=0)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_mode_is_read_as_torch_reads_it(name):
    """torch's fan rule lower-cases mode: "FAN_OUT" is fan_out, in real and complex tensors."""
    for dtype in (torch.float32, torch.complex64):
        upper = getattr(ft, name)(torch.empty(64, 16, dtype=dtype), mode="FAN_OUT", seed=0)
        lower = getattr(ft, name)(torch.empty(64, 16, dtype=dtype), mode="fan_out", seed=0)
        assert torch.equal(upper, lower)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_the_zero_element_warning_names_the_callers_line(name):
    """As torch's: the warning pointed into fastinit's own files (a stacklevel counted for one
    call path), so it named no line of the user's and showed once for all call sites."""
    for module in (init, ft):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(module, name)(torch.empty(0, 3))
        assert [(w.filename, "zero-element" in str(w.message)) for w in caught] == [(__file__, True)], module


def test_what_fastinit_does_not_fill_is_torchs_to_fill_or_refuse():
    """constant_ with a bool fills 1/0 as torch's (fastinit refused it); a sparse tensor's zeros_
    works as torch's, and a random fill of one raises a NotImplementedError as torch's does."""
    for value in (True, np.bool_(False)):
        assert ft.constant_(torch.full((2, 3), 7.0), value).eq(float(value)).all()
    sparse = torch.eye(3).to_sparse()
    assert ft.zeros_(sparse) is sparse and not sparse.to_dense().any()
    for name in ("ones_", "normal_", "kaiming_uniform_"):
        with pytest.raises(NotImplementedError):
            getattr(init, name)(torch.eye(3).to_sparse())
        with pytest.raises(NotImplementedError):
            getattr(ft, name)(torch.eye(3).to_sparse())
