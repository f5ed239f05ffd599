"""fastinit.keras: Keras 3 initializers (names, arguments, get_config/from_config, seeds, dtypes),
use in a model with save/load, and distribution equivalence with keras.initializers.

Runs Keras on the JAX backend: KERAS_BACKEND is set to "jax" just for the import of keras (if
keras is not imported yet) and restored afterwards."""

from __future__ import annotations

import inspect
import os
import random
import sys

import numpy as np
import pytest

import fastinit

pytest.importorskip("jax")
stats = pytest.importorskip("scipy.stats")
if sys.modules.get("keras") is None:  # not imported yet: import it on the JAX backend
    _saved = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = "jax"
    try:
        keras = pytest.importorskip("keras")
    finally:
        if _saved is None:
            del os.environ["KERAS_BACKEND"]
        else:
            os.environ["KERAS_BACKEND"] = _saved
else:
    keras = sys.modules["keras"]
if keras.backend.backend() != "jax":
    pytest.skip(f"keras was imported with the {keras.backend.backend()} backend", allow_module_level=True)

import jax.numpy as jnp  # noqa: E402

import fastinit.keras as fk  # noqa: E402

KS_MIN_P = 1e-6
TRUNC = 0.87962566103423978

SCHEMES = {  # class name -> (scale, mode, distribution) in fastinit.variance_scaling's terms
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "HeNormal": (2.0, "fan_in", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "truncated_normal"),
}
RANDOM = [*SCHEMES, "VarianceScaling", "TruncatedNormal", "RandomNormal", "RandomUniform", "Orthogonal"]
ALL = [*RANDOM, "Identity", "Zeros", "Ones", "Constant", "STFT"]


def _np(x: object) -> np.ndarray:
    if isinstance(x, keras.Variable):
        x = x.value
    return np.asarray(keras.ops.convert_to_numpy(x))


# --- API parity with Keras ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_constructor_and_config_match_keras(name: str) -> None:
    ours, theirs = getattr(fk, name), getattr(keras.initializers, name)
    assert issubclass(ours, keras.initializers.Initializer)
    keras_params = inspect.signature(theirs.__init__).parameters
    our_params = inspect.signature(ours.__init__).parameters
    for p, param in keras_params.items():
        assert p in our_params, p
        assert our_params[p].default == param.default, p
    kwargs = {"seed": 5} if "seed" in keras_params else {}
    ours_cfg, keras_cfg = ours(**kwargs).get_config(), theirs(**kwargs).get_config()
    assert set(keras_cfg) <= set(ours_cfg)
    assert {k: ours_cfg[k] for k in keras_cfg} == keras_cfg
    clone = ours.from_config(ours_cfg)
    assert type(clone) is ours and clone.get_config() == ours_cfg


@pytest.mark.parametrize("name", RANDOM)
def test_serialize_roundtrip(name: str) -> None:
    init = getattr(fk, name)(seed=3, stream="layer.kernel")
    cfg = keras.initializers.serialize(init)
    assert cfg["registered_name"] == f"fastinit>{name}"
    back = keras.initializers.deserialize(cfg)
    assert type(back) is type(init) and back.get_config() == init.get_config()
    shape = (6, 4)
    assert np.array_equal(_np(back(shape)), _np(init(shape)))


# --- seeds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCHEMES))
def test_int_seed_is_fastinit_stream(name: str) -> None:
    scale, mode, dist = SCHEMES[name]
    init = getattr(fk, name)(seed=17)
    shape = (3, 3, 20, 12)
    a, b = _np(init(shape)), _np(init(shape))
    assert np.array_equal(a, b)  # an int seed: the same values on every call, as Keras
    ref = fastinit.variance_scaling(shape, scale, mode, dist, layout="hwio", seed=17)
    assert np.array_equal(a, ref)
    named = _np(getattr(fk, name)(seed=17, stream="dense.kernel")(shape))
    assert np.array_equal(
        named,
        fastinit.variance_scaling(shape, scale, mode, dist, layout="hwio", seed=17, stream="dense.kernel"),
    )


