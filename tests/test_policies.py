"""The depth-aware policies (megatron, neox, mitchell, full_megatron), each checked three ways:
(a) every weight of a real model against the formula, with a checker that a wrong formula fails
(σ/√L for σ/√(2L), a missing layer + 1, a wrong truncation: each injected once below); (b)
against the source codebase where it installs (megatron-core's init methods); (c) the property
the scaling exists for: the residual stream's variance does not grow with depth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from zoo import build, require

torch = pytest.importorskip("torch")
stats = pytest.importorskip("scipy.stats")
import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402
from fastinit.torch import _depth, _policy, _structure  # noqa: E402

nn = torch.nn
SIGMA = 0.02
# std of N(0, 1) truncated to [-3, 3]: what a +-3 std truncated draw's std shrinks to
TRUNC3 = math.sqrt(1 - 6 * stats.norm.pdf(3) / (stats.norm.cdf(3) - stats.norm.cdf(-3)))

LLAMA_RESIDUAL = ("self_attn.o_proj", "mlp.down_proj")


def expected(policy, name, w, n_layers):
    """(std of the values, truncation bound or None) of weight `name` of the hf-llama zoo model,
    from the formulas of docs/policies.md (written out here, independently of the library)."""
    fan_in = w.shape[1]
    layer = int(name.split(".")[2]) if name.startswith("model.layers.") else None
    residual = name.endswith(tuple(f"{r}.weight" for r in LLAMA_RESIDUAL))
    width = w.shape[0] if residual else fan_in  # embeddings: (vocab, width); the head: fan_in = width
    output = name == "lm_head.weight"
    if policy == "megatron":
        return (SIGMA / math.sqrt(2 * n_layers) if residual else SIGMA), None
    if policy == "neox":
        return (2 / (n_layers * math.sqrt(width)) if residual else math.sqrt(2 / (5 * width))), None
    if policy == "mitchell":
        std = 1 / math.sqrt(2 * fan_in * (layer + 1)) if residual else 1 / math.sqrt(fan_in)
        return std * TRUNC3, 3 * std
    if policy == "full_megatron":
        std = SIGMA / math.sqrt(2 * n_layers) if residual else 1 / math.sqrt(fan_in) if output else SIGMA
        return std * TRUNC3, 3 * std
    raise AssertionError(policy)


def check_formulas(model, policy, n_layers=2):
    """Every linear and embedding weight: mean 0, std as the formula says (within 6%; the
    weights hold 2048 or more values), and inside the truncation bound where there is one."""
    checked = 0
    for name, p in model.named_parameters():
        if p.dim() != 2:
            continue
        w = p.detach().double()
        std, bound = expected(policy, name, w, n_layers)
        assert abs(float(w.mean())) < 6 * std / math.sqrt(w.numel()), (name, "mean")
        assert float(w.std()) == pytest.approx(std, rel=0.06), (name, float(w.std()), std)
        if bound is not None:
            assert float(w.abs().max()) <= bound * (1 + 1e-6), (name, "bound")
            # Truncated at 3 std, each of 2048 values lies beyond 0.8 of the bound (2.4 std) with
            # probability 0.0137: all of them inside it has odds of 5e-13 — while a cut at
            # 2 std (a wrong formula) keeps every value inside 0.67 of it.
            assert float(w.abs().max()) > 0.8 * bound, (name, "not truncated where the formula says")
        checked += 1
    assert checked == 1 + 2 * 7 + 1  # embedding, 7 per block, lm_head


@pytest.mark.parametrize("policy", _depth.DEPTH_POLICIES)
def test_every_weight_follows_the_formula(policy):
    model = build("hf-llama")
    ft.init_module_(model, policy, seed=0)
    check_formulas(model, policy)


MISTAKES = {  # policy: a wrong formula codebases have shipped, as a replacement of _depth.draw
    "megatron": lambda p, r, s: _depth.Draw(s / math.sqrt(r.n_layers) if r.kind == "residual" else s),
    "neox": lambda p, r, s: _depth.Draw(
        2 / (r.n_layers * math.sqrt(r.fan_in)) if r.kind == "residual" else math.sqrt(2 / (5 * r.width))
    ),
    "mitchell": lambda p, r, s: _depth.Draw(
        1 / math.sqrt(2 * r.fan_in if r.kind == "residual" else r.fan_in), cutoff=3.0
    ),
    "full_megatron": lambda p, r, s: _depth.Draw(
        s / math.sqrt(2 * r.n_layers) if r.kind == "residual" else s, cutoff=2.0
    ),
}


@pytest.mark.parametrize("policy", _depth.DEPTH_POLICIES)
def test_the_formula_check_catches_a_wrong_formula(policy, monkeypatch):
    """σ/√L instead of σ/√(2L); wang_init on fan_in instead of the width; mitchell without its
    layer + 1; full_megatron truncated at 2 std with an output layer like the others."""
    monkeypatch.setattr(_policy, "draw", MISTAKES[policy])
    model = build("hf-llama")
    ft.init_module_(model, policy, seed=0)
    with pytest.raises(AssertionError):
        check_formulas(model, policy)


def test_megatron_draws_what_megatron_core_draws():
    """(b): Megatron-LM's own init methods (megatron-core's init_method_normal and
    scaled_init_method_normal) on the same shapes, compared by two-sample KS."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it warns that Transformer Engine and Apex are absent
        utils = pytest.importorskip("megatron.core.utils")
    model = build("hf-llama")
    ft.init_module_(model, "megatron", seed=0, std=SIGMA)
    for name, p in model.named_parameters():
        if p.dim() != 2:
            continue
        residual = name.endswith(tuple(f"{r}.weight" for r in LLAMA_RESIDUAL))
        method = utils.scaled_init_method_normal(SIGMA, 2) if residual else utils.init_method_normal(SIGMA)
        torch.manual_seed(0)
        theirs = method(torch.empty(p.shape)).double().numpy().ravel()
        assert stats.ks_2samp(p.detach().double().numpy().ravel(), theirs).pvalue > 1e-4, name


