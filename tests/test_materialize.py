"""materialize_ on real models (tests/zoo.py): a model built on the meta device comes out with
every parameter and buffer initialized by its own code, drawn by fastinit — or an error that
names what could not be initialized. Freed memory holds a sentinel first, so a tensor left with
to_empty's memory cannot pass."""

from __future__ import annotations

import warnings

import pytest

from model_checks import all_tensors, assert_model_like_torch
from zoo import _LM, ZOO, build, forward, require

torch = pytest.importorskip("torch")
import fastinit.torch as ft  # noqa: E402

HF = [name for name, entry in ZOO.items() if entry.library == "transformers"]
OTHERS = [name for name in ZOO if name not in HF]


def _leave_sentinels_in_freed_memory(model):
    """Fill and free memory of the sizes the model will allocate: uninitialized memory handed
    out next is likely to hold 7777777 (or NaN), never plausible weights."""
    blocks = []
    for t in all_tensors(model).values():
        block = torch.empty(t.shape, dtype=t.dtype)
        block.fill_(float("nan") if t.is_floating_point() else 7777777 if t.dtype != torch.bool else True)
        blocks.append(block)
    del blocks


def _assert_initialized_like_torch(name, model):
    """model equals, tensor by tensor, what its library builds (in law where torch draws), and
    runs like a normally built model holding the same state."""
    torch.manual_seed(0)
    plain = build(name)
    torch.manual_seed(1)
    other = build(name)
    assert_model_like_torch(plain, other, model)
    plain.load_state_dict(model.state_dict())  # non-persistent buffers stay plain's own
    for ours, theirs in zip(forward(name, model), forward(name, plain), strict=True):
        torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize("name", ZOO)
def test_deferred_init_then_materialize_replays_the_models_own_code(name):
    with ft.deferred_init():
        model = build(name)
    assert all(t.is_meta for t in all_tensors(model).values())
    _leave_sentinels_in_freed_memory(model)
    ft.materialize_(model, seed=5)
    _assert_initialized_like_torch(name, model)
    # The replay draws what the accelerated build draws, stream for stream; except where the
    # meta build cannot run the same operations: HF skips its init on the meta device
    # (materialize_ runs it after the replay), and torch.nn.init.trunc_normal_, which returns at
    # once on meta tensors, is recorded by the inverse CDF instead of torch's normal_ + check.
    if name in HF or name in ("tv-vit", "tv-convnext"):
        return
    with ft.accelerate(seed=5):
        built = build(name)
    for key, value in all_tensors(built).items():
        assert torch.equal(value, all_tensors(model)[key]), key


@pytest.mark.parametrize("name", [name for name in HF if name != "hf-clip"])
def test_plain_meta_hf_model_materializes_with_hfs_own_init(name):
    with torch.device("meta"):
        model = build(name)
    _leave_sentinels_in_freed_memory(model)
    ft.materialize_(model, seed=5)
    _assert_initialized_like_torch(name, model)


def test_plain_meta_build_names_what_the_libraries_own_init_does_not_set():
    """HF's CLIP sets logit_scale (2.659) only in its constructor, never in _init_weights: after
    a plain meta build nothing can recompute it, and materialize_ says so."""
    with torch.device("meta"):
        model = build("hf-clip")
    with pytest.raises(ft.NotInitializedError, match=r"initialized 1 tensor\(s\): logit_scale\."):
        ft.materialize_(model, seed=5)
    assert torch.isnan(model.logit_scale)


@pytest.mark.parametrize("name", OTHERS)
def test_plain_meta_build_needs_deferred_init_for_the_model_policy(name):
    """Without a recording, the constructor's own values (torchvision's kaiming_normal_ loop,
    timm's layer scales) are lost: "model" refuses, naming the classes, and changes nothing."""
    with torch.device("meta"):
        model = build(name)
    with pytest.raises(ValueError, match="deferred_init"):
        ft.materialize_(model, seed=0)
    assert all(t.is_meta for t in all_tensors(model).values())


def test_a_policy_on_a_plain_meta_build_names_what_it_cannot_initialize():
    with torch.device("meta"):
        model = build("timm-convnext")
    with pytest.raises(ft.NotInitializedError, match=r"stages\.0\.blocks\.0\.gamma") as info:
        ft.materialize_(model, "kaiming", seed=0)
    assert "deferred_init" in str(info.value)
    assert torch.isnan(model.stages[0].blocks[0].gamma).all()  # poisoned, not left as garbage
    with torch.device("meta"):
        model = build("timm-convnext")
    with pytest.warns(RuntimeWarning, match="gamma"):
        ft.materialize_(model, "kaiming", seed=0, on_uninitialized="warn")


