"""Small configurations of real models from HF transformers, timm and torchvision, for the tests
that run fastinit on third-party model code. Each entry builds a model from a config (nothing is
downloaded) and makes an input for one forward pass. Tests skip an entry whose library is not
installed.

The registry's torchvision wheel is built for CUDA torch and cannot load its C operators beside
torch's CPU build: ``import torchvision`` (and so ``import timm``) fails while registering fakes
for ``torchvision::nms``/``qnms``. ``import_library`` then defines those two operator schemas
with torch.library and imports again: the pure-Python model code needs no C operator.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from typing import Any, Callable

import pytest

torch = pytest.importorskip("torch")

_TORCHVISION_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_torchvision_ops: list[Any] = []  # keeps the torch.library.Library alive


def _make_torchvision_importable() -> None:
    """Import torchvision if it is installed, defining its two operator schemas first if its C
    operators cannot load (transformers and timm import torchvision themselves)."""
    if "torchvision" in sys.modules or importlib.util.find_spec("torchvision") is None:
        return
    try:
        importlib.import_module("torchvision")
        return
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
    for module in [m for m in sys.modules if m.split(".")[0] == "torchvision"]:
        del sys.modules[module]  # the half-imported modules of the failed attempt
    lib = torch.library.Library("torchvision", "DEF")
    for schema in _TORCHVISION_SCHEMAS:
        lib.define(schema)
    _torchvision_ops.append(lib)
    importlib.import_module("torchvision")


def import_library(name: str) -> Any:
    """Import transformers, timm or torchvision (ImportError if it is not installed)."""
    _make_torchvision_importable()
    return importlib.import_module(name)


def require(name: str) -> Any:
    try:
        return import_library(name)
    except ImportError as exc:
        pytest.skip(f"{name} is not installed: {exc}")


@dataclass(frozen=True)
class Entry:
    library: str
    build: Callable[[Any], Any]  # the imported library -> a model
    inputs: Callable[[], dict[str, Any]]  # keyword arguments of one forward pass


def _ids(n: int = 8) -> dict[str, Any]:
    return {"input_ids": torch.arange(2 * n).reshape(2, n) % 97 + 3}


def _image(size: int) -> Callable[[], dict[str, Any]]:
    return lambda: {"x": torch.linspace(-1, 1, 2 * 3 * size * size).reshape(2, 3, size, size)}


def _hf(model: str, config: str, **kw: Any) -> Callable[[Any], Any]:
    return lambda tf: getattr(tf, model)(getattr(tf, config)(**kw))


_LM = dict(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4)

ZOO: dict[str, Entry] = {
    "hf-llama": Entry(
        "transformers", _hf("LlamaForCausalLM", "LlamaConfig", **_LM, num_key_value_heads=2), _ids
    ),
    "hf-llama-tied": Entry(
        "transformers",
        _hf("LlamaForCausalLM", "LlamaConfig", **_LM, num_key_value_heads=2, tie_word_embeddings=True),
        _ids,
    ),
    "hf-qwen2": Entry(
        "transformers", _hf("Qwen2ForCausalLM", "Qwen2Config", **_LM, num_key_value_heads=2), _ids
    ),
    "hf-gpt-neox": Entry("transformers", _hf("GPTNeoXForCausalLM", "GPTNeoXConfig", **_LM), _ids),
    "hf-gpt2": Entry(
        "transformers",
        _hf(
            "GPT2LMHeadModel",
            "GPT2Config",
            vocab_size=1000,
            n_embd=64,
            n_layer=2,
            n_head=4,
            n_positions=64,
            bos_token_id=0,
            eos_token_id=0,
        ),
        _ids,
    ),
    "hf-bert": Entry(
        "transformers",
        _hf("BertForMaskedLM", "BertConfig", **_LM, max_position_embeddings=64, pad_token_id=0),
        _ids,
    ),
    "hf-t5": Entry(
        "transformers",
        _hf(
            "T5ForConditionalGeneration",
            "T5Config",
            vocab_size=1000,
            d_model=64,
            d_kv=16,
            d_ff=128,
            num_layers=2,
            num_heads=4,
            decoder_start_token_id=0,
        ),
        lambda: {**_ids(), "decoder_input_ids": _ids(4)["input_ids"]},
    ),
    "hf-vit": Entry(
        "transformers",
        _hf(
            "ViTForImageClassification",
            "ViTConfig",
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            image_size=32,
            patch_size=8,
        ),
        lambda: {"pixel_values": _image(32)()["x"]},
    ),
    "hf-clip": Entry(
        "transformers",
        lambda tf: tf.CLIPModel(
            tf.CLIPConfig(
                text_config=dict(
                    vocab_size=1000,
                    hidden_size=64,
                    intermediate_size=128,
                    num_hidden_layers=2,
                    num_attention_heads=4,
                    max_position_embeddings=32,
                    bos_token_id=0,
                    eos_token_id=2,
                    pad_token_id=1,
                ),
                vision_config=dict(
                    hidden_size=64,
                    intermediate_size=128,
                    num_hidden_layers=2,
                    num_attention_heads=4,
                    image_size=32,
                    patch_size=8,
                ),
            )
        ),
        lambda: {**_ids(), "pixel_values": _image(32)()["x"]},
    ),
    "hf-whisper": Entry(
        "transformers",
        _hf(
            "WhisperForConditionalGeneration",
            "WhisperConfig",
            vocab_size=1000,
            d_model=64,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=128,
            decoder_ffn_dim=128,
            num_mel_bins=16,
            max_source_positions=32,
            max_target_positions=32,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
            decoder_start_token_id=1,
            suppress_tokens=[],
            begin_suppress_tokens=[],
        ),
        lambda: {
            "input_features": torch.linspace(-1, 1, 2 * 16 * 64).reshape(2, 16, 64),
            "decoder_input_ids": _ids(4)["input_ids"],
        },
    ),
    "hf-mamba": Entry(
        "transformers",
        _hf(
            "MambaForCausalLM",
            "MambaConfig",
            vocab_size=1000,
            hidden_size=64,
            num_hidden_layers=2,
            state_size=8,
        ),
        _ids,
    ),
    "timm-vit": Entry(
        "timm", lambda timm: timm.create_model("vit_tiny_patch16_224", img_size=32, patch_size=8), _image(32)
    ),
    "timm-deit": Entry(
        "timm",
        lambda timm: timm.create_model("deit_tiny_distilled_patch16_224", img_size=32, patch_size=8),
        _image(32),
    ),
    "timm-convnext": Entry("timm", lambda timm: timm.create_model("convnext_atto"), _image(64)),
    "timm-swin": Entry(
        "timm",
        lambda timm: timm.create_model(
            "swin_tiny_patch4_window7_224",
            img_size=64,
            window_size=4,
            embed_dim=32,
            depths=(1, 1, 1, 1),
            num_heads=(1, 1, 1, 1),
        ),
        _image(64),
    ),
    "timm-efficientnet": Entry("timm", lambda timm: timm.create_model("efficientnet_b0"), _image(64)),
    "timm-resnet": Entry("timm", lambda timm: timm.create_model("resnet18"), _image(64)),
    "tv-resnet": Entry("torchvision", lambda tv: tv.models.resnet18(), _image(64)),
    "tv-vit": Entry(
        "torchvision",
        lambda tv: tv.models.VisionTransformer(
            image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128
        ),
        _image(32),
    ),
    "tv-convnext": Entry("torchvision", lambda tv: tv.models.convnext_tiny(), _image(64)),
    "tv-mobilenet": Entry("torchvision", lambda tv: tv.models.mobilenet_v3_small(), _image(64)),
}


def build(name: str) -> Any:
    """Build ZOO[name] (skips if its library is missing)."""
    entry = ZOO[name]
    return entry.build(require(entry.library))


def forward(name: str, model: Any) -> list[Any]:
    """One forward pass in eval mode; the floating tensors of the output."""
    model.eval()
    with torch.no_grad():
        out = model(**ZOO[name].inputs())
    values = out.values() if isinstance(out, dict) else [out]  # HF's ModelOutput is a dict
    return [v for v in values if isinstance(v, torch.Tensor) and v.is_floating_point()]
