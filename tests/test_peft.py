"""fastinit on PEFT (LoRA) models, as fine-tuning code builds them: init_module_ leaves the
adapters as PEFT made them (the adapted model starts as the base model) and gives the wrapped
layers the values of the unwrapped model, depth-aware scaling included; a get_peft_model inside
deferred_init() is materialized with PEFT's own initialization; adapters that regenerate their
projections from a seeded generator (VeRA) get the same ones under accelerate()."""

from __future__ import annotations

import pytest

from zoo import _LM, import_library

# peft 0.21 asks transformers 5.24 for a name it has deprecated
pytestmark = pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
import fastinit.torch as ft  # noqa: E402


def _peft():
    import_library("transformers")  # (torchvision's missing operators first, as in tests/zoo.py)
    return pytest.importorskip("peft")


def _llama():
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(**_LM, num_key_value_heads=2)).eval()


_TARGETS = ["q_proj", "o_proj", "down_proj", "embed_tokens"]
_IDS = torch.arange(16).reshape(2, 8) + 3


def _unwrapped_names(model):
    """The adapted model's base tensors under the unwrapped model's names."""
    return {
        k.replace("base_model.model.", "").replace(".base_layer", ""): v
        for k, v in model.state_dict().items()
        if "lora_" not in k
    }


@pytest.mark.parametrize("policy", ["torch", "gpt2", "megatron"])
def test_init_module_keeps_peft_adapters_and_initializes_the_base_as_unwrapped(policy):
    """init_module_ drew LoRA's A and B like any nn.Linear (B no longer 0: the adapted model
    moved off the base), kept the Embedding's adapter with a warning, and (megatron) scaled
    lora_B as the end of the residual branch instead of o_proj; PEFT's name prefixes changed
    every stream."""
    peft = _peft()
    expected = ft.init_module_(_llama(), policy, seed=0).state_dict()
    model = peft.get_peft_model(_llama(), peft.LoraConfig(r=8, target_modules=_TARGETS))
    ft.init_module_(model, policy, seed=0)
    q = model.base_model.model.model.layers[0].self_attn.q_proj
    assert not q.lora_B.default.weight.any()
    base = _unwrapped_names(model)
    assert set(base) == set(expected)
    for name, value in expected.items():
        assert torch.equal(base[name], value), name
    with torch.no_grad():
        adapted = model(input_ids=_IDS).logits
        with model.disable_adapter():
            assert torch.equal(adapted, model(input_ids=_IDS).logits)


def test_a_peft_model_built_in_deferred_init_keeps_peft_init():
    """materialize_ ran HF's initialization after the whole replay, over get_peft_model's
    adapters: LoRA's B came out N(0, 0.02**2)."""
    peft = _peft()
    with ft.deferred_init():
        model = peft.get_peft_model(_llama(), peft.LoraConfig(r=8, target_modules=["q_proj"]))
    ft.materialize_(model, seed=0)
    q = model.base_model.model.model.layers[0].self_attn.q_proj
    a = q.lora_A.default.weight
    assert not q.lora_B.default.weight.any()
    bound = 1 / a.shape[1] ** 0.5  # kaiming_uniform_(a=sqrt(5)): U(+-1/sqrt(fan_in))
    assert a.abs().max() <= bound and a.std() > 0.8 * bound / 3**0.5


@pytest.mark.filterwarnings("ignore:Specified to not save vera_A:UserWarning")
def test_vera_projections_built_under_accelerate_are_the_ones_peft_regenerates():
    """VeRA with save_projection=False saves no projections: loading regenerates them from
    projection_prng_key under plain torch. accelerate() drew them from fastinit instead, so a
    saved adapter reloaded onto other projections, silently."""
    peft = _peft()

    def adapted():
        config = peft.VeraConfig(
            r=8, target_modules=["q_proj", "v_proj"], save_projection=False, projection_prng_key=7
        )
        return peft.get_peft_model(_llama(), config).base_model

    torch.manual_seed(0)
    plain = adapted()
    with ft.accelerate(seed=0):
        fast = adapted()
    for name in ("vera_A", "vera_B"):
        assert torch.equal(getattr(fast, name)["default"], getattr(plain, name)["default"])
