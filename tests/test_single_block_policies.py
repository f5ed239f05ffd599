"""Residual blocks that stand alone — a model of one block, a ResNet stage of one block — are
residual blocks to every policy: "gpt2" / "normal" scale their residual outputs (honouring
n_layers=), "fixup" counts them in L and rescales them, zero_init_residual and "zerO" zero what
ends their branches, as the reference implementations do (HF GPT-2's _init_weights, timm's
zero_init_last, torchvision's zero_init_residual). A model with no residual block to act on is a
ValueError, not a silent no-op."""

from __future__ import annotations

import math

import pytest

from zoo import require

torch = pytest.importorskip("torch")
import fastinit.torch as ft  # noqa: E402

nn = torch.nn
SIGMA = 0.02


class Block(nn.Module):
    """A transformer-like block whose projections sit side by side (the user trial's)."""

    def __init__(self, d):
        super().__init__()
        self.attn, self.proj = nn.Linear(d, d), nn.Linear(d, d)


class Net(nn.Module):
    def __init__(self, n_blocks, d=256):
        super().__init__()
        self.layers = nn.ModuleList(Block(d) for _ in range(n_blocks))
        self.head = nn.Linear(d, 10)


def _std(module):
    return float(module.weight.detach().std())


# -- defect 1: "gpt2" / "normal" on a model of one block -------------------------------------------


@pytest.mark.parametrize("policy", ["gpt2", "normal", "megatron"])
@pytest.mark.parametrize("n_layers", [None, 1, 12])
def test_one_block_models_residual_output_is_scaled_by_its_depth(policy, n_layers):
    """std 0.02/sqrt(2 L), L = n_layers= or the run of one block; the block's other projection
    and the head keep 0.02."""
    model = ft.init_module_(Net(1), policy, seed=0, n_layers=n_layers)
    depth = n_layers or 1
    assert _std(model.layers[0].proj) == pytest.approx(SIGMA / math.sqrt(2 * depth), rel=0.05)
    assert _std(model.layers[0].attn) == pytest.approx(SIGMA, rel=0.05)
    assert _std(model.head) == pytest.approx(SIGMA, rel=0.2)


def test_one_layer_hf_gpt2_matches_hfs_own_init():
    """HF's GPT-2 _init_weights draws each c_proj from N(0, (0.02/sqrt(2 n_layer))^2): 0.0141 for
    n_layer=1. "gpt2" gives the same std (and 0.02 elsewhere); n_layers=12 gives 0.02/sqrt(24)."""
    tf = require("transformers")
    config = tf.GPT2Config(vocab_size=1000, n_embd=64, n_layer=1, n_head=4, n_positions=64, bos_token_id=0,
                           eos_token_id=0)  # fmt: skip
    reference = tf.GPT2LMHeadModel(config).transformer.h[0]
    model = ft.init_module_(tf.GPT2LMHeadModel(config), "gpt2", seed=0)
    block = model.transformer.h[0]
    for ours, theirs in (
        (block.attn.c_proj, reference.attn.c_proj),
        (block.mlp.c_proj, reference.mlp.c_proj),
    ):
        assert _std(theirs) == pytest.approx(SIGMA / math.sqrt(2), rel=0.08)
        assert _std(ours) == pytest.approx(_std(theirs), rel=0.08)
    assert _std(block.attn.c_attn) == pytest.approx(SIGMA, rel=0.08)
    model = ft.init_module_(model, "gpt2", seed=0, n_layers=12)
    assert _std(model.transformer.h[0].mlp.c_proj) == pytest.approx(SIGMA / math.sqrt(24), rel=0.08)


def test_zero_init_residual_starts_a_one_block_model_as_the_identity():
    model = ft.init_module_(Net(1), "gpt2", seed=0, zero_init_residual=True)
    assert not model.layers[0].proj.weight.any() and model.layers[0].attn.weight.abs().max() > 0


