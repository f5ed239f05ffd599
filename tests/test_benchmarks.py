"""Regression benchmarks (pytest-benchmark). CI runs them once each in smoke mode
(--benchmark-disable, set in pyproject's addopts) so they cannot rot; measure with
``python -m pytest tests/test_benchmarks.py --benchmark-enable``."""

from __future__ import annotations

import numpy as np
import pytest

import fastinit

pytest.importorskip("pytest_benchmark")

SHAPES = {"64x64": (64, 64), "1024x1024": (1024, 1024), "4096x4096": (4096, 4096)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("fill", ["uniform_", "normal_", "trunc_normal_", "kaiming_uniform_"])
def test_fill_float32(benchmark, fill, shape):
    a = np.ones(shape, np.float32)
    out = benchmark(getattr(fastinit, fill), a, seed=1)
    assert out is a and np.isfinite(a).all()


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
def test_normal_other_dtypes(benchmark, dtype):
    a = fastinit.zeros((1024, 1024), dtype=dtype)
    benchmark(fastinit.normal_, a, seed=1)
    assert a.astype(np.float32).std() > 0.9


def test_orthogonal_512(benchmark):
    a = np.ones((512, 512), np.float32)
    benchmark(fastinit.orthogonal_, a, seed=1)
    np.testing.assert_allclose(a @ a.T, np.eye(512), atol=1e-4)


def test_torch_kaiming_uniform_small(benchmark):
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    t = torch.empty(64, 64)
    benchmark(ft.kaiming_uniform_, t, seed=1)
    assert t.abs().max() <= (6 / 64) ** 0.5  # He uniform bound, gain sqrt(2)