def test_unseeded_like_keras() -> None:
    random.seed(1234)
    a = fk.RandomNormal()
    random.seed(1234)
    b = fk.RandomNormal()
    c = fk.RandomNormal()
    # one instance: same values every call; the seed comes from Python's random (set_random_seed)
    assert np.array_equal(_np(a((50,))), _np(a((50,))))
    assert np.array_equal(_np(a((50,))), _np(b((50,))))
    assert not np.array_equal(_np(a((50,))), _np(c((50,))))
    assert a.get_config()["seed"] is None
    keras.utils.set_random_seed(99)
    d = _np(fk.HeNormal()((8, 8)))
    keras.utils.set_random_seed(99)
    assert np.array_equal(d, _np(fk.HeNormal()((8, 8))))


def test_seed_generator_differs_per_call_and_reproduces() -> None:
    init = fk.GlorotNormal(seed=keras.random.SeedGenerator(7))
    x, y = _np(init((16, 16))), _np(init((16, 16)))
    assert not np.array_equal(x, y)
    again = fk.GlorotNormal(seed=keras.random.SeedGenerator(7))
    assert np.array_equal(_np(again((16, 16))), x)
    assert np.array_equal(_np(again((16, 16))), y)


# --- dtypes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_dtypes_backend_tensor(dtype: str) -> None:
    out = fk.HeUniform(seed=2)((32, 16), dtype=dtype)
    assert isinstance(out, jnp.ndarray) and keras.backend.standardize_dtype(out.dtype) == dtype
    ref = fastinit.variance_scaling((32, 16), 2.0, "fan_in", "uniform", layout="hwio", seed=2, dtype=dtype)
    assert np.array_equal(_np(out).view(np.uint8), ref.view(np.uint8))
    assert keras.backend.standardize_dtype(fk.Identity()((3, 3), dtype=dtype).dtype) == dtype


def test_default_dtype_is_floatx() -> None:
    assert keras.backend.standardize_dtype(fk.RandomUniform(seed=0)((4,)).dtype) == keras.backend.floatx()


# --- arguments ------------------------------------------------------------------------------------


def test_bad_arguments_raise_what_keras_raises() -> None:
    """Keras's exception types (a seed of a wrong type: ValueError; an integer dtype for a random
    initializer: ValueError), checked against Keras itself."""
    for bad_seed in ("abc", 1.0, np.int64(3)):
        with pytest.raises(ValueError, match="seed"):
            keras.initializers.HeNormal(seed=bad_seed)
        with pytest.raises(ValueError, match="seed"):
            fk.HeNormal(seed=bad_seed)
    for out_of_range in (-1, 2**64):
        with pytest.raises(OverflowError):
            keras.initializers.HeNormal(seed=out_of_range)((2, 2))
        with pytest.raises(OverflowError, match="seed"):
            fk.HeNormal(seed=out_of_range)
        with pytest.raises(ValueError, match="seed"):
            fk.HeNormal(seed=out_of_range)
    for kwargs in ({"mode": "fan_sum"}, {"distribution": "gauss"}, {"scale": 0.0}):
        with pytest.raises(ValueError):
            keras.initializers.VarianceScaling(**kwargs)
        with pytest.raises(ValueError, match=f"{next(iter(kwargs))}"):
            fk.VarianceScaling(**kwargs)
    for name in (
        "RandomNormal",
        "TruncatedNormal",
        "RandomUniform",
        "HeNormal",
        "GlorotUniform",
        "Orthogonal",
    ):
        with pytest.raises(ValueError):
            getattr(keras.initializers, name)(seed=0)((3, 3), dtype="int32")
        with pytest.raises(ValueError, match="dtype='int32'"):
            getattr(fk, name)(seed=0)((3, 3), dtype="int32")
    for init in (keras.initializers.Identity(), fk.Identity()):
        with pytest.raises(ValueError, match=r"2-D|2D"):
            init((2, 2, 2))
    for init in (keras.initializers.Orthogonal(seed=0), fk.Orthogonal(seed=0)):
        with pytest.raises(ValueError, match=r"two-dimensional|at least 2-D"):
            init((5,))
    with pytest.raises(TypeError, match="stddev"):
        fk.RandomNormal(stddev="big")
    for shape in ((-1, 2), ("a", 2)):  # Keras (JAX): TypeError, ValueError; fastinit: both
        with pytest.raises(TypeError, match="shape"):
            fk.RandomNormal(seed=0)(shape)
        with pytest.raises(ValueError, match="shape"):
            fk.RandomNormal(seed=0)(shape)


