"""Bad input: the right exception type, a message naming the argument, its value and what is
allowed, and the array left untouched."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastinit

FILLS = ["uniform_", "normal_", "trunc_normal_"]


def _sentinel(dtype=np.float32, shape=(4, 5)) -> np.ndarray:
    return np.arange(np.prod(shape)).reshape(shape).astype(dtype)


def _check_untouched(call, arr: np.ndarray, error: type[Exception], *fragments: str) -> None:
    before = arr.tobytes()
    with pytest.raises(error) as info:
        call(arr)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert arr.tobytes() == before


@pytest.mark.parametrize("fill", FILLS)
def test_read_only_array(fill):
    arr = _sentinel()
    arr.flags.writeable = False
    _check_untouched(lambda a: getattr(fastinit, fill)(a, seed=0), arr, ValueError, fill, "read-only")


@pytest.mark.parametrize("fill", FILLS)
def test_read_only_buffer(fill):
    with pytest.raises(ValueError, match="read-only"):
        getattr(fastinit, fill)(memoryview(bytes(16)).cast("f"), seed=0)


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize(
    "dtype", [np.int32, np.int64, np.uint8, np.bool_, np.complex64, object, ">f4", ">f8"]
)
def test_unsupported_dtypes(fill, dtype):
    arr = np.zeros(6, dtype=dtype)
    expected = "non-native byte order" if isinstance(dtype, str) else "allowed dtypes"
    _check_untouched(lambda a: getattr(fastinit, fill)(a, seed=0), arr, TypeError, fill, expected)


@pytest.mark.parametrize("fill", FILLS)
@pytest.mark.parametrize("obj", [[1.0, 2.0], "abc", None, 3.0], ids=["list", "str", "None", "float"])
def test_non_array_objects(fill, obj):
    with pytest.raises(TypeError, match=f"{fill}: arr must be a numpy array"):
        getattr(fastinit, fill)(obj, seed=0)


NON_FINITE = [math.nan, math.inf, -math.inf]
PARAMS = {
    "uniform_": ["a", "b"],
    "normal_": ["mean", "std"],
    "trunc_normal_": ["mean", "std", "a", "b"],
}


# trunc_normal_'s open ends (test_reference.py): a = -inf, b = inf are allowed
OPEN_ENDS = {("trunc_normal_", "a", -math.inf), ("trunc_normal_", "b", math.inf)}


@pytest.mark.parametrize(("fill", "name"), [(f, p) for f, ps in PARAMS.items() for p in ps])
@pytest.mark.parametrize("value", NON_FINITE, ids=["nan", "inf", "-inf"])
def test_non_finite_parameters(fill, name, value):
    if (fill, name, value) in OPEN_ENDS:
        pytest.skip("an open end of the window")
    arr = _sentinel()
    _check_untouched(
        lambda a: getattr(fastinit, fill)(a, **{name: value}, seed=0),
        arr,
        ValueError,
        f"{name} must be finite",
        str(value),
    )


@pytest.mark.parametrize(("fill", "name"), [(f, p) for f, ps in PARAMS.items() for p in ps])
def test_non_numeric_parameters(fill, name):
    arr = _sentinel()
    _check_untouched(lambda a: getattr(fastinit, fill)(a, **{name: "1"}, seed=0), arr, TypeError, name, "'1'")


@pytest.mark.parametrize("fill", ["normal_", "trunc_normal_"])
def test_negative_std(fill):
    arr = _sentinel()
    _check_untouched(
        lambda a: getattr(fastinit, fill)(a, std=-0.5, seed=0), arr, ValueError, "std must be >= 0", "-0.5"
    )


def test_uniform_a_greater_than_b():
    _check_untouched(
        lambda a: fastinit.uniform_(a, 2.0, 1.0, seed=0),
        _sentinel(),
        ValueError,
        "a must be <= b",
        "a=2.0, b=1.0",
    )


@pytest.mark.parametrize(("lo", "hi"), [(1.0, 1.0), (2.0, -2.0)])
def test_trunc_normal_a_not_below_b(lo, hi):
    _check_untouched(
        lambda a: fastinit.trunc_normal_(a, a=lo, b=hi, seed=0),
        _sentinel(),
        ValueError,
        "a must be < b",
        f"a={lo}",
    )


@pytest.mark.parametrize(
    ("dtype", "window"),
    [
        (np.float32, (-40.0, -39.0)),
        (np.float64, (-40.0, -39.0)),
        (np.float32, (14.0, 15.0)),
        (np.float16, (1.0001, 1.0002)),
    ],
)
def test_trunc_normal_window_without_mass(dtype, window):
    arr = _sentinel(dtype)
    lo, hi = window
    if dtype == np.float64:
        lo, hi = -60.0, -59.0  # beyond float64's smallest normal, too
    _check_untouched(
        lambda a: fastinit.trunc_normal_(a, a=lo, b=hi, seed=0),
        arr,
        ValueError,
        "trunc_normal_",
        "truncation window",
        str(lo),
    )


def test_float16_parameters_out_of_range():
    arr = _sentinel(np.float16)
    _check_untouched(
        lambda a: fastinit.uniform_(a, -1e6, 1.0, seed=0), arr, ValueError, "a=-1000000.0", "float16"
    )
    _check_untouched(
        lambda a: fastinit.normal_(a, mean=1e5, seed=0), arr, ValueError, "mean=100000.0", "float16"
    )


@pytest.mark.parametrize("name", ["seed", "stream", "offset"])
@pytest.mark.parametrize("value", [-1, 2**64, 2**70])
def test_ids_outside_64_bits(name, value):
    kwargs = {"seed": 0, name: value}
    _check_untouched(
        lambda a: fastinit.normal_(a, **kwargs),
        _sentinel(),
        ValueError,
        "offset must be an int in [0, 2**58)" if name == "offset" else f"{name} must be an int in [0, 2**64)",
        str(value),
    )


@pytest.mark.parametrize("name", ["seed", "stream", "offset"])
@pytest.mark.parametrize("value", [1.0, "7", True])
def test_ids_of_the_wrong_type(name, value):
    kwargs = {"seed": 0, name: value}
    if name == "stream" and isinstance(value, str):
        return  # a string stream is a named stream, valid
    _check_untouched(lambda a: fastinit.normal_(a, **kwargs), _sentinel(), TypeError, name, repr(value))


@pytest.mark.parametrize(("dtype", "offset"), [(np.float32, 2**58 - 5), (np.float64, 2**57 - 5)])
def test_offset_past_the_end_of_the_stream(dtype, offset):
    _check_untouched(
        lambda a: fastinit.uniform_(a, offset=offset, seed=0),
        _sentinel(dtype),
        ValueError,
        "uniform_",
        f"offset={offset}",
    )


def test_largest_valid_offset_is_accepted():
    arr = np.empty(20, np.float32)
    fastinit.uniform_(arr, offset=2**58 - 20, seed=0)
    assert (arr >= 0).all() and (arr < 1).all()


def test_generator_and_seed_together():
    arr = _sentinel()
    _check_untouched(
        lambda a: fastinit.normal_(a, generator=fastinit.Generator(1), seed=2),
        arr,
        ValueError,
        "generator= or seed=",
    )


@pytest.mark.parametrize("fill", FILLS)
def test_stream_name_without_a_utf8_form(fill):
    """A lone surrogate cannot be hashed as UTF-8: a ValueError naming stream (the
    UnicodeEncodeError, re-raised with the function's name, became a bare TypeError)."""
    _check_untouched(
        lambda a: getattr(fastinit, fill)(a, seed=0, stream="\ud800"), _sentinel(), ValueError, fill, "stream"
    )


def test_generator_with_stream():
    arr = _sentinel()
    _check_untouched(
        lambda a: fastinit.normal_(a, generator=fastinit.Generator(1), stream=2),
        arr,
        ValueError,
        "stream=",
        "generator=",
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda a: fastinit.normal_(a, 0.0, 1e39), "std=1e"),
        (lambda a: fastinit.normal_(a, 1e39, 1.0), "mean=1e"),
        (lambda a: fastinit.uniform_(a, 0.0, 1e39), "b=1e"),
        (lambda a: fastinit.uniform_(a, -3e38, 3e38), "b - a="),
        (lambda a: fastinit.trunc_normal_(a, 0.0, 1e39), "std=1e"),
    ],
)
def test_float32_parameters_beyond_its_range_are_errors(call, match):
    arr = np.full(64, 7.0, np.float32)
    with pytest.raises(ValueError, match=match):
        call(arr)
    assert (arr == 7.0).all()


