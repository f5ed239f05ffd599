"""What the policies need to know about a model, read from its module tree: which modules are
linear maps and how their weights lay out fan-in and fan-out, which layers repeat (the blocks of
a transformer or a ResNet) and where each block's residual branches end, which output layer is
tied to an input embedding, and which activation follows a layer."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Callable, Union, cast

import torch
from torch import nn

from ._shards import canonical_module_name

__all__ = [
    "FAN_LAYOUTS", "Block", "Residual", "blocks", "fan_layout", "following_activations", "hf_models", "is_linear",
    "output_layer", "peft_adapters", "residual_map", "residual_outputs", "tied_output_embeddings", "torch_layout",
    "widths",
]  # fmt: skip

# Weight layouts of linear layers that are not torch's (out, in, *kernel), by class name, as
# fastinit.compute_fans layouts: HF transformers' Conv1D (GPT-2, GPT-J's older code, ...) stores
# its weight as (in, out). Extend it for other layers: FAN_LAYOUTS["MyLinear"] = "hwio".
FAN_LAYOUTS: dict[str, str] = {"Conv1D": "hwio"}

# When a block keeps its projections as direct children (q, k, v, o side by side), its branches
# cannot be told apart from the tree; these names mark the projections that end a branch.
_OUTPUT_NAMES = re.compile(r"(c_proj|o_proj|out_proj|down_proj|dense_4h_to_h|fc2|wo|w2|proj)$")

_ACTIVATION_GAIN: dict[type, Callable[[nn.Module], tuple[str, float | None]]] = {
    nn.ReLU: lambda m: ("relu", None),
    nn.LeakyReLU: lambda m: ("leaky_relu", float(m.negative_slope)),  # type: ignore[arg-type]
    nn.Tanh: lambda m: ("tanh", None),
    nn.Sigmoid: lambda m: ("sigmoid", None),
    nn.SELU: lambda m: ("selu", None),
    nn.Identity: lambda m: ("linear", None),
}


def fan_layout(module: nn.Module) -> str:
    """The compute_fans layout of module's weight: FAN_LAYOUTS by class name (any base class
    counts), else torch's "oihw"."""
    for cls in type(module).__mro__:
        layout = FAN_LAYOUTS.get(cls.__name__)
        if layout is not None:
            return layout
    return "oihw"


def torch_layout(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, ...]:
    """module's weight shape rearranged to torch's (out, in, *kernel), where fans are read."""
    if fan_layout(module) == "hwio" and len(shape) >= 2:
        return (shape[-1], shape[-2], *shape[:-2])
    return shape


def is_linear(module: nn.Module) -> bool:
    """A linear map with a weight: nn.Linear, the convolutions, and the layers of FAN_LAYOUTS."""
    if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd, nn.Bilinear)):
        return True
    return fan_layout(module) != "oihw" and isinstance(getattr(module, "weight", None), nn.Parameter)


def widths(module: nn.Module) -> tuple[int, int]:
    """(inputs, outputs) of a linear layer."""
    w = cast("torch.Tensor", module.weight)
    if fan_layout(module) == "hwio":
        return int(w.shape[-2]), int(w.shape[-1])
    return int(w.shape[1]), int(w.shape[0])


@dataclass(frozen=True)
class Block:
    """One of a run of repeated layers (or a block that stands alone, see blocks()): its
    qualified name, its index in the run, and the run's length."""

    name: str
    module: nn.Module
    index: int
    count: int


def _runs(children: list[tuple[str, nn.Module]]) -> list[list[tuple[str, nn.Module]]]:
    """Maximal runs of consecutive children of one class."""
    runs: list[list[tuple[str, nn.Module]]] = []
    for child in children:
        if runs and type(runs[-1][-1][1]) is type(child[1]):
            runs[-1].append(child)
        else:
            runs.append([child])
    return runs


def _stack(container: nn.ModuleList, name: str) -> list[tuple[str, nn.Module]]:
    """A ModuleList's elements by qualified name, those of nested ModuleLists in their place."""
    out: list[tuple[str, nn.Module]] = []
    for child_name, child in container.named_children():
        qualified = f"{name}.{child_name}" if name else child_name
        out += _stack(child, qualified) if isinstance(child, nn.ModuleList) else [(qualified, child)]
    return out


def _one_stack(container: nn.Module, name: str) -> list[tuple[str, nn.Module]]:
    """The layers of a ModuleList that is one stack although its elements are not a run of one
    class (else []): residual layers of several classes that each map their width back (a hybrid
    model's attention and Mamba layers), or ModuleLists of whole layers of one class, each with
    two or more branches (Funnel's groups). ModuleLists that hold one layer's branches
    ([attention, feed-forward], vit-pytorch's layout) are a run of those lists; a width-changing
    element (a merge, a stem) ends any stack."""
    if not isinstance(container, nn.ModuleList):
        return []
    children = list(container.children())
    layers = _stack(container, name)
    if len(layers) < 2 or not all(_holds_linear_layers(m) for _, m in layers):
        return []
    if all(isinstance(c, nn.ModuleList) for c in children):
        # whole layers (each with branches of its own), not one layer's branches in a list
        whole = all(
            sum(is_linear(b) or _holds_linear_layers(b) for b in m.children()) >= 2 for _, m in layers
        )
        return layers if whole and len({type(m) for _, m in layers}) == 1 else []
    if any(isinstance(c, nn.ModuleList) for c in children) or len({type(c) for c in children}) == 1:
        return []
    return layers if all(_maps_back(m) for _, m in layers) else []


