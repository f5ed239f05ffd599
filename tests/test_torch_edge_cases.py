"""Edge cases of fastinit.torch found by review: tensors torch itself treats specially, the
seed draw under a default device, and init_module_ on layers it must not get wrong."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402
from fastinit.torch._init_module import POLICIES  # noqa: E402


def test_lazily_negated_views_are_rejected_and_left_alone():
    z = torch.zeros(8, dtype=torch.complex64)
    imag = z.conj().imag
    assert imag.is_neg()
    with pytest.raises(ValueError, match="negated or conjugated"):
        ft.uniform_(imag, 0.0, 1.0, seed=0)
    assert not z.imag.any()


def test_inference_tensors_follow_torchs_rule():
    with torch.inference_mode():
        t = torch.zeros(16)
    with pytest.raises(RuntimeError, match="inference tensor"):
        ft.normal_(t, seed=0)
    assert not t.any()
    with torch.inference_mode():
        ft.normal_(t, seed=0)
    assert t.any()


@pytest.mark.parametrize(
    "name", ["kaiming_uniform_", "xavier_normal_", "normal_", "trunc_normal_", "orthogonal_", "zeros_"]
)
def test_a_lazy_modules_uninitialized_parameter_is_a_value_error_as_in_torch(name):
    weight = nn.LazyLinear(4).weight
    with pytest.raises(ValueError, match="uninitialized parameter"):
        getattr(torch.nn.init, name)(weight)
    with pytest.raises(ValueError, match=r"uninitialized parameter.*LazyModule"):
        getattr(ft, name)(weight, seed=0)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_on_a_zero_element_tensor_warns_before_reading_its_arguments(name):
    for module in (torch.nn.init, ft):
        empty = torch.empty(0, 3)
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op") as caught:
            assert getattr(module, name)(empty, mode="bogus", nonlinearity="bogus") is empty
        assert caught[0].filename == __file__
    with pytest.raises(ValueError, match="mode='bogus'"):
        getattr(ft, name)(torch.empty(2, 3), mode="bogus", seed=0)


def test_trunc_normal_warns_where_torch_warns_of_a_mean_far_outside_the_window():
    for mean in (5.0, -5.0):
        with pytest.warns(UserWarning, match="more than 2 std"):
            torch.nn.init.trunc_normal_(torch.empty(10), mean=mean, a=-2, b=2)
        with pytest.warns(UserWarning, match="more than 2 std from .a, b.") as caught:
            w = ft.trunc_normal_(torch.empty(10), mean=mean, a=-2, b=2, seed=0)
        assert caught[0].filename == __file__
        assert bool((w.abs() <= 2).all())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ft.trunc_normal_(torch.empty(10), mean=3.9, a=-2, b=2, seed=0)  # within 2 std: silent


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("to_layout", ["to_sparse", "to_sparse_csr"])
def test_sparse_tensors_are_a_type_error(to_layout):
    sparse = getattr(torch.eye(3), to_layout)()
    with pytest.raises(TypeError, match="dense"):
        ft.normal_(sparse, seed=0)


def test_seed_draws_ignore_the_default_device():
    torch.manual_seed(0)
    with torch.device("meta"), ft.accelerate():
        model = nn.Linear(4, 4)
    assert model.weight.is_meta
    torch.set_default_device("meta")
    try:
        ft.init_module_(nn.Linear(4, 4))  # meta parameters: a no-op, and no error
    finally:
        torch.set_default_device("cpu")


class _HandWrittenRMSNorm(nn.Module):  # like HF's LlamaRMSNorm: no reset_parameters
    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.temperature = nn.Parameter(torch.full((d,), 3.0))  # a 1-D parameter it must keep


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = _HandWrittenRMSNorm(8)
        self.proj = nn.Linear(8, 8)


# fixup: ResNet blocks only; mup: needs a base (a variant with one below)
@pytest.mark.parametrize("scheme", [p for p in POLICIES if p not in ("fixup", "mup")])
def test_unknown_norm_layers_keep_scale_one(scheme):
    layers = nn.ModuleList([_Block(), _Block()])  # repeated: the depth-aware policies find their blocks
    block = layers[0]
    with torch.no_grad():
        block.norm.weight.fill_(0.5)
    with pytest.warns(
        RuntimeWarning, match=r"kept the values of 0\.norm\.temperature, 1\.norm\.temperature:"
    ):
        ft.init_module_(layers, scheme, seed=1)
    assert torch.equal(block.norm.weight, torch.ones(8))
    assert torch.equal(block.norm.temperature, torch.full((8,), 3.0))


def test_unknown_norm_layers_keep_scale_one_under_mup():
    layers = nn.ModuleList([_Block(), _Block()])
    with torch.no_grad():
        layers[0].norm.weight.fill_(0.5)
    with pytest.warns(
        RuntimeWarning, match=r"kept the values of 0\.norm\.temperature, 1\.norm\.temperature:"
    ):
        ft.mup_(layers, nn.ModuleList([_Block(), _Block()]), seed=1)
    assert torch.equal(layers[0].norm.weight, torch.ones(8))


def test_torch_policy_matches_torchs_bilinear_attention_and_lstm_defaults():
    bil = nn.Bilinear(20, 30, 5)
    ft.init_module_(bil, "torch", seed=2)
    bound = 1 / math.sqrt(20)
    assert bil.weight.abs().max() <= bound and bil.weight.abs().max() > 0.95 * bound  # not 1/sqrt(20 * 30)
    assert bil.bias.abs().max() <= bound

    mha = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    ft.init_module_(mha, "torch", seed=3)
    xavier = math.sqrt(6 / (64 + 3 * 64))  # in_proj_weight is (3E, E)
    assert mha.in_proj_weight.abs().max() <= xavier and mha.in_proj_weight.abs().max() > 0.9 * xavier
    assert not mha.in_proj_bias.any() and not mha.out_proj.bias.any()
    linear_bound = 1 / math.sqrt(64)  # out_proj.weight keeps nn.Linear's kaiming_uniform(a=sqrt(5))
    assert mha.out_proj.weight.abs().max() <= linear_bound
    assert 0.5 < mha.bias_k.std().item() / math.sqrt(2 / (1 + 64)) < 1.5  # xavier_normal of (1, 1, E)

    lstm = nn.LSTM(10, 16, proj_size=6)
    ft.init_module_(lstm, "torch", seed=4)
    assert lstm.weight_hr_l0.abs().max() <= 1 / math.sqrt(16)

    transformer = nn.Transformer(
        32, 4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64, batch_first=True
    )
    ft.init_module_(transformer, "torch", seed=5)
    out_proj = transformer.encoder.layers[0].self_attn.out_proj.weight  # xavier over nn.Linear's default
    assert out_proj.abs().max() > 1 / math.sqrt(32) and out_proj.abs().max() <= math.sqrt(6 / 64)
    linear2 = transformer.encoder.layers[0].linear2.weight  # (32, 64)
    assert abs(linear2.std().item() / math.sqrt(2 / 96) - 1) < 0.1


@pytest.mark.parametrize("policy", ["xavier", "kaiming", "normal"])
def test_rnn_cells_follow_the_recurrent_rule(policy):
    cell, lstm = nn.LSTMCell(8, 16), nn.LSTM(8, 16)
    ft.init_module_(nn.ModuleList([cell, lstm]), policy, seed=0)
    for w_hh, b_ih, b_hh in (
        (cell.weight_hh, cell.bias_ih, cell.bias_hh),
        (lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0),
    ):
        gates = w_hh.detach().reshape(4, 16, 16)
        assert torch.allclose(gates @ gates.transpose(1, 2), torch.eye(16).expand(4, 16, 16), atol=1e-5)
        assert torch.equal((b_ih + b_hh)[16:32], torch.ones(16)) and not (b_ih + b_hh)[:16].any()


def test_init_module_checks_its_arguments_before_changing_anything():
    model = nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 4))
    before = [p.detach().clone() for p in model.parameters()]
    for kwargs in ({"std": -0.02}, {"std": float("nan")}, {"nonlinearity": "gelu"}, {"n_layers": 0}):
        with pytest.raises(ValueError, match="init_module_"):
            ft.init_module_(model, "kaiming", seed=0, **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


class _WithRootParameter(nn.Module):  # ViT-like: a parameter on the root module itself
    def __init__(self) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))
        self.fc1 = nn.Linear(8, 8)


class _Wrapper(nn.Module):  # what DDP looks like to init_module_: the model under .module
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.module = inner


def test_wrapping_does_not_change_root_or_leaf_parameters():
    torch.manual_seed(0)
    bare, wrapped = _WithRootParameter(), _Wrapper(_WithRootParameter())
    with torch.no_grad():
        wrapped.module.cls_token.copy_(bare.cls_token)
    with pytest.warns(RuntimeWarning, match="kept the values of cls_token"):  # no code sets it: kept
        ft.init_module_(bare, "gpt2", seed=5)
    with pytest.warns(RuntimeWarning, match="kept the values of cls_token"):  # under its canonical name
        ft.init_module_(wrapped, "gpt2", seed=5)
    assert torch.equal(bare.cls_token, wrapped.module.cls_token)
    assert torch.equal(bare.fc1.weight, wrapped.module.fc1.weight)
    leaf = ft.init_module_(_Wrapper(nn.Linear(8, 8)), "torch", seed=5)
    assert torch.equal(leaf.module.weight, ft.init_module_(nn.Linear(8, 8), "torch", seed=5).weight)


class _TiedLM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(500, 64, padding_idx=3)
        self.lm_head = nn.Linear(64, 500, bias=False)
        self.lm_head.weight = self.wte.weight  # tied; "lm_head" sorts before "wte"


@pytest.mark.parametrize(
    ("scheme", "std"), [("torch", 1 / math.sqrt(3 * 64)), ("kaiming", 1 / 8), ("gpt2", 0.02)]
)
def test_a_weight_tied_to_the_output_layer_is_initialized_as_the_output_layer(scheme, std):
    """Under the embedding's name, with the output layer's rule (fan_in = 64, linear gain), not
    N(0, 1); HF's N(0, 0.02**2) under gpt2."""
    model = ft.init_module_(_TiedLM(), scheme, seed=6)
    w = model.wte.weight.detach()
    assert not w[3].any()
    assert 0.95 < w.std().item() / std < 1.05