class _PreNormBlock(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


class _ResidualStack(nn.Module):
    def __init__(self, depth, d=64):
        super().__init__()
        self.blocks = nn.ModuleList(_PreNormBlock(d) for _ in range(depth))

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


def _stream_growth(policy, depth, **kwargs):
    """var(residual stream after `depth` blocks) / var(input)."""
    model = _ResidualStack(depth)
    ft.init_module_(model, policy, seed=0, **kwargs)
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((512, 64)).astype(np.float32))
    with torch.no_grad():
        return float(model(x).var() / x.var())


@pytest.mark.parametrize("policy", ["megatron", "neox", "full_megatron", "mitchell"])
def test_depth_scaling_keeps_the_residual_stream_from_growing_with_depth(policy):
    """(c): each block adds its branch's variance to the stream. Scaled by 1/sqrt(2L) (or by the
    layer index, mitchell's 1/(layer + 1)), going 8 -> 64 blocks deep leaves the stream's variance
    nearly where it was; unscaled, the added variance grows with the depth."""
    sigma = {"megatron": 0.2, "full_megatron": 0.2}.get(policy, 0.02)  # branch gains near 1
    shallow, deep = (_stream_growth(policy, depth, std=sigma) for depth in (8, 64))
    plain_shallow, plain_deep = (_stream_growth("normal", depth, std=sigma, residual=()) for depth in (8, 64))
    if policy == "mitchell":  # the layer-indexed sum grows like log(depth): 8 -> 64 adds a bounded amount
        assert deep - shallow < 0.5 * (shallow - 1) + 0.5
    else:
        assert deep / shallow < 1.25
    if policy in ("megatron", "full_megatron"):
        assert (plain_deep - 1) > 6 * (plain_shallow - 1)  # without the scaling: about 8x the added variance


def test_depth_policies_say_what_they_cannot_classify():
    mlp = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))
    with pytest.raises(ValueError, match=r"no run of repeated blocks.*residual="):
        ft.init_module_(mlp, "megatron", seed=0)
    with pytest.raises(ValueError, match=r"'2' lie in no run of repeated blocks; pass n_layers="):
        ft.init_module_(mlp, "neox", seed=0, residual={"2"})
    ft.init_module_(mlp, "neox", seed=0, residual={"2"}, n_layers=4)
    assert float(mlp[2].weight.detach().std()) == pytest.approx(2 / (4 * math.sqrt(8)), rel=0.3)
    with pytest.raises(ValueError, match="needs the layer index of each residual output"):
        ft.init_module_(mlp, "mitchell", seed=0, residual={"2"}, n_layers=4)


