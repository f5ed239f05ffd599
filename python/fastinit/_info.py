"""fastinit.info(): what this installation runs on."""

from __future__ import annotations

from typing import Any

from . import _core
from ._version import __version__

__all__ = ["info"]


def info() -> dict[str, Any]:
    """Version, stream version, chosen ISA, ISAs available on this CPU, and thread count."""
    return {
        "version": __version__,
        "stream_version": int(_core.stream_version),
        "isa": str(_core.isa()),
        "isas_available": list(_core.available_isas()),
        "threads": int(_core.get_num_threads()),
        "hardware_threads": int(_core.hardware_threads()),
    }
