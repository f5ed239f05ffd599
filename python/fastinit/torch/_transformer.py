"""Initializations that let a Transformer's encoder and decoder grow deep: DeepNet's DeepNorm
(Wang et al. 2022, "DeepNet: Scaling Transformers to 1,000 Layers") and T-Fixup (Huang, Perez,
Ba & Volkovs, ICML 2020, "Improving Transformer Optimization Through Better Initialization").

Both keep each attention's query and key projections at Xavier with gain 1 and scale the rest
of every block — the value and output projections of each attention and the feed-forward
weights — by a factor from the number of encoder layers N and decoder layers M:

* deepnorm: Xavier normal with gain beta; encoder-only or decoder-only beta = (8N)^(-1/4)
  (residual alpha = (2N)^(1/4)); an encoder-decoder's encoder beta = 0.87 (N^4 M)^(-1/16)
  (alpha = 0.81 (N^4 M)^(1/16)), its decoder beta = (12M)^(-1/4) (alpha = (3M)^(1/4)).
  alpha multiplies the residual in the model's forward (x * alpha + f(x), then the norm):
  deepnorm_scales() gives it, the model applies it.
* t_fixup: Xavier uniform times 0.67 N^(-1/4) in the encoder, (9M)^(-1/4) in the decoder; the
  input embeddings N(0, 1/d) times (9M)^(-1/4) (0.67 N^(-1/4) without a decoder). The model
  drops its layer norms and learning-rate warm-up.

The encoder and decoder are the runs of blocks (_structure.blocks; a block alone is a run of
one, so a one-block decoder is counted, M = 1), told apart by name ("decoder" in it).
Projections are named as the common codebases name them; a packed q/k/v projection
(nn.MultiheadAttention's in_proj_weight, qkv, c_attn, Wqkv) is split in thirds, each
initialized as its own matrix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from torch import nn

from ._structure import Block, blocks, fan_layout, is_linear

__all__ = ["TRANSFORMER_POLICIES", "Placement", "deepnorm_scales", "placements"]

TRANSFORMER_POLICIES = ("deepnorm", "t_fixup")

_QUERY_KEY = re.compile(
    r"(^|\.)(q|k|query|key|q_proj|k_proj|query_proj|key_proj|to_q|to_k|wq|wk|q_lin|k_lin)$"
)
_PACKED = re.compile(r"(^|\.)(qkv|c_attn|wqkv|qkv_proj|to_qkv|in_proj)$", re.IGNORECASE)
_INTERLEAVED = re.compile(r"(^|\.)(query_key_value|w_pack)$", re.IGNORECASE)


def deepnorm_scales(encoder_layers: int = 0, decoder_layers: int = 0) -> dict[str, tuple[float, float]]:
    """DeepNorm's (alpha, beta) for the encoder and/or decoder, keyed "encoder" / "decoder".

    alpha multiplies the residual before the post-norm (LN(alpha * x + f(x))); beta is the
    Xavier gain of the value, output and feed-forward projections (init_module_'s "deepnorm").
    With both counts positive, the encoder-decoder values; with one, that stack's alone.

    Parameters
    ----------
    encoder_layers, decoder_layers : int, optional
        The number of encoder and decoder blocks, >= 0 (default 0); at least one > 0.

    Returns
    -------
    dict of str to (float, float)
        (alpha, beta) under "encoder" and/or "decoder".

    Raises
    ------
    ValueError
        A count that is not an int >= 0, or both 0.

    Examples
    --------
    >>> from fastinit.torch import deepnorm_scales
    >>> alpha, beta = deepnorm_scales(decoder_layers=8)["decoder"]  # (2 N)**(1/4), (8 N)**(-1/4)
    >>> alpha, round(beta, 4)
    (2.0, 0.3536)
    """
    for arg, n in (("encoder_layers", encoder_layers), ("decoder_layers", decoder_layers)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"deepnorm_scales: {arg} must be an int >= 0; got {n!r}")
    if encoder_layers and decoder_layers:
        both = encoder_layers**4 * decoder_layers
        return {
            "encoder": (0.81 * both ** (1 / 16), 0.87 * both ** (-1 / 16)),
            "decoder": ((3 * decoder_layers) ** 0.25, (12 * decoder_layers) ** -0.25),
        }
    if encoder_layers or decoder_layers:
        n = encoder_layers or decoder_layers
        return {"encoder" if encoder_layers else "decoder": ((2 * n) ** 0.25, (8 * n) ** -0.25)}
    raise ValueError("deepnorm_scales: give encoder_layers or decoder_layers (or both) > 0")


@dataclass(frozen=True)
class Placement:
    """A linear layer inside an encoder or decoder block: "query_key" (Xavier, gain 1),
    "packed" (q, k, v thirds along the output), or "scaled" (Xavier times `scale`)."""

    part: str
    scale: float


def _stacks(model: nn.Module, policy: str) -> dict[str, list[Block]]:
    """The encoder's and the decoder's blocks; ValueError if the model has neither, or two runs
    of blocks that are not one encoder and one decoder."""
    runs: dict[str, list[Block]] = {}
    for b in blocks(model):
        runs.setdefault(b.name.rpartition(".")[0], []).append(b)
    stacks: dict[str, list[Block]] = {}
    for run, found in runs.items():
        role = "decoder" if "decoder" in run.lower() else "encoder"
        if role in stacks:
            raise ValueError(
                f"init_module_: policy {policy!r} needs one run of encoder blocks and/or one of decoder blocks "
                f"(told apart by 'decoder' in the name); this model has more: {', '.join(map(repr, runs))}"
            )
        stacks[role] = found
    if not stacks:
        raise ValueError(
            f"init_module_: policy {policy!r} scales a Transformer's encoder and decoder blocks, and the model "
            "has no run of repeated blocks"
        )
    return stacks


def stack_scales(model: nn.Module, policy: str) -> tuple[dict[str, float], float]:
    """The factor for each stack's scaled projections, and (t_fixup) for the input embeddings."""
    stacks = _stacks(model, policy)
    n, m = len(stacks.get("encoder", ())), len(stacks.get("decoder", ()))
    if policy == "deepnorm":
        return {k: ab[1] for k, ab in deepnorm_scales(n, m).items()}, 1.0
    scales = {}
    if n:
        scales["encoder"] = 0.67 * n**-0.25
    if m:
        scales["decoder"] = (9 * m) ** -0.25
    return scales, scales.get("decoder", scales.get("encoder", 1.0))


def placements(model: nn.Module, policy: str) -> dict[nn.Module, Placement]:
    """Every linear layer (and nn.MultiheadAttention) inside the encoder's and decoder's blocks,
    placed; ValueError for a packed projection whose q/k/v order is not known."""
    scales, _ = stack_scales(model, policy)
    found: dict[nn.Module, Placement] = {}
    for role, stack in _stacks(model, policy).items():
        for block in stack:
            for name, module in block.module.named_modules():
                if isinstance(module, nn.MultiheadAttention):
                    found[module] = Placement("packed", scales[role])
                elif not is_linear(module):
                    continue
                elif _INTERLEAVED.search(name):
                    raise ValueError(
                        f"init_module_: policy {policy!r} scales value projections but not queries and keys, and "
                        f"{block.name}.{name} packs them interleaved per head; initialize it yourself"
                    )
                elif _PACKED.search(name):
                    found[module] = Placement("packed", scales[role])
                elif _QUERY_KEY.search(name):
                    found[module] = Placement("query_key", 1.0)
                else:
                    found[module] = Placement("scaled", scales[role])
    return found


def output_axis(module: nn.Module) -> int:
    """The axis of module's weight that indexes its outputs."""
    return -1 if fan_layout(module) == "hwio" else 0


def embedding_std(width: int, scale: float) -> float:
    """t_fixup's and deepnorm's input embeddings: N(0, 1/d), times scale."""
    return scale / math.sqrt(width)