class _Attention(nn.Module):  # two block classes of one width, as a hybrid model's layers
    def __init__(self):
        super().__init__()
        self.qkv, self.o_proj = nn.Linear(64, 192), nn.Linear(64, 64)


class _Mixer(nn.Module):
    def __init__(self):
        super().__init__()
        self.in_proj, self.out_proj = nn.Linear(64, 128), nn.Linear(128, 64)


@pytest.mark.parametrize(
    "layers",
    [
        lambda: nn.ModuleList(
            [_Mixer(), _Mixer(), _Attention(), _Mixer(), _Mixer(), _Mixer(), _Attention(), _Mixer()]
        ),
        lambda: nn.ModuleList(
            [nn.ModuleList([_Mixer() for _ in range(4)]) for _ in range(2)]
        ),  # Funnel's groups
    ],
)
def test_a_stack_of_layers_of_several_classes_or_groups_is_one_run(layers):
    model = nn.Module()
    model.layers = layers()
    ft.init_module_(model, "megatron", std=0.02, seed=0)
    outputs = [m for name, m in model.named_modules() if name.endswith(("o_proj", "out_proj"))]
    assert len(outputs) == 8
    for layer in outputs:  # every residual output by the depth of all 8 layers
        assert float(layer.weight.detach().std()) == pytest.approx(0.02 / math.sqrt(2 * 8), rel=0.15)


def test_policies_refuse_weights_a_module_applies_itself():
    class Experts(nn.Module):  # HF's fused MoE experts: (experts, out, in), applied by F.linear
        def __init__(self):
            super().__init__()
            self.gate_up_proj = nn.Parameter(torch.zeros(4, 256, 64))
            self.down_proj = nn.Parameter(torch.zeros(4, 64, 128))

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn, self.experts = nn.Linear(64, 64), Experts()

    model = nn.Sequential(Layer(), Layer())
    before = model[0].attn.weight.detach().clone()
    with pytest.raises(
        ValueError, match=r"no rule for the mixture-of-experts weights 0\.experts\.gate_up_proj"
    ):
        ft.init_module_(model, "megatron", seed=0)
    assert torch.equal(model[0].attn.weight, before)  # refused before anything changed
    with pytest.warns(RuntimeWarning, match="kept the values of 0.experts.gate_up_proj"):
        ft.init_module_(model, "torch", seed=0)  # each module's own code: allowed


# ---- delta-orthogonal convolutions (Xiao et al., 2018) --------------------------------------------


@pytest.mark.parametrize(
    ("shape", "layout"), [((16, 8, 3, 3), "oihw"), ((3, 3, 3, 8, 16), "hwio"), ((8, 8, 5), "oihw")]
)
def test_delta_orthogonal_is_an_orthogonal_centre_and_zeros(shape, layout):
    w = fastinit.delta_orthogonal(shape, 1.5, layout=layout, seed=3)
    centre = tuple(k // 2 for k in (shape[2:] if layout == "oihw" else shape[:-2]))
    every = slice(None)
    m = w[(every, every, *centre)] if layout == "oihw" else w[(*centre, every, every)].T  # (out, in)
    np.testing.assert_allclose(m.T @ m, 1.5**2 * np.eye(m.shape[1]), atol=1e-5)
    assert np.abs(w).sum() == pytest.approx(np.abs(m).sum())
    assert np.array_equal(w, fastinit.delta_orthogonal(shape, 1.5, layout=layout, seed=3))
    with pytest.raises(ValueError, match="in channels must not exceed out channels"):
        fastinit.delta_orthogonal((4, 8, 3, 3), seed=0)


def test_delta_orthogonal_keeps_a_deep_convolution_stack_an_isometry():
    """The property the paper builds on (dynamical isometry): through 32 convolutions (circular
    padding, no nonlinearity) initialized delta-orthogonal, every input keeps its norm exactly;
    He-initialized kernels keep it only on average, stretching some inputs and shrinking others."""
    convs = [nn.Conv2d(16, 16, 3, padding=1, padding_mode="circular", bias=False) for _ in range(32)]
    x = torch.from_numpy(np.random.default_rng(0).standard_normal((8, 16, 8, 8)).astype(np.float32))

    def norm_ratios(init):
        for i, conv in enumerate(convs):
            init(conv.weight, i)
        with torch.no_grad():
            y = x
            for conv in convs:
                y = conv(y)
        return (y.flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1)).numpy()

    delta = norm_ratios(lambda w, i: ft.delta_orthogonal_(w, seed=i))
    np.testing.assert_allclose(delta, 1.0, rtol=1e-4)
    he = norm_ratios(lambda w, i: ft.kaiming_normal_(w, nonlinearity="linear", seed=i))
    assert he.max() / he.min() > 1.2


