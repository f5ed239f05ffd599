"""init_module_: re-initialize an existing model by a named policy, with every parameter's values
a pure function of (seed, its canonical name). The rules per layer are in _policy.py, what is
read from the model's structure in _structure.py."""

from __future__ import annotations

import warnings
from collections.abc import Collection

import torch
from torch import nn

from fastinit.engine.fill import check_real
from fastinit.engine.streams import stream_version_of
from fastinit.engine.torch_seeds import seed_from_torch

from .._docstrings import documented
from ..engine import streams as _streams
from ..schemes import deterministic as _deterministic
from ..schemes import gain as _gain
from ._accelerate import accelerate
from ._depth import DEPTH_POLICIES
from ._model_checks import check_depth_structure, check_moe_reachable, check_no_lazy, check_residual_found
from ._mup import Base, MupRule, base_shapes, check_base
from ._policy import POLICIES, Policy
from ._residual_start import fixup_, fixup_branches, zero_residual_branches_
from ._shards import canonical_module_name, canonical_name, local_shard
from ._structure import (
    Residual,
    following_activations,
    hf_models,
    is_linear,
    output_layer,
    peft_adapters,
    residual_map,
    tied_output_embeddings,
)
from ._transformer import TRANSFORMER_POLICIES, placements, stack_scales

__all__ = ["POLICIES", "canonical_name", "init_module_", "reinitialize"]


_NORMS = (
    nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm,
    nn.modules.batchnorm._NormBase,  # BatchNorm*, InstanceNorm*
)  # fmt: skip
_RMS_NORM = getattr(nn, "RMSNorm", None)

# 1-D parameters of modules whose own code sets nothing: a norm-like module's scales are set to
# 1, biases of any module to 0; other parameters keep their values (and init_module_ says so).
_NORM_SCALES = ("weight", "scale", "gamma")
_BIASES = ("bias", "beta")


def _is_norm(module: nn.Module) -> bool:
    return isinstance(module, _NORMS) or (_RMS_NORM is not None and isinstance(module, _RMS_NORM))


# The policies that read std= and n_layers= (others draw by their own rule: an argument they would
# ignore is an error).
_TAKE_STD = ("normal", "gpt2", *DEPTH_POLICIES, "mup")
_TAKE_N_LAYERS = ("normal", "gpt2", *DEPTH_POLICIES)


