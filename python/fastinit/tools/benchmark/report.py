"""Turns benchmark results into a markdown report (stdout, README) and PNG plots."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from ..optional import require_matplotlib

Row = dict[str, Any]

# The targets at 256 MiB float32 (8192 x 8192), all threads: fastinit / other >= ratio.
TARGETS = [
    ("uniform", "float32", "torch.nn.init", 12.0),
    ("normal", "float32", "torch.nn.init", 10.0),
    ("trunc_normal", "float32", "torch.nn.init", 15.0),
    ("normal", "bfloat16", "torch.nn.init", 12.0),
    ("normal", "float64", "torch.nn.init", 15.0),
    ("normal", "float32", "numpy PCG64", 25.0),
    ("normal", "float64", "mkl_random Philox4x32x10", 10.0),
    ("uniform", "float32", "ndarray.fill", 0.8),
    ("normal", "float32", "ndarray.fill", 0.5),
]


def _key(r: Row) -> tuple[str, str, int]:
    return r["op"], r["dtype"], r["shape"][0]


def _throughput(rows: list[Row]) -> dict[tuple[str, str, int], dict[str, Row]]:
    groups: dict[tuple[str, str, int], dict[str, Row]] = defaultdict(dict)
    for r in rows:
        if r["suite"] == "throughput":
            groups[_key(r)][r["library"]] = r
    return groups


def markdown(result: dict[str, Any]) -> str:
    rows: list[Row] = result["rows"]
    m = result["machine"]
    out = [f"Machine: {m['cpu']}, ISA {m['isa']}, {m['threads']} threads (fastinit and torch); NumPy and "
           f"mkl_random single-threaded. Medians of {result['repeats']} interleaved runs. Ratios are "
           "fastinit's throughput over the other's (higher is better for fastinit).", ""]  # fmt: skip
    groups = _throughput(rows)
    others = sorted({lib for g in groups.values() for lib in g if lib != "fastinit"})
    out += ["| op | dtype | size | fastinit G samples/s | " + " | ".join(f"vs {o}" for o in others) + " |",
            "|---|---|---|---:|" + "---:|" * len(others)]  # fmt: skip
    for (op, dtype, n), libs in groups.items():
        if "fastinit" not in libs:
            continue
        f = libs["fastinit"]["gsamples_per_s"]
        cells = [f"{f / libs[o]['gsamples_per_s']:.2f}x" if o in libs else "" for o in others]
        out.append(f"| {op} | {dtype} | {n}x{n} | {f:.3f} | " + " | ".join(cells) + " |")
    scaling = [r for r in rows if r["suite"] == "threads"]
    if scaling:
        names = sorted({r["library"] for r in scaling})
        base = {r["library"]: r["gsamples_per_s"] for r in scaling if r["threads"] == 1}
        out += ["", f"Thread scaling, float32 {scaling[0]['shape'][0]}x{scaling[0]['shape'][1]} "
                "(G samples/s, and speed-up over one thread):", "",
                "| threads | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]  # fmt: skip
        for t in sorted({r["threads"] for r in scaling}):
            cell = {r["library"]: r["gsamples_per_s"] for r in scaling if r["threads"] == t}
            out.append(
                f"| {t} | " + " | ".join(f"{cell[x]:.3f} ({cell[x] / base[x]:.2f}x)" for x in names) + " |"
            )
    latency = [r for r in rows if r["suite"] == "latency"]
    if latency:
        out += [
            "",
            "Per-call latency on small weights (microseconds):",
            "",
            "| call | size | µs |",
            "|---|---|---:|",
        ]
        for r in latency:
            out.append(f"| {r['library']} | {r['shape'][0]}x{r['shape'][1]} | {r['median_s'] * 1e6:.1f} |")
    out += ["", *targets(result)]
    return "\n".join(out)


def targets(result: dict[str, Any]) -> list[str]:
    """The issue's speed targets against this run: met or missed, and by how much."""
    groups = _throughput(result["rows"])
    size = max((n for (_, _, n) in groups if n <= 8192), default=0)
    lines = [
        f"Targets at {size}x{size} (fastinit / other):",
        "",
        "| op | dtype | against | target | measured | |",
        "|---|---|---|---:|---:|---|",
    ]
    for op, dtype, other, target in TARGETS:
        libs = groups.get((op, dtype, size), {})
        if "fastinit" not in libs or other not in libs:
            lines.append(f"| {op} | {dtype} | {other} | {target}x | not measured | |")
            continue
        ratio = libs["fastinit"]["gsamples_per_s"] / libs[other]["gsamples_per_s"]
        lines.append(
            f"| {op} | {dtype} | {other} | {target}x | {ratio:.2f}x | {'met' if ratio >= target else 'MISSED'} |"
        )
    latency = {
        (r["library"], r["shape"][0]): r["median_s"] for r in result["rows"] if r["suite"] == "latency"
    }
    # fastinit on a NumPy array within 1/3 of torch.nn.init's time on a tensor, fastinit.torch on
    # the tensor within 1/2
    for n in sorted({k[1] for k in latency}):
        theirs = latency.get(("torch.nn.init.kaiming_uniform_", n))
        for library, share in (
            ("fastinit kaiming_uniform_ (NumPy)", 3),
            ("fastinit.torch kaiming_uniform_ (tensor)", 2),
        ):
            ours = latency.get((library, n))
            if ours and theirs:
                lines.append(
                    f"| {library} latency | {n}x{n} | torch.nn.init | <= {1 / share:.2f}x time | "
                    f"{ours / theirs:.2f}x time | {'met' if ours <= theirs / share else 'MISSED'} |"
                )
    scaling = {
        (r["library"], r["threads"]): r["gsamples_per_s"] for r in result["rows"] if r["suite"] == "threads"
    }
    if ("fastinit normal", 2) in scaling:
        s = scaling[("fastinit normal", 2)] / scaling[("fastinit normal", 1)]
        lines.append(
            f"| normal thread scaling | float32 | 1 -> 2 threads | 1.8x | {s:.2f}x | {'met' if s >= 1.8 else 'MISSED'} |"
        )
    return lines


