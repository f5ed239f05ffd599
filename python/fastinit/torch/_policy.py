"""The per-layer rules of init_module_'s policies: how a policy initializes the weights and
biases of linear layers (fans read in each layer's own weight layout), embeddings (an embedding
tied to the output layer is initialized as the output layer), attention, recurrent layers and
normalization layers. Each parameter draws from the stream of its canonical name."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from ..engine import fill as _fill
from ..schemes import deterministic as _deterministic
from ..schemes import fans as _fans
from ..schemes import gain as _gain
from ..schemes import hadamard as _hadamard
from ..schemes import matrix as _matrix
from ..schemes import variance as _variance
from ._depth import DEPTH_POLICIES, Role, draw
from ._mup import MupRule
from ._shards import canonical_name, local_shard
from ._structure import Block, fan_layout, widths
from ._transformer import TRANSFORMER_POLICIES, Placement, embedding_std, output_axis

__all__ = ["POLICIES", "Policy"]

POLICIES = (
    "torch", "xavier", "kaiming", "lecun", "normal", "gpt2", *DEPTH_POLICIES, "fixup", *TRANSFORMER_POLICIES, "mup", "zerO",
)  # fmt: skip


class Policy:
    """Initializes one module's own parameters under a policy."""

    def __init__(
        self,
        scheme: str,
        seed: int,
        nonlinearity: str,
        std: float,
        n_layers: int | None,
        activations: dict[nn.Module, tuple[str, float | None]],
        residual: dict[nn.Module, Block],
        tied_output: set[int],
        output: nn.Module | None,
        *,
        mup: MupRule | None = None,
        placed: dict[nn.Module, Placement] | None = None,
        embedding_scale: float = 1.0,
        stream_version: int = 1,
    ) -> None:
        self.scheme, self.seed, self.nonlinearity, self.std = scheme, seed, nonlinearity, std
        self.stream_version = stream_version
        self.n_layers, self.activations = n_layers, activations
        self.residual, self.tied_output, self.output = residual, tied_output, output
        self.mup, self.placed, self.embedding_scale = mup, placed or {}, embedding_scale

    def _fill(self, fn: Callable[..., Any], p: torch.Tensor, name: str, *args: Any, **kwargs: Any) -> None:
        """fn(p, *args) with p's stream; a DTensor fills its local shard of the whole."""
        local, shard = local_shard(p)
        fn(local, *args, **kwargs, seed=self.seed, stream=name, stream_version=self.stream_version, **shard)

    def weight(self, module: nn.Module, name: str, w: torch.Tensor) -> None:
        """A linear layer's weight (nn.Linear, convolutions, HF Conv1D, ...)."""
        s, layout = self.scheme, fan_layout(module)
        act, slope = self.activations.get(module, (self.nonlinearity, None))
        if s in DEPTH_POLICIES:
            self._depth(module, name, w, layout)
        elif s in TRANSFORMER_POLICIES:
            self._transformer(module, name, w, layout)
        elif self.mup is not None:
            self._fill(_fill.normal_, w, name, 0.0, self.mup.weight_std(module, name, w))
        elif s == "zerO":
            _hadamard.hadamard_identity_(w, layout=layout)
        elif s == "torch" and isinstance(module, nn.Bilinear):  # U(+-1/sqrt(in1_features))
            bound = 1 / math.sqrt(w.shape[1])
            self._fill(_fill.uniform_, w, name, -bound, bound)
        elif s == "torch":  # nn.Linear / nn.Conv defaults
            self._fill(_variance.kaiming_uniform_, w, name, math.sqrt(5), layout=layout)
        elif s == "xavier":
            gain = _gain.calculate_gain(act, slope) if act in ("tanh", "sigmoid", "linear", "selu") else 1.0
            self._fill(_variance.xavier_uniform_, w, name, gain, layout=layout)
        elif s == "kaiming":
            if act in ("relu", "leaky_relu"):
                self._fill(_variance.kaiming_normal_, w, name, slope or 0.0, "fan_in", act, layout=layout)
            else:
                gain = _gain.calculate_gain(act, slope)
                self._fill(_variance.variance_scaling_, w, name, gain**2, "fan_in", "normal", layout=layout)
        elif s == "lecun":
            self._fill(_variance.lecun_normal_, w, name, layout=layout)
        else:  # normal / gpt2
            std = self.std
            block = self.residual.get(module)
            if block is not None:
                std /= math.sqrt(2 * (self.n_layers or block.count))
            self._fill(_fill.normal_, w, name, 0.0, std)

    def _depth(self, module: nn.Module, name: str, w: torch.Tensor, layout: str) -> None:
        """A depth-aware policy's draw (_depth.py) for a linear layer's weight."""
        fan_in = _fans.compute_fans(tuple(w.shape), layout)[0]
        block = self.residual.get(module)
        if block is not None:
            role = Role("residual", fan_in, widths(module)[1], block.index, self.n_layers or block.count)
        else:
            role = Role("output" if module is self.output else "hidden", fan_in, fan_in)
        self._draw(w, name, role)

    def _transformer(self, module: nn.Module, name: str, w: torch.Tensor, layout: str) -> None:
        """deepnorm (Xavier normal) / t_fixup (Xavier uniform): queries and keys with gain 1, the
        rest of each block's projections with the stack's factor (_transformer.py); outside the
        blocks, the output layer N(0, 1/fan_in) and other layers Xavier with gain 1."""
        xavier = _variance.xavier_normal_ if self.scheme == "deepnorm" else _variance.xavier_uniform_
        place = self.placed.get(module)
        if place is None:
            if module is self.output:
                self._fill(
                    _fill.normal_, w, name, 0.0, 1 / math.sqrt(_fans.compute_fans(tuple(w.shape), layout)[0])
                )
            else:
                self._fill(xavier, w, name, 1.0, layout=layout)
            return
        part = place.part
        if isinstance(module, nn.MultiheadAttention):  # its separate q/k/v weights, or in_proj_weight
            leaf = name.rpartition(".")[2]
            part = {"q_proj_weight": "query_key", "k_proj_weight": "query_key"}.get(leaf, "scaled")
            part = "packed" if leaf == "in_proj_weight" else part
        if part == "query_key":
            self._fill(xavier, w, name, 1.0, layout=layout)
        elif part == "scaled":
            self._fill(xavier, w, name, place.scale, layout=layout)
        else:
            axis = output_axis(module)
            if local_shard(w)[1] or w.shape[axis] % 3:
                raise ValueError(
                    f"init_module_: policy {self.scheme!r} splits {name} {tuple(w.shape)} into query, key and "
                    "value thirds, which needs a whole (not sharded) weight whose outputs divide by 3"
                )
            for third, part_name, gain in zip(w.chunk(3, dim=axis), "qkv", (1.0, 1.0, place.scale)):
                xavier(
                    third, gain, layout=layout, seed=self.seed, stream=f"{name}.{part_name}",
                    stream_version=self.stream_version,
                )  # fmt: skip

    def _draw(self, w: torch.Tensor, name: str, role: Role) -> None:
        d = draw(self.scheme, role, self.std)
        if d.cutoff is None:
            self._fill(_fill.normal_, w, name, 0.0, d.std)
        else:
            self._fill(_fill.trunc_normal_, w, name, 0.0, d.std, -d.cutoff * d.std, d.cutoff * d.std)

    def bias(self, module: nn.Module, name: str, b: torch.Tensor, weight: torch.Tensor | None) -> None:
        if self.scheme == "torch" and isinstance(module, nn.Bilinear) and weight is not None:
            bound = 1 / math.sqrt(weight.shape[1])
            self._fill(_fill.uniform_, b, name, -bound, bound)
        elif self.scheme == "torch" and weight is not None and weight.dim() >= 2:
            fan_in = _fans.compute_fans(tuple(weight.shape), fan_layout(module))[0]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            self._fill(_fill.uniform_, b, name, -bound, bound)
        else:
            _deterministic.zeros_(local_shard(b)[0])

    def embedding(self, module: nn.Embedding, name: str) -> None:
        """N(0, 1) (torch's default) or N(0, std**2) under normal/gpt2. An embedding that is also
        the output layer's weight (a tied lm_head) is initialized as that output layer, with
        fan_in = the embedding width and a linear gain: its N(0, 1) rows would give logits of
        standard deviation sqrt(width) and a first loss far above ln(vocabulary)."""
        w = module.weight
        if self.mup is not None:  # tied or not: the input rule (a tied readout scales in its forward)
            self._fill(_fill.normal_, w, name, 0.0, self.mup.weight_std(module, name, w))
            return
        if self.scheme in TRANSFORMER_POLICIES:
            self._fill(_fill.normal_, w, name, 0.0, embedding_std(w.shape[1], self.embedding_scale))
            return
        if self.scheme in DEPTH_POLICIES:  # tied or not: the embedding rule, as these codebases do
            self._draw(w, name, Role("embedding", float(w.shape[1]), float(w.shape[1])))
            return
        if id(w) in self.tied_output and self.scheme in ("torch", "xavier", "kaiming", "lecun", "zerO"):
            if self.scheme in ("torch", "zerO"):
                self._fill(_variance.kaiming_uniform_, w, name, math.sqrt(5))
            elif self.scheme == "xavier":
                self._fill(_variance.xavier_uniform_, w, name)
            elif self.scheme == "kaiming":
                self._fill(_variance.variance_scaling_, w, name, 1.0, "fan_in", "normal")
            else:
                self._fill(_variance.lecun_normal_, w, name)
            return
        std = 1.0 if self.scheme in ("torch", "xavier", "kaiming", "lecun", "zerO") else self.std
        self._fill(_fill.normal_, w, name, 0.0, std)  # padding rows: zeroed at the end

    def attention(
        self, module: nn.MultiheadAttention, prefix: str, own: list[tuple[str, nn.Parameter]], done: set[int]
    ) -> None:
        """nn.MultiheadAttention's own parameters. Under "torch" its _reset_parameters(): input
        projections xavier_uniform, their biases and out_proj.bias 0, bias_k / bias_v
        xavier_normal (out_proj.weight keeps nn.Linear's default, set when out_proj is visited).
        Otherwise the policy's weights, and 0 for every bias."""
        for n, p in own:
            local = local_shard(p)[0]
            if n in ("bias_k", "bias_v"):
                if self.scheme == "torch":
                    self._fill(_variance.xavier_normal_, p, prefix + n)
                else:
                    _deterministic.zeros_(local)
            elif p.dim() >= 2:
                if self.scheme == "torch":
                    self._fill(_variance.xavier_uniform_, p, prefix + n)
                else:
                    self.weight(module, prefix + n, p)
            else:
                _deterministic.zeros_(local)
        out_bias = module.out_proj.bias
        if out_bias is not None and id(out_bias) not in done:
            done.add(id(out_bias))
            _deterministic.zeros_(local_shard(out_bias)[0])

    def recurrent(self, module: nn.RNNBase | nn.RNNCellBase, prefix: str) -> None:
        """An RNN, LSTM or GRU, or one of their cells. torch: U(+-1/sqrt(hidden)) everywhere.
        Otherwise input weights xavier per gate, recurrent weights orthogonal per gate,
        projections xavier, biases 0 with an LSTM's forget-gate biases summing to 1."""
        hidden = module.hidden_size
        gates = (
            4
            if isinstance(module, (nn.LSTM, nn.LSTMCell))
            else 3
            if isinstance(module, (nn.GRU, nn.GRUCell))
            else 1
        )
        bound = 1 / math.sqrt(hidden)
        for pname, p in module.named_parameters(recurse=False):
            full = prefix + pname
            if self.scheme == "torch":
                self._fill(_fill.uniform_, p, full, -bound, bound)
            elif pname.startswith("weight_ih"):
                for g in range(gates):  # each gate's block on its own
                    _variance.xavier_uniform_(
                        p[g * hidden : (g + 1) * hidden], seed=self.seed, stream=f"{full}.gate{g}",
                        stream_version=self.stream_version,
                    )  # fmt: skip
            elif pname.startswith("weight_hh"):
                with torch.no_grad():
                    for g in range(gates):
                        block = _matrix.orthogonal_(
                            np.empty((hidden, p.shape[1]), np.float32),
                            seed=self.seed,
                            stream=f"{full}.gate{g}",
                            stream_version=self.stream_version,
                        )
                        p[g * hidden : (g + 1) * hidden].copy_(torch.from_numpy(block))
            elif pname.startswith("weight_hr"):  # LSTM projections
                self._fill(_variance.xavier_uniform_, p, full)
            elif pname.startswith("bias"):
                _deterministic.zeros_(p)
                if gates == 4 and pname.startswith("bias_ih"):  # forget gate: b_ih + b_hh = 1
                    with torch.no_grad():
                        p[hidden : 2 * hidden].fill_(1.0)

    def transformers(self, model: nn.Module, keep: set[int]) -> None:
        """torch: nn.Transformer's own _reset_parameters(), xavier_uniform_ on each of its
        parameters with two or more dimensions, over its layers' defaults (ids in keep stay)."""
        for name, module in model.named_modules():
            if isinstance(module, nn.Transformer):
                for pname, p in module.named_parameters():
                    if p.dim() > 1 and id(p) not in keep:
                        self._fill(
                            _variance.xavier_uniform_, p, canonical_name(f"{name}.{pname}" if name else pname)
                        )

    @staticmethod
    def norm(module: nn.Module, own: list[tuple[str, nn.Parameter]]) -> None:
        """Scales 1, shifts 0, and BatchNorm's running statistics reset as torch's
        reset_parameters() does (mean 0, variance 1, num_batches_tracked 0)."""
        for n, p in own:
            (_deterministic.ones_ if n == "weight" else _deterministic.zeros_)(local_shard(p)[0])
        reset = getattr(module, "reset_running_stats", None)
        if reset is not None and getattr(module, "track_running_stats", False):
            reset()