def test_half_precision_std_beyond_its_range_is_an_error():
    arr = np.full(64, 7.0, np.float16)
    with pytest.raises(ValueError, match=r"std=1000000\.0 is outside the range of float16"):
        fastinit.normal_(arr, 0.0, 1e6)
    assert (arr == 7.0).all()
    fastinit.uniform_(arr, -60000.0, 60000.0, seed=1)  # b - a exceeds float16 but not float32: fine


def test_uniform_window_without_a_representable_value_is_an_error():
    arr = np.full(16, 7.0, np.float16)
    with pytest.raises(ValueError, match=r"\[a, b\) = \[0.3, 0.30001\) contains no value representable"):
        fastinit.uniform_(arr, 0.3, 0.30001)
    assert (arr == 7.0).all()
    assert (fastinit.uniform_(arr, 0.3, 0.3) == np.float16(0.3)).all()  # a == b: a, as documented


def test_overlapping_writable_numpy_views_are_rejected():
    base = np.full(100, 7.0, np.float32)
    overlapping = np.lib.stride_tricks.as_strided(base, shape=(10, 10), strides=(4, 4))
    with pytest.raises(ValueError, match="overlap in memory"):
        fastinit.normal_(overlapping, seed=0)
    assert (base == 7.0).all()
    fastinit.normal_(np.zeros((30, 40), np.float32)[::-2, ::3].T, seed=0)  # strided, no overlap: fine