def test_report_handles_mapping_outputs_no_grad_and_in_place_inputs():
    class DictOut(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(8, 16), nn.Linear(16, 4)

        def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
            x.mul_(1.0)  # modifies its input in place
            return {"logits": self.b(torch.relu(self.a(x)))}

    calls = []

    def loss_fn(out: dict[str, torch.Tensor]) -> torch.Tensor:
        calls.append(1)
        return out["logits"].square().sum()

    x = torch.randn(32, 8)
    before = x.clone()
    with torch.no_grad():
        rows = ft.report(DictOut(), x, loss_fn=loss_fn, show=False)
    assert calls and all(math.isfinite(r.grad_std) for r in rows)
    assert torch.equal(x, before)


def test_lsuv_leaves_buffers_and_rng_alone_and_is_reproducible_with_dropout():
    def model() -> nn.Module:
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.Dropout(0.3), nn.Linear(32, 8))

    batch = torch.randn(64, 16)
    a = model()
    state = torch.get_rng_state()
    ft.lsuv_(a, batch, seed=0)
    assert torch.equal(state, torch.get_rng_state())
    assert int(a[1].num_batches_tracked) == 0 and not a[1].running_mean.any()
    torch.manual_seed(123)  # another RNG state: same weights
    b = ft.lsuv_(model(), batch, seed=0)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_lsuv_changes_nothing_when_the_batch_does_not_fit_and_checks_its_arguments():
    net = nn.Sequential(nn.Linear(16, 8))
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(RuntimeError):
        ft.lsuv_(net, torch.randn(4, 16, dtype=torch.float64), seed=0)
    with pytest.raises(ValueError, match="tol"):
        ft.lsuv_(net, torch.randn(4, 16), tol=-1.0)
    with pytest.raises(ValueError, match="max_iters"):
        ft.lsuv_(net, torch.randn(4, 16), max_iters=0)
    assert all(torch.equal(p, q) for p, q in zip(before, net.parameters()))