def _holds_linear_layers(module: nn.Module) -> bool:
    """Whether module is a layer of blocks' kind: not a linear layer itself, but holding some."""
    return not is_linear(module) and any(is_linear(m) for m in module.modules())


def blocks(model: nn.Module) -> list[Block]:
    """The residual blocks, outermost first (a block nested inside a block is not reported).

    A block is one of a run of two or more consecutive modules of one class, holding linear
    layers, in an nn.ModuleList or nn.Sequential (a transformer's layers, a ResNet stage's
    blocks, blocks followed by a head in one nn.Sequential); a run of bare linear layers is not
    a run of blocks. Two kinds of nn.ModuleList are one run although their elements are not of
    one class (_one_stack): residual layers of several classes that each map their width back
    (a hybrid model's attention and Mamba layers), and ModuleLists of layers of one class
    (Funnel's groups). A module alone in such a container is a block of a run of one when its
    class is that of a repeated block elsewhere in the model (a ResNet stage of one block beside
    stages of two), or when it is the container's only layer holding linear layers and maps its
    input width back to its output width (see _maps_back): a one-layer transformer's block, a
    ResNet whose stages all hold one block."""
    found: list[Block] = []
    inside: set[int] = set()
    alone: list[tuple[str, nn.Module, nn.Module]] = []
    for name, container in model.named_modules():
        if id(container) in inside or not isinstance(container, (nn.ModuleList, nn.Sequential)):
            continue
        layers = _one_stack(container, name)
        if layers:
            for i, (qualified, child) in enumerate(layers):
                found.append(Block(qualified, child, i, len(layers)))
            inside.update(id(m) for m in container.modules())
            continue
        for run in _runs(list(container.named_children())):
            if not _holds_linear_layers(run[0][1]):
                continue
            for i, (child_name, child) in enumerate(run):
                qualified = f"{name}.{child_name}" if name else child_name
                if len(run) == 1:
                    alone.append((qualified, child, container))
                    continue
                found.append(Block(qualified, child, i, len(run)))
                inside.update(id(m) for m in child.modules())
    found += _blocks_alone(alone, {type(b.module) for b in found}, inside)
    order = {id(m): i for i, m in enumerate(model.modules())}
    return sorted(found, key=lambda b: order[id(b.module)])


def _blocks_alone(
    alone: list[tuple[str, nn.Module, nn.Module]], repeated: set[type], inside: set[int]
) -> list[Block]:
    """The modules alone in their container (outermost first) that blocks() counts as a block
    of a run of one; `inside` holds the ids of the modules in blocks already found, and grows."""
    found: list[Block] = []
    for name, module, container in alone:
        # A plain container only chains its children, so it cannot add a shortcut; a module that
        # holds (or sits in) a block already found is a stage or part of one, not a block.
        container_like = isinstance(module, (nn.ModuleList, nn.Sequential))
        if container_like or any(id(m) in inside for m in module.modules()):
            continue
        only_layer = all(c is module or not _holds_linear_layers(c) for c in container.children())
        if type(module) in repeated or (only_layer and _maps_back(module)):
            found.append(Block(name, module, 0, 1))
            inside.update(id(m) for m in module.modules())
    return found


def _maps_back(module: nn.Module) -> bool:
    """Whether module can add its input to its output, as a residual block does: its first
    linear layer reads the width its last one writes (a transformer block, a ResNet block with an
    identity shortcut), or a linear layer in a child container (the shortcut projection, a
    ResNet's downsample) maps the one width to the other. A head that changes the width (an MLP
    classifier) does not."""
    linears = [m for m in module.modules() if is_linear(m)]
    width_in, width_out = _channels(linears[0])[0], _channels(linears[-1])[1]
    if width_in == width_out:
        return True
    nested = (m for c in module.children() if not is_linear(c) for m in c.modules())
    return any(is_linear(m) and _channels(m) == (width_in, width_out) for m in nested)


def _channels(module: nn.Module) -> tuple[int, int]:
    """(inputs, outputs) of a linear layer as the data sees them: a convolution's channels (its
    weight holds in / groups, and a transposed one swaps the two), else widths()."""
    if isinstance(module, nn.modules.conv._ConvNd):
        return int(module.in_channels), int(module.out_channels)
    return widths(module)


def _branches(block: nn.Module) -> Iterator[nn.Module]:
    """The parts of a block that compute a residual branch: its children, with the elements of
    a ModuleList child (T5's block.layer) taken one by one."""
    for child in block.children():
        if isinstance(child, nn.ModuleList):
            yield from child.children()
        else:
            yield child


