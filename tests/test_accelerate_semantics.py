"""accelerate() keeps torch's semantics where model code does more than draw and read: memory
handed to a tensor object without an aten operation (``.data =``, ``swap_tensors``), operations
that fail, laws fastinit does not draw, shapes torch refuses, complex draws. Each case compares
with what the same code gives in plain torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import fastinit.torch as ft  # noqa: E402
from fastinit.torch._accelerate import DEFER_MIN_NUMEL  # noqa: E402
from fastinit.torch._deferred import DeferredFills  # noqa: E402

N = 1000  # a 1000 x 1000 fill is deferred
assert N * N >= DEFER_MIN_NUMEL


def test_data_assignment_keeps_the_assigned_values_and_the_source():
    """``p.data = x`` after a deferred draw: the draw belongs to the memory p had, so p holds x
    and x, which lives outside the model, is never written."""
    source = torch.full((N, N), 0.5)
    with ft.accelerate(seed=0):
        layer = torch.nn.Linear(N, N)
        layer.weight.data = source  # nothing has read the kaiming draw: it is still deferred
    assert torch.equal(source, torch.full((N, N), 0.5))
    assert layer.weight.data_ptr() == source.data_ptr()
    with ft.accelerate(seed=0):
        layer = torch.nn.Linear(N, N)
        layer.weight.data = torch.zeros(N, N)
        layer.bias.data = torch.zeros(N)
    assert not layer.weight.detach().any() and not layer.bias.detach().any()


def test_swap_tensors_moves_the_draw_with_its_memory():
    with ft.accelerate(seed=0):
        a = torch.empty(N, N)
        torch.nn.init.normal_(a)
        b = torch.zeros(N, N)
        torch.utils.swap_tensors(a, b)
    assert torch.equal(a, torch.zeros(N, N))
    assert abs(float(b.std()) - 1.0) < 0.01 and abs(float(b.mean())) < 0.01


def test_load_state_dict_assign_with_swapped_parameters_keeps_the_checkpoint():
    checkpoint = {"weight": torch.full((N, N), 0.5), "bias": torch.zeros(N)}
    swap = torch.__future__.get_swap_module_params_on_conversion()
    torch.__future__.set_swap_module_params_on_conversion(True)
    try:
        with ft.accelerate(seed=0):
            layer = torch.nn.Linear(N, N)
            layer.load_state_dict(checkpoint, assign=True)
    finally:
        torch.__future__.set_swap_module_params_on_conversion(swap)
    assert torch.equal(layer.weight.detach(), torch.full((N, N), 0.5))


@pytest.mark.parametrize(
    "dtype, overwrite",
    [(torch.float32, lambda t: t.copy_(torch.ones(5, 5))), (torch.float16, lambda t: t.fill_(1e6))],
    ids=["copy_-shape", "fill_-overflow"],
)
def test_an_overwrite_that_raises_leaves_the_draw(dtype, overwrite):
    """torch raises before writing anything; the tensor keeps the values drawn into it."""
    with ft.accelerate(seed=0):
        t = torch.empty(N, N, dtype=dtype)
        torch.nn.init.normal_(t, std=0.02)
        with pytest.raises(RuntimeError):
            overwrite(t)
    assert bool(torch.isfinite(t).all())
    assert abs(float(t.float().std()) - 0.02) < 1e-3


def test_an_in_place_op_fastinit_cannot_fold_runs_torchs_kernel():
    """A nan factor, or a float16 range past its largest value: the draw is written and torch
    computes the rest, and every other deferred draw of the block is still made."""
    with ft.accelerate(seed=0):
        nan = torch.empty(N, N)
        nan.normal_()
        nan.mul_(float("nan"))
        half = torch.empty(N, N, dtype=torch.float16)
        half.uniform_(0, 1)
        half.mul_(1e6)
        after = torch.empty(N, N)
        after.normal_()
    assert bool(nan.isnan().all())
    assert bool(half.isinf().any()) and bool(torch.isfinite(half).any())
    assert abs(float(after.std()) - 1.0) < 0.01


def test_every_deferred_draw_is_written_when_one_fails():
    class Failing:
        def write(self, t, seed, stream):
            raise ValueError("cannot draw this")

    class Ones:
        def write(self, t, seed, stream):
            t.fill_(1.0)

    fills = DeferredFills()
    targets = [torch.zeros(10), torch.zeros(10), torch.zeros(10)]
    fills.record(targets[0], Ones(), 0, 0)
    fills.record(targets[1], Failing(), 0, 0)
    fills.record(targets[2], Ones(), 0, 0)
    with pytest.raises(ValueError, match="cannot draw this"):
        fills.write_all()
    assert not fills
    assert bool((targets[0] == 1).all()) and bool((targets[2] == 1).all())


@pytest.mark.parametrize("n", [1000, 50_000])
def test_a_draw_into_an_expanded_tensor_raises_torchs_error(n):
    with ft.accelerate(seed=0), pytest.raises(RuntimeError):
        torch.zeros(1, n).expand(2, n).normal_()


@pytest.mark.parametrize("op", ["mul_", "add_"])
def test_an_in_place_op_that_would_broadcast_the_target_raises(op):
    with ft.accelerate(seed=0):
        t = torch.empty(40_000)
        t.normal_()
        with pytest.raises(RuntimeError):
            getattr(t, op)(torch.tensor([[2.0]]))
        getattr(t, op)(torch.tensor([2.0]))  # same dimensions: folded, as before


def test_complex_draws_take_the_blocks_seed_and_leave_torch_alone():
    def build():
        return torch.rand(8, 8, 4, 4, dtype=torch.cfloat), torch.empty(16, dtype=torch.complex64).normal_()

    torch.manual_seed(0)
    state = torch.get_rng_state()
    with ft.accelerate(seed=123):
        first = build()
    assert torch.equal(state, torch.get_rng_state())
    torch.manual_seed(1)
    with ft.accelerate(seed=123):
        again = build()
    assert all(torch.equal(x, y) for x, y in zip(first, again))
    with ft.accelerate(seed=124):
        other = build()
    assert not torch.equal(first[0], other[0])


def test_a_draw_nothing_can_reach_is_not_made():
    """The untied output weight that tie_weights replaces: once no tensor but the record is on
    its memory, the values could never be read, so they are not drawn; a view keeps them."""

    class Counting:
        writes = 0

        def write(self, t, seed, stream):
            Counting.writes += 1
            t.fill_(1.0)

    fills = DeferredFills()
    orphan = torch.zeros(10)
    fills.record(orphan, Counting(), 0, 0)
    del orphan
    kept = torch.zeros(10)
    view = kept[2:]
    fills.record(kept, Counting(), 0, 0)
    del kept
    fills.write_all()
    assert Counting.writes == 1 and bool((view == 1).all())
    with ft.accelerate(seed=0):
        layer = torch.nn.Linear(N, N)
        layer.weight = torch.nn.Parameter(torch.zeros(N, N))  # the kaiming draw is orphaned
    assert not layer.weight.detach().any()


def test_activation_checkpointing_replays_dropout_inside_the_block():
    """checkpoint() saves torch's RNG state and restores it to recompute the forward; dropout
    runs on torch's generator (seeded by the block), so the mask replays and the gradient is
    right (it disagreed on half the elements when each op took a fastinit stream)."""
    from torch.utils.checkpoint import checkpoint

    with ft.accelerate(seed=0):
        x = torch.ones(1 << 16, requires_grad=True)
        y = checkpoint(lambda t: torch.nn.functional.dropout(t, 0.5, training=True), x, use_reentrant=False)
        y.sum().backward()
        torch.manual_seed(3)
        first = torch.nn.functional.dropout(torch.ones(1000), 0.5)
        torch.manual_seed(3)
        again = torch.nn.functional.dropout(torch.ones(1000), 0.5)
    assert torch.equal(x.grad, y.detach())
    assert torch.equal(first, again)


def test_a_draw_under_inference_mode_is_written_at_once():
    """An inference tensor cannot be written outside inference_mode: the draw is not deferred."""
    with ft.accelerate(seed=0):
        with torch.inference_mode():
            layer = torch.nn.Linear(512, 512)
        seen = layer.weight.abs().max()
    with torch.inference_mode():
        weight = layer.weight.clone()
    assert bool(torch.isfinite(weight).all()) and float(weight.abs().max()) == float(seen)
    assert float(seen) <= 1 / math.sqrt(512)


@pytest.mark.parametrize("n", [100, 65_536])
def test_a_float16_uniform_wider_than_its_range_raises_as_in_torch(n):
    with ft.accelerate(seed=0), pytest.raises(RuntimeError, match="to-from"):
        torch.empty(n, dtype=torch.float16).uniform_(-4e4, 4e4)
    with pytest.raises(RuntimeError, match="65504"):
        ft.uniform_(torch.empty(n, dtype=torch.float16), -4e4, 4e4, seed=0)


def test_reads_through_dlpack_capsules_and_subclasses_see_the_draw():
    class Capsule:
        def __init__(self, capsule):
            self.capsule = capsule

        def __dlpack__(self, **kwargs):
            return self.capsule

        def __dlpack_device__(self):
            return (1, 0)

    class Scaled(torch.nn.Parameter):
        pass

    with ft.accelerate(seed=0):
        t = torch.empty(1 << 16).normal_()
        seen = np.from_dlpack(Capsule(torch.utils.dlpack.to_dlpack(t))).copy()
        w = Scaled(torch.randn(256, 256))
        with torch.no_grad():
            norms = w.norm(dim=1)
        b = Scaled(torch.randn(256, 256))
        with torch.no_grad():
            b.zero_()
    assert abs(float(seen.std()) - 1.0) < 0.02 and np.array_equal(seen, t.numpy())
    assert bool(torch.isfinite(norms).all()) and abs(float(norms.mean()) - 16.0) < 0.5
    assert not b.detach().any()


def test_a_build_under_inference_mode_leaves_later_builds_working(monkeypatch):
    from fastinit.torch import _laws

    monkeypatch.setattr(_laws, "_CHECK_TARGETS", {})  # as in a fresh process
    with torch.inference_mode(), ft.accelerate(seed=0):
        frozen = torch.nn.Linear(4, 4)
    assert frozen.weight.is_inference()
    with ft.accelerate(seed=0):
        later = torch.nn.Linear(4, 4)
    assert torch.equal(later.weight, frozen.weight) and not later.weight.is_inference()


def _inverse_cdf_trunc_normal(t, mean, std, a, b):
    """The inverse-CDF recipe of timm's trunc_normal_ (and of torch's before it drew by rejection)."""
    cdf = lambda x: (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0  # noqa: E731
    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    t.uniform_(2 * lo - 1, 2 * hi - 1).erfinv_().mul_(std * math.sqrt(2.0)).add_(mean).clamp_(min=a, max=b)


def test_a_comparison_past_the_normals_reach_on_an_inverted_window_runs_on_the_values():
    """An inverted truncated normal whose window reaches past 9.5 std gives the element whose
    uniform is 0 the quantile of the smallest normal float, -12.95 std in float32 (-37.5 in
    float64): about one value in 2**24. The law's interval holds it, so `t < -10` is computed,
    not answered False from the law; a clamp at -10 is not absorbed."""
    from fastinit.torch._laws import TruncNormal, value_range

    with ft.accelerate(seed=0):
        t = torch.empty(2**25)
        _inverse_cdf_trunc_normal(t, 0.0, 1.0, -100.0, 2.0)
        assert bool((t < -10.0).any())
    assert float(t.min()) < -12.9
    for dtype, reach in ((torch.float32, 12.95), (torch.bfloat16, 12.95), (torch.float64, 37.52)):
        law = TruncNormal(0.0, 1.0, -100.0, 2.0)
        assert value_range(law, dtype)[0] <= -reach
        assert law.clamp(-10.0, 2.0, dtype) is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16, torch.float64])
def test_a_clamp_or_comparison_within_the_normals_reach_runs_on_the_values(dtype):
    """Stream version 2's normals reach 9.49 standard deviations in every dtype (docs/stream.md,
    section 9; version 1's float32 ones 6.76): the interval a deferred normal's values lie in
    (from which comparisons are answered) holds them all, and a clamp at 7 may change a value,
    so it is not absorbed; one at 9.6 (or timm's 100) changes none, and is."""
    from fastinit.torch._laws import Normal, value_range

    low, high = value_range(Normal(0.0, 1.0), dtype)
    assert low <= -9.4933 and high >= 9.4933
    assert Normal(0.0, 1.0).clamp(-7.0, 7.0, dtype) is None
    assert Normal(0.0, 1.0).clamp(-9.6, 9.6, dtype) == Normal(0.0, 1.0)


def test_one_accelerate_object_entered_by_two_threads_at_once():
    """A decorated build run by two threads: each thread's entry is its own. The thread that left
    first used to pop the other's entry, whose draws were then never written (leftover memory)."""
    import threading

    with ft.accelerate(seed=1):
        alone = torch.nn.Linear(256, 256)
    shared = ft.accelerate(seed=1)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    built = {}

    def first():
        with shared:
            a_in.set()
            b_in.wait()
        a_out.set()

    def second():
        a_in.wait()
        with shared:
            b_in.set()
            a_out.wait()  # the first thread has left its block
            built["layer"] = torch.nn.Linear(256, 256)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert torch.equal(built["layer"].weight, alone.weight)
    assert torch.equal(built["layer"].bias, alone.bias)


@pytest.mark.parametrize("n", [64, DEFER_MIN_NUMEL])  # written at once / deferred
def test_a_call_with_its_own_generator_gets_torchs_values(n):
    """Code that seeds a torch.Generator to regenerate a tensor later (PEFT's VeRA) must find
    the same values outside the block: fastinit drew from a seed taken from the generator."""

    def draws():
        g = torch.Generator().manual_seed(7)
        w = torch.empty(n // 64, 64)
        torch.nn.init.kaiming_uniform_(w, a=5**0.5, generator=g)
        return w, torch.randn(n, generator=g), torch.empty(n).normal_(2.0, 3.0, generator=g)

    expected = draws()
    state = torch.default_generator.get_state()
    with ft.accelerate(seed=0):
        got = draws()
    assert torch.equal(state, torch.default_generator.get_state())
    for ours, torchs in zip(got, expected, strict=True):
        assert torch.equal(ours, torchs)
