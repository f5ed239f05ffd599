"""``python -m fastinit check --plot FILE``: histograms of fastinit's samples against the exact
densities (log scale where there are tails to show) and QQ plots against the exact quantiles. matplotlib
is an optional extra (``pip install 'fastinit[plot]'``), imported only here."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .battery_table import PRIMITIVES, Primitive
from .exact_laws import Uniform
from .optional import require_matplotlib

__all__ = ["check_target", "plot_distributions"]

PLOTTED = [PRIMITIVES[i] for i in (1, 2, 6, 8)]  # uniform, normal, trunc [-2, 2], tail window [3, 5]
QQ_POINTS = 2000


def check_target(path: str) -> str | None:
    """None if a figure can be written to path, else a message saying why not."""
    require_matplotlib()
    from matplotlib.figure import Figure

    ext = os.path.splitext(path)[1].lstrip(".").lower()
    formats = Figure().canvas.get_supported_filetypes()
    if ext not in formats:
        return (
            f"--plot {path!r}: the file name must end in one of {', '.join('.' + f for f in sorted(formats))}"
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        return f"--plot {path!r}: the folder {folder!r} does not exist or is not writable"
    return None


def _draw(ax_hist: Any, ax_qq: Any, p: Primitive, x: np.ndarray) -> None:
    law = p.law
    lo, hi = np.min(x), np.max(x)
    ax_hist.hist(x, bins=200, range=(lo, hi), density=True, histtype="step", label="fastinit")
    grid = np.linspace(lo, hi, 1000)
    ax_hist.plot(grid, law.pdf(grid), "k--", linewidth=0.8, label="exact density")
    if isinstance(law, Uniform):  # flat: a linear scale from 0 shows it best
        ax_hist.set_ylim(0, 1.25 * float(law.pdf(law.mean)))
    else:  # log scale, so the tails show
        ax_hist.set_yscale("log")
    ax_hist.set_title(p.label, fontsize=9)
    ax_hist.legend(fontsize=7)
    xs = np.sort(x)
    idx = np.unique(np.linspace(0, xs.size - 1, QQ_POINTS).astype(np.int64))
    q = (idx + 0.5) / xs.size
    theory = law.ppf(q)
    ax_qq.plot(theory, xs[idx], ".", markersize=2)
    ax_qq.plot([theory[0], theory[-1]], [theory[0], theory[-1]], "k--", linewidth=0.8)
    ax_qq.set_xlabel("exact quantile", fontsize=8)
    ax_qq.set_ylabel("sample quantile", fontsize=8)


def plot_distributions(path: str, n: int, seed: int) -> None:
    """Draw, for a uniform, a normal and two truncated normals (float32, n values each, the
    same streams the check uses), the histogram over the exact density (log scale) and the QQ
    plot, and save the figure to path."""
    require_matplotlib()
    from matplotlib.figure import Figure

    from ..engine.info import info

    fig = Figure(figsize=(4 * len(PLOTTED), 7), constrained_layout=True)
    axes = fig.subplots(2, len(PLOTTED))
    for k, p in enumerate(PLOTTED):
        x = p.fill(np.empty(n, np.float32), seed=seed, stream=f"check {p.label} float32")
        _draw(axes[0][k], axes[1][k], p, x.astype(np.float64))
    details = info()
    fig.suptitle(f"fastinit {details['version']} ({details['isa']}): {n} float32 values each, seed {seed}")
    fig.savefig(path, dpi=110)
