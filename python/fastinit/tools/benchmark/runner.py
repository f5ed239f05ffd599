"""Runs the benchmark plan: every case of a group interleaved round-robin in the same run (these
machines are noisy: ratios measured side by side, not absolute times), medians with spread."""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

from ...engine import fill as _fill
from ...engine import info as _info
from ...engine import threads as _threads
from ...engine.info import cpu_name
from ...schemes import variance as _variance
from . import libraries

Fill = Callable[[], object]

MiB = 2**20


@dataclass
class Plan:
    """What to measure. Sizes are square shapes (n, n); `large_only` sizes run fastinit and the
    memory references only (the others would take minutes there)."""

    ops: tuple[str, ...]
    dtypes: tuple[str, ...]
    sizes: tuple[int, ...]
    large_only: tuple[int, ...]
    all_dtypes_size: int
    thread_size: int
    latency_sizes: tuple[int, ...]
    repeats: int
    capped_ops: dict[str, int] = field(default_factory=lambda: {"orthogonal": 1024, "sparse": 1024})


QUICK = Plan(
    ("uniform", "normal", "trunc_normal", "kaiming_normal"),
    ("float32",),
    (256, 2048),
    (),
    2048,
    2048,
    (64, 256),
    3,
)
DEFAULT = Plan(libraries.OPS, ("float32",), (64, 256, 1024, 4096, 8192), (16384,), 8192, 8192, (64, 256), 5)


