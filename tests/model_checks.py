"""Checks shared by the tests that compare fastinit's models with torch's: the floating tensors
of a model, its ties, and a test that two samples come from one law."""

from __future__ import annotations

import math

import numpy as np
import pytest

stats = pytest.importorskip("scipy.stats")
torch = pytest.importorskip("torch")

# The zoo compares about 600 tensors with torch's, each against one torch sample: its bar is
# lower (a plain-torch build against another seed reaches p = 0.003 on one of them), still far
# above what a wrong scale or law gives on the sizes tested (p < 1e-10).
P_MIN_ZOO = 1e-6


def all_tensors(model):
    """Parameters and buffers by qualified name (tied ones under every name)."""
    named = [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]
    return {n: t.detach() for n, t in named}


def floating_tensors(model):
    """Floating parameters and buffers by qualified name (tied ones under every name)."""
    return {n: t for n, t in all_tensors(model).items() if t.is_floating_point()}


def ties(model):
    """The names that share storage, as a set of groups of two or more."""
    groups: dict[int, list[str]] = {}
    for n, t in floating_tensors(model).items():
        groups.setdefault(t.untyped_storage().data_ptr(), []).append(n)
    return {tuple(sorted(g)) for g in groups.values() if len(g) > 1}


def assert_same_law(name, plain, fast, other_plain):
    """fast (fastinit's values) is a sample of the law plain and other_plain (two torch builds
    under different seeds) were drawn from: KS, mean and standard deviation within sampling
    error, and at most 10 values beyond each end of the range torch's two samples span. (If the
    laws are equal, the chance that k of n values pass the maximum of 2n others is below 3**-k;
    a wrong truncation or bound puts a fixed fraction of the values there.)"""
    x = np.concatenate([plain, other_plain])
    y = fast
    sx = x.std()
    assert stats.ks_2samp(plain, y).pvalue > P_MIN_ZOO, (name, "KS")
    n = y.size
    assert abs(y.mean() - plain.mean()) <= 6 * sx / math.sqrt(n) + 1e-12, (
        name,
        "mean",
        y.mean(),
        plain.mean(),
    )
    if sx > 0:
        centre = np.median(x)
        spread = 10 * 1.4826 * np.median(np.abs(x - centre))
        sy, sp = _core_std(y, centre, spread), _core_std(plain, centre, spread)
        assert abs(sy / sp - 1) <= 8 / math.sqrt(2 * n), (name, "std", sy, sp)
    assert (y < x.min()).sum() <= 10 and (y > x.max()).sum() <= 10, (
        name,
        "range",
        y.min(),
        y.max(),
        x.min(),
        x.max(),
    )


def _core_std(values, centre, spread):
    """values' standard deviation without the values more than `spread` from `centre`
    (assert_same_law: 10 robust standard deviations, 1.4826 median absolute deviations, of the
    pooled torch samples): torch's erfinv trunc_normal_ with bounds far out (std=0.02, a=-2,
    b=2) turns a uniform draw of exactly -1 into a value clamped at -100 sigma about once in
    2**24 values, enough to move a sample's std by half a percent. No value of a normal,
    truncated normal or uniform law lies that far out; a law concentrated on one value (spread
    0) keeps every value."""
    return (values[np.abs(values - centre) <= spread] if spread > 0 else values).std()


def assert_model_like_torch(plain, other, model):
    """model has plain's structure, ties, dtypes and shapes, on the CPU; every tensor that two
    torch builds under different seeds (plain, other) agree on is equal to theirs, and every other
    one is a sample of their law."""
    assert ties(model) == ties(plain)
    p, q, f = (all_tensors(m) for m in (plain, other, model))
    assert p.keys() == f.keys()
    for key in p:
        assert f[key].dtype == p[key].dtype and f[key].shape == p[key].shape, key
        assert f[key].device.type == "cpu", (key, "left on", f[key].device)
        if torch.equal(p[key], q[key]):  # not random in torch either: a constant, a table, a schedule
            assert torch.equal(f[key], p[key]), (key, "deterministic value differs")
            continue
        arrays = [t.double().numpy().ravel() for t in (p[key], f[key], q[key])]
        assert_same_law(key, *arrays[:2], arrays[2])
