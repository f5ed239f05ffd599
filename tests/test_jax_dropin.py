"""fastinit.jax as a drop-in for jax.nn.initializers and Flax's initializers: every name, JAX
arrays as parameters, complex dtypes (against JAX's own draws), delta_orthogonal, the constant
initializers, and errors that name the function the user called."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import fastinit

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
stats = pytest.importorskip("scipy.stats")

import fastinit.jax as fj  # noqa: E402
from fastinit.jax._complex import COMPLEX_TRUNCATED_STD_FACTOR  # noqa: E402

KS_MIN_P = 1e-6
KEY = jax.random.key(0)


# --- names and signatures -------------------------------------------------------------------------


def _public(module: object) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_") and n not in ("DtypeLikeInexact", "tp")}


def test_every_jax_and_flax_name_is_here() -> None:
    names = _public(jax.nn.initializers)
    linen = pytest.importorskip("flax.linen")
    nnx = pytest.importorskip("flax.nnx")
    names |= _public(linen.initializers) | _public(nnx.initializers)
    assert names - set(fj.__all__) == set()


@pytest.mark.parametrize("name", sorted(_public(jax.nn.initializers) - {"Initializer"}))
def test_signatures_start_as_jax(name: str) -> None:
    theirs = list(inspect.signature(getattr(jax.nn.initializers, name)).parameters)
    ours = list(inspect.signature(getattr(fj, name)).parameters)
    assert ours[: len(theirs)] == theirs


# --- parameters given as JAX arrays ----------------------------------------------------------------

FACTORIES = [
    lambda: fj.normal(jnp.array(0.5)),
    lambda: fj.uniform(jnp.array(1.0)),
    lambda: fj.truncated_normal(jnp.array(0.5), lower=jnp.array(-1.0), upper=np.float32(2.0)),
    lambda: fj.variance_scaling(jnp.array(2.0, jnp.bfloat16), "fan_in", "normal"),
    lambda: fj.orthogonal(jnp.array(1.0)),
    lambda: fj.delta_orthogonal(jnp.array(1.0)),
]


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
@pytest.mark.parametrize("make", FACTORIES)
def test_array_parameters_and_no_accidental_upcasting(make: object, dtype: object) -> None:
    init = make()  # type: ignore[operator]
    shape = (3, 4, 4) if init.name == "delta_orthogonal" else (4, 4)
    assert init(KEY, shape, dtype).dtype == jnp.dtype(dtype)


def test_uniform_with_a_bfloat16_array_scale() -> None:
    out = fj.uniform(jnp.array(1.0), jnp.bfloat16)(KEY, (64,))
    assert out.dtype == jnp.bfloat16
    assert np.array_equal(np.asarray(out), np.asarray(fj.uniform(1.0, jnp.bfloat16)(KEY, (64,))))


def test_array_parameters_must_be_scalars() -> None:
    with pytest.raises(TypeError, match="normal: stddev must be a real number"):
        fj.normal(jnp.ones(3))
    with pytest.raises(TypeError, match="uniform: scale must be a real number"):
        fj.uniform(jnp.array(1 + 2j))


# --- real-valued fidelity ----------------------------------------------------------------------------


def test_uniform_negative_scale_is_in_scale_to_zero() -> None:
    ours = np.asarray(fj.uniform(-0.5)(KEY, (20_000,)), np.float64)
    assert ours.max() <= 0.0 and ours.min() > -0.5
    assert np.array_equal(ours, -np.asarray(fj.uniform(0.5)(KEY, (20_000,)), np.float64))
    theirs = np.asarray(jax.nn.initializers.uniform(-0.5)(jax.random.key(1), (20_000,)), np.float64)
    assert stats.ks_2samp(ours, theirs).pvalue > KS_MIN_P


def test_normal_rejects_a_negative_stddev_when_made() -> None:
    with pytest.raises(ValueError, match="normal: stddev must be >= 0"):
        fj.normal(-0.1)
    assert float(jnp.abs(fj.normal(0.0)(KEY, (5,))).max()) == 0.0


@pytest.mark.parametrize(("lower", "upper"), [(0.0, np.inf), (-np.inf, 1.0), (-np.inf, np.inf)])
def test_truncated_normal_takes_open_ends_as_jax(lower: float, upper: float) -> None:
    """JAX's truncated_normal takes lower=-inf / upper=inf (a half-normal, a plain normal)."""
    ours = np.asarray(fj.truncated_normal(0.5, lower=lower, upper=upper)(KEY, (20_000,)), np.float64)
    theirs = np.asarray(
        jax.nn.initializers.truncated_normal(0.5, lower=lower, upper=upper)(jax.random.key(1), (20_000,)),
        np.float64,
    )
    assert np.isfinite(ours).all() and ours.min() >= 0.5 * lower and ours.max() <= 0.5 * upper
    assert stats.ks_2samp(ours, theirs).pvalue > KS_MIN_P


