"""``python -m fastinit check [--quick | --full] [--verbose] [--seed S] [--plot FILE.png]``: prove
that this installation, on this CPU, draws from the right distributions.

Runs the statistical battery (fastinit.tools.battery, fastinit.tools.battery_independence) on the default
instruction-set path, then checks that every other path this CPU supports gives bit-identical
values (so the statistics carry over to them), prints a summary (groups run, checks passed and
failed, the smallest p-value, the time) and every failed check as a table row (distribution,
dtype, ISA, n, test, statistic, p-value, verdict) — every check's row with ``--verbose`` — and
returns the exit status: 0 when everything passes, 1 when any check fails, 2 when a needed
package is missing.

Modes: ``--quick`` (every check at 2**16 values per distribution, 2**17 for the half types: a
few seconds on 2 cores), the default (2**21, the size the CI test suite uses, about 30 s) and
``--full`` (2**24, about 3 minutes). The threshold of every statistical check is p < 1e-6; the
summary states the family-wise false-alarm bound (number of p-values x 1e-6, Bonferroni).
"""

from __future__ import annotations

import sys
import time
from functools import partial
from typing import Any, TextIO

import numpy as np

from .. import _core
from ..engine.info import cpu_name, info
from .battery import distribution_groups, half_dtypes
from .battery_groups import DEFAULT_SEED, SIZES, Group, Row, Sizes
from .battery_independence import independence_groups
from .plot import check_target, plot_distributions
from .stats import MAX_P_VALUES, P_FAIL, exact_check

__all__ = ["format_row", "isa_groups", "main", "run"]

COLUMNS = (("distribution", 46), ("dtype", 9), ("ISA", 7), ("n", 9), ("test", 38), ("statistic", 48))
IDENTITY_CASES = [  # (label, law, stream version)
    ("uniform[-1.5, 2.5)", _core.Law.uniform(-1.5, 2.5), 1),
    ("normal(0.25, 3)", _core.Law.normal(0.25, 3.0), 1),
    ("normal(0.25, 3) stream v2", _core.Law.normal(0.25, 3.0), 2),
    ("trunc_normal(0, 1, [-0.7, 2.2])", _core.Law.trunc_normal(0.0, 1.0, -0.7, 2.2), 1),
    ("trunc_normal(0, 1, [3, 5])", _core.Law.trunc_normal(0.0, 1.0, 3.0, 5.0), 1),
]
IDENTITY_OFFSET = 2**33 + 1  # odd (a Box-Muller pair split at the start), far into the stream


def _identity_rows(isa: str, reference: str, n: int, seed: int) -> list[Row]:
    rows = []
    dtypes: list[np.dtype[Any]] = [np.dtype(np.float32), np.dtype(np.float64), *half_dtypes()]
    for label, law, version in IDENTITY_CASES:
        key = _core.Key(seed, 7, IDENTITY_OFFSET, None, None, version)
        for dt in dtypes:
            got, want = np.empty(n, dt), np.empty(n, dt)
            _core.fill(got, law, key, isa)
            _core.fill(want, law, key, reference)
            differ = int(np.count_nonzero(got.view(np.uint8) != want.view(np.uint8)))
            result = exact_check(
                f"bit-identical to {reference}", differ == 0, differ, f"{differ} bytes differ"
            )
            rows.append(Row(label, dt.name, isa, n, result))
    for version in (1, 2):
        w_got = _core.words(seed, 7, IDENTITY_OFFSET, n, isa, 0, version)
        w_want = _core.words(seed, 7, IDENTITY_OFFSET, n, reference, 0, version)
        differ = int(np.count_nonzero(w_got != w_want))
        result = exact_check(f"bit-identical to {reference}", differ == 0, differ, f"{differ} words differ")
        rows.append(Row("raw words" + (" stream v2" if version == 2 else ""), "uint32", isa, n, result))
    return rows


def isa_groups(sizes: Sizes, seed: int = DEFAULT_SEED) -> list[Group]:
    """One group per instruction set this CPU runs other than the active one: every fill
    (uniform, normal in both stream versions, two truncated normals; float32, float64, float16,
    bfloat16) and the raw words of both versions, bit for bit against the active path, over
    several work items at an odd offset."""
    active = str(_core.isa())
    return [
        Group(f"ISA {isa}", partial(_identity_rows, isa, active, sizes.identity, seed))
        for isa in _core.available_isas()
        if isa != active
    ]