@pytest.mark.parametrize("version", [None, 1, 2])
def test_a_policy_draws_what_init_module_draws(version):
    """materialize_ under a policy drew its normals from stream version 1 whatever the default,
    so a model built on meta differed from one built on the CPU and given init_module_."""

    def build():
        return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Embedding(5, 8))

    keyword = {} if version is None else {"stream_version": version}
    expected = ft.init_module_(build(), "gpt2", seed=9, **keyword)
    with torch.device("meta"):
        model = build()
    ft.materialize_(model, "gpt2", seed=9, **keyword)
    for (name, ours), theirs in zip(model.named_parameters(), expected.parameters(), strict=True):
        assert torch.equal(ours, theirs), name


def test_a_policy_on_a_plain_meta_build_resets_norm_statistics():
    with torch.device("meta"):
        model = build("tv-resnet")
    _leave_sentinels_in_freed_memory(model)
    ft.materialize_(model, "kaiming", seed=0)
    assert (model.bn1.running_mean == 0).all() and (model.bn1.running_var == 1).all()
    assert all(torch.isfinite(t).all() for t in forward("tv-resnet", model))


def test_materialize_keeps_what_was_loaded_and_fills_the_rest():
    """load_state_dict(assign=True) on a meta model leaves non-persistent buffers (Llama's rotary
    frequencies) on the meta device; materialize_ initializes them and keeps the loaded weights."""
    torch.manual_seed(0)
    source = build("hf-llama")
    with torch.device("meta"):
        model = build("hf-llama")
    model.load_state_dict(source.state_dict(), assign=True)
    assert model.model.rotary_emb.inv_freq.is_meta
    ft.materialize_(model, seed=1)
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    torch.testing.assert_close(model.model.rotary_emb.inv_freq, source.model.rotary_emb.inv_freq)
    for ours, theirs in zip(forward("hf-llama", model), forward("hf-llama", source), strict=True):
        torch.testing.assert_close(ours, theirs)


def test_materialize_rejects_bad_arguments_before_changing_anything():
    with torch.device("meta"):
        model = torch.nn.Linear(4, 4)
    with pytest.raises(ValueError, match="policy='bogus'"):
        ft.materialize_(model, "bogus")
    with pytest.raises(ValueError, match="on_uninitialized"):
        ft.materialize_(model, on_uninitialized="ignore")
    assert model.weight.is_meta
    real = torch.nn.Linear(4, 4)
    before = real.weight.detach().clone()
    assert ft.materialize_(real) is real and torch.equal(real.weight, before)  # nothing on meta: kept


def test_init_functions_that_skip_meta_tensors_are_replayed():
    """torch.nn.init's trunc_normal_, orthogonal_, sparse_ and dirac_ return at once on a meta
    tensor; inside deferred_init() they are recorded as operations of the same law."""

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.trunc = torch.nn.Parameter(torch.empty(300, 200))
            self.ortho = torch.nn.Parameter(torch.empty(40, 60))
            self.sparse = torch.nn.Parameter(torch.empty(50, 30))
            self.dirac = torch.nn.Parameter(torch.empty(6, 3, 3, 3))
            torch.nn.init.trunc_normal_(self.trunc, 0.5, 1.0, -0.5, 1.0)
            torch.nn.init.orthogonal_(self.ortho, gain=2.0)
            torch.nn.init.sparse_(self.sparse, 0.2)
            torch.nn.init.dirac_(self.dirac, 2)

    with ft.deferred_init():
        model = Model()
    ft.materialize_(model, seed=0)
    assert model.trunc.min() >= -0.5 and model.trunc.max() <= 1.0
    assert float(model.trunc.detach().std()) == pytest.approx(
        0.4157, rel=0.02
    )  # std of N(0.5, 1) on [-0.5, 1]
    torch.testing.assert_close(model.ortho @ model.ortho.t(), 4 * torch.eye(40), atol=1e-4, rtol=0)
    assert ((model.sparse == 0).sum(0) == 10).all()
    assert torch.equal(model.dirac, torch.nn.init.dirac_(torch.empty(6, 3, 3, 3), 2))
    assert torch.nn.init.trunc_normal_.__module__ == "torch.nn.init"  # put back after the block


