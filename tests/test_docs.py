"""The runnable examples in docs/ are executed, so the docs stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLES = [
    pytest.param(block, id=f"{path.name}-{i}")
    for path in sorted(DOCS.glob("*.md"))
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S))
    if path.name in ("scale.md", "torch.md", "policies.md", "keras-jax.md")
]
NEEDS = {"scale.md": ("dask", "safetensors"), "torch.md": ("torch",), "policies.md": ("torch",)}
FRAMEWORKS = {"jax", "flax", "keras", "torch"}  # keras-jax.md: each block needs what it imports


@pytest.mark.parametrize("code", EXAMPLES)
def test_doc_example_runs(code, request):
    page = request.node.callspec.id.rsplit("-", 1)[0]
    imported = set(re.findall(r"^(?:import|from) (\w+)", code, re.M)) & FRAMEWORKS
    for module in NEEDS.get(page, tuple(sorted(imported))):
        pytest.importorskip(module)
    exec(compile(code, "<docs example>", "exec"), {})