def plots(result: dict[str, Any], directory: Path) -> list[Path]:
    """throughput.png (normal float32 throughput against size per library), threads.png and
    latency.png under directory; needs matplotlib (the "plot" extra)."""
    require_matplotlib()
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    rows = result["rows"]
    written = []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        if r["suite"] == "throughput" and r["op"] == "normal" and r["dtype"] == "float32":
            series[r["library"]].append((r["shape"][0] * r["shape"][1] * 4 / 2**20, r["gsamples_per_s"]))
    for lib, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=lib)
    ax.set(xscale="log", yscale="log", xlabel="buffer size (MiB, float32)", ylabel="G samples / s",
           title=f"normal, float32 — {result['machine']['cpu']}, {result['machine']['threads']} threads")  # fmt: skip
    ax.legend(fontsize=7)
    written.append(_save(plt, fig, directory / "throughput.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    by_lib: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in rows:
        if r["suite"] == "threads":
            by_lib[r["library"]].append((r["threads"], r["gsamples_per_s"]))
    for lib, thread_pts in sorted(by_lib.items()):
        ax.plot([p[0] for p in thread_pts], [p[1] for p in thread_pts], marker="o", label=lib)
    ax.set(xlabel="threads", ylabel="G samples / s", title="thread scaling (float32, large buffer)")
    ax.legend(fontsize=7)
    written.append(_save(plt, fig, directory / "threads.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    lat = [r for r in rows if r["suite"] == "latency"]
    labels = [f"{r['library']}\n{r['shape'][0]}x{r['shape'][1]}" for r in lat]
    ax.barh(range(len(lat)), [r["median_s"] * 1e6 for r in lat])
    ax.set_yticks(range(len(lat)), labels, fontsize=6)
    ax.set(xlabel="µs per call", title="small-call latency")
    written.append(_save(plt, fig, directory / "latency.png"))
    return written


def _save(plt: Any, fig: Any, path: Path) -> Path:
    """Lay out, write and close a figure; returns its path."""
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