def test_strided_views_whose_rows_just_touch_are_not_overlaps():
    # rows of a [:, ::3] view end exactly where the next begins: a naive extent test calls that
    # an overlap; torch tensors take the same check
    arr = np.zeros((20, 31), np.float16)[:, ::3]
    fastinit.normal_(arr, seed=1)
    assert arr.all()
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    t = torch.zeros(20, 31)[:, ::3]
    ft.normal_(t, seed=1)
    assert t.count_nonzero() == t.numel()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"std": 10**400}, ValueError, "std must be finite"),
        ({"mean": np.complex128(1 + 2j)}, TypeError, "mean must be a real number"),
        ({"std": np.True_}, TypeError, "std must be a real number"),
        (
            {"global_shape": (4.9,), "index": (slice(0, 4),)},
            TypeError,
            "global_shape must be an int or a sequence of ints",
        ),
        (
            {"global_shape": "16", "index": (slice(0, 4),)},
            TypeError,
            "global_shape must be an int or a sequence of ints",
        ),
    ],
)
def test_argument_types_are_checked(kwargs, error, match):
    arr = np.full(4, 7.0, np.float32)
    with pytest.raises(error, match=match):
        fastinit.normal_(arr, **kwargs)
    assert (arr == 7.0).all()


def test_shard_indices_past_the_stream_end_are_refused_not_wrapped():
    arr = np.full((5, 1, 1), 7.0, np.float32)
    index = (slice(0, 5), slice(0, 1), slice(0, 1))
    past = "more than a stream of 4-byte values can index"
    with pytest.raises(ValueError, match=past):  # indices 0, 2**60, ..., 2**62
        fastinit.uniform_(arr, seed=1, global_shape=(5, 2**28, 2**32), index=index)
    with pytest.raises(ValueError, match=past):  # indices up to 2**64: wrapped before
        fastinit.uniform_(arr, seed=1, global_shape=(5, 2**30, 2**32), index=index)
    assert (arr == 7.0).all()
    with pytest.raises(ValueError, match=past):
        fastinit.normal_(arr[:1, :1, :1], seed=1, global_shape=(1, 2**64, 1), index=(slice(0, 1),) * 3)