def residual_outputs(model: nn.Module) -> dict[nn.Module, Block]:
    """The linear layers that end a residual branch, with the block they belong to: in each
    block, the last linear layer (in the order the code creates them) of each branch that maps
    back to the block's width (the output size of its last linear layer). So Llama's o_proj and
    down_proj, GPT-2's attn.c_proj and mlp.c_proj, BERT's attention.output.dense and
    output.dense (its intermediate.dense widens: not an output), T5's o and wo, ViT's attn.proj
    and mlp.fc2. A block whose projections are direct children side by side has no branches in
    its tree; there the layers named like an output projection (o_proj, c_proj, down_proj, fc2,
    ...) of that width count. Use the result through init_module_'s ``residual=`` to correct it."""
    found: dict[nn.Module, Block] = {}
    for block in blocks(model):
        linears = [m for m in block.module.modules() if is_linear(m)]
        if not linears:
            continue
        width = widths(linears[-1])[1]
        flat = [(n, m) for n, m in block.module.named_children() if is_linear(m) and widths(m)[1] == width]
        if len(flat) >= 2:
            found.update((m, block) for n, m in flat if _OUTPUT_NAMES.search(n))
        for branch in _branches(block.module):
            if len(flat) >= 2 and is_linear(branch):
                continue
            last = [m for m in branch.modules() if is_linear(m)][-1:]
            if last and widths(last[0])[1] == width:
                found[last[0]] = block
    return found


def output_layer(model: nn.Module) -> nn.Module | None:
    """The model's output layer: an HF model's get_output_embeddings(), else the last linear layer
    (in the order the code creates them) outside the repeated blocks."""
    get = getattr(model, "get_output_embeddings", None)
    if callable(get):
        found = get()
        if isinstance(found, nn.Module) and is_linear(found):
            return found
    inside = {id(m) for b in blocks(model) for m in b.module.modules()}
    candidates = [m for m in model.modules() if is_linear(m) and id(m) not in inside]
    return candidates[-1] if candidates else None


def hf_models(model: nn.Module) -> list[nn.Module]:
    """The outermost HF transformers models (PreTrainedModel subclasses) in `model`: each one's
    initialize_weights and _init_weights cover the HF models inside it."""
    found: list[nn.Module] = []
    covered: set[int] = set()
    for module in model.modules():  # parents before children
        if id(module) not in covered and any(
            c.__name__ == "PreTrainedModel" and c.__module__.startswith("transformers")
            for c in type(module).__mro__
        ):
            found.append(module)
            covered.update(id(m) for m in module.modules())
    return found


def tied_output_embeddings(model: nn.Module) -> set[int]:
    """ids of embedding weights that a linear layer also uses as its weight (a language model's
    tied lm_head): they are the output layer's weights too."""
    embedding = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    return {id(m.weight) for m in model.modules() if is_linear(m) and id(m.weight) in embedding}


def following_activations(model: nn.Module) -> dict[nn.Module, tuple[str, float | None]]:
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


# What init_module_'s residual= takes: module names, or a predicate (name, module) -> bool;
# None detects the residual outputs.
Residual = Union[Collection[str], Callable[[str, nn.Module], bool], None]


def residual_map(model: nn.Module, residual: Residual) -> dict[nn.Module, Block]:
    """The residual output projections: detected, or chosen by `residual`."""
    if residual is None:
        return residual_outputs(model)
    block_of = {id(m): b for b in blocks(model) for m in b.module.modules()}
    chosen: dict[nn.Module, Block] = {}
    for name, module in model.named_modules():
        cname = canonical_module_name(name)
        picked = residual(cname, module) if callable(residual) else cname in residual
        if picked:
            if not is_linear(module):
                raise ValueError(f"init_module_: residual= picks {cname!r}, which is not a linear layer")
            chosen[module] = block_of.get(id(module), Block(cname, module, 0, 1))
    return chosen


def peft_adapters(model: nn.Module) -> tuple[set[int], dict[int, nn.Module]]:
    """(ids of the parameters of PEFT's adapters in model, adapter module id -> the layer its
    tuner layer wraps): the adapters are what a tuner layer lists in adapter_layer_names (LoRA's
    A and B, DoRA's magnitudes, ...). PEFT initializes them so that the adapted model starts as
    the base model (B = 0); the layer they wrap (base_layer) is the model's own."""
    params: set[int] = set()
    wrapped: dict[int, nn.Module] = {}
    for layer in model.modules():
        base = getattr(layer, "base_layer", None)
        if not type(layer).__module__.startswith("peft.") or not isinstance(base, nn.Module):
            continue
        for name in getattr(layer, "adapter_layer_names", ()):
            part = getattr(layer, name, None)
            if isinstance(part, nn.Module):
                params.update(id(p) for p in part.parameters())
                wrapped.update((id(m), base) for m in part.modules())
    return params, wrapped
