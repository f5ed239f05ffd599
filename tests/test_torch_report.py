"""fastinit.torch.report: per-layer scales checked against an independent computation; the
model's parameters, buffers, .grad fields, hooks and torch's RNG state are left as they were."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402


def _mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(24, 48), nn.ReLU(inplace=True), nn.Dropout(0.2), nn.Linear(48, 48),
        nn.BatchNorm1d(48), nn.ReLU(), nn.Linear(48, 8),
    )  # fmt: skip


def _hooks(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._backward_hooks) + len(m._forward_pre_hooks) for m in model.modules()
    )


def test_values_match_an_independent_computation():
    model = _mlp().eval()  # eval: no dropout, BatchNorm on running statistics
    x = torch.randn(32, 24)
    recs = ft.report(model, x, "kaiming", seed=4, show=False)
    assert [r.name for r in recs] == ["0.weight", "3.weight", "6.weight"]
    assert [r.shape for r in recs] == [(48, 24), (48, 48), (8, 48)]
    assert [(r.fan_in, r.fan_out) for r in recs] == [(24.0, 48.0), (48.0, 48.0), (48.0, 8.0)]
    assert [r.implied_std for r in recs] == pytest.approx(
        [math.sqrt(2 / 24), math.sqrt(2 / 48), math.sqrt(2 / 48)]
    )
    # by hand: the outputs of the three Linear layers, and the gradients of sum(out * r)
    r = fastinit.normal_(torch.empty(32, 8), seed=4, stream="report")
    z = [None, None, None]
    h = x.clone().requires_grad_(True)
    z[0] = model[0](h)
    z[1] = model[3](torch.relu(z[0]))
    z[2] = model[6](torch.relu(model[4](z[1])))
    grads = torch.autograd.grad((z[2] * r).sum(), z)
    for rec, layer, out, g in zip(recs, (model[0], model[3], model[6]), z, grads):
        assert rec.weight_std == pytest.approx(
            float(layer.weight.detach().double().std(correction=0)), rel=1e-12
        )
        assert rec.output_std == pytest.approx(float(out.detach().double().std(correction=0)), rel=1e-6)
        assert rec.grad_std == pytest.approx(float(g.double().std(correction=0)), rel=1e-6)


def test_model_rng_hooks_and_grads_unchanged():
    model = _mlp().train()  # dropout draws from torch's RNG, BatchNorm updates its buffers
    x = torch.randn(16, 24)
    params = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    ft.report(model, x, show=False)
    assert torch.equal(torch.get_rng_state(), rng)
    for k, v in model.state_dict().items():
        assert torch.equal(v, params[k]) and v.dtype == params[k].dtype, k
        assert v.view(-1).view(torch.uint8).equal(params[k].view(-1).view(torch.uint8)), k  # bit-identical
    assert all(p.grad is None for p in model.parameters())
    assert _hooks(model) == 0
    assert model.training


def test_hooks_removed_and_state_restored_on_error():
    model = _mlp().train()
    x = torch.randn(4, 23)  # the wrong width
    rng = torch.get_rng_state()
    with pytest.raises(RuntimeError):
        ft.report(model, x, show=False)
    assert _hooks(model) == 0
    assert torch.equal(torch.get_rng_state(), rng)


def test_flags_collapsing_and_healthy_networks(capsys):
    torch.manual_seed(1)
    layers = [nn.Linear(64, 64) for _ in range(12)]
    deep = nn.Sequential(*[m for layer in layers for m in (layer, nn.ReLU())])
    for i, layer in enumerate(layers):
        fastinit.normal_(layer.weight, std=0.01, seed=0, stream=i)  # the pre-2010 practice
        fastinit.zeros_(layer.bias)
    x = torch.randn(64, 64)
    naive = ft.report(deep, x, "naive")
    out = capsys.readouterr().out
    assert "act" in out and "0.weight" in out
    # each layer scales by about 0.01 * sqrt(64) / sqrt(2): activations collapse going forward,
    # gradients going back
    assert naive[0].flags == ("act", "grad") and naive[-1].flags == ("act",)
    assert naive[0].grad_std < naive[-1].grad_std * 1e-6  # gradients vanish towards the input
    assert naive[0].implied_std == 0.01 and naive[0].weight_std == pytest.approx(0.01, rel=0.05)
    for i, layer in enumerate(layers):
        fastinit.kaiming_normal_(layer.weight, nonlinearity="relu", seed=0, stream=i)
    he = ft.report(deep, x, show=False)
    assert all(r.flags == () for r in he)
    assert [r.weight_std for r in he] == pytest.approx([r.implied_std for r in he], rel=0.05)


def test_token_input_lstm_and_plot(tmp_path):
    pytest.importorskip("matplotlib")

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(50, 16)
            self.lstm = nn.LSTM(16, 16, batch_first=True)
            self.head = nn.Linear(16, 5)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.lstm(self.emb(ids))[0])

    torch.manual_seed(0)
    model = Tagger()
    out = tmp_path / "r.png"
    recs = ft.report(
        model, torch.randint(0, 50, (4, 7)), "orthogonal", nonlinearity="tanh", show=False, plot=str(out)
    )
    assert [r.name for r in recs] == ["emb.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "head.weight"]
    assert recs[1].output_std == recs[2].output_std  # one module, one output
    assert all(math.isfinite(r.grad_std) for r in recs)
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scheme": "he"}, ValueError, "scheme='he'"),
        ({"nonlinearity": "swish"}, ValueError, "nonlinearity='swish'"),
        ({"threshold": 1}, ValueError, "threshold must be a number > 1"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        ft.report(_mlp(), torch.randn(2, 24), show=False, **kwargs)
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        ft.report(lambda x: x, torch.randn(2, 24))