def _small_transformer():
    return torch.nn.Transformer(
        d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64
    )


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
def test_plain_meta_build_runs_a_layers_reset_over_its_sublayers():
    """nn.Transformer holds no tensor itself, yet its constructor re-draws every matrix of its
    layers with xavier_uniform_ after they made their own; materialize_ runs it too (children
    first), and keeps a loaded tensor below it."""
    torch.manual_seed(0)
    plain = _small_transformer()
    torch.manual_seed(1)
    other = _small_transformer()
    with torch.device("meta"):
        model = _small_transformer()
    loaded = torch.full((64, 32), 0.25)
    model.load_state_dict({"encoder.layers.0.linear1.weight": loaded}, strict=False, assign=True)
    ft.materialize_(model, seed=0)
    assert torch.equal(model.encoder.layers[0].linear1.weight.detach(), loaded)
    with torch.no_grad():
        model.encoder.layers[0].linear1.weight.copy_(plain.encoder.layers[0].linear1.weight)
    assert_model_like_torch(plain, other, model)


def test_replay_leaves_tensors_that_were_already_in_memory():
    """A constructor's in-place op on a CPU tensor ran on real memory when it was recorded;
    the replay does not run it again (the buffer, and the caller's tensor, doubled before)."""

    class TakesTable(torch.nn.Module):
        def __init__(self, table):
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)
            table.mul_(2)
            self.register_buffer("table", table)

    given = torch.ones(3)
    with ft.deferred_init():
        model = TakesTable(given)
    ft.materialize_(model, seed=0)
    assert model.table.tolist() == [2.0, 2.0, 2.0] and given.tolist() == [2.0, 2.0, 2.0]
    assert not model.lin.weight.is_meta


def test_models_built_in_one_block_are_each_replayed():
    """Materializing the first model of a deferred_init() block left the second without its
    recording: its constructor's values (a zeroed head, a custom scale) were lost or refused."""

    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(8, 8)
            self.out = torch.nn.Linear(8, 2)
            torch.nn.init.zeros_(self.out.weight)
            self.scale = torch.nn.Parameter(torch.full((8,), 1e-5))

    with ft.deferred_init():
        student, teacher = Head(), Head()
    ft.materialize_(student, seed=0)
    ft.materialize_(teacher, seed=1)
    for model in (student, teacher):
        assert not model.out.weight.detach().any()
        assert torch.equal(model.scale.detach(), torch.full((8,), 1e-5))
    assert not torch.equal(student.body.weight, teacher.body.weight)


def test_foreach_ops_of_a_constructor_are_replayed():
    """torch._foreach_mul_ and kin change their meta arguments and return nothing."""

    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Parameter(torch.ones(4)), torch.nn.Parameter(torch.ones(4))
            with torch.no_grad():
                torch._foreach_mul_([self.a, self.b], 3.0)
                torch._foreach_add_([self.a, self.b], 1.0)

    with ft.deferred_init():
        model = Scaled()
    ft.materialize_(model, seed=0)
    assert model.a.tolist() == [4.0] * 4 and model.b.tolist() == [4.0] * 4


class _Indexed(torch.nn.Module):
    """Writes and reads through Python lists, each meaning what torch makes of it."""

    def __init__(self):
        super().__init__()
        w = torch.zeros(40, 3)
        w[[0, 2]] = 1.0  # rows 0 and 2
        w[[False, True] * 20] = 0.5  # a mask: the odd rows
        w[[4, 5], [1, 2]] = 7.0  # elements (4, 1) and (5, 2)
        w[[0.0, 9.9]] = 3.0  # numbers truncated: rows 0 and 9
        w[(slice(None), [0])] = -1.0  # a tuple holding a list
        w[list(range(35))[::-1][:33]] *= 2.0  # 33 items: one index, not a tuple
        self.register_buffer("w", w)
        self.register_buffer("picked", w[[1, 4, -1]] * 10)  # a read


def test_python_list_indices_of_a_constructor_are_replayed():
    """torch makes a list index into a meta index tensor without an aten operation: the indices
    were lost, and materialize_ blamed a tensor made before the block."""
    with ft.deferred_init():
        model = _Indexed()
    ft.materialize_(model, seed=0)
    expected = _Indexed()
    assert torch.equal(model.w, expected.w) and torch.equal(model.picked, expected.picked)


