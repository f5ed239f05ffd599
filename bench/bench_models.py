"""Build real models from HF transformers, timm and torchvision with plain torch and inside
fastinit.torch.accelerate(), each build in a fresh process, in float32 and bfloat16, and print
the medians of interleaved repeats with their ranges; then profile one build of each kind by
phase. Writes bench/results/models.{json,md}.

    python bench/bench_models.py [--repeats 3] [--models hf-llama-1.1b,timm-vit-b16] [--no-profile]

The model classes are imported before the clock starts (importing transformers' modeling code
takes seconds and is the same either way). Only the pure-Python model code of torchvision and
timm is needed: the registry's torchvision wheel cannot load its C ops beside torch's CPU build,
so the child defines the two operator schemas it registers fakes for, as tests/zoo.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# name: (library, constructor expression evaluated in the child, with the library imported)
MODELS = {
    "hf-llama-1.1b": (
        "transformers",
        "transformers.LlamaForCausalLM(transformers.LlamaConfig(vocab_size=32000, hidden_size=2048, "
        "intermediate_size=5632, num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4))",
    ),
    "hf-gpt2-large": (
        "transformers",
        "transformers.GPT2LMHeadModel(transformers.GPT2Config(n_embd=1280, n_layer=36, n_head=20))",
    ),
    "timm-vit-b16": ("timm", "timm.create_model('vit_base_patch16_224')"),
    "timm-vit-l16": ("timm", "timm.create_model('vit_large_patch16_224')"),
    "timm-convnext-b": ("timm", "timm.create_model('convnext_base')"),
    "tv-resnet152": ("torchvision", "torchvision.models.resnet152()"),
}
# Also measured with --models all: the rest of the table.
MORE_MODELS = {
    "hf-bert-large": (
        "transformers",
        "transformers.BertForMaskedLM(transformers.BertConfig(hidden_size=1024, num_hidden_layers=24, "
        "num_attention_heads=16, intermediate_size=4096))",
    ),
    "hf-t5-large": (
        "transformers",
        "transformers.T5ForConditionalGeneration(transformers.T5Config(d_model=1024, d_ff=4096, "
        "num_layers=24, num_heads=16))",
    ),
    "tv-vit-l16": ("torchvision", "torchvision.models.vit_l_16()"),
    "nn-transformer": ("torch", "torch.nn.Transformer(1024, 16, 12, 12, 4096)"),
    "nn-lstm": ("torch", "torch.nn.LSTM(2048, 2048, num_layers=8)"),
}

CHILD = r"""
import importlib, importlib.util, json, resource, sys, time
import torch
if importlib.util.find_spec("torchvision") is not None:  # transformers and timm import it too
    try:
        import torchvision
    except RuntimeError:  # see the module docstring
        for m in [m for m in sys.modules if m.startswith("torchvision")]:
            del sys.modules[m]
        _lib = torch.library.Library("torchvision", "DEF")
        _lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
import fastinit.torch as ft
names = {sys.argv[1]: importlib.import_module(sys.argv[1]), "torch": torch}
expr, mode, dtype, profile = sys.argv[2], sys.argv[3], getattr(torch, sys.argv[4]), sys.argv[5] == "1"
eval(expr.split("(")[0], names)  # import the model class now (transformers imports lazily), not on the clock
torch.set_default_dtype(dtype)
torch.manual_seed(0)

phases = {}  # phase: [wall s, user s, system s, minor faults], each counted once (nested calls excluded)
nested = []

def sample():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return [time.perf_counter(), r.ru_utime, r.ru_stime, r.ru_minflt]

def timed(phase, fn, *args, **kwargs):
    nested.append([0.0, 0.0, 0.0, 0])
    before = sample()
    try:
        return fn(*args, **kwargs)
    finally:
        spent = [b - a for a, b in zip(before, sample())]
        inner = nested.pop()
        p = phases.setdefault(phase, [0.0, 0.0, 0.0, 0])
        for i in range(4):
            p[i] += spent[i] - inner[i]
            if nested:
                nested[-1][i] += spent[i]

