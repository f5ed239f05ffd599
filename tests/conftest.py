"""Shared fixtures: the ISAs this CPU runs, and a runner for subprocesses with a given
environment (for FASTINIT_ISA / FASTINIT_NUM_THREADS, read at import). Tests marked slow are
left out by pyproject.toml's `-m "not slow"`; `python -m pytest -m slow` selects them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fastinit import _core

ISAS = list(_core.available_isas())


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter with extra environment variables; returns the result."""
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=300
    )


@pytest.fixture
def restore_threads():
    """Put the thread count back after a test that changes it."""
    before = _core.get_num_threads()
    yield
    _core.set_num_threads(before)
