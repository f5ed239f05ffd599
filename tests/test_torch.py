"""fastinit.torch: in-place fills of torch tensors (no copy), torch.nn.init signatures,
torch.Generator, accelerate(), init_module_, LSUV and output-bias calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
stats = pytest.importorskip("scipy.stats")
ml_dtypes = pytest.importorskip("ml_dtypes")

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402

nn = torch.nn
P_MIN = 1e-6
DTYPES = {
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.float16: np.float16,
    torch.bfloat16: ml_dtypes.bfloat16,
}


def _bits(t):
    t = t.detach().contiguous()
    return (
        t.view(
            torch.int16 if t.element_size() == 2 else torch.int32 if t.element_size() == 4 else torch.int64
        )
        .numpy()
        .tobytes()
    )


@pytest.mark.parametrize("tdtype", list(DTYPES), ids=lambda d: str(d).split(".")[1])
@pytest.mark.parametrize(
    "fill", ["uniform_", "normal_", "trunc_normal_", "xavier_normal_", "kaiming_uniform_", "lecun_normal_"]
)
def test_tensor_fill_matches_numpy_bit_for_bit(tdtype, fill):
    t = torch.empty((64, 48), dtype=tdtype)
    ptr = t.data_ptr()
    getattr(ft, fill)(t, seed=3, stream=1)
    assert t.data_ptr() == ptr  # in place
    a = getattr(fastinit, fill)(np.empty((64, 48), DTYPES[tdtype]), seed=3, stream=1)
    assert _bits(t) == a.tobytes()


def test_non_contiguous_tensor_gets_its_logical_values():
    base = torch.zeros(30, 40)
    view = base.t()[::2]
    ft.normal_(view, seed=5)
    expected = fastinit.normal_(np.empty(tuple(view.shape), np.float32), seed=5)
    np.testing.assert_array_equal(view.numpy(), expected)
    mask = torch.zeros(30, 40, dtype=torch.bool)
    mask.t()[::2] = True
    assert (base[~mask] == 0).all()


def test_parameter_with_requires_grad_has_no_graph():
    p = nn.Parameter(torch.empty(20, 30))
    version = p._version
    ft.kaiming_normal_(p, seed=1)
    assert p.requires_grad and p.grad_fn is None and p.is_leaf
    assert p._version > version
    (p * 2).sum().backward()  # autograd still works
    assert p.grad is not None


def test_torch_signatures_accept_generator_positionally():
    g1 = torch.Generator().manual_seed(7)
    g2 = torch.Generator().manual_seed(7)
    a = ft.uniform_(torch.empty(100), -1.0, 1.0, g1)
    b = ft.uniform_(torch.empty(100), -1.0, 1.0, generator=g2)
    assert torch.equal(a, b)
    c = ft.uniform_(torch.empty(100), -1.0, 1.0, g1)  # the torch generator advanced
    assert not torch.equal(a, c)
    ft.kaiming_uniform_(
        torch.empty(10, 20), math.sqrt(5), "fan_in", "leaky_relu", torch.Generator().manual_seed(1)
    )
    ft.xavier_uniform_(torch.empty(10, 20), 1.0, fastinit.Generator(2))


def test_torch_generator_seed_rule():
    g = torch.Generator().manual_seed(11)
    lo, hi = torch.randint(
        0, 2**32, (2,), generator=torch.Generator().manual_seed(11), dtype=torch.int64
    ).tolist()
    got = ft.normal_(torch.empty(50, dtype=torch.float64), generator=g)
    expected = fastinit.normal_(np.empty(50), seed=lo | (hi << 32))
    np.testing.assert_array_equal(got.numpy(), expected)


def test_meta_tensors_are_a_no_op_and_other_dtypes_are_errors():
    m = torch.empty(4, 5, device="meta")
    for fill in ("uniform_", "normal_", "orthogonal_", "xavier_uniform_", "eye_"):
        assert getattr(ft, fill)(m) is m
    with pytest.raises(TypeError, match=r"dtype torch.int64 cannot be filled"):
        ft.normal_(torch.zeros(3, dtype=torch.int64), seed=0)
    with pytest.raises(ValueError, match="overlap"):
        ft.normal_(torch.zeros(3).expand(4, 3), seed=0)


@pytest.mark.parametrize(
    ("name", "args", "shape", "expanded"),
    [("constant_", (0.5,), (1, 4), (3, 4)), ("zeros_", (), (1, 4), (3, 4)), ("ones_", (), (1, 4), (3, 4)),
     ("eye_", (), (1, 4), (3, 4)), ("dirac_", (), (1, 2, 3), (2, 2, 3))],
)  # fmt: skip
def test_deterministic_fills_of_an_expanded_view_are_torchs(name, args, shape, expanded):
    """torch fills a stride-0 view with its constant (and eye_/dirac_ as its loops write them);
    fastinit raised that the elements may overlap."""
    ours, theirs = torch.full(shape, 9.0), torch.full(shape, 9.0)
    getattr(ft, name)(ours.expand(expanded), *args)
    getattr(nn.init, name)(theirs.expand(expanded), *args)
    assert torch.equal(ours, theirs)


def test_deterministic_and_matrix_functions_match_torch():
    for shape in [(4, 6), (6, 4)]:
        assert torch.equal(ft.eye_(torch.full(shape, 9.0)), nn.init.eye_(torch.empty(shape)))
    assert torch.equal(
        ft.dirac_(torch.full((6, 3, 3, 3), 9.0), 2), nn.init.dirac_(torch.empty(6, 3, 3, 3), 2)
    )
    assert (ft.constant_(torch.empty(3, dtype=torch.bfloat16), 0.5) == 0.5).all()
    w = ft.orthogonal_(torch.empty(30, 50, dtype=torch.bfloat16), seed=1).float()
    torch.testing.assert_close(w @ w.t(), torch.eye(30), atol=3e-2, rtol=0)
    s = ft.sparse_(torch.empty(40, 10), 0.25, seed=1)
    assert ((s == 0).sum(0) == 10).all()


# ---- accelerate --------------------------------------------------------------------------------


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(500, 64)
        self.conv = nn.Conv2d(3, 16, 3)
        self.fc = nn.Linear(300, 200)
        self.attn = nn.MultiheadAttention(64, 4)
        self.lstm = nn.LSTM(32, 48)
        self.encoder = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128)


def _params(model):
    return {n: p.detach().numpy().reshape(-1).astype(np.float64) for n, p in model.named_parameters()}


def test_accelerate_gives_torch_distributions():
    torch.manual_seed(0)
    plain = _params(Net())
    with ft.accelerate(seed=1):
        fast = _params(Net())
    assert plain.keys() == fast.keys()
    for name in plain:
        if np.unique(plain[name]).size <= 2:  # constants (zero biases, ones)
            np.testing.assert_array_equal(np.unique(plain[name]), np.unique(fast[name]))
            continue
        assert stats.ks_2samp(plain[name], fast[name]).pvalue > P_MIN, name
        assert np.abs(fast[name]).max() <= np.abs(plain[name]).max() * 1.05 + 1e-3 or name.startswith(
            "emb"
        ), name


def test_accelerate_is_reproducible_and_seeded_by_torch():
    with ft.accelerate(seed=5):
        a = _params(Net())
    with ft.accelerate(seed=5):
        b = _params(Net())
    assert all(np.array_equal(a[n], b[n]) for n in a)
    torch.manual_seed(3)
    with ft.accelerate():
        c = _params(Net())
    torch.manual_seed(3)
    with ft.accelerate():
        d = _params(Net())
    assert all(np.array_equal(c[n], d[n]) for n in c)
    assert not np.array_equal(a["fc.weight"], c["fc.weight"])


def test_accelerate_as_decorator_and_hf_style_init():
    @ft.accelerate(seed=2)
    def build():
        model = nn.Sequential(nn.Linear(400, 400), nn.Linear(400, 10))
        for m in model.modules():  # transformers' _init_weights
            if isinstance(m, nn.Linear):
                m.weight.data.normal_(mean=0.0, std=0.02)
                m.bias.data.zero_()
        return model

    model = build()
    w = model[0].weight.detach().numpy().reshape(-1)
    assert stats.kstest(w, stats.norm(0, 0.02).cdf).pvalue > P_MIN
    assert np.array_equal(w, build()[0].weight.detach().numpy().reshape(-1))


def test_accelerate_nests_with_meta_device_and_falls_back():
    with ft.accelerate(seed=0), torch.device("meta"):
        model = Net()
    assert model.fc.weight.device.type == "meta"
    with torch.device("meta"), ft.accelerate(seed=0):
        model = Net()
    assert model.fc.weight.is_meta
    with ft.accelerate(seed=0):
        x = torch.empty(10, dtype=torch.int32).random_(0, 5)  # not handled: torch does it
        assert (x < 5).all()
        with pytest.raises(RuntimeError):
            nn.Parameter(torch.empty(3)).uniform_()  # torch's own autograd error, unchanged
        empty = torch.empty(0, 3)
        nn.init.uniform_(empty)


def test_accelerate_with_torch_compile():
    with ft.accelerate(seed=0):
        model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
        compiled = torch.compile(model, backend="aot_eager")
        x = torch.randn(8, 16)
        out = compiled(x)
    torch.testing.assert_close(out, model(x))


# ---- init_module_ ---------------------------------------------------------------------------------


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.up = nn.Linear(d, 4 * d)
        self.down_proj = nn.Linear(4 * d, d)


class Tiny(nn.Module):
    def __init__(self, d=32, n=3, reverse=False):
        super().__init__()
        self.embed = nn.Embedding(100, d)
        blocks = [Block(d) for _ in range(n)]
        self.layers = nn.ModuleList(blocks)
        self.head = nn.Linear(d, 100, bias=False)
        self.head.weight = self.embed.weight  # tied


@pytest.mark.parametrize("scheme", ["torch", "xavier", "kaiming", "lecun", "normal", "gpt2"])
def test_init_module_policies(scheme):
    model = ft.init_module_(Tiny(), scheme, seed=4)
    up = model.layers[0].up.weight.detach().numpy().reshape(-1)
    down = model.layers[0].down_proj.weight.detach().numpy().reshape(-1)
    expected_std = {
        "torch": 1 / math.sqrt(3 * 32), "xavier": math.sqrt(2 / (32 + 128)), "kaiming": math.sqrt(2 / 32),
        "lecun": math.sqrt(1 / 32), "normal": 0.02, "gpt2": 0.02,
    }[scheme]  # fmt: skip
    assert up.std() == pytest.approx(expected_std, rel=0.05)
    if scheme in ("normal", "gpt2"):
        assert down.std() == pytest.approx(0.02 / math.sqrt(2 * 3), rel=0.05)
    assert (model.layers[1].norm.weight == 1).all() and (model.layers[1].norm.bias == 0).all()
    if scheme != "torch":
        assert (model.layers[0].up.bias == 0).all()
    assert model.head.weight is model.embed.weight


def test_init_module_depends_only_on_names():
    a = ft.init_module_(Tiny(), "normal", seed=9)
    torch.manual_seed(123)  # a different construction history
    b = Tiny()
    b.layers = nn.ModuleList(list(b.layers)[::-1])  # different objects, same names
    ft.init_module_(b, "normal", seed=9)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and torch.equal(pa, pb)


def test_init_module_ignores_wrappers_and_inits_shards_alone():
    class Wrapper(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.module = inner

    bare = ft.init_module_(Tiny(), "gpt2", seed=1)
    wrapped = ft.init_module_(Wrapper(Tiny()), "gpt2", seed=1)
    compiled = torch.compile(Tiny(), backend="aot_eager")
    ft.init_module_(compiled, "gpt2", seed=1)
    for n, p in bare.named_parameters():
        assert torch.equal(p, dict(wrapped.module.named_parameters())[n])
        assert torch.equal(p, dict(compiled._orig_mod.named_parameters())[n])
    # a shard: block 2 alone, under its qualified name, equals the block in the whole model
    shard = nn.Module()
    shard.layers = nn.ModuleList([Block(32) for _ in range(3)])
    ft.init_module_(shard, "gpt2", seed=1, n_layers=3)
    assert torch.equal(shard.layers[2].up.weight, bare.layers[2].up.weight)


def test_init_module_rnn_and_kaiming_gain_from_sequential():
    lstm = ft.init_module_(nn.LSTM(16, 24), "xavier", seed=0)
    forget = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[24:48]
    assert (forget == 1).all()
    hh = lstm.weight_hh_l0.detach()
    for g in range(4):
        block = hh[g * 24 : (g + 1) * 24]
        torch.testing.assert_close(block @ block.t(), torch.eye(24), atol=1e-5, rtol=0)
    net = ft.init_module_(
        nn.Sequential(nn.Linear(500, 500), nn.Tanh(), nn.Linear(500, 500), nn.LeakyReLU(0.2)),
        "kaiming",
        seed=0,
    )
    assert net[0].weight.std().item() == pytest.approx(5 / 3 / math.sqrt(500), rel=0.03)
    assert net[2].weight.std().item() == pytest.approx(math.sqrt(2 / 1.04) / math.sqrt(500), rel=0.03)
    with pytest.raises(ValueError, match="policy='he'"):
        ft.init_module_(net, "he")


def test_zero_init_residual():
    class BasicBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4)
            self.conv2, self.bn2 = nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4)

    model = ft.init_module_(
        nn.Sequential(BasicBlock(), BasicBlock()), "kaiming", seed=0, zero_init_residual=True
    )
    assert (model[0].bn2.weight == 0).all() and (model[0].bn1.weight == 1).all()


# ---- data-dependent ------------------------------------------------------------------------------


def test_lsuv_unit_variance_and_hooks_removed():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.Tanh(), nn.Linear(128, 10))
    x = torch.randn(512, 64)
    ft.lsuv_(model, x, seed=0)
    outs = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: outs.append(o.var().item()))
        for m in model
        if isinstance(m, nn.Linear)
    ]
    model(x)
    for h in hooks:
        h.remove()
    assert all(abs(v - 1) < 0.05 for v in outs)
    assert all(not m._forward_hooks for m in model.modules())


def test_calibrate_output_bias():
    layer = ft.calibrate_output_bias_(nn.Linear(4, 3), torch.tensor([0, 1, 1, 2, 2, 2]))
    torch.testing.assert_close(
        layer.bias.detach(), torch.tensor([1 / 6, 2 / 6, 3 / 6]).log(), atol=1e-4, rtol=0
    )
    binary = ft.calibrate_output_bias_(nn.Linear(4, 1), torch.tensor([0, 0, 0, 1]))
    assert binary.bias.item() == pytest.approx(math.log(0.25 / 0.75), rel=1e-5)
    reg = ft.calibrate_output_bias_(
        nn.Linear(4, 2), torch.tensor([[1.0, 10.0], [3.0, 20.0]]), task="regression"
    )
    torch.testing.assert_close(reg.bias.detach(), torch.tensor([2.0, 15.0]))
    with pytest.raises(ValueError, match="task='ranking'"):
        ft.calibrate_output_bias_(nn.Linear(4, 2), torch.zeros(2), task="ranking")


def test_import_fastinit_does_not_import_torch():
    from conftest import run_python

    result = run_python(
        "import sys, fastinit; import numpy as np; fastinit.normal_(np.empty(3), seed=0); print('torch' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_keyword_docs_say_how_a_torch_call_is_seeded():
    """The shared keyword docs of fastinit.torch's functions said a call without seed= or
    generator= used fastinit's process-wide generator; it draws its seed from torch's (the
    docstrings' first paragraph and docs/torch.md say so), as this checks."""
    documented = [name for name in ft.__all__ if "    generator : " in (getattr(ft, name).__doc__ or "")]
    assert len(documented) >= 10
    for name in documented:
        doc = getattr(ft, name).__doc__
        assert "process-wide generator" not in doc, name
        assert "a seed is drawn from torch's default generator" in " ".join(doc.split()), name
    torch.manual_seed(42)
    a = ft.normal_(torch.empty(5), stream=7)
    fastinit.manual_seed(11)
    torch.manual_seed(42)
    assert torch.equal(ft.normal_(torch.empty(5), stream=7), a)  # torch's seed, not fastinit's generator
