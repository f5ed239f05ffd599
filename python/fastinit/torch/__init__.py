"""fastinit.torch: fastinit for PyTorch CPU tensors (float16, bfloat16, float32, float64),
in place and with no copy.

* torch.nn.init's functions with torch's signatures (``generator=`` may be a fastinit.Generator or
  a torch.Generator; without it or seed=, torch's default generator seeds the call, so
  torch.manual_seed makes it reproducible), torch's deprecated names, plus fastinit's (lecun_*,
  variance_scaling_, seed=, stream=, ...); bad arguments raise TorchArgumentError, a ValueError
  and a RuntimeError;
* ``accelerate()``: build any model with its own init code running on fastinit;
* ``deferred_init()`` and ``materialize_()``: build on the meta device, then give the model real
  memory with every parameter and buffer initialized (or an error naming what could not be);
* ``init_module_()``: re-initialize a model by a named policy, reproducibly by parameter name;
* ``lsuv_()`` and ``calibrate_output_bias_()``: data-dependent initialization;
* ``report()``: per-layer weight, activation and gradient scales of a model at init.

Meta tensors are a no-op, as in torch; tensors on other devices raise ValueError. See
docs/torch.md.
"""

from __future__ import annotations

from ._accelerate import accelerate
from ._adaptive import calibrate_output_bias_, lsuv_
from ._deprecated import (
    constant,
    dirac,
    eye,
    kaiming_normal,
    kaiming_uniform,
    normal,
    orthogonal,
    sparse,
    uniform,
    xavier_normal,
    xavier_uniform,
)
from ._deterministic import calculate_gain, constant_, dirac_, eye_, ones_, zeros_
from ._functions import (
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    orthogonal_,
    sparse_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)
from ._init_module import POLICIES, init_module_
from ._materialize import NotInitializedError, materialize_
from ._more_schemes import (
    delta_orthogonal_,
    hadamard_identity_,
    lecun_normal_,
    lecun_uniform_,
    variance_scaling_,
)
from ._mup import lr_scales as mup_lr_scales
from ._mup_init import mup_
from ._record import deferred_init
from ._report import report
from ._semantics import TorchArgumentError
from ._shards import canonical_name
from ._structure import FAN_LAYOUTS
from ._transformer import deepnorm_scales

__all__ = [
    "FAN_LAYOUTS", "POLICIES", "NotInitializedError", "TorchArgumentError", "accelerate", "calculate_gain",
    "calibrate_output_bias_", "canonical_name", "constant", "constant_", "deepnorm_scales", "deferred_init",
    "delta_orthogonal_", "dirac", "dirac_", "eye", "eye_", "hadamard_identity_", "init_module_", "kaiming_normal",
    "kaiming_normal_", "kaiming_uniform", "kaiming_uniform_", "lecun_normal_", "lecun_uniform_", "lsuv_",
    "materialize_", "mup_", "mup_lr_scales", "normal", "normal_", "ones_", "orthogonal", "orthogonal_", "report",
    "sparse", "sparse_", "trunc_normal_", "uniform", "uniform_", "variance_scaling_", "xavier_normal",
    "xavier_normal_", "xavier_uniform", "xavier_uniform_", "zeros_",
]  # fmt: skip
