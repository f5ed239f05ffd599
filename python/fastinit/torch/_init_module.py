"""init_module_: re-initialize an existing model by a named policy, with every parameter's values
a pure function of (seed, its qualified name)."""

from __future__ import annotations

import math
import re
import sys
from typing import Any, Callable

import torch
from torch import nn

import fastinit as _fi
from fastinit._fill import check_real
from fastinit._streams import seed_from_torch

__all__ = ["POLICIES", "canonical_module_name", "canonical_name", "init_module_", "local_shard"]

POLICIES = ("torch", "xavier", "kaiming", "lecun", "normal", "gpt2")

# Wrapper modules insert these into parameter names; removing them makes a wrapped model (DDP,
# torch.compile, FSDP, activation checkpointing, ...) initialize exactly like the bare one.
_WRAPPER_PREFIXES = (
    "module.", "_orig_mod.", "_fsdp_wrapped_module.", "_checkpoint_wrapped_module.",
    "_forward_module.", "_wrapped_module.", "model._orig_mod.",
)  # fmt: skip

# Output projections that add into the residual stream (GPT-2 style scaling by 1/sqrt(2 n_layers)).
_RESIDUAL_OUT = re.compile(r"(^|\.)(c_proj|o_proj|out_proj|down_proj|dense_4h_to_h|fc2|wo|w2)$")
_LAYER_INDEX = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks|block)\.(\d+)\.")

_NORMS = (
    nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
    nn.modules.batchnorm._NormBase,  # BatchNorm*, InstanceNorm*
)  # fmt: skip
_RMS_NORM = getattr(nn, "RMSNorm", None)

# 1-D parameters of modules init_module_ does not know: a norm-like module's scales are set to 1,
# biases of any module to 0; other 1-D parameters keep their values.
_NORM_SCALES = ("weight", "scale", "gamma")
_BIASES = ("bias", "beta")

_ACTIVATION_GAIN: dict[type, Callable[[nn.Module], tuple[str, float | None]]] = {
    nn.ReLU: lambda m: ("relu", None),
    nn.LeakyReLU: lambda m: ("leaky_relu", float(m.negative_slope)),  # type: ignore[arg-type]
    nn.Tanh: lambda m: ("tanh", None),
    nn.Sigmoid: lambda m: ("sigmoid", None),
    nn.SELU: lambda m: ("selu", None),
    nn.Identity: lambda m: ("linear", None),
}


def _dtensor_type() -> Any:
    """The DTensor class if torch.distributed.tensor has been imported, else None: a parameter
    can only be a DTensor once that module is loaded, and importing it costs about 0.5 s."""
    module = sys.modules.get("torch.distributed.tensor")
    return getattr(module, "DTensor", None)


def local_shard(p: torch.Tensor) -> tuple[torch.Tensor, dict[str, Any]]:
    """The tensor to fill and the keywords that place it in the whole parameter: for a DTensor
    (FSDP2 dim-0 shards, tensor-parallel row/column shards, uneven splits) its local shard with
    global_shape= and index=, so each rank fills exactly its part of the single-process result;
    for an ordinary tensor, itself."""
    dtensor = _dtensor_type()
    if dtensor is None or not isinstance(p, dtensor):
        return p, {}
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    local = p.to_local()
    _, offset = compute_local_shape_and_global_offset(p.shape, p.device_mesh, p.placements)
    index = tuple(slice(int(o), int(o) + int(n)) for o, n in zip(offset, local.shape))
    return local, {"global_shape": tuple(p.shape), "index": index}


def canonical_module_name(name: str) -> str:
    """A module's qualified name with wrapper prefixes removed, including a wrapper's name at the
    end ("module" of DDP, "fc1._orig_mod" of a compiled layer): the name its parameters'
    canonical names start with ("" for the root)."""
    if not name:
        return ""
    return canonical_name(name + ".").removesuffix(".")


def canonical_name(name: str) -> str:
    """A parameter's qualified name with wrapper prefixes removed, wherever they appear."""
    for prefix in _WRAPPER_PREFIXES:
        name = name.replace("." + prefix, ".")
        while name.startswith(prefix):
            name = name[len(prefix) :]
    return name


