"""fastinit.analysis: the Gaussian moments, the hand-derived backward pass, and measured against
predicted variance propagation (the tolerance below is the one docs/why-init.md states)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit import analysis
from fastinit.tools import activations, propagation

# Measured per-layer variance gain (geometric mean over layers 20-50 of a 50-layer, width-256
# MLP, batch 64) must be within 10% of the prediction. Finite-width fluctuations of that mean
# are a few per cent; a wrong formula is off by a factor (std = 2/n for He: by n/2).
RTOL = 0.10
DEPTH, WIDTH, BATCH, FIRST = 50, 256, 64, 20


def _gains_close(g: analysis.LayerGains) -> bool:
    return math.isclose(g.act_measured, g.act_predicted, rel_tol=RTOL) and math.isclose(
        g.grad_measured, g.grad_predicted, rel_tol=RTOL
    )


def test_import_does_not_pull_torch():
    code = "import sys, fastinit.analysis; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("q", [1e-6, 0.3, 1.0, 7.0, 1e4])
def test_moments_against_closed_forms(q):
    mean, second, fp2 = analysis.activation_gain("relu", q)
    assert mean == pytest.approx(math.sqrt(q / (2 * math.pi)), rel=1e-12)
    assert second == pytest.approx(q / 2, rel=1e-12)
    assert fp2 == pytest.approx(0.5, rel=1e-12)
    assert analysis.activation_gain("linear", q) == pytest.approx((0.0, q, 1.0), rel=1e-12, abs=1e-15)
    s = 0.01
    assert analysis.activation_gain("leaky_relu", q)[1] == pytest.approx(q * (1 + s * s) / 2, rel=1e-12)
    # E[sigmoid(z)] = 1/2 by symmetry; E[selu(z)] = 0 and E[selu(z)^2] = 1 at q = 1 (the SNN fixed point)
    assert analysis.activation_gain("sigmoid", q)[0] == pytest.approx(0.5, rel=1e-13)
    # E[tanh'(z)] = E[1 - tanh^2] links two moments by Stein's lemma: E[z tanh z] = q E[tanh' z]
    stein = analysis.gaussian_expectation(lambda z: z * np.tanh(z), q)
    assert stein == pytest.approx(
        q * analysis.gaussian_expectation(lambda z: 1 - np.tanh(z) ** 2, q), rel=1e-11
    )


def test_selu_fixed_point_and_scipy_quad():
    mean, second, _ = analysis.activation_gain("selu", 1.0)
    assert abs(mean) < 2e-8 and second == pytest.approx(1.0, abs=2e-8)
    integrate = pytest.importorskip("scipy.integrate")
    for act in ("tanh", "sigmoid", "gelu"):
        f = activations.ACTIVATION_FUNCTIONS[act][0]

        def phi(z, f=f):
            return float(f(np.array([z]))[0]) ** 2 * math.exp(-z * z / 4) / math.sqrt(4 * math.pi)

        tol = {"epsabs": 1e-14, "epsrel": 1e-13, "limit": 200}
        exact = integrate.quad(phi, -np.inf, 0, **tol)[0] + integrate.quad(phi, 0, np.inf, **tol)[0]
        assert analysis.activation_gain(act, 2.0)[1] == pytest.approx(exact, rel=1e-9)


def test_erf_and_gelu_against_math():
    x = np.linspace(-6, 6, 2001)
    assert np.max(np.abs(activations.erf(x) - np.array([math.erf(v) for v in x]))) == 0.0


@pytest.mark.parametrize("norm", analysis.NORMALIZATIONS)
@pytest.mark.parametrize("activation", analysis.ACTIVATIONS)
def test_backward_matches_finite_differences(activation, norm):
    """simulate()'s gradient at the input equals the finite-difference gradient of sum(h * r)."""
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal((6, 5)) * 0.5, rng.standard_normal((4, 6)) * 0.5]
    x, r = rng.standard_normal((7, 5)), rng.standard_normal((7, 4))
    f = activations.ACTIVATION_FUNCTIONS[activation][0]

    def loss(x):
        h = x
        for w in ws:
            z = h @ w.T
            if norm != "none":
                z = propagation._normalize(z, 0 if norm == "batch" else 1)[0]
            h = f(z)
        return float((h * r).sum())

    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        num[idx] = (loss(x + d) - loss(x - d)) / (2 * eps)
    _, grad = analysis.simulate(ws, x, r, activation, norm)
    assert grad[0] == pytest.approx(num.std(), rel=1e-6)


FAST = [
    ("relu", "kaiming", None),
    ("relu", "xavier", None),
    ("linear", "naive", None),
    ("tanh", "xavier", None),
    ("relu", "kaiming", "batch"),
]
SLOW = [
    ("linear", "xavier", None), ("linear", "orthogonal", None), ("relu", "lecun", None),
    ("relu", "naive", None), ("relu", "torch", None), ("relu", "orthogonal", None),
    ("leaky_relu", "kaiming", None), ("tanh", "kaiming", None), ("tanh", "orthogonal", None),
    ("sigmoid", "lecun", None), ("sigmoid", "xavier", None), ("selu", "lecun", None),
    ("gelu", "xavier", None), ("gelu", "lecun", None), ("relu", "xavier", "layer"),
    ("tanh", "kaiming", "batch"), ("selu", "naive", "layer"),
]  # fmt: skip
CASES = FAST + [pytest.param(*case, marks=pytest.mark.slow) for case in SLOW]