@pytest.mark.parametrize(("dtype", "rows"), [(np.float32, 2**39), (np.float64, 2**38)])
def test_every_block_of_a_tensor_past_the_stream_end_is_refused_alike(dtype, rows):
    """Only the blocks whose own indices reached past the end were refused: the first block of
    a 2**59-element float32 tensor was filled, its last refused, so the ranks of one sharded
    tensor disagreed."""
    arr = np.full((4, 4), 7.0, dtype)
    for start in (0, rows - 4):
        with pytest.raises(ValueError, match=f"more than a stream of {arr.itemsize}-byte values"):
            fastinit.normal_(
                arr, seed=0, global_shape=(rows, 2**20), index=(slice(start, start + 4), slice(0, 4))
            )
        assert (arr == 7.0).all()
    fastinit.normal_(
        arr, seed=0, global_shape=(rows // 2, 2**20), index=(slice(0, 4), slice(0, 4))
    )  # at the end: fine


def test_a_failed_call_takes_no_stream_from_its_generator():
    g = fastinit.Generator(0)
    bad_calls = (
        lambda: fastinit.trunc_normal_(np.empty(4, np.float32), 0.0, 1.0, 14.0, 15.0, generator=g),
        lambda: fastinit.uniform_(np.empty(4, np.float16), 0.3, 0.30001, generator=g),
        lambda: fastinit.normal_(np.empty(4, np.float32), generator=g, offset=2**58),
    )
    for call in bad_calls:
        with pytest.raises(ValueError):
            call()
    assert g.next_stream == 0
    torch = pytest.importorskip("torch")
    tg = torch.Generator().manual_seed(0)
    state = tg.get_state().clone()
    with pytest.raises(ValueError):
        fastinit.trunc_normal_(np.empty(4, np.float32), 0.0, 1.0, 14.0, 15.0, generator=tg)
    assert torch.equal(state, tg.get_state())


@pytest.mark.parametrize(("dtype", "mean", "a"), [(np.float32, 0.7, 0.7), (np.float16, 1.0002, 1.0001)])
def test_trunc_normal_with_zero_std_stays_inside_the_window(dtype, mean, a):
    values = fastinit.trunc_normal_(np.empty(8, dtype), mean, 0.0, a, a + 1.0, seed=0)
    assert (values.astype(np.float64) >= a).all() and (values.astype(np.float64) <= a + 1.0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gain": -1.0, "seed": 0}, r"delta_orthogonal_: gain must be > 0"),
        (
            {"seed": 0, "generator": fastinit.Generator(1)},
            r"delta_orthogonal_: pass generator= or seed=, not both",
        ),
    ],
)
def test_delta_orthogonal_leaves_the_kernel_untouched_on_bad_input(kwargs, match):
    """The centre's orthogonal matrix is drawn before anything is written: a bad argument
    raises naming delta_orthogonal_, and the kernel keeps its values."""
    kernel = np.full((8, 4, 3, 3), 7.0, np.float32)
    with pytest.raises(ValueError, match=match):
        fastinit.delta_orthogonal_(kernel, **kwargs)
    assert (kernel == 7.0).all()


@pytest.mark.parametrize("offset", [2**64, 2**60, -1])
def test_offset_error_states_the_streams_real_range(offset):
    """A stream has 2**58 elements of 4 or 2 bytes (2**57 of float64), not 2**64: the message
    for a bad offset says so."""
    a = np.full(4, 7.0, np.float32)
    with pytest.raises(ValueError, match=r"offset must be an int in \[0, 2\*\*58\)") as e:
        fastinit.normal_(a, seed=0, offset=offset)
    assert "2**64" not in str(e.value)
    assert (a == 7.0).all()


def test_element_stride_targets_scale_and_check_their_sequences():
    from fastinit import _core

    t = _core.Target.of_elements(0, _core.DType.float64, (3, 4), (4, 1))
    assert t.shape == [3, 4] and t.byte_strides == [32, 8]
    with pytest.raises(TypeError, match="shape"):
        _core.Target.of_elements(0, _core.DType.float32, 5, (1,))
    with pytest.raises(TypeError):
        _core.Target.of_elements(0, _core.DType.float32, (3.5,), (1,))
    with pytest.raises(ValueError, match="stride"):
        _core.Target.of_elements(0, _core.DType.float64, (2,), (2**61,))
    with pytest.raises(ValueError, match="differ in length"):
        _core.Target.of_elements(0, _core.DType.float32, (2, 2), (1,))


@pytest.mark.parametrize(
    ("shape", "error"), [((2, -3), ValueError), ((2, 2.5), TypeError), ("ab", TypeError)]
)
def test_compute_fans_follows_the_shape_rule(shape, error):
    """A negative extent gave negative fans; a float one was truncated."""
    with pytest.raises(error, match="compute_fans: shape"):
        fastinit.compute_fans(shape)


