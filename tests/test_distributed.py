"""init_module_ on DTensor parameters under torch.distributed (gloo, CPU): each rank fills its
own shard with no communication, and the gathered parameters equal the single-process result
bit for bit — dim-0 shards (FSDP2), column and row shards (tensor parallel), uneven splits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available():
    pytest.skip("torch built without distributed", allow_module_level=True)

import fastinit.torch as ft  # noqa: E402

MODEL = """
import torch
from torch import nn

def build():
    torch.manual_seed(0)
    model = nn.Module()
    model.embed = nn.Embedding(10, 6)            # 10 rows: 4, 4, 2 on 3 ranks
    model.layers = nn.ModuleList()
    for _ in range(2):
        block = nn.Module()
        block.up = nn.Linear(6, 10)              # column-parallel: Shard(0) of the weight
        block.down_proj = nn.Linear(10, 6)       # row-parallel: Shard(1) of the weight
        block.norm = nn.LayerNorm(6)
        model.layers.append(block)
    return model

PLACEMENT = {"embed.weight": 0, "layers.0.up.weight": 0, "layers.0.up.bias": 0, "layers.0.down_proj.weight": 1,
             "layers.1.up.weight": 0, "layers.1.up.bias": 0, "layers.1.down_proj.weight": 1}
"""

RANK = (
    MODEL
    + """
import os, sys
import numpy as np
import torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import Replicate, Shard, distribute_tensor
import fastinit.torch as ft

dist.init_process_group("gloo")
world = dist.get_world_size()
mesh = init_device_mesh("cpu", (world,))
model = build()
for name, p in list(model.named_parameters()):
    owner, _, leaf = name.rpartition(".")
    module = model.get_submodule(owner)
    placement = [Shard(PLACEMENT[name])] if name in PLACEMENT else [Replicate()]
    setattr(module, leaf, nn.Parameter(distribute_tensor(p.detach(), mesh, placement)))
ft.init_module_(model, "gpt2", seed=7)
full = {n: p.full_tensor().detach().numpy() for n, p in model.named_parameters()}
local_rows = model.embed.weight.to_local().shape[0]
if dist.get_rank() == 0:
    np.savez(sys.argv[1], **full)
print("rows", dist.get_rank(), local_rows)
dist.barrier()
sys.stdout.flush()
os._exit(0)  # skip gloo's teardown, which can abort at interpreter exit under load
"""
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_ranks(script: str, world: int, out: Any) -> list[str]:
    """Run `script` (its argument: out) as `world` gloo ranks; their stdouts, each rank checked
    to have exited 0."""
    port, procs = _free_port(), []
    for rank in range(world):
        env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank), "WORLD_SIZE": str(world),
               "OMP_NUM_THREADS": "1", "FASTINIT_NUM_THREADS": "1"}  # fmt: skip
        procs.append(subprocess.Popen([sys.executable, "-c", script, str(out)], env={**os.environ, **env},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))  # fmt: skip
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (_, stderr) in zip(procs, outputs):
        assert p.returncode == 0, stderr[-3000:]
    return [stdout for stdout, _ in outputs]


# How a rank script ends: rank 0 saves `out`, then no gloo teardown (it can abort at exit under load).
_SAVE_AND_EXIT = """
if dist.get_rank() == 0:
    np.savez(sys.argv[1], **out)
dist.barrier()
sys.stdout.flush()
os._exit(0)
"""


@pytest.mark.parametrize("world", [1, 2, 3])
def test_sharded_init_module_equals_single_process(world, tmp_path):
    namespace: dict = {}
    exec(MODEL, namespace)
    expected = {
        n: p.detach().numpy()
        for n, p in ft.init_module_(namespace["build"](), "gpt2", seed=7).named_parameters()
    }
    out = tmp_path / "full.npz"
    stdouts = _run_ranks(RANK, world, out)
    rows = sorted(
        int(line.split()[2]) for stdout in stdouts for line in stdout.splitlines() if line.startswith("rows")
    )
    assert rows == sorted({1: [10], 2: [5, 5], 3: [4, 4, 2]}[world])
    got = np.load(out)
    assert set(got.files) == set(expected)
    for name, value in expected.items():
        assert got[name].tobytes() == value.tobytes(), name


FUNCTIONS_RANK = (
    """
import os, sys
import numpy as np
import torch, torch.distributed as dist
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.tensor import DTensor, Partial, Shard, distribute_tensor
import fastinit.torch as ft

