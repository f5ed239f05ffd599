"""Build a ~1B-parameter Llama-shaped model (vocab 32000, d 2048, ffn 5632, 16 blocks of
q/k/v/o + gate/up/down + 2 RMSNorm, untied head) with plain torch and inside
fastinit.torch.accelerate(), each in a fresh process, in float32 and bfloat16 (plain torch also
with THP_MEM_ALLOC_ENABLE=1); then re-initialize it HF-style (``.normal_(0, 0.02)`` per weight)
and with fastinit.torch.init_module_(model, "normal"). Prints wall times and ratios from one run
and writes bench/results/torch_model.{json,md}.

    python bench/bench_torch_model.py [--layers 16] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, sys, time
import torch
from torch import nn
import fastinit.torch as ft

mode, dtype_name, layers = sys.argv[1], sys.argv[2], int(sys.argv[3])
dtype = getattr(torch, dtype_name)
torch.set_num_threads(torch.get_num_threads())

class Block(nn.Module):
    def __init__(self, d=2048, ffn=5632):
        super().__init__()
        kw = dict(bias=False, dtype=dtype)
        self.q_proj, self.k_proj = nn.Linear(d, d, **kw), nn.Linear(d, d, **kw)
        self.v_proj, self.o_proj = nn.Linear(d, d, **kw), nn.Linear(d, d, **kw)
        self.gate_proj, self.up_proj = nn.Linear(d, ffn, **kw), nn.Linear(d, ffn, **kw)
        self.down_proj = nn.Linear(ffn, d, **kw)
        self.input_layernorm = nn.RMSNorm(d, dtype=dtype)
        self.post_attention_layernorm = nn.RMSNorm(d, dtype=dtype)

class Llama(nn.Module):
    def __init__(self, vocab=32000, d=2048):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d, dtype=dtype)
        self.layers = nn.ModuleList(Block(d) for _ in range(layers))
        self.norm = nn.RMSNorm(d, dtype=dtype)
        self.lm_head = nn.Linear(d, vocab, bias=False, dtype=dtype)

def hf_init(model):
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            m.weight.data.normal_(mean=0.0, std=0.02)
        elif isinstance(m, nn.RMSNorm):
            m.weight.data.fill_(1.0)

torch.manual_seed(0)
start = time.perf_counter()
if mode == "accelerate":
    with ft.accelerate():
        model = Llama()
else:
    model = Llama()
build = time.perf_counter() - start
params = sum(p.numel() for p in model.parameters())
out = {"build_s": build, "params": params}
if mode == "reinit":
    start = time.perf_counter(); hf_init(model); out["hf_reinit_s"] = time.perf_counter() - start
    start = time.perf_counter(); ft.init_module_(model, "normal", seed=0); out["init_module_s"] = time.perf_counter() - start
print(json.dumps(out))
"""


def run(mode: str, dtype: str, layers: int, env_extra: dict[str, str]) -> dict[str, float]:
    env = {**os.environ, **env_extra}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, dtype, str(layers)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


BUILDS = {  # configuration: (mode, extra environment)
    "torch": ("plain", {}),
    "torch_thp": ("plain", {"THP_MEM_ALLOC_ENABLE": "1"}),
    "accelerate": ("accelerate", {}),
    "accelerate_no_populate": ("accelerate", {"FASTINIT_POPULATE": "0"}),
}


def _cell(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f} s"
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per configuration")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    import torch

    import fastinit

    times: dict[str, dict[str, list[float]]] = {d: {k: [] for k in BUILDS} for d in ("float32", "bfloat16")}
    reinit: dict[str, list[float]] = {"hf_reinit_s": [], "init_module_s": []}
    params = 0
    # One repeat runs every configuration once, each in a fresh process. The order rotates from
    # one repeat to the next: a process's first-touch cost depends on what the one before it
    # freed (huge pages from THP_MEM_ALLOC_ENABLE, for one, go back to the host at once on a
    # virtual machine), so no configuration may always follow the same one.
    jobs = [(dtype, config) for dtype in times for config in BUILDS] + [("float32", "reinit")]
    for repeat in range(args.repeats):
        shift = repeat % len(jobs)
        for dtype, config in jobs[shift:] + jobs[:shift]:
            if config == "reinit":
                result = run("reinit", dtype, args.layers, {})
                for key in reinit:
                    reinit[key].append(result[key])
                continue
            mode, env = BUILDS[config]
            result = run(mode, dtype, args.layers, env)
            times[dtype][config].append(result["build_s"])
            params = int(result["params"])
    info = fastinit.info()
    lines = [
        f"Machine: {_cpu()}, {info['threads']} threads, fastinit {info['version']} ({info['isa']}), "
        f"torch {torch.__version__}; medians of {args.repeats} fresh processes (range), order rotated each repeat.",
        "",
        "| model build | params | torch | torch + THP_MEM_ALLOC_ENABLE | accelerate() "
        "| accelerate(), FASTINIT_POPULATE=0 | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for dtype, t in times.items():
        ratio = statistics.median(t["torch"]) / statistics.median(t["accelerate"])
        lines.append(
            f"| Llama-shaped, {dtype} | {params / 1e9:.2f} B | {_cell(t['torch'])} | {_cell(t['torch_thp'])} | "
            f"{_cell(t['accelerate'])} | {_cell(t['accelerate_no_populate'])} | {ratio:.1f}x |"
        )
    ratio = statistics.median(reinit["hf_reinit_s"]) / statistics.median(reinit["init_module_s"])
    lines += [
        "",
        '| re-init (float32) | HF-style `.normal_(0, 0.02)` | `init_module_(model, "normal")` | speed-up |',
        "|---|---:|---:|---:|",
        f"| Llama-shaped | {_cell(reinit['hf_reinit_s'])} | {_cell(reinit['init_module_s'])} | {ratio:.1f}x |",
    ]
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"params": params, "repeats": args.repeats, "build": times, "reinit": reinit}
    (args.out / "torch_model.json").write_text(json.dumps(record, indent=2) + "\n")
    (args.out / "torch_model.md").write_text(table + "\n")


def _cpu() -> str:
    from fastinit.engine.info import cpu_name

    return cpu_name()


if __name__ == "__main__":
    main()
