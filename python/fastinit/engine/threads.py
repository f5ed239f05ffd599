"""How many threads fills use: FASTINIT_NUM_THREADS, else the CPUs this process may run on,
capped by a cgroup CPU quota (containers, CI runners)."""

from __future__ import annotations

import math
import operator
import os
from pathlib import Path

import numpy as np

from .. import _core
from . import environment
from .environment import MAX_SPIN_US, MAX_THREADS

__all__ = [
    "MAX_SPIN_US",
    "MAX_THREADS",
    "check_spin_environment",
    "default_num_threads",
    "get_num_threads",
    "set_num_threads",
]


def check_spin_environment() -> None:
    """Raise ValueError unless FASTINIT_SPIN_US is unset or a whole number of microseconds from 0
    to MAX_SPIN_US: the pool reads it in C++, where a bad value could only be ignored.

    ``import fastinit`` calls it, so a bad value fails at import.

    Raises
    ------
    ValueError
        FASTINIT_SPIN_US is set to anything but a whole number from 0 to 100000.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.check_spin_environment()  # FASTINIT_SPIN_US is unset or valid: nothing happens
    """
    environment.check_spin_us()


def _affinity_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _cgroup_v2_dirs(root: Path, proc_cgroup: Path) -> list[Path]:
    dirs = []
    try:
        for line in proc_cgroup.read_text().splitlines():
            if line.startswith("0::"):
                dirs.append(root / line[3:].lstrip("/"))
    except OSError:
        pass
    dirs.append(root)
    return dirs


def cgroup_cpu_quota(
    root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")
) -> float | None:
    """The CPU quota in CPUs (quota / period) of this process's cgroup (v2 cpu.max, else v1
    cpu.cfs_quota_us / cpu.cfs_period_us), or None when there is none."""
    for d in _cgroup_v2_dirs(root, proc_cgroup):
        try:
            quota, period = (d / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            continue
        if quota != "max" and float(period) > 0:
            return float(quota) / float(period)
        return None
    try:  # cgroup v1
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def default_num_threads() -> int:
    """FASTINIT_NUM_THREADS if set, else the usable CPUs (affinity, then cgroup quota).

    The thread count ``import fastinit`` sets.

    Returns
    -------
    int
        At least 1: FASTINIT_NUM_THREADS, else the CPUs this process may run on, capped by the
        cgroup's CPU quota rounded up.

    Raises
    ------
    ValueError
        FASTINIT_NUM_THREADS is set but not an integer from 1 to 1024.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.default_num_threads() >= 1
    True
    """
    n = environment.num_threads()
    if n is not None:
        return n
    cpus = _affinity_cpus()
    quota = cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return cpus


def get_num_threads() -> int:
    """The number of threads a large fill uses (the calling thread included).

    Returns
    -------
    int

    Examples
    --------
    >>> import fastinit
    >>> fastinit.get_num_threads() >= 1
    True
    """
    return int(_core.get_num_threads())


def set_num_threads(n: int) -> None:
    """Use n >= 1 threads for large fills from now on (small fills always use one).

    The values never depend on it.

    Parameters
    ----------
    n : int
        From 1 to 1024.

    Raises
    ------
    TypeError
        n is not an int.
    ValueError
        n outside [1, 1024].

    Examples
    --------
    >>> import fastinit
    >>> before = fastinit.get_num_threads()
    >>> fastinit.set_num_threads(1)
    >>> fastinit.get_num_threads()
    1
    >>> fastinit.set_num_threads(before)
    """
    if isinstance(n, (bool, np.bool_)) or not hasattr(type(n), "__index__"):
        raise TypeError(f"set_num_threads: n must be an int >= 1; got {n!r}")
    n = operator.index(n)  # a NumPy integer too
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"set_num_threads: n must be between 1 and {MAX_THREADS}; got {n}")
    _core.set_num_threads(n)