dist.init_process_group("gloo")
mesh = init_device_mesh("cpu", (dist.get_world_size(),))
out = {}
for name, dim in (("kaiming_uniform_", 0), ("trunc_normal_", 1), ("orthogonal_", 0), ("delta_orthogonal_", 0)):
    shape = (10, 6, 3) if name == "delta_orthogonal_" else (10, 6)
    w = distribute_tensor(torch.zeros(shape), mesh, [Shard(dim)])
    getattr(ft, name)(w, seed=3)
    out[name] = w.full_tensor().numpy()
try:
    ft.normal_(DTensor.from_local(torch.zeros(4), mesh, [Partial()]), seed=0)
except TypeError as error:
    out["partial"] = np.array(["Partial" in str(error)])
"""
    + _SAVE_AND_EXIT
)


@pytest.mark.parametrize("world", [1, 2])
def test_fastinit_torch_functions_fill_a_dtensor_shard_by_shard(world, tmp_path):
    """A DTensor has no memory of its own (data pointer 0): the fills crashed the process. Each
    rank now fills its shard with that block's values, so the whole equals the plain fill."""
    out = tmp_path / "full.npz"
    _run_ranks(FUNCTIONS_RANK, world, out)
    got = np.load(out)
    for name in ("kaiming_uniform_", "trunc_normal_", "orthogonal_", "delta_orthogonal_"):
        shape = (10, 6, 3) if name == "delta_orthogonal_" else (10, 6)
        expected = getattr(ft, name)(torch.empty(shape), seed=3).numpy()
        assert got[name].tobytes() == expected.tobytes(), name
    assert got["partial"].tolist() == [True]


SHARDED_BUILD_RANK = (
    """
import os, sys
import numpy as np
import torch, torch.distributed as dist
from torch import nn
from torch.distributed.device_mesh import DeviceMesh, init_device_mesh
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import Shard, distribute_tensor
import fastinit.torch as ft

class Gate(nn.Module):  # a module no policy knows: its own reset_parameters runs
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(8, 6))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.normal_(self.w, std=0.5)

def build(route="init_module"):  # "model" knows torch.nn's layers only
    return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.Linear(8, 4) if route.endswith("model") else Gate())

dist.init_process_group("gloo")
mesh = init_device_mesh("cpu", (dist.get_world_size(),))
out = {}
for route in ("init_module", "materialize_model", "materialize_gpt2"):
    with torch.device("meta"):
        model = build(route)
    fully_shard(model[0], mesh=mesh)
    fully_shard(model, mesh=mesh)
    if route == "init_module":
        model.to_empty(device="cpu")
        ft.init_module_(model, "torch", seed=1)
    else:
        ft.materialize_(model, route.split("_")[1], seed=1)
    for name, p in model.named_parameters():
        out[f"{route}/{name}"] = p.full_tensor().detach().numpy()
sub = DeviceMesh("cpu", [0])  # rank 1 holds no part of it: a fill there does nothing, as torch's
part = distribute_tensor(torch.zeros(4, 3), sub, [Shard(0)])
ft.kaiming_uniform_(part, seed=0)
out["sub_mesh_filled"] = np.array([bool(part.to_local().any()) if dist.get_rank() == 0 else True])
with ft.deferred_init():
    recorded = build()
fully_shard(recorded, mesh=mesh)
try:
    ft.materialize_(recorded, seed=1)
except ValueError as error:
    out["recorded_then_sharded"] = np.array(["materialize_ before sharding" in str(error)])
"""
    + _SAVE_AND_EXIT
)


def test_sharded_builds_equal_the_single_process_build(tmp_path):
    """FSDP2 on a meta build. init_module_ ran a module's own reset_parameters under
    accelerate(), where torch's CPU DTensor draw repeats one shard's values on every rank;
    materialize_ refused fully_shard's re-classed torch.nn layers ("FSDPLinear") and took its
    policy's fills of the shards for no write (NaN). A rank outside a DTensor's mesh raised; a
    recorded model sharded before materialize_ got a message blaming its build."""
    out = tmp_path / "full.npz"
    _run_ranks(SHARDED_BUILD_RANK, 2, out)
    got = np.load(out)
    namespace: dict = {}
    exec(SHARDED_BUILD_RANK.split("dist.init_process_group")[0], namespace)
    expected = {"init_module": ft.init_module_(namespace["build"](), "torch", seed=1)}
    for policy in ("model", "gpt2"):
        with torch.device("meta"):
            model = namespace["build"](policy)
        expected[f"materialize_{policy}"] = ft.materialize_(model, policy, seed=1)
    for route, model in expected.items():
        for name, p in model.named_parameters():
            assert got[f"{route}/{name}"].tobytes() == p.detach().numpy().tobytes(), (route, name)
    gate = got["init_module/2.w"]
    assert not np.array_equal(gate[:4], gate[4:])
    assert got["sub_mesh_filled"].tolist() == [True] and got["recorded_then_sharded"].tolist() == [True]