def test_out_of_place_functions_name_themselves_in_errors():
    with pytest.raises(ValueError, match=r"^uniform: a must be <= b"):
        fastinit.uniform((2, 3), 2.0, 1.0, seed=0)
    with pytest.raises(TypeError, match=r"^normal\(\) got an unexpected keyword argument 'sdt'"):
        fastinit.normal((2, 3), sdt=0.02, seed=0)


def test_compute_fans_takes_sequences_of_axes_as_jax_does():
    assert fastinit.compute_fans((2, 4, 6, 8), in_axis=(1, 2), out_axis=3) == (48.0, 16.0)
    w = fastinit.variance_scaling_(
        np.empty((2, 4, 6, 8), np.float32), 1.0, "fan_in", in_axis=[1, 2], out_axis=-1, seed=0
    )
    assert abs(w.std() / math.sqrt(1 / 48) - 1) < 0.1
    with pytest.raises(ValueError, match=r"in_axis=\(1, 7\) is not an axis \(or axes\) of shape"):
        fastinit.compute_fans((2, 4, 6, 8), in_axis=(1, 7), out_axis=3)


def test_a_stream_of_another_type_is_told_names_are_allowed():
    with pytest.raises(
        TypeError, match=r"stream must be an int in \[0, 2\*\*64\) or a str \(a stream name\); got b'w'"
    ):
        fastinit.normal_(np.empty(3), seed=0, stream=b"w")


def test_philox_rounds_take_numpy_ints_and_name_what_is_out_of_range():
    counters, key = np.zeros((1, 4), np.uint32), np.zeros(2, np.uint32)
    assert np.array_equal(
        fastinit.philox4x32(counters, key, rounds=np.int64(10)), fastinit.philox4x32(counters, key)
    )
    for rounds, error in ((2**31, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match=r"rounds must be an int in \[0, 2\*\*31\)"):
            fastinit.philox4x32(counters, key, rounds=rounds)


def test_arguments_numpy_cannot_index_or_hash_are_named():
    """dirac_(groups=np.array(2.0)) gave NumPy's "only integer scalar arrays ..." and
    kaiming_*(nonlinearity=np.array(2.0)) "unhashable type", neither naming the argument."""
    arr = np.full((4, 4, 3), 7.0, np.float32)
    with pytest.raises(TypeError, match=r"^dirac_: groups must be an int >= 1; got array\(2\.\)"):
        fastinit.dirac_(arr, groups=np.array(2.0))
    with pytest.raises(ValueError, match=r"^kaiming_uniform_: unsupported nonlinearity 'array\(2\.\)'"):
        fastinit.kaiming_uniform_(arr, nonlinearity=np.array(2.0), seed=0)
    assert (arr == 7.0).all()


@pytest.mark.parametrize(("dtype", "gain"), [(np.float32, 1e39), (np.float16, 7e4)])
def test_an_orthogonal_gain_past_the_dtypes_range_is_refused(dtype, gain):
    """It was taken, and the matrix written as infinities (xavier_* refused the same gain)."""
    arr = np.full((4, 6), 7.0, dtype)
    for fill in (fastinit.orthogonal_, fastinit.delta_orthogonal_):
        target = arr if fill is fastinit.orthogonal_ else np.full((6, 6, 3), 7.0, dtype)
        with pytest.raises(ValueError, match=r"gain=.* is outside the range of float"):
            fill(target, gain, seed=0)
        assert (target == 7.0).all()


@pytest.mark.parametrize(
    ("dtype", "largest"),
    [("float16", 65504.0), ("bfloat16", 3.3895313892515355e38), ("float32", 3.4028234663852886e38)],
)
def test_constant_beyond_the_dtypes_range_is_refused(dtype, largest):
    """constant_ stored a value beyond the dtype's range as inf (bfloat16 without even NumPy's
    overflow warning), while every fill refuses such a parameter; the array is untouched."""
    dt = np.dtype(pytest.importorskip("ml_dtypes").bfloat16) if dtype == "bfloat16" else np.dtype(dtype)
    a = np.full(3, 7, dt)
    with pytest.raises(ValueError, match=rf"constant_: val=-?1e\+39 is outside the range of {dtype}"):
        fastinit.constant_(a, 1e39)
    with pytest.raises(ValueError, match="outside the range"):
        fastinit.constant_(a, -1e39)
    assert (a.astype(np.float32) == 7).all()
    assert fastinit.constant_(a, largest)[0] == largest  # the largest value itself is in range