def test_calibrate_output_bias_reads_one_hot_rows_and_refuses_malformed_targets():
    labels = torch.tensor([0, 1, 1, 2, 2, 2, 2, 2])
    layer = nn.Linear(4, 5)
    for targets in (labels, nn.functional.one_hot(labels, 5), nn.functional.one_hot(labels, 5).float()):
        ft.calibrate_output_bias_(layer, targets)
        prior = torch.softmax(layer.bias.detach().double(), 0)
        assert torch.allclose(prior[:3], torch.tensor([0.125, 0.25, 0.625], dtype=torch.float64), atol=1e-5)
    before = layer.bias.detach().clone()
    for bad in (
        torch.tensor([], dtype=torch.long),
        torch.tensor([0, -1]),
        torch.tensor([0.5, 1.0]),
        torch.tensor([5]),
    ):
        with pytest.raises(ValueError, match="calibrate_output_bias_"):
            ft.calibrate_output_bias_(layer, bad)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ft.calibrate_output_bias_(nn.Linear(4, 1), torch.tensor([0, 1, 2]))
    assert torch.equal(before, layer.bias)
    regression = nn.Linear(4, 3)
    ft.calibrate_output_bias_(regression, torch.tensor([1.0, 2.0, 3.0]).expand(2, 7, 3), task="regression")
    assert torch.allclose(regression.bias.detach(), torch.tensor([1.0, 2.0, 3.0]))


