"""``python -m fastinit propagate``: the propagation tables (propagation.py, and
residual_propagation.py with --residual) printed as text and drawn as the classic figure
(matplotlib, the optional extra "plot")."""

from __future__ import annotations

from collections.abc import Sequence

from .activations import check_choice, check_count
from .layer_table import layer_gains, propagate
from .optional import require_matplotlib
from .propagation import SCHEMES, LayerStats
from .residual_propagation import propagate_residual

__all__ = ["format_table", "main", "parse_schemes", "plot_propagation"]


# -- the figure ----------------------------------------------------------------------------------


def plot_propagation(tables: Sequence[Sequence[LayerStats]], path: str, title: str = "") -> None:
    """Draw the classic figure and save it to path (PNG, or any format matplotlib writes): the
    activation std (left) and gradient std (right) per layer, log scale, one colour per table
    (scheme), measured solid and predicted dashed. Needs matplotlib.

    Parameters
    ----------
    tables : sequence of sequence of LayerStats
        One table per scheme, as propagate() or propagate_residual() returns them.
    path : str
        Where to save the figure; its extension picks the format.
    title : str, optional
        The figure's title (default none).

    Raises
    ------
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> import os, tempfile
    >>> from fastinit.analysis import plot_propagation, propagate
    >>> tables = [propagate(8, 64, "relu", s, batch=32) for s in ("naive", "kaiming")]
    >>> tmp = tempfile.TemporaryDirectory()
    >>> plot_propagation(tables, os.path.join(tmp.name, "relu.png"), title="ReLU, width 64")
    >>> os.listdir(tmp.name)
    ['relu.png']
    >>> tmp.cleanup()
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), constrained_layout=True)
    ax_act, ax_grad = fig.subplots(1, 2)
    for k, table in enumerate(tables):
        layers = [row.layer for row in table]
        color = f"C{k}"
        name = table[0].scheme
        for ax, measured, predicted in (
            (ax_act, [r.act_std for r in table], [r.act_std_predicted for r in table]),
            (ax_grad, [r.grad_std for r in table], [r.grad_std_predicted for r in table]),
        ):
            step = max(1, len(layers) // 8)
            ax.plot(layers, measured, color=color, label=name, marker="osD^vx"[k % 6], markersize=4,
                    markevery=(k * step // max(1, len(tables)), step), fillstyle="none")  # fmt: skip
            ax.plot(layers, predicted, color=color, linestyle="--", linewidth=0.9)
    for ax, what in ((ax_act, "activation std  (forward)"), (ax_grad, "gradient std  (backward)")):
        ax.set_yscale("log")
        ax.set_xlabel("layer")
        ax.set_title(what, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    ax_act.plot([], [], "k--", linewidth=0.9, label="theory")
    ax_act.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=72)


def format_table(tables: Sequence[Sequence[LayerStats]], every: int) -> str:
    """The text report: every `every`-th layer (and the last) of each table, then the per-layer
    gains over the deeper three fifths of the network, measured against predicted."""
    lines = [
        f"{'scheme':<13}{'layer':>6}{'act std':>12}{'theory':>12}{'grad std':>12}{'theory':>12}",
    ]
    for table in tables:
        last = table[-1].layer
        for row in table:
            if row.layer % every == 0 or row.layer == last:
                lines.append(
                    f"{row.scheme:<13}{row.layer:>6}{row.act_std:>12.3e}{row.act_std_predicted:>12.3e}"
                    f"{row.grad_std:>12.3e}{row.grad_std_predicted:>12.3e}"
                )
    last = tables[0][-1].layer
    first = (2 * last) // 5
    lines += ["", f"per-layer variance gain, layers {first}-{last} (geometric mean)",
              f"{'scheme':<13}{'forward':>12}{'theory':>12}{'backward':>12}{'theory':>12}"]  # fmt: skip
    for table in tables:
        g = layer_gains(table, first, last)
        lines.append(
            f"{table[0].scheme:<13}{g.act_measured:>12.4g}{g.act_predicted:>12.4g}"
            f"{g.grad_measured:>12.4g}{g.grad_predicted:>12.4g}"
        )
    return "\n".join(lines)


def parse_schemes(text: str, allowed: Sequence[str] = SCHEMES) -> list[str]:
    """Split a comma-separated list of scheme names; ValueError naming any not in `allowed`."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise ValueError(f"schemes={text!r} names no scheme; allowed: {', '.join(allowed)}")
    for name in names:
        check_choice("propagate", "scheme", name, allowed)
    return names


def main(
    depth: int, width: int, activation: str, schemes: Sequence[str], normalization: str,
    batch: int, seed: int, plot: str | None, every: int | None = None, residual: bool = False,
) -> int:  # fmt: skip
    """``python -m fastinit propagate``: run propagate() (with `residual`, propagate_residual())
    for each scheme, print the table (every `every`-th layer, by default about ten rows per
    scheme) and the per-layer gains, and draw the figure to `plot` if given. Returns the exit
    status."""
    if every is not None:
        check_count("propagate", "every", every)
    norm = "none" if normalization is None else normalization
    if residual and norm != "none":
        raise ValueError(f"the residual network has no normalization; got normalization={norm!r}")
    if plot:
        require_matplotlib()  # fail before the work, not after
    if residual:
        tables = [propagate_residual(depth, width, activation, s, batch=batch, seed=seed) for s in schemes]
    else:
        tables = [
            propagate(depth, width, activation, s, batch=batch, normalization=normalization, seed=seed)
            for s in schemes
        ]
    step = every if every is not None else max(1, depth // 10)
    network = "residual blocks (2 layers each)" if residual else "layers"
    title = f"{depth} {network} of {width}, {activation}, normalization {norm}, batch {batch}, seed {seed}"
    print(title)
    print(format_table(tables, step))
    if plot:
        plot_propagation(tables, plot, title + "  (solid: measured, dashed: theory)")
        print(f"figure written to {plot}")
    return 0