# --- errors name the function the user called --------------------------------------------------------


@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "lecun_normal", "xavier_normal"])
def test_scheme_errors_name_the_scheme(name: str) -> None:
    factory = getattr(fj, name)
    shown = factory().name
    with pytest.raises(ValueError, match=rf"^{shown}: cannot compute fans of a 1-dimensional"):
        factory()(KEY, (10,))
    with pytest.raises(ValueError, match=rf"^{shown}: in_axis=5"):
        factory(in_axis=5)(KEY, (3, 4))
    with pytest.raises(ValueError, match=rf"^{shown}: stream"):
        factory(stream=-1)
    with pytest.raises(TypeError, match=rf"^{shown}: dtype=int32"):
        factory(dtype=jnp.int32)


# --- complex dtypes ---------------------------------------------------------------------------------


def _complex_pair(ours: object, theirs: object, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(ours(jax.random.key(4), shape, jnp.complex64)).ravel().astype(np.complex128)  # type: ignore[operator]
    b = np.asarray(theirs(jax.random.key(5), shape, jnp.complex64)).ravel().astype(np.complex128)  # type: ignore[operator]
    return a, b


def _same_complex_law(a: np.ndarray, b: np.ndarray) -> None:
    for f in (np.real, np.imag, np.abs, np.angle):
        assert stats.ks_2samp(f(a), f(b)).pvalue > KS_MIN_P, f.__name__
    assert np.mean(abs(a) ** 2) == pytest.approx(np.mean(abs(b) ** 2), rel=0.03)
    assert np.var(a.real) == pytest.approx(np.var(a.imag), rel=0.03)  # the variance split evenly


def test_complex_normal_matches_jax_and_splits_the_variance() -> None:
    a, b = _complex_pair(fj.normal(0.5), jax.nn.initializers.normal(0.5), (200, 200))
    _same_complex_law(a, b)
    assert np.var(a.real) == pytest.approx(0.125, rel=0.03)
    assert np.var(a.imag) == pytest.approx(0.125, rel=0.03)


# E|z|**2 / (scale / n) of JAX's complex draws (fastinit.jax._complex's docstring)
TRUNC_EXCESS = (1 - 5 * np.exp(-4)) / (1 - np.exp(-4)) / COMPLEX_TRUNCATED_STD_FACTOR**2


@pytest.mark.parametrize(
    ("distribution", "excess"), [("normal", 1.0), ("uniform", 1.0), ("truncated_normal", TRUNC_EXCESS)]
)
@pytest.mark.parametrize("mode", ["fan_in", "fan_avg"])
def test_complex_variance_scaling_matches_jax(distribution: str, mode: str, excess: float) -> None:
    shape, kw = (3, 3, 64, 48), dict(in_axis=-2, out_axis=-1)
    ours = fj.variance_scaling(0.8, mode, distribution, **kw)
    theirs = jax.nn.initializers.variance_scaling(0.8, mode, distribution, **kw)
    a, b = _complex_pair(ours, theirs, shape)
    _same_complex_law(a, b)
    n = 9 * 64 if mode == "fan_in" else 9 * (64 + 48) / 2
    assert np.mean(abs(a) ** 2) == pytest.approx(0.8 / n * excess, rel=0.03)
    if distribution == "uniform":
        assert abs(a).max() <= np.sqrt(2 * 0.8 / n) * (1 + 1e-6)
    if distribution == "truncated_normal":
        assert abs(a).max() <= 2 * np.sqrt(0.8 / n) / COMPLEX_TRUNCATED_STD_FACTOR * (1 + 1e-6)


def test_complex_values_are_the_float_stream_viewed_in_pairs() -> None:
    shape = (300, 250)  # more pairs than one transform chunk
    z = fj.normal(0.3, stream="w").generate(shape, jnp.complex64, seed=11)
    parts = fastinit.normal_(np.empty(2 * z.size, np.float32), 0.0, 0.3 / np.sqrt(2), seed=11, stream="w")
    assert np.array_equal(z.view(np.float32).ravel(), parts)
    init = fj.variance_scaling(2.0, "fan_in", "uniform", stream="w")
    z = init.generate(shape, jnp.complex64, seed=11)
    u = fastinit.uniform_(np.empty(2 * z.size, np.float32), 0.0, 1.0, seed=11, stream="w").astype(np.float64)
    want = np.sqrt(2 * u[0::2]) * np.sqrt(2.0 / 300) * np.exp(2j * np.pi * u[1::2])
    assert np.allclose(z.ravel(), want, rtol=1e-5, atol=1e-7)


def test_complex_under_jit_and_complex128() -> None:
    init = fj.he_normal()
    eager = init(KEY, (16, 8), jnp.complex64)
    assert np.array_equal(
        np.asarray(jax.jit(lambda k: init(k, (16, 8), jnp.complex64))(KEY)), np.asarray(eager)
    )
    assert init(KEY, (16, 8), jnp.complex128).dtype == jnp.complex64  # x64 off: canonicalized, as JAX


@pytest.mark.parametrize(("shape", "column_axis"), [((40, 24), -1), ((24, 40), -1), ((6, 5, 8), 0)])
def test_complex_orthogonal_is_unitary_like_jax(shape: tuple[int, ...], column_axis: int) -> None:
    q = np.asarray(fj.orthogonal(1.5, column_axis)(KEY, shape, jnp.complex64), np.complex128)
    m = np.moveaxis(q, column_axis, -1).reshape(-1, shape[column_axis])
    gram = m.conj().T @ m if m.shape[0] >= m.shape[1] else m @ m.conj().T
    assert np.allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-4)
    ref = np.asarray(jax.nn.initializers.orthogonal(1.5, column_axis)(KEY, shape, jnp.complex64))
    assert stats.ks_2samp(q.real.ravel(), ref.real.ravel()).pvalue > KS_MIN_P
    assert stats.ks_2samp(q.imag.ravel(), ref.imag.ravel()).pvalue > KS_MIN_P


