"""accelerate() on real model code: HF transformers, timm and torchvision models (tests/zoo.py)
built inside it get every random value from fastinit, torch's distributions, constants and ties,
reproducibly per seed, and run; the truncated normals of torch and timm fold into one pass."""

from __future__ import annotations

import numpy as np
import pytest

from model_checks import assert_model_like_torch, floating_tensors
from zoo import ZOO, build, forward, require

torch = pytest.importorskip("torch")
stats = pytest.importorskip("scipy.stats")
import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402

P_MIN = 1e-4  # two-sample KS; seeds are fixed, so a pass is a pass every run


@pytest.mark.parametrize("name", ZOO)
def test_accelerate_builds_what_torch_builds(name):
    torch.manual_seed(0)
    plain = build(name)
    torch.manual_seed(1)
    other = build(name)
    state = torch.default_generator.get_state()
    with ft.accelerate(seed=7):
        fast = build(name)
    assert torch.equal(state, torch.default_generator.get_state()), "a random draw was left to torch"
    with ft.accelerate(seed=7):
        again = build(name)
    with ft.accelerate(seed=8):
        reseeded = build(name)

    assert_model_like_torch(plain, other, fast)
    p, q, f, a, r = (floating_tensors(m) for m in (plain, other, fast, again, reseeded))
    for key in f:
        assert torch.equal(f[key], a[key]), (key, "not reproducible")
        if not torch.equal(p[key], q[key]):
            assert not torch.equal(f[key], r[key]), (key, "the seed does not decide it")
    assert all(torch.isfinite(t).all() for t in forward(name, fast))


def test_accelerate_takes_over_hf_guarded_init_functions():
    """transformers 5 replaces torch.nn.init's functions inside initialize_weights(); the draws
    still come from fastinit, decided by the seed."""
    guard = require("transformers.initialization").guard_torch_init_functions
    w = torch.empty(300, 200)
    with ft.accelerate(seed=0), guard():
        torch.nn.init.normal_(w, std=0.02)
    expected = fastinit.normal_(torch.empty(300, 200), 0.0, 0.02, seed=0, stream=0)
    assert torch.equal(w, expected)
    with ft.accelerate(seed=1), guard():
        torch.nn.init.normal_(w, std=0.02)
    assert not torch.equal(w, expected)


def _trunc_functions():
    timm_init = require("timm").layers.weight_init
    return {
        "torch": torch.nn.init.trunc_normal_,
        "timm": timm_init.trunc_normal_,
        # bounds in units of std, scaled afterwards (Keras/JAX style)
        "timm_tf": lambda t, mean, std, a, b: timm_init.trunc_normal_tf_(
            t, mean, std, (a - mean) / std, (b - mean) / std
        ),
    }


WINDOWS = {  # (mean, std, a, b): ViT's init, a narrow window (torch's rejection-by-uniform branch), one side
    "vit": (0.0, 0.02, -2.0, 2.0),
    "two-sigma": (0.5, 1.0, -1.5, 2.5),
    "narrow": (0.0, 1.0, 1.0, 1.5),
    "one-sided": (1.0, 2.0, 1.0, 30.0),
}


@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
@pytest.mark.parametrize("library", ["torch", "timm", "timm_tf"])
def test_truncated_normals_fold_into_one_fastinit_pass(library, window):
    """The uniform_ -> erfinv_ -> mul_ -> add_ -> clamp_ sequence (timm) and torch 2.13's
    normal_ + rejection check run as one fastinit.trunc_normal_ with torch's law and bounds."""
    fn = _trunc_functions()[library]
    mean, std, a, b = window
    shape = (256, 1024)  # large enough to be deferred
    torch.manual_seed(0)
    plain = fn(torch.empty(shape), mean, std, a, b).double().numpy().ravel()
    with ft.accelerate(seed=3):
        fast = fn(torch.empty(shape), mean, std, a, b)
    values = fast.double().numpy().ravel()
    assert a <= values.min() and values.max() <= b
    assert stats.ks_2samp(plain, values).pvalue > P_MIN
    # Where the sequence folds, the values are those of one fastinit pass: a normal when the
    # window is beyond every value a normal_ can take (|z| <= 9.5), else the truncated normal.
    # (torch's rejection loop on a window that matters runs as torch wrote it, on fastinit draws.)
    if window == WINDOWS["vit"]:
        one_pass = fastinit.normal_(torch.empty(shape), mean, std, seed=3, stream=0)
    elif library != "torch":
        one_pass = fastinit.trunc_normal_(torch.empty(shape), mean, std, a, b, seed=3, stream=0)
    else:
        return
    torch.testing.assert_close(fast, one_pass, rtol=1e-6, atol=1e-7 * std)


def test_deferred_fill_is_written_before_python_reads_it():
    """A deferred fill is written before any way of reading the memory from Python."""
    readers = {
        "tolist": lambda t: torch.tensor(t.tolist()),
        "numpy": lambda t: torch.from_numpy(t.numpy().copy()),
        "array": lambda t: torch.from_numpy(np.asarray(t).copy()),
        "dlpack": lambda t: torch.from_numpy(np.from_dlpack(t).copy()),
        "sum": lambda t: t.sum().reshape(1),
        "data": lambda t: t.data.clone(),
    }
    for how, read in readers.items():
        with ft.accelerate(seed=0):
            t = torch.zeros(512, 512)
            t.normal_()
            seen = read(t)
        assert torch.equal(seen, read(t)), how
        assert torch.equal(t, fastinit.normal_(torch.empty(512, 512), seed=0, stream=0)), how


def test_a_fill_overwritten_whole_is_never_drawn():
    """HF's double init: the constructor's draw that _init_weights replaces costs nothing, and
    what a second view of the memory sees is always the last fill."""
    with ft.accelerate(seed=0):
        layer = torch.nn.Linear(512, 512)  # kaiming_uniform_: deferred
        with torch.no_grad():
            layer.weight.normal_(0, 0.02)  # overwrites it whole
        seen = layer.weight.detach().clone()
    assert torch.equal(seen, layer.weight.detach())
    assert abs(float(layer.weight.detach().std()) - 0.02) < 0.001
    with ft.accelerate(seed=0):
        t = torch.empty(512, 512)
        t.uniform_()
        t[:1].zero_()  # a partial overwrite: the first fill must be written
    assert (t[:1] == 0).all() and (t[1:] > 0).all() and float(t[1:].mean()) == pytest.approx(0.5, abs=0.01)


def test_other_random_ops_are_seeded_and_leave_torch_alone():
    state = torch.default_generator.get_state()
    with ft.accelerate(seed=0):
        perm = torch.randperm(1000)
        ints = torch.randint(0, 10, (100,))
        mask = torch.empty(1000).bernoulli_(0.5)
        w = torch.nn.init.sparse_(torch.empty(64, 32), 0.5)
    with ft.accelerate(seed=0):
        assert torch.equal(perm, torch.randperm(1000))
        assert torch.equal(ints, torch.randint(0, 10, (100,)))
        assert torch.equal(mask, torch.empty(1000).bernoulli_(0.5))
        assert torch.equal(w, torch.nn.init.sparse_(torch.empty(64, 32), 0.5))
    with ft.accelerate(seed=1):
        assert not torch.equal(perm, torch.randperm(1000))
    assert torch.equal(state, torch.default_generator.get_state())
    assert sorted(perm.tolist()) == list(range(1000))
