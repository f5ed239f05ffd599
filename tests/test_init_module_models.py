"""init_module_, lsuv_ and report() on real model code (tests/zoo.py): fans read in HF Conv1D's
(in, out) layout, tied language-model heads that start at a sensible loss, residual scaling on
every branch output, norm statistics reset, and structure the policies do not know kept."""

from __future__ import annotations

import math
import warnings

import pytest

from zoo import build

torch = pytest.importorskip("torch")
import fastinit.torch as ft  # noqa: E402

nn = torch.nn
VOCAB = 1000


def _lm_loss(model):
    ids = torch.arange(2 * 32).reshape(2, 32) * 37 % VOCAB
    model.eval()  # no dropout
    with torch.no_grad():
        return float(model(input_ids=ids, labels=ids).loss)


# fixup: for ResNets; mup: needs a base, and a tied readout is scaled in the forward (test_mup.py)
@pytest.mark.parametrize("policy", [p for p in ft.POLICIES if p not in ("fixup", "mup")])
@pytest.mark.parametrize("name", ["hf-gpt2", "hf-llama-tied"])
def test_tied_language_models_start_near_chance_under_every_policy(name, policy):
    """An lm_head tied to the embedding is initialized as an output layer: the first loss is
    within 10% of ln(vocabulary), as a sensible init starts (N(0, 1) rows gave 40-120)."""
    model = build(name)
    assert model.lm_head.weight is model.get_input_embeddings().weight
    ft.init_module_(model, policy, seed=0)
    assert model.lm_head.weight is model.get_input_embeddings().weight
    assert _lm_loss(model) == pytest.approx(math.log(VOCAB), rel=0.10)


@pytest.mark.parametrize(("policy", "std_of_fan_in"), [
    ("torch", lambda n: 1 / math.sqrt(3 * n)),
    ("kaiming", lambda n: math.sqrt(2 / n)),
    ("lecun", lambda n: math.sqrt(1 / n)),
])  # fmt: skip
def test_conv1d_fans_are_read_in_its_in_out_layout(policy, std_of_fan_in):
    model = ft.init_module_(build("hf-gpt2"), policy, seed=0)
    block = model.transformer.h[0]
    for layer in (block.attn.c_attn, block.attn.c_proj, block.mlp.c_fc, block.mlp.c_proj):
        fan_in = layer.weight.shape[0]  # Conv1D: (in, out)
        assert float(layer.weight.detach().std()) == pytest.approx(std_of_fan_in(fan_in), rel=0.08)


def test_report_reads_conv1d_fans():
    model = build("hf-gpt2")
    rows = {r.name: r for r in ft.report(model, torch.arange(16).reshape(2, 8), show=False)}
    proj = rows["transformer.h.0.mlp.c_proj.weight"]  # 256 -> 64
    assert (proj.fan_in, proj.fan_out) == (256, 64)


RESIDUAL_OUTPUTS = {
    "hf-gpt2": ("attn.c_proj", "mlp.c_proj"),
    "hf-llama": ("self_attn.o_proj", "mlp.down_proj"),
    "hf-bert": ("attention.output.dense", "output.dense"),
    "hf-t5": ("SelfAttention.o", "EncDecAttention.o", "DenseReluDense.wo"),
    "hf-vit": ("attention.o_proj", "mlp.fc2"),
    "timm-vit": ("attn.proj", "mlp.fc2"),
}


@pytest.mark.parametrize("name", RESIDUAL_OUTPUTS)
def test_gpt2_policy_scales_the_end_of_every_residual_branch(name):
    """Under "gpt2", exactly the layers that end a residual branch get std 0.02/sqrt(2 n_layers);
    every other linear weight keeps 0.02. Found from the module tree, not from names."""
    model = build(name)
    if name == "timm-vit":  # its position embedding and class token are set by no module code
        with pytest.warns(RuntimeWarning, match="kept the values of cls_token, pos_embed"):
            ft.init_module_(model, "gpt2", seed=0)
    else:
        ft.init_module_(model, "gpt2", seed=0)
    n_layers = 12 if name == "timm-vit" else 2  # vit_tiny keeps its 12 blocks
    scaled, plain = set(), set()
    for mname, module in model.named_modules():
        if isinstance(module, nn.Linear) or type(module).__name__ == "Conv1D":
            std = float(module.weight.detach().std())
            if std == pytest.approx(0.02 / math.sqrt(2 * n_layers), rel=0.12):
                scaled.add(mname)
            elif std == pytest.approx(0.02, rel=0.12):
                plain.add(mname)
    expected = {m for m in scaled | plain if m.endswith(RESIDUAL_OUTPUTS[name])}
    assert scaled == expected and len(expected) >= 2 * n_layers