# ---- Fixup (Zhang, Dauphin & Ma, 2019) and zero_init_residual -------------------------------------


def _resnet18_without_norm():
    tv = require("torchvision")
    return tv.models.resnet18(norm_layer=lambda channels: nn.Identity())


def check_fixup(model, n_branches=8):
    """torchvision ResNet-18 without normalization: the stem convolution He (std sqrt(2 /
    fan_in)), the shortcut projections with the linear gain of the Identity that follows them in
    their nn.Sequential (sqrt(1 / fan_in)), each block's conv1 He times L^(-1/(2m-2)) = 8^(-1/2),
    each conv2 and the classifier zero."""
    for name, p in model.named_parameters():
        if p.dim() < 2:
            continue
        w = p.detach()
        he = math.sqrt((1 if "downsample" in name else 2) / w[0].numel())
        if name.endswith("conv2.weight") or name == "fc.weight":
            assert not w.any(), name
        elif name.endswith("conv1.weight") and name.startswith("layer"):
            assert float(w.std()) == pytest.approx(he * n_branches**-0.5, rel=0.08), name
        else:
            assert float(w.std()) == pytest.approx(he, rel=0.08), name


def test_fixup_follows_the_paper_on_a_resnet_without_normalization():
    model = _resnet18_without_norm()
    ft.init_module_(model, "fixup", seed=0)
    check_fixup(model)


def test_the_fixup_check_catches_a_wrong_exponent(monkeypatch):
    from fastinit.torch import _residual_start

    original = _residual_start.fixup_

    def wrong(model):  # L^(-1/(2m)) instead of L^(-1/(2m-2))
        original(model)
        for block in _residual_start.blocks(model):
            with torch.no_grad():
                block.module.conv1.weight.mul_(8 ** (1 / 2 - 1 / 4))

    monkeypatch.setattr("fastinit.torch._init_module.fixup_", wrong)
    model = _resnet18_without_norm()
    ft.init_module_(model, "fixup", seed=0)
    with pytest.raises(AssertionError):
        check_fixup(model)


class _Plain(nn.Module):  # a residual block without normalization: x + fc2(relu(fc1(x)))
    def __init__(self, d):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x):
        return x + self.fc2(torch.relu(self.fc1(x)))


