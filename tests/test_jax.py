"""fastinit.jax: JAX-signature initializers, the key -> (seed, stream) rule, transforms (jit,
vmap), Flax nnx/linen use, init_tree, and distribution equivalence with jax.nn.initializers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import fastinit

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
stats = pytest.importorskip("scipy.stats")

import fastinit.jax as fj  # noqa: E402

KS_MIN_P = 1e-6


def test_import_fastinit_imports_no_framework() -> None:
    code = (
        "import sys, fastinit\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'keras', 'flax'))\n"
        "print(bad)\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


# --- the key rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 + 7, 2**32 - 1])
def test_key_to_seed_typed_and_raw(seed: int) -> None:
    assert fj.key_to_seed(jax.random.key(seed)) == seed
    assert fj.key_to_seed(jax.random.PRNGKey(seed)) == seed


def test_key_to_seed_uses_both_words() -> None:
    words = np.array([0x12345678, 0x9ABCDEF0], dtype=np.uint32)
    assert fj.key_to_seed(jax.random.wrap_key_data(words)) == 0x123456789ABCDEF0
    assert fj.key_to_seed(jnp.asarray(words)) == 0x123456789ABCDEF0


def test_key_to_seed_other_lengths_hash() -> None:
    import hashlib

    words = np.array([1, 2, 3, 4], dtype=np.uint32)
    digest = hashlib.blake2b(words.astype("<u4").tobytes(), digest_size=8).digest()
    assert fj.key_to_seed(jax.random.wrap_key_data(words, impl="rbg")) == int.from_bytes(digest, "little")


def test_same_key_same_values_and_equal_to_fastinit() -> None:
    key = jax.random.key(7)
    init = fj.he_normal()
    a, b = init(key, (96, 40)), init(key, (96, 40))
    assert isinstance(a, jax.Array) and a.dtype == jnp.float32 and a.shape == (96, 40)
    assert np.array_equal(np.asarray(a), np.asarray(b))
    ref = fastinit.variance_scaling((96, 40), 2.0, "fan_in", "truncated_normal", layout="hwio", seed=7)
    assert np.array_equal(np.asarray(a), ref)
    other = init(jax.random.key(8), (96, 40))
    assert not np.array_equal(np.asarray(a), np.asarray(other))


def test_stream_argument() -> None:
    key = jax.random.key(3)
    a = fj.normal(1.0, stream="encoder.kernel")(key, (1000,))
    ref = fastinit.normal((1000,), 0.0, 1.0, seed=3, stream=fastinit.stream_id("encoder.kernel"))
    assert np.array_equal(np.asarray(a), ref)
    assert not np.array_equal(np.asarray(a), np.asarray(fj.normal(1.0)(key, (1000,))))
    assert np.array_equal(
        np.asarray(fj.normal(1.0, stream=5)(key, (10,))), fastinit.normal(10, seed=3, stream=5)
    )


def test_generate_matches_call() -> None:
    key = jax.random.key(11)
    init = fj.glorot_uniform()
    assert np.array_equal(np.asarray(init(key, (5, 7))), init.generate((5, 7), seed=11))


# --- transforms ---------------------------------------------------------------------------------


def test_jit_equals_eager() -> None:
    init = fj.lecun_normal()
    key = jax.random.key(5)
    jitted = jax.jit(lambda k: init(k, (33, 17)))
    assert np.array_equal(np.asarray(jitted(key)), np.asarray(init(key, (33, 17))))
    raw = jax.random.PRNGKey(5)
    assert np.array_equal(
        np.asarray(jax.jit(lambda k: init(k, (33, 17)))(raw)), np.asarray(init(key, (33, 17)))
    )


def test_vmap_over_keys() -> None:
    init = fj.normal(1.0, dtype=jnp.bfloat16)
    keys = jax.random.split(jax.random.key(0), 4)
    batched = jax.vmap(lambda k: init(k, (6, 3)))(keys)
    assert batched.shape == (4, 6, 3) and batched.dtype == jnp.bfloat16
    for i in range(4):
        assert np.array_equal(np.asarray(batched[i]), np.asarray(init(keys[i], (6, 3))))


# --- dtypes and arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float16, jnp.bfloat16, "bfloat16", np.float32])
def test_dtypes(dtype: object) -> None:
    key = jax.random.key(1)
    out = fj.he_uniform()(key, (64, 32), dtype)
    assert out.dtype == jnp.dtype(dtype)
    name = jnp.dtype(dtype).name
    ref = fastinit.variance_scaling((64, 32), 2.0, "fan_in", "uniform", layout="hwio", seed=1, dtype=name)
    assert np.array_equal(np.asarray(out).view(np.uint8), ref.view(np.uint8))
    assert fj.he_uniform(dtype=dtype)(key, (4, 4)).dtype == jnp.dtype(dtype)


def test_bad_arguments() -> None:
    key = jax.random.key(0)
    with pytest.raises(TypeError, match="key"):
        fj.normal()(0, (3,))
    with pytest.raises(ValueError, match="single key"):
        fj.normal()(jax.random.split(key, 2), (3,))
    with pytest.raises(ValueError, match="single key"):
        fj.normal()(jnp.zeros((2, 2), jnp.uint32), (3,))

    with pytest.raises(ValueError, match="mode='fan_sum'"):
        fj.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(ValueError, match="distribution='gauss'"):
        fj.variance_scaling(1.0, "fan_in", "gauss")
    with pytest.raises(ValueError, match="scale"):
        fj.variance_scaling(0.0, "fan_in", "normal")
    with pytest.raises(TypeError, match="dtype=int32"):
        fj.normal()(key, (3,), jnp.int32)
    with pytest.raises(ValueError, match="1-dimensional"):
        fj.he_normal()(key, (10,))
    with pytest.raises(ValueError, match="in_axis=5"):
        fj.he_normal(in_axis=5)(key, (3, 4))
    with pytest.raises(TypeError, match="shape"):
        fj.normal()(key, "abc")
    with pytest.raises(ValueError, match="out_sharding"):
        fj.normal()(key, (3,), out_sharding="x")
    with pytest.raises(ValueError, match="lower must be < upper"):
        fj.truncated_normal(1.0, lower=1.0, upper=-1.0)


# --- fans and distributions against jax.nn.initializers -------------------------------------------

FAN_CASES = [
    ((64, 32), -2, -1, ()),
    ((3, 3, 16, 32), -2, -1, ()),
    ((5, 7, 3, 11), 1, (0, 3), ()),
    ((4, 6, 8, 10), -2, -1, 0),
    ((2, 9, 3, 5), (1, 2), -1, (0,)),
    ((100, 16), -2, 0, ()),  # overlapping axes, as Flax's nn.Embed default
]


@pytest.mark.parametrize(
    "factory",
    [fj.normal, fj.uniform, fj.truncated_normal, lambda s: fj.variance_scaling(s, "fan_in", "normal")],
)
def test_a_traced_parameter_is_named_as_traced(factory) -> None:
    """It was called "not a real number" (its message for a traced one was never reached)."""
    with pytest.raises(TypeError, match=r"is traced \(the factory was called inside jit"):
        jax.jit(lambda k, s: factory(s)(k, (4, 4)))(jax.random.key(0), jnp.float32(2.0))


@pytest.mark.parametrize(
    "raw", [np.zeros(2, np.float32), np.zeros(2, np.int32), np.zeros(3, np.uint32), np.zeros((), np.uint32)]
)
def test_raw_key_data_of_another_kind_is_a_type_error_as_in_jax(raw) -> None:
    """A float key was a ValueError and three words were hashed; JAX raises TypeError for both."""
    with pytest.raises(TypeError):
        jax.nn.initializers.normal()(jnp.asarray(raw), (3,))
    with pytest.raises(TypeError, match=r"normal: raw key data must be a uint32 array of shape \(2,\)"):
        fj.normal()(jnp.asarray(raw), (3,))


@pytest.mark.parametrize(("shape", "in_axis", "out_axis", "batch_axis"), FAN_CASES)
def test_fans_match_jax(
    shape: tuple[int, ...], in_axis: object, out_axis: object, batch_axis: object
) -> None:
    from jax._src.nn.initializers import _compute_fans

    assert fj.compute_fans(shape, in_axis, out_axis, batch_axis) == pytest.approx(
        _compute_fans(shape, in_axis, out_axis, batch_axis)
    )


def _pair(
    ours: object, theirs: object, shape: tuple[int, ...], seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(ours(jax.random.key(seed), shape, jnp.float32), dtype=np.float64).ravel()  # type: ignore[operator]
    b = np.asarray(theirs(jax.random.key(seed + 1000), shape, jnp.float32), dtype=np.float64).ravel()  # type: ignore[operator]
    return a, b


SCHEMES = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"]


@pytest.mark.parametrize("name", SCHEMES)
def test_schemes_distribution_matches_jax(name: str) -> None:
    shape = (3, 3, 48, 64) if "uniform" in name else (256, 144)
    ours, theirs = getattr(fj, name)(), getattr(jax.nn.initializers, name)()
    a, b = _pair(ours, theirs, shape)
    assert stats.ks_2samp(a, b).pvalue > KS_MIN_P
    fan_in, fan_out = fj.compute_fans(shape)
    scale = 2.0 if name.startswith("he") else 1.0
    n = (fan_in + fan_out) / 2 if name.startswith("glorot") else fan_in
    assert a.std() == pytest.approx(np.sqrt(scale / n), rel=0.02)
    assert abs(a.mean()) < 0.02 * np.sqrt(scale / n) * 5


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_matches_jax(mode: str, distribution: str) -> None:
    shape, kw = (5, 7, 64, 96), dict(in_axis=2, out_axis=3, batch_axis=(0,))
    ours = fj.variance_scaling(0.7, mode, distribution, **kw)
    theirs = jax.nn.initializers.variance_scaling(0.7, mode, distribution, **kw)
    a, b = _pair(ours, theirs, shape, seed=3)
    assert stats.ks_2samp(a, b).pvalue > KS_MIN_P
    fan_in, fan_out = 7 * 64, 7 * 96
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": np.sqrt(fan_in * fan_out)}[mode]  # fmt: skip
    assert a.std() == pytest.approx(np.sqrt(0.7 / n), rel=0.02)
    if distribution == "truncated_normal":
        assert np.abs(a).max() <= 2 * np.sqrt(0.7 / n) / 0.87962566103423978 * (1 + 1e-6)
    if distribution == "uniform":
        assert np.abs(a).max() <= np.sqrt(3 * 0.7 / n) * (1 + 1e-6)


def test_normal_uniform_truncated_match_jax() -> None:
    shape = (300, 200)
    for ours, theirs, std in [
        (fj.normal(0.3), jax.nn.initializers.normal(0.3), 0.3),
        (fj.uniform(0.5), jax.nn.initializers.uniform(0.5), 0.5 / np.sqrt(12)),
        (fj.truncated_normal(0.2), jax.nn.initializers.truncated_normal(0.2), 0.2 * 0.87962566103423978),
        (fj.truncated_normal(1.0, lower=-1.0, upper=3.0),
         jax.nn.initializers.truncated_normal(1.0, lower=-1.0, upper=3.0), None),
    ]:  # fmt: skip
        a, b = _pair(ours, theirs, shape, seed=9)
        assert stats.ks_2samp(a, b).pvalue > KS_MIN_P, ours
        if std is not None:
            assert a.std() == pytest.approx(std, rel=0.02)
    u = np.asarray(fj.uniform(0.5)(jax.random.key(1), (10_000,)))
    assert u.min() >= 0.0 and u.max() < 0.5


@pytest.mark.parametrize(
    ("shape", "column_axis"), [((40, 24), -1), ((24, 40), -1), ((6, 5, 8), 0), ((3, 4, 50), 1)]
)
def test_orthogonal(shape: tuple[int, ...], column_axis: int) -> None:
    q = np.asarray(fj.orthogonal(1.5, column_axis)(jax.random.key(2), shape, jnp.float32), dtype=np.float64)
    assert q.shape == shape
    m = np.moveaxis(q, column_axis, -1).reshape(-1, shape[column_axis])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    assert np.allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-4)
    ref = np.asarray(
        jax.nn.initializers.orthogonal(1.5, column_axis)(jax.random.key(2), shape), dtype=np.float64
    )
    assert stats.ks_2samp(q.ravel(), ref.ravel()).pvalue > KS_MIN_P


# --- Flax ---------------------------------------------------------------------------------------------


def _recording(init: fj.Initializer, keys: list[object]) -> object:
    def rec(key: object, shape: object, dtype: object = None) -> object:
        keys.append(key)
        return init(key, shape, dtype)

    return rec


def test_flax_nnx_linear() -> None:
    nnx = pytest.importorskip("flax.nnx")
    init, keys = fj.he_normal(), []
    layer = nnx.Linear(64, 32, kernel_init=_recording(init, keys), rngs=nnx.Rngs(0))
    kernel = np.asarray(layer.kernel[...])
    assert kernel.shape == (64, 32)
    assert np.array_equal(kernel, init.generate((64, 32), jnp.float32, seed=fj.key_to_seed(keys[0])))
    again = nnx.Linear(64, 32, kernel_init=fj.he_normal(), rngs=nnx.Rngs(0))
    assert np.array_equal(np.asarray(again.kernel[...]), kernel)
    y = layer(jnp.ones((2, 64)))
    assert y.shape == (2, 32)


def test_flax_linen_dense_jit_and_eager() -> None:
    nn = pytest.importorskip("flax.linen")

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x: object) -> object:
            x = nn.Dense(48, kernel_init=fj.he_normal())(x)
            return nn.Dense(8, kernel_init=fj.glorot_uniform(), param_dtype=jnp.bfloat16)(nn.relu(x))

    model, x = MLP(), jnp.ones((2, 16))
    eager = model.init(jax.random.key(0), x)
    jitted = jax.jit(model.init)(jax.random.key(0), x)
    for leaf_a, leaf_b in zip(jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(jitted)):
        assert leaf_a.dtype == leaf_b.dtype
        assert np.array_equal(np.asarray(leaf_a), np.asarray(leaf_b))
    k = np.asarray(eager["params"]["Dense_0"]["kernel"])
    assert k.shape == (16, 48) and k.std() == pytest.approx(np.sqrt(2 / 16), rel=0.15)
    assert eager["params"]["Dense_1"]["kernel"].dtype == jnp.bfloat16
    assert model.apply(eager, x).shape == (2, 8)


def test_flax_linen_embed_default_axes() -> None:
    nn = pytest.importorskip("flax.linen")
    embed_init = fj.variance_scaling(1.0, "fan_in", "normal", out_axis=0)  # nn.Embed's default rule
    params = nn.Embed(4000, 16, embedding_init=embed_init).init(jax.random.key(1), jnp.zeros((2,), jnp.int32))
    table = np.asarray(params["params"]["embedding"])
    assert table.shape == (4000, 16) and table.std() == pytest.approx(0.25, rel=0.02)


# --- init_tree ------------------------------------------------------------------------------------------


def test_init_tree_leaves_are_pure_functions_of_seed_and_path() -> None:
    shapes = {
        "encoder": {"kernel": (64, 32), "bias": (32,), "scale": jax.ShapeDtypeStruct((32,), jnp.bfloat16)},
        "embed": [(100, 16), (10, 16)],
    }
    rules = {r"bias$": fj.normal(0.0 + 1e-3), r"scale": fj.uniform(1.0), r"kernel": fj.he_normal(),
             r"^embed\.": fj.normal(0.02)}  # fmt: skip
    tree = fj.init_tree(shapes, rules, seed=123)
    assert tree["encoder"]["scale"].dtype == jnp.bfloat16 and tree["embed"][1].shape == (10, 16)
    kernel = fj.he_normal().generate((64, 32), seed=123, stream="encoder.kernel")
    assert np.array_equal(np.asarray(tree["encoder"]["kernel"]), kernel)
    assert np.array_equal(
        np.asarray(tree["embed"][0]), fj.normal(0.02).generate((100, 16), seed=123, stream="embed.0")
    )
    # a leaf does not depend on the others: a smaller tree gives the same values
    alone = fj.init_tree({"encoder": {"kernel": (64, 32)}}, rules, seed=123)
    assert np.array_equal(np.asarray(alone["encoder"]["kernel"]), kernel)
    other_seed = fj.init_tree(shapes, rules, seed=124)
    assert not np.array_equal(np.asarray(other_seed["encoder"]["kernel"]), kernel)


def test_init_tree_from_eval_shape_and_rule_order() -> None:
    nn = pytest.importorskip("flax.linen")
    model, x = nn.Dense(12), jnp.ones((1, 5))
    abstract = jax.eval_shape(model.init, jax.random.key(0), x)
    rules = [(r"kernel", fj.lecun_normal()), (r".", jax.nn.initializers.zeros)]
    params = fj.init_tree(abstract, rules, seed=0)
    assert params["params"]["kernel"].shape == (5, 12)
    assert np.array_equal(
        np.asarray(params["params"]["kernel"]),
        fj.lecun_normal().generate((5, 12), seed=0, stream="params.kernel"),
    )
    assert np.array_equal(np.asarray(params["params"]["bias"]), np.zeros(12, np.float32))
    assert model.apply(params, x).shape == (1, 12)


def test_init_tree_foreign_initializer_key_rule() -> None:
    import hashlib

    params = fj.init_tree({"w": (8, 4)}, jax.nn.initializers.normal(1.0), seed=77)
    v = int.from_bytes(hashlib.blake2b((77).to_bytes(8, "little") + b"w", digest_size=8).digest(), "little")
    key = jax.random.wrap_key_data(np.array([v >> 32, v & 0xFFFFFFFF], dtype=np.uint32))
    assert np.array_equal(np.asarray(params["w"]), np.asarray(jax.nn.initializers.normal(1.0)(key, (8, 4))))


def test_init_tree_errors() -> None:
    with pytest.raises(ValueError, match="no rule matches the leaf 'b'"):
        fj.init_tree({"a": (2, 2), "b": (3,)}, {"^a$": fj.normal()}, seed=0)
    with pytest.raises(TypeError, match="rules"):
        fj.init_tree({"a": (2, 2)}, [("a", 3)], seed=0)
    with pytest.raises(ValueError, match="seed"):
        fj.init_tree({"a": (2, 2)}, fj.normal(), seed=-1)


def test_init_tree_foreign_rules_take_integer_leaves() -> None:
    """A JAX-style rule gets the leaf's own dtype, integers too (a step counter, nnx's uint32
    RngCount); only fastinit's own initializers reject a non-float dtype."""
    tree = {"step": jax.ShapeDtypeStruct((), jnp.int32), "count": jax.ShapeDtypeStruct((2,), jnp.uint32)}
    params = fj.init_tree(tree, jax.nn.initializers.zeros, seed=0)
    assert params["step"].dtype == jnp.int32 and params["count"].dtype == jnp.uint32
    assert int(params["step"]) == 0 and np.asarray(params["count"]).tolist() == [0, 0]
    with pytest.raises(TypeError, match="dtype=int32 is not supported"):
        fj.init_tree(tree, {"step": fj.normal(), "count": jax.nn.initializers.zeros}, seed=0)


def test_init_tree_foreign_key_is_threefry_whatever_the_default_prng() -> None:
    """The two-word key is wrapped as threefry2x32, so a JAX-style rule works (with the same
    values) when jax_default_prng_impl is "rbg", whose keys have four words."""
    tree, rule = {"w": (8, 4)}, jax.nn.initializers.normal(1.0)
    want = np.asarray(fj.init_tree(tree, rule, seed=5)["w"])
    saved = jax.config.jax_default_prng_impl
    jax.config.update("jax_default_prng_impl", "rbg")
    try:
        got = np.asarray(fj.init_tree(tree, rule, seed=5)["w"])
    finally:
        jax.config.update("jax_default_prng_impl", saved)
    assert np.array_equal(got, want)
