"""fastinit.dask: chunked arrays bit-identical to the in-memory ones, on Dask's local scheduler
and on a dask.distributed LocalCluster with two worker processes."""

from __future__ import annotations

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
