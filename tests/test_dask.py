"""fastinit.dask: chunked arrays bit-identical to the in-memory ones, on Dask's local scheduler
and on a dask.distributed LocalCluster with two worker processes."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fastinit

da = pytest.importorskip("dask.array")
ml_dtypes = pytest.importorskip("ml_dtypes")

CASES = [
    ("normal", (), {"std": 0.02}),
    ("uniform", (-1.0, 1.0), {}),
    ("trunc_normal", (), {}),
    ("kaiming_normal", (), {"mode": "fan_out"}),
    ("xavier_uniform", (), {}),
    ("variance_scaling", (2.0, "fan_avg", "truncated_normal"), {}),
    ("orthogonal", (), {}),
    ("sparse", (0.2,), {}),
    ("eye", (), {}),
    ("zeros", (), {}),
]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float64"])
@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("chunks", [(7, 11), (50, 3), "auto"])
def test_dask_equals_in_memory(name, args, kwargs, chunks, dtype):
    import fastinit.dask as fd

    random = {} if name in ("eye", "zeros") else {"seed": 4, "stream": name}
    lazy = getattr(fd, name)((50, 33), *args, chunks=chunks, dtype=dtype, **kwargs, **random)
    assert isinstance(lazy, da.Array)
    expected = getattr(fastinit, name)((50, 33), *args, dtype=dtype, **kwargs, **random)
    got = lazy.compute(scheduler="threads")
    assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


def test_seed_and_stream_are_fixed_at_creation():
    import fastinit.dask as fd

    fastinit.manual_seed(9)
    lazy = fd.normal((40, 40), chunks=10)
    assert lazy.compute().tobytes() == lazy.compute().tobytes()
    np.testing.assert_array_equal(lazy.compute(), fastinit.normal((40, 40), seed=9, stream=0))


def test_dask_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    import fastinit.dask as fd

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = fd.kaiming_normal((2000, 300), chunks=(250, 300), dtype="bfloat16", seed=3)
        got = client.compute(lazy).result()
        workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2
    assert got.tobytes() == fastinit.kaiming_normal((2000, 300), dtype="bfloat16", seed=3, stream=0).tobytes()


def test_signatures_are_the_in_place_functions():
    """inspect.signature shows the wrapped function's parameters (not *args, **kwargs), then
    Dask's chunks= and dtype=; the chunk keywords are fastinit.dask's own business."""
    import inspect

    import fastinit.dask as fd

    for name in fd.__all__:
        params = inspect.signature(getattr(fd, name)).parameters
        inplace = inspect.signature(getattr(fastinit, f"{name}_")).parameters
        kinds = {p.kind for p in params.values()}
        assert inspect.Parameter.VAR_POSITIONAL not in kinds and inspect.Parameter.VAR_KEYWORD not in kinds
        assert next(iter(params)) == "shape" and list(params)[-2:] == ["chunks", "dtype"], name
        named = [p for p in list(inplace)[1:] if inplace[p].kind is not inspect.Parameter.VAR_KEYWORD]
        assert [p for p in params if p in inplace] == [
            p for p in named if p not in ("offset", "global_shape", "index")
        ]
        assert not {"offset", "global_shape", "index"} & set(params)
    assert {"seed", "stream", "generator", "layout"} <= set(inspect.signature(fd.kaiming_uniform).parameters)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "error", "message"),
    [
        ("normal", (), {"stdd": 0.02}, TypeError, "unexpected keyword argument 'stdd'"),
        ("normal", (), {"std": -1}, ValueError, "std must be >= 0"),
        ("uniform", (1.0, -1.0), {}, ValueError, "a must be <= b"),
        ("trunc_normal", (), {"a": 2.0, "b": 1.0}, ValueError, "a must be < b"),
        ("kaiming_uniform", (), {"shape": (40,)}, ValueError, "at least 2 dimensions"),
        ("kaiming_normal", (), {"mode": "fan_middle"}, ValueError, "mode='fan_middle'"),
        ("variance_scaling", (2.0, "fan_in", "cauchy"), {}, ValueError, "distribution"),
        ("xavier_uniform", (), {"layout": "ohwi"}, ValueError, "layout"),
        ("orthogonal", (), {"shape": (40,)}, ValueError, "2 or more dimensions"),
        ("sparse", (), {}, TypeError, "missing a required argument: 'sparsity'"),
        ("sparse", (2.0,), {}, ValueError, "sparsity must be in [0, 1]"),
        ("constant", ("a",), {}, TypeError, "val must be a real number"),
        ("eye", (), {"shape": (4, 4, 4)}, ValueError, "2-D"),
        ("dirac", (), {"shape": (4, 4)}, ValueError, "3-, 4- and 5-D"),
        ("normal", (), {"seed": -1}, ValueError, "seed"),
        ("normal", (), {"dtype": "int8"}, TypeError, "int8"),
        ("normal", (0.0, 1.0, 2.0), {}, TypeError, "too many positional arguments"),
    ],
)
def test_bad_arguments_fail_when_the_graph_is_built(name, args, kwargs, error, message):
    """Every argument is checked at the call, with the in-place function's own error type and
    message, naming the dask function; nothing is left to .compute()."""
    import fastinit.dask as fd

    shape = kwargs.pop("shape", (40, 30))
    with pytest.raises(error, match=rf"^fastinit\.dask\.{name}: .*{re.escape(message)}"):
        getattr(fd, name)(shape, *args, chunks=10, **kwargs)


def test_the_dry_run_generates_nothing(monkeypatch):
    """The up-front check runs the fill on an empty block: orthogonal's QR never runs at build."""
    import fastinit.dask as fd

    calls = []
    monkeypatch.setattr(np.linalg, "qr", lambda *a, **k: calls.append(a) or pytest.fail("QR ran"))
    lazy = fd.orthogonal((3000, 3000), chunks=1000, seed=0)
    assert lazy.shape == (3000, 3000) and not calls


@pytest.mark.parametrize(
    ("name", "shape", "args"),
    [("orthogonal", (10,), ()), ("dirac", (3, 3), ()), ("sparse", (3, 3, 3), (0.1,)), ("eye", (3, 3, 3), ())],
)
def test_shape_errors_name_the_users_shape(name, shape, args):
    """The dry run checks an empty block; its error names the shape the user gave, as the
    in-memory function's does."""
    import fastinit.dask as fd

    with pytest.raises(ValueError) as in_memory:
        getattr(fastinit, name)(shape, *args)
    assert str(in_memory.value).endswith(f"got shape {shape}")
    with pytest.raises(ValueError, match=rf"^fastinit\.dask\.{name}: .*got shape {re.escape(str(shape))}$"):
        getattr(fd, name)(shape, *args)


def test_shapes_follow_the_one_shape_rule():
    """Integer arrays are shapes (the values of the tuple of ints); a float extent is not one."""
    import fastinit.dask as fd

    want = fastinit.normal((10, 3), seed=1)
    for shape in (np.array([10, 3]), (np.int64(10), np.array(3))):
        assert fd.normal(shape, seed=1, chunks=4).compute().tobytes() == want.tobytes()
    with pytest.raises(TypeError, match=r"^fastinit\.dask\.normal: shape must be an int or a sequence"):
        fd.normal((10, 2.5))
