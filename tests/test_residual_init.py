"""Identity-like starts for deep networks: ZerO (hadamard_identity_ and init_module_'s "zerO"),
residual gains zeroed by zero_init_residual (SkipInit, ReZero, LayerScale), and
``python -m fastinit propagate --residual``, which shows why: a residual MLP's activations
explode with depth under plain He initialization and stay O(1) under depth scaling or Fixup."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastinit
from fastinit.analysis import propagate_residual
from fastinit.schemes import hadamard as _hadamard

# -- ZerO -----------------------------------------------------------------------------------------


def sylvester(m):
    """The 2^m Hadamard matrix written out entry by entry: H[i, j] = (-1)^popcount(i & j)."""
    n = 2**m
    return np.array([[(-1) ** bin(i & j).count("1") for j in range(n)] for i in range(n)], float)


SHAPES = [(16, 16), (8, 20), (20, 8), (64, 3), (5, 4)]


def check_algorithm_1(shape):
    out, inp = shape
    w = fastinit.hadamard_identity_(np.full(shape, np.nan))
    if out <= inp:
        assert np.array_equal(w, np.eye(out, inp))  # identity / partial identity
    else:
        m = math.ceil(math.log2(out))
        assert np.array_equal(w, 2 ** (-(m - 1) / 2) * sylvester(m)[:out, :inp])


@pytest.mark.parametrize("shape", SHAPES)
def test_zero_one_matrix_is_the_papers_algorithm_1(shape):
    check_algorithm_1(shape)


def test_the_algorithm_check_catches_a_wrong_scale(monkeypatch):
    """c = 2^(-m/2) (an orthonormal Hadamard) instead of ZerO's 2^(-(m-1)/2)."""
    right = _hadamard.zero_one_matrix
    monkeypatch.setattr(
        _hadamard, "zero_one_matrix", lambda r, c: right(r, c) / math.sqrt(2) if r > c else right(r, c)
    )
    with pytest.raises(AssertionError):
        for shape in SHAPES:
            check_algorithm_1(shape)


def test_zero_one_kernels_hold_the_matrix_at_their_centre_in_both_layouts():
    torch = pytest.importorskip("torch")
    oihw = torch.full((40, 16, 3, 5), float("nan"), dtype=torch.bfloat16)
    fastinit.hadamard_identity_(oihw)
    centre = fastinit.hadamard_identity_(np.empty((40, 16)))
    assert torch.equal(oihw[:, :, 1, 2].float(), torch.from_numpy(centre).to(torch.bfloat16).float())
    assert int(torch.count_nonzero(oihw)) == int(np.count_nonzero(centre))
    hwio = fastinit.hadamard_identity_(np.empty((3, 5, 16, 40), np.float32), layout="hwio")
    assert np.array_equal(hwio[1, 2], centre.T.astype(np.float32)) and np.count_nonzero(
        hwio
    ) == np.count_nonzero(centre)


def test_zero_one_refuses_bad_arguments_untouched():
    a = np.full((3,), 7.0)
    with pytest.raises(ValueError, match=r"2 to 5 dimensions; got shape \(3,\)"):
        fastinit.hadamard_identity_(a)
    b = np.full((4, 4), 7.0)
    with pytest.raises(ValueError, match="layout='ohwi'"):
        fastinit.hadamard_identity_(b, layout="ohwi")
    assert (a == 7).all() and (b == 7).all()


