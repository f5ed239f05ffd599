"""fastinit.info(): what this installation runs on."""

from __future__ import annotations

import platform
from typing import Any

from .. import _core
from .._version import __version__
from .streams import default_stream_version

__all__ = ["cpu_name", "info"]


def info() -> dict[str, Any]:
    """What this installation runs on: version, stream version, chosen ISA, ISAs available on
    this CPU, and thread counts.

    Returns
    -------
    dict
        "version" (str, fastinit's), "stream_version" (int, the default stream version:
        FASTINIT_STREAM_VERSION or 2; docs/stream.md), "isa" (str, the
        SIMD target in use, which FASTINIT_ISA can lower), "isas_available" (list of str, those
        this CPU and build run), "threads" (int, get_num_threads()) and "hardware_threads" (int).

    Examples
    --------
    >>> import fastinit
    >>> sorted(fastinit.info())
    ['hardware_threads', 'isa', 'isas_available', 'stream_version', 'threads', 'version']
    >>> fastinit.info()["isa"] in fastinit.info()["isas_available"]
    True
    """
    return {
        "version": __version__,
        "stream_version": default_stream_version(),
        "isa": str(_core.isa()),
        "isas_available": list(_core.available_isas()),
        "threads": int(_core.get_num_threads()),
        "hardware_threads": int(_core.hardware_threads()),
    }


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), for benchmark and check reports."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
