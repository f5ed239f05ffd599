"""Why initialization matters: variance propagation through a deep network, measured and
predicted (``python -m fastinit propagate``; docs/why-init.md).

``propagate()`` pushes a random batch through a plain MLP of square layers initialized by one of
fastinit's schemes and records each layer's activation and gradient std beside the mean-field
prediction; ``simulate()`` and ``predict()`` are the two halves, for weights of your own;
``plot_propagation()`` draws the classic figure (matplotlib). ``propagate_residual()`` does the
same for a residual MLP without normalization under plain, depth-scaled and Fixup
initialization. NumPy only; torch is never imported here. The implementation is in
fastinit.tools.propagation and fastinit.tools.residual_propagation.
"""

from __future__ import annotations

from .tools.activations import ACTIVATIONS, NORMALIZATIONS, activation_gain, gaussian_expectation
from .tools.layer_table import LayerGains, layer_gains, propagate
from .tools.propagate_cli import plot_propagation
from .tools.propagation import SCHEMES, LayerStats, predict, scheme_std, simulate
from .tools.residual_propagation import RESIDUAL_SCHEMES, propagate_residual

__all__ = [
    "ACTIVATIONS", "NORMALIZATIONS", "RESIDUAL_SCHEMES", "SCHEMES", "LayerGains", "LayerStats", "activation_gain",
    "gaussian_expectation", "layer_gains", "plot_propagation", "predict", "propagate", "propagate_residual",
    "scheme_std", "simulate",
]  # fmt: skip
