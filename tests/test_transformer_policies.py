"""The Transformer policies "deepnorm" (DeepNet, Wang et al. 2022) and "t_fixup" (Huang et al.
2020), checked three ways: (a) every weight of two encoder-decoder Transformers (torch's
nn.Transformer and an HF BART from a config) against the papers' formulas, with wrong
constants injected to show the check catches them; (b) against torchscale, DeepNet's own code
(its alpha and its beta rescaling); (c) the property each paper claims: DeepNorm's first SGD
update of a post-LN Transformer is the same at 4 and 64 layers; T-Fixup keeps a Transformer
without layer norm finite and its first update bounded as it grows 16-fold deeper."""

from __future__ import annotations

import math
import warnings

import pytest

from zoo import require

torch = pytest.importorskip("torch")
import fastinit.torch as ft  # noqa: E402
from fastinit.torch import _transformer  # noqa: E402

nn = torch.nn


def xavier_std(shape, gain=1.0):
    fan_out, fan_in = shape
    return gain * math.sqrt(2 / (fan_in + fan_out))


def expected_factor(policy, stack, n, m):
    """The papers' factor for the value, output and feed-forward weights of `stack` (written out
    independently of the library)."""
    if policy == "deepnorm":
        if n and m:
            return 0.87 * (n**4 * m) ** (-1 / 16) if stack == "encoder" else (12 * m) ** -0.25
        return (8 * (n or m)) ** -0.25
    return 0.67 * n**-0.25 if stack == "encoder" else (9 * m) ** -0.25


QUERY_KEY = (".q_proj.", ".k_proj.")


def check_transformer(model, policy, n, m, d, torch_layout=False):
    """Every weight: queries and keys Xavier (gain 1), values, attention outputs and feed-forward
    weights Xavier times the stack's factor, embeddings N(0, 1/d) (t_fixup: times (9M)^(-1/4)),
    norm scales 1 and biases 0; normal draws for deepnorm, uniform ones (+-sqrt(3) std) for
    t_fixup."""
    checked = 0
    for name, p in model.named_parameters():
        w = p.detach().double()
        if p.dim() == 1:
            assert torch.all(w == 1.0) if "norm" in name and name.endswith("weight") else not w.any(), name
            continue
        stack = "decoder" if "decoder" in name else "encoder"
        parts = [(name, w)]
        if name.endswith("in_proj_weight"):  # torch's packed q, k, v
            parts = [(f"{name}.{part}", third) for part, third in zip("qkv", w.chunk(3))]
        for part, t in parts:
            if "embed" in part or "shared" in part:
                std = d**-0.5 * (((9 * m) ** -0.25 if m else 0.67 * n**-0.25) if policy == "t_fixup" else 1.0)
            elif part.endswith((".q", ".k")) or any(q in part for q in QUERY_KEY):
                std = xavier_std(t.shape)
            else:
                std = xavier_std(t.shape, expected_factor(policy, stack, n, m))
            assert float(t.std()) == pytest.approx(std, rel=0.06), (part, float(t.std()), std)
            if policy == "t_fixup" and "embed" not in part and "shared" not in part:
                assert float(t.abs().max()) <= math.sqrt(3) * std * 1.0001, (part, "not uniform")
            checked += 1
    return checked


def _torch_transformer(n=3, m=2, d=64):
    return nn.Transformer(d, 4, n, m, 4 * d, batch_first=True)


@pytest.mark.parametrize("policy", _transformer.TRANSFORMER_POLICIES)
def test_torch_transformer_follows_the_papers(policy):
    model = ft.init_module_(_torch_transformer(), policy, seed=0)
    # encoder: 3 x (q, k, v, out, linear1, linear2); decoder: 2 x (2 attentions x 4 + 2)
    assert check_transformer(model, policy, 3, 2, 64) == 3 * 6 + 2 * 10


def _bart():
    tf = require("transformers")
    config = tf.BartConfig(
        vocab_size=256, d_model=64, encoder_layers=3, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=256, decoder_ffn_dim=256, max_position_embeddings=64,
    )  # fmt: skip
    return tf.BartForConditionalGeneration(config)


