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
ALL = [
    *SCHEMES,
    "VarianceScaling",
    "TruncatedNormal",
    "RandomNormal",
    "RandomUniform",
    "Orthogonal",
    "Identity",
]


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


@pytest.mark.parametrize("name", [n for n in ALL if n != "Identity"])
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


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="seed"):
        fk.HeNormal(seed="abc")
    with pytest.raises(ValueError, match="seed"):
        fk.HeNormal(seed=-1)
    with pytest.raises(ValueError, match="mode='fan_sum'"):
        fk.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution='gauss'"):
        fk.VarianceScaling(distribution="gauss")
    with pytest.raises(ValueError, match="scale"):
        fk.VarianceScaling(scale=0.0)
    with pytest.raises(TypeError, match="dtype='int32'"):
        fk.RandomNormal(seed=0)((3,), dtype="int32")
    with pytest.raises(ValueError, match="2-D"):
        fk.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="at least 2-D"):
        fk.Orthogonal(seed=0)((5,))
    with pytest.raises(ValueError, match="minval"):
        fk.RandomUniform(1.0, -1.0)
    with pytest.raises(TypeError, match="stddev"):
        fk.RandomNormal(stddev="big")


# --- fans and distributions against Keras ------------------------------------------------------------


@pytest.mark.parametrize("shape", [(), (7,), (5, 9), (3, 3, 4, 8), (2, 3, 4, 5, 6)])
def test_fans_match_keras(shape: tuple[int, ...]) -> None:
    from keras.src.initializers.random_initializers import compute_fans

    assert fk.compute_fans(shape) == compute_fans(shape)
    if len(shape) >= 2:
        axes = ([0], [len(shape) - 1])
        assert fk.compute_fans(shape, *axes) == compute_fans(shape, *axes)


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
    assert len(blocks) == 4
    for block in blocks:
        exec(compile(block, "docs/keras-jax.md", "exec"), {})