class Progress:
    """A progress line on stderr (tqdm when installed) when stderr is a terminal; nothing when
    it is piped or captured (a log gets no bar)."""

    def __init__(self, total: int, enabled: bool | None = None) -> None:
        self.enabled = bool(sys.stderr is not None and sys.stderr.isatty()) if enabled is None else enabled
        self._bar: Any = None
        if self.enabled:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc="fastinit bench", file=sys.stderr, leave=False)
            except ImportError:
                pass
        self.total, self.done = total, 0

    def step(self, label: str) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(label)
            self._bar.update(1)
        elif self.enabled:
            print(f"\r[{self.done}/{self.total}] {label:60}", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            print(file=sys.stderr)


def _time_group(calls: dict[str, Fill], repeats: int, inner: int = 1) -> dict[str, list[float]]:
    """Seconds per call of each callable, interleaved: one warm-up, then `repeats` rounds."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(inner):
                call()
            times[name].append((time.perf_counter() - start) / inner)
    return times


def _rows(
    times: dict[str, list[float]], meta: dict[str, Any], elements: int, itemsize: int
) -> list[dict[str, Any]]:
    rows = []
    for name, ts in times.items():
        med = statistics.median(ts)
        rows.append({**meta, "library": name, "median_s": med, "min_s": min(ts), "max_s": max(ts),
                     "gsamples_per_s": elements / med / 1e9, "gb_per_s": elements * itemsize / med / 1e9})  # fmt: skip
    return rows


def _itemsize(dtype: str) -> int:
    return {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2}[dtype]


def _throughput_groups(plan: Plan) -> Iterable[tuple[str, str, int, bool]]:
    for op in plan.ops:
        for n in plan.sizes + plan.large_only:
            if n > plan.capped_ops.get(op, n):
                continue
            yield op, "float32", n, n in plan.large_only
    half_and_double = ("bfloat16", "float16", "float64") if _has_ml_dtypes() else ("float16", "float64")
    for op in ("uniform", "normal"):
        for dtype in half_and_double:
            yield op, dtype, plan.all_dtypes_size, False


def _has_ml_dtypes() -> bool:
    """bfloat16 NumPy buffers need ml_dtypes (the test extra); without it those rows are skipped."""
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        return False
    return True


def run(plan: Plan) -> dict[str, Any]:
    """Measure the plan with all threads (torch given all threads too); returns the results.

    torch's OpenMP workers spin-wait after each parallel region and would steal a core from the
    call timed right after them in an interleaved round; OMP_WAIT_POLICY=PASSIVE (set before torch
    is imported, unless the caller set it) makes them sleep instead."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    threads = _threads.get_num_threads()
    libs = libraries.available()
    groups = list(_throughput_groups(plan))
    progress = Progress(len(groups) + threads + len(plan.latency_sizes))
    rows: list[dict[str, Any]] = []
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    try:
        for op, dtype, n, large in groups:
            shape = (n, n)
            calls: dict[str, Fill] = {}
            for name, make in libs.items():
                if large and name != "fastinit":
                    continue
                fill = make(op, dtype, shape)
                if fill is not None:
                    calls[name] = fill
            if op in ("uniform", "normal"):
                calls.update(libraries.reference_fills(dtype, shape))
            repeats = max(3, plan.repeats if n * n * _itemsize(dtype) <= 64 * MiB else 3)
            inner = max(1, 2**16 // (n * n))
            times = _time_group(calls, repeats, inner)
            rows += _rows(
                times,
                {"suite": "throughput", "op": op, "dtype": dtype, "shape": [n, n], "threads": threads},
                n * n,
                _itemsize(dtype),
            )
            calls.clear()
            progress.step(f"{op} {dtype} {n}x{n}")
        rows += _thread_scaling(plan, threads, progress)
        rows += _latency(plan, threads, progress)
    finally:
        _threads.set_num_threads(threads)
        progress.close()
    details = _info.info()
    return {"machine": {"cpu": cpu_name(), "isa": details["isa"], "threads": threads, "fastinit": details["version"]},
            "repeats": plan.repeats, "rows": rows}  # fmt: skip


def _thread_scaling(plan: Plan, threads: int, progress: Progress) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    n = plan.thread_size
    makers = libraries.available()
    for t in range(1, threads + 1):
        _threads.set_num_threads(t)
        calls = {f"fastinit {op}": makers["fastinit"](op, "float32", (n, n)) for op in ("uniform", "normal")}
        if "torch.nn.init" in makers:
            import torch

            torch.set_num_threads(t)
            calls["torch.nn.init normal"] = makers["torch.nn.init"]("normal", "float32", (n, n))
            calls["torch.nn.init uniform"] = makers["torch.nn.init"]("uniform", "float32", (n, n))
        times = _time_group({k: v for k, v in calls.items() if v is not None}, 3)
        rows += _rows(
            times, {"suite": "threads", "op": "", "dtype": "float32", "shape": [n, n], "threads": t}, n * n, 4
        )
        progress.step(f"threads {t}")
    _threads.set_num_threads(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    return rows


def _numpy_latency_calls(n: int) -> dict[str, Fill]:
    """fastinit's latency calls, bound to one n x n float32 NumPy array of ones."""
    import numpy as np

    a = np.ones((n, n), np.float32)

    def kaiming_uniform() -> object:
        return _variance.kaiming_uniform_(a, seed=1)

    def normal() -> object:
        return _fill.normal_(a, seed=1)

    return {"fastinit kaiming_uniform_ (NumPy)": kaiming_uniform, "fastinit normal_ (NumPy)": normal}


def _torch_latency_calls(n: int) -> dict[str, Fill]:
    """fastinit.torch's and torch.nn.init's latency calls, bound to one n x n tensor of ones;
    ImportError without torch."""
    import torch

    import fastinit.torch as ft

    t = torch.ones(n, n)

    def ft_kaiming_uniform() -> object:
        return ft.kaiming_uniform_(t, seed=1)

    def ft_normal() -> object:
        return ft.normal_(t, seed=1)

    def torch_kaiming_uniform() -> object:
        return torch.nn.init.kaiming_uniform_(t)

    def torch_normal() -> object:
        return torch.nn.init.normal_(t)

    return {
        "fastinit.torch kaiming_uniform_ (tensor)": ft_kaiming_uniform,
        "fastinit.torch normal_ (tensor)": ft_normal,
        "torch.nn.init.kaiming_uniform_": torch_kaiming_uniform,
        "torch.nn.init.normal_": torch_normal,
    }


def _latency(plan: Plan, threads: int, progress: Progress) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in plan.latency_sizes:
        calls = _numpy_latency_calls(n)
        with contextlib.suppress(ImportError):  # no torch: NumPy calls only
            calls.update(_torch_latency_calls(n))
        times = _time_group(calls, max(5, plan.repeats), inner=200 if n <= 64 else 50)
        rows += _rows(
            times,
            {"suite": "latency", "op": "", "dtype": "float32", "shape": [n, n], "threads": threads},
            n * n,
            4,
        )
        progress.step(f"latency {n}x{n}")
    return rows