class _PlainResNet(nn.Module):
    def __init__(self, depth, d=32):
        super().__init__()
        self.stem = nn.Linear(16, d)
        self.blocks = nn.ModuleList(_Plain(d) for _ in range(depth))
        self.head = nn.Linear(d, 4)

    def forward(self, x):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def _first_step_change(depth, **init):
    """How much one SGD step (lr 0.05) moves the network's output on its own batch."""
    model = _PlainResNet(depth)
    ft.init_module_(model, seed=0, **init)
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((64, 16)).astype(np.float32))
    target = torch.from_numpy(np.random.default_rng(2).standard_normal((64, 4)).astype(np.float32))
    before = model(x).detach()
    loss = ((model(x) - target) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.05 * p.grad
    return float((model(x).detach() - before).std())


def test_fixup_makes_the_first_update_independent_of_depth():
    """The paper's design rule: with the L^(-1/(2m-2)) scaling, an SGD step changes the network's
    output by the same amount at any depth; zeroing the branch ends alone (zero_init_residual,
    He elsewhere), it grows with the number of branches."""
    fixup = [_first_step_change(depth, policy="fixup") for depth in (4, 64)]
    assert 0.5 < fixup[1] / fixup[0] < 2
    zeroed = [_first_step_change(depth, policy="kaiming", zero_init_residual=True) for depth in (4, 64)]
    assert zeroed[1] / zeroed[0] > 4


def test_zero_init_residual_zeroes_what_ends_each_branch():
    """torchvision's convention on its own ResNet (bn2), and on a transformer the projections
    that end each branch: every block starts as the identity."""
    tv = require("torchvision")
    resnet = ft.init_module_(tv.models.resnet18(), "kaiming", seed=0, zero_init_residual=True)
    assert not resnet.layer1[0].bn2.weight.any() and resnet.layer1[0].bn1.weight.all()
    llama = ft.init_module_(build("hf-llama"), "normal", seed=0, zero_init_residual=True)
    layer = llama.model.layers[0]
    assert not layer.self_attn.o_proj.weight.any() and not layer.mlp.down_proj.weight.any()
    assert layer.self_attn.q_proj.weight.any()


def test_fixup_refuses_a_model_without_resnet_blocks_before_changing_it():
    model = build("hf-llama")
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with pytest.raises(ValueError, match="'fixup' needs residual blocks whose layers sit side by side"):
        ft.init_module_(model, "fixup", seed=0)
    assert all(torch.equal(p, before[n]) for n, p in model.named_parameters())


class _PreNorm(nn.Module):  # vit-pytorch's layers: ModuleList([PreNorm(attention), PreNorm(feed-forward)])
    def __init__(self, fn):
        super().__init__()
        self.norm, self.fn = nn.LayerNorm(64), fn


class _Merge(nn.Module):  # a patch-merging step after the blocks: changes the width, no residual
    def __init__(self):
        super().__init__()
        self.norm, self.reduction = nn.LayerNorm(64), nn.Linear(64, 128, bias=False)


def test_lists_that_are_one_layer_or_end_in_a_merge_keep_their_runs():
    model = nn.Module()
    model.layers = nn.ModuleList(
        [nn.ModuleList([_PreNorm(_Attention()), _PreNorm(_Mixer())]) for _ in range(6)]
    )
    assert [(b.index, b.count) for b in _structure.blocks(model)] == [(i, 6) for i in range(6)]
    model = nn.Module()
    model.layers = nn.ModuleList([_Mixer() for _ in range(4)] + [_Merge()])
    assert [(b.name, b.count) for b in _structure.blocks(model)] == [(f"layers.{i}", 4) for i in range(4)]


def test_a_policy_on_an_moe_model_is_refused_before_materialize_changes_it():
    class Experts(nn.Module):
        def __init__(self):
            super().__init__()
            self.down_proj = nn.Parameter(torch.zeros(4, 64, 128))

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn, self.experts = nn.Linear(64, 64), Experts()

    with ft.deferred_init():
        model = nn.Sequential(Layer(), Layer())
    with pytest.raises(
        ValueError, match=r"^materialize_: policy 'kaiming' has no rule for the mixture-of-experts"
    ):
        ft.materialize_(model, "kaiming", seed=0)
    assert model[0].attn.weight.is_meta  # nothing materialized: the model's own init still possible
    ft.materialize_(model, seed=0)


@pytest.mark.parametrize("policy", ["torch", "xavier", "kaiming", "lecun", "zerO", "fixup", "deepnorm"])
@pytest.mark.parametrize("keyword", [{"std": 0.5}, {"n_layers": 12}])
def test_a_keyword_the_policy_does_not_read_is_refused(policy, keyword):
    """std= and n_layers= were accepted and ignored under the policies that draw by their own
    rule: a user asking for depth scaling got none, silently. Nothing is changed."""
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(
        ValueError, match=rf"{next(iter(keyword))}=.* policy '{policy}' draws by its own rule"
    ):
        ft.init_module_(model, policy, seed=0, **keyword)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