def test_a_recording_is_let_go_once_its_models_are_materialized():
    """No registry entry outlives the models: not a constructor's temporaries, not a weight that
    tying replaced after it was registered (the recording holds the CPU inputs it was given)."""
    from fastinit.torch import _record

    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(50, 8)
            self.head = torch.nn.Linear(8, 50, bias=False)
            self.head.weight = self.emb.weight  # the head's own weight is dropped
            self.register_buffer("table", torch.tensor([1.0, 2.0]) * (torch.randn(2) * 0 + 1))

    with ft.deferred_init() as recording:
        first, second = Tied(), Tied()
    ft.materialize_(first, seed=0)
    assert any(r is recording for r in _record._RECORDINGS.values())  # the second still needs it
    ft.materialize_(second, seed=0)
    assert not any(r is recording for r in _record._RECORDINGS.values())
    assert second.head.weight is second.emb.weight and second.table.tolist() == [1.0, 2.0]


def _tied_llama_with_padding():
    tf = require("transformers")
    config = tf.LlamaConfig(**_LM, num_key_value_heads=2, tie_word_embeddings=True, pad_token_id=0)
    return tf.LlamaForCausalLM(config)


@pytest.mark.parametrize("route", ["meta", "deferred_init"])
def test_a_tied_embedding_is_drawn_once_by_its_own_init(route):
    """HF initializes a tied pair's source (the embedding, its padding row zeroed) and then ties
    the output layer to it; materialize_ ran the output layer's normal_ over the shared tensor
    after the embedding's, so the padding row came out random."""
    with torch.device("meta") if route == "meta" else ft.deferred_init():
        model = _tied_llama_with_padding()
    ft.materialize_(model, seed=0)
    embedding = model.get_input_embeddings().weight
    assert model.lm_head.weight is embedding
    assert not embedding[0].any() and embedding[1:].std() > 0.01


def _tied_hf_models(tf):
    small = dict(vocab_size=120, num_hidden_layers=1, num_attention_heads=2)
    return {
        "llama": lambda: tf.LlamaForCausalLM(tf.LlamaConfig(
            hidden_size=32, intermediate_size=64, num_key_value_heads=1, tie_word_embeddings=True, **small)),
        "bert": lambda: tf.BertForMaskedLM(tf.BertConfig(hidden_size=32, intermediate_size=64, **small)),
        "t5": lambda: tf.T5ForConditionalGeneration(tf.T5Config(
            vocab_size=120, d_model=32, d_ff=64, num_layers=1, num_heads=2, d_kv=16)),
    }  # fmt: skip


@pytest.mark.parametrize("arch", ["llama", "bert", "t5"])
def test_a_checkpoint_holding_a_tied_weight_once_is_tied_after_a_deferred_build(arch):
    """HF saves a tied weight once. load_state_dict(assign=True) replaces the loaded side only,
    and the replay gave the other side the constructor's draw (N(0, 1) for T5's encoder and
    decoder embeddings, zeros for BERT's decoder bias): untied, a model that runs wrong."""
    build_model = _tied_hf_models(require("transformers"))[arch]
    torch.manual_seed(0)
    saved = build_model()
    ties = saved.all_tied_weights_keys
    state = {name: t for name, t in saved.state_dict().items() if name not in ties}
    with ft.deferred_init():
        model = build_model()
    model.load_state_dict(state, strict=False, assign=True)
    ft.materialize_(model, seed=0)
    for target, source in ties.items():
        assert model.get_parameter(target) is model.get_parameter(source), target
        assert torch.equal(model.get_parameter(source), saved.get_parameter(source)), source


@pytest.mark.parametrize("loaded", ["0.weight", "1.weight"])
@pytest.mark.parametrize("policy", ["model", "normal"])
def test_a_plain_torch_tie_loaded_on_one_side_is_tied_after_a_deferred_build(loaded, policy):
    """The re-tie after load_state_dict(assign=True) held for HF's tied weights only: a plain
    torch model sharing one Parameter between two modules got a fresh draw on the side not
    loaded, untied, silently."""

    def build():
        model = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(4, 10, bias=False))
        model[1].weight = model[0].weight
        return model

    with ft.deferred_init():
        model = build()
    weight = torch.randn(10, 4)
    model.load_state_dict({loaded: weight}, strict=False, assign=True)
    ft.materialize_(model, policy, seed=0)
    assert model[1].weight is model[0].weight
    assert torch.equal(model[0].weight, weight)


def test_a_loaded_output_layer_is_kept_when_its_tied_embedding_is_missing():
    """from_pretrained ties symmetrically: with the checkpoint holding lm_head.weight and not
    the embedding, the embedding becomes the loaded tensor. materialize_ tied lm_head to a
    freshly drawn embedding, dropping the loaded weight."""
    torch.manual_seed(0)
    trained = _tied_llama_with_padding()
    checkpoint = {k: v.clone() for k, v in trained.state_dict().items() if k != "model.embed_tokens.weight"}
    with torch.device("meta"):
        model = _tied_llama_with_padding()
    model.load_state_dict(checkpoint, assign=True, strict=False)
    ft.materialize_(model, seed=1)
    assert torch.equal(model.lm_head.weight, checkpoint["lm_head.weight"])
    assert model.get_input_embeddings().weight is model.lm_head.weight