@documented
def init_module_(
    model: nn.Module,
    policy: str = "torch",
    seed: int | None = None,
    *,
    nonlinearity: str = "relu",
    std: float | None = None,
    n_layers: int | None = None,
    zero_init_residual: bool = False,
    residual: Residual = None,
    base: Base | None = None,
    zero_readout: bool = False,
    stream_version: int | None = None,
) -> nn.Module:
    """Re-initialize every parameter of `model` in place by a named policy and return it.

    Policies: "torch" (each layer type's torch defaults), "xavier", "kaiming" (gain from the
    activation that follows a layer in an nn.Sequential, else `nonlinearity`), "lecun", "normal" /
    "gpt2" (weights N(0, std**2), std 0.02, with the projections that end a residual branch
    scaled by 1/sqrt(2 n_layers)), and the depth-aware "megatron", "neox", "mitchell" and
    "full_megatron" (docs/policies.md: formulas and sources; they raise ValueError rather than
    guess when the model has no repeated blocks), the Transformer policies "deepnorm" and
    "t_fixup" (scaled by the number of encoder and decoder blocks), and "mup" (µP relative to
    ``base``, a model of the same architecture at its base width or its parameter shapes by
    name; ``std`` is then the base std, default 1/sqrt(base fan_in); ``zero_readout`` zeroes the
    output layer; see mup_), and "zerO" (ZerO: deterministic identity and Hadamard weights,
    fastinit.hadamard_identity_, with the last layer of each residual branch zero). Fans are
    read in each layer's own weight layout (HF's Conv1D stores (in, out); see
    fastinit.torch.FAN_LAYOUTS). In every policy but "torch" biases are
    0; norm layers get weight 1, bias 0, and BatchNorm's running statistics are reset;
    Embedding is N(0, 1) (N(0, std**2) for normal/gpt2; padding row 0) — except an embedding
    tied to the output layer (a language model's lm_head), which is initialized as that output
    layer (fan_in = its width, linear gain), so the first loss is near ln(vocabulary). RNN/LSTM/
    GRU input weights are xavier per gate, recurrent weights orthogonal per gate, LSTM
    forget-gate biases summing to 1.

    The residual branches: in each run of repeated layers (a transformer's blocks; a run of one
    is a block alone in its nn.ModuleList / nn.Sequential that is of a repeated block's class or
    maps its input width back, as a one-layer transformer's block or a ResNet stage's only block
    does), the last linear layer of each branch that maps back to the block's width (Llama's
    o_proj and down_proj, GPT-2's two c_proj, BERT's attention.output.dense and output.dense, T5's
    o and wo, ViT's proj and fc2), n_layers being the length of that run unless given.
    ``residual=`` replaces the detection: a collection of module names (canonical, as in
    named_modules) or a callable (name, module) -> bool. zero_init_residual makes every residual
    block start as the identity: it zeroes the block's residual gains where it has them (ReZero /
    SkipInit scalars, timm's LayerScale, ConvNeXt's gamma), else the branch's last norm scale
    where the block keeps its layers side by side (torchvision's and timm's BasicBlock.bn2 /
    Bottleneck.bn3), else the weights that end its residual branches; a model without residual
    blocks is a ValueError. "fixup" is He initialization rescaled as Fixup prescribes for
    residual networks without normalization (docs/policies.md), L counting the residual blocks
    of the whole network.

    Modules the policy does not know keep to their own code: their reset_parameters() (or,
    inside an HF transformers model, its _init_weights for that module) runs under accelerate()
    with a seed derived from (seed, module name), after the policy, so structure it sets (a
    Mamba layer's A_log, D and dt_proj.bias, layer scales) survives. Parameters no code sets
    keep their values, with a warning naming them (norm-like modules' 1-D scales are set to 1
    and biases to 0), as do a linear layer's parameters beside its weight and bias (a
    weight-standardized conv's gain). Mixture-of-experts weights are refused instead (Raises).

    Each parameter's values are a pure function of (seed, its canonical name): wrapper prefixes
    (module., _orig_mod., _fsdp_wrapped_module., ...) are removed and tied parameters are set
    once, so results do not depend on construction order or wrapping, and a shard of the model
    can be initialized on its own. DTensor parameters (FSDP2, tensor parallel; even or uneven
    splits) fill their local shard with the values it has in the whole parameter, with no
    communication. seed=None draws one from torch's default generator. Arguments are checked
    before anything is changed.

    Parameters
    ----------
    model : torch.nn.Module
        The model, its parameters in memory (see materialize_ for a meta model).
    policy : str, optional
        One of fastinit.torch.POLICIES (default "torch").
    seed : int, optional
        The seed every parameter's values derive from; None (default) draws one from torch's
        default generator.
    nonlinearity : str, optional
        Keyword only: the gain's activation where none follows a layer (default "relu").
    std : float, optional
        Keyword only: the std of "normal" / "gpt2" and the depth-aware policies (default 0.02),
        or the base std of "mup"; >= 0.
    n_layers : int, optional
        Keyword only: the depth that scales the residual projections, >= 1 (default: the length
        of the run of repeated blocks).
    zero_init_residual : bool, optional
        Keyword only: start every residual block as the identity (default False).
    residual : collection of str or callable, optional
        Keyword only: the layers that end residual branches, by canonical module name or by a
        predicate (name, module) -> bool, instead of detecting them.
    base : torch.nn.Module or mapping of str to tuple of int, optional
        Keyword only: the base model of "mup" (and only of it).
    zero_readout : bool, optional
        Keyword only: "mup" zeroes the output layer (default False).
    stream_version : {1, 2}, optional
        Keyword only: the stream version of the policy's draws (docs/stream.md; default
        fastinit.default_stream_version()). Parameters the model's own code initializes (those
        no policy rule covers) follow the default.

    <returns model>

    Raises
    ------
    TypeError
        residual is neither a collection of names nor a callable.
    ValueError
        An unknown policy or nonlinearity; std < 0; n_layers not an int >= 1; std= or n_layers=
        under a policy that does not read it (std=: "normal", "gpt2", the depth-aware ones and
        "mup"; n_layers=: "normal", "gpt2" and the depth-aware ones); base= without
        "mup" or "mup" without base=; a depth-aware policy on a model without residual blocks;
        zero_init_residual=True on a model without residual blocks; n_layers= under "normal" /
        "gpt2" on a model without residual outputs; a lazy module's uninitialized parameters or
        buffers; a policy other than "torch" on mixture-of-experts weights its modules apply
        with their own code (transformers' fused *Experts, *Router). Nothing is changed.

    Warns
    -----
    RuntimeWarning
        Naming parameters that no code sets (they keep their values).

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> def mlp():
    ...     return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    >>> a = ft.init_module_(mlp(), "kaiming", seed=0)
    >>> b = ft.init_module_(mlp(), "kaiming", seed=0)
    >>> torch.equal(a[0].weight, b[0].weight), float(a[0].bias.detach().abs().sum())
    (True, 0.0)
    """
    if policy not in POLICIES:
        raise ValueError(f"init_module_: policy={policy!r} is not one of {', '.join(map(repr, POLICIES))}")
    if std is not None:
        std = check_real("init_module_", "std", std)
        if std < 0:
            raise ValueError(f"init_module_: std must be >= 0; got std={std}")
    for keyword, value, takes in (("std", std, _TAKE_STD), ("n_layers", n_layers, _TAKE_N_LAYERS)):
        if value is not None and policy not in takes:
            raise ValueError(
                f"init_module_: {keyword}={value!r} is read by policies {', '.join(map(repr, takes))}; policy "
                f"{policy!r} draws by its own rule and would ignore it"
            )
    if (base is None) == (policy == "mup"):
        raise ValueError(
            f"init_module_: base= is the base model of policy 'mup' and only of it; got policy={policy!r}, base={base!r}"
        )
    try:  # an unknown nonlinearity fails before anything is changed
        _gain.calculate_gain(nonlinearity)
    except ValueError as exc:
        raise ValueError(f"init_module_: nonlinearity={nonlinearity!r} is not usable: {exc}") from None
    if n_layers is not None and (isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 1):
        raise ValueError(f"init_module_: n_layers must be a positive int or None; got {n_layers!r}")
    if not (residual is None or callable(residual) or isinstance(residual, Collection)) or isinstance(
        residual, str
    ):
        raise TypeError(
            "init_module_: residual must be a collection of module names or a callable (name, module) -> bool; "
            f"got {residual!r}"
        )
    version = stream_version_of("init_module_", stream_version, None)
    if seed is None:
        seed = seed_from_torch(torch.default_generator)
    mup = None
    if base is not None:
        shapes = base_shapes(base, "init_module_")
        check_base(model, shapes, "init_module_")
        mup = MupRule(shapes, std, bool(zero_readout))
    return reinitialize(
        model, policy, seed, nonlinearity=nonlinearity, std=0.02 if std is None else std, n_layers=n_layers,
        zero_init_residual=zero_init_residual, residual=residual, mup=mup, stream_version=version,
    )  # fmt: skip


