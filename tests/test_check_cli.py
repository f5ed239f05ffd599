"""`python -m fastinit check` (the statistical self-test of an installation) and `python -m
fastinit raw` (raw words for external RNG batteries): the table, the exit status, the plot, the
words on stdout, and clear errors for bad input."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit import __main__ as cli
from fastinit import _core
from fastinit.tools import battery as _battery
from fastinit.tools import check as _check
from fastinit.tools import exact_laws as _laws
from fastinit.tools import stats as _stats
from fastinit.tools import word_tests as _word_tests

pytest.importorskip("scipy")

HEADER = ("distribution", "dtype", "ISA", "n", "test", "statistic", "p-value", "verdict")


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "fastinit", *args], capture_output=True, timeout=timeout)


def test_check_quick_prints_a_short_summary():
    result = _run("check", "--quick")
    out = result.stdout.decode()
    assert result.returncode == 0, out[-3000:] + result.stderr.decode()
    lines = out.splitlines()
    assert len(lines) <= 6, out  # no table: the per-check rows need --verbose
    assert not any(line.rstrip().endswith((" pass", " FAIL")) for line in lines)
    assert lines[0].startswith("fastinit ") and "check (quick)" in lines[0]
    groups, checks = (int(n) for n in re.search(r"(\d+) groups, (\d+) checks", out).groups())
    assert groups >= 80 and checks > 500
    assert f"{checks} passed, 0 failed, in " in out and re.search(r"in \d+\.\d s", out)
    assert "family-wise false-alarm bound" in out and re.search(r"smallest p-value \d", out)
    assert lines[-1].startswith("PASSED") and "--verbose" in lines[-1]


def test_summary_names_the_smallest_p_value():
    rows = [
        _battery.Row("a", "float32", "avx2", 10, _stats.judge("KS", 0.1, 0.5, "")),
        _battery.Row("b", "float64", "avx2", 10, _stats.judge("variance", 3.0, 2e-7, "")),
        _battery.Row("c", "uint32", "avx2", 10, _stats.exact_check("bit-identical", True, 0, "")),
    ]
    lines = _check._summary(2, rows, 1.25)
    assert lines[0] == "2 groups, 3 checks: 2 passed, 1 failed, in 1.2 s"
    assert lines[1].startswith("2 p-values: family-wise false-alarm bound 2 x 1e-06 = 2.0e-06")
    assert lines[2] == "smallest p-value 2e-07 (fails below 1e-06): b float64, variance"


def test_check_quick_verbose_prints_the_table_and_passes(tmp_path):
    plot = tmp_path / "check.png"
    has_matplotlib = True
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        has_matplotlib = False
    args = ["check", "--quick", "--verbose"] + (["--plot", str(plot)] if has_matplotlib else [])
    result = _run(*args)
    out = result.stdout.decode()
    assert result.returncode == 0, out[-3000:] + result.stderr.decode()
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("distribution"))
    assert header.split() == [h for h in HEADER]
    rows = [line for line in lines if line.rstrip().endswith((" pass", " FAIL"))]
    assert len(rows) > 500 and all(r.rstrip().endswith("pass") for r in rows)
    active = _core.isa()
    for isa in _core.available_isas():
        assert any(f" {isa} " in r for r in rows), isa  # the default path and every other ISA
        if isa != active:
            assert any(f" {isa} " in r and f"bit-identical to {active}" in r for r in rows)
    for name in ("normal(0, 1)", "trunc_normal(0, 1, [3, 5])", "xavier_uniform_", "orthogonal_",
                 "sparse_", "Box-Muller pairs", "thread chunks", "seeds 0 and 1", "bits: seed 0"):  # fmt: skip
        assert any(r.startswith(name) for r in rows), name
    for test in ("KS", "chi-square", "mean", "variance", "skewness", "excess kurtosis", "bounds"):
        assert any(f" {test} " in r for r in rows), test
    assert "family-wise false-alarm bound" in out and "PASSED" in out
    if has_matplotlib:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _broken_group():
    """A correct normal_ fill checked against a law 1% too wide: the battery must fail it."""
    wrong = _laws.Normal(0.0, 1.01)

    def run():
        x = fastinit.normal((2**18,), seed=1)
        return [_battery.Row("broken normal", "float32", "avx512", x.size, r)
                for r in _battery.continuous_results(x, wrong, None)]  # fmt: skip

    return [_battery.Group("broken", run)]


def test_check_fails_with_exit_status_1(monkeypatch, capsys):
    monkeypatch.setattr(_check, "distribution_groups", lambda sizes, seed: _broken_group())
    monkeypatch.setattr(_check, "independence_groups", lambda sizes, seed: [])
    monkeypatch.setattr(_check, "isa_groups", lambda sizes, seed: [])
    assert cli.main(["check", "--quick"]) == 1
    out = capsys.readouterr().out
    assert "FAILED:" in out and " FAIL" in out and "variance" in out
    # without --verbose only the failed checks print, under the table's header
    assert not any(line.rstrip().endswith(" pass") for line in out.splitlines())
    assert "1 groups, " in out and " failed, in " in out and "  distribution " in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--quick", "--full"], "not allowed with argument"),
        (["check", "--seed", "-5"], "must be an integer in [0, 2**64)"),
        (["check", "--seed", "abc"], "must be an integer in [0, 2**64)"),
        (["raw"], "the following arguments are required: --seed"),
        (["raw", "--seed", "2**64"], "must be an integer in [0, 2**64)"),
        (["raw", "--seed", str(2**64)], "must be an integer in [0, 2**64)"),
        (["raw", "--seed", "1", "--count", "-1"], "must be an integer in [0, 2**58]"),
        (["raw", "--seed", "1", "--count", "ten"], "must be an integer >= 0"),
        (["--repeats", "0"], "must be an integer > 0"),
        (["bench", "--repeats", "-1"], "must be an integer > 0"),
        (["bench", "--engine", "--size-mib", "-1"], "must be a finite number >= 0.00390625"),
        (["bench", "--size-mib", "inf"], "must be a finite number >= 0.00390625"),
        # an empty buffer divided by zero in the report (a traceback)
        (["bench", "--engine", "--size-mib", "1e-9"], "must be a finite number >= 0.00390625"),
        (["propagate", "--every", "0"], "must be an integer > 0"),
    ],
)
def test_bad_arguments_are_clear_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "message"),
    [("out.xyz", "must end in one of"), (os.path.join("missing", "x.png"), "does not exist")],
)
def test_bad_plot_target_is_refused_before_the_run(tmp_path, name, message, capsys):
    pytest.importorskip("matplotlib")
    assert _check.main("quick", plot=str(tmp_path / name)) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "distribution" not in captured.out


def test_plot_without_matplotlib_says_how_to_get_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert _check.main("quick", plot="x.png") == 2
    assert "pip install 'fastinit[plot]'" in capsys.readouterr().err


# ---- raw ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "seed", "stream", "first", "count"),
    [
        (["--seed", "1", "--count", "1000"], 1, 0, 0, 1000),
        (["--seed", "0x10", "--stream", "3", "--first", "5", "--count", "17"], 16, 3, 5, 17),
        (
            ["--seed", "7", "--stream", "layers.0.weight", "--count", "64"],
            7,
            fastinit.stream_id("layers.0.weight"),
            0,
            64,
        ),
        (["--seed", "1", "--count", str(3 * 2**20 + 5)], 1, 0, 0, 3 * 2**20 + 5),  # several chunks
        (["--seed", "1", "--count", "0"], 1, 0, 0, 0),
        (["--seed", "1", "--stream", "08", "--count", "8"], 1, 8, 0, 8),  # a number, not a name
        (["--seed", "1", "--stream", "", "--count", "8"], 1, fastinit.stream_id(""), 0, 8),  # the name ""
    ],
)
def test_raw_writes_the_stream_little_endian(args, seed, stream, first, count):
    result = _run("raw", *args)
    assert result.returncode == 0, result.stderr.decode()
    want = _core.words(seed, stream, first, count).astype("<u4").tobytes() if count else b""
    assert result.stdout == want


def test_raw_stops_quietly_when_the_reader_goes_away():
    command = [sys.executable, "-m", "fastinit", "raw", "--seed", "1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        head = proc.stdout.read(4096)
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=60) == 0
    assert err == b""  # no BrokenPipeError traceback
    assert head == _core.words(1, 0, 0, 1024).astype("<u4").tobytes()


def test_raw_refuses_the_end_of_the_stream():
    result = _run("raw", "--seed", "1", "--first", str(2**58 - 4), "--count", "8")
    assert result.returncode == 2 and b"2**58" in result.stderr


def test_raw_words_are_uniform_bits():
    """The words raw writes pass the battery's bit tests (what dieharder reads)."""

    data = np.frombuffer(_run("raw", "--seed", "1", "--count", str(2**20)).stdout, dtype="<u4")
    assert data.size == 2**20
    assert _word_tests.bit_frequency_test(data).passed and _word_tests.runs_test(data).passed