def test_the_replay_uses_the_default_dtype_the_model_was_built_under():
    """HF builds a bfloat16 model by setting torch's default dtype; the replay ran the factory
    operations under the default dtype of the materialize_ call, giving float32 weights."""
    tf = require("transformers")
    config = tf.LlamaConfig(**_LM, num_key_value_heads=2)
    with ft.deferred_init():
        model = tf.LlamaForCausalLM._from_config(config, dtype=torch.bfloat16)
    ft.materialize_(model, seed=0)
    assert model.lm_head.weight.dtype == model.model.layers[0].mlp.up_proj.weight.dtype == torch.bfloat16
    assert torch.get_default_dtype() == torch.float32
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with ft.deferred_init():
            layer = torch.nn.Linear(4, 4)
    finally:
        torch.set_default_dtype(previous)
    assert ft.materialize_(layer, seed=0).weight.dtype == torch.float64


@pytest.mark.parametrize("rows", [96, 512])  # written at once / folded into one exact fill
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_a_recorded_trunc_normal_of_a_half_tensor_stays_inside_its_law(dtype, rows):
    """torch.nn.init.trunc_normal_ on a meta tensor is recorded as the inverse-CDF steps; on a
    small 16-bit tensor (written at once, not folded) they ran in 16 bits: about one uniform in
    a few hundred rounded to -1, and erfinv and the clamp put the weight at a = -2, 200 std out;
    a tail window's weights all came out at its bound."""

    class Weights(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.empty(rows, 128, dtype=dtype))
            self.tail = torch.nn.Parameter(torch.empty(rows, 128, dtype=dtype))
            torch.nn.init.trunc_normal_(self.w, std=0.01, a=-2.0, b=2.0)
            torch.nn.init.trunc_normal_(self.tail, a=3.0, b=5.0)

    with ft.deferred_init():
        model = Weights()
    ft.materialize_(model, seed=0)
    w, tail = model.w.detach().float(), model.tail.detach().float()
    assert w.abs().max() < 0.07 and abs(w.std() / 0.01 - 1) < 0.05
    assert tail.min() >= 3.0 and tail.max() <= 5.0 and abs(tail.mean() - 3.2830) < 0.01


def test_what_the_block_does_after_an_hf_constructor_is_kept():
    """HF's post_init skips its initialization on the meta device, and materialize_ ran it after
    the whole replay, over what the block did to the model afterwards: the caller's own init
    (a zeroed head, a norm at 0.5), weights loaded with load_state_dict, an adapter's zeroed B
    (PEFT's LoRA) were all drawn again. HF's init now runs where post_init returned."""
    tf = require("transformers")
    config = tf.LlamaConfig(**_LM, num_key_value_heads=2)
    torch.manual_seed(0)
    source = tf.LlamaForCausalLM(config)

    def build():
        model = tf.LlamaForCausalLM(config)
        with warnings.catch_warnings():  # torch: a copy into a meta parameter is a no-op (it is recorded)
            warnings.simplefilter("ignore")
            model.load_state_dict(source.state_dict())
        torch.nn.init.zeros_(model.lm_head.weight)
        with torch.no_grad():
            model.model.norm.weight.fill_(0.5)
        return model

    with ft.deferred_init():
        model = build()
    ft.materialize_(model, seed=3)
    assert not model.lm_head.weight.any() and model.model.norm.weight.eq(0.5).all()
    for key, value in source.state_dict().items():
        if key not in ("lm_head.weight", "model.norm.weight"):
            assert torch.equal(model.state_dict()[key], value), key
    with ft.deferred_init():
        plain = tf.LlamaForCausalLM(config)  # nothing after the constructor: HF's own law
    ft.materialize_(plain, seed=3)
    assert abs(plain.lm_head.weight.std().item() / config.initializer_range - 1) < 0.05


def test_what_the_block_reads_of_a_replaced_hf_tensor_is_refused():
    """HF's initialization runs where post_init returned, over the tensors the model holds at
    the end of the block: one it held then, replaced and read afterwards (the embedding
    resize_token_embeddings copies) would keep its layer's default values (N(0, 1) rows)."""
    tf = require("transformers")
    with ft.deferred_init():
        model = tf.LlamaForCausalLM(tf.LlamaConfig(**_LM, num_key_value_heads=2))
        model.resize_token_embeddings(1100, mean_resizing=False)
    with pytest.raises(ValueError, match="replaced tensors of it and read their values"):
        ft.materialize_(model, seed=0)


