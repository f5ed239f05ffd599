"""Tensors fastinit cannot write through a data pointer, or whose writes a tracer would not see,
go to torch's own function (fastinit/torch/_torch_only.py): torch.func's transforms, fake tensors,
nested tensors, make_fx and torch.jit.trace. Each used to crash, raise a confusing error or be
missing from the trace."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402
from conftest import run_python  # noqa: E402


def test_functionalize_does_not_crash_and_fills_through_torch():
    """torch.func.functionalize's tensors have a data pointer of 0: writing through it crashed
    the process (SIGSEGV). Run in a child process, so a regression fails this test alone."""
    code = """
import torch, fastinit, fastinit.torch as ft
from torch.func import functionalize
out = functionalize(lambda t: ft.uniform_(t.clone(), 2.0, 3.0))(torch.zeros(1000))
assert ((out >= 2) & (out < 3)).all()
for fill in (lambda t: ft.uniform_(t, seed=0), lambda t: fastinit.normal_(t, seed=0)):
    try:
        functionalize(lambda t: fill(t.clone()))(torch.zeros(4))
    except TypeError as e:
        print(type(e).__name__, str(e).split(";")[0])
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == [
        "TypeError uniform_: a tensor of a torch.func transform (vmap, grad, functionalize), without memory "
        "of its own",
        "TypeError normal_: the tensor has no memory of its own (its data pointer is 0 or unreadable: a "
        "tensor of torch.func's transforms, functionalization or a fake tensor mode)",
    ]


def test_vmap_runs_torchs_function_with_its_randomness_modes():
    from torch.func import vmap

    x = torch.zeros(3, 64)
    out = vmap(lambda t: ft.normal_(t.clone()), randomness="different")(x)
    assert out.shape == (3, 64) and not torch.equal(out[0], out[1])
    with pytest.raises(RuntimeError, match="randomness"):  # torch's own refusal
        vmap(lambda t: ft.normal_(t.clone()), randomness="error")(x)
    assert torch.equal(
        vmap(lambda t: ft.constant_(t.clone(), 2.0), randomness="error")(x), torch.full((3, 64), 2.0)
    )
    with pytest.raises(TypeError, match=r"uniform_: a tensor of a torch.func transform.*takes no seed="):
        vmap(lambda t: ft.uniform_(t.clone(), seed=1), randomness="same")(x)


def test_fake_tensors_run_torchs_function_and_drop_fastinits_keywords():
    from torch._subclasses.fake_tensor import FakeTensorMode

    mode = FakeTensorMode()
    with mode:
        w = torch.empty(8, 4)
        assert ft.kaiming_uniform_(w, seed=3, stream="w") is w  # keywords choosing values that do not exist
        assert ft.lecun_normal_(w, seed=1) is w  # torch has no lecun_normal_: left as it is
        assert ft.normal_(w, 0.0, 0.02, generator=fastinit.Generator(1)) is w
    assert ft.xavier_normal_(w, seed=0) is w  # a fake tensor outside its mode


def test_torch_export_of_a_module_that_initializes_in_forward():
    class Module(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.empty(4, 4))

        def forward(self, x):
            with torch.no_grad():
                ft.normal_(self.w, std=0.02, seed=0)
            return x @ self.w

    exported = torch.export.export(Module(), (torch.ones(2, 4),), strict=False)
    assert any(n.op == "call_function" for n in exported.graph.nodes)


def test_make_fx_and_jit_trace_record_the_fill():
    from torch.fx.experimental.proxy_tensor import make_fx

    graph = make_fx(lambda t: ft.uniform_(t, 1.0, 2.0) + 0)(torch.empty(3))
    assert torch.ops.aten.uniform_.default in [n.target for n in graph.graph.nodes]
    with pytest.raises(TypeError, match=r"make_fx is recording.*takes no seed="):
        make_fx(lambda t: ft.uniform_(t, seed=0) + 0)(torch.empty(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(lambda t: ft.normal_(t) * 2, torch.empty(4), check_trace=False)
    assert "aten::normal_" in [n.kind() for n in traced.graph.nodes()]


def test_nested_tensors_get_torchs_behaviour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nested = torch.nested.nested_tensor([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(NotImplementedError):  # as torch.nn.init.uniform_ raises
        ft.uniform_(nested)
    assert torch.equal(ft.constant_(nested, 1.5).unbind()[1], torch.full((3,), 1.5))


def test_plain_tensors_still_take_fastinits_values():
    w = ft.normal_(torch.empty(1000), seed=4, stream=2)
    assert np.array_equal(w.numpy(), fastinit.normal_(np.empty(1000, np.float32), seed=4, stream=2))