@pytest.mark.parametrize("name", ["Zeros", "HeNormal", "Orthogonal", "Identity"])
def test_float_extents_raise_instead_of_truncating(name: str) -> None:
    """Keras raises TypeError for (3, 2.5); fastinit's shape rule (engine.shapes) never truncates
    an extent to int, 2.0 included."""
    init = getattr(fk, name)(seed=1) if name in RANDOM else getattr(fk, name)()
    for shape in ((3, 2.5), (2.0, 2), 2.9):
        with pytest.raises(TypeError):
            getattr(keras.initializers, name)()(shape)
        with pytest.raises(TypeError, match=r"shape must be an int or a sequence of ints.*got shape="):
            init(shape)
        with pytest.raises(ValueError, match="shape"):
            init(shape)


def test_integer_array_shapes_are_shapes() -> None:
    """NumPy integers, 0-d integer arrays and a 1-D integer array are extents, as in Keras's
    backends; they give the values of the tuple of ints."""
    want = _np(fk.HeNormal(seed=1)((3, 2)))
    for shape in ((np.int64(3), np.array(2)), np.array([3, 2]), [3, jnp.array(2)]):
        assert np.array_equal(_np(fk.HeNormal(seed=1)(shape)), want)


@pytest.mark.parametrize("name", ["Zeros", "Ones", "Constant", "Identity", "HeNormal", "RandomNormal",
                                  "TruncatedNormal", "RandomUniform", "Orthogonal", "VarianceScaling"])  # fmt: skip
def test_unknown_dtype_raises_what_keras_raises(name: str) -> None:
    """Keras's random initializers raise TypeError for an unknown dtype, its constant ones
    (Zeros, Ones, Constant, Identity) ValueError; fastinit's raise the same type."""
    for dtype in ("floaty", object):
        with pytest.raises((TypeError, ValueError)) as theirs:
            getattr(keras.initializers, name)()((3, 3), dtype)
        with pytest.raises(theirs.type, match=r"dtype=.* is not a dtype; allowed: float32"):
            getattr(fk, name)()((3, 3), dtype)


def test_seed_generator_under_jit_says_what_it_cannot_do() -> None:
    """Keras's ModelParallel calls a large variable's initializer under jax.jit; the traced
    SeedGenerator state cannot seed a host draw, so the error says so (an int seed works)."""
    import jax

    generator = keras.random.SeedGenerator(2)
    init = fk.RandomNormal(seed=generator)
    with pytest.raises(
        TypeError, match=r"^RandomNormal: seed=keras\.random\.SeedGenerator cannot be used inside jax\.jit"
    ):
        jax.jit(init.__call__, static_argnames=["shape", "dtype"])(shape=(4, 4), dtype="float32")
    assert not isinstance(generator.state.value, jax.core.Tracer)  # the generator is left usable
    assert _np(init((2, 2))).shape == (2, 2)
    seeded = fk.RandomNormal(seed=2)
    jitted = jax.jit(seeded.__call__, static_argnames=["shape", "dtype"])(shape=(4, 4), dtype="float32")
    assert np.array_equal(_np(jitted), _np(seeded((4, 4))))


def test_keras_names_are_fastinit_classes() -> None:
    """Every name keras.initializers exports has its fastinit counterpart, the class itself
    where Keras's is a class (lowercase names and compatibility aliases included)."""
    for name in dir(keras.initializers):
        if name.startswith("_"):
            continue
        theirs, ours = getattr(keras.initializers, name), getattr(fk, name)
        if isinstance(theirs, type) and name != "Initializer":
            assert issubclass(ours, theirs) and ours.__module__.startswith("fastinit"), name
            assert ours is getattr(fk, theirs.__name__), name
    assert fk.Initializer is keras.initializers.Initializer


@pytest.mark.parametrize(
    "identifier",
    ["he_normal", "HeNormal", "fastinit>HeNormal", "normal", "uniform", "one", "zero", "IdentityInitializer",
     "OrthogonalInitializer", "STFTInitializer", "stft", "variance_scaling"],
)  # fmt: skip
def test_get_resolves_keras_names_to_fastinit(identifier: str) -> None:
    ours, theirs = fk.get(identifier), keras.initializers.get(identifier.replace("fastinit>", ""))
    assert type(ours).__module__.startswith("fastinit") and isinstance(ours, type(theirs))
    assert keras.initializers.get(fk.serialize(ours)).get_config() == ours.get_config()


