"""µP (mup_ / init_module_(..., "mup")), checked three ways: (a) every weight of an HF Llama 4x
wider than its base against Tensor Programs V's rules, with each rule broken once to show the
check catches it; (b) against Microsoft's mup package on the same MLP (two-sample KS per layer);
(c) the property µP exists for: one Adam step changes every layer's output coordinates by the
same amount at any width, where standard parametrization's change grows with width."""

from __future__ import annotations

import math

import pytest

from zoo import require

torch = pytest.importorskip("torch")
stats = pytest.importorskip("scipy.stats")
import fastinit.torch as ft  # noqa: E402
from fastinit.torch import _mup  # noqa: E402

nn = torch.nn
SIGMA = 0.02


def _llama(width, meta=False):
    tf = require("transformers")
    config = tf.LlamaConfig(
        vocab_size=512, hidden_size=width, intermediate_size=2 * width, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False,
    )  # fmt: skip
    if meta:
        with torch.device("meta"):
            return tf.LlamaForCausalLM(config)
    return tf.LlamaForCausalLM(config)


def expected_std(name, shape, base_shape):
    """Tensor Programs V, Table 3, relative to the base (written out independently of the
    library): in torch's (out, in) layout a weight whose in and out both grow is hidden
    (std * sqrt(base_in / in)), whose in alone grows is the readout (std * base_in / in), else
    an input weight (std). Embeddings are (vocab, width): an input weight."""
    if name.endswith("embed_tokens.weight"):
        return SIGMA
    (out, fan_in), (base_out, base_in) = shape, base_shape
    if fan_in != base_in and out != base_out:
        return SIGMA * math.sqrt(base_in / fan_in)
    if fan_in != base_in:
        return SIGMA * base_in / fan_in
    return SIGMA


def check_mup(model, base):
    base_shapes = {n: tuple(p.shape) for n, p in base.named_parameters()}
    kinds = set()
    for name, p in model.named_parameters():
        w = p.detach().double()
        if p.dim() == 1:
            assert torch.all(w == 1.0) if "norm" in name else not w.any(), name
            continue
        std = expected_std(name, tuple(p.shape), base_shapes[name])
        assert float(w.std()) == pytest.approx(std, rel=0.06), (name, float(w.std()), std)
        kinds.add(round(std / SIGMA, 3))
    assert kinds == {1.0, 0.5, 0.25}  # input, hidden (sqrt(1/4)), readout (1/4): all three met


def test_mup_follows_tensor_programs_v_on_a_wider_llama():
    model, base = _llama(256), _llama(64, meta=True)  # a meta base: its shapes are all µP needs
    ft.mup_(model, base, seed=0, std=SIGMA)
    check_mup(model, base)


MISTAKES = {  # weight_std replacements, each one rule wrong
    "readout scaled like a hidden weight": lambda w, s: s * math.sqrt(w.base_fan_in / w.fan_in),
    "hidden weights not scaled": lambda w, s: s if w.kind == "hidden" else None,
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_mup_check_catches_a_wrong_rule(mistake, monkeypatch):
    right = _mup.MupRule.weight_std

    def wrong(self, module, name, w):
        width = _mup.widths_of(module, tuple(w.shape), self.shapes[name])
        broken = MISTAKES[mistake](width, SIGMA) if width.kind != "input" else None
        if mistake.startswith("readout") and width.kind != "output":
            broken = None
        return right(self, module, name, w) if broken is None else broken

    monkeypatch.setattr(_mup.MupRule, "weight_std", wrong)
    model, base = _llama(256), _llama(64, meta=True)
    ft.mup_(model, base, seed=0, std=SIGMA)
    with pytest.raises(AssertionError):
        check_mup(model, base)


def _mlp(width, readout=None):
    return nn.Sequential(
        nn.Linear(32, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), readout or nn.Linear(width, 10)
    )


def test_mup_draws_what_the_mup_package_draws():
    """mup's recipe (set_base_shapes, mup.init.normal_, MuReadout) gives each layer an effective
    weight (the readout's divided by its width multiplier in the forward) of the same law as
    fastinit's mup_ on the same shapes."""
    mup = require("mup")
    torch.manual_seed(0)
    theirs = _mlp(512, mup.MuReadout(512, 10))
    mup.set_base_shapes(theirs, _mlp(128, mup.MuReadout(128, 10)))
    for p in (theirs[0].weight, theirs[2].weight, theirs[4].weight):
        mup.init.normal_(p, std=SIGMA)
    effective = {
        "0.weight": theirs[0].weight, "2.weight": theirs[2].weight,
        "4.weight": theirs[4].weight * theirs[4].output_mult / theirs[4].width_mult(),
    }  # fmt: skip
    ours = ft.mup_(_mlp(512), _mlp(128), seed=0, std=SIGMA)
    for name, p in ours.named_parameters():
        if p.dim() == 2:
            a, b = p.detach().flatten().numpy(), effective[name].detach().flatten().numpy()
            assert stats.ks_2samp(a, b).pvalue > 1e-3, name


def _first_step_change(width, parametrization, seed=0):
    """Mean |change| of each layer's output coordinates after one Adam step (lr 0.01) on a
    fixed batch: µP with mup_lr_scales, or standard parametrization (torch's init, one lr)."""
    torch.manual_seed(seed)
    model = _mlp(width)
    if parametrization == "mup":
        base = _mlp(64)
        ft.mup_(model, base, seed=seed)
        scales = ft.mup_lr_scales(model, base)
    else:
        ft.init_module_(model, "torch", seed=seed)
        scales = {n: 1.0 for n, _ in model.named_parameters()}
    opt = torch.optim.Adam([{"params": [p], "lr": 0.01 * scales[n]} for n, p in model.named_parameters()])
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(1))
    y = torch.randn(64, 10, generator=torch.Generator().manual_seed(2))

    def outputs():
        h, found = x, []
        for layer in model:
            h = layer(h)
            if isinstance(layer, nn.Linear):
                found.append(h.detach())
        return found

    before = outputs()
    opt.zero_grad()
    ((model(x) - y) ** 2).mean().backward()
    opt.step()
    return [float((a - b).abs().mean()) for a, b in zip(outputs(), before)]