def test_an_output_layer_replaced_in_the_block_stays_untied():
    """The replay tied a replaced lm_head back to the embedding (tie_weights where post_init
    returned, over the model's final layers); the ties are the recording's."""
    tf = require("transformers")
    config = tf.LlamaConfig(**_LM, num_key_value_heads=2, tie_word_embeddings=True)
    with ft.deferred_init():
        model = tf.LlamaForCausalLM(config)
        model.lm_head = torch.nn.Linear(config.hidden_size, config.vocab_size, bias=False)
    ft.materialize_(model, seed=0)
    assert model.lm_head.weight is not model.get_input_embeddings().weight
    bound = 1 / config.hidden_size**0.5  # nn.Linear's own init
    assert model.lm_head.weight.abs().max() <= bound and model.lm_head.weight.std() > 0.5 * bound


def test_a_second_post_init_in_the_block_is_no_replaced_tensor():
    """At a second post_init the tensors bound at the first are real, and they were taken for
    replaced ones: a later in-place op on them was refused as a read of a replaced tensor."""
    tf = require("transformers")
    with ft.deferred_init():
        model = tf.LlamaForCausalLM(tf.LlamaConfig(**_LM, num_key_value_heads=2))
        model.post_init()
        with torch.no_grad():
            model.model.norm.weight.mul_(2)
    ft.materialize_(model, seed=0)
    assert model.model.norm.weight.eq(2).all()


def test_code_that_reads_values_inside_the_block_is_named():
    """HF's resize_token_embeddings(n) averages the old rows (.item() on the meta device): the
    error was torch's bare "Tensor.item() cannot be called on meta tensors"."""
    tf = require("transformers")
    expected = r"deferred_init\(\): .* run that code after materialize_"
    with pytest.raises(RuntimeError, match=expected), ft.deferred_init():
        model = tf.LlamaForCausalLM(tf.LlamaConfig(**_LM, num_key_value_heads=2))
        model.resize_token_embeddings(1100)


def test_a_tied_layer_removed_after_construction_is_no_error():
    """The tie table still names a layer the caller removed in the block (a head dropped for
    feature extraction): setting it aside raised AttributeError. (A plain meta build runs HF's
    tie_weights, which raises its own AttributeError for it.)"""
    tf = require("transformers")
    config = tf.LlamaConfig(**_LM, num_key_value_heads=2, tie_word_embeddings=True)
    with ft.deferred_init():
        model = tf.LlamaForCausalLM(config)
        del model.lm_head
    ft.materialize_(model, seed=0)
    embedding = model.get_input_embeddings().weight
    assert abs(embedding.std().item() / config.initializer_range - 1) < 0.05


def test_a_construction_that_caught_a_meta_devices_error_is_not_replayed():
    # parametrizations.orthogonal's right_inverse runs QR, which has no meta kernel; torch's
    # parametrize catches the NotImplementedError and goes on as it would not on real tensors
    orthogonal = torch.nn.utils.parametrizations.orthogonal
    for trivialization in (False, True):
        with ft.deferred_init():
            model = orthogonal(torch.nn.Linear(16, 8), use_trivialization=trivialization)
        with pytest.raises(ft.NotInitializedError, match=r"aten.geqrf.*caught it"):
            ft.materialize_(model, seed=0)
        assert all(t.is_meta for t in model.parameters())


def test_lazy_modules_build_inside_deferred_init_and_stay_lazy():
    def build():
        return torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.LazyBatchNorm1d(), torch.nn.LazyLinear(4))

    with ft.deferred_init():
        model = build()
    ft.materialize_(model, seed=0)
    assert not model[0].weight.is_meta and torch.nn.parameter.is_lazy(model[2].weight)
    assert model(torch.ones(2, 8)).shape == (2, 4)  # its own init, at its first forward
    with ft.deferred_init():
        model = build()
    with pytest.raises(
        ValueError, match=r"1\.weight, 1\.bias, 2\.weight, 2\.bias, 1\.running_mean.* are uninitialized"
    ):
        ft.materialize_(model, "xavier", seed=0)
    assert model[0].weight.is_meta  # nothing changed
    real = build()
    before = real[0].weight.detach().clone()
    with pytest.raises(ValueError, match="uninitialized parameters or buffers of lazy modules"):
        ft.init_module_(real, "xavier", seed=0)
    assert torch.equal(real[0].weight, before)