def test_zero_o_policy_on_a_resnet_without_normalization():
    """ZerO's Algorithm 2: every weight from Algorithm 1 (no random draw: any seed gives the
    same model) and the last layer of each residual branch zero, so each block starts as its
    shortcut; the shortcut projections keep their Hadamard blocks."""
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("zoo").require("torchvision")
    import fastinit.torch as ft

    def build(seed):
        return ft.init_module_(
            tv.models.resnet18(norm_layer=lambda c: torch.nn.Identity()), "zerO", seed=seed
        )

    a, b = build(0), build(1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    for stage in (a.layer1, a.layer2, a.layer3, a.layer4):
        for block in stage:
            assert not block.conv2.weight.any()
            w = block.conv1.weight.detach()
            expected = fastinit.hadamard_identity_(np.empty(tuple(w.shape[:2])))
            assert np.array_equal(w[:, :, 1, 1].numpy(), expected.astype(np.float32))
            if block.downsample is not None:
                assert block.downsample[0].weight.detach().abs().max() > 0


def test_zero_o_makes_a_deep_network_of_square_layers_the_identity():
    """The property ZerO starts from: a stack of square layers is exactly the identity at any
    depth, and a widening layer (Hadamard) followed by a narrowing one (partial identity) keeps
    every input direction: the composed map has full rank, where a partial identity followed by
    its transpose leaves half the wide layer at zero for every input."""
    x = np.random.default_rng(0).standard_normal((16, 32))
    h = x
    for _ in range(64):
        h = h @ fastinit.hadamard_identity_(np.empty((32, 32))).T
    assert np.array_equal(h, x)
    wide = fastinit.hadamard_identity_(np.empty((64, 32)))
    narrow = fastinit.hadamard_identity_(np.empty((32, 64)))
    assert np.linalg.matrix_rank(narrow @ wide) == 32
    assert np.count_nonzero(np.abs(x @ wide.T).min(axis=0) > 0) == 64  # every wide unit is used
    assert np.count_nonzero(np.abs(x @ np.eye(64, 32).T).max(axis=0) > 0) == 32


# -- residual gains ----------------------------------------------------------------------------


def test_zero_init_residual_zeroes_the_residual_gains_where_a_block_has_them():
    torch = pytest.importorskip("torch")
    import fastinit.torch as ft

    nn = torch.nn

    class ReZero(nn.Module):  # Bachlechner et al. 2020: x + alpha * F(x), alpha a scalar
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(16, 32), nn.Linear(32, 16)
            self.resweight = nn.Parameter(torch.ones(()))

        def reset_parameters(self):  # the block's own code sets its gain
            nn.init.ones_(self.resweight)

    model = nn.Sequential(*(ReZero() for _ in range(3)))
    ft.init_module_(model, "kaiming", seed=0, zero_init_residual=True)
    assert all(float(b.resweight.detach()) == 0 for b in model) and all(
        b.fc2.weight.abs().max() > 0 for b in model
    )


def test_zero_init_residual_on_timm_layer_scale_and_convnext_gamma():
    """timm's ViT with LayerScale (ls1.gamma, ls2.gamma) and ConvNeXt (its blocks' gamma): the
    gains are zeroed, the projections keep their draws, and init_module_ does not warn that it
    kept the gains' values (only the ViT's tokens, which no code sets; tests turn any other
    warning into an error)."""
    zoo = pytest.importorskip("zoo")
    timm = zoo.require("timm")
    import fastinit.torch as ft

    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, init_values=1e-5, depth=2)
    with pytest.warns(RuntimeWarning, match=r"kept the values of cls_token, pos_embed: ") as kept:
        ft.init_module_(vit, "normal", seed=0, zero_init_residual=True)
    assert "gamma" not in str(kept[0].message)
    for block in vit.blocks:
        assert not block.ls1.gamma.any() and not block.ls2.gamma.any()
        assert block.attn.proj.weight.abs().max() > 0 and block.mlp.fc2.weight.abs().max() > 0
    convnext = timm.create_model("convnext_atto", pretrained=False)
    ft.init_module_(convnext, "torch", seed=0, zero_init_residual=True)
    for stage in convnext.stages:
        for block in stage.blocks:
            assert not block.gamma.any() and block.mlp.fc2.weight.abs().max() > 0


def test_zero_init_residual_zeroes_the_branch_not_the_shortcut_without_norms():
    """A ResNet without normalization: the branch's conv2 is zeroed in every block, and the
    shortcut projection (downsample) keeps its draw."""
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("zoo").require("torchvision")
    import fastinit.torch as ft

    model = tv.models.resnet18(norm_layer=lambda c: torch.nn.Identity())
    ft.init_module_(model, "kaiming", seed=0, zero_init_residual=True)
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            assert not block.conv2.weight.any() and block.conv1.weight.abs().max() > 0
            if block.downsample is not None:
                assert block.downsample[0].weight.abs().max() > 0


# -- propagate --residual -------------------------------------------------------------------------


def test_residual_propagation_explodes_under_plain_init_and_not_under_depth_rules():
    plain, scaled, fixup = (
        propagate_residual(32, 128, "relu", s, batch=64) for s in ("plain", "depth_scaled", "fixup")
    )
    assert plain[-1].act_std > 1e6 and plain[0].grad_std > 1e6  # 3x variance per block
    assert 1 < scaled[-1].act_std < 4 and 1 < scaled[0].grad_std < 4  # (1 + 2/L)^L ~ e^2 in variance
    assert all(row.act_std == fixup[0].act_std for row in fixup)  # every block the identity
    for table in (plain, scaled):
        for row in table[::8]:
            assert row.act_std == pytest.approx(row.act_std_predicted, rel=0.5)
            assert row.grad_std == pytest.approx(row.grad_std_predicted, rel=0.5)


def test_residual_propagation_prediction_is_the_mean_field_recursion():
    """Written out: relu, He weights (Var 2/width); each block multiplies the mean square by
    1 + 2 * s**2 (s the factor on B), backward the same."""
    for scheme, s in (("plain", 1.0), ("depth_scaled", 1 / math.sqrt(10))):
        rows = propagate_residual(10, 64, "relu", scheme, batch=8)
        for row in rows:
            assert row.act_std_predicted == pytest.approx((1 + 2 * s**2) ** (row.layer / 2), rel=1e-9)
            assert row.grad_std_predicted == pytest.approx((1 + 2 * s**2) ** ((10 - row.layer) / 2), rel=1e-9)


def test_propagate_cli_residual(capsys):
    from fastinit.__main__ import main

    assert main(["propagate", "--residual", "--depth", "8", "--width", "32", "--batch", "16"]) == 0
    text = capsys.readouterr().out
    assert "8 residual blocks" in text and all(s in text for s in ("plain", "depth_scaled", "fixup"))
    for bad, message in (
        (["--schemes", "kaiming"], "scheme='kaiming'"),
        (["--normalization", "batch"], "no normalization"),
    ):
        with pytest.raises(SystemExit) as e:
            main(["propagate", "--residual", *bad])
        assert e.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(ValueError, match="scheme='rezero'"):
        propagate_residual(4, 8, "relu", "rezero")