def test_residual_override_replaces_detection():
    model = build("hf-llama")
    ft.init_module_(model, "gpt2", seed=0, residual=lambda name, m: name.endswith("q_proj"))
    q = model.model.layers[0].self_attn.q_proj.weight.detach().std()
    o = model.model.layers[0].self_attn.o_proj.weight.detach().std()
    assert float(q) == pytest.approx(0.01, rel=0.1) and float(o) == pytest.approx(0.02, rel=0.1)
    with pytest.raises(ValueError, match="not a linear layer"):
        ft.init_module_(model, "gpt2", seed=0, residual={"model.norm"})
    with pytest.raises(TypeError, match="residual must be"):
        ft.init_module_(model, "gpt2", seed=0, residual="o_proj")


def test_init_module_resets_norm_running_statistics():
    model = build("tv-resnet")
    model.train()
    with torch.no_grad():
        model(torch.linspace(-3, 5, 2 * 3 * 32 * 32).reshape(2, 3, 32, 32))
    assert not (model.bn1.running_mean == 0).all() and int(model.bn1.num_batches_tracked) == 1
    ft.init_module_(model, "kaiming", seed=0)
    assert (model.bn1.running_mean == 0).all() and (model.bn1.running_var == 1).all()
    assert int(model.bn1.num_batches_tracked) == 0


def test_structure_the_policy_does_not_know_is_kept_by_the_models_own_code():
    """Mamba's A_log (log 1..N per row), D (ones) and dt_proj.bias (inverse softplus of the
    time steps) come from HF's own _init_weights, not from the policy's random weights or zeros."""
    model = build("hf-mamba")
    mixer = model.backbone.layers[0].mixer
    ft.init_module_(model, "kaiming", seed=0)
    state = mixer.A_log.shape[1]
    torch.testing.assert_close(
        mixer.A_log.detach(), torch.log(torch.arange(1, state + 1.0)).expand_as(mixer.A_log)
    )
    assert (mixer.D == 1).all()
    assert (mixer.dt_proj.bias != 0).all()


def test_parameters_no_code_sets_are_kept_and_named():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.layer_scale = nn.Parameter(torch.full((4,), 1e-6))

    model = Scaled()
    with pytest.warns(RuntimeWarning, match="kept the values of layer_scale"):
        ft.init_module_(model, "kaiming", seed=0)
    assert (model.layer_scale == 1e-6).all()


def test_lsuv_covers_conv1d_and_attention_and_names_what_it_skips():
    model = build("hf-gpt2")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    ids = torch.arange(64).reshape(4, 16) * 13 % VOCAB
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ft.lsuv_(model, ids, seed=0)
    conv1d = [n for n, m in model.named_modules() if type(m).__name__ == "Conv1D"]
    assert conv1d and all(not torch.equal(before[f"{n}.weight"], dict(model.named_parameters())[f"{n}.weight"])
                          for n in conv1d)  # fmt: skip

    class WithAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = nn.Linear(8, 16)
            self.mha = nn.MultiheadAttention(16, 2, batch_first=True)

        def forward(self, x):
            h = self.inp(x)
            return self.mha(h, h, h)[0]

    x = torch.linspace(-2, 2, 4 * 10 * 8).reshape(4, 10, 8)
    model = WithAttention()
    ft.lsuv_(model, x, seed=0)
    with torch.no_grad():
        assert float(model(x).var()) == pytest.approx(1, abs=0.06)

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 8)

        def forward(self, x):
            return self.lstm(x)[0]

    with pytest.warns(RuntimeWarning, match=r"lstm \(LSTM\)"):
        ft.lsuv_(Recurrent(), x, seed=0)
