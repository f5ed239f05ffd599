"""The optional libraries the tools draw with, imported on first use with the install hint."""

from __future__ import annotations

__all__ = ["require_matplotlib"]


def require_matplotlib() -> None:
    """Select matplotlib's file-only Agg backend; ImportError with the install hint if missing."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("plotting needs matplotlib: pip install 'fastinit[plot]'") from e
    matplotlib.use("Agg")