def reinitialize(
    model: nn.Module,
    scheme: str,
    seed: int,
    *,
    nonlinearity: str = "relu",
    std: float = 0.02,
    n_layers: int | None = None,
    zero_init_residual: bool = False,
    residual: Residual = None,
    keep: Collection[int] = (),
    warn_kept: bool = True,
    mup: MupRule | None = None,
    stream_version: int,
) -> nn.Module:
    """init_module_ with checked arguments; parameters whose id is in `keep` are left alone, and
    with warn_kept=False parameters no code sets are kept silently (the caller reports them).
    Policy "mup" takes its rule in `mup`."""
    if scheme == "mup" and mup is None:
        raise ValueError("init_module_: policy 'mup' needs its base model (base=)")
    check_no_lazy("init_module_", model)
    residuals = residual_map(model, residual)
    adapters, wrapped = peft_adapters(model)
    # an adapter found as a branch's last linear layer (LoRA's B on o_proj): the layer it wraps
    residuals = {wrapped.get(id(m), m): b for m, b in residuals.items()}
    if scheme == "fixup":
        fixup_branches(model)  # a model it does not apply to fails before anything is changed
    if scheme in DEPTH_POLICIES:
        check_depth_structure(model, scheme, residuals, n_layers, residual is not None)
    check_residual_found(model, scheme, residuals, n_layers, zero_init_residual)
    check_moe_reachable("init_module_", model, scheme, set(keep))
    placed, embedding_scale = {}, 1.0
    if scheme in TRANSFORMER_POLICIES:  # a model it does not apply to fails before anything is changed
        placed, embedding_scale = placements(model, scheme), stack_scales(model, scheme)[1]
    policy = Policy(
        "kaiming" if scheme == "fixup" else scheme, seed, nonlinearity, std, n_layers, following_activations(model),
        residuals, tied_output_embeddings(model), output_layer(model),
        mup=mup, placed=placed, embedding_scale=embedding_scale, stream_version=stream_version,
    )  # fmt: skip
    done: set[int] = set(keep) | adapters  # PEFT's adapters keep PEFT's init (LoRA's B = 0)
    # Tied parameters: visit modules in order of their smallest canonical name, so the name a
    # tied tensor is initialized under does not depend on construction order.
    modules = sorted(
        ((canonical_module_name(n), m) for n, m in model.named_modules(remove_duplicate=False)),
        key=lambda t: t[0],
    )
    # A weight tied between an Embedding and another layer (a language model's lm_head) is
    # initialized by the Embedding, under its own name.
    embedded = {id(m.weight) for _, m in modules if isinstance(m, nn.Embedding)}
    unknown: list[tuple[str, nn.Module, list[tuple[str, nn.Parameter]]]] = []
    extra: list[tuple[str, nn.Parameter]] = []  # a linear layer's parameters no rule covers (kept)
    for mname, module in modules:
        prefix = mname + "." if mname else ""
        own = [
            (n, p)
            for n, p in module.named_parameters(recurse=False)
            if id(p) not in done and (isinstance(module, nn.Embedding) or id(p) not in embedded)
        ]
        done.update(id(p) for _, p in own)
        if _is_norm(module):
            policy.norm(module, own)  # also parameter-free norms: their running statistics
        elif not own:
            continue
        elif isinstance(module, nn.Embedding):
            policy.embedding(module, prefix + "weight")
        elif isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
            policy.recurrent(module, prefix)
        elif isinstance(module, nn.MultiheadAttention):
            policy.attention(module, prefix, own, done)
        elif is_linear(module):
            extra += _linear_layer(policy, module, prefix, own)
        else:
            unknown.append((mname, module, own))
    kept = _own_code(model, unknown, seed) + extra
    if scheme == "torch":
        policy.transformers(model, set(keep) | adapters)
    for _, module in modules:  # every Embedding's padding row, tied or not, ends at 0
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            _zero_padding_row(module)
    if scheme == "fixup":
        fixup_(model)
    if scheme == "zerO":
        zero_residual_branches_(model, gains_and_norms=False)
    if zero_init_residual:
        gains = zero_residual_branches_(model)
        kept = [(n, p) for n, p in kept if id(p) not in gains]
    if kept and warn_kept:
        warnings.warn(
            f"init_module_: kept the values of {', '.join(n for n, _ in kept)}: no policy rule covers them, nor does "
            "their modules' code (reset_parameters) set them; initialize them yourself if they need it",
            RuntimeWarning,
            stacklevel=3,
        )
    return model