@pytest.mark.parametrize("make", [lambda: fj.uniform(), lambda: fj.truncated_normal()])
def test_real_only_initializers_reject_complex_as_jax(make: object) -> None:
    init = make()  # type: ignore[operator]
    with pytest.raises(ValueError, match=rf"^{init.name}: dtype=complex64"):
        init(KEY, (3,), jnp.complex64)
    with pytest.raises(ValueError):
        getattr(jax.nn.initializers, init.name)()(KEY, (3,), jnp.complex64)


# --- delta_orthogonal ------------------------------------------------------------------------------

DELTA_SHAPES = [(3, 4, 8), (4, 4, 4), (3, 3, 16, 32), (2, 4, 5, 5), (3, 3, 3, 6, 6), (2, 1, 4, 3, 3)]


@pytest.mark.parametrize("shape", DELTA_SHAPES)
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.complex64])
def test_delta_orthogonal_as_jax(shape: tuple[int, ...], dtype: object) -> None:
    w = np.asarray(fj.delta_orthogonal(2.0)(KEY, shape, dtype))
    ref = np.asarray(jax.nn.initializers.delta_orthogonal(2.0)(KEY, shape, dtype))
    assert w.dtype == ref.dtype and w.shape == ref.shape
    assert np.array_equal(w != 0, ref != 0)  # JAX's centre, (k - 1) // 2, zero elsewhere
    centre = w[tuple((k - 1) // 2 for k in shape[:-2])].astype(np.complex128)
    assert np.allclose(centre @ centre.conj().T, 4 * np.eye(shape[-2]), atol=1e-4)


def test_delta_orthogonal_is_fastinits_delta_orthogonal() -> None:
    shape = (3, 3, 16, 32)
    w = fj.delta_orthogonal(1.5, stream="c").generate(shape, jnp.float32, seed=3)
    ref = fastinit.delta_orthogonal_(np.empty(shape, np.float32), 1.5, layout="hwio", seed=3, stream="c")
    assert np.array_equal(w, ref)


def test_delta_orthogonal_errors_as_jax() -> None:
    init = fj.delta_orthogonal()
    for shape, match in [
        ((4, 4), "3-, 4- or 5-D"),
        ((1, 1, 1, 1, 1, 1), "3-, 4- or 5-D"),
        ((3, 8, 4), "fan_in"),
    ]:
        with pytest.raises(ValueError, match=rf"^delta_orthogonal: .*{match}"):
            init(KEY, shape)
        with pytest.raises(ValueError):
            jax.nn.initializers.delta_orthogonal()(KEY, shape)
    with pytest.raises(ValueError, match=r"^delta_orthogonal: column_axis=2"):
        fj.delta_orthogonal(column_axis=2)
    with pytest.raises(ValueError, match=r"^delta_orthogonal: scale must be > 0"):
        fj.delta_orthogonal(0.0)
    assert not np.asarray(init(KEY, (3, 0, 4))).any()


# --- constants ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [None, jnp.float32, jnp.bfloat16, jnp.int32, jnp.complex64])
def test_constants_equal_jax(dtype: object) -> None:
    ini = jax.nn.initializers
    for ours, theirs in [(fj.zeros, ini.zeros), (fj.ones, ini.ones), (fj.constant(-7), ini.constant(-7)),
                         (fj.constant(jnp.array(0.5), dtype), ini.constant(jnp.array(0.5), dtype))]:  # fmt: skip
        a, b = ours(KEY, (2, 3), dtype), theirs(KEY, (2, 3), dtype)
        assert a.dtype == b.dtype and np.array_equal(np.asarray(a), np.asarray(b))
    assert fj.zeros_init() is fj.zeros and fj.ones_init() is fj.ones
    assert np.asarray(jax.jit(lambda k: fj.constant(3.0)(k, (2,)))(KEY)).tolist() == [3.0, 3.0]


@pytest.mark.parametrize("make", [lambda m: m.he_normal(), lambda m: m.orthogonal(), lambda m: m.zeros])
def test_array_shapes_as_jax_takes_them(make: object) -> None:
    """A 1-D integer array (NumPy or JAX) or a tuple of 0-d integer arrays is a shape to JAX's
    initializers, and to fastinit's with the values of the tuple of ints; a float extent is not
    one (JAX raises TypeError; 2.0 too: nothing is truncated), nor is a bool."""
    theirs, ours = make(jax.nn.initializers), make(fj)  # type: ignore[operator]
    want = np.asarray(ours(KEY, (2, 3)))
    for shape in (
        np.array([2, 3]),
        jnp.array([2, 3]),
        (np.array(2), np.array(3)),
        [np.int32(2), jnp.array(3)],
    ):
        assert theirs(KEY, shape).shape == (2, 3)
        assert np.array_equal(np.asarray(ours(KEY, shape)), want)
    for bad in ((3, 2.5), (2.0, 3), np.array([2.0, 3.0]), (True, 3)):
        if not isinstance(bad[0], bool):  # JAX takes True as 1; fastinit takes no bool as a size
            with pytest.raises(TypeError):
                theirs(KEY, bad)
        with pytest.raises(TypeError, match=r"shape must be an int or a sequence of ints .*; got shape="):
            ours(KEY, bad)


def test_an_axis_outside_the_shape_is_an_index_error_as_in_jax() -> None:
    """JAX indexes the shape with the axis (IndexError); fastinit.jax raises one error that is
    both IndexError and ValueError, as fastinit.keras does."""
    cases = [
        (lambda m: m.variance_scaling(1.0, "fan_in", "normal", in_axis=5), (3, 4)),
        (lambda m: m.variance_scaling(1.0, "fan_in", "normal", out_axis=(0, -7)), (3, 4)),
        (lambda m: m.orthogonal(column_axis=5), (3, 4, 5)),
    ]
    for make, shape in cases:
        with pytest.raises(IndexError):
            make(jax.nn.initializers)(KEY, shape)
        with pytest.raises(IndexError, match=r"axis|in_axis"):
            make(fj)(KEY, shape)
        with pytest.raises(ValueError, match=r"axis|in_axis"):
            make(fj)(KEY, shape)
    with pytest.raises(IndexError):
        fj.compute_fans((3, 4), in_axis=2)


def test_constants_check_their_arguments() -> None:
    with pytest.raises(ValueError, match=r"^zeros: shape must have non-negative"):
        fj.zeros(KEY, (-1,))
    single = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    for bad in ("x", single):  # JAX's TypeError for both (fastinit took the Sharding)
        with pytest.raises(TypeError):
            jax.nn.initializers.constant(1.0)(KEY, (2,), out_sharding=bad)
        with pytest.raises(TypeError, match=r"^constant: out_sharding must be None, a NamedSharding"):
            fj.constant(1.0)(KEY, (2,), out_sharding=bad)
        with pytest.raises(TypeError, match=r"^zeros: out_sharding"):
            fj.zeros(KEY, (2,), out_sharding=bad)


def test_constants_take_a_partition_spec_under_a_mesh_as_jax() -> None:
    """zeros and ones refused out_sharding=PartitionSpec(...), which JAX's take under a mesh."""
    spec = jax.sharding.PartitionSpec("x")
    with jax.set_mesh(jax.make_mesh((1,), ("x",))):
        for ours, theirs in [(fj.zeros, jax.nn.initializers.zeros), (fj.ones, jax.nn.initializers.ones),
                             (fj.constant(-2.0), jax.nn.initializers.constant(-2.0))]:  # fmt: skip
            a, b = (
                ours(KEY, (4, 3), jnp.float32, out_sharding=spec),
                theirs(KEY, (4, 3), jnp.float32, out_sharding=spec),
            )
            assert a.sharding == b.sharding and a.sharding.spec == jax.sharding.PartitionSpec("x", None)
            assert np.array_equal(np.asarray(a), np.asarray(b))


# --- Flax modules -------------------------------------------------------------------------------------


def test_flax_linen_conv_and_dense_with_fastinit() -> None:
    nn = pytest.importorskip("flax.linen")

    class Net(nn.Module):
        @nn.compact
        def __call__(self, x: object) -> object:
            x = nn.Conv(16, (3, 3), kernel_init=fj.delta_orthogonal(), bias_init=fj.zeros_init())(x)
            x = x.reshape((x.shape[0], -1))
            return nn.Dense(4, kernel_init=fj.lecun_normal(), bias_init=fj.constant(0.1))(x)

    params = jax.jit(Net().init)(KEY, jnp.ones((1, 5, 5, 8)))["params"]
    kernel = np.asarray(params["Conv_0"]["kernel"])
    assert kernel.shape == (3, 3, 8, 16) and not np.asarray(params["Conv_0"]["bias"]).any()
    assert np.allclose(kernel[1, 1] @ kernel[1, 1].T, np.eye(8), atol=1e-5)
    assert abs(kernel).sum() == pytest.approx(abs(kernel[1, 1]).sum())
    assert np.allclose(np.asarray(params["Dense_0"]["bias"]), 0.1)


def test_flax_nnx_conv_with_fastinit() -> None:
    nnx = pytest.importorskip("flax.nnx")
    conv = nnx.Conv(4, 8, (3,), kernel_init=fj.delta_orthogonal(), bias_init=fj.ones_init(), rngs=nnx.Rngs(0))
    kernel = np.asarray(conv.kernel[...])
    assert kernel.shape == (3, 4, 8) and np.allclose(kernel[1] @ kernel[1].T, np.eye(4), atol=1e-5)
    assert np.asarray(conv.bias[...]).tolist() == [1.0] * 8


@pytest.mark.parametrize("axis_type", ["Auto", "Explicit"])
def test_draws_land_on_the_mesh_jax_set_mesh_made_current(axis_type: str) -> None:
    """Under jax.set_mesh a draw is replicated over the mesh, as JAX's own: Flax's
    with_partitioning then shards it (a single-device array was refused under Auto axes)."""
    nnx = pytest.importorskip("flax.nnx")
    kind = getattr(jax.sharding.AxisType, axis_type)
    mesh = jax.make_mesh((1, 1), ("data", "model"), axis_types=(kind, kind))
    with jax.set_mesh(mesh):
        init = nnx.with_partitioning(fj.he_normal(), (None, "model"))
        layer = nnx.Linear(16, 8, kernel_init=init, rngs=nnx.Rngs(0))
        plain = fj.he_normal()(KEY, (3, 2))
    assert layer.kernel[...].sharding.spec == jax.sharding.PartitionSpec(None, "model")
    assert isinstance(plain.sharding, jax.sharding.NamedSharding) and plain.sharding.mesh == mesh
    assert np.array_equal(np.asarray(plain), np.asarray(fj.he_normal()(KEY, (3, 2))))


@pytest.mark.parametrize("make", ["normal", "uniform", "he_normal", "truncated_normal", "orthogonal"])
def test_an_integer_dtype_raises_jaxs_value_error(make: str) -> None:
    """JAX's samplers raise ValueError for an integer dtype; fastinit's error is also the
    TypeError its docs always named."""
    with pytest.raises(Exception) as theirs:
        getattr(jax.nn.initializers, make)()(KEY, (3, 3), jnp.int32)
    with pytest.raises(type(theirs.value), match="dtype=int32 is not supported"):
        getattr(fj, make)()(KEY, (3, 3), jnp.int32)
    with pytest.raises(TypeError):
        getattr(fj, make)()(KEY, (3, 3), jnp.int32)


def test_a_concrete_key_draws_under_grad_jvp_and_vmap() -> None:
    """A Flax init inside a differentiated loss calls the initializer with a concrete key under
    a trace; asking JAX for the current mesh there raised, where JAX's own initializers work."""
    init = fj.he_normal()
    eager = np.asarray(init(KEY, (4, 4)))
    grad = jax.grad(lambda s: (init(KEY, (4, 4)) * s).sum())(1.0)
    assert float(grad) == pytest.approx(float(eager.sum()), rel=1e-5)
    tangent = jax.jvp(lambda s: init(KEY, (4, 4)) * s, (1.0,), (1.0,))[1]
    assert np.array_equal(np.asarray(tangent), eager)
    batched = jax.vmap(lambda s: init(KEY, (4, 4)) * s)(jnp.ones(3))
    assert all(np.array_equal(np.asarray(row), eager) for row in batched)


_MESH_JIT = """
import os, sys
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
import numpy as np, jax, jax.numpy as jnp
import fastinit.jax as fj
kind = getattr(jax.sharding.AxisType, sys.argv[1])
mesh = jax.make_mesh((2, 2), ("data", "model"), axis_types=(kind, kind))
with jax.set_mesh(mesh):
    w = jax.jit(lambda k: fj.he_normal()(k, (8, 8)))(jax.random.key(0))
    assert w.sharding.is_fully_replicated and len(w.sharding.device_set) == 4, w.sharding
    assert (w + 1).shape == (8, 8) and jax.jit(lambda a: a @ jnp.ones((8, 2)))(w).shape == (8, 2)
assert np.array_equal(np.asarray(w), np.asarray(fj.he_normal()(jax.random.key(0), (8, 8))))
print("ok")
"""


@pytest.mark.parametrize("axis_type", ["Auto", "Explicit"])
def test_a_jitted_draw_under_a_mesh_of_several_devices_is_replicated(axis_type: str) -> None:
    """A host callback's result lives on one device, which XLA could not lower against a mesh of
    four (an AssertionError, 'Unhandled OpSharding type'; under Explicit axes, an array nothing
    could use afterwards); JAX's own draw is replicated."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _MESH_JIT, axis_type], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


@pytest.mark.parametrize(
    "make, shape, error",
    [
        (lambda: fj.he_normal(), (4,), ValueError),
        (lambda: fj.orthogonal(), (5,), ValueError),
        (lambda: fj.variance_scaling(1.0, "fan_in", "normal", in_axis=3), (4, 4), IndexError),
        (lambda: fj.delta_orthogonal(), (4, 4), ValueError),
    ],
)
def test_a_shape_the_initializer_refuses_raises_at_trace_time(make, shape, error) -> None:
    """Under jit the shape was checked only in the host callback (a runtime 'CpuCallback
    error'), and under eval_shape (nnx.eval_shape) never: JAX raises while tracing."""
    init = make()
    with pytest.raises(error):
        jax.jit(lambda k: init(k, shape))(KEY)
    with pytest.raises(error):
        jax.eval_shape(lambda k: init(k, shape), KEY)


def test_init_tree_passes_a_key_leaf_to_its_rule() -> None:
    """An nnx.state with an Rngs stream holds a key<fry> leaf; init_tree asked JAX to
    canonicalize its dtype and raised before any rule was consulted."""
    nnx = pytest.importorskip("flax.nnx")

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.lin = nnx.Linear(8, 16, rngs=rngs)
            self.drop = nnx.Dropout(0.1, rngs=rngs)

    _, state = nnx.split(nnx.eval_shape(lambda: Net(nnx.Rngs(0))))
    rules = [(r"kernel", fj.he_normal()), (r"bias|count", jax.nn.initializers.zeros),
             (r"key", lambda key, shape, dtype: jax.random.key(7))]  # fmt: skip
    values = fj.init_tree(state, rules, seed=3)
    leaves = {jax.tree_util.keystr(p): v for p, v in jax.tree_util.tree_leaves_with_path(values)}
    key = next(v for p, v in leaves.items() if "key" in p)
    assert jax.dtypes.issubdtype(key.dtype, jax.dtypes.extended)
    assert next(v for p, v in leaves.items() if "kernel" in p).shape == (8, 16)
