"""`pip install fastinit` brings numpy only: the command line and the core API must work with
every optional package missing. Each test runs a fresh interpreter in which importing an
optional package fails, as it would where it is not installed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

OPTIONAL = ("scipy", "ml_dtypes", "matplotlib", "torch", "dask", "distributed", "safetensors", "tqdm",
            "keras", "jax", "flax", "mkl_random")  # fmt: skip

BLOCKER = textwrap.dedent(
    f"""
    import importlib.abc, sys

    class _Missing(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {OPTIONAL!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, _Missing())
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )


def test_blocker_hides_optional_packages():
    result = _run("import scipy")
    assert result.returncode != 0 and "No module named 'scipy'" in result.stderr


def test_command_line_and_core_api_need_only_numpy():
    result = _run(
        """
        import json
        import numpy as np
        import fastinit
        import fastinit.__main__ as cli
        from fastinit.tools.benchmark import runner

        w = fastinit.kaiming_uniform_(np.empty((64, 32), np.float32), seed=0)
        fastinit.orthogonal_(np.empty((16, 16)), seed=1)
        dtypes = sorted({g[1] for g in runner._throughput_groups(runner.QUICK)})
        print(json.dumps({"dtypes": dtypes, "finite": bool(np.isfinite(w).all())}))
        """
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["finite"]
    assert "bfloat16" not in out["dtypes"]  # needs ml_dtypes: those benchmark rows are skipped


def test_check_without_scipy_says_how_to_get_it():
    result = _run(
        """
        import sys
        import fastinit.__main__ as cli
        sys.exit(cli.main(["check", "--quick"]))
        """
    )
    assert result.returncode != 0
    assert "needs scipy" in result.stdout + result.stderr