modes = []
if profile:
    from torch.utils._python_dispatch import TorchDispatchMode
    from fastinit.torch import _deferred
    RANDOM = ("uniform_", "normal_", "normal", "randn", "rand", "erfinv_", "randperm", "randint", "bernoulli_")
    class Phases(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.__name__.split(".")[0]
            phase = "random draws" if name in RANDOM else "torch: " + {"clone": "copies", "copy_": "copies",
                "empty": "allocation", "empty_strided": "allocation"}.get(name, "other ops")
            return timed(phase, func, *args, **(kwargs or {}))
    write = _deferred.Deferred.write
    _deferred.Deferred.write = lambda self: timed("random draws", write, self)
    modes.append(Phases())

def build():
    for m in modes:
        m.__enter__()
    try:
        return eval(expr, names)
    finally:
        for m in modes:
            m.__exit__(None, None, None)

def build_accelerated():
    with ft.accelerate():
        return build()

start = time.perf_counter()
model = timed("module construction (Python outside torch ops)", build_accelerated if mode == "accelerate" else build)
build_s = time.perf_counter() - start
params = sum(p.numel() for p in model.parameters())
print(json.dumps({"build_s": build_s, "params": params, "phases": phases}))
"""


def run(name: str, spec: tuple[str, str], mode: str, dtype: str, profile: bool) -> dict:
    library, expr = spec
    result = subprocess.run(
        [sys.executable, "-c", CHILD, library, expr, mode, dtype, "1" if profile else "0"],
        capture_output=True, text=True, env={**os.environ, "TRANSFORMERS_VERBOSITY": "error"},
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{name} {mode} {dtype} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _cell(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per configuration")
    parser.add_argument(
        "--models", default="", help="comma-separated names, or 'all' (default: the six main)"
    )
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-phase profile")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    catalogue = {**MODELS, **MORE_MODELS}
    names = (
        list(MODELS)
        if not args.models
        else list(catalogue)
        if args.models == "all"
        else args.models.split(",")
    )
    dtypes = args.dtypes.split(",")

    import torch

    import fastinit
    from fastinit.engine.info import cpu_name

    times = {n: {d: {"plain": [], "accelerate": []} for d in dtypes} for n in names}
    params = {}
    # Interleaved: one repeat builds every (model, dtype, mode) once, in a fresh process each,
    # and the order rotates from one repeat to the next, so that no configuration always follows
    # the same one (what a process pays on first touch depends on what the one before freed).
    jobs = [(n, d, m) for n in names for d in dtypes for m in ("plain", "accelerate")]
    for repeat in range(args.repeats):
        shift = (repeat * 3) % len(jobs)
        for name, dtype, mode in jobs[shift:] + jobs[:shift]:
            result = run(name, catalogue[name], mode, dtype, profile=False)
            times[name][dtype][mode].append(result["build_s"])
            params[name] = result["params"]
            print(f"  {name} {dtype} {mode}: {result['build_s']:.2f} s", file=sys.stderr)

    info = fastinit.info()
    lines = [
        f"Machine: {cpu_name()}, {info['threads']} threads, fastinit {info['version']} ({info['isa']}), "
        f"torch {torch.__version__}; {_versions()}; medians of {args.repeats} fresh processes (range), "
        "interleaved.",
        "",
        "| model | params | dtype | torch | accelerate() | speed-up |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for name in names:
        for dtype in dtypes:
            t = times[name][dtype]
            ratio = statistics.median(t["plain"]) / statistics.median(t["accelerate"])
            lines.append(
                f"| {name} | {params[name] / 1e6:.0f} M | {dtype} | {_cell(t['plain'])} | "
                f"{_cell(t['accelerate'])} | {ratio:.2f}x |"
            )
    profiles = {}
    if not args.no_profile:
        lines += [
            "",
            "Where the time of one float32 build goes (wall s; CPU s of both threads: user / system):",
        ]
        for name in names:
            for mode in ("plain", "accelerate"):
                result = run(name, catalogue[name], mode, "float32", profile=True)
                profiles[f"{name} {mode}"] = result
                lines += ["", f"{name}, {mode}: {result['build_s']:.2f} s", "",
                          "| phase | wall s | user s | sys s | page faults |", "|---|---:|---:|---:|---:|"]  # fmt: skip
                for phase, (wall, user, sys_s, faults) in sorted(
                    result["phases"].items(), key=lambda kv: -kv[1][0]
                ):
                    lines.append(f"| {phase} | {wall:.2f} | {user:.2f} | {sys_s:.2f} | {faults} |")
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"repeats": args.repeats, "params": params, "times": times, "profiles": profiles}
    (args.out / "models.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / "models.md").write_text(table + "\n")


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("transformers", "timm", "torchvision"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} absent")
    return ", ".join(found)


if __name__ == "__main__":
    main()
