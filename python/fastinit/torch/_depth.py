"""The depth-aware policies of large-model training codebases, as standard-deviation rules: a
weight's role in the model (an input-side projection, the projection that ends a residual
branch in block `layer` of `n_layers`, an embedding, the output layer), its fan-in and the
block width give the std of a normal draw, truncated at +-3 std or not. docs/policies.md has
each formula with its source.

* megatron — Megatron-LM's init_method_normal(sigma) and, for the residual outputs,
  scaled_init_method_normal(sigma, L): sigma / sqrt(2 L). (The same rule as "gpt2".)
* neox — GPT-NeoX's small_init, sqrt(2 / (5 d)), and wang_init on residual outputs,
  2 / (L sqrt(d)), d the block width.
* mitchell — OLMo's "mitchell": 1 / sqrt(fan_in), residual outputs
  1 / sqrt(2 fan_in (layer + 1)), truncated at +-3 std.
* full_megatron — OLMo's "full_megatron": sigma, residual outputs sigma / sqrt(2 L), an untied
  output layer 1 / sqrt(d), all truncated at +-3 std.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DEPTH_POLICIES", "Draw", "Role", "draw"]

DEPTH_POLICIES = ("megatron", "neox", "mitchell", "full_megatron")


@dataclass(frozen=True)
class Role:
    """Where a weight sits: kind is "embedding", "output" (the model's untied output layer),
    "residual" (ends a residual branch of block `layer` of `n_layers`) or "hidden" (any other
    linear layer); fan_in of its weight, and the width of the block (or embedding) it writes."""

    kind: str
    fan_in: float
    width: float
    layer: int = 0
    n_layers: int = 1


@dataclass(frozen=True)
class Draw:
    """N(0, std**2), truncated to [-cutoff std, cutoff std] unless cutoff is None."""

    std: float
    cutoff: float | None = None


def draw(policy: str, role: Role, sigma: float) -> Draw:
    """The draw `policy` makes for a weight in `role`; sigma is the policy's base std (std=)."""
    L, d, fan_in = role.n_layers, role.width, role.fan_in
    if policy == "megatron":
        return Draw(sigma / math.sqrt(2 * L) if role.kind == "residual" else sigma)
    if policy == "neox":
        return Draw(2 / (L * math.sqrt(d)) if role.kind == "residual" else math.sqrt(2 / (5 * d)))
    if policy == "mitchell":
        scale = 2 * (role.layer + 1) if role.kind == "residual" else 1
        return Draw(1 / math.sqrt(scale * fan_in), cutoff=3.0)
    if policy == "full_megatron":
        if role.kind == "residual":
            return Draw(sigma / math.sqrt(2 * L), cutoff=3.0)
        if role.kind == "output":
            return Draw(1 / math.sqrt(fan_in), cutoff=3.0)
        return Draw(sigma, cutoff=3.0)
    raise ValueError(f"no depth rule for policy {policy!r}")