@pytest.mark.parametrize(("activation", "scheme", "norm"), CASES)
def test_measured_matches_predicted(activation, scheme, norm):
    table = analysis.propagate(DEPTH, WIDTH, activation, scheme, batch=BATCH, normalization=norm, seed=3)
    g = analysis.layer_gains(table, FIRST, DEPTH)
    assert _gains_close(g), g


def test_headline_gains():
    """The issue's numbers: He + ReLU -> 1, Xavier + ReLU -> 1/2, naive + linear -> width * 1e-4."""
    expected = {("relu", "kaiming"): 1.0, ("relu", "xavier"): 0.5, ("linear", "naive"): WIDTH * 1e-4}
    for (act, scheme), gain in expected.items():
        a, g = analysis.predict(DEPTH, WIDTH, act, scheme, batch=BATCH)
        assert (a[DEPTH] / a[FIRST]) ** (2 / (DEPTH - FIRST)) == pytest.approx(gain, rel=1e-12)
        assert (g[FIRST] / g[DEPTH]) ** (2 / (DEPTH - FIRST)) == pytest.approx(gain, rel=1e-12)


@pytest.mark.parametrize(
    ("label", "wrong_std", "scheme"),
    [
        ("He with std = 2/n_in", 2.0 / WIDTH, "kaiming"),
        ("Xavier with std = 1/sqrt(fan_in + fan_out)", 1.0 / math.sqrt(2 * WIDTH), "xavier"),
    ],
)
def test_wrong_formula_fails_the_tolerance(label, wrong_std, scheme):
    """The comparison has teeth: weights drawn with a wrong formula, measured against the right
    prediction, fail; fastinit's own scheme on the same streams passes."""
    x = fastinit.normal((BATCH, WIDTH), dtype="float64", seed=3, stream="input")
    r = fastinit.normal((BATCH, WIDTH), dtype="float64", seed=3, stream="grad")
    act_p, grad_p = analysis.predict(DEPTH, WIDTH, "relu", scheme, batch=BATCH)

    def gains(weights):
        act, grad = analysis.simulate(weights, x, r, "relu")
        rows = [
            analysis.LayerStats(scheme, i, act[i], grad[i], act_p[i], grad_p[i]) for i in range(DEPTH + 1)
        ]
        return analysis.layer_gains(rows, FIRST, DEPTH)

    wrong = [
        fastinit.normal((WIDTH, WIDTH), 0.0, wrong_std, dtype="float64", seed=3, stream=i)
        for i in range(DEPTH)
    ]
    right = [
        propagation.init_weight_(np.empty((WIDTH, WIDTH)), scheme, "relu", 3, str(i)) for i in range(DEPTH)
    ]
    assert not _gains_close(gains(wrong)), label
    assert _gains_close(gains(right))


def test_scheme_std_formulas():
    assert analysis.scheme_std("kaiming", (64, 32), "relu") == pytest.approx(math.sqrt(2 / 32))
    assert analysis.scheme_std("xavier", (64, 32)) == pytest.approx(math.sqrt(2 / 96))
    assert analysis.scheme_std("lecun", (64, 32, 3, 3)) == pytest.approx(math.sqrt(1 / (32 * 9)))
    assert analysis.scheme_std("orthogonal", (64, 32), "tanh") == pytest.approx(5 / 3 / 8)
    assert analysis.scheme_std("torch", (64, 32)) == pytest.approx(1 / math.sqrt(96))
    assert analysis.scheme_std("naive", (5, 5)) == 0.01
    w = propagation.init_weight_(np.empty((400, 300)), "orthogonal", "relu", 0, "w")
    assert w.std() == pytest.approx(analysis.scheme_std("orthogonal", w.shape, "relu"), rel=1e-3)


def test_table_is_reproducible_and_shaped():
    a = analysis.propagate(4, 16, "tanh", "xavier", batch=8, seed=5)
    assert a == analysis.propagate(4, 16, "tanh", "xavier", batch=8, seed=5)
    assert a != analysis.propagate(4, 16, "tanh", "xavier", batch=8, seed=6)
    assert [row.layer for row in a] == [0, 1, 2, 3, 4]
    assert a[-1].grad_std_predicted == 1.0 and a[0].act_std_predicted == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"activation": "swish"}, ValueError, "activation='swish'"),
        ({"scheme": "he"}, ValueError, "scheme='he'"),
        ({"normalization": "group"}, ValueError, "normalization='group'"),
        ({"depth": 0}, ValueError, "depth must be >= 1"),
        ({"width": 0}, ValueError, "width must be >= 1"),
        ({"batch": 1}, ValueError, "batch must be >= 2"),
        ({"depth": 2.5}, TypeError, "depth must be an int"),
        ({"activation": 3}, TypeError, "activation must be a str"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = {"depth": 2, "width": 4, "activation": "relu", "scheme": "kaiming", **kwargs}
    with pytest.raises(error, match=match):
        analysis.propagate(
            args.pop("depth"), args.pop("width"), args.pop("activation"), args.pop("scheme"), **args
        )


def test_cli_table_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from fastinit.__main__ import main

    out = tmp_path / "p.png"
    args = ["propagate", "--depth", "6", "--width", "32", "--batch", "16", "--schemes", "naive,kaiming"]
    assert main([*args, "--plot", str(out)]) == 0
    text = capsys.readouterr().out
    assert "per-layer variance gain" in text and "naive" in text and "kaiming" in text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SystemExit) as e:
        main(["propagate", "--schemes", "naive,he"])
    assert e.value.code == 2 and "scheme='he'" in capsys.readouterr().err