def test_get_serialize_deserialize_like_keras() -> None:
    assert fk.get(None) is None
    with pytest.raises(ValueError):
        keras.initializers.get("typo")
    with pytest.raises(ValueError):
        fk.get("typo")
    init = fk.GlorotUniform(seed=4, stream="k")
    assert fk.get(init) is init and type(fk.get(fk.HeNormal)) is fk.HeNormal
    for config in (fk.serialize(init), keras.initializers.serialize(init)):
        back = keras.initializers.deserialize(config)
        assert type(back) is fk.GlorotUniform and back.get_config() == init.get_config()
        assert type(fk.deserialize(config)) is fk.GlorotUniform
    assert type(fk.get({"class_name": "RandomNormal", "config": {"stddev": 0.5}})) is fk.RandomNormal
    # a Keras name in a layer: "fastinit>Name" reaches fastinit through Keras's own get
    layer = keras.layers.Dense(4, kernel_initializer="fastinit>LecunNormal")
    assert type(layer.kernel_initializer) is fk.LecunNormal
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(_np(fk.get(values)((2, 3))), values)  # a tensor or array: Keras's rule


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int32", "bool"])
def test_constant_initializers_like_keras(dtype: str) -> None:
    cases = [
        ("Zeros", ()),
        ("Ones", ()),
        ("Constant", (3.0,)),
        ("Constant", (np.arange(4.0),)),
        ("Identity", (2.0,)),
    ]
    for name, args in cases:
        shape = (4, 4)
        ours = getattr(fk, name)(*args)(shape, dtype=dtype)
        theirs = getattr(keras.initializers, name)(*args)(shape, dtype=dtype)
        assert keras.backend.standardize_dtype(ours.dtype) == keras.backend.standardize_dtype(theirs.dtype)
        assert np.array_equal(_np(ours), _np(theirs)), (name, args)
    assert fk.Constant(keras.ops.convert_to_tensor(2.5))((3,)).tolist() == [2.5] * 3


def test_stft_is_kerass_kernel() -> None:
    pytest.importorskip("scipy.signal")
    for args in [(), ("imag", "hamming", "spectrum", True), ("real", None)]:
        shape = (16, 1, 9)
        assert np.array_equal(_np(fk.STFT(*args)(shape)), _np(keras.initializers.STFT(*args)(shape)))
    with pytest.raises(ValueError):
        fk.STFT("imaginary")


def test_arguments_keras_accepts() -> None:
    """What Keras takes fastinit takes, with Keras's values where they are determined: minval >=
    maxval gives minval (Keras on JAX); Orthogonal's gain <= 0 scales the matrix; stddev 0 gives
    the mean and a negative stddev the distribution of its absolute value; scalar tensors."""
    for lo, hi in [(1.0, -1.0), (0.5, 0.5)]:
        ref = _np(keras.initializers.RandomUniform(lo, hi, seed=0)((3, 4)))
        assert np.array_equal(_np(fk.RandomUniform(lo, hi, seed=0)((3, 4))), ref)
    q = _np(fk.Orthogonal(seed=1)((6, 4)))
    assert np.array_equal(_np(fk.Orthogonal(-2.0, seed=1)((6, 4))), q * np.float32(-2.0))
    assert not _np(fk.Orthogonal(0.0, seed=1)((6, 4))).any()
    for name in ("RandomNormal", "TruncatedNormal"):
        assert np.array_equal(_np(getattr(fk, name)(0.5, 0.0, seed=0)((5,))), np.full(5, 0.5, np.float32))
        negative, positive = getattr(fk, name)(0.5, -0.2, seed=0), getattr(fk, name)(0.5, 0.2, seed=0)
        assert np.array_equal(_np(negative((5, 5))), _np(positive((5, 5))))
    mean, stddev = keras.ops.convert_to_tensor(0.5), jnp.asarray(0.1)
    init = fk.RandomNormal(mean, stddev, seed=2)
    assert init.mean is mean and init.get_config()["stddev"] is stddev  # kept as given, as Keras
    assert np.array_equal(_np(init((8,))), _np(fk.RandomNormal(0.5, 0.1, seed=2)((8,))))
    back = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert np.array_equal(_np(back((8,))), _np(init((8,))))
    for init in (fk.Orthogonal(jnp.asarray(2.0), seed=3), fk.Identity(jnp.asarray(2.0))):
        back = keras.initializers.deserialize(keras.initializers.serialize(init))  # (a gain dict was refused)
        assert np.array_equal(_np(back((4, 4))), _np(init((4, 4))))
    with pytest.raises(TypeError, match="scalar"):
        fk.RandomNormal(mean=np.zeros(2))


