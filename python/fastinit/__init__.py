"""fastinit: fast, reproducible weight initialization.

Every random fill is a pure function of (seed, stream, logical element index): the values never
depend on the CPU's instruction set, the thread count or how a tensor is split. The stream is a
versioned contract (docs/stream.md); ``fastinit.reference`` reproduces it in NumPy alone.
Not for cryptography.

In-place functions carry torch.nn.init's names and semantics (trailing underscore, return the
array); the same names without the underscore take a shape and return a new array.
"""

from __future__ import annotations

from . import _core
from ._version import __version__
from .engine.fill import normal_, trunc_normal_, uniform_
from .engine.info import info
from .engine.philox import philox4x32
from .engine.streams import Generator, default_generator, default_stream_version, manual_seed, stream_id
from .engine.threads import check_spin_environment, default_num_threads, get_num_threads, set_num_threads
from .schemes.deterministic import constant_, dirac_, eye_, ones_, zeros_
from .schemes.fans import compute_fans
from .schemes.functional import (
    constant,
    delta_orthogonal,
    dirac,
    eye,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    ones,
    orthogonal,
    sparse,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from .schemes.gain import calculate_gain
from .schemes.hadamard import hadamard_identity_
from .schemes.matrix import delta_orthogonal_, orthogonal_, sparse_
from .schemes.variance import (
    kaiming_normal_,
    kaiming_uniform_,
    lecun_normal_,
    lecun_uniform_,
    variance_scaling_,
    xavier_normal_,
    xavier_uniform_,
)

__all__ = [
    "Generator", "__version__", "calculate_gain", "compute_fans", "constant", "constant_",
    "default_generator", "default_num_threads", "default_stream_version", "delta_orthogonal", "delta_orthogonal_", "dirac", "dirac_", "eye", "eye_",
    "get_num_threads", "hadamard_identity_", "info", "kaiming_normal", "kaiming_normal_", "kaiming_uniform",
    "kaiming_uniform_", "lecun_normal", "lecun_normal_", "lecun_uniform", "lecun_uniform_",
    "manual_seed", "normal", "normal_", "ones", "ones_", "orthogonal", "orthogonal_",
    "philox4x32", "set_num_threads", "sparse", "sparse_", "stream_id", "trunc_normal",
    "trunc_normal_", "uniform", "uniform_", "variance_scaling", "variance_scaling_",
    "xavier_normal", "xavier_normal_", "xavier_uniform", "xavier_uniform_", "zeros", "zeros_",
]  # fmt: skip

_core.isa()  # choose the ISA now: a bad FASTINIT_ISA fails at import, clearly
check_spin_environment()
set_num_threads(default_num_threads())
