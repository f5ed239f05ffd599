"""Every FASTINIT_* environment variable, read here and nowhere else in Python (the C++ core
reads its own in csrc/environment.cpp):

* FASTINIT_SEED — the process-wide generator's seed, an integer in [0, 2**64) (decimal, or
  0x... hex); unset: drawn from OS entropy.
* FASTINIT_STREAM_VERSION — the stream version of calls that name none, 1 or 2 (docs/stream.md;
  unset: 2). Read once, at import.
* FASTINIT_NUM_THREADS — threads for large fills, 1 to 1024; unset: the usable CPUs.
* FASTINIT_SPIN_US — how long idle workers watch for the next fill, 0 to 100000 microseconds
  (default 100); read by the C++ pool, checked here at import.
* FASTINIT_ISA — force an instruction set ("scalar", "avx2", "avx2_vaes", "avx512", "avx512_vaes",
  "neon", "neon_aes"); read by the C++ dispatcher, checked at import (an unknown one raises).
* FASTINIT_POPULATE=0 — do not pre-fault fresh pages; FASTINIT_HUGEPAGES=1 — advise huge pages
  for large fresh buffers (both read by C++; for measuring their effect).
"""

from __future__ import annotations

import os

__all__ = ["MAX_SPIN_US", "MAX_THREADS", "check_spin_us", "num_threads", "seed", "stream_version"]

MAX_THREADS = 1024  # far beyond any useful pool: each thread reserves a stack
MAX_SPIN_US = 100_000  # the C++ pool's limit (csrc/environment.cpp)


def _read(name: str) -> str:
    return os.environ.get(name, "").strip()


def seed() -> int | None:
    """FASTINIT_SEED as an int in [0, 2**64), None if unset; ValueError if it is not one."""
    env = _read("FASTINIT_SEED")
    if not env:
        return None
    try:
        value = int(env, 0)
    except ValueError:
        value = -1
    if not 0 <= value < 2**64:
        raise ValueError(f"FASTINIT_SEED={env!r} is not an integer in [0, 2**64)")
    return value


def stream_version() -> int | None:
    """FASTINIT_STREAM_VERSION as 1 or 2, None if unset; ValueError otherwise."""
    env = _read("FASTINIT_STREAM_VERSION")
    if not env:
        return None
    if env not in ("1", "2"):
        raise ValueError(f"FASTINIT_STREAM_VERSION={env!r} is not allowed; it must be 1 or 2")
    return int(env)


def num_threads() -> int | None:
    """FASTINIT_NUM_THREADS as an int in [1, MAX_THREADS], None if unset; ValueError otherwise."""
    env = _read("FASTINIT_NUM_THREADS")
    if not env:
        return None
    try:
        n = int(env)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(
            f"FASTINIT_NUM_THREADS={env!r} is not allowed; it must be an integer from 1 to {MAX_THREADS}"
        )
    return n


def check_spin_us() -> None:
    """ValueError unless FASTINIT_SPIN_US is unset or a whole number of microseconds from 0 to
    MAX_SPIN_US (the C++ pool could only ignore a bad value)."""
    env = os.environ.get("FASTINIT_SPIN_US")
    if env is None or env == "":
        return
    if not (env.isascii() and env.isdigit() and int(env) <= MAX_SPIN_US):
        raise ValueError(
            f"FASTINIT_SPIN_US={env!r} is not allowed; it must be a whole number of microseconds "
            f"from 0 to {MAX_SPIN_US}"
        )
