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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    import torch

    import fastinit

    rows = []
    for dtype in ("float32", "bfloat16"):
        plain = run("plain", dtype, args.layers, {})
        plain_thp = run("plain", dtype, args.layers, {"THP_MEM_ALLOC_ENABLE": "1"})
        fast = run("accelerate", dtype, args.layers, {})
        rows.append(
            {
                "dtype": dtype,
                "params": plain["params"],
                "torch_s": plain["build_s"],
                "torch_thp_s": plain_thp["build_s"],
                "accelerate_s": fast["build_s"],
            }
        )
    reinit = run("reinit", "float32", args.layers, {})
    info = fastinit.info()
    lines = [
        f"Machine: {_cpu()}, {info['threads']} threads, fastinit {info['version']} ({info['isa']}), torch {torch.__version__}.",
        "",
        "| model build | params | torch | torch + THP_MEM_ALLOC_ENABLE | accelerate() | speed-up |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| Llama-shaped, {r['dtype']} | {r['params'] / 1e9:.2f} B | {r['torch_s']:.2f} s | "
            f"{r['torch_thp_s']:.2f} s | {r['accelerate_s']:.2f} s | {r['torch_s'] / r['accelerate_s']:.1f}x |"
        )
    lines += [
        "",
        '| re-init (float32) | HF-style `.normal_(0, 0.02)` | `init_module_(model, "normal")` | speed-up |',
        "|---|---:|---:|---:|",
        f"| Llama-shaped | {reinit['hf_reinit_s']:.2f} s | {reinit['init_module_s']:.2f} s | "
        f"{reinit['hf_reinit_s'] / reinit['init_module_s']:.1f}x |",
    ]
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "torch_model.json").write_text(json.dumps({"build": rows, "reinit": reinit}, indent=2) + "\n")
    (args.out / "torch_model.md").write_text(table + "\n")


def _cpu() -> str:
    from fastinit._info import cpu_name

    return cpu_name()


if __name__ == "__main__":
    main()