# --- fans and distributions against Keras ------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (7,), (5, 9), (3, 3, 4, 8), (2, 3, 4, 5, 6)])
def test_fans_match_keras(shape: tuple[int, ...]) -> None:
    from keras.src.initializers.random_initializers import compute_fans

    assert fk.compute_fans(shape) == compute_fans(shape)
    if len(shape) >= 2:
        axes = ([0], [len(shape) - 1])
        assert fk.compute_fans(shape, *axes) == compute_fans(shape, *axes)


@pytest.mark.parametrize("name", ALL)
def test_is_an_instance_of_the_keras_class(name: str) -> None:
    """Keras's layers test isinstance against their own classes (EinsumDense: VarianceScaling)."""
    kwargs = {"seed": 0} if name in RANDOM else {}
    assert isinstance(getattr(fk, name)(**kwargs), getattr(keras.initializers, name))


# MultiHeadAttention(8, 16) on width 32: each EinsumDense kernel, its (input_axes, output_axes) as
# EinsumDense derives them from its equation, and so Keras's fans (compute_fans with the axes)
MHA_KERNELS = {
    "query": ((32, 8, 16), [0], [1, 2]),
    "key": ((32, 8, 16), [0], [1, 2]),
    "value": ((32, 8, 16), [0], [1, 2]),
    "output": ((8, 16, 32), [0, 1], [2]),
}


@pytest.mark.parametrize("name", [*SCHEMES, "VarianceScaling"])
def test_multi_head_attention_kernels_get_keras_fans(name: str) -> None:
    from keras.src.initializers.random_initializers import compute_fans

    scale, mode, dist = SCHEMES.get(name, (1.0, "fan_in", "truncated_normal"))
    mha = keras.layers.MultiHeadAttention(8, 16, kernel_initializer=getattr(fk, name)(seed=0, stream="mha"))
    mha.build((None, 10, 32), (None, 10, 32))
    for part, (shape, input_axes, output_axes) in MHA_KERNELS.items():
        w = _np(getattr(mha, f"{part}_dense").kernel).astype(np.float64)
        assert w.shape == shape
        fan_in, fan_out = compute_fans(shape, input_axes, output_axes)
        std = np.sqrt(scale / {"fan_in": fan_in, "fan_avg": (fan_in + fan_out) / 2}[mode])
        if dist == "uniform":
            assert np.sqrt(3) * std * 0.95 < np.abs(w).max() <= np.sqrt(3) * std * (1 + 1e-6), part
        else:
            assert w.std() == pytest.approx(std, rel=0.05), part
        explicit = getattr(fk, name)(seed=0, stream="mha", input_axes=input_axes, output_axes=output_axes)
        assert np.array_equal(w, _np(explicit(shape))), part


def test_einsum_dense_passes_axes_and_keeps_the_seed() -> None:
    layer = keras.layers.EinsumDense("abc,cde->abde", (None, 4, 64), kernel_initializer=fk.HeUniform())
    layer.build((None, 3, 48))
    w = _np(layer.kernel)
    assert w.shape == (48, 4, 64)
    limit = np.sqrt(6 / 48)  # fan_in = 48 (axis 0), not 4 * 48 by the channels-last rule
    assert limit * 0.95 < np.abs(w).max() <= limit * (1 + 1e-6)
    # the layer clones the initializer with the axes and the drawn seed, as it does Keras's
    seed = layer.kernel_initializer.seed
    assert np.array_equal(w, _np(fk.HeUniform(seed=seed, input_axes=[0], output_axes=[1, 2])(w.shape)))


def _pair(name: str, shape: tuple[int, ...], **kwargs: object) -> tuple[np.ndarray, np.ndarray]:
    ours = getattr(fk, name)(seed=0, **kwargs)
    theirs = getattr(keras.initializers, name)(seed=1, **kwargs)
    return _np(ours(shape)).astype(np.float64).ravel(), _np(theirs(shape)).astype(np.float64).ravel()