def _following_activations(model: nn.Module) -> dict[nn.Module, tuple[str, float | None]]:
    """For layers inside nn.Sequential containers, the activation that follows them, if any."""
    found: dict[nn.Module, tuple[str, float | None]] = {}
    for container in model.modules():
        if isinstance(container, nn.Sequential):
            children = list(container)
            for layer, nxt in zip(children, children[1:]):
                rule = _ACTIVATION_GAIN.get(type(nxt))
                if rule is not None:
                    found[layer] = rule(nxt)
    return found


def _n_layers(names: list[str]) -> int:
    indices = [int(m.group(1)) for n in names for m in [_LAYER_INDEX.search(n)] if m]
    return max(indices) + 1 if indices else 1


class _Policy:
    """Initializes one module's own parameters under a policy; streams from canonical names."""

    def __init__(self, scheme: str, seed: int, nonlinearity: str, std: float, n_layers: int,
                 activations: dict[nn.Module, tuple[str, float | None]]) -> None:  # fmt: skip
        self.scheme, self.seed, self.nonlinearity, self.std = scheme, seed, nonlinearity, std
        self.n_layers, self.activations = n_layers, activations

    def _kw(self, name: str) -> dict[str, Any]:
        return {"seed": self.seed, "stream": name}

    def _fill(self, fn: Callable[..., Any], p: torch.Tensor, name: str, *args: Any, **kwargs: Any) -> None:
        """fn(p, *args) with p's stream; a DTensor fills its local shard of the whole."""
        local, shard = local_shard(p)
        fn(local, *args, **kwargs, **self._kw(name), **shard)

    def weight(self, module: nn.Module, name: str, w: torch.Tensor) -> None:
        s = self.scheme
        act, slope = self.activations.get(module, (self.nonlinearity, None))
        if s == "torch" and isinstance(module, nn.Bilinear):  # U(+-1/sqrt(in1_features))
            bound = 1 / math.sqrt(w.shape[1])
            self._fill(_fi.uniform_, w, name, -bound, bound)
        elif s == "torch":  # nn.Linear / nn.Conv defaults
            self._fill(_fi.kaiming_uniform_, w, name, math.sqrt(5))
        elif s == "xavier":
            gain = _fi.calculate_gain(act, slope) if act in ("tanh", "sigmoid", "linear", "selu") else 1.0
            self._fill(_fi.xavier_uniform_, w, name, gain)
        elif s == "kaiming":
            if act in ("relu", "leaky_relu"):
                self._fill(_fi.kaiming_normal_, w, name, slope or 0.0, "fan_in", act)
            else:
                self._fill(
                    _fi.variance_scaling_, w, name, _fi.calculate_gain(act, slope) ** 2, "fan_in", "normal"
                )
        elif s == "lecun":
            self._fill(_fi.lecun_normal_, w, name)
        else:  # normal / gpt2
            std = self.std
            if _RESIDUAL_OUT.search(name.rsplit(".", 1)[0]):
                std /= math.sqrt(2 * self.n_layers)
            self._fill(_fi.normal_, w, name, 0.0, std)

    def bias(self, module: nn.Module, name: str, b: torch.Tensor, weight: torch.Tensor | None) -> None:
        if self.scheme == "torch" and isinstance(module, nn.Bilinear) and weight is not None:
            bound = 1 / math.sqrt(weight.shape[1])
            self._fill(_fi.uniform_, b, name, -bound, bound)
        elif self.scheme == "torch" and weight is not None and weight.dim() >= 2:
            fan_in = _fi.compute_fans(tuple(weight.shape))[0]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            self._fill(_fi.uniform_, b, name, -bound, bound)
        else:
            _fi.zeros_(local_shard(b)[0])

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
                    self._fill(_fi.xavier_normal_, p, prefix + n)
                else:
                    _fi.zeros_(local)
            elif p.dim() >= 2:
                if self.scheme == "torch":
                    self._fill(_fi.xavier_uniform_, p, prefix + n)
                else:
                    self.weight(module, prefix + n, p)
            else:
                _fi.zeros_(local)
        out_bias = module.out_proj.bias
        if out_bias is not None and id(out_bias) not in done:
            done.add(id(out_bias))
            _fi.zeros_(local_shard(out_bias)[0])

    def embedding(self, module: nn.Embedding, name: str) -> None:
        std = 1.0 if self.scheme in ("torch", "xavier", "kaiming", "lecun") else self.std
        self._fill(_fi.normal_, module.weight, name, 0.0, std)  # padding rows: zeroed at the end

    def recurrent(self, module: nn.RNNBase, prefix: str) -> None:
        hidden = module.hidden_size
        gates = {"LSTM": 4, "GRU": 3}.get(type(module).__name__, 1)
        for pname, p in module.named_parameters(recurse=False):
            full = prefix + pname
            if pname.startswith("weight_ih"):
                if self.scheme == "torch":
                    _fi.uniform_(p, -1 / math.sqrt(hidden), 1 / math.sqrt(hidden), **self._kw(full))
                else:
                    for g in range(gates):  # each gate's block on its own
                        _fi.xavier_uniform_(p[g * hidden : (g + 1) * hidden], **self._kw(f"{full}.gate{g}"))
            elif pname.startswith("weight_hh"):
                if self.scheme == "torch":
                    _fi.uniform_(p, -1 / math.sqrt(hidden), 1 / math.sqrt(hidden), **self._kw(full))
                else:
                    with torch.no_grad():
                        for g in range(gates):
                            block = _fi.orthogonal(
                                (hidden, p.shape[1]), seed=self.seed, stream=f"{full}.gate{g}"
                            )
                            p[g * hidden : (g + 1) * hidden].copy_(torch.from_numpy(block))
            elif pname.startswith("weight_hr"):  # LSTM projections
                if self.scheme == "torch":
                    _fi.uniform_(p, -1 / math.sqrt(hidden), 1 / math.sqrt(hidden), **self._kw(full))
                else:
                    _fi.xavier_uniform_(p, **self._kw(full))
            elif pname.startswith("bias"):
                if self.scheme == "torch":
                    _fi.uniform_(p, -1 / math.sqrt(hidden), 1 / math.sqrt(hidden), **self._kw(full))
                else:
                    _fi.zeros_(p)
                    if gates == 4 and pname.startswith("bias_ih"):  # forget gate: b_ih + b_hh = 1
                        with torch.no_grad():
                            p[hidden : 2 * hidden].fill_(1.0)


