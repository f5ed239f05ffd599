"""fastinit: fast, reproducible weight initialization.

Every random fill is a pure function of (seed, stream, logical element index): the values never
depend on the CPU's instruction set, the thread count or how a tensor is split. The stream is a
versioned contract (docs/stream.md); ``fastinit.reference`` reproduces it in NumPy alone.
Not for cryptography.
"""

from __future__ import annotations

from ._fill import normal_, trunc_normal_, uniform_
from ._info import info
from ._philox import philox4x32
from ._streams import Generator, default_generator, manual_seed, stream_id
from ._threads import default_num_threads, get_num_threads, set_num_threads
from ._version import __version__

__all__ = [
    "Generator",
    "__version__",
    "default_generator",
    "get_num_threads",
    "info",
    "manual_seed",
    "normal_",
    "philox4x32",
    "set_num_threads",
    "stream_id",
    "trunc_normal_",
    "uniform_",
]

from . import _core as _core_module

_core_module.isa()  # choose the ISA now: a bad FASTINIT_ISA fails at import, clearly
set_num_threads(default_num_threads())
