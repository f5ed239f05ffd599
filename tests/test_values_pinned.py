"""Every value fastinit writes is a promise (docs/stream.md): a broad set of calls — every
random scheme, all four dtypes, strided views, shards, offsets, generators, named streams, the
out-of-place functions and the integrations — hashed, and the hash pinned. A refactor that
changes any value of any of them fails here. (orthogonal_ and delta_orthogonal_ are left out:
their QR depends on the LAPACK build; tests/test_schemes.py checks them.)

Each test runs under both default stream versions: under 1 its hashes are the ones pinned
before version 2 became the default (version 1's values unchanged), under 2 those of the
default since then (it changes normal and truncated-normal values only; its float32 truncated
normals last changed, before 0.1.0's release, with their quantile table)."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pytest

import fastinit
from fastinit.engine import fill, streams

ml_dtypes = pytest.importorskip("ml_dtypes")

DTYPES = (np.float32, np.float64, np.float16, ml_dtypes.bfloat16)


@pytest.fixture(params=(1, 2), ids=("default-v1", "default-v2"))
def default_version(request, monkeypatch):
    """The stream version of calls that name none, as FASTINIT_STREAM_VERSION would set it (at
    import: the keys memoized for calls that name none are emptied with it)."""
    monkeypatch.setattr(streams, "_DEFAULT_VERSION", request.param)
    monkeypatch.setattr(fill, "_SEED_KEYS", {})
    return request.param


def _digest(arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).view(np.uint8).tobytes())
    return h.hexdigest()


def _numpy_calls():
    """The arrays of the NumPy entry points, in a fixed order."""
    out = []
    for dt in DTYPES:
        for fn, kwargs in (
            (fastinit.uniform_, {"a": -0.5, "b": 2.0}),
            (fastinit.normal_, {"mean": 0.25, "std": 1.5}),
            (fastinit.trunc_normal_, {"mean": 0.0, "std": 1.0, "a": -1.0, "b": 2.5}),
            (fastinit.xavier_uniform_, {"gain": 1.5}),
            (fastinit.xavier_normal_, {}),
            (fastinit.kaiming_uniform_, {"a": 0.1, "mode": "fan_out", "nonlinearity": "leaky_relu"}),
            (fastinit.kaiming_normal_, {"nonlinearity": "tanh"}),
            (fastinit.lecun_uniform_, {}),
            (fastinit.lecun_normal_, {}),
        ):
            out.append(fn(np.empty((37, 21), dt), **kwargs, seed=7, stream="layer.0"))
        for mode in ("fan_in", "fan_out", "fan_avg"):
            for dist in ("uniform", "normal", "truncated_normal"):
                out.append(
                    fastinit.variance_scaling_(np.empty((5, 6, 3, 3), dt), 2.0, mode, dist, seed=3, stream=9)
                )
        out.append(fastinit.sparse_(np.empty((40, 12), dt), 0.3, std=0.5, seed=1))
        out.append(fastinit.normal_(np.empty((8, 9), dt), seed=5, offset=2**40 + 3))
        big = np.zeros((12, 30), dt)
        fastinit.uniform_(big[::3, 5:25:2], seed=11)  # a strided view: its elements only
        out.append(big)
        whole = fastinit.trunc_normal_(np.empty((10, 14), dt), std=0.02, a=-0.04, b=0.04, seed=2)
        shard = np.empty((4, 5), dt)
        fastinit.trunc_normal_(
            shard, std=0.02, a=-0.04, b=0.04, seed=2, global_shape=(10, 14), index=(slice(3, 7), slice(8, 13))
        )
        assert np.array_equal(shard.view(np.uint8), whole[3:7, 8:13].copy().view(np.uint8))
        out += [whole, shard]
        g = fastinit.Generator(123)
        out += [fastinit.normal_(np.empty((3, 65), dt), generator=g) for _ in range(3)]
        child = g.spawn(2)[1]
        out.append(fastinit.uniform_(np.empty(70, dt), generator=child))
        out.append(fastinit.kaiming_normal_(np.empty((16, 3, 5), dt), layout="hwio", seed=4))
    out.append(fastinit.normal((17, 3), std=0.02, dtype="bfloat16", seed=1, stream="emb"))
    out.append(fastinit.xavier_uniform((6, 7), dtype="float16", seed=1))
    out.append(fastinit.trunc_normal((9,), dtype="float64", seed=1))
    return out


def test_numpy_values_are_pinned(default_version):
    assert (
        _digest(_numpy_calls())
        == {
            1: "dae28b3a24e90958ec3b61596f429568e56df60d8118592d6b1b0b8bb4aead32",
            2: "f81da19348bb6fdd9909321de476148847352a8f6ceb241e774d1d7dd100d1bf",
        }[default_version]
    )


def test_torch_values_are_pinned(default_version):
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    out = []
    for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        out.append(ft.normal_(torch.empty(33, 5, dtype=dt), 0.5, 2.0, seed=3))
        out.append(
            ft.trunc_normal_(torch.empty(33, 5, dtype=dt), std=0.02, a=-0.04, b=0.04, seed=3, stream="w")
        )
        out.append(ft.kaiming_uniform_(torch.empty(12, 8, 3, dtype=dt), a=5**0.5, seed=9))
        out.append(ft.xavier_normal_(torch.empty(20, 30, dtype=dt).t(), seed=1))
        out.append(ft.uniform_(torch.empty(5, 40, dtype=dt)[:, ::3], -1, 1, generator=fastinit.Generator(2)))
        out.append(ft.uniform_(torch.empty(64, dtype=dt), generator=torch.Generator().manual_seed(5)))
    with ft.accelerate(seed=4):
        layer = torch.nn.Linear(24, 40)
    out += [layer.weight.detach(), layer.bias.detach()]
    model = ft.init_module_(
        torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Embedding(10, 8)), "gpt2", seed=6
    )
    out += [p.detach() for p in model.parameters()]
    arrays = [t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy() for t in out]
    assert (
        _digest(arrays)
        == {
            1: "1b4108b970426133d7e42b98e7fddc43690981c075f6a0abd20a1f15c0dc2ebd",
            2: "46f15b02816c732f8d8e8e059aa7cd70899be226c62bca3c7bad82d7eb004b79",
        }[default_version]
    )


def test_keras_and_jax_values_are_pinned(default_version):
    jax = pytest.importorskip("jax")
    saved = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = "jax"  # as tests/test_keras.py: JAX's Keras, just for the import
    try:
        keras = pytest.importorskip("keras")
    finally:
        if saved is None:
            del os.environ["KERAS_BACKEND"]
        else:
            os.environ["KERAS_BACKEND"] = saved
    import fastinit.jax as fj
    import fastinit.keras as fk

    out = [
        np.asarray(fk.GlorotUniform(seed=1)((8, 12))),
        np.asarray(fk.HeNormal(seed=2)((3, 3, 4, 8))),
        np.asarray(fk.TruncatedNormal(stddev=0.1, seed=3)((10, 10))),
        np.asarray(fk.VarianceScaling(2.0, "fan_avg", "uniform", seed=4)((6, 5))),
    ]
    key = jax.random.key(0)
    out += [
        np.asarray(fj.lecun_normal()(key, (7, 9))),
        np.asarray(fj.glorot_uniform(in_axis=0, out_axis=1)(key, (4, 6, 3))),
        np.asarray(fj.variance_scaling(0.5, "fan_geo_avg", "truncated_normal")(key, (8, 8))),
        np.asarray(fj.normal(0.02)(key, (5,))),
    ]
    del keras
    assert (
        _digest([a.astype(np.float32) for a in out])
        == {
            1: "265d4ad5c69e0f22f1fcc607064a27f970dc01cd4c012ea43800219c07f2d5e4",
            2: "5aebc899c02e68ff629d34e83cdc12ca8aa2a5cdfb382ecdc39012cd6111252c",
        }[default_version]
    )


def test_dask_values_are_pinned(default_version):
    pytest.importorskip("dask")
    import fastinit.dask as fd

    lazy = fd.normal((300, 70), std=0.02, chunks=(64, 32), dtype="float32", seed=1, stream="embed")
    assert (
        _digest([lazy.compute()])
        == {
            1: "66f7d9f3d9e8395ea72912ad5a9c4c41383c6798d4981de79b84728b29401865",
            2: "434daddb48d9fef0ae3ce309b3c74008a146e45f10478aa1689a4b300405a823",
        }[default_version]
    )
