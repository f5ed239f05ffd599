"""Every instruction-set path gives the same bits, in-process (the core's isa= argument) and as
chosen at import by FASTINIT_ISA in a fresh interpreter."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fastinit
from conftest import ISAS, run_python
from fastinit import _core

LAWS = [
    _core.Law.uniform(-1.5, 2.5),
    _core.Law.normal(0.25, 3.0),
    _core.Law.trunc_normal(0.0, 1.0, -0.7, 2.2),
    # version 2's float32 quantile table with its tail branch (q below 2**-9) on the left
    _core.Law.trunc_normal(0.0, 1.0, -3.5, 2.2),
    # a window of less than 2**-9 of the mass: version 2 inverts it in float64 for float32
    _core.Law.trunc_normal(0.0, 1.0, 0.5, 0.5001),
]


def _fill(isa: str, law, dtype, n: int, offset: int, version: int = 1) -> np.ndarray:
    out = np.empty(n, dtype)
    _core.fill(out, law, _core.Key(77, 5, offset, None, None, version), isa)
    return out


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize(
    "law", LAWS, ids=["uniform", "normal", "trunc_normal", "trunc_normal_tail", "trunc_normal_narrow"]
)
@pytest.mark.parametrize(("n", "offset"), [(1, 0), (1000, 3), (200_003, 2**33 + 1)])
@pytest.mark.parametrize("version", [1, 2])
def test_isa_matches_scalar_bit_for_bit(isa, dtype, law, n, offset, version):
    expected = _fill("scalar", law, dtype, n, offset, version)
    got = _fill(isa, law, dtype, n, offset, version)
    assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("isa", ISAS)
def test_words_match_across_isas(isa):
    assert _core.words(3, 4, 5, 100_001, isa).tobytes() == _core.words(3, 4, 5, 100_001, "scalar").tobytes()


PROBE = """
import json, numpy as np, fastinit
a = np.empty(100_000, np.float32); fastinit.normal_(a, seed=11, stream=2)
b = np.empty(50_001, np.float64); fastinit.trunc_normal_(b, seed=11, stream=3, a=-1, b=1.5)
print(json.dumps({"isa": fastinit.info()["isa"], "a": a.tobytes().hex()[:4000],
                  "sum_a": float(a.astype(np.float64).sum()), "sum_b": float(b.sum())}))
"""


@pytest.mark.parametrize("isa", ISAS)
def test_forced_isa_in_fresh_process(isa):
    result = run_python(PROBE, FASTINIT_ISA=isa)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["isa"] == isa
    a = fastinit.normal_(np.empty(100_000, np.float32), seed=11, stream=2)
    b = fastinit.trunc_normal_(np.empty(50_001, np.float64), seed=11, stream=3, a=-1, b=1.5)
    assert got["a"] == a.tobytes().hex()[:4000]
    assert got["sum_a"] == float(a.astype(np.float64).sum())
    assert got["sum_b"] == float(b.sum())


def test_default_isa_is_the_best_available():
    assert fastinit.info()["isa"] == ISAS[0]
    assert ISAS[-1] == "scalar"


def test_unknown_isa_is_a_clear_error():
    result = run_python("import fastinit", FASTINIT_ISA="sse9")
    assert result.returncode != 0
    assert "FASTINIT_ISA='sse9'" in result.stderr and "allowed" in result.stderr
