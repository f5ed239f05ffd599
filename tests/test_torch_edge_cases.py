"""Edge cases of fastinit.torch found by review: tensors torch itself treats specially, the
seed draw under a default device, and init_module_ on layers it must not get wrong."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

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


@pytest.mark.parametrize("scheme", POLICIES)
def test_unknown_norm_layers_keep_scale_one(scheme):
    block = _Block()
    with torch.no_grad():
        block.norm.weight.fill_(0.5)
    ft.init_module_(block, scheme, seed=1)
    assert torch.equal(block.norm.weight, torch.ones(8))
    assert torch.equal(block.norm.temperature, torch.full((8,), 3.0))


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


def test_init_module_checks_its_arguments_before_changing_anything():
    model = nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 4))
    before = [p.detach().clone() for p in model.parameters()]
    for kwargs in ({"std": -0.02}, {"std": float("nan")}, {"nonlinearity": "gelu"}, {"n_layers": 0}):
        with pytest.raises(ValueError, match="init_module_"):
            ft.init_module_(model, "kaiming", seed=0, **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