def _width_ratios(parametrization):
    """Per layer, the first step's change at width 512 over that at width 128 (4x), averaged
    over three seeds."""
    ratios = []
    for seed in (0, 1, 2):
        narrow, wide = (
            _first_step_change(128, parametrization, seed),
            _first_step_change(512, parametrization, seed),
        )
        ratios.append([w / n for w, n in zip(wide, narrow)])
    return [sum(r[i] for r in ratios) / len(ratios) for i in range(3)]


def check_coordinates(ratios):
    assert all(0.7 < r < 1.4 for r in ratios), ratios  # every layer's output moves as much when 4x wider


def test_mup_keeps_the_first_update_of_every_layer_the_same_as_width_grows():
    check_coordinates(_width_ratios("mup"))
    standard = _width_ratios("standard")  # the hidden layer's and the readout's change grow 3-7 fold
    assert standard[1] > 2.5 and standard[2] > 2.5, standard


@pytest.mark.parametrize("kind", ["output", "hidden"])
def test_the_coordinate_check_catches_a_wrong_rule(kind, monkeypatch):
    """The readout or the hidden weights scaled by sqrt(fan_in / base_fan_in) too much (the
    readout as a hidden weight; hidden weights left at the base's std)."""
    right = _mup.MupRule.weight_std

    def wrong(self, module, name, w):
        width = _mup.widths_of(module, tuple(w.shape), self.shapes[name])
        factor = math.sqrt(width.fan_in / width.base_fan_in) if width.kind == kind else 1.0
        return right(self, module, name, w) * factor

    monkeypatch.setattr(_mup.MupRule, "weight_std", wrong)
    with pytest.raises(AssertionError):
        check_coordinates(_width_ratios("mup"))


def test_mup_says_what_it_cannot_place_before_changing_anything():
    model, base = _mlp(256), _mlp(64)
    base[2] = nn.Identity()  # the base lacks 2.weight, 2.bias
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"2\.weight \(256, 256\): base None"):
        ft.mup_(model, base, seed=0)
    with pytest.raises(ValueError, match="recurrent layers: 0"):
        ft.mup_(nn.Sequential(nn.LSTM(8, 16)), nn.Sequential(nn.LSTM(8, 4)), seed=0)
    with pytest.raises(ValueError, match="base= is the base model of policy 'mup'"):
        ft.init_module_(model, "mup", seed=0)
    with pytest.raises(ValueError, match="materialize_ first, then call mup_"):
        ft.materialize_(model, "mup", seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_mup_accepts_base_shapes_and_gives_sgd_rates():
    model, base = _mlp(256), _mlp(64)
    shapes = {n: list(p.shape) for n, p in base.named_parameters()}
    a = ft.mup_(_mlp(256), shapes, seed=3)
    b = ft.mup_(model, base, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert ft.mup_lr_scales(model, base, "sgd") == {
        "0.weight": 4.0, "0.bias": 4.0, "2.weight": 1.0, "2.bias": 4.0, "4.weight": 0.25, "4.bias": 1.0,
    }  # fmt: skip
    assert ft.mup_lr_scales(model, base)["2.weight"] == 0.25
    with pytest.raises(ValueError, match="optimizer='lamb'"):
        ft.mup_lr_scales(model, base, "lamb")


def test_mup_reaches_a_shared_parameter_by_any_of_its_names():
    """A module shared under two names (T5's shared / embed_tokens): the base's shapes are
    found whichever name the policy reaches the parameter by (a KeyError before)."""

    class Tied(torch.nn.Module):
        def __init__(self, d):
            super().__init__()
            self.z_emb = torch.nn.Embedding(100, d)
            self.a_emb = self.z_emb
            self.body = torch.nn.Linear(d, d)

    model = ft.mup_(Tied(64), Tied(32), seed=0)
    assert model.a_emb.weight is model.z_emb.weight
    assert float(model.z_emb.weight.detach().std()) == pytest.approx(1.0, rel=0.05)
    hidden = math.sqrt(1 / 32) * math.sqrt(32 / 64)  # 1/sqrt(base fan-in), times sqrt(base/width)
    assert float(model.body.weight.detach().std()) == pytest.approx(hidden, rel=0.1)