@pytest.mark.parametrize("name", list(SCHEMES))
def test_schemes_distribution_matches_keras(name: str) -> None:
    scale, mode, dist = SCHEMES[name]
    shape = (3, 3, 48, 64) if "Uniform" in name else (256, 144)
    a, b = _pair(name, shape)
    assert stats.ks_2samp(a, b).pvalue > KS_MIN_P
    fan_in, fan_out = fk.compute_fans(shape)
    std = np.sqrt(scale / (fan_in if mode == "fan_in" else (fan_in + fan_out) / 2))
    assert a.std() == pytest.approx(std, rel=0.02)
    bound = np.sqrt(3) * std if dist == "uniform" else 2 * std / TRUNC
    assert np.abs(a).max() <= bound * (1 + 1e-6)


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_matches_keras(mode: str, distribution: str) -> None:
    a, b = _pair("VarianceScaling", (96, 160), scale=0.5, mode=mode, distribution=distribution)
    assert stats.ks_2samp(a, b).pvalue > KS_MIN_P
    n = {"fan_in": 96, "fan_out": 160, "fan_avg": 128}[mode]
    assert a.std() == pytest.approx(np.sqrt(0.5 / n), rel=0.02)


def test_bias_shapes_like_keras() -> None:
    a, b = _pair("GlorotUniform", (20_000,))
    assert stats.ks_2samp(a, b).pvalue > KS_MIN_P
    assert np.abs(a).max() <= np.sqrt(6 / 40_000) * (1 + 1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs", "std"),
    [
        ("RandomNormal", {"mean": 0.5, "stddev": 0.2}, 0.2),
        ("RandomUniform", {"minval": -0.3, "maxval": 0.1}, 0.4 / np.sqrt(12)),
        ("TruncatedNormal", {"mean": -0.1, "stddev": 0.3}, 0.3 * TRUNC),
    ],
)
def test_plain_distributions_match_keras(name: str, kwargs: dict[str, float], std: float) -> None:
    a, b = _pair(name, (200, 300), **kwargs)
    assert stats.ks_2samp(a, b).pvalue > KS_MIN_P
    assert a.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("shape", [(40, 24), (24, 40), (3, 3, 4, 16)])
def test_orthogonal_matches_keras(shape: tuple[int, ...]) -> None:
    q = _np(fk.Orthogonal(gain=2.0, seed=4)(shape)).astype(np.float64)
    m = q.reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    assert np.allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-4)
    ref = _np(keras.initializers.Orthogonal(gain=2.0, seed=4)(shape)).astype(np.float64)
    assert stats.ks_2samp(q.ravel(), ref.ravel()).pvalue > KS_MIN_P


def test_identity_matches_keras() -> None:
    for shape in [(4, 4), (3, 5), (6, 2)]:
        assert np.array_equal(_np(fk.Identity(gain=2.5)(shape)), _np(keras.initializers.Identity(2.5)(shape)))


# --- in a model ---------------------------------------------------------------------------------------


# keras.saving converts variables with np.array(variable), which NumPy 2 flags in Keras's own code
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
def test_dense_model_save_and_load(tmp_path: object) -> None:
    def build() -> keras.Model:
        return keras.Sequential([
            keras.Input((16,)),
            keras.layers.Dense(32, activation="relu", kernel_initializer=fk.HeNormal(seed=0)),
            keras.layers.Dense(4, kernel_initializer=fk.GlorotUniform(seed=1, stream="head"),
                               bias_initializer=fk.RandomNormal(stddev=0.01, seed=2)),
        ])  # fmt: skip

    model = build()
    kernel = _np(model.layers[0].kernel)
    ref = fastinit.variance_scaling((16, 32), 2.0, "fan_in", "truncated_normal", layout="hwio", seed=0)
    assert np.array_equal(kernel, ref)
    assert np.array_equal(_np(build().layers[1].kernel), _np(model.layers[1].kernel))
    path = os.path.join(str(tmp_path), "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[0].kernel_initializer) is fk.HeNormal
    assert loaded.layers[1].kernel_initializer.get_config()["stream"] == "head"
    assert np.array_equal(_np(loaded.layers[0].kernel), kernel)
    x = np.ones((2, 16), np.float32)
    assert np.allclose(_np(loaded(x)), _np(model(x)))
    from_json = keras.models.model_from_json(model.to_json())
    assert np.array_equal(_np(from_json.layers[0].kernel), kernel)


def test_docs_examples_run() -> None:
    """Every python block of docs/keras-jax.md runs (they assert their own claims)."""
    pytest.importorskip("flax")
    import pathlib
    import re

    text = (pathlib.Path(__file__).parent.parent / "docs" / "keras-jax.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/keras-jax.md", "exec"), {})