def test_a_subclass_that_dispatches_in_python_is_filled_through_torch():
    """A wrapper subclass (torch's TwoTensor; DTensor in tests/test_distributed.py) has data
    pointer 0: fastinit wrote through it and the process died. fastinit.torch fills it by
    copy_, which the subclass handles; the NumPy-level function refuses it, untouched."""
    two_tensor = pytest.importorskip("torch.testing._internal.two_tensor")
    t = two_tensor.TwoTensor(torch.zeros(64, 32), torch.zeros(64, 32))
    with pytest.raises(TypeError, match="TwoTensor runs its operations in Python"):
        fastinit.normal_(t, seed=0)
    assert not t.a.any() and not t.b.any()
    assert ft.kaiming_uniform_(t, seed=1) is t
    expected = ft.kaiming_uniform_(torch.empty(64, 32), seed=1)
    assert torch.equal(t.a, expected) and torch.equal(t.b, expected)
    assert ft.constant_(tensor=t, val=0.5) is t and t.a.eq(0.5).all() and t.b.eq(0.5).all()


def test_which_functions_take_a_shards_placement_holds_under_python_OO():
    # the DTensor route fills a shard by global_shape= and index= where the function takes them
    # (else the whole tensor, then its block); -OO drops the docstrings that document them
    code = (
        "import fastinit.torch as ft, fastinit._docstrings as d;"
        "print(sorted(n for n in ft.__all__ if d.takes_global_shape(getattr(ft, n))))"
    )
    runs = [subprocess.run([sys.executable, *flag, "-c", code], capture_output=True, text=True, check=True).stdout
            for flag in ([], ["-OO"])]  # fmt: skip
    documented = sorted(n for n in ft.__all__ if "global_shape, index :" in (getattr(ft, n).__doc__ or ""))
    assert {"eye_", "dirac_", "normal_", "kaiming_uniform_"} <= set(documented)
    assert runs[0] == runs[1] == str(documented) + "\n"


class _StandardizedConv(nn.Conv2d):  # as timm's ScaledStdConv2d: a per-channel gain beside the weight
    def __init__(self):
        super().__init__(4, 32, 3)
        self.gain = nn.Parameter(torch.ones(32, 1, 1, 1))


@pytest.mark.parametrize("policy", ["torch", "kaiming", "xavier"])
def test_a_linear_layers_other_parameters_are_kept_and_named(policy):
    conv = _StandardizedConv()
    with pytest.warns(RuntimeWarning, match="kept the values of gain"):
        ft.init_module_(conv, policy, seed=0)
    assert torch.equal(conv.gain, torch.ones(32, 1, 1, 1)) and conv.weight.std() > 0


@pytest.mark.filterwarnings("ignore:.*torch.nn.utils.weight_norm. is deprecated")
def test_old_weight_norm_keeps_its_magnitude_the_norm_of_its_direction():
    layer = torch.nn.utils.weight_norm(nn.Linear(16, 4))
    ft.init_module_(layer, "kaiming", seed=0)
    rows = layer.weight_v.detach().norm(dim=1, keepdim=True)
    assert torch.allclose(layer.weight_g.detach(), rows)
    assert abs(layer.weight_v.std().item() / math.sqrt(2 / 16) - 1) < 0.3


def test_kaimings_bad_slope_or_nonlinearity_is_named_in_the_callers_words():
    with pytest.raises(ValueError, match=r"^kaiming_uniform_: a=inf is not a valid number"):
        ft.kaiming_uniform_(torch.empty(3, 3), a=float("inf"), seed=0)
    with pytest.raises(ValueError, match=r"^kaiming_normal_: unsupported nonlinearity 'bogus'"):
        fastinit.kaiming_normal_(np.empty((3, 3), np.float32), nonlinearity="bogus", seed=0)


def test_a_window_trunc_normal_refuses_gets_its_error_without_the_far_mean_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="trunc_normal_"):
            ft.trunc_normal_(torch.empty(4), mean=0.0, std=1.0, a=50.0, b=51.0, seed=0)
    assert not caught