def _linear_layer(
    policy: Policy, module: nn.Module, prefix: str, own: list[tuple[str, nn.Parameter]]
) -> list[tuple[str, nn.Parameter]]:
    """A linear layer's weights (weight, and the weight_v / weight_orig that weight_norm and
    spectral_norm keep in its place) by the policy's weight rule, biases by its bias rule, and
    weight_norm's magnitude weight_g as the norm of the weight_v drawn. Returns the parameters
    no rule covers (a weight-standardized conv's gain), which keep their values."""
    weight = getattr(module, "weight", None)
    extra, magnitude = [], None
    for n, p in own:
        if n == "weight_g":
            magnitude = p
        elif n.startswith("weight") and p.dim() >= 2:
            policy.weight(module, prefix + n, p)
        elif n.startswith("bias"):
            policy.bias(module, prefix + n, p, weight)
        else:
            extra.append((prefix + n, p))
    direction = getattr(module, "weight_v", None)
    if magnitude is not None and isinstance(direction, torch.Tensor):
        hook = next((h for h in module._forward_pre_hooks.values() if type(h).__name__ == "WeightNorm"), None)
        with torch.no_grad():
            magnitude.copy_(torch.norm_except_dim(direction, 2, getattr(hook, "dim", 0)))
    return extra


def _own_code(
    model: nn.Module, unknown: list[tuple[str, nn.Module, list[tuple[str, nn.Parameter]]]], seed: int
) -> list[tuple[str, nn.Parameter]]:
    """Run each unknown module's own initialization (reset_parameters, or its HF model's
    _init_weights) under accelerate(); returns the parameters nothing wrote, by name."""
    hf = next(iter(hf_models(model)), None)
    kept: list[tuple[str, nn.Parameter]] = []
    for mname, module, own in unknown:
        reset = getattr(module, "reset_parameters", None) or getattr(module, "_reset_parameters", None)
        versions = {id(p): p._version for _, p in own}
        with accelerate(seed=_derived_seed(seed, mname)), torch.no_grad():
            if reset is not None:
                reset()
            elif hf is not None:
                for t in (module, *(p for _, p in own)):
                    t.__dict__.pop("_is_hf_initialized", None)
                hf._init_weights(module)  # type: ignore[operator]  # an HF method, untyped here
        norm_like = "Norm" in type(module).__name__  # LlamaRMSNorm, T5LayerNorm, ...
        for n, p in own:
            if p._version != versions[id(p)]:
                continue
            if p.dim() == 1 and norm_like and n in _NORM_SCALES:
                _deterministic.ones_(local_shard(p)[0])
            elif p.dim() == 1 and n in _BIASES:
                _deterministic.zeros_(local_shard(p)[0])
            else:
                kept.append((f"{mname}.{n}" if mname else n, p))
    return kept


def _zero_padding_row(module: nn.Embedding) -> None:
    weight, shard = local_shard(module.weight)
    if shard or weight.is_meta:  # a DTensor shard: the row may live on another rank
        return
    with torch.no_grad():
        weight[module.padding_idx].fill_(0)


def _derived_seed(seed: int, name: str) -> int:
    return _streams.Generator(seed ^ _streams.stream_id(name)).seed