def _p_text(p: float | None) -> str:
    return "-" if p is None else f"{p:.3g}"


def format_row(row: Row) -> str:
    """One table line: distribution, dtype, ISA, n, test, statistic, p-value, verdict."""
    r = row.result
    cells = (row.distribution, row.dtype, row.isa, str(row.n), r.test, r.detail)
    text = " ".join(c.ljust(w) for c, (_, w) in zip(cells, COLUMNS))
    return f"{text} {_p_text(r.p_value).rjust(9)}  {r.verdict}"


def _header() -> str:
    cells = " ".join(name.ljust(w) for name, w in COLUMNS)
    return f"{cells} {'p-value'.rjust(9)}  verdict"


def _summary(groups: int, rows: list[Row], seconds: float) -> list[str]:
    """The summary lines: groups and checks run, passed and failed, the smallest p-value and
    where, the family-wise false-alarm bound, and the time."""
    failed = sum(not r.result.passed for r in rows)
    with_p = [r for r in rows if r.result.p_value is not None]
    worst = min(with_p, key=lambda r: r.result.p_value or 0.0, default=None)
    lines = [
        f"{groups} groups, {len(rows)} checks: {len(rows) - failed} passed, {failed} failed, in {seconds:.1f} s",
        f"{len(with_p)} p-values: family-wise false-alarm bound {len(with_p)} x {P_FAIL:g} = "
        f"{len(with_p) * P_FAIL:.1e} (budget {MAX_P_VALUES} p-values)",
    ]
    if worst is not None:
        lines.append(
            f"smallest p-value {_p_text(worst.result.p_value)} (fails below {P_FAIL:g}): "
            f"{worst.distribution} {worst.dtype}, {worst.result.test}"
        )
    return lines


def run(
    mode: str = "default", seed: int = DEFAULT_SEED, out: TextIO | None = None, verbose: bool = False
) -> tuple[int, list[Row]]:
    """Run the battery of `mode` ("quick", "default" or "full") with base seed `seed` and print
    a summary to out (default stdout): groups run, checks passed and failed, the smallest
    p-value, the time; every failed check as a table row; with `verbose`, every check's row as
    it runs. Returns (exit status, rows)."""

    out = sys.stdout if out is None else out
    sizes = SIZES[mode]
    details = info()
    print(
        f"fastinit {details['version']} check ({mode}): stream version {details['stream_version']}, "
        f"ISA {details['isa']} (available: {', '.join(details['isas_available'])}), "
        f"{details['threads']} threads, {cpu_name()}, numpy {np.__version__}, seed {seed}",
        file=out,
    )
    if verbose:
        print(f"A statistical check fails when p < {P_FAIL:g}; exact checks have no p-value.", file=out)
        print(_header(), file=out)
    start = time.perf_counter()
    groups = distribution_groups(sizes, seed) + independence_groups(sizes, seed) + isa_groups(sizes, seed)
    rows: list[Row] = []
    for group in groups:
        for row in group.run():
            rows.append(row)
            if verbose:
                print(format_row(row), file=out, flush=True)
    failed = [r for r in rows if not r.result.passed]
    print(
        ("\n" if verbose else "") + "\n".join(_summary(len(groups), rows, time.perf_counter() - start)),
        file=out,
    )
    if failed:
        print(f"FAILED: {len(failed)} of {len(rows)} checks:", file=out)
        print("  " + _header(), file=out)
        for r in failed:
            print("  " + format_row(r), file=out)
        return 1, rows
    print("PASSED: every check passed" + ("." if verbose else " (--verbose prints each check)."), file=out)
    return 0, rows


def main(
    mode: str = "default", seed: int = DEFAULT_SEED, plot: str | None = None, verbose: bool = False
) -> int:
    """The check command: the exit status (0 pass, 1 a check failed, 2 a package is missing)."""
    try:
        import scipy  # noqa: F401
    except ImportError:
        print("python -m fastinit check needs scipy: pip install scipy", file=sys.stderr)
        return 2
    if plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print(
                "--plot needs matplotlib: pip install matplotlib (or pip install 'fastinit[plot]')",
                file=sys.stderr,
            )
            return 2

        problem = check_target(plot)
        if problem:
            print(problem, file=sys.stderr)
            return 2
    status, _ = run(mode, seed, verbose=verbose)
    if plot is not None:
        plot_distributions(plot, SIZES[mode].samples, seed)
        print(f"plot written to {plot}")
    return status
