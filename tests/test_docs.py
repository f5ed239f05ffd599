"""Every Python block of README.md and docs/*.md runs as a user pastes it, so the docs stay
true: the README's blocks each in a fresh interpreter (they set process-wide state, as a user's
session would: the thread count, the process generator's seed), the docs pages' blocks in this
process, skipped only for an optional library they import that is not installed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
OPTIONAL = {"jax", "flax", "keras", "torch", "dask", "safetensors", "matplotlib", "scipy"}
NEEDS = {"scale.md": ("dask", "safetensors")}  # used through fastinit.dask / fastinit.io
EXAMPLES = [
    pytest.param(path.name, block, id=f"{path.name}-{i}")
    for path in PAGES
    for i, block in enumerate(BLOCK.findall(path.read_text()))
]


def test_every_page_with_code_is_covered():
    assert {"README.md", "torch.md", "keras-jax.md", "scale.md", "policies.md", "why-init.md"} <= {
        p.values[0] for p in EXAMPLES
    }


@pytest.mark.parametrize(("page", "code"), EXAMPLES)
def test_doc_example_runs(page, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as a user runs them, anywhere; files they write land there
    imported = set(re.findall(r"^(?:import|from) (\w+)", code, re.M)) & OPTIONAL
    imported |= set(re.findall(r"^import \w+, (\w+)", code, re.M)) & OPTIONAL
    for module in sorted(imported | set(NEEDS.get(page, ()))):
        pytest.importorskip(module)
    if page == "README.md":
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    else:
        exec(compile(code, f"<{page}>", "exec"), {})