def init_module_(
    model: nn.Module,
    scheme: str = "torch",
    seed: int | None = None,
    *,
    nonlinearity: str = "relu",
    std: float = 0.02,
    n_layers: int | None = None,
    zero_init_residual: bool = False,
) -> nn.Module:
    """Re-initialize every parameter of `model` in place by a named policy and return it.

    Policies: "torch" (each layer type's torch defaults), "xavier", "kaiming" (gain from the
    activation that follows a layer in an nn.Sequential, else `nonlinearity`), "lecun", "normal" /
    "gpt2" (weights N(0, std**2), std 0.02, residual output projections — c_proj, o_proj,
    out_proj, down_proj, fc2, ... — scaled by 1/sqrt(2 n_layers), n_layers counted from names
    like "layers.N." when not given). In every policy but "torch" biases are 0; norm layers get
    weight 1, bias 0; Embedding is normal (std 1, or `std` for normal/gpt2; padding row 0);
    RNN/LSTM/GRU input weights xavier per gate, recurrent weights orthogonal per gate, LSTM
    forget-gate biases summing to 1. zero_init_residual zeroes the weight of the last norm layer
    of each residual block (torchvision's BasicBlock.bn2 / Bottleneck.bn3 convention).

    Each parameter's values are a pure function of (seed, its canonical name): wrapper prefixes
    (module., _orig_mod., _fsdp_wrapped_module., ...) are removed and tied parameters are set
    once, so results do not depend on construction order or wrapping, and a shard of the model
    can be initialized on its own. DTensor parameters (FSDP2, tensor parallel; even or uneven
    splits) fill their local shard with the values it has in the whole parameter, with no
    communication. seed=None draws one from torch's default generator.
    Modules the policy does not know are re-initialized by their own reset_parameters(), run
    under accelerate() with a seed derived from (seed, module name); if they have none, their
    parameters of 2 or more dimensions get the policy's weights, 1-D "weight"/"scale"/"gamma" of
    a module whose class name contains "Norm" (LlamaRMSNorm, T5LayerNorm, ...) 1, 1-D
    "bias"/"beta" 0, and other 1-D parameters keep their values. Arguments are checked before
    anything is changed.
    """
    if scheme not in POLICIES:
        raise ValueError(f"init_module_: scheme={scheme!r} is not one of {', '.join(map(repr, POLICIES))}")
    std = check_real("init_module_", "std", std)
    if std < 0:
        raise ValueError(f"init_module_: std must be >= 0; got std={std}")
    try:  # an unknown nonlinearity fails before anything is changed
        _fi.calculate_gain(nonlinearity)
    except ValueError as exc:
        raise ValueError(f"init_module_: nonlinearity={nonlinearity!r} is not usable: {exc}") from None
    if n_layers is not None and (isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1):
        raise ValueError(f"init_module_: n_layers must be a positive int or None; got {n_layers!r}")
    if seed is None:
        seed = seed_from_torch(torch.default_generator)
    names = [canonical_name(n) for n, _ in model.named_parameters(remove_duplicate=False)]
    policy = _Policy(scheme, seed, nonlinearity, std, n_layers or _n_layers(names),
                     _following_activations(model))  # fmt: skip
    done: set[int] = set()
    # Tied parameters: visit modules in order of their smallest canonical name, so the name a
    # tied tensor is initialized under does not depend on construction order.
    modules = sorted(
        ((canonical_module_name(n), m) for n, m in model.named_modules(remove_duplicate=False)),
        key=lambda t: t[0],
    )
    # A weight tied between an Embedding and another layer (a language model's lm_head) is an
    # embedding: the Embedding initializes it, under its own name.
    embedded = {id(m.weight) for _, m in modules if isinstance(m, nn.Embedding)}
    from ._accelerate import accelerate

    for mname, module in modules:
        prefix = mname + "." if mname else ""
        own = [
            (n, p)
            for n, p in module.named_parameters(recurse=False)
            if id(p) not in done and (isinstance(module, nn.Embedding) or id(p) not in embedded)
        ]
        if not own:
            continue
        done.update(id(p) for _, p in own)
        if isinstance(module, nn.Embedding):
            policy.embedding(module, prefix + "weight")
        elif isinstance(module, nn.RNNBase):
            policy.recurrent(module, prefix)
        elif isinstance(module, _NORMS) or (_RMS_NORM is not None and isinstance(module, _RMS_NORM)):
            for n, p in own:
                (_fi.ones_ if n == "weight" else _fi.zeros_)(local_shard(p)[0])
        elif isinstance(module, nn.MultiheadAttention):
            policy.attention(module, prefix, own, done)
        elif isinstance(module, (nn.Linear, nn.modules.conv._ConvNd, nn.Bilinear)):
            weight = getattr(module, "weight", None)
            for n, p in own:
                if p.dim() >= 2:
                    policy.weight(module, prefix + n, p)
                else:
                    policy.bias(module, prefix + n, p, weight)
        elif hasattr(module, "reset_parameters"):
            with accelerate(seed=_derived_seed(seed, mname)):
                module.reset_parameters()
        else:
            norm_like = "Norm" in type(module).__name__  # LlamaRMSNorm, T5LayerNorm, ...
            for n, p in own:
                if p.dim() >= 2:
                    policy.weight(module, prefix + n, p)
                elif norm_like and n in _NORM_SCALES:
                    _fi.ones_(local_shard(p)[0])
                elif n in _BIASES:
                    _fi.zeros_(local_shard(p)[0])
                # other 1-D parameters of unknown modules (learned scales, ...) keep their values
    for _, module in modules:  # every Embedding's padding row, tied or not, ends at 0
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            _zero_padding_row(module)
    if zero_init_residual:
        _zero_last_norm_of_blocks(model)
    return model


def _zero_padding_row(module: nn.Embedding) -> None:
    weight, shard = local_shard(module.weight)
    if shard or weight.is_meta:  # a DTensor shard: the row may live on another rank
        return
    with torch.no_grad():
        weight[module.padding_idx].fill_(0)


def _derived_seed(seed: int, name: str) -> int:
    return _fi.Generator(seed ^ _fi.stream_id(name)).seed


def _zero_last_norm_of_blocks(model: nn.Module) -> None:
    for block in model.modules():
        kind = type(block).__name__
        if "Block" not in kind and "Bottleneck" not in kind:
            continue
        norms = [m for m in block.children() if isinstance(m, _NORMS)]
        if norms and getattr(norms[-1], "weight", None) is not None:
            _fi.zeros_(norms[-1].weight)