class _LegacyConstructed(torch.nn.Module):  # as HF's XLNet and Wav2Vec2 build some parameters
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.empty(8))
        self.v = torch.nn.Parameter(torch.Tensor(8).uniform_())  # on the CPU, whatever the device
        self.ones = torch.nn.Parameter(torch.Tensor(4).fill_(1.0))  # on the CPU too, but a constant
        self.drawn = torch.nn.Parameter(torch.normal(0.0, 0.1, size=(4,)))  # (HF DiffLlama's lambdas)
        self.zeroed = torch.nn.Parameter(torch.normal(0.0, 0.1, size=(4,)).zero_())  # drawn, then a constant
        torch.nn.init.normal_(self.w)


def test_tensors_a_constructor_made_on_the_cpu_are_named_not_kept():
    with ft.deferred_init():
        model = _LegacyConstructed()
    assert model.w.is_meta and not model.v.is_meta
    with pytest.raises(ft.NotInitializedError, match=r"materialize_: v, drawn were made on the CPU"):
        ft.materialize_(model, seed=0)
    for assign in (False, True):  # loaded by a copy, or by replacing the parameter: kept
        with ft.deferred_init():
            model = _LegacyConstructed()
        loaded = {"v": torch.arange(8.0), "drawn": torch.arange(4.0)}
        model.load_state_dict(loaded, strict=False, assign=assign)
        ft.materialize_(model, seed=0)
        assert torch.equal(model.v.detach(), torch.arange(8.0)) and not model.w.is_meta
        assert torch.equal(model.drawn.detach(), torch.arange(4.0))
        assert torch.equal(model.ones.detach(), torch.ones(4))  # the constructor's constants
        assert torch.equal(model.zeroed.detach(), torch.zeros(4))


class _LeftoverMemory(torch.nn.Module):
    """A legacy-constructed parameter (on the CPU, even under torch.device("meta")) holding what
    leftover memory may hold, as HF XLNet's attention parameters do."""

    def __init__(self, leftover):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.q = torch.nn.Parameter(torch.Tensor(3).fill_(leftover))


@pytest.mark.parametrize("leftover", [float("nan"), float("-inf"), 3e36])
def test_a_plain_meta_build_names_parameters_holding_leftover_memory(leftover):
    """They were kept as if loaded: a model that ran on garbage, silently."""
    with torch.device("meta"):
        model = _LeftoverMemory(leftover)
    assert not model.q.is_meta
    with pytest.raises(
        ft.NotInitializedError, match=r"materialize_: q holds NaN, infinities or magnitudes above"
    ):
        ft.materialize_(model, "kaiming", seed=0)
    assert model.lin.weight.is_meta  # refused before anything was materialized
    with pytest.warns(RuntimeWarning, match="leftover memory"):
        ft.materialize_(model, "kaiming", seed=0, on_uninitialized="warn")
    assert not model.lin.weight.is_meta


def test_a_plain_meta_build_keeps_parameters_holding_numbers():
    with torch.device("meta"):
        model = _LeftoverMemory(-1e29)
    ft.materialize_(model, "kaiming", seed=0)
    assert model.q.tolist() == [torch.tensor(-1e29).item()] * 3


def test_a_copy_of_a_deferred_model_is_named_as_a_copy():
    import copy

    with ft.deferred_init():
        model = _Scaled()
    with pytest.raises(ValueError, match=r"copied, by copy\.deepcopy"):
        ft.materialize_(copy.deepcopy(model), seed=0)
    ft.materialize_(model, seed=0)


class _Scaled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.full((8,), 1e-3))
        self.lin = torch.nn.Linear(8, 8)


def test_an_operation_that_raises_without_a_message_keeps_its_exception():
    library = torch.library.Library("fastinit_test_silent", "DEF")
    library.define("silent(Tensor x) -> Tensor")
    library.impl("silent", lambda x: (_ for _ in ()).throw(NotImplementedError), "Meta")

    class Fallback(torch.nn.Module):  # catches the error, as code with a fallback does
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)
            try:
                self.register_buffer("extra", torch.ops.fastinit_test_silent.silent(self.lin.weight))
            except NotImplementedError:
                self.register_buffer("extra", torch.zeros(4, 4))

    with ft.deferred_init():
        model = Fallback()  # was an IndexError from the recorder, replacing the user's exception
    with pytest.raises(
        ft.NotInitializedError, match=r"fastinit_test_silent.silent.default .NotImplementedError: .*caught it"
    ):
        ft.materialize_(model, seed=0)