@pytest.mark.parametrize("policy", _transformer.TRANSFORMER_POLICIES)
def test_hf_bart_follows_the_papers(policy):
    model = ft.init_module_(_bart(), policy, seed=0)
    # shared embedding, 2 position embeddings; encoder 3 x 6 weights, decoder 2 x 10
    assert check_transformer(model, policy, 3, 2, 64) == 3 + 3 * 6 + 2 * 10


MISTAKES = {  # (policy, a wrong deepnorm_scales / stack factor codebases have shipped)
    "deepnorm: torchscale's encoder beta (1.15 for 0.87)": (
        "deepnorm",
        lambda n=0, m=0: {
            "encoder": (1.0, 1.15 * (n**4 * m) ** (-1 / 16)),
            "decoder": (1.0, (12 * m) ** -0.25),
        },
    ),
    "deepnorm: the decoder-only beta in an encoder-decoder": (
        "deepnorm",
        lambda n=0, m=0: {
            "encoder": (1.0, 0.87 * (n**4 * m) ** (-1 / 16)),
            "decoder": (1.0, (8 * m) ** -0.25),
        },
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_the_check_catches_a_wrong_constant(mistake, monkeypatch):
    policy, wrong = MISTAKES[mistake]
    monkeypatch.setattr(_transformer, "deepnorm_scales", wrong)
    model = ft.init_module_(_torch_transformer(), policy, seed=0)
    with pytest.raises(AssertionError):
        check_transformer(model, policy, 3, 2, 64)


def test_the_check_catches_t_fixup_without_its_constant(monkeypatch):
    right = _transformer.stack_scales

    def wrong(model, policy):  # N^(-1/4) without T-Fixup's 0.67
        scales, embedding = right(model, policy)
        return {k: v / 0.67 if k == "encoder" else v for k, v in scales.items()}, embedding

    monkeypatch.setattr(_transformer, "stack_scales", wrong)
    model = ft.init_module_(_torch_transformer(), "t_fixup", seed=0)
    with pytest.raises(AssertionError):
        check_transformer(model, "t_fixup", 3, 2, 64)


def _torchscale_ratio(kind, **layers):
    """torchscale's DeepNorm rescaling of fc1 in the first encoder or decoder layer (the weight
    built with deepnorm=True over the same weight built without it), and that layer's alpha."""
    require("torchscale")
    with warnings.catch_warnings():  # torchscale imports timm.models.layers, deprecated by timm
        warnings.simplefilter("ignore", FutureWarning)
        from torchscale.architecture import config as cfg
        from torchscale.architecture.decoder import Decoder
        from torchscale.architecture.encoder import Encoder
        from torchscale.architecture.encoder_decoder import EncoderDecoder

    dims = dict(encoder_embed_dim=64, decoder_embed_dim=64, encoder_ffn_embed_dim=128, decoder_ffn_embed_dim=128,
                encoder_attention_heads=4, decoder_attention_heads=4, vocab_size=100, subln=False)  # fmt: skip
    built = []
    for deep in (True, False):
        torch.manual_seed(0)
        if "encoder_layers" in layers and "decoder_layers" in layers:
            whole = EncoderDecoder(cfg.EncoderDecoderConfig(**layers, **dims, deepnorm=deep))
            built.append(getattr(whole, kind).layers[0])
        elif kind == "encoder":
            built.append(Encoder(cfg.EncoderConfig(**layers, **dims, deepnorm=deep)).layers[0])
        else:
            built.append(Decoder(cfg.DecoderConfig(**layers, **dims, deepnorm=deep)).layers[0])
    ratio = (built[0].ffn.fc1.weight / built[1].ffn.fc1.weight).detach()
    assert float(ratio.std()) < 1e-6  # one factor for the whole weight
    return float(ratio.mean()), built[0].alpha


@pytest.mark.parametrize(
    "kind, layers",
    [
        ("encoder", {"encoder_layers": 6}),
        ("decoder", {"decoder_layers": 12}),
        ("decoder", {"encoder_layers": 6, "decoder_layers": 3}),
        ("encoder", {"encoder_layers": 6, "decoder_layers": 3}),
    ],
)
def test_deepnorm_constants_are_torchscales(kind, layers):
    """alpha everywhere, and beta where torchscale follows the paper; for an encoder-decoder's
    encoder torchscale divides by (N^4 M)^(1/16) / 1.15, that is beta = 1.15 (N^4 M)^(-1/16)
    where the paper has 0.87: fastinit follows the paper (docs/policies.md)."""
    theirs_beta, theirs_alpha = _torchscale_ratio(kind, **layers)
    alpha, beta = ft.deepnorm_scales(layers.get("encoder_layers", 0), layers.get("decoder_layers", 0))[kind]
    assert alpha == pytest.approx(theirs_alpha, rel=1e-12)
    if kind == "encoder" and len(layers) == 2:
        assert theirs_beta == pytest.approx(beta * 1.15 / 0.87, rel=1e-6)
    else:
        assert theirs_beta == pytest.approx(beta, rel=1e-6)


class _Block(nn.Module):
    """A Transformer encoder layer written out: post-LN with DeepNorm's residual alpha, or
    without layer norm (T-Fixup's setting)."""

    def __init__(self, d, alpha, post_ln):
        super().__init__()
        self.alpha = alpha
        self.attn = nn.MultiheadAttention(d, 4, batch_first=True)
        self.fc1, self.fc2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
        self.norm1 = nn.LayerNorm(d) if post_ln else nn.Identity()
        self.norm2 = nn.LayerNorm(d) if post_ln else nn.Identity()

    def forward(self, x):
        x = self.norm1(self.alpha * x + self.attn(x, x, x, need_weights=False)[0])
        return self.norm2(self.alpha * x + self.fc2(torch.relu(self.fc1(x))))


class _Encoder(nn.Module):
    def __init__(self, depth, d, alpha, post_ln):
        super().__init__()
        self.layers = nn.ModuleList(_Block(d, alpha, post_ln) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def _first_update(depth, policy, post_ln, alpha=1.0):
    """(output std at initialization, relative change of the output after one SGD step on the
    weight matrices) — DeepNet's model update ||F(x, theta*) - F(x, theta)||."""
    model = ft.init_module_(_Encoder(depth, 64, alpha, post_ln), policy, seed=0)
    x = torch.randn(8, 16, 64, generator=torch.Generator().manual_seed(1))
    y = torch.randn(8, 16, 64, generator=torch.Generator().manual_seed(2))
    before = model(x).detach()
    ((model(x) - y) ** 2).sum().div(8 * 16).backward()
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:  # the weights DeepNorm and T-Fixup scale
                p -= 0.1 * p.grad
    return float(before.std()), float((model(x).detach() - before).norm() / before.norm())


def check_deepnorm_update(alphas):
    shallow, deep = (_first_update(n, "deepnorm", True, alphas(n))[1] for n in (4, 64))
    assert 0.8 < deep / shallow < 1.25, (shallow, deep)
    return shallow, deep


def test_deepnorm_bounds_the_first_update_at_any_depth():
    deep = check_deepnorm_update(lambda n: ft.deepnorm_scales(n)["encoder"][0])[1]
    post_ln = _first_update(64, "xavier", True)[1]  # plain post-LN: an update 10x larger
    assert post_ln > 10 * deep, (post_ln, deep)


def test_the_update_check_catches_a_missing_alpha():
    with pytest.raises(AssertionError):
        check_deepnorm_update(lambda n: 1.0)  # beta without alpha: the update grows with depth


def test_t_fixup_keeps_a_transformer_without_layer_norm_finite():
    (std4, update4), (std64, update64) = (_first_update(n, "t_fixup", False) for n in (4, 64))
    assert std64 < 2 * std4 and update64 < 2 * update4, (std4, std64, update4, update64)
    std, update = _first_update(16, "xavier", False)
    assert not math.isfinite(update) or std > 100 * std4, (std, update)


def test_transformer_policies_say_what_they_cannot_place():
    with pytest.raises(ValueError, match="no run of repeated blocks"):
        ft.init_module_(nn.Sequential(nn.Linear(4, 4)), "deepnorm", seed=0)

    class Neox(nn.Module):
        def __init__(self):
            super().__init__()
            self.query_key_value, self.dense = nn.Linear(8, 24), nn.Linear(8, 8)

    model = nn.Sequential(nn.ModuleList([Neox(), Neox()]))
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"0\.0\.query_key_value packs them interleaved"):
        ft.init_module_(model, "t_fixup", seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    with pytest.raises(ValueError, match="encoder_layers must be an int >= 0"):
        ft.deepnorm_scales(-1)
    with pytest.raises(ValueError, match="give encoder_layers or decoder_layers"):
        ft.deepnorm_scales()
