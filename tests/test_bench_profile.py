"""The engine benchmark's profile table (fastinit.tools.benchmark.profile) and the engine
benchmark that prints it: the arithmetic of the rows, not the speeds (timings are never tested)."""

import pytest

from fastinit.tools.benchmark import cli, profile


def test_profile_rows_split_each_fill_into_its_words_and_its_transform():
    rows = {r["case"]: r for r in profile.run(rounds=1, calls=2)}
    assert len(rows) == 11
    philox = rows["words, version 1 (Philox4x32-10)"]["ns_per_value"]
    ars = rows["words, version 2 (ARS4x32-7)"]["ns_per_value"]
    expected_words = {
        "uniform_ float32": philox,
        "normal_ float32, version 1": philox,
        "normal_ float32, version 2": ars,
        "trunc_normal_ float32, version 1": philox,
        "trunc_normal_ float32, version 2": ars,
        "trunc_normal_ float32 std=0.02, version 1": philox,
        "trunc_normal_ float32 std=0.02, version 2": ars,
        "normal_ float64, version 1": 2 * philox,  # two words a float64 value
        "normal_ float64, version 2": 2 * ars,
    }
    for case, words in expected_words.items():
        r = rows[case]
        assert r["words_ns"] == pytest.approx(words)
        assert r["transform_ns"] == pytest.approx(r["ns_per_value"] - words)
    assert "words_ns" not in rows["words, version 1 (Philox4x32-10)"]


def test_engine_benchmark_prints_the_profile_after_its_table():
    result = cli.run(size_mib=1, repeats=1)
    text = cli.markdown(result)
    assert text.index("| store limit") < text.index("Where one thread's time goes")
    assert text.count("| normal_ float32, version") == 2
