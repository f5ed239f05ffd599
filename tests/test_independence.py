"""Independence (issue 4, part 2), through the battery `python -m fastinit check` runs
(fastinit.tools.battery_independence): serial correlation at several lags; correlation across Philox
blocks, thread-chunk edges and Box-Muller pairs (between the two halves of a pair and between
their squares); between streams 0 and 1 of a seed, seeds s and s + 1, seeds 0 and 1, seeds one
bit apart, named streams and spawn children; bit frequency and runs tests on the raw words.

A check fails at p < 1e-6 (fastinit.tools.stats: family-wise false-alarm rate <= 1e-3 over the
suite). Fixed seeds. CI: 2**21 values (512 chunk edges); slow: 2**26 values (4096 edges).
"""

from __future__ import annotations

import pytest

from fastinit import _core
from fastinit.tools import battery as _battery
from fastinit.tools.battery_independence import CHUNK_ELEMENTS, independence_groups, stream_pairs

pytest.importorskip("scipy")

SEED = _battery.DEFAULT_SEED
GROUPS = independence_groups(_battery.SIZES["default"], SEED)
SLOW_SIZES = _battery.Sizes(
    samples=0,
    scheme_samples=0,
    words=2**26,
    chunks=4096,
    matrices=0,
    identity=0,
    half_samples=0,
    exact_rows=0,
)
SLOW_SEED = 3  # odd, like the default seed, so that seed ^ 1 is not seed + 1
SLOW_GROUPS = independence_groups(SLOW_SIZES, SLOW_SEED)


def _failures(rows):
    return [
        f"{r.distribution}: {r.result.test} {r.result.detail} p={r.result.p_value}"
        for r in rows
        if not r.result.passed
    ]


@pytest.mark.parametrize("group", GROUPS, ids=[g.name for g in GROUPS])
def test_independence(group):
    rows = group.run()
    assert rows
    assert not _failures(rows)


def test_chunk_edges_are_the_engines():
    """The chunk-edge checks target the engine's work items (2**15 elements, csrc/fill.cpp) in
    fills large enough to run on the thread pool."""
    assert CHUNK_ELEMENTS == 2**15
    assert _battery.SIZES["quick"].chunks * CHUNK_ELEMENTS >= _core.parallel_threshold


@pytest.mark.parametrize("seed", [SEED, SLOW_SEED])
def test_stream_pairs_cover_the_issue(seed):
    labels = [label for label, _, _ in stream_pairs(seed)]
    pairs = {label: (a, b) for label, a, b in stream_pairs(seed)}
    assert pairs[f"seed {seed}: streams 0 and 1"] == ((seed, 0), (seed, 1))
    assert pairs[f"seeds {seed} and {seed + 1}"] == ((seed, 0), (seed + 1, 0))
    assert pairs["seeds 0 and 1"] == ((0, 0), (1, 0))
    for bit in (0, 31, 32, 63):
        a, b = pairs[f"seeds {seed} and {seed} ^ 2**{bit}"]
        assert bin(a[0] ^ b[0]).count("1") == 1 and a[1] == b[1] == 0
    assert any("named streams" in label for label in labels)
    assert any("spawn" in label for label in labels)
    assert len(set(tuple(sorted(p)) for p in pairs.values())) == len(pairs)  # no pair repeated


@pytest.mark.slow
@pytest.mark.parametrize("group", SLOW_GROUPS, ids=[g.name for g in SLOW_GROUPS])
def test_independence_2e26(group):
    rows = group.run()
    smallest = min(r.result.p_value for r in rows if r.result.p_value is not None)
    print(f"\n{group.name}: {len(rows)} checks, n={rows[0].n}, smallest p={smallest:.3g}")
    assert not _failures(rows)