def test_what_is_not_a_residual_block_is_said_not_skipped():
    """A head alone in a ModuleList that changes the width is not a residual block: nothing is
    scaled, and the options that need residual blocks raise before anything is changed."""
    heads = nn.ModuleList([nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))])
    mlp = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(64, 128), nn.Linear(128, 10)

    alone = nn.ModuleList([Head()])
    ft.init_module_(alone, "gpt2", seed=0)
    assert _std(alone[0].fc2) == pytest.approx(SIGMA, rel=0.2)
    for model in (heads, mlp, alone):
        before = [p.detach().clone() for p in model.parameters()]
        with pytest.raises(ValueError, match=r"zero_init_residual=True .* no block that can be found"):
            ft.init_module_(model, "kaiming", seed=0, zero_init_residual=True)
        with pytest.raises(ValueError, match=r"n_layers=4 scales .* pass residual="):
            ft.init_module_(model, "gpt2", seed=0, n_layers=4)
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_deepnorm_counts_a_decoder_of_one_block():
    """nn.Transformer with 6 encoder blocks and 1 decoder block is an encoder-decoder (N=6,
    M=1), not an encoder-only model whose decoder keeps gain 1."""
    model = nn.Transformer(
        64, 4, num_encoder_layers=6, num_decoder_layers=1, dim_feedforward=256, batch_first=True
    )
    ft.init_module_(model, "deepnorm", seed=0)
    beta = ft.deepnorm_scales(6, 1)["decoder"][1]
    xavier = math.sqrt(2 / (64 + 256))
    assert _std(model.decoder.layers[0].linear1) == pytest.approx(beta * xavier, rel=0.05)


# -- defect 2: fixup on a ResNet with stages of one block -------------------------------------------


def test_fixup_rescales_every_block_of_a_resnet_with_single_block_stages():
    """ResNet(BasicBlock, [2, 1, 1, 1]) without norms has L = 5 residual branches: in each of
    them conv1 is its He draw times 5^(-1/2) (m = 2 layers per branch) and conv2 is 0; the
    shortcut keeps its He draw and the classifier is 0."""
    tv = require("torchvision")
    resnet = tv.models.resnet

    def build():
        return resnet.ResNet(resnet.BasicBlock, [2, 1, 1, 1], norm_layer=lambda c: nn.Identity())

    model = ft.init_module_(build(), "fixup", seed=0)
    he = dict(ft.init_module_(build(), "kaiming", seed=0).named_parameters())
    blocks = [n for n, m in model.named_modules() if isinstance(m, resnet.BasicBlock)]
    assert len(blocks) == 5
    params = dict(model.named_parameters())
    for name in blocks:
        torch.testing.assert_close(params[f"{name}.conv1.weight"], he[f"{name}.conv1.weight"] * 5**-0.5)
        assert not params[f"{name}.conv2.weight"].any()
        if f"{name}.downsample.0.weight" in params:
            assert torch.equal(params[f"{name}.downsample.0.weight"], he[f"{name}.downsample.0.weight"])
    assert not model.fc.weight.any()


# -- defect 3: zero_init_residual and zerO on ResNets of one block per stage -----------------------


def _zeroed_norms(model):
    return {n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d) and not m.weight.any()}


def test_zero_init_residual_zeroes_what_timms_zero_init_last_zeroes_on_resnet10t():
    """timm's resnet10t (a block per stage): the same last norms zeroed as timm's own
    zero_init_last — every block's bn2 — and nothing else."""
    timm = require("timm")
    reference = _zeroed_norms(timm.create_model("resnet10t", zero_init_last=True))
    assert reference == {f"layer{i}.0.bn2" for i in range(1, 5)}
    model = timm.create_model("resnet10t", zero_init_last=False)
    ft.init_module_(model, "kaiming", seed=0, zero_init_residual=True)
    assert _zeroed_norms(model) == reference


def test_zero_init_residual_matches_torchvisions_on_single_block_stages():
    tv = require("torchvision")
    resnet = tv.models.resnet
    for block, last in ((resnet.BasicBlock, "bn2"), (resnet.Bottleneck, "bn3")):
        reference = _zeroed_norms(resnet.ResNet(block, [1, 1, 1, 1], zero_init_residual=True))
        assert reference == {f"layer{i}.0.{last}" for i in range(1, 5)}
        model = ft.init_module_(
            resnet.ResNet(block, [1, 1, 1, 1]), "kaiming", seed=0, zero_init_residual=True
        )
        assert _zeroed_norms(model) == reference


def test_zero_o_zeroes_the_branch_end_of_single_block_stages():
    timm = require("timm")
    model = ft.init_module_(timm.create_model("resnet10t"), "zerO", seed=0)
    for i in range(1, 5):
        block = getattr(model, f"layer{i}")[0]
        assert not block.conv2.weight.any() and block.conv1.weight.abs().max() > 0
