"""What a statistical battery run is made of (fastinit.tools.battery, .battery_independence):
its sample sizes per mode, its seed, the named groups of checks and the report's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .stats import Result

__all__ = ["DEFAULT_SEED", "SIZES", "Group", "Row", "Sizes"]

DEFAULT_SEED = 12345


@dataclass(frozen=True)
class Sizes:
    """Sample sizes of one battery mode."""

    samples: int  # values per distribution and dtype
    scheme_samples: int  # values per scheme and dtype
    words: int  # raw words (or values) per independence check
    chunks: int  # thread-chunk boundaries crossed by one fill
    matrices: int  # orthogonal_ matrices per shape and dtype
    identity: int  # elements per ISA bit-identity comparison
    half_samples: int  # values per half-precision distribution (its discrete checks need 2**17)
    exact_rows: int  # orthogonal_'s exactness checked on (rows, 2 rows) and (2 rows, rows)


# quick: every group and check, at sizes that take a few seconds (a 2% scale error is still
# 7 standard errors out; 64x128 matrices stay below OpenBLAS's threading, whose QR of 128x256
# took 2.6 s instead of 8 ms on a busy 2-core machine); default: the CI suite's; full: release.
SIZES = {
    "quick": Sizes(2**16, 2**15, 2**16, 64, 300, 3 * 2**15 + 7, 2**17, 64),
    "default": Sizes(2**21, 2**20, 2**21, 512, 20_000, 5 * 2**15 + 7, 2**21, 128),
    "full": Sizes(2**24, 2**22, 2**24, 4096, 100_000, 9 * 2**15 + 7, 2**24, 128),
}


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    distribution: str
    dtype: str
    isa: str
    n: int
    result: Result


@dataclass(frozen=True)
class Group:
    """A named list of checks, run on demand."""

    name: str
    run: Callable[[], list[Row]]