def test_parametrized_convolutions_in_blocks_keep_their_own_code_under_a_policy():
    def block():
        return torch.nn.Sequential(
            torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(8, 8, 3)), torch.nn.ReLU()
        )

    model = torch.nn.Sequential(block(), block())
    with pytest.warns(RuntimeWarning, match="kept the values of 0.0.parametrizations.weight.original0"):
        ft.init_module_(model, "kaiming", seed=0)  # (was refused as mixture-of-experts weights)


def _made_on_the_cpu_by_hf(tf, arch):
    """(model, the tensor its constructor makes on the CPU whatever the device, its law's bounds)."""
    if arch == "wav2vec2":  # torch.Tensor(n).uniform_(); HF's init: U(0, 1)
        config = tf.Wav2Vec2Config(
            hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, conv_dim=(16, 16),
            conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        )  # fmt: skip
        return tf.Wav2Vec2Model(config), lambda m: m.masked_spec_embed, (0.0, 1.0)
    config = tf.DiffLlamaConfig(  # torch.normal(0, lambda_std_dev, size=...); HF's init: the same law
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=2, lambda_std_dev=0.1,
    )  # fmt: skip
    return tf.DiffLlamaModel(config), lambda m: m.layers[0].self_attn.lambda_q1, (-0.7, 0.7)


@pytest.mark.parametrize("arch", ["wav2vec2", "diffllama"])
def test_an_hf_models_tensors_made_on_the_cpu_are_drawn_by_its_own_init_from_the_seed(arch):
    tf = require("transformers")

    def build(torch_seed, seed):
        torch.manual_seed(torch_seed)
        with ft.deferred_init():
            model, made, bounds = _made_on_the_cpu_by_hf(tf, arch)
        assert not made(model).is_meta
        return ft.materialize_(model, seed=seed), made, bounds

    model, made, (low, high) = build(1, seed=0)
    first = made(model).detach()
    assert torch.equal(
        first, made(build(2, seed=0)[0]).detach()
    )  # the seed's, whatever torch's generator did
    assert not torch.equal(first, made(build(1, seed=1)[0]).detach())
    assert float(first.min()) >= low and float(first.max()) < high and float(first.std()) > 0


def test_a_tie_of_a_plain_meta_build_is_written_by_the_layer_that_made_it():
    """A tie is made after both layers drew their own tensor: the one assigned over the other
    keeps its layer's values. Re-running every layer's reset_parameters() over the shared tensor
    gave it the last layer's law (the embedding's N(0, 1) tensor came out Linear's U(±1/8))."""

    def build(first, second, tie):
        model = torch.nn.Sequential(first, second)
        if tie:
            model[1].weight = model[0].weight
        return model

    with torch.device("meta"):
        model = build(torch.nn.Embedding(1000, 64), torch.nn.Linear(64, 1000), tie=True)
    with pytest.raises(
        ft.NotInitializedError, match=r"0\.weight and 1\.weight hold one tensor, made by one of their layers"
    ):
        ft.materialize_(model, seed=0)
    with torch.device("meta"):  # layers that initialize it alike: either may write it
        model = build(torch.nn.Linear(64, 64), torch.nn.Linear(64, 64), tie=True)
    ft.materialize_(model, seed=0)
    assert (
        model[1].weight is model[0].weight and 0.07 < float(model[0].weight.detach().std()) < 0.075
    )  # U(±1/8)


@pytest.mark.parametrize("route", ["meta", "deferred_init"])
def test_an_hf_ties_target_layer_does_not_write_its_source(route):
    """Longformer's MLM head ties decoder.bias to its own zeros bias, which no rule of HF's
    init covers: decoder's nn.Linear reset wrote U(±1/sqrt(hidden)) into it on the plain meta
    route. A plain meta build cannot know the head's constructor's zeros: it names the tensor."""
    tf = require("transformers")
    config = tf.LongformerConfig(
        vocab_size=128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        attention_window=8, max_position_embeddings=64,
    )  # fmt: skip
    with torch.device("meta") if route == "meta" else ft.deferred_init():
        model = tf.LongformerForMaskedLM(config)
    if route == "meta":
        with pytest.raises(
            ft.NotInitializedError, match=r"no code initialized 2 tensor\(s\): lm_head\.bias, lm_head"
        ):
            ft.materialize_(model, seed=0)
        return
    ft.materialize_(model, seed=0)
    assert model.lm_head.decoder.bias is model.lm_head.bias and not model.lm_head.bias.any()
